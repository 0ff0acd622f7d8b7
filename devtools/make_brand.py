"""
Draw the Energy Meters brand icon.

Writes ``custom_components/energy_meters/brand/icon.png`` (256x256) and
``icon@2x.png`` (512x512), the files Home Assistant (2026.3+) serves for a
custom integration and HACS looks for.

The glyph is a blue rounded square holding a meter dial (a white 240° scale
with tick marks and an amber high-load zone), a yellow lightning bolt over the
dial and a small odometer-style register underneath. It is drawn with
supersampling at 2048 px, downscaled with LANCZOS to 512 px and again to 256 px,
on a transparent background and trimmed to its content.

Run from the repository root::

    scripts/run 'python -m devtools.make_brand'
"""

import argparse
import math
from pathlib import Path
import sys

from PIL import Image, ImageChops, ImageDraw, ImageFilter

REPO_ROOT = Path(__file__).resolve().parents[1]
BRAND_DIR = REPO_ROOT / "custom_components" / "energy_meters" / "brand"

SUPERSAMPLE = 2048
SIZES = {"icon@2x.png": 512, "icon.png": 256}

TOP_COLOUR = (41, 128, 230)
BOTTOM_COLOUR = (16, 78, 160)
SCALE_COLOUR = (255, 255, 255, 235)
HOT_COLOUR = (255, 143, 0, 255)
BOLT_COLOUR = (255, 214, 10, 255)
BOLT_EDGE = (176, 110, 0, 255)
REGISTER_COLOUR = (10, 38, 82, 255)
DIGIT_COLOUR = (220, 236, 255, 255)

# Dial geometry, as fractions of the canvas.
DIAL_CENTRE = (0.5, 0.53)
DIAL_RADIUS = 0.34
DIAL_WIDTH = 0.055
# Pillow measures angles clockwise from 3 o'clock: 150° -> 390° sweeps over the top.
DIAL_START = 150.0
DIAL_END = 390.0
HOT_START = 340.0

# A lightning bolt in a unit box centred on the dial centre (x right, y down).
BOLT = (
    (0.12, -0.50),
    (-0.27, 0.07),
    (-0.03, 0.07),
    (-0.13, 0.50),
    (0.27, -0.09),
    (0.03, -0.09),
)
BOLT_HEIGHT = 0.42


def _gradient(size: int) -> Image.Image:
    """Return a vertical gradient from the top to the bottom colour."""
    column = Image.new("RGBA", (1, size))
    for y in range(size):
        t = y / (size - 1)
        colour = tuple(
            round(top + (bottom - top) * t)
            for top, bottom in zip(TOP_COLOUR, BOTTOM_COLOUR, strict=True)
        )
        column.putpixel((0, y), (*colour, 255))
    return column.resize((size, size))


def _polar(size: int, angle: float, radius: float) -> tuple[float, float]:
    """Return the canvas point at ``angle`` degrees and ``radius`` (fraction)."""
    cx, cy = DIAL_CENTRE[0] * size, DIAL_CENTRE[1] * size
    rad = math.radians(angle)
    return cx + math.cos(rad) * radius * size, cy + math.sin(rad) * radius * size


def _arc(
    draw: ImageDraw.ImageDraw,
    size: int,
    start: float,
    end: float,
    colour: tuple[int, int, int, int],
    caps: tuple[bool, bool] = (True, True),
) -> None:
    """Draw a thick dial arc, with round caps where ``caps`` says so."""
    r = DIAL_RADIUS * size
    cx, cy = DIAL_CENTRE[0] * size, DIAL_CENTRE[1] * size
    width = round(DIAL_WIDTH * size)
    draw.arc((cx - r, cy - r, cx + r, cy + r), start, end, fill=colour, width=width)
    cap = width / 2
    for angle, wanted in zip((start, end), caps, strict=True):
        if not wanted:
            continue
        x, y = _polar(size, angle, DIAL_RADIUS - DIAL_WIDTH / 2)
        draw.ellipse((x - cap, y - cap, x + cap, y + cap), fill=colour)


def _dial(size: int) -> Image.Image:
    """Return the dial layer: scale, high-load zone and tick marks."""
    layer = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    _arc(draw, size, DIAL_START, HOT_START, SCALE_COLOUR, caps=(True, False))
    _arc(draw, size, HOT_START, DIAL_END, HOT_COLOUR, caps=(False, True))
    tick_width = round(0.018 * size)
    steps = 8
    for i in range(steps + 1):
        angle = DIAL_START + (DIAL_END - DIAL_START) * i / steps
        inner = DIAL_RADIUS - DIAL_WIDTH - (0.055 if i % 2 == 0 else 0.035)
        outer = DIAL_RADIUS - DIAL_WIDTH - 0.015
        start = _polar(size, angle, inner)
        end = _polar(size, angle, outer)
        colour = HOT_COLOUR if angle > HOT_START else SCALE_COLOUR
        draw.line((start, end), fill=colour, width=tick_width)
        for x, y in (start, end):
            half = tick_width / 2
            draw.ellipse((x - half, y - half, x + half, y + half), fill=colour)
    return layer


def _bolt_points(size: int, dx: float = 0.0, dy: float = 0.0) -> list[tuple[float, float]]:
    """Return the bolt polygon in canvas coordinates."""
    cx, cy = DIAL_CENTRE[0] * size + dx, DIAL_CENTRE[1] * size + dy
    height = BOLT_HEIGHT * size
    return [(cx + x * height, cy + y * height) for x, y in BOLT]


def _bolt(size: int) -> Image.Image:
    """Return the lightning bolt layer with a soft drop shadow and a thin edge."""
    shadow = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    ImageDraw.Draw(shadow).polygon(
        _bolt_points(size, 0.012 * size, 0.018 * size), fill=(0, 20, 60, 120)
    )
    layer = shadow.filter(ImageFilter.GaussianBlur(0.012 * size))
    draw = ImageDraw.Draw(layer)
    points = _bolt_points(size)
    draw.polygon(points, fill=BOLT_COLOUR)
    draw.line([*points, points[0]], fill=BOLT_EDGE, width=round(0.008 * size), joint="curve")
    return layer


def _register(size: int) -> Image.Image:
    """Return the odometer-style register drawn under the dial."""
    layer = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    cells = 5
    cell_w, cell_h, gap = 0.07 * size, 0.085 * size, 0.014 * size
    total_w = cells * cell_w + (cells + 1) * gap
    left = (size - total_w) / 2
    top = 0.80 * size
    draw.rounded_rectangle(
        (left, top, left + total_w, top + cell_h + 2 * gap),
        radius=0.03 * size,
        fill=REGISTER_COLOUR,
    )
    bar_h = 0.014 * size
    for i in range(cells):
        x0 = left + gap + i * (cell_w + gap)
        y0 = top + gap
        colour = HOT_COLOUR if i == cells - 1 else DIGIT_COLOUR
        draw.rounded_rectangle(
            (x0, y0, x0 + cell_w, y0 + cell_h), radius=0.012 * size, fill=(255, 255, 255, 40)
        )
        # A stylised digit: one short bar, like a rolling counter wheel.
        mid = y0 + cell_h / 2
        draw.rounded_rectangle(
            (x0 + cell_w * 0.25, mid - bar_h / 2, x0 + cell_w * 0.75, mid + bar_h / 2),
            radius=bar_h / 2,
            fill=colour,
        )
    return layer


def draw_icon(size: int = SUPERSAMPLE) -> Image.Image:
    """Return the full icon at ``size`` x ``size`` with a transparent background."""
    mask = Image.new("L", (size, size), 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, size - 1, size - 1), radius=0.22 * size, fill=255)
    icon = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    icon.paste(_gradient(size), (0, 0), mask)
    for layer in (_dial(size), _register(size), _bolt(size)):
        icon = Image.alpha_composite(icon, layer)
    # Clip everything to the rounded square so nothing spills onto the transparent corners.
    alpha = ImageChops.multiply(icon.getchannel("A"), mask)
    icon.putalpha(alpha)
    return icon


def trim_square(image: Image.Image) -> Image.Image:
    """Crop transparent margins, then centre the content on a square canvas."""
    bbox = image.getchannel("A").getbbox()
    if bbox is None:
        return image
    cropped = image.crop(bbox)
    side = max(cropped.size)
    square = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    square.paste(cropped, ((side - cropped.width) // 2, (side - cropped.height) // 2))
    return square


def render(out_dir: Path = BRAND_DIR) -> list[Path]:
    """Render every icon size into ``out_dir`` and return the written paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    large = trim_square(draw_icon())
    written = []
    previous = large
    for name, px in sorted(SIZES.items(), key=lambda item: -item[1]):
        previous = previous.resize((px, px), Image.Resampling.LANCZOS)
        path = out_dir / name
        previous.save(path, format="PNG", optimize=True)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and render the icons."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=BRAND_DIR, help="output directory")
    args = parser.parse_args(argv)
    for path in render(args.out_dir):
        sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
