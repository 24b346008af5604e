"""QR codes as PNG bytes or SVG paths, drawn from the module matrix that `qrcode` computes."""

from __future__ import annotations

import io

import qrcode
from PIL import Image
from qrcode.constants import ERROR_CORRECT_M

QUIET_ZONE = 4  # modules of white around the code, as the standard asks


def matrix(data: str, error_correction: int = ERROR_CORRECT_M) -> list[list[bool]]:
    """The QR modules for `data`, quiet zone included; True is dark."""
    code = qrcode.QRCode(error_correction=error_correction, border=QUIET_ZONE)
    code.add_data(data)
    code.make(fit=True)
    return code.get_matrix()


def qr_image(data: str, box_size: int = 10) -> Image.Image:
    """A black-on-white QR image with `box_size` pixels per module."""
    modules = matrix(data)
    size = len(modules)
    small = Image.new("1", (size, size), 1)
    small.putdata([0 if dark else 1 for row in modules for dark in row])
    return small.resize((size * box_size, size * box_size), Image.NEAREST).convert("L")


def qr_image_within(data: str, side: int) -> Image.Image:
    """The largest QR image with whole pixels per module that fits in `side` × `side`."""
    return qr_image(data, box_size=max(1, side // len(matrix(data))))


def png_bytes(image: Image.Image, dpi: int = 300) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(dpi, dpi), optimize=True)
    return buffer.getvalue()


def qr_png(data: str, box_size: int = 10) -> bytes:
    """A QR code as PNG bytes (member cards, coupons)."""
    return png_bytes(qr_image(data, box_size))


def svg_path(data: str) -> tuple[str, int]:
    """An SVG path drawing the dark modules one unit square each, and the side in modules."""
    modules = matrix(data)
    runs = []
    for y, row in enumerate(modules):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                runs.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    return "".join(runs), len(modules)
