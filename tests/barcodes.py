"""The sandbox catalog's well-known barcodes, named once for every test directory.

The catalog (kiosk/sandbox/catalog_seeds.py) is built from a fixed seed, so these codes
mean the same product in every sandbox; tests/sandbox/test_catalog.py checks the variants.
"""

from __future__ import annotations

__all__ = ["CEREAL", "FISH", "FRONT_ONLY", "SNACK", "UNKNOWN"]

CEREAL = "017000161563"  # Example Cereal: front + front_clean photos
FISH = "000413000222"  # Example Brand Fish Sticks: all four photo variants
SNACK = "080878194964"  # Baked Cheddar Cheese Puffs, one of the API's known-good codes
FRONT_ONLY = "042648217884"  # exactly one photo variant
UNKNOWN = "012345678905"  # a valid UPC-A the catalog does not hold: 404, free
