"""Print the pinned requirements of Home Assistant components (for scripts/develop)."""

from __future__ import annotations

import json
from pathlib import Path
import sys

import homeassistant.components


def requirements(domains: list[str]) -> list[str]:
    """Return the requirements listed in the manifests of ``domains``."""
    root = Path(homeassistant.components.__path__[0])
    found: list[str] = []
    for domain in domains:
        manifest = json.loads((root / domain / "manifest.json").read_text(encoding="utf-8"))
        found += manifest.get("requirements", [])
    return found


if __name__ == "__main__":
    print(" ".join(requirements(sys.argv[1:])))
