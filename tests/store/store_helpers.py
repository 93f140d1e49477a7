"""Helpers shared by the store tests (importable by name: tests/store is not a package)."""

from __future__ import annotations

from kiosk.product import Product


def product(barcode: str, name: str = "Fish Sticks", updated_at: str = "2026-06-22 09:54:07"
            ) -> Product:
    return Product.from_api({
        "barcode": barcode,
        "product_meta": {"brand": "Example Brand", "product_name": name,
                         "updated_at": updated_at, "hechshers": [{"symbol": "OK"}]},
        "images": {"front": "https://example.invalid/api/v1/image/x.y"},
    }, barcode=barcode)
