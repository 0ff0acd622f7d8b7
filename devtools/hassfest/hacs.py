"""HACS ``validate.py`` checks: ``hacs.json`` and the repository layout."""

from pathlib import Path
import re
from typing import Any

from awesomeversion import AwesomeVersion

from .common import HA_VERSION, rel

HACS_ALLOWED_KEYS = frozenset(
    {
        "name",
        "content_in_root",
        "country",
        "filename",
        "hacs",
        "hide_default_branch",
        "homeassistant",
        "persistent_directory",
        "render_readme",
        "zip_release",
    }
)
HACS_BOOL_KEYS = ("content_in_root", "hide_default_branch", "render_readme", "zip_release")


def check_hacs(hacs: Any) -> list[str]:
    """Check ``hacs.json`` against the HACS schema."""
    if not isinstance(hacs, dict):
        return ["hacs.json must contain a JSON object"]
    problems = []
    if unknown := sorted(set(hacs) - HACS_ALLOWED_KEYS):
        problems.append(f"unknown keys {unknown} (the HACS schema rejects them)")
    if not isinstance(hacs.get("name"), str) or not hacs.get("name", "").strip():
        problems.append("name is required and must be a non-empty string")
    problems += [
        f"{key} must be a boolean"
        for key in HACS_BOOL_KEYS
        if key in hacs and not isinstance(hacs[key], bool)
    ]
    problems += [
        f"{key} must be a string"
        for key in ("filename", "persistent_directory")
        if key in hacs and not isinstance(hacs[key], str)
    ]
    if hacs.get("zip_release") and "filename" not in hacs:
        problems.append("zip_release requires filename")
    if "country" in hacs:
        countries = hacs["country"] if isinstance(hacs["country"], list) else [hacs["country"]]
        bad = [c for c in countries if not (isinstance(c, str) and re.fullmatch(r"[A-Z]{2}", c))]
        if bad:
            problems.append(f"country must be ISO 3166-1 alpha-2 code(s), got {bad}")
    for key in ("homeassistant", "hacs"):
        if key not in hacs:
            continue
        value = hacs[key]
        if not isinstance(value, str) or not AwesomeVersion(value).valid:
            problems.append(f"{key} {value!r} is not a valid version")
        elif key == "homeassistant" and AwesomeVersion(value) > AwesomeVersion(HA_VERSION):
            problems.append(
                f"homeassistant {value!r} is newer than the supported {HA_VERSION}: "
                "HACS would refuse to install on it"
            )
    return problems


def check_single_integration(custom_components: Path, domain: str) -> list[str]:
    """HACS: ``custom_components/`` must hold exactly the one integration ``domain``."""
    if not custom_components.is_dir():
        return [f"{rel(custom_components, custom_components.parent)} does not exist"]
    dirs = sorted(
        p.name
        for p in custom_components.iterdir()
        if p.is_dir() and p.name != "__pycache__" and not p.name.startswith(".")
    )
    if dirs != [domain]:
        return [f"custom_components/ must hold exactly one integration ({domain!r}), found {dirs}"]
    return []
