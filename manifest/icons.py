"""Läget's two Teams app icons, drawn with Pillow when the package is built.

The symbol is a speech bubble (you ask in chat) holding three bars that rise to a check-mark
height (the follow-up of assignments and figures). Teams wants a 192×192 full-colour icon
and a 32×32 outline icon that is white on a transparent background.

Both are drawn at a multiple of their size and scaled down, which gives smooth edges. The
outline icon is built from an alpha mask only, so every pixel is pure white and only its
transparency varies, as Teams requires. Drawing is deterministic: the same code gives the
same PNG bytes.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

COLOR_SIZE = 192
OUTLINE_SIZE = 32
ACCENT = "#1F5C99"  # Läget blue; also the manifest's accentColor
WHITE = (255, 255, 255)
BAR_COLOR = (31, 92, 153)
CHECK_COLOR = (46, 160, 67)

_SUPERSAMPLE = 8


def _bubble(draw: ImageDraw.ImageDraw, box: tuple[float, float, float, float], fill: int | tuple,
            outline: int | tuple | None = None, width: int = 0) -> None:
    """A rounded speech bubble in `box` with its tail at the lower left."""
    x0, y0, x1, y1 = box
    h = y1 - y0
    radius = h * 0.22
    body_bottom = y1 - h * 0.18
    tail = [(x0 + h * 0.18, body_bottom - 1), (x0 + h * 0.12, y1), (x0 + h * 0.42, body_bottom - 1)]
    draw.rounded_rectangle((x0, y0, x1, body_bottom), radius=radius, fill=fill,
                           outline=outline, width=width)
    draw.polygon(tail, fill=fill)
    if outline is not None and width:
        # Close the outline along the tail; the body's edge under the tail is covered by fill.
        draw.line([tail[0], tail[1], tail[2]], fill=outline, width=width, joint="curve")
        draw.line([(tail[0][0] + width, body_bottom - width / 2),
                   (tail[2][0] - width, body_bottom - width / 2)], fill=fill, width=width)


def _bars(box: tuple[float, float, float, float]) -> list[tuple[float, float, float, float]]:
    """Three rising bars inside the bubble's body."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    bottom = y0 + h * 0.64
    bar_w = w * 0.13
    gap = w * 0.08
    left = x0 + (w - 3 * bar_w - 2 * gap) / 2
    heights = (0.18, 0.30, 0.42)
    return [
        (left + i * (bar_w + gap), bottom - h * frac, left + i * (bar_w + gap) + bar_w, bottom)
        for i, frac in enumerate(heights)
    ]


def draw_color_icon() -> Image.Image:
    """192×192, Läget blue background, white bubble with blue bars and a green tick."""
    s = COLOR_SIZE * _SUPERSAMPLE
    image = Image.new("RGB", (s, s), ACCENT)
    draw = ImageDraw.Draw(image)
    # Teams crops nothing, but keeps the symbol inside the central safe area.
    box = (s * 0.2, s * 0.22, s * 0.8, s * 0.8)
    _bubble(draw, box, fill=WHITE)
    for bar in _bars(box):
        draw.rectangle(bar, fill=BAR_COLOR)
    # A tick over the tallest bar: "on plan".
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    tick = [(x0 + w * 0.62, y0 + h * 0.14), (x0 + w * 0.70, y0 + h * 0.21),
            (x0 + w * 0.84, y0 + h * 0.06)]
    draw.line(tick, fill=CHECK_COLOR, width=int(s * 0.03), joint="curve")
    return image.resize((COLOR_SIZE, COLOR_SIZE), Image.Resampling.LANCZOS)


def draw_outline_icon() -> Image.Image:
    """32×32, white strokes on transparent: the bubble's outline and the three bars."""
    s = OUTLINE_SIZE * _SUPERSAMPLE
    mask = Image.new("L", (s, s), 0)
    draw = ImageDraw.Draw(mask)
    stroke = int(s * 0.075)
    box = (s * 0.06, s * 0.08, s * 0.94, s * 0.94)
    _bubble(draw, box, fill=0, outline=255, width=stroke)
    for bar in _bars(box):
        draw.rectangle(bar, fill=255)
    alpha = mask.resize((OUTLINE_SIZE, OUTLINE_SIZE), Image.Resampling.LANCZOS)
    image = Image.new("RGBA", (OUTLINE_SIZE, OUTLINE_SIZE), (*WHITE, 0))
    image.putalpha(alpha)
    return image


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
