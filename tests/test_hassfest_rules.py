"""Offline stand-ins for the hassfest and HACS checks, run on this repository.

Neither hassfest (it needs a Home Assistant core checkout) nor the HACS action
(a GitHub action) can run in our registry-only CI, so this module re-implements
what they check on our files, plus a few cross-checks between the code and the
translation files that catch untranslated UI strings before a user sees a raw key.

Every check is a plain function returning a list of problems (empty = fine), so
the checkers can be unit-tested against small in-memory or ``tmp_path`` inputs
(the ``test_checker_*`` functions at the bottom). The ``test_*`` functions at the
top run them on the real files, found through the module-level ``INTEGRATION_DIR``
(tests may monkeypatch it). A missing real file is a failure, never a skip.

Sources mirrored (Home Assistant 2026.10.4 / core ``script/hassfest``):

* ``manifest.py``: custom-integration manifest schema, key order (``domain``,
  ``name``, then alphabetical), documentation URL, iot_class, version strategies.
* ``homeassistant/loader.py``: the runtime check that blocks a custom integration
  without a valid AwesomeVersion ``version`` (we also run the real loader).
* ``dependencies.py``: every ``homeassistant.components.X`` imported outside a
  ``TYPE_CHECKING`` block must be allowed. X is allowed when it is:

  1. in manifest ``dependencies`` or ``after_dependencies``;
  2. an entity platform (``homeassistant.const.Platform``, e.g. sensor, binary_sensor);
     hassfest allows these because the entity component is loaded anyway;
  3. a component for which the integration ships ``X.py`` or an ``X/`` package
     (``diagnostics.py`` may import ``homeassistant.components.diagnostics``,
     ``repairs.py`` may import ``homeassistant.components.repairs``);
  4. one of the always-loaded core internals in ``ALWAYS_ALLOWED_COMPONENTS``
     (a deliberately small subset of hassfest's ``ALLOWED_USED_COMPONENTS``);
  5. a discovery integration implied by a manifest matcher
     (``homeassistant.requirements.DISCOVERY_INTEGRATIONS``, e.g. ``zeroconf``).

  ``recorder``, ``usb`` and ``energy`` are therefore only fine when listed.
* ``translations.py`` / ``icons.py``: the schema and string rules applied to
  ``translations/en.json`` and ``icons.json`` (no HTML, no URLs, no surrounding
  whitespace, valid translation keys, ``data_description`` keys within ``data``).
  Custom integrations cannot use ``strings.json`` or ``[%key:...%]`` references.
  Beyond hassfest: the three languages have identical key trees and the same
  placeholders per string; ``icons.json`` keys exist in ``en.json`` (binary-sensor
  ``on``/``off`` icon states need no translation: they are built in).
* ``usb.py`` / manifest usb schema, plus our own rule: no bare generic USB-serial
  bridge VID:PID (FTDI, CP210x, CH340, PL2303) without a ``description`` glob or a
  product-specific ``manufacturer`` glob (``*ftdi*`` and the like do not count).
* ``quality_scale.py``: rule names and ``done``/``todo``/``{status, comment}`` form.
* HACS ``validate.py``: the ``hacs.json`` keys, one integration, brand images.

Code-to-translation checks (what a user would otherwise see as a raw key):
config/options flow steps, menu options, errors, aborts, form fields and
description placeholders (``config_flow.py``, parsed with ``ast``); entity,
device, exception and issue ``translation_key`` values anywhere in the package,
including keys built by helpers from their arguments. Entity keys computed from
data (e.g. a label table) are checked through ``all_entity_descriptions()``
(``CATALOGUE_MODULE``, or any package module defining it at top level).

Config-flow abort reasons that Home Assistant 2026.10.4 translates itself (it
passes ``translation_domain="homeassistant"``: ``already_in_progress``,
``single_instance_allowed`` and the default ``reauth_successful`` /
``reconfigure_successful`` of ``async_update_reload_and_abort``) are not required
in our files; an explicit ``reason=`` always is.
"""

import ast
from collections import defaultdict
import contextlib
from dataclasses import dataclass, field
import functools
import importlib
import json
import logging
from pathlib import Path
import re
import string
import struct
import sys
import types
from typing import TYPE_CHECKING, Any
import zlib

from awesomeversion import AwesomeVersion, AwesomeVersionException, AwesomeVersionStrategy
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
import pytest
import yaml

if TYPE_CHECKING:
    from collections.abc import Iterable

REPO_ROOT = Path(__file__).parents[1]
INTEGRATION_DIR = REPO_ROOT / "custom_components" / "energy_meters"
# Module exposing ``all_entity_descriptions()`` -> iterable of (platform, EntityDescription).
CATALOGUE_MODULE: str | None = "custom_components.energy_meters.sensor"
REQUIRED_LANGUAGES = ("en", "fr", "de")
HA_VERSION = "2026.10.4"

# --------------------------------------------------------------------------- rule data

MANIFEST_REQUIRED_KEYS = (
    "domain",
    "name",
    "version",
    "documentation",
    "issue_tracker",
    "codeowners",
)
MANIFEST_ALLOWED_KEYS = frozenset(
    {
        "domain",
        "name",
        "after_dependencies",
        "bluetooth",
        "codeowners",
        "config_flow",
        "dependencies",
        "dhcp",
        "disabled",
        "documentation",
        "homekit",
        "import_executor",
        "integration_type",
        "iot_class",
        "issue_tracker",
        "loggers",
        "mqtt",
        "preview_features",
        "quality_scale",
        "requirements",
        "single_config_entry",
        "ssdp",
        "usb",
        "version",
        "zeroconf",
    }
)
IOT_CLASSES = frozenset(
    {"assumed_state", "cloud_polling", "cloud_push", "local_polling", "local_push", "calculated"}
)
INTEGRATION_TYPES = frozenset(
    {"device", "entity", "hardware", "helper", "hub", "service", "system", "virtual"}
)
QUALITY_SCALES = frozenset({"bronze", "silver", "gold", "platinum", "internal", "legacy", "custom"})
# The loader (homeassistant/loader.py) and hassfest accept these version schemes.
VERSION_STRATEGIES = [
    AwesomeVersionStrategy.CALVER,
    AwesomeVersionStrategy.SEMVER,
    AwesomeVersionStrategy.SIMPLEVER,
    AwesomeVersionStrategy.BUILDVER,
    AwesomeVersionStrategy.PEP440,
]
USB_MATCHER_KEYS = frozenset(
    {"vid", "pid", "serial_number", "manufacturer", "description", "known_devices"}
)
# Generic USB-serial bridge chips found in thousands of unrelated devices. Matching
# them without a description glob would offer our integration for every one of them.
GENERIC_USB_SERIAL = frozenset(
    {
        ("0403", "6001"),  # FTDI FT232R
        ("0403", "6010"),  # FTDI FT2232
        ("0403", "6011"),  # FTDI FT4232
        ("0403", "6014"),  # FTDI FT232H
        ("0403", "6015"),  # FTDI FT-X
        ("10C4", "EA60"),  # Silicon Labs CP210x
        ("1A86", "7523"),  # WCH CH340
        ("067B", "2303"),  # Prolific PL2303
    }
)
# Globs made only of these words still match every adapter built on the chip.
GENERIC_CHIP_WORDS = (
    "ftdi",
    "ft232",
    "ft230",
    "ft231",
    "usb serial",
    "usb-serial",
    "usb uart",
    "silicon labs",
    "cp210",
    "ch340",
    "ch341",
    "wch",
    "prolific",
    "pl2303",
)
CODEOWNER_RE = re.compile(r"^@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:/[A-Za-z0-9_.-]+)?$")

# Small, explicit subset of hassfest's ALLOWED_USED_COMPONENTS: core internals that
# are always set up, so importing them needs no manifest entry.
ALWAYS_ALLOWED_COMPONENTS = frozenset(
    {"homeassistant", "persistent_notification", "system_health", "websocket_api"}
)

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

# From core script/hassfest/translations.py.
RE_TRANSLATION_KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
RE_SLUG = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")
RE_HTML = re.compile(r"<[a-z].*?>", re.IGNORECASE)
RE_COMBINED_REFERENCE = re.compile(r"(.+\[%)|(%\].+)")
RE_PLACEHOLDER_IN_SINGLE_QUOTES = re.compile(r"'{\w+}'")
RE_URL = re.compile(
    r"(((ftp|ftps|scp|http|https|mqtt|mqtts|socket|socks5):\/\/|www\.)"
    r"[a-z0-9]+([\-\.]{1}[a-z0-9]+)*\.[a-z]{2,5}(:[0-9]{1,5})?(\/.*)?)",
    re.IGNORECASE,
)
TRANSLATION_TOP_KEYS = frozenset(
    {
        "title",
        "config",
        "config_subentries",
        "options",
        "preview_features",
        "selector",
        "device_automation",
        "system_health",
        "config_panel",
        "application_credentials",
        "issues",
        "entity_component",
        "device",
        "entity",
        "exceptions",
        "services",
        "conditions",
        "triggers",
        "conversation",
        "common",
    }
)
DATA_ENTRY_KEYS = frozenset(
    {"flow_title", "step", "error", "abort", "progress", "create_entry", "initiate_flow"}
)
STEP_KEYS = frozenset(
    {
        "title",
        "description",
        "data",
        "data_description",
        "menu_options",
        "menu_option_descriptions",
        "submit",
        "sections",
    }
)
SECTION_KEYS = frozenset({"name", "description", "data", "data_description"})
ENTITY_KEYS = frozenset({"name", "state", "state_attributes", "unit_of_measurement"})
ICON_ENTITY_KEYS = frozenset({"default", "state", "state_attributes", "range"})
ICON_TOP_KEYS = frozenset({"entity", "services", "config", "options", "issues"})
# States an entity of the platform has without translating them itself
# (binary sensors are always on/off; their state names come from the device class).
BUILTIN_STATES = {"binary_sensor": frozenset({"on", "off"})}

QUALITY_SCALE_RULES = frozenset(
    {
        # Bronze
        "action-setup",
        "appropriate-polling",
        "brands",
        "common-modules",
        "config-flow",
        "config-flow-test-coverage",
        "dependency-transparency",
        "docs-actions",
        "docs-conditions",
        "docs-high-level-description",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "docs-triggers",
        "entity-event-setup",
        "entity-unique-id",
        "has-entity-name",
        "runtime-data",
        "test-before-configure",
        "test-before-setup",
        "unique-config-entry",
        # Silver
        "action-exceptions",
        "config-entry-unloading",
        "docs-configuration-parameters",
        "docs-installation-parameters",
        "entity-unavailable",
        "integration-owner",
        "log-when-unavailable",
        "parallel-updates",
        "reauthentication-flow",
        "test-coverage",
        # Gold
        "devices",
        "diagnostics",
        "discovery",
        "discovery-update-info",
        "docs-data-update",
        "docs-examples",
        "docs-known-limitations",
        "docs-supported-devices",
        "docs-supported-functions",
        "docs-troubleshooting",
        "docs-use-cases",
        "dynamic-devices",
        "entity-category",
        "entity-device-class",
        "entity-disabled-by-default",
        "entity-translations",
        "exception-translations",
        "icon-translations",
        "reconfiguration-flow",
        "repair-issues",
        "stale-devices",
        # Platinum
        "async-dependency",
        "inject-websession",
        "strict-typing",
    }
)

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

# Flow helpers whose abort reason Home Assistant translates itself when not given.
HA_TRANSLATED_DEFAULT_ABORTS = frozenset(
    {"async_update_reload_and_abort", "async_update_and_abort"}
)
ISSUE_FUNCS = frozenset({"async_create_issue", "create_issue"})
SCHEMA_MARKERS = frozenset({"Required", "Optional", "Exclusive", "Inclusive"})


# --------------------------------------------------------------------------- small helpers


def _entity_platforms() -> frozenset[str]:
    from homeassistant.const import Platform

    return frozenset(p.value for p in Platform)


def _camel(platform: str) -> str:
    return "".join(part.capitalize() for part in platform.split("_"))


def read_json(path: Path) -> Any:
    """Load JSON, failing the calling test with a clear message when unusable."""
    if not path.is_file():
        pytest.fail(f"{_rel(path)} is missing")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as err:
        pytest.fail(f"{_rel(path)} is not valid JSON: {err}")


def _rel(path: Path) -> str:
    for base in (REPO_ROOT, INTEGRATION_DIR.parents[1]):
        try:
            return str(path.relative_to(base))
        except ValueError:
            continue
    return str(path)


def _fmt(problems: Iterable[str]) -> str:
    return "\n  - " + "\n  - ".join(problems)


def _assert_clean(problems: list[str], what: str) -> None:
    assert not problems, f"{what}: {len(problems)} problem(s){_fmt(problems)}"


def _get(tree: Any, path: Iterable[str]) -> Any:
    """Return the node at ``path`` (keys) in nested dicts, or None."""
    node = tree
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def flatten(tree: Any, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    """Return ``{key path: leaf}`` for a nested dict (empty dicts are leaves)."""
    if not isinstance(tree, dict) or not tree:
        return {prefix: tree}
    out: dict[tuple[str, ...], Any] = {}
    for key, value in tree.items():
        out.update(flatten(value, (*prefix, str(key))))
    return out


def _dotted(path: Iterable[str]) -> str:
    return ".".join(path)


def placeholders(value: str) -> set[str]:
    """Return the ``{name}`` placeholders of a string (str.format syntax, like hassfest)."""
    return {name for _, name, _, _ in string.Formatter().parse(value) if name}


def python_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _call_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _kw(call: ast.Call, name: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return None


def _base_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Subscript):
        node = node.value
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


@dataclass
class Constants:
    """Module-level string and string-list constants of the integration's modules."""

    strings: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    # string enums: class name -> {member: value}
    enums: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def collect(cls, files: Iterable[Path]) -> Constants:
        consts = cls()
        trees = [_parse(path) for path in files]
        for tree in trees:
            for stmt in tree.body:
                if isinstance(stmt, ast.ClassDef) and any(
                    (_base_name(base) or "").endswith("Enum") for base in stmt.bases
                ):
                    consts.enums[stmt.name] = {
                        item.targets[0].id: item.value.value
                        for item in stmt.body
                        if isinstance(item, ast.Assign)
                        and len(item.targets) == 1
                        and isinstance(item.targets[0], ast.Name)
                        and isinstance(item.value, ast.Constant)
                        and isinstance(item.value.value, str)
                    }
        # Two passes so that lists may reference string constants from other modules.
        for _ in range(2):
            for tree in trees:
                for stmt in tree.body:
                    target: ast.expr | None = None
                    value: ast.expr | None = None
                    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                        target, value = stmt.targets[0], stmt.value
                    elif isinstance(stmt, ast.AnnAssign):
                        target, value = stmt.target, stmt.value
                    if not isinstance(target, ast.Name) or value is None:
                        continue
                    if (text := consts.string(value)) is not None:
                        consts.strings[target.id] = text
                    elif (items := consts.string_list(value)) is not None:
                        consts.lists[target.id] = items
        return consts

    def string(self, node: ast.expr | None) -> str | None:
        """Resolve a string literal or a (possibly dotted) name of a string constant."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Attribute) and node.attr == "value":
            node = node.value  # MeterKind.LINKY.value
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in self.enums
        ):
            return self.enums[node.value.id].get(node.attr)
        name = node.id if isinstance(node, ast.Name) else None
        if isinstance(node, ast.Attribute):
            name = node.attr
        if name is None:
            return None
        if name in self.strings:
            return self.strings[name]
        from homeassistant import const as ha_const

        value = getattr(ha_const, name, None)
        return value if isinstance(value, str) and name.isupper() else None

    def choices(self, node: ast.expr | None) -> list[str] | None:
        """Resolve a string, or every branch of ``"a" if cond else "b"`` / ``x or "b"``."""
        if isinstance(node, ast.IfExp):
            branches = [self.choices(node.body), self.choices(node.orelse)]
        elif isinstance(node, ast.BoolOp):
            branches = [self.choices(value) for value in node.values]
        else:
            text = self.string(node)
            return None if text is None else [text]
        if any(branch is None for branch in branches):
            return None
        return [text for branch in branches if branch for text in branch]

    def string_list(self, node: ast.expr | None) -> list[str] | None:
        """Resolve a list/tuple/set literal of strings, or the name of one."""
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            items = [self.string(elt) for elt in node.elts]
            if all(item is not None for item in items):
                return [item for item in items if item is not None]
            return None
        if isinstance(node, ast.Name) and node.id in self.lists:
            return self.lists[node.id]
        # [kind.value for kind in MeterKind], list(MeterKind), sorted(MeterKind)
        if (
            isinstance(node, ast.Call)
            and _call_name(node) in {"list", "tuple", "sorted"}
            and len(node.args) == 1
        ):
            return self.string_list(node.args[0])
        if isinstance(node, ast.Name) and node.id in self.enums:
            return list(self.enums[node.id].values())
        if isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.SetComp)):
            (gen,) = node.generators if len(node.generators) == 1 else (None,)
            if (
                gen is not None
                and not gen.ifs
                and isinstance(gen.target, ast.Name)
                and isinstance(gen.iter, ast.Name)
                and gen.iter.id in self.enums
            ):
                var = gen.target.id
                elt = node.elt
                if isinstance(elt, ast.Attribute) and elt.attr == "value":
                    elt = elt.value
                if isinstance(elt, ast.Name) and elt.id == var:
                    return list(self.enums[gen.iter.id].values())
        return None

    def string_keys(self, node: ast.expr | None) -> set[str] | None:
        """Resolve the keys of a dict literal (``dict(a=...)`` too), or None."""
        if isinstance(node, ast.Dict):
            keys = [self.string(key) if key is not None else None for key in node.keys]
            if all(key is not None for key in keys):
                return {key for key in keys if key is not None}
            return None
        if (
            isinstance(node, ast.Call)
            and _call_name(node) == "dict"
            and not node.args
            and all(kw.arg is not None for kw in node.keywords)
        ):
            return {kw.arg for kw in node.keywords if kw.arg is not None}
        return None


# --------------------------------------------------------------------------- manifest


def manifest_key_order_problems(keys: list[str]) -> list[str]:
    """Hassfest's order: ``domain``, ``name``, then the other keys alphabetically."""
    expected = sorted(keys, key=lambda key: {"domain": ".domain", "name": ".name"}.get(key, key))
    if keys == expected:
        return []
    return [f"manifest keys must be ordered domain, name, then alphabetically: {expected}"]


def _https_url_problem(key: str, value: Any) -> str | None:
    if not isinstance(value, str) or not re.match(r"^https://[^\s/]+\.[^\s/]+(/\S*)?$", value):
        return f"{key} must be an https:// URL, got {value!r}"
    return None


def _usb_problems(matchers: Any) -> list[str]:
    if not isinstance(matchers, list):
        return [f"usb must be a list of matchers, got {type(matchers).__name__}"]
    problems = []
    for index, matcher in enumerate(matchers):
        where = f"usb[{index}]"
        if not isinstance(matcher, dict) or not matcher:
            problems.append(f"{where} must be a non-empty object")
            continue
        if unknown := sorted(set(matcher) - USB_MATCHER_KEYS):
            problems.append(f"{where} has unknown keys {unknown}")
        for key in ("vid", "pid"):
            value = matcher.get(key)
            if value is not None and (
                not isinstance(value, str) or not re.fullmatch(r"[0-9A-F]{4}", value)
            ):
                problems.append(f"{where}.{key} must be 4 uppercase hex digits, got {value!r}")
        for key in ("serial_number", "manufacturer", "description"):
            value = matcher.get(key)
            if value is not None and (not isinstance(value, str) or value != value.lower()):
                problems.append(f"{where}.{key} must be a lowercase string, got {value!r}")
        known = matcher.get("known_devices")
        if known is not None and (
            not isinstance(known, list) or not all(isinstance(item, str) for item in known)
        ):
            problems.append(f"{where}.known_devices must be a list of strings")
        vid_pid = (str(matcher.get("vid", "")).upper(), str(matcher.get("pid", "")).upper())
        if vid_pid in GENERIC_USB_SERIAL and not _usb_narrowed(matcher):
            problems.append(
                f"{where} matches the generic USB-serial bridge {vid_pid[0]}:{vid_pid[1]} "
                "without a `description` (or product-specific `manufacturer`) glob, e.g. "
                '"*teleinfo*": it would claim every adapter using that chip'
            )
    return problems


def _usb_narrowed(matcher: dict[str, Any]) -> bool:
    """Whether a description/manufacturer glob names the product, not the chip vendor."""
    for key in ("description", "manufacturer"):
        value = matcher.get(key)
        if (
            isinstance(value, str)
            and "*" in value
            and value.strip("*")
            and not any(chip in value for chip in GENERIC_CHIP_WORDS)
        ):
            return True
    return False


def _requirement_problems(requirements: Any) -> list[str]:
    if not isinstance(requirements, list):
        return [f"requirements must be a list, got {type(requirements).__name__}"]
    from homeassistant import requirements as ha_requirements

    constraints = _ha_constraints()
    problems = []
    for item in requirements:
        if not isinstance(item, str):
            problems.append(f"requirement {item!r} is not a string")
            continue
        try:
            req = Requirement(item)
        except InvalidRequirement as err:
            problems.append(f"requirement {item!r} is not valid PEP 508: {err}")
            continue
        name = canonicalize_name(req.name)
        if name in {canonicalize_name(n) for n in ha_requirements.DEPRECATED_PACKAGES}:
            problems.append(f"requirement {item!r} is deprecated by Home Assistant")
        pinned = constraints.get(name)
        if (
            pinned is not None
            and req.specifier
            and not req.specifier.contains(pinned, prereleases=True)
        ):
            problems.append(
                f"requirement {item!r} conflicts with Home Assistant's constraint "
                f"{req.name}=={pinned} (package_constraints.txt): pip would refuse to install it"
            )
    return problems


def _ha_constraints() -> dict[str, str]:
    """Return ``{canonical name: pinned version}`` from HA's package_constraints.txt."""
    import homeassistant

    path = Path(homeassistant.__file__).parent / "package_constraints.txt"
    pins: dict[str, str] = {}
    if not path.is_file():
        return pins
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if "==" not in line or line.startswith("-"):
            continue
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        specs = list(req.specifier)
        if len(specs) == 1 and specs[0].operator == "==" and req.marker is None:
            pins[canonicalize_name(req.name)] = specs[0].version
    return pins


def check_manifest(manifest: Any, integration_dir: Path) -> list[str]:
    """Check manifest.json like hassfest (custom schema) and HACS do."""
    if not isinstance(manifest, dict):
        return ["manifest.json must contain a JSON object"]
    problems = manifest_key_order_problems(list(manifest))
    problems += [
        f"missing required key {key!r}" for key in MANIFEST_REQUIRED_KEYS if key not in manifest
    ]
    if unknown := sorted(set(manifest) - MANIFEST_ALLOWED_KEYS):
        problems.append(f"unknown keys {unknown} (hassfest rejects them)")

    if manifest.get("domain") != integration_dir.name:
        problems.append(
            f"domain {manifest.get('domain')!r} does not match directory {integration_dir.name!r}"
        )
    if not isinstance(manifest.get("name"), str) or not manifest.get("name", "").strip():
        problems.append("name must be a non-empty string")

    if "documentation" in manifest:
        doc = manifest["documentation"]
        if problem := _https_url_problem("documentation", doc):
            problems.append(problem)
        elif doc.startswith("https://www.home-assistant.io/integrations"):
            problems.append("documentation must not point to www.home-assistant.io/integrations")
    if "issue_tracker" in manifest and (
        problem := _https_url_problem("issue_tracker", manifest["issue_tracker"])
    ):
        problems.append(problem)

    owners = manifest.get("codeowners")
    if "codeowners" in manifest and (
        not isinstance(owners, list)
        or not owners
        or not all(isinstance(o, str) and CODEOWNER_RE.match(o) for o in owners)
    ):
        problems.append(f"codeowners must be a non-empty list of '@user' handles, got {owners!r}")

    if "version" in manifest:
        version = manifest["version"]
        try:
            if not isinstance(version, str):
                raise AwesomeVersionException(version)
            AwesomeVersion(version, ensure_strategy=VERSION_STRATEGIES)
        except AwesomeVersionException:
            problems.append(
                f"version {version!r} is not a valid AwesomeVersion "
                "(calver/semver/simplever/buildver/pep440): HA would block the integration"
            )

    iot_class = manifest.get("iot_class")
    if iot_class is None:
        problems.append("iot_class is missing (hassfest: 'Domain is missing an IoT Class')")
    elif iot_class not in IOT_CLASSES:
        problems.append(f"iot_class {iot_class!r} not in {sorted(IOT_CLASSES)}")
    if (itype := manifest.get("integration_type")) is not None and itype not in INTEGRATION_TYPES:
        problems.append(f"integration_type {itype!r} not in {sorted(INTEGRATION_TYPES)}")
    if (scale := manifest.get("quality_scale")) is not None and scale not in QUALITY_SCALES:
        problems.append(f"quality_scale {scale!r} not in {sorted(QUALITY_SCALES)}")

    for key in ("config_flow", "single_config_entry", "import_executor"):
        if key in manifest and not isinstance(manifest[key], bool):
            problems.append(f"{key} must be a boolean")
    has_flow_file = (integration_dir / "config_flow.py").is_file()
    if manifest.get("config_flow") is True and not has_flow_file:
        problems.append("config_flow is true but config_flow.py does not exist")
    if has_flow_file and manifest.get("config_flow") is not True:
        problems.append("config_flow.py exists but manifest config_flow is not true")

    deps: dict[str, list[str]] = {}
    for key in ("dependencies", "after_dependencies", "loggers"):
        value = manifest.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append(f"{key} must be a list of strings")
            value = []
        elif len(set(value)) != len(value):
            problems.append(f"{key} has duplicates")
        deps[key] = value
    if "usb" not in deps["dependencies"]:
        problems.append(
            '"usb" must be in dependencies (serial-port selector ownership, USB discovery)'
        )
    if both := sorted(set(deps["dependencies"]) & set(deps["after_dependencies"])):
        problems.append(f"{both} listed in both dependencies and after_dependencies")

    if "usb" in manifest:
        problems += _usb_problems(manifest["usb"])
    if "requirements" in manifest:
        problems += _requirement_problems(manifest["requirements"])
    return problems


def check_with_ha_loader(integration_dir: Path) -> list[str]:
    """Resolve the integration with Home Assistant's own loader, as HA does at startup."""
    from homeassistant import loader

    fake_hass = types.SimpleNamespace(
        data={
            loader.DATA_PRELOAD_PLATFORMS: set(),
            loader.DATA_COMPONENTS: {},
            loader.DATA_MISSING_PLATFORMS: {},
        }
    )
    root = types.ModuleType("custom_components")
    root.__path__ = [str(integration_dir.parent)]
    errors: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.ERROR:
                errors.append(record.getMessage())

    handler = _Collect()
    logger = logging.getLogger(loader.__name__)
    logger.addHandler(handler)
    try:
        integration = loader.Integration.resolve_from_root(
            fake_hass,  # type: ignore[arg-type]
            root,
            integration_dir.name,
        )
    finally:
        logger.removeHandler(handler)
    if integration is None:
        return [f"homeassistant.loader refused the integration: {errors or 'not found'}"]
    problems = [f"loader error: {message}" for message in errors]
    if integration.version is None:
        problems.append("loader sees no version")
    if integration.is_built_in:
        problems.append("loader thinks the integration is built in")
    return problems


# --------------------------------------------------------------------------- dependencies


def referenced_components(integration_dir: Path) -> dict[str, set[str]]:
    """Return ``{component: {file:line, ...}}`` for ``homeassistant.components.X`` imports.

    Imports inside ``if TYPE_CHECKING:`` are ignored, like hassfest does.
    """
    found: dict[str, set[str]] = defaultdict(set)

    class Collector(ast.NodeVisitor):
        def __init__(self, path: Path) -> None:
            self.path = path

        def _add(self, component: str, node: ast.stmt) -> None:
            found[component].add(f"{_rel(self.path)}:{node.lineno}")

        def visit_If(self, node: ast.If) -> None:
            if not _is_type_checking(node.test):
                self.generic_visit(node)

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            if node.module is None or node.level:
                return
            if node.module.startswith("homeassistant.components."):
                self._add(node.module.split(".")[2], node)
            elif node.module == "homeassistant.components":
                for alias in node.names:
                    self._add(alias.name, node)

        def visit_Import(self, node: ast.Import) -> None:
            for alias in node.names:
                if alias.name.startswith("homeassistant.components."):
                    self._add(alias.name.split(".")[2], node)

    for path in python_files(integration_dir):
        Collector(path).visit(_parse(path))
    return dict(found)


def check_dependencies(manifest: dict[str, Any], integration_dir: Path) -> list[str]:
    from homeassistant.requirements import DISCOVERY_INTEGRATIONS

    allowed = (
        set(_entity_platforms())
        | ALWAYS_ALLOWED_COMPONENTS
        | set(manifest.get("dependencies", []))
        | set(manifest.get("after_dependencies", []))
        | {integration_dir.name}
    )
    for domain, matcher_keys in DISCOVERY_INTEGRATIONS.items():
        if any(key in manifest for key in matcher_keys):
            allowed.add(domain)
    problems = []
    for component, where in sorted(referenced_components(integration_dir).items()):
        if component in allowed:
            continue
        if (integration_dir / f"{component}.py").is_file() or (
            integration_dir / component
        ).is_dir():
            continue
        problems.append(
            f"imports homeassistant.components.{component} ({', '.join(sorted(where))}) "
            "but it is not in manifest dependencies/after_dependencies"
        )
    return problems


# --------------------------------------------------------------------------- HACS / layout


def check_hacs(hacs: Any) -> list[str]:
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
    if not custom_components.is_dir():
        return [f"{_rel(custom_components)} does not exist"]
    dirs = sorted(
        p.name
        for p in custom_components.iterdir()
        if p.is_dir() and p.name != "__pycache__" and not p.name.startswith(".")
    )
    if dirs != [domain]:
        return [f"custom_components/ must hold exactly one integration ({domain!r}), found {dirs}"]
    return []


# --------------------------------------------------------------------------- translations


def load_translations(integration_dir: Path) -> tuple[dict[str, Any], list[str]]:
    """Return ``({language: tree}, problems)`` for every translations/*.json."""
    folder = integration_dir / "translations"
    trees: dict[str, Any] = {}
    problems = [
        f"translations/{lang}.json is missing"
        for lang in REQUIRED_LANGUAGES
        if not (folder / f"{lang}.json").is_file()
    ]
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            tree = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as err:
            problems.append(f"translations/{path.name} is not valid JSON: {err}")
            continue
        if not isinstance(tree, dict):
            problems.append(f"translations/{path.name} must contain a JSON object")
            continue
        trees[path.stem] = tree
    return trees, problems


def compare_trees(reference: Any, other: Any) -> tuple[list[str], list[str]]:
    """Return (key paths missing from ``other``, key paths only in ``other``)."""
    ref_paths = {path for path in flatten(reference) if path}
    other_paths = {path for path in flatten(other) if path}
    # A path that is a leaf on one side and a branch on the other shows up as both.
    return (
        sorted(_dotted(p) for p in ref_paths - other_paths),
        sorted(_dotted(p) for p in other_paths - ref_paths),
    )


def check_translation_trees(trees: dict[str, Any]) -> list[str]:
    if "en" not in trees:
        return ["translations/en.json is missing, nothing to compare against"]
    problems = []
    for lang, tree in sorted(trees.items()):
        if lang == "en":
            continue
        missing, extra = compare_trees(trees["en"], tree)
        problems += [f"{lang}.json lacks {path} (present in en.json)" for path in missing]
        problems += [f"{lang}.json has {path} (absent from en.json)" for path in extra]
    return problems


def string_value_problems(value: Any) -> list[str]:
    """Hassfest's ``translation_value_validator`` rules, plus non-empty and no references."""
    if not isinstance(value, str):
        return [f"must be a string, got {type(value).__name__}"]
    problems = []
    if not value.strip():
        problems.append("is empty")
    elif value != value.strip():
        problems.append("has leading or trailing whitespace")
    if "[%key:" in value:
        problems.append("uses a [%key:...%] reference (custom integrations cannot)")
    elif RE_COMBINED_REFERENCE.search(value):
        problems.append("contains a combined translation reference")
    if RE_HTML.search(value):
        problems.append("contains HTML")
    if RE_URL.search(value):
        problems.append("contains a URL (use a description placeholder instead)")
    if RE_PLACEHOLDER_IN_SINGLE_QUOTES.search(value):
        problems.append("has a placeholder inside single quotes")
    try:
        names = placeholders(value)
    except ValueError as err:
        problems.append(f"has malformed placeholders: {err}")
    else:
        if bad := sorted(n for n in names if not n.isidentifier()):
            problems.append(f"has placeholders that are not identifiers: {bad}")
    return problems


def check_translation_strings(trees: dict[str, Any]) -> list[str]:
    problems = []
    by_path: dict[tuple[str, ...], dict[str, set[str]]] = defaultdict(dict)
    for lang, tree in sorted(trees.items()):
        for path, value in flatten(tree).items():
            where = f"{lang}.json {_dotted(path) or '<root>'}"
            if isinstance(value, dict):
                problems.append(f"{where} is an empty object")
                continue
            problems += [f"{where} {p}" for p in string_value_problems(value)]
            if isinstance(value, str):
                with contextlib.suppress(ValueError):
                    by_path[path][lang] = placeholders(value)
    for path, per_lang in sorted(by_path.items()):
        if len({frozenset(names) for names in per_lang.values()}) > 1:
            detail = ", ".join(
                f"{lang}={sorted(names)}" for lang, names in sorted(per_lang.items())
            )
            problems.append(f"{_dotted(path)} uses different placeholders per language: {detail}")
    return problems


def _check_keys(node: Any, allowed: frozenset[str], where: str, problems: list[str]) -> bool:
    if not isinstance(node, dict):
        problems.append(f"{where} must be an object")
        return False
    if unknown := sorted(set(node) - allowed):
        problems.append(f"{where} has unknown keys {unknown}")
    return True


def _check_slug_keys(node: Any, where: str, problems: list[str], *, slug: bool = False) -> None:
    if not isinstance(node, dict):
        problems.append(f"{where} must be an object")
        return
    pattern = RE_SLUG if slug else RE_TRANSLATION_KEY
    problems.extend(
        f"{where}.{key}: invalid key (must match {pattern.pattern})"
        for key in node
        if not pattern.match(key)
    )


def _no_placeholders(node: Any, where: str, problems: list[str]) -> None:
    for path, value in flatten(node).items():
        if isinstance(value, str) and "{" in value:
            problems.append(f"{_dotted((where, *path))} must not contain placeholders")


def _check_data_entry(node: Any, where: str, problems: list[str], *, subentry: bool) -> None:
    allowed = DATA_ENTRY_KEYS | ({"entry_type"} if subentry else set())
    if not _check_keys(node, frozenset(allowed), where, problems):
        return
    if "title" in node:
        problems.append(f"{where}.title was removed from Home Assistant, use the root title")
    steps = node.get("step")
    if steps is None:
        if not subentry and node.get("abort") is None and node.get("error") is None:
            problems.append(f"{where}.step is missing")
        steps = {}
    if not isinstance(steps, dict):
        problems.append(f"{where}.step must be an object")
        return
    for step_id, step in steps.items():
        step_where = f"{where}.step.{step_id}"
        if not _check_keys(step, STEP_KEYS, step_where, problems):
            continue
        _check_descriptions(step, step_where, problems)
        for section_id, section in (step.get("sections") or {}).items():
            section_where = f"{step_where}.sections.{section_id}"
            if _check_keys(section, SECTION_KEYS, section_where, problems):
                _check_descriptions(section, section_where, problems)
    problems.extend(
        f"{where}.{key} must be an object"
        for key in ("error", "abort", "progress", "create_entry")
        if key in node and not isinstance(node[key], dict)
    )


def _check_descriptions(step: dict[str, Any], where: str, problems: list[str]) -> None:
    """data_description keys must be data keys (hassfest), and vice versa (IQS config-flow)."""
    data = step.get("data") or {}
    described = step.get("data_description") or {}
    if not isinstance(data, dict) or not isinstance(described, dict):
        problems.append(f"{where}.data / data_description must be objects")
        return
    problems += [
        f"{where}.data_description.{key} has no matching data.{key}"
        for key in sorted(set(described) - set(data))
    ]
    problems += [
        f"{where}.data.{key} has no data_description.{key} (IQS config-flow rule)"
        for key in sorted(set(data) - set(described))
    ]


def check_translation_schema(tree: Any, lang: str = "en") -> list[str]:
    """Structural schema of a translation file, after hassfest's ``gen_strings_schema``."""
    problems: list[str] = []
    root = f"{lang}.json"
    if not _check_keys(tree, TRANSLATION_TOP_KEYS, root, problems):
        return problems
    if "config" in tree:
        _check_data_entry(tree["config"], f"{root} config", problems, subentry=False)
    if "options" in tree:
        _check_data_entry(tree["options"], f"{root} options", problems, subentry=False)
    for sub_type, sub in (tree.get("config_subentries") or {}).items():
        _check_data_entry(sub, f"{root} config_subentries.{sub_type}", problems, subentry=True)

    entity = tree.get("entity", {})
    _check_slug_keys(entity, f"{root} entity", problems, slug=True)
    for platform, keys in entity.items() if isinstance(entity, dict) else []:
        _check_slug_keys(keys, f"{root} entity.{platform}", problems)
        for key, spec in keys.items() if isinstance(keys, dict) else []:
            where = f"{root} entity.{platform}.{key}"
            if not _check_keys(spec, ENTITY_KEYS, where, problems):
                continue
            if "state" in spec:
                _check_slug_keys(spec["state"], f"{where}.state", problems)
                _no_placeholders(spec["state"], f"{where}.state", problems)
            if "unit_of_measurement" in spec:
                _no_placeholders(
                    spec["unit_of_measurement"], f"{where}.unit_of_measurement", problems
                )
            for attr, attr_spec in (spec.get("state_attributes") or {}).items():
                attr_where = f"{where}.state_attributes.{attr}"
                if not RE_TRANSLATION_KEY.match(attr):
                    problems.append(f"{attr_where}: invalid key")
                if _check_keys(attr_spec, frozenset({"name", "state"}), attr_where, problems):
                    _no_placeholders(attr_spec, attr_where, problems)

    device = tree.get("device", {})
    _check_slug_keys(device, f"{root} device", problems)
    for key, spec in device.items() if isinstance(device, dict) else []:
        _check_keys(spec, frozenset({"name"}), f"{root} device.{key}", problems)

    exceptions = tree.get("exceptions", {})
    _check_slug_keys(exceptions, f"{root} exceptions", problems, slug=True)
    for key, spec in exceptions.items() if isinstance(exceptions, dict) else []:
        _check_keys(spec, frozenset({"message"}), f"{root} exceptions.{key}", problems)

    issues = tree.get("issues", {})
    if not isinstance(issues, dict):
        problems.append(f"{root} issues must be an object")
        issues = {}
    for key, spec in issues.items():
        where = f"{root} issues.{key}"
        if not _check_keys(spec, frozenset({"title", "description", "fix_flow"}), where, problems):
            continue
        if "title" not in spec:
            problems.append(f"{where}.title is required")
        if ("description" in spec) == ("fix_flow" in spec):
            problems.append(f"{where} needs exactly one of description / fix_flow")
        if "fix_flow" in spec:
            _check_data_entry(spec["fix_flow"], f"{where}.fix_flow", problems, subentry=False)

    services = tree.get("services", {})
    _check_slug_keys(services, f"{root} services", problems)
    for key, spec in services.items() if isinstance(services, dict) else []:
        where = f"{root} services.{key}"
        if _check_keys(
            spec, frozenset({"name", "description", "fields", "sections"}), where, problems
        ):
            problems += [
                f"{where}.{k} is required" for k in ("name", "description") if k not in spec
            ]
    return problems


# --------------------------------------------------------------------------- config flow


@dataclass
class FlowKeys:
    """Translation keys a config/options/subentry flow needs, per translation section."""

    steps: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    menu_options: dict[str, set[tuple[str, str]]] = field(default_factory=lambda: defaultdict(set))
    errors: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    aborts: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    step_methods: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    # (section, step id, provided placeholder names or None when not passed, location)
    shown: list[tuple[str, str, set[str] | None, str]] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    form_sections: dict[str, str] = field(default_factory=dict)
    unresolved: list[str] = field(default_factory=list)
    # ids of schema-marker calls that name a section(...) rather than a field
    section_markers: set[int] = field(default_factory=set)
    title_placeholders: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


def _flow_kind(
    name: str, bases: dict[str, list[str]], seen: frozenset[str] = frozenset()
) -> str | None:
    for base in bases.get(name, []):
        if "OptionsFlow" in base:
            return "options"
        if "SubentryFlow" in base:
            return "subentry"
        if base.endswith("ConfigFlow") and base not in bases:
            return "config"
        if base in bases and base not in seen and (kind := _flow_kind(base, bases, seen | {name})):
            return kind
    return None


def collect_flow_keys(path: Path, consts: Constants, domain: str) -> FlowKeys:
    """Collect step ids, menu options, errors, aborts and fields used by the flows in ``path``."""
    tree = _parse(path)
    keys = FlowKeys()
    classes = {node.name: node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}
    bases = {
        name: [b for b in (_base_name(base) for base in node.bases) if b]
        for name, node in classes.items()
    }
    subentry_types: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and (
            node.name == "async_get_supported_subentry_types"
        ):
            for ret in ast.walk(node):
                if isinstance(ret, ast.Return) and isinstance(ret.value, ast.Dict):
                    for key, value in zip(ret.value.keys, ret.value.values, strict=True):
                        sub_type = consts.string(key)
                        if sub_type and (cls := _base_name(value)):
                            subentry_types[cls] = sub_type

    def section_for(class_name: str | None) -> str | None:
        if class_name is None:
            return "config"
        kind = _flow_kind(class_name, bases)
        if kind == "subentry":
            if class_name in subentry_types:
                return f"config_subentries.{subentry_types[class_name]}"
            keys.unresolved.append(f"subentry flow {class_name}: subentry type not found")
            return None
        return kind

    def scan(nodes: Iterable[ast.AST], section: str) -> None:
        for node in nodes:
            for sub in ast.walk(node):
                _scan_node(sub, section, keys, consts, domain, path)

    module_level = [stmt for stmt in tree.body if not isinstance(stmt, ast.ClassDef)]
    scan(module_level, "config")
    carriers: dict[str, set[str]] = defaultdict(set)
    carriers["config"] |= _error_carriers(module_level)
    for name, node in classes.items():
        if any(node in ast.walk(other) for other in classes.values() if other is not node):
            continue  # nested classes are scanned with their outer class
        section = section_for(name) if _flow_kind(name, bases) else None
        if section is None:
            if _flow_kind(name, bases) is None:
                scan([node], "config")
                carriers["config"] |= _error_carriers([node])
            continue
        for item in node.body:
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name.startswith(
                "async_step_"
            ):
                keys.step_methods[section].add(item.name.removeprefix("async_step_"))
        scan([node], section)
        carriers[section] |= _error_carriers([node])
    # raise ProbeError("port_busy") ... except ProbeError as err: errors["base"] = err.key
    for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
        if not call.args or (carried := consts.choices(call.args[0])) is None:
            continue
        for section, names in carriers.items():
            if _call_name(call) in names:
                for error_key in carried:
                    keys.errors[section].setdefault(error_key, f"{_rel(path)}:{call.lineno}")
    return keys


def _error_carriers(nodes: Iterable[ast.AST]) -> set[str]:
    """Exception classes whose caught instance is stored as a form error.

    ``except ProbeError as err: errors["base"] = err.key`` (or ``= str(err)``) makes
    the first argument of every ``ProbeError("...")`` call an error key.
    """
    found: set[str] = set()
    for node in nodes:
        for handler in (n for n in ast.walk(node) if isinstance(n, ast.ExceptHandler)):
            if handler.name is None or handler.type is None:
                continue
            types_ = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
            for stmt in (n for body in handler.body for n in ast.walk(body)):
                if not isinstance(stmt, ast.Assign) or not any(
                    isinstance(t, ast.Subscript) and "error" in (_base_name(t.value) or "").lower()
                    for t in stmt.targets
                ):
                    continue
                value = stmt.value
                if isinstance(value, ast.Call) and _call_name(value) == "str" and value.args:
                    value = value.args[0]
                if isinstance(value, ast.Attribute):
                    value = value.value
                if isinstance(value, ast.Name) and value.id == handler.name:
                    found.update(n for n in (_base_name(t) for t in types_) if n)
    return found


def _scan_node(
    node: ast.AST, section: str, keys: FlowKeys, consts: Constants, domain: str, path: Path
) -> None:
    where = f"{_rel(path)}:{getattr(node, 'lineno', '?')}"
    # errors["base"] = "cannot_connect" / errors = {"base": "..."} / errors: dict = {...}
    if isinstance(node, ast.Assign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if (
                isinstance(target, ast.Subscript)
                and "error" in (_base_name(target.value) or "").lower()
            ):
                for key in consts.choices(node.value) or []:
                    keys.errors[section].setdefault(key, where)
            elif (
                isinstance(target, ast.Name | ast.Attribute)
                and "error" in (_base_name(target) or "").lower()
                and isinstance(node.value, ast.Dict)
            ):
                for value in node.value.values:
                    for key in consts.choices(value) or []:
                        keys.errors[section].setdefault(key, where)
            # self.context["title_placeholders"] = {"name": ...}
            if (
                isinstance(target, ast.Subscript)
                and consts.string(target.slice) == "title_placeholders"
                and (names := consts.string_keys(node.value)) is not None
            ):
                keys.title_placeholders[section] |= names
    if isinstance(node, ast.Dict):
        for key_node, value in zip(node.keys, node.values, strict=True):
            # {"base": "unknown"} returned by a validation helper
            if key_node is not None and consts.string(key_node) == "base":
                for key in consts.choices(value) or []:
                    keys.errors[section].setdefault(key, where)
            # vol.Optional("advanced"): section(vol.Schema({...}))
            if (
                isinstance(key_node, ast.Call)
                and _call_name(key_node) in SCHEMA_MARKERS
                and key_node.args
                and isinstance(value, ast.Call)
                and _call_name(value) == "section"
            ):
                keys.section_markers.add(id(key_node))
                if (name := consts.string(key_node.args[0])) is not None:
                    keys.form_sections.setdefault(name, where)
    if not isinstance(node, ast.Call):
        return
    name = _call_name(node)
    if (errors := _kw(node, "errors")) is not None and isinstance(errors, ast.Dict):
        for value in errors.values:
            for error_key in consts.choices(value) or []:
                keys.errors[section].setdefault(error_key, where)

    step_node = _kw(node, "step_id")
    if step_node is not None:
        step_id = consts.string(step_node)
        if step_id is None:
            keys.unresolved.append(f"{where}: step_id is not a constant")
        else:
            keys.steps[section].setdefault(step_id, where)
            if name in {"async_show_form", "async_show_menu", "async_show_progress"}:
                ph = _kw(node, "description_placeholders")
                provided = set() if ph is None else consts.string_keys(ph)
                if ph is None or provided is not None:
                    keys.shown.append((section, step_id, provided, where))
            if name == "async_show_menu":
                options = _kw(node, "menu_options")
                items = consts.string_list(options)
                if items is not None:
                    keys.menu_options[section].update((step_id, item) for item in items)
                elif not isinstance(options, ast.Dict):  # dict menus carry their own labels
                    keys.unresolved.append(f"{where}: menu_options is not a constant list")

    domain_node = _kw(node, "translation_domain")
    foreign = domain_node is not None and consts.string(domain_node) not in (None, domain)
    reason_node = _kw(node, "reason")
    if reason_node is not None and not foreign:
        if (reasons := consts.choices(reason_node)) is not None:
            for reason in reasons:
                keys.aborts[section].setdefault(reason, where)
        else:
            keys.unresolved.append(f"{where}: abort reason is not a constant")
    elif name == "_abort_if_unique_id_configured":
        reason = consts.string(_kw(node, "error")) or "already_configured"
        keys.aborts[section].setdefault(reason, where)
    elif name == "_async_abort_entries_match":
        keys.aborts[section].setdefault("already_configured", where)
    elif name == "_abort_if_unique_id_mismatch":
        keys.aborts[section].setdefault("unique_id_mismatch", where)
    elif name == "AbortFlow" and node.args and (flow_reason := consts.string(node.args[0])):
        keys.aborts[section].setdefault(flow_reason, where)
    # HA_TRANSLATED_DEFAULT_ABORTS without reason=: Home Assistant supplies the string.

    if (
        name in SCHEMA_MARKERS
        and id(node) not in keys.section_markers
        and node.args
        and (field_key := consts.string(node.args[0]))
    ):
        keys.fields.setdefault(field_key, where)


def check_flow_translations(keys: FlowKeys, trees: dict[str, Any]) -> list[str]:
    problems: list[str] = []

    def need_in(tree: Any, prefix: str, path: list[str], why: str) -> None:
        if not isinstance(_get(tree, path), str | dict):
            problems.append(f"{prefix} lacks {_dotted(path)} ({why})")

    for lang, tree in sorted(trees.items()):
        if lang not in REQUIRED_LANGUAGES:
            continue
        prefix = f"{lang}.json"
        need = functools.partial(need_in, tree, prefix)

        for section, steps in sorted(keys.steps.items()):
            base = section.split(".")
            for step_id, where in sorted(steps.items()):
                need([*base, "step", step_id], f"step shown at {where}")
            for step_id, option in sorted(keys.menu_options.get(section, ())):
                need([*base, "step", step_id, "menu_options", option], f"menu option of {step_id}")
            for key, where in sorted(keys.errors.get(section, {}).items()):
                need([*base, "error", key], f"error set at {where}")
            for key, where in sorted(keys.aborts.get(section, {}).items()):
                need([*base, "abort", key], f"abort at {where}")
        for section in set(keys.errors) | set(keys.aborts):
            if section in keys.steps:
                continue
            base = section.split(".")
            for kind, found in (("error", keys.errors), ("abort", keys.aborts)):
                for key, where in sorted(found.get(section, {}).items()):
                    need([*base, kind, key], f"{kind} at {where}")

        all_data: set[str] = set()
        all_sections: set[str] = set()
        for section in ("config", "options"):
            for step in (_get(tree, [section, "step"]) or {}).values():
                if isinstance(step, dict):
                    all_data |= set(step.get("data") or {})
                    for section_id, sec in (step.get("sections") or {}).items():
                        all_sections.add(section_id)
                        if isinstance(sec, dict):
                            all_data |= set(sec.get("data") or {})
        for sub in (tree.get("config_subentries") or {}).values():
            for step in (_get(sub, ["step"]) or {}).values():
                if isinstance(step, dict):
                    all_data |= set(step.get("data") or {})
        problems += [
            f"{prefix}: form field {key!r} (schema at {where}) has no label in any step's data"
            for key, where in sorted(keys.fields.items())
            if key not in all_data
        ]
        problems += [
            f"{prefix}: form section {key!r} (at {where}) has no entry in any step's sections"
            for key, where in sorted(keys.form_sections.items())
            if key not in all_sections
        ]

        for section in keys.steps:
            flow_title = _get(tree, [*section.split("."), "flow_title"])
            if isinstance(flow_title, str):
                with contextlib.suppress(ValueError):
                    if missing := sorted(
                        placeholders(flow_title) - keys.title_placeholders.get(section, set())
                    ):
                        problems.append(
                            f"{prefix} {section}.flow_title uses {missing}, never set in "
                            'context["title_placeholders"]'
                        )
        for section, step_id, provided, where in keys.shown:
            step = _get(tree, [*section.split("."), "step", step_id])
            if not isinstance(step, dict):
                continue
            texts = [step.get("title"), step.get("description")]
            texts += list((step.get("data_description") or {}).values())
            used: set[str] = set()
            for text in texts:
                if isinstance(text, str):
                    try:
                        used |= placeholders(text)
                    except ValueError:
                        continue
            if missing := sorted(used - (provided or set())):
                problems.append(
                    f"{prefix} {section}.step.{step_id} uses placeholders {missing} that the "
                    f"call at {where} does not pass in description_placeholders"
                )

    for section, options in sorted(keys.menu_options.items()):
        methods = keys.step_methods.get(section, set())
        problems += [
            f"menu option {option!r} of step {step_id!r} ({section}) has no async_step_{option}"
            for step_id, option in sorted(options)
            if option not in methods
        ]
    return problems


# --------------------------------------------------------------------------- code translation keys


@dataclass
class CodeKeys:
    """Translation keys referenced from Python code."""

    entity: dict[tuple[str, str], str] = field(default_factory=dict)
    enum_states: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    device: dict[str, str] = field(default_factory=dict)
    # key -> list of (placeholders provided or None if not literal, location)
    exceptions: dict[str, list[tuple[set[str] | None, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    issues: dict[str, list[tuple[bool | None, set[str] | None, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    unclassified: dict[str, str] = field(default_factory=dict)
    unresolved: list[str] = field(default_factory=list)
    # entity translation keys computed at runtime (only the catalogue can check them)
    dynamic_entity: list[str] = field(default_factory=list)
    catalogue_loaded: bool = False


def _platform_from_names(names: Iterable[str], suffix: str) -> str | None:
    best: str | None = None
    for name in names:
        if not name.endswith(suffix):
            continue
        prefix = name.removesuffix(suffix)
        for platform in _entity_platforms():
            camel = _camel(platform)
            if prefix.endswith(camel) and (best is None or len(camel) > len(_camel(best))):
                best = platform
        if best:
            return best
    return best


def _ancestors(name: str, bases: dict[str, list[str]]) -> list[str]:
    out, todo = [name], [name]
    while todo:
        for base in bases.get(todo.pop(), []):
            if base not in out:
                out.append(base)
                todo.append(base)
    return out


@dataclass
class _Wrapper:
    """A function that passes (a template of) its parameters on as ``translation_key``."""

    func: ast.FunctionDef | ast.AsyncFunctionDef
    parts: list[tuple[bool, str]]  # (is_param, literal text or parameter name)
    placeholders: str | set[str] | None  # "kwargs", a fixed set, or None (unknown)
    kind: str
    platform: str | None
    fixable: bool | None


def _key_template(node: ast.expr, params: set[str]) -> list[tuple[bool, str]] | None:
    """``key`` or ``f"stge_{field}"`` over the function's parameters, as parts."""
    if isinstance(node, ast.Name) and node.id in params:
        return [(True, node.id)]
    if not isinstance(node, ast.JoinedStr):
        return None
    parts: list[tuple[bool, str]] = []
    for value in node.values:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            parts.append((False, value.value))
        elif (
            isinstance(value, ast.FormattedValue)
            and isinstance(value.value, ast.Name)
            and value.value.id in params
            and value.conversion == -1
            and value.format_spec is None
        ):
            parts.append((True, value.value.id))
        else:
            return None
    return parts


def _params(func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    args = func.args
    return [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]


def collect_code_keys(integration_dir: Path, consts: Constants, domain: str) -> CodeKeys:
    """Collect translation keys from entity classes, descriptions, errors and issues.

    Keys built by a helper from its parameters (``def failure(self, key, **ph):
    return UpdateFailed(translation_domain=DOMAIN, translation_key=key, ...)`` or
    ``translation_key=f"stge_{field}"``) are resolved at the helper's call sites.
    """
    files = python_files(integration_dir)
    trees = {path: _parse(path) for path in files}
    bases: dict[str, list[str]] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = [b for b in (_base_name(x) for x in node.bases) if b]
    description_classes = {
        name
        for name in bases
        if any(a.endswith("EntityDescription") for a in _ancestors(name, bases))
    }
    platforms = _entity_platforms()
    found = CodeKeys()

    def classify(call: ast.Call, stem_platform: str | None) -> tuple[str, str | None]:
        name = _call_name(call) or ""
        if name in ISSUE_FUNCS:
            return "issue", None
        if (domain_node := _kw(call, "translation_domain")) is not None:
            foreign = consts.string(domain_node) not in (None, domain)
            return ("foreign" if foreign else "exception"), None
        if name == "DeviceInfo":
            return "device", None
        if name.endswith("EntityDescription") or name in description_classes:
            platform = _platform_from_names(_ancestors(name, bases), "EntityDescription")
            return "entity", platform or stem_platform
        return "unclassified", None

    def record(
        kind: str,
        platform: str | None,
        key: str,
        provided: set[str] | None,
        fixable: bool | None,
        where: str,
    ) -> None:
        if kind == "issue":
            found.issues[key].append((fixable, provided, where))
        elif kind == "exception":
            found.exceptions[key].append((provided, where))
        elif kind == "device":
            found.device.setdefault(key, where)
        elif kind == "entity" and platform is not None:
            found.entity.setdefault((platform, key), where)
        elif kind != "foreign":
            found.unclassified.setdefault(key, where)

    def fixable_of(call: ast.Call) -> bool | None:
        node = _kw(call, "is_fixable")
        return (
            node.value if isinstance(node, ast.Constant) and isinstance(node.value, bool) else None
        )

    wrappers: dict[str, _Wrapper] = {}
    for path, tree in trees.items():
        stem_platform = path.stem if path.stem in platforms else None
        enclosing: dict[int, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        for fn_node in ast.walk(tree):
            if isinstance(fn_node, ast.FunctionDef | ast.AsyncFunctionDef):
                for inner in ast.walk(fn_node):
                    enclosing[id(inner)] = fn_node  # inner functions overwrite outer ones

        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            platform = _platform_from_names(_ancestors(cls.name, bases), "Entity") or stem_platform
            for node in ast.walk(cls):
                target_value: tuple[ast.expr, ast.expr] | None = None
                if isinstance(node, ast.Assign) and len(node.targets) == 1:
                    target_value = (node.targets[0], node.value)
                elif isinstance(node, ast.AnnAssign) and node.value is not None:
                    target_value = (node.target, node.value)
                if target_value is None:
                    continue
                target, value = target_value
                if _base_name(target) != "_attr_translation_key" or isinstance(
                    target, ast.Subscript
                ):
                    continue
                key = consts.string(value)
                where = f"{_rel(path)}:{getattr(node, 'lineno', '?')}"
                if key is not None:
                    record(
                        "entity" if platform else "unclassified", platform, key, None, None, where
                    )
                elif not (isinstance(value, ast.Constant) and value.value is None):
                    found.dynamic_entity.append(where)

        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or (key_node := _kw(node, "translation_key")) is None:
                continue
            if isinstance(key_node, ast.Constant) and key_node.value is None:
                continue
            where = f"{_rel(path)}:{node.lineno}"
            kind, platform = classify(node, stem_platform)
            ph_node = _kw(node, "translation_placeholders")
            provided = set() if ph_node is None else consts.string_keys(ph_node)
            if (key := consts.string(key_node)) is not None:
                record(kind, platform, key, provided, fixable_of(node), where)
                device_class = _kw(node, "device_class")
                if (
                    kind == "entity"
                    and platform is not None
                    and isinstance(device_class, ast.Attribute)
                    and device_class.attr == "ENUM"
                    and (options := consts.string_list(_kw(node, "options"))) is not None
                ):
                    found.enum_states[(platform, key)].update(options)
                continue
            func = enclosing.get(id(node))
            parts = _key_template(key_node, set(_params(func))) if func else None
            if func is None or parts is None:
                if kind == "entity":
                    found.dynamic_entity.append(where)
                elif kind != "foreign":
                    found.unresolved.append(f"{where}: translation_key is not a constant")
                continue
            mode: str | set[str] | None = provided
            kwarg = func.args.kwarg.arg if func.args.kwarg else None
            ph_name = ph_node.values[0] if isinstance(ph_node, ast.BoolOp) else ph_node
            if kwarg and isinstance(ph_name, ast.Name) and ph_name.id == kwarg:
                mode = "kwargs"
            wrappers[func.name] = _Wrapper(func, parts, mode, kind, platform, fixable_of(node))

    for path, tree in trees.items():
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            wrapper = wrappers.get(_call_name(call) or "")
            if wrapper is None:
                continue
            where = f"{_rel(path)}:{call.lineno}"
            params = _params(wrapper.func)
            positional = [a.arg for a in (*wrapper.func.args.posonlyargs, *wrapper.func.args.args)]
            if (
                positional
                and positional[0] in {"self", "cls"}
                and isinstance(call.func, ast.Attribute)
            ):
                positional = positional[1:]
            binding: dict[str, ast.expr] = dict(zip(positional, call.args, strict=False))
            binding.update({kw.arg: kw.value for kw in call.keywords if kw.arg in params})
            pieces = [
                consts.string(binding.get(text)) if is_param else text
                for is_param, text in wrapper.parts
            ]
            if any(piece is None for piece in pieces):
                if wrapper.kind == "entity":
                    found.dynamic_entity.append(where)
                elif wrapper.kind != "foreign":
                    found.unresolved.append(
                        f"{where}: {wrapper.func.name}() is called with a non-constant key"
                    )
                continue
            key = "".join(piece for piece in pieces if piece is not None)
            passed: set[str] | None
            if wrapper.placeholders == "kwargs":
                passed = {kw.arg for kw in call.keywords if kw.arg and kw.arg not in params}
            else:
                passed = wrapper.placeholders if isinstance(wrapper.placeholders, set) else None
            record(wrapper.kind, wrapper.platform, key, passed, wrapper.fixable, where)
    return found


def add_catalogue_keys(
    found: CodeKeys, module_name: str | None, integration_dir: Path | None = None
) -> list[str]:
    """Add keys from ``all_entity_descriptions()`` (platform, description) pairs.

    The function is looked up in ``module_name`` first, then in any module of the
    integration that defines it at top level. ``module_name=None`` disables this.
    """
    if module_name is None:
        return []
    candidates = [module_name]
    if integration_dir is not None:
        package = module_name.rsplit(".", 1)[0]
        for path in python_files(integration_dir):
            tree = _parse(path)
            if any(
                isinstance(node, ast.FunctionDef) and node.name == "all_entity_descriptions"
                for node in tree.body
            ):
                rel = path.relative_to(integration_dir).with_suffix("")
                parts = [p for p in rel.parts if p != "__init__"]
                candidates.append(".".join([package, *parts]))
    problems: list[str] = []
    for candidate in dict.fromkeys(candidates):
        try:
            module = importlib.import_module(candidate)
        except ModuleNotFoundError as err:
            if err.name and candidate.startswith(err.name):
                continue  # the module does not exist (yet)
            problems.append(f"importing {candidate} failed: {err!r}")
            continue
        catalogue = getattr(module, "all_entity_descriptions", None)
        if catalogue is not None:
            return problems + _catalogue_keys(found, candidate, catalogue)
    return problems


def _catalogue_keys(found: CodeKeys, module_name: str, catalogue: Any) -> list[str]:
    from homeassistant.components.sensor import SensorDeviceClass

    found.catalogue_loaded = True
    problems = []
    for item in catalogue():
        try:
            platform, description = item
        except TypeError, ValueError:
            problems.append(
                f"all_entity_descriptions() yielded {item!r}, not (platform, description)"
            )
            continue
        key = getattr(description, "translation_key", None)
        where = f"{module_name}.all_entity_descriptions() [{getattr(description, 'key', '?')}]"
        if key is None:
            continue
        found.entity.setdefault((str(platform), key), where)
        if getattr(description, "device_class", None) == SensorDeviceClass.ENUM:
            options = getattr(description, "options", None) or []
            found.enum_states[(str(platform), key)].update(str(o) for o in options)
    return problems


def _message_placeholder_problem(
    text: Any, provided: set[str] | None, what: str, where: str
) -> str | None:
    if provided is None or not isinstance(text, str):
        return None
    try:
        used = placeholders(text)
    except ValueError:
        return None
    if missing := sorted(used - provided):
        return (
            f"{what} uses placeholders {missing} not passed in translation_placeholders at {where}"
        )
    return None


def check_code_translations(found: CodeKeys, trees: dict[str, Any]) -> list[str]:
    problems = list(found.unresolved)
    if found.dynamic_entity and not found.catalogue_loaded:
        problems.append(
            "entity translation keys computed at runtime cannot be checked without a "
            "catalogue: expose all_entity_descriptions() -> [(platform, description), ...] "
            f"(see CATALOGUE_MODULE); computed at {', '.join(found.dynamic_entity)}"
        )
    for lang in REQUIRED_LANGUAGES:
        tree = trees.get(lang)
        if tree is None:
            problems.append(f"{lang}.json is missing")
            continue
        prefix = f"{lang}.json"
        for (platform, key), where in sorted(found.entity.items()):
            if not isinstance(_get(tree, ["entity", platform, key, "name"]), str):
                problems.append(f"{prefix} lacks entity.{platform}.{key}.name (used at {where})")
        for (platform, key), options in sorted(found.enum_states.items()):
            states = _get(tree, ["entity", platform, key, "state"]) or {}
            problems += [
                f"{prefix} lacks entity.{platform}.{key}.state.{option} (ENUM option)"
                for option in sorted(options)
                if option not in states
            ]
        for key, where in sorted(found.device.items()):
            if not isinstance(_get(tree, ["device", key, "name"]), str):
                problems.append(f"{prefix} lacks device.{key}.name (used at {where})")
        for key, uses in sorted(found.exceptions.items()):
            message = _get(tree, ["exceptions", key, "message"])
            if not isinstance(message, str):
                problems.append(f"{prefix} lacks exceptions.{key}.message (raised at {uses[0][1]})")
                continue
            for provided, where in uses:
                what = f"{prefix} exceptions.{key}.message"
                if problem := _message_placeholder_problem(message, provided, what, where):
                    problems.append(problem)
        for key, issue_uses in sorted(found.issues.items()):
            issue = _get(tree, ["issues", key])
            where = issue_uses[0][2]
            if not isinstance(issue, dict) or not isinstance(issue.get("title"), str):
                problems.append(f"{prefix} lacks issues.{key}.title (created at {where})")
                continue
            for fixable, provided, use_where in issue_uses:
                if fixable is True and "fix_flow" not in issue:
                    problems.append(f"{prefix} issues.{key} is fixable but has no fix_flow")
                if fixable is not True and "description" not in issue and fixable is not None:
                    problems.append(f"{prefix} lacks issues.{key}.description")
                for part in ("title", "description"):
                    what = f"{prefix} issues.{key}.{part}"
                    if problem := _message_placeholder_problem(
                        issue.get(part), provided, what, use_where
                    ):
                        problems.append(problem)
        for key, where in sorted(found.unclassified.items()):
            homes = [
                *(["entity", p, key] for p in (tree.get("entity") or {})),
                ["exceptions", key],
                ["issues", key],
                ["device", key],
            ]
            if not any(_get(tree, home) is not None for home in homes):
                problems.append(
                    f"{prefix}: translation_key {key!r} (at {where}) is defined nowhere"
                )
    return problems


# --------------------------------------------------------------------------- icons


def check_icons(icons: Any, en: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    if not _check_keys(icons, ICON_TOP_KEYS, "icons.json", problems):
        return problems
    for path, value in flatten(icons).items():
        where = f"icons.json {_dotted(path)}"
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
            translated = _get(en, ["entity", platform, key])
            if not isinstance(translated, dict):
                problems.append(f"{where}: no entity.{platform}.{key} in en.json")
                translated = {}
            if not _check_keys(spec, ICON_ENTITY_KEYS, where, problems):
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


# --------------------------------------------------------------------------- brand images


def png_size(path: Path) -> tuple[int, int]:
    """Return (width, height) from a PNG's IHDR chunk; raise ValueError if not a PNG."""
    with path.open("rb") as handle:
        head = handle.read(24)
    if len(head) < 24 or head[:8] != PNG_SIGNATURE or head[12:16] != b"IHDR":
        raise ValueError("not a PNG file")
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def check_brand(brand_dir: Path) -> list[str]:
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


# --------------------------------------------------------------------------- quality scale


def check_quality_scale(data: Any) -> list[str]:
    if not isinstance(data, dict) or set(data) != {"rules"} or not isinstance(data["rules"], dict):
        return ["quality_scale.yaml must have a single top-level `rules:` mapping"]
    problems = []
    for rule, value in data["rules"].items():
        where = f"rules.{rule}"
        if rule not in QUALITY_SCALE_RULES:
            problems.append(f"{where}: unknown quality scale rule")
        if value in ("done", "todo"):
            continue
        if not isinstance(value, dict):
            problems.append(f"{where}: must be done, todo or {{status, comment}}, got {value!r}")
            continue
        if unknown := sorted(set(value) - {"status", "comment"}):
            problems.append(f"{where}: unknown keys {unknown}")
        status = value.get("status")
        if status not in ("done", "todo", "exempt"):
            problems.append(f"{where}.status must be done, todo or exempt, got {status!r}")
        comment = value.get("comment")
        if comment is not None and (not isinstance(comment, str) or not comment.strip()):
            problems.append(f"{where}.comment must be a non-empty string")
        if status == "exempt" and comment is None:
            problems.append(f"{where}: exempt rules need a comment")
    return problems


# =========================================================================== real-file tests


def _integration_dir() -> Path:
    return INTEGRATION_DIR


def _manifest() -> dict[str, Any]:
    manifest = read_json(_integration_dir() / "manifest.json")
    if not isinstance(manifest, dict):
        pytest.fail("manifest.json must contain a JSON object")
    return manifest


def _translations() -> dict[str, Any]:
    trees, problems = load_translations(_integration_dir())
    if problems:
        pytest.fail(f"translations unusable:{_fmt(problems)}")
    return trees


def _domain() -> str:
    return _integration_dir().name


def test_manifest_is_valid() -> None:
    _assert_clean(check_manifest(_manifest(), _integration_dir()), "manifest.json")


def test_manifest_accepted_by_home_assistant_loader() -> None:
    _manifest()  # clear failure first when the file is missing or broken
    _assert_clean(check_with_ha_loader(_integration_dir()), "homeassistant.loader")


def test_component_imports_are_declared() -> None:
    _assert_clean(check_dependencies(_manifest(), _integration_dir()), "dependencies")


def test_hacs_json_is_valid() -> None:
    hacs = read_json(_integration_dir().parents[1] / "hacs.json")
    _assert_clean(check_hacs(hacs), "hacs.json")


def test_exactly_one_integration() -> None:
    _assert_clean(
        check_single_integration(_integration_dir().parent, _domain()), "custom_components/"
    )


def test_no_strings_json() -> None:
    path = _integration_dir() / "strings.json"
    assert not path.exists(), (
        "custom integrations must not ship strings.json; write translations/en.json"
    )


def test_translation_trees_are_identical() -> None:
    _assert_clean(check_translation_trees(_translations()), "translation key trees")


def test_translation_strings() -> None:
    _assert_clean(check_translation_strings(_translations()), "translation strings")


def test_translation_schema() -> None:
    trees = _translations()
    problems = [p for lang in sorted(trees) for p in check_translation_schema(trees[lang], lang)]
    _assert_clean(problems, "translation schema")


def test_config_flow_strings_exist() -> None:
    flow = _integration_dir() / "config_flow.py"
    assert flow.is_file(), f"{_rel(flow)} is missing"
    consts = Constants.collect(python_files(_integration_dir()))
    keys = collect_flow_keys(flow, consts, _domain())
    assert keys.steps, f"no step_id=... found in {_rel(flow)}"
    _assert_clean(
        keys.unresolved + check_flow_translations(keys, _translations()), "config flow strings"
    )


def test_code_translation_keys_exist() -> None:
    """Entity, device, exception and issue translation keys used in the code."""
    consts = Constants.collect(python_files(_integration_dir()))
    found = collect_code_keys(_integration_dir(), consts, _domain())
    problems = add_catalogue_keys(found, CATALOGUE_MODULE, _integration_dir())
    problems += check_code_translations(found, _translations())
    _assert_clean(problems, "translation keys used in code")


def test_icons_json() -> None:
    icons = read_json(_integration_dir() / "icons.json")
    en = read_json(_integration_dir() / "translations" / "en.json")
    _assert_clean(check_icons(icons, en), "icons.json")


def test_brand_images() -> None:
    _assert_clean(check_brand(_integration_dir() / "brand"), "brand images")


def test_quality_scale_yaml() -> None:
    path = _integration_dir() / "quality_scale.yaml"
    assert path.is_file(), f"{_rel(path)} is missing"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        pytest.fail(f"quality_scale.yaml does not parse: {err}")
    _assert_clean(check_quality_scale(data), "quality_scale.yaml")


# =========================================================================== checker self-tests


def png_bytes(width: int, height: int) -> bytes:
    """Return a minimal transparent RGBA PNG (no Pillow needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + b"\x00" * (4 * width) for _ in range(height))
    return (
        PNG_SIGNATURE
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


SAMPLE_FLOW = """
from enum import StrEnum

from homeassistant.components import usb
from homeassistant.config_entries import ConfigFlow, OptionsFlowWithReload
from homeassistant.const import CONF_PORT
from homeassistant.data_entry_flow import section
import voluptuous as vol

from .const import DOMAIN

STEP_MENU = "user"
ERR_TIMEOUT = "timeout"


class Kind(StrEnum):
    TIC = "tic"
    RECONFIGURE = "reconfigure"


class ProbeError(Exception):
    def __init__(self, key):
        self.key = key


async def _validate(port):
    if not port:
        return {"base": "cannot_connect"}
    if port == "busy":
        raise ProbeError("port_busy")
    if port.startswith("x"):
        raise ProbeError("not_tic" if port else "no_data")
    return {}


class SampleFlow(ConfigFlow, domain=DOMAIN):
    async def async_step_user(self, user_input=None):
        return self.async_show_menu(step_id=STEP_MENU, menu_options=[k.value for k in Kind])

    async def async_step_tic(self, user_input=None):
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                errors = await _validate(user_input[CONF_PORT])
            except ProbeError as err:
                errors["base"] = err.key
            if not errors:
                await self.async_set_unique_id("x")
                self._abort_if_unique_id_configured()
                return self.async_create_entry(title="x", data=user_input)
            errors[CONF_PORT] = ERR_TIMEOUT
        return self.async_show_form(
            step_id="tic",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_PORT): str,
                    vol.Optional("advanced"): section(vol.Schema({vol.Optional("baud"): int})),
                }
            ),
            errors=errors,
            description_placeholders={"model": "Linky"},
        )

    async def async_step_usb(self, discovery_info):
        self.context["title_placeholders"] = {"name": discovery_info.device}
        return await self.async_step_tic()

    async def async_step_reconfigure(self, user_input=None):
        if user_input is None:
            return self.async_show_form(step_id="reconfigure")
        if user_input.get("bad"):
            return self.async_abort(reason="wrong_device")
        return self.async_update_reload_and_abort(self._get_reconfigure_entry())

    @staticmethod
    def async_get_options_flow(config_entry):
        return SampleOptions()


class SampleOptions(OptionsFlowWithReload):
    async def async_step_init(self, user_input=None):
        errors = {}
        if user_input is not None and user_input["interval"] < 1:
            errors["base"] = "interval_too_short"
        return self.async_show_form(
            step_id="init", data_schema=vol.Schema({vol.Required("interval"): int}), errors=errors
        )
"""

SAMPLE_SENSOR = """
from dataclasses import dataclass

from homeassistant.components.sensor import SensorDeviceClass, SensorEntity, SensorEntityDescription
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.device_registry import DeviceInfo

from .const import DOMAIN

PERIODS = ["hp", "hc"]


@dataclass(frozen=True, kw_only=True)
class MeterSensorDescription(SensorEntityDescription):
    scale: int = 1


DESCRIPTIONS = (
    MeterSensorDescription(key="index", translation_key="index"),
    SensorEntityDescription(
        key="period", translation_key="period", device_class=SensorDeviceClass.ENUM, options=PERIODS
    ),
)


class Status(SensorEntity):
    _attr_translation_key = "status"

    def __init__(self):
        self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, "x")}, translation_key="meter")


def _flag(name):
    return SensorEntityDescription(key=name, translation_key=f"flag_{name}")


FLAGS = (_flag("alarm"),)


class Coordinator:
    def failure(self, key, **placeholders):
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders=placeholders or None,
        )

    def run(self):
        raise self.failure("link_lost", port="x")


def fail(port):
    ir.async_create_issue(None, DOMAIN, "id", is_fixable=False, translation_key="port_gone",
                          translation_placeholders={"port": port})
    raise HomeAssistantError(translation_domain=DOMAIN, translation_key="read_failed",
                             translation_placeholders={"port": port})
"""

SAMPLE_EN: dict[str, Any] = {
    "config": {
        "abort": {"already_configured": "Already configured", "wrong_device": "Wrong device"},
        "error": {
            "cannot_connect": "Cannot connect",
            "timeout": "Timed out",
            "port_busy": "Port busy",
            "not_tic": "Not a TIC stream",
            "no_data": "No data",
        },
        "flow_title": "{name}",
        "step": {
            "user": {"menu_options": {"tic": "Linky TIC", "reconfigure": "Reconfigure"}},
            "tic": {
                "description": "Set up a {model} meter",
                "data": {"port": "Port"},
                "data_description": {"port": "Serial port of the meter"},
                "sections": {
                    "advanced": {
                        "name": "Advanced",
                        "data": {"baud": "Baud rate"},
                        "data_description": {"baud": "Line speed"},
                    }
                },
            },
            "reconfigure": {"title": "Reconfigure"},
        },
    },
    "options": {
        "error": {"interval_too_short": "Too short"},
        "step": {
            "init": {
                "data": {"interval": "Interval"},
                "data_description": {"interval": "Seconds between polls"},
            }
        },
    },
    "device": {"meter": {"name": "Meter"}},
    "entity": {
        "sensor": {
            "index": {"name": "Index"},
            "period": {"name": "Period", "state": {"hp": "Peak", "hc": "Off-peak"}},
            "status": {"name": "Status"},
            "flag_alarm": {"name": "Alarm"},
        }
    },
    "exceptions": {
        "read_failed": {"message": "Reading {port} failed"},
        "link_lost": {"message": "Lost the link on {port}"},
    },
    "issues": {"port_gone": {"title": "Port {port} gone", "description": "Replug {port}"}},
}

SAMPLE_MANIFEST: dict[str, Any] = {
    "domain": "sample_meters",
    "name": "Sample Meters",
    "codeowners": ["@someone"],
    "config_flow": True,
    "dependencies": ["usb"],
    "documentation": "https://github.com/someone/sample_meters",
    "integration_type": "device",
    "iot_class": "local_push",
    "issue_tracker": "https://github.com/someone/sample_meters/issues",
    "requirements": ["serialx>=1.11"],
    "usb": [{"vid": "0403", "pid": "6015", "description": "*teleinfo*"}],
    "version": "0.1.0",
}


def _translate(tree: Any, suffix: str) -> Any:
    """Return a copy of ``tree`` with every string tagged (a fake translation)."""
    if isinstance(tree, dict):
        return {key: _translate(value, suffix) for key, value in tree.items()}
    return f"{tree} {suffix}"


def make_sample(root: Path) -> Path:
    """Write a small, valid integration repository under ``root``; return the domain dir."""
    domain_dir = root / "custom_components" / "sample_meters"
    (domain_dir / "translations").mkdir(parents=True)
    (domain_dir / "brand").mkdir()
    (root / "custom_components" / "__init__.py").write_text("")
    (root / "hacs.json").write_text(json.dumps({"name": "Sample", "homeassistant": "2026.10.0"}))
    (domain_dir / "manifest.json").write_text(json.dumps(SAMPLE_MANIFEST, indent=2))
    (domain_dir / "__init__.py").write_text('"""Sample."""\n')
    (domain_dir / "const.py").write_text('DOMAIN = "sample_meters"\n')
    (domain_dir / "config_flow.py").write_text(SAMPLE_FLOW)
    (domain_dir / "sensor.py").write_text(SAMPLE_SENSOR)
    (domain_dir / "diagnostics.py").write_text(
        "from homeassistant.components.diagnostics import async_redact_data\n"
    )
    for lang in REQUIRED_LANGUAGES:
        tree = SAMPLE_EN if lang == "en" else _translate(SAMPLE_EN, f"({lang})")
        (domain_dir / "translations" / f"{lang}.json").write_text(json.dumps(tree))
    (domain_dir / "icons.json").write_text(
        json.dumps(
            {
                "entity": {
                    "sensor": {
                        "period": {
                            "default": "mdi:clock",
                            "state": {"hc": "mdi:moon-waning-crescent"},
                        }
                    }
                }
            }
        )
    )
    (domain_dir / "quality_scale.yaml").write_text(
        "rules:\n  brands: done\n  action-setup:\n    status: exempt\n    comment: No actions.\n"
    )
    (domain_dir / "brand" / "icon.png").write_bytes(png_bytes(256, 256))
    (domain_dir / "brand" / "icon@2x.png").write_bytes(png_bytes(512, 512))
    return domain_dir


@pytest.fixture
def sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    domain_dir = make_sample(tmp_path)
    monkeypatch.setattr(sys.modules[__name__], "INTEGRATION_DIR", domain_dir)
    monkeypatch.setattr(sys.modules[__name__], "CATALOGUE_MODULE", None)
    return domain_dir


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data))


REAL_FILE_TESTS = [
    test_manifest_is_valid,
    test_manifest_accepted_by_home_assistant_loader,
    test_component_imports_are_declared,
    test_hacs_json_is_valid,
    test_exactly_one_integration,
    test_no_strings_json,
    test_translation_trees_are_identical,
    test_translation_strings,
    test_translation_schema,
    test_config_flow_strings_exist,
    test_code_translation_keys_exist,
    test_icons_json,
    test_brand_images,
    test_quality_scale_yaml,
]


@pytest.mark.parametrize("check", REAL_FILE_TESTS, ids=lambda f: f.__name__)
def test_checker_accepts_valid_sample(sample: Path, check: Any) -> None:
    check()


def test_checker_flow_collector_finds_everything(sample: Path) -> None:
    consts = Constants.collect(python_files(sample))
    keys = collect_flow_keys(sample / "config_flow.py", consts, "sample_meters")
    assert set(keys.steps["config"]) == {"user", "tic", "reconfigure"}
    assert set(keys.steps["options"]) == {"init"}
    assert keys.menu_options["config"] == {("user", "tic"), ("user", "reconfigure")}
    assert set(keys.errors["config"]) == {
        "cannot_connect",
        "timeout",
        "port_busy",
        "not_tic",
        "no_data",
    }
    assert keys.title_placeholders["config"] == {"name"}
    assert set(keys.errors["options"]) == {"interval_too_short"}
    # async_update_reload_and_abort without reason= is translated by Home Assistant.
    assert set(keys.aborts["config"]) == {"already_configured", "wrong_device"}
    assert set(keys.fields) == {"port", "baud", "interval"}
    assert set(keys.form_sections) == {"advanced"}
    assert not keys.unresolved


def test_checker_code_collector_finds_everything(sample: Path) -> None:
    consts = Constants.collect(python_files(sample))
    found = collect_code_keys(sample, consts, "sample_meters")
    assert set(found.entity) == {
        ("sensor", "index"),
        ("sensor", "period"),
        ("sensor", "status"),
        ("sensor", "flag_alarm"),
    }
    assert found.enum_states == {("sensor", "period"): {"hp", "hc"}}
    assert set(found.device) == {"meter"}
    assert set(found.exceptions) == {"read_failed", "link_lost"}
    assert found.exceptions["read_failed"][0][0] == {"port"}
    assert found.exceptions["link_lost"][0][0] == {"port"}
    assert not found.dynamic_entity
    assert set(found.issues) == {"port_gone"}
    assert not found.unclassified
    assert not found.unresolved


def test_checker_rejects_misordered_manifest() -> None:
    assert manifest_key_order_problems(["domain", "name", "codeowners", "version"]) == []
    assert manifest_key_order_problems(["name", "domain", "version"])
    assert manifest_key_order_problems(["domain", "name", "version", "codeowners"])


def test_checker_manifest_rules(tmp_path: Path) -> None:
    domain_dir = make_sample(tmp_path)
    assert check_manifest(dict(SAMPLE_MANIFEST), domain_dir) == []
    bad = dict(SAMPLE_MANIFEST)
    bad.update(
        domain="other",
        documentation="https://www.home-assistant.io/integrations/other",
        codeowners=["someone"],
        version="not a version",
        iot_class="local_pull",
        dependencies=[],
        requirements=["serialx==1.15.1", "not a requirement!", "pyserial-asyncio>=0.6"],
        usb=[{"vid": "0403", "pid": "6001"}, {"vid": "10c4", "pid": "EA60", "product": "x"}],
        homepage="https://example.org",
    )
    problems = "\n".join(check_manifest(bad, domain_dir))
    for needle in (
        "unknown keys ['homepage']",
        "does not match directory",
        "www.home-assistant.io/integrations",
        "codeowners",
        "not a valid AwesomeVersion",
        "iot_class 'local_pull'",
        '"usb" must be in dependencies',
        "conflicts with Home Assistant's constraint serialx==",
        "'not a requirement!' is not valid PEP 508",
        "pyserial-asyncio>=0.6' is deprecated",
        "usb[0] matches the generic USB-serial bridge 0403:6001",
        "usb[1] has unknown keys ['product']",
        "usb[1].vid must be 4 uppercase hex digits",
    ):
        assert needle in problems, f"{needle!r} not reported in:\n{problems}"
    (domain_dir / "config_flow.py").unlink()
    assert "config_flow.py does not exist" in "\n".join(check_manifest(SAMPLE_MANIFEST, domain_dir))


def test_checker_ha_loader_rejects_bad_version(tmp_path: Path) -> None:
    domain_dir = make_sample(tmp_path)
    assert check_with_ha_loader(domain_dir) == []
    _write_json(domain_dir / "manifest.json", {**SAMPLE_MANIFEST, "version": "banana"})
    assert "refused" in "\n".join(check_with_ha_loader(domain_dir))


def test_checker_dependencies(tmp_path: Path) -> None:
    domain_dir = make_sample(tmp_path)
    (domain_dir / "stats.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "from homeassistant.components.recorder import get_instance\n"
        "from homeassistant.components import energy, usb, repairs\n"
        "import homeassistant.components.binary_sensor\n"
        "if TYPE_CHECKING:\n"
        "    from homeassistant.components.zha import x\n"
    )
    problems = check_dependencies(SAMPLE_MANIFEST, domain_dir)
    flagged = {p.split()[1] for p in problems}
    assert flagged == {
        "homeassistant.components.recorder",
        "homeassistant.components.energy",
        "homeassistant.components.repairs",
    }, problems
    (domain_dir / "repairs.py").write_text("")
    manifest = {
        **SAMPLE_MANIFEST,
        "dependencies": ["usb", "recorder"],
        "after_dependencies": ["energy"],
    }
    assert check_dependencies(manifest, domain_dir) == []


def test_checker_hacs_and_layout(tmp_path: Path) -> None:
    assert check_hacs({"name": "x", "homeassistant": "2026.10.0", "hacs": "2.0.5"}) == []
    problems = "\n".join(
        check_hacs({"homeassistant": "2027.1.0", "iot_class": "x", "zip_release": True})
    )
    assert "unknown keys ['iot_class']" in problems
    assert "name is required" in problems
    assert "newer than the supported" in problems
    assert "zip_release requires filename" in problems
    domain_dir = make_sample(tmp_path)
    assert check_single_integration(domain_dir.parent, "sample_meters") == []
    (domain_dir.parent / "__pycache__").mkdir()
    assert check_single_integration(domain_dir.parent, "sample_meters") == []
    (domain_dir.parent / "second").mkdir()
    assert check_single_integration(domain_dir.parent, "sample_meters")


def test_checker_tree_comparer_reports_paths() -> None:
    en = {"config": {"step": {"user": {"title": "A", "data": {"port": "P"}}}}, "x": "y"}
    fr = {"config": {"step": {"user": {"title": "A", "data": {"host": "H"}}}}, "x": {"z": "y"}}
    missing, extra = compare_trees(en, fr)
    assert missing == ["config.step.user.data.port", "x"]
    assert extra == ["config.step.user.data.host", "x.z"]
    problems = check_translation_trees({"en": en, "fr": fr, "de": en})
    assert "fr.json lacks config.step.user.data.port (present in en.json)" in problems
    assert "fr.json has config.step.user.data.host (absent from en.json)" in problems
    assert not [p for p in problems if p.startswith("de.json")]


def test_checker_translation_strings() -> None:
    trees = {
        "en": {"a": "Port {port}", "b": "[%key:common::config_flow::data::port%]", "c": " pad"},
        "fr": {"a": "Port {device}", "b": "", "c": "see https://example.com/docs"},
        "de": {"a": "Port {port}", "b": "<b>bold</b>", "c": "x '{y}'"},
    }
    problems = "\n".join(check_translation_strings(trees))
    for needle in (
        "a uses different placeholders per language",
        "en.json b uses a [%key:",
        "en.json c has leading or trailing whitespace",
        "fr.json b is empty",
        "fr.json c contains a URL",
        "de.json b contains HTML",
        "de.json c has a placeholder inside single quotes",
    ):
        assert needle in problems, f"{needle!r} not reported in:\n{problems}"


def test_checker_translation_schema() -> None:
    assert check_translation_schema(SAMPLE_EN) == []
    bad = json.loads(json.dumps(SAMPLE_EN))
    bad["config"]["step"]["tic"]["data_description"]["extra"] = "x"
    bad["config"]["step"]["tic"]["data"]["new"] = "y"
    bad["entity"]["sensor"]["Bad_Key"] = {"name": "x", "icon": "mdi:x"}
    bad["entity"]["sensor"]["period"]["state"]["hp"] = "Peak {x}"
    bad["issues"]["port_gone"]["fix_flow"] = {"step": {}}
    bad["exceptions"]["read_failed"]["text"] = "x"
    bad["unknown_top"] = {}
    problems = "\n".join(check_translation_schema(bad))
    for needle in (
        "has unknown keys ['unknown_top']",
        "data_description.extra has no matching data.extra",
        "data.new has no data_description.new",
        "entity.sensor.Bad_Key: invalid key",
        "entity.sensor.Bad_Key has unknown keys ['icon']",
        "period.state.hp must not contain placeholders",
        "issues.port_gone needs exactly one of description / fix_flow",
        "exceptions.read_failed has unknown keys ['text']",
    ):
        assert needle in problems, f"{needle!r} not reported in:\n{problems}"


def test_checker_flow_translations_report_missing(sample: Path) -> None:
    consts = Constants.collect(python_files(sample))
    keys = collect_flow_keys(sample / "config_flow.py", consts, "sample_meters")
    en = json.loads(json.dumps(SAMPLE_EN))
    del en["config"]["error"]["timeout"]
    del en["config"]["abort"]["wrong_device"]
    del en["config"]["step"]["user"]["menu_options"]["reconfigure"]
    del en["options"]["step"]["init"]["data"]["interval"]
    del en["config"]["step"]["reconfigure"]
    en["config"]["step"]["tic"]["description"] = "Set up {model} on {port}"
    problems = "\n".join(check_flow_translations(keys, {"en": en}))
    for needle in (
        "lacks config.error.timeout",
        "lacks config.abort.wrong_device",
        "lacks config.step.user.menu_options.reconfigure",
        "lacks config.step.reconfigure",
        "form field 'interval'",
        "uses placeholders ['port']",
    ):
        assert needle in problems, f"{needle!r} not reported in:\n{problems}"
    keys.menu_options["config"].add(("user", "wmbus"))
    assert "has no async_step_wmbus" in "\n".join(check_flow_translations(keys, {"en": SAMPLE_EN}))


def test_checker_code_translations_report_missing(sample: Path) -> None:
    consts = Constants.collect(python_files(sample))
    found = collect_code_keys(sample, consts, "sample_meters")
    en = json.loads(json.dumps(SAMPLE_EN))
    del en["entity"]["sensor"]["index"]
    del en["entity"]["sensor"]["period"]["state"]["hc"]
    del en["device"]["meter"]
    en["exceptions"]["read_failed"]["message"] = "Reading {port} failed: {error}"
    del en["issues"]["port_gone"]["description"]
    trees = {"en": en, "fr": SAMPLE_EN, "de": SAMPLE_EN}
    problems = "\n".join(check_code_translations(found, trees))
    for needle in (
        "en.json lacks entity.sensor.index.name",
        "en.json lacks entity.sensor.period.state.hc",
        "en.json lacks device.meter.name",
        "exceptions.read_failed.message uses placeholders ['error']",
        "en.json lacks issues.port_gone.description",
    ):
        assert needle in problems, f"{needle!r} not reported in:\n{problems}"
    assert "fr.json" not in problems


def test_checker_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    from homeassistant.components.sensor import SensorDeviceClass, SensorEntityDescription

    module = types.ModuleType("sample_catalogue")
    module.all_entity_descriptions = lambda: [  # type: ignore[attr-defined]
        (
            "sensor",
            SensorEntityDescription(
                key="a",
                translation_key="tariff",
                device_class=SensorDeviceClass.ENUM,
                options=["x"],
            ),
        ),
        ("binary_sensor", SensorEntityDescription(key="b", translation_key="alarm")),
    ]
    monkeypatch.setitem(sys.modules, "sample_catalogue", module)
    found = CodeKeys()
    assert add_catalogue_keys(found, "sample_catalogue") == []
    assert set(found.entity) == {("sensor", "tariff"), ("binary_sensor", "alarm")}
    assert found.enum_states[("sensor", "tariff")] == {"x"}
    assert add_catalogue_keys(CodeKeys(), "no_such_module_here") == []


def test_checker_icons() -> None:
    icons = {
        "entity": {
            "sensor": {
                "period": {"default": "mdi:clock", "state": {"hp": "mdi:sun", "xx": "mdi:a"}},
                "ghost": {"default": "mdi:ghost"},
                "index": {"default": "clock", "colour": "mdi:x"},
            },
            "binary_sensor": {"alarm": {"state": {"on": "mdi:bell-ring", "off": "mdi:bell"}}},
        }
    }
    en = {**SAMPLE_EN, "entity": {**SAMPLE_EN["entity"], "binary_sensor": {"alarm": {"name": "A"}}}}
    problems = "\n".join(check_icons(icons, en))
    assert "binary_sensor" not in problems  # on/off are built-in binary sensor states
    for needle in (
        "entity.sensor.ghost: no entity.sensor.ghost in en.json",
        "entity.sensor.period.state.xx: not a state in en.json",
        "entity.sensor.index.default must be an 'mdi:<name>' string",
        "entity.sensor.index has unknown keys ['colour']",
    ):
        assert needle in problems, f"{needle!r} not reported in:\n{problems}"


def test_checker_brand(tmp_path: Path) -> None:
    brand = tmp_path / "brand"
    brand.mkdir()
    assert len(check_brand(brand)) == 2
    (brand / "icon.png").write_bytes(png_bytes(256, 256))
    (brand / "icon@2x.png").write_bytes(png_bytes(256, 256))
    (brand / "logo.png").write_bytes(png_bytes(600, 100))
    (brand / "logo@2x.png").write_bytes(b"GIF89a")
    (brand / "banner.png").write_bytes(png_bytes(10, 10))
    assert png_size(brand / "icon.png") == (256, 256)
    problems = "\n".join(check_brand(brand))
    for needle in (
        "icon@2x.png is 256x256",
        "logo.png is 600x100: shortest side must be 128-256",
        "logo@2x.png: not a PNG file",
        "banner.png is not a recognised",
    ):
        assert needle in problems, f"{needle!r} not reported in:\n{problems}"


def test_checker_quality_scale() -> None:
    assert check_quality_scale({"rules": {"brands": "done", "diagnostics": "todo"}}) == []
    problems = "\n".join(
        check_quality_scale(
            {
                "rules": {
                    "brands": "yes",
                    "made-up": "done",
                    "diagnostics": {"status": "exempt"},
                    "devices": {"status": "skipped", "comment": "x"},
                }
            }
        )
    )
    for needle in (
        "rules.brands: must be done, todo",
        "rules.made-up: unknown quality scale rule",
        "rules.diagnostics: exempt rules need a comment",
        "rules.devices.status must be done, todo or exempt",
    ):
        assert needle in problems, f"{needle!r} not reported in:\n{problems}"
    assert check_quality_scale({"rule": {}})


def test_checker_real_file_tests_fail_when_files_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "custom_components" / "energy_meters"
    empty.mkdir(parents=True)
    monkeypatch.setattr(sys.modules[__name__], "INTEGRATION_DIR", empty)
    for check in (test_manifest_is_valid, test_hacs_json_is_valid, test_icons_json):
        with pytest.raises(pytest.fail.Exception, match="is missing"):
            check()
    with pytest.raises(AssertionError, match="missing"):
        test_brand_images()


def test_checker_dynamic_keys_need_catalogue(tmp_path: Path) -> None:
    domain_dir = make_sample(tmp_path)
    (domain_dir / "extra.py").write_text(
        "from homeassistant.components.sensor import SensorEntityDescription\n"
        "from homeassistant.exceptions import HomeAssistantError\n"
        "from .const import DOMAIN\n"
        "def from_row(row):\n"
        "    return SensorEntityDescription(key=row.key, translation_key=row.key)\n"
        "def boom(key):\n"
        "    raise HomeAssistantError(translation_domain=DOMAIN, translation_key=key)\n"
        "def use(name):\n"
        "    boom(name)\n"
        "    boom('read_failed')\n"
    )
    consts = Constants.collect(python_files(domain_dir))
    found = collect_code_keys(domain_dir, consts, "sample_meters")
    assert [where.rsplit("/", 1)[-1] for where in found.dynamic_entity] == ["extra.py:5"]
    assert any("boom() is called with a non-constant key" in p for p in found.unresolved)
    trees = dict.fromkeys(REQUIRED_LANGUAGES, SAMPLE_EN)
    problems = "\n".join(check_code_translations(found, trees))
    assert "expose all_entity_descriptions()" in problems
    found.catalogue_loaded = True
    assert "expose all_entity_descriptions()" not in "\n".join(
        check_code_translations(found, trees)
    )


def test_checker_usb_narrowing() -> None:
    ok = [
        {"vid": "0403", "pid": "6001", "manufacturer": "*cartelectronic*"},
        {"vid": "0403", "pid": "6015", "description": "*tinfo*"},
        {"vid": "1234", "pid": "ABCD"},  # not a generic bridge
    ]
    assert _usb_problems(ok) == []
    bad = [
        {"vid": "0403", "pid": "6001", "manufacturer": "*ftdi*"},
        {"vid": "10C4", "pid": "EA60", "description": "cp2102 usb to uart"},
        {"vid": "1A86", "pid": "7523", "description": "*"},
    ]
    assert len(_usb_problems(bad)) == 3


def test_checker_flow_title_placeholders(sample: Path) -> None:
    consts = Constants.collect(python_files(sample))
    keys = collect_flow_keys(sample / "config_flow.py", consts, "sample_meters")
    en = json.loads(json.dumps(SAMPLE_EN))
    en["config"]["flow_title"] = "{name} ({model})"
    problems = "\n".join(check_flow_translations(keys, {"en": en}))
    assert "config.flow_title uses ['model']" in problems
