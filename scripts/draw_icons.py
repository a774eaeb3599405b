"""Draw the app's PNG icons from the same shapes as `patientapp/static/icons/icon.svg`.

Installable web apps need raster icons of 192 and 512 pixels, and "maskable" ones whose picture
stays inside the central safe circle (80 % of the width) when a launcher crops them to a circle or
a squircle. This script rasterises the icon's two shapes (a rounded teal square and a white video
camera) with 4×4 supersampling and writes PNGs with the standard library only (zlib + struct), so
the result is byte-for-byte reproducible and needs no image library.

Run: `.venv/bin/python scripts/draw_icons.py` (rewrites patientapp/static/icons/*.png).
"""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

ICONS = Path(__file__).resolve().parent.parent / "patientapp/static/icons"
TEAL = (0x0B, 0x4F, 0x5C)
WHITE = (0xFF, 0xFF, 0xFF)
SAMPLES = 4  # per axis: 16 samples per pixel smooth the edges


def _rounded_rect(x, y, left, top, right, bottom, radius) -> bool:
    if not (left <= x <= right and top <= y <= bottom):
        return False
    cx = min(max(x, left + radius), right - radius)
    cy = min(max(y, top + radius), bottom - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2


def _in_polygon(x, y, points) -> bool:
    inside = False
    for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


# The camera in icon.svg's 64-unit grid: a body with 5-unit corners and a lens shaped like a
# trapezoid pointing left (its small 2-unit roundings are below one pixel at 192 px and dropped).
LENS = [(41, 27), (51, 21), (52.3, 20.6), (54, 22.7), (54, 41.3), (52.3, 43.4), (51, 43), (41, 37)]


def _glyph(x: float, y: float) -> bool:
    return _rounded_rect(x, y, 12, 17, 42, 47, 5) or _in_polygon(x, y, LENS)


def draw(size: int, maskable: bool) -> list[bytes]:
    """Rows of RGBA pixels. Maskable: full-bleed background, glyph shrunk into the safe circle."""
    # The glyph spans x 12..54 (42 units) around centre 33,32; in a maskable icon it must fit a
    # circle of radius 0.4·size, so it is drawn at 0.72 of the normal scale around the centre.
    glyph_scale = 0.72 if maskable else 1.0
    rows = []
    for py in range(size):
        row = bytearray()
        for px in range(size):
            bg = fg = 0
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    x = (px + (sx + 0.5) / SAMPLES) * 64 / size
                    y = (py + (sy + 0.5) / SAMPLES) * 64 / size
                    if maskable or _rounded_rect(x, y, 0, 0, 64, 64, 14):
                        bg += 1
                        gx = 33 + (x - 32) / glyph_scale
                        gy = 32 + (y - 32) / glyph_scale
                        if _glyph(gx, gy):
                            fg += 1
            n = SAMPLES * SAMPLES
            alpha = bg / n
            if bg == 0:
                row += bytes(4)
                continue
            share = fg / bg
            colour = [round(t + (w - t) * share) for t, w in zip(TEAL, WHITE, strict=True)]
            row += bytes(colour + [round(alpha * 255)])
        rows.append(bytes(row))
    return rows


def png(rows: list[bytes], size: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + row for row in rows)  # filter type 0 on every row
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))


def main() -> None:
    for size in (192, 512):
        for maskable in (False, True):
            name = f"{'maskable' if maskable else 'icon'}-{size}.png"
            (ICONS / name).write_bytes(png(draw(size, maskable), size))
            print(name)


if __name__ == "__main__":
    main()
