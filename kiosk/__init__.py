"""kiosk: a barcode-scanner product-card kiosk daemon for Raspberry Pi.

A shopper scans a product; the kiosk looks it up in the Retail Digitals API (or its
own disk cache) and shows a full-screen card with photo, allergens, kosher
certification and nutrition. See README.md for the whole picture.
"""

__version__ = "0.1.0"
