"""A local, strict stand-in for the Retail Digitals API (see `kiosk.sandbox.sandbox`)."""

from __future__ import annotations

from kiosk.sandbox.catalog import Product, build_catalog
from kiosk.sandbox.faults import FaultPlan
from kiosk.sandbox.ledger import LedgerEntry
from kiosk.sandbox.sandbox import DEFAULT_API_KEY, DEFAULT_CLIENT_ID, Sandbox
from kiosk.sandbox.state import Pricing

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_CLIENT_ID",
    "FaultPlan",
    "LedgerEntry",
    "Pricing",
    "Product",
    "Sandbox",
    "build_catalog",
]
