"""HACS / brands checks: brand image names and PNG sizes (read from the IHDR chunk)."""

from pathlib import Path
import struct

# name -> (exact size) or (min shortest side, max shortest side)
BRAND_EXACT = {
    "icon.png": (256, 256),
    "dark_icon.png": (256, 256),
    "icon@2x.png": (512, 512),
    "dark_icon@2x.png": (512, 512),
}
BRAND_LOGO_SHORT_SIDE = {
    "logo.png": (128, 256),
    "dark_logo.png": (128, 256),
    "logo@2x.png": (256, 512),
    "dark_logo@2x.png": (256, 512),
}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """Return (width, height) from a PNG's IHDR chunk; raise ValueError if not a PNG."""
    with path.open("rb") as handle:
        head = handle.read(24)
    if len(head) < 24 or head[:8] != PNG_SIGNATURE or head[12:16] != b"IHDR":
        raise ValueError("not a PNG file")
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def check_brand(brand_dir: Path) -> list[str]:
    """Check the brand image names and PNG sizes in ``brand_dir``."""
    problems = [
        f"brand/{name} is missing"
        for name in ("icon.png", "icon@2x.png")
        if not (brand_dir / name).is_file()
    ]
    if not brand_dir.is_dir():
        return problems
    for path in sorted(brand_dir.iterdir()):
        name = path.name
        if name not in BRAND_EXACT and name not in BRAND_LOGO_SHORT_SIDE:
            problems.append(f"brand/{name} is not a recognised brand image name")
            continue
        try:
            width, height = png_size(path)
        except ValueError as err:
            problems.append(f"brand/{name}: {err}")
            continue
        if name in BRAND_EXACT and (width, height) != BRAND_EXACT[name]:
            problems.append(f"brand/{name} is {width}x{height}, must be {BRAND_EXACT[name]}")
        if name in BRAND_LOGO_SHORT_SIDE:
            low, high = BRAND_LOGO_SHORT_SIDE[name]
            if not low <= min(width, height) <= high:
                problems.append(
                    f"brand/{name} is {width}x{height}: shortest side must be {low}-{high}"
                )
    return problems
