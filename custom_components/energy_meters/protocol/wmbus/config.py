"""
What the user types, validated, and the ``--useconfig`` directory we generate.

wmbusmeters reads ``DIR/etc/wmbusmeters.conf`` and one ``key=value`` file per
meter in ``DIR/etc/wmbusmeters.d/``. Using a directory instead of the command
line keeps keys off the process list and avoids the command-line trap where a
meter name that looks like a device part (``M``, ``c1``, ``stdin``) is read as
one. In config mode JSON is the default output: ``format=json`` is never written
(with ``--useconfig`` it is a usage error), nor any ``shell=`` line (it empties
stdout).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
import os
from pathlib import Path
import re
from typing import Final

DEVICE_TYPES: Final = frozenset(
    {
        "auto",
        "amb8465",
        "amb3665",
        "cul",
        "im871a",
        "im170a",
        "iu891a",
        "iu880b",
        "rc1180",
        "rawtty",
        "hextty",
        "xmqtty",
        "rtlwmbus",
        "rtl433",
        "mbus",
    }
)
LINK_MODES: Final = frozenset(
    {"c1", "t1", "s1", "s1m", "n1a", "n1b", "n1c", "n1d", "n1e", "n1f", "mbus"}
)
STDIN_FORMATS: Final = frozenset({"hex", "rawtty", "rtlwmbus", "rtl433"})

_TYPE = r"(?P<type>[a-z0-9]+)(?:\[(?P<dongle>[0-9A-Za-z_]+)\])?(?:\((?P<args>[a-z0-9=.,_]*)\))?"
_MODES = r"(?P<modes>[a-z0-9]+(?:,[a-z0-9]+)*)"
_FREQ = r"(?P<freq>[0-9]+(?:\.[0-9]+)?M)"
_DONGLE_RE: Final = re.compile(rf"^{_TYPE}(?::{_FREQ})?(?::{_MODES})?$")
_TTY_RE: Final = re.compile(
    rf"^(?P<tty>/dev/[A-Za-z0-9_./-]+):(?:(?P<bps>[0-9]+)|{_TYPE})(?::{_MODES})?$"
)
_STDIN_RE: Final = re.compile(r"^stdin:(?P<fmt>[a-z0-9]+)$")
_FILE_RE: Final = re.compile(r"^(?P<path>/[A-Za-z0-9_./-]+):(?P<fmt>hex|rawtty|rtlwmbus|rtl433)$")
_SIMULATION_RE: Final = re.compile(
    r"^(?P<path>(?:/[A-Za-z0-9_.-]+)*/?simulation[A-Za-z0-9_.-]*\.txt)$"
)

METER_ID_RE: Final = re.compile(r"^[0-9A-Fa-f]{8}$")
KEY_RE: Final = re.compile(r"^[0-9A-Fa-f]{32}$")
DRIVER_RE: Final = re.compile(r"^[a-z0-9_]+$")
NO_KEY: Final = "NOKEY"
AUTO_DRIVER: Final = "auto"


class InvalidSpecError(ValueError):
    """A value the user typed is not valid; ``reason`` is a translation key."""

    def __init__(self, reason: str, value: str = "") -> None:
        """Remember why (a translation key) and what."""
        super().__init__(f"{reason}: {value}")
        self.reason = reason
        self.value = value


def _check_modes(modes: str | None, spec: str) -> None:
    if modes is None:
        return
    for mode in modes.split(","):
        if mode not in LINK_MODES:
            raise InvalidSpecError("invalid_link_mode", mode)


def validate_device(spec: str) -> str:
    """
    Return the device spec stripped, or raise InvalidSpecError.

    Accepted: ``auto:c1,t1``, ``im871a[00102807]:t1``, ``rtlwmbus:868.9M:c1``,
    ``/dev/ttyUSB0:im871a:c1,t1``, ``/dev/ttyUSB0:9600``, ``stdin:hex``,
    ``/path/file:hex``, ``/path/simulation_x.txt``. Anything that makes
    wmbusmeters run a command (``CMD(...)``) is refused.
    """
    spec = spec.strip()
    if not spec:
        raise InvalidSpecError("invalid_device", spec)
    if "cmd(" in spec.lower() or any(c in spec for c in "|;&$`'\" \t\n"):
        raise InvalidSpecError("device_command_refused", spec)
    if match := _STDIN_RE.match(spec):
        if match["fmt"] not in STDIN_FORMATS:
            raise InvalidSpecError("invalid_device", spec)
        return spec
    if _SIMULATION_RE.match(spec) or _FILE_RE.match(spec):
        return spec
    if match := _TTY_RE.match(spec):
        if match["type"] is not None and match["type"] not in DEVICE_TYPES - {"auto"}:
            raise InvalidSpecError("invalid_device_type", match["type"])
        _check_modes(match["modes"], spec)
        return spec
    if match := _DONGLE_RE.match(spec):
        if match["type"] not in DEVICE_TYPES:
            raise InvalidSpecError("invalid_device_type", match["type"])
        _check_modes(match["modes"], spec)
        return spec
    raise InvalidSpecError("invalid_device", spec)


def uses_stdin(spec: str) -> bool:
    """Tell whether wmbusmeters reads telegrams from its stdin for this device."""
    return spec.startswith("stdin:")


def validate_meter_id(meter_id: str) -> str:
    """Return the id (8 hex digits) in lower case, or raise InvalidSpecError."""
    meter_id = meter_id.strip()
    if not METER_ID_RE.match(meter_id):
        raise InvalidSpecError("invalid_meter_id", meter_id)
    return meter_id.lower()


def validate_key(key: str | None) -> str:
    """Return the key (32 hex digits, upper case) or "" for none, or raise InvalidSpecError."""
    key = (key or "").strip().replace(" ", "")
    if key == "" or key.upper() == NO_KEY:
        return ""
    if not KEY_RE.match(key):
        raise InvalidSpecError("invalid_key", key)
    return key.upper()


def validate_driver(driver: str, known: Iterable[str] | None = None) -> str:
    """
    Return the driver name, or raise InvalidSpecError.

    ``@name`` drivers are refused: wmbusmeters would download them with curl.
    With ``known`` (``--listmeters``), a name it does not list is refused too.
    """
    driver = driver.strip()
    if not DRIVER_RE.match(driver):
        raise InvalidSpecError("invalid_driver", driver)
    if driver != AUTO_DRIVER and known is not None and driver not in set(known):
        raise InvalidSpecError("unknown_driver", driver)
    return driver


@dataclass(frozen=True, slots=True)
class MeterConfig:
    """One meter file: ``name`` is ours (``em_<id>``), never the user's label."""

    meter_id: str
    driver: str
    key: str = ""

    @property
    def name(self) -> str:
        """The name wmbusmeters reports in ``"name"``: safe, unique, ours."""
        return f"em_{self.meter_id}"

    def file_text(self) -> str:
        """Return the meter file."""
        return (
            f"name={self.name}\ndriver={self.driver}\nid={self.meter_id}\n"
            f"key={self.key or NO_KEY}\n"
        )


HEARD_FILE: Final = "heard"
"""The catch-all meter file (see :mod:`.heard`); ``em_*`` names never clash with it."""


def heard_file_text(configured: Iterable[str]) -> str:
    """
    Return the catch-all meter file: every meter but the configured ones, detected driver.

    ``identitymode=full`` makes its JSON ``id`` carry manufacturer, version and type.
    """
    ids = ",".join(["*", *(f"!{meter_id}" for meter_id in configured)])
    return f"name={HEARD_FILE}\ndriver={AUTO_DRIVER}\nid={ids}\nkey={NO_KEY}\nidentitymode=full\n"


def conf_text(device: str, *, ignore_duplicates: bool = True) -> str:
    """Return the main configuration file (JSON on stdout is the default in config mode)."""
    return (
        "loglevel=normal\n"
        f"device={device}\n"
        f"ignoreduplicates={'true' if ignore_duplicates else 'false'}\n"
        "nonet=true\n"
    )


def write_config_dir(
    root: Path,
    device: str,
    meters: Iterable[MeterConfig],
    *,
    ignore_duplicates: bool = True,
    listen_all: bool = True,
) -> None:
    """
    Write ``root/etc/wmbusmeters.conf`` and one file per meter (mode 0600: keys).

    Meter files of meters no longer listed are removed, so a rewrite followed by
    a reload (SIGHUP) serves exactly ``meters``. With ``listen_all`` the
    catch-all file reports every other meter heard.
    """
    meters = list(meters)
    etc = root / "etc"
    meter_dir = etc / "wmbusmeters.d"
    meter_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    _write(etc / "wmbusmeters.conf", conf_text(device, ignore_duplicates=ignore_duplicates))
    wanted = {}
    for meter in meters:
        wanted[meter.name] = meter.file_text()
    if listen_all:
        wanted[HEARD_FILE] = heard_file_text(meter.meter_id for meter in meters)
    for stale in meter_dir.iterdir():
        if stale.name not in wanted:
            stale.unlink()
    for name, text in wanted.items():
        _write(meter_dir / name, text)


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(text)
    tmp.replace(path)
