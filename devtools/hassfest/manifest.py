"""Manifest checks: hassfest's custom-integration schema, usb matchers, the HA loader."""

import logging
from pathlib import Path
import re
import types
from typing import Any

from awesomeversion import AwesomeVersion, AwesomeVersionException, AwesomeVersionStrategy
import homeassistant
from homeassistant import loader, requirements as ha_requirements
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

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


def usb_problems(matchers: Any) -> list[str]:
    """Check the manifest ``usb`` matchers (schema, and no bare generic USB-serial bridge)."""
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
        problems += usb_problems(manifest["usb"])
    if "requirements" in manifest:
        problems += _requirement_problems(manifest["requirements"])
    return problems


def check_with_ha_loader(integration_dir: Path) -> list[str]:
    """Resolve the integration with Home Assistant's own loader, as HA does at startup."""
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
