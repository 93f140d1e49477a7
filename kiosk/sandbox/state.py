"""Everything the sandbox remembers, in one place the endpoints and the controls share."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from kiosk.api.pricing import Pricing
from kiosk.sandbox.catalog import Product
from kiosk.sandbox.clock import Clock
from kiosk.sandbox.faults import FaultPlan
from kiosk.sandbox.images import ImageStore
from kiosk.sandbox.ledger import Ledger
from kiosk.sandbox.ratelimit import RateLimiter
from kiosk.sandbox.signing import UrlSigner
from kiosk.sandbox.tokens import TokenStore

__all__ = ["Pricing", "State", "Wallet"]


class Wallet:
    """The credit balance; a charge either succeeds whole or changes nothing."""

    def __init__(self, balance: float) -> None:
        self._lock = threading.Lock()
        self._balance = round(balance, 6)

    @property
    def balance(self) -> float:
        with self._lock:
            return self._balance

    def set(self, balance: float) -> None:
        with self._lock:
            self._balance = round(balance, 6)

    def top_up(self, credits: float) -> float:
        with self._lock:
            self._balance = round(self._balance + credits, 6)
            return self._balance

    def charge(self, cost: float) -> float | None:
        """The balance after charging `cost`, or None (nothing charged) if it is too low."""
        cost = round(cost, 6)
        with self._lock:
            if cost > self._balance + 1e-9:
                return None
            self._balance = round(self._balance - cost, 6)
            return self._balance


@dataclass
class State:
    client_id: str
    api_key: str
    access_ttl: float
    catalog: dict[str, Product]
    wallet: Wallet
    limiter: RateLimiter
    images: ImageStore
    image_url_ttl: float = 900.0
    pricing: Pricing = field(default_factory=Pricing)
    clock: Clock = field(default_factory=Clock)
    signer: UrlSigner = field(default_factory=UrlSigner)
    faults: FaultPlan = field(default_factory=FaultPlan)
    ledger: Ledger = field(default_factory=Ledger)
    tokens: TokenStore = field(init=False)
    key_lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.tokens = TokenStore(self.client_id)
