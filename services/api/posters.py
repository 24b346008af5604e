"""Printable store posters (A5 portrait): store name, slogan, and a QR of the follow link.

PNG posters need a font with Chinese glyphs: set LIANJIE_POSTER_FONT or install one
(Debian: fonts-noto-cjk or fonts-wqy-microhei). SVG posters name the fonts and let
the printer's machine render the text.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

from PIL import Image, ImageDraw, ImageFont

from services.api.qr import png_bytes, qr_image_within, svg_path

WIDTH, HEIGHT = 1748, 2480  # A5 at 300 dpi
QR_SIDE = 1200
BRAND = (7, 193, 96)  # WeChat green
CJK_FONTS = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
]
CALL_TO_ACTION = "微信扫一扫 · Scan with WeChat"
SVG_FONTS = "'Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Microsoft YaHei',sans-serif"


def follow_link(public_url: str, scene: str) -> str:
    """The link a store poster or share QR encodes: `<public>/follow?scene=<scene>`."""
    return f"{public_url.rstrip('/')}/follow?scene={scene}"


@lru_cache(maxsize=32)
def font(size: int, preferred: str | None = None) -> ImageFont.FreeTypeFont:
    """The preferred font, else the first CJK font installed, else Pillow's own."""
    for candidate in [preferred, *CJK_FONTS]:
        if candidate and Path(candidate).is_file():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default(size)


def centred(
    draw: ImageDraw.ImageDraw, y: int, text: str, size: int, font_path: str | None, fill
) -> None:
    """Draw `text` centred at height y, shrinking the font until it fits the width."""
    face = font(size, font_path)
    while size > 24 and draw.textlength(text, font=face) > WIDTH - 160:
        size -= 8
        face = font(size, font_path)
    width = draw.textlength(text, font=face)
    draw.text(((WIDTH - width) / 2, y), text, font=face, fill=fill)


def poster_png(name: str, slogan: str, link: str, font_path: str | None = None) -> bytes:
    """The poster as a 300 dpi PNG."""
    poster = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(poster)
    draw.rectangle((0, 0, WIDTH, 420), fill=BRAND)
    centred(draw, 110, name, 140, font_path, "white")
    centred(draw, 520, slogan, 84, font_path, (34, 34, 34))
    code = qr_image_within(link, QR_SIDE)
    poster.paste(code, ((WIDTH - code.width) // 2, 700 + (QR_SIDE - code.height) // 2))
    centred(draw, 1960, CALL_TO_ACTION, 64, font_path, (34, 34, 34))
    centred(draw, 2120, link, 40, font_path, (120, 120, 120))
    draw.rectangle((0, HEIGHT - 120, WIDTH, HEIGHT), fill=BRAND)
    return png_bytes(poster)


def poster_svg(name: str, slogan: str, link: str) -> str:
    """The poster as SVG (148 × 210 mm), the QR drawn as one path."""
    path, modules = svg_path(link)
    scale = QR_SIDE / modules
    qr_x = (WIDTH - QR_SIDE) / 2
    text = f'font-family="{SVG_FONTS}" text-anchor="middle"'
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="148mm" height="210mm" \
viewBox="0 0 {WIDTH} {HEIGHT}">
  <rect width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>
  <rect width="{WIDTH}" height="420" fill="rgb{BRAND}"/>
  <text x="{WIDTH / 2}" y="260" {text} font-size="140" fill="#fff">{escape(name)}</text>
  <text x="{WIDTH / 2}" y="600" {text} font-size="84" fill="#222">{escape(slogan)}</text>
  <path transform="translate({qr_x} 700) scale({scale:.6f})" fill="#000" \
shape-rendering="crispEdges" d="{path}"/>
  <text x="{WIDTH / 2}" y="2030" {text} font-size="64" fill="#222">{CALL_TO_ACTION}</text>
  <text x="{WIDTH / 2}" y="2160" {text} font-size="40" fill="#777">{escape(link)}</text>
  <rect y="{HEIGHT - 120}" width="{WIDTH}" height="120" fill="rgb{BRAND}"/>
</svg>
"""
