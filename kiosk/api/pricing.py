"""What each call should cost, from the rates `/pricing` publishes.

Production rates are set by Retail Digitals' admins, so the client reads them instead
of hard-coding them; the defaults below are the documented ones, used only until
`/pricing` has answered. The sandbox serves and charges the same rates (it holds a
`Pricing` too) but computes each charge itself, so a wrong `product_cost` here shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Pricing"]


@dataclass(frozen=True)
class Pricing:
    per_scope_rate: float = 0.3
    per_image_rate: float = 1.0
    head_rate: float = 0.05
    image_redirect_rate: float = 1.0

    @classmethod
    def from_api(cls, body: dict[str, Any]) -> Pricing:
        return cls(
            per_scope_rate=float(body["per_scope_rate"]),
            per_image_rate=float(body["per_image_rate"]),
            head_rate=float(body["head_rate"]),
            image_redirect_rate=float(body["image_redirect_rate"]),
        )

    def product_cost(self, scopes: int, images: int) -> float:
        """GET /products/{barcode}: scopes returned × scope rate + image URLs × image rate."""
        return round(scopes * self.per_scope_rate + images * self.per_image_rate, 6)

    def describe(self) -> str:
        return (
            f"scope {self.per_scope_rate:g}, image {self.per_image_rate:g}, "
            f"HEAD {self.head_rate:g}, image redirect {self.image_redirect_rate:g}"
        )
