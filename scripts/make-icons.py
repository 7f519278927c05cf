#!/usr/bin/env python3
"""Draws the app icons (PNG) that the web app manifest and iOS ask for.

The design is the one in crates/web/static/icon.svg: a teal rounded square with a
dashed ring and five light dots. Rendering uses signed distance fields, so edges are
anti-aliased without supersampling, and only the standard library (zlib + struct), so
anyone can re-run it without installing anything:

    python3 scripts/make-icons.py

It writes into crates/web/static/; the PNGs are committed and embedded in the binary.
Run it again only when the design changes (and update icon.svg to match).
"""

import math
import struct
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "crates" / "web" / "static"

# Design space of icon.svg: 512 x 512.
DESIGN = 512.0
TEAL = (0x1F, 0x5F, 0x5B)
LIGHT = (0xF7, 0xF5, 0xF2)
CORNER = 96.0
DOTS = [(256, 136), (376, 216), (336, 356), (176, 356), (136, 216)]
DOT_R = 34.0
RING_R = 150.0
RING_HALF_WIDTH = 7.0
DASH, GAP = 24.0, 20.0


def rounded_square(x, y):
    """Signed distance to the rounded background square (negative inside)."""
    half = DESIGN / 2
    qx = abs(x - half) - (half - CORNER)
    qy = abs(y - half) - (half - CORNER)
    outside = math.hypot(max(qx, 0.0), max(qy, 0.0))
    inside = min(max(qx, qy), 0.0)
    return outside + inside - CORNER


def dashed_ring(x, y):
    """Signed distance to the dashed ring: the ring band intersected with the dashes,
    measured along the arc like SVG's stroke-dasharray (starting at 3 o'clock)."""
    dx, dy = x - 256.0, y - 256.0
    radius = math.hypot(dx, dy)
    band = abs(radius - RING_R) - RING_HALF_WIDTH
    along = (math.atan2(dy, dx) % (2 * math.pi)) * RING_R
    m = along % (DASH + GAP)
    dash = -min(m, DASH - m) if m < DASH else min(m - DASH, DASH + GAP - m)
    return max(band, dash)


def dots(x, y):
    return min(math.hypot(x - cx, y - cy) - DOT_R for cx, cy in DOTS)


def coverage(distance_px):
    """Fraction of a pixel covered by a shape, from the distance to its edge."""
    return min(max(0.5 - distance_px, 0.0), 1.0)


def render(size, full_bleed):
    """RGBA rows. `full_bleed` fills the whole square (maskable and Apple icons, which
    the platform crops to its own shape); otherwise corners are transparent."""
    scale = DESIGN / size
    rows = []
    for py in range(size):
        row = bytearray()
        y = (py + 0.5) * scale
        for px in range(size):
            x = (px + 0.5) * scale
            alpha = 1.0 if full_bleed else coverage(rounded_square(x, y) / scale)
            fg = coverage(min(dots(x, y), dashed_ring(x, y)) / scale)
            for bg_c, fg_c in zip(TEAL, LIGHT):
                row.append(round(bg_c + (fg_c - bg_c) * fg))
            row.append(round(alpha * 255))
        rows.append(bytes(row))
    return rows


def png(size, rows, with_alpha):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    colour_type = 6 if with_alpha else 2
    raw = bytearray()
    for row in rows:
        raw.append(0)  # filter: none
        if with_alpha:
            raw += row
        else:
            for i in range(0, len(row), 4):
                raw += row[i : i + 3]
    header = struct.pack(">IIBBBBB", size, size, 8, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(raw), 9))
        + chunk(b"IEND", b"")
    )


def main():
    # The design's content stays within 160 of 256 units from the centre, inside the
    # maskable safe zone (a circle of 40 % of the size), so no shrinking is needed.
    icons = [
        ("icon-192.png", 192, False, True),
        ("icon-512.png", 512, False, True),
        ("icon-maskable-512.png", 512, True, True),
        # iOS puts transparent pixels on black: give it an opaque square.
        ("apple-touch-icon.png", 180, True, False),
    ]
    for name, size, full_bleed, with_alpha in icons:
        data = png(size, render(size, full_bleed), with_alpha)
        (OUT / name).write_bytes(data)
        print(f"wrote {OUT / name} ({len(data)} bytes)")


if __name__ == "__main__":
    main()
