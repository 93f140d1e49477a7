"""Helpers shared by the store tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

from kiosk.product import Product


def product(barcode: str, name: str = "Fish Sticks", updated_at: str = "2026-06-22 09:54:07"
            ) -> Product:
    return Product.from_api({
        "barcode": barcode,
        "product_meta": {"brand": "Example Brand", "product_name": name,
                         "updated_at": updated_at, "hechshers": [{"symbol": "OK"}]},
        "images": {"front": "https://example.invalid/api/v1/image/x.y"},
    }, barcode=barcode)


def remount(where: Path, mode: str) -> None:
    """Remount the test's tmpfs `where` (the `tiny_fs` fixture) read-only or read-write."""
    subprocess.run(["mount", "-o", f"remount,{mode}", str(where)], check=True)
