"""Hassfest's ``icons.json`` checks, plus: every icon key exists in ``en.json``."""

from typing import Any

from .common import dotted, flatten, get_node
from .translations import RE_HTML, check_keys

ICON_ENTITY_KEYS = frozenset({"default", "state", "state_attributes", "range"})
ICON_TOP_KEYS = frozenset({"entity", "services", "config", "options", "issues"})
# States an entity of the platform has without translating them itself
# (binary sensors are always on/off; their state names come from the device class).
BUILTIN_STATES = {"binary_sensor": frozenset({"on", "off"})}


def check_icons(icons: Any, en: dict[str, Any]) -> list[str]:
    """Check ``icons.json``: mdi icon names, schema, keys present in ``en.json``."""
    problems: list[str] = []
    if not check_keys(icons, ICON_TOP_KEYS, "icons.json", problems):
        return problems
    for path, value in flatten(icons).items():
        where = f"icons.json {dotted(path)}"
        if not isinstance(value, str) or not value.startswith("mdi:") or len(value) <= 4:
            problems.append(f"{where} must be an 'mdi:<name>' string, got {value!r}")
        elif RE_HTML.search(value) or value != value.strip():
            problems.append(f"{where} is not a valid icon name")
    entity = icons.get("entity", {})
    if not isinstance(entity, dict):
        return [*problems, "icons.json entity must be an object"]
    for platform, keys in entity.items():
        if not isinstance(keys, dict):
            problems.append(f"icons.json entity.{platform} must be an object")
            continue
        for key, spec in keys.items():
            where = f"icons.json entity.{platform}.{key}"
            translated = get_node(en, ["entity", platform, key])
            if not isinstance(translated, dict):
                problems.append(f"{where}: no entity.{platform}.{key} in en.json")
                translated = {}
            if not check_keys(spec, ICON_ENTITY_KEYS, where, problems):
                continue
            states = spec.get("state", {})
            builtin = BUILTIN_STATES.get(platform, frozenset())
            problems.extend(
                f"{where}.state.{state}: not a state in en.json"
                for state in (states if isinstance(states, dict) else {})
                if state not in (translated.get("state") or {}) and state not in builtin
            )
            for bound in spec.get("range", {}) or {}:
                try:
                    float(bound)
                except ValueError:
                    problems.append(f"{where}.range.{bound}: range keys must be numbers")
    return problems
