"""
What wmbusmeters prints: JSON telegrams on stdout, messages on stderr.

stdout carries one compact JSON object per decoded telegram, but fatal start-up
errors (``No such driver foo``) are printed there too: any line that is not a
``{"_":"telegram"...}`` object is a diagnostic, never a crash. stderr lines are
classified by their stable prefixes (wmbusmeters 2.0.0): wrong or missing keys,
unknown drivers, a dongle that is missing or not answering.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
import json
import re
from typing import Final

type FieldValue = float | int | str | None

HEADER_KEYS: Final = frozenset({"_", "media", "meter", "name", "id", "timestamp", "device"})


@dataclass(frozen=True, slots=True)
class Telegram:
    """One decoded telegram of one configured meter."""

    meter_id: str
    name: str
    driver: str
    media: str
    timestamp: str
    values: dict[str, FieldValue] = field(default_factory=dict)
    rssi_dbm: float | None = None
    receiver: str | None = None
    identity: str = ""
    """The JSON ``id`` as printed (``76348799.M=KAM.V=1b.T=16`` in full identity mode)."""


def parse_line(line: str) -> Telegram | None:
    """Return the telegram of one stdout line, or None for any other line."""
    text = line.strip()
    if not text.startswith("{"):
        return None
    try:
        obj = json.loads(text)
    except ValueError:
        return None
    if not isinstance(obj, dict) or obj.get("_") != "telegram":
        return None
    meter_id = obj.get("id")
    if not isinstance(meter_id, str) or not meter_id:
        return None
    values: dict[str, FieldValue] = {}
    rssi: float | None = None
    for key, value in obj.items():
        if key in HEADER_KEYS or not isinstance(key, str):
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float, str, type(None))):
            continue  # structured or boolean extras are not meter values
        if key == "rssi_dbm":
            rssi = float(value) if isinstance(value, (int, float)) else None
            continue
        values[key] = value
    return Telegram(
        meter_id=meter_id.split(".", 1)[0].lower(),
        name=str(obj.get("name", "")),
        driver=str(obj.get("meter", "")),
        media=str(obj.get("media", "")),
        timestamp=str(obj.get("timestamp", "")),
        values=values,
        rssi_dbm=rssi,
        receiver=obj["device"] if isinstance(obj.get("device"), str) else None,
        identity=meter_id,
    )


class Problem(StrEnum):
    """What a message says is wrong (also the translation key suffix)."""

    WRONG_KEY = "wrong_key"
    NO_KEY = "no_key"
    NOT_ENCRYPTED = "not_encrypted"
    UNKNOWN_DRIVER = "unknown_driver"
    DRIVER_MISMATCH = "driver_mismatch"
    NO_DRIVER_FOUND = "no_driver_found"
    INVALID_KEY = "invalid_key"
    DEVICE_NOT_FOUND = "device_not_found"
    DEVICE_IGNORED = "device_ignored"
    DEVICE_FAILURE = "device_failure"
    DEVICE_LOST = "device_lost"


@dataclass(frozen=True, slots=True)
class Message:
    """A classified message: the problem, the meter id or device it names, the text."""

    problem: Problem
    subject: str
    text: str
    detail: str = ""


_ID = r"id: (?P<id>[0-9A-Fa-f]{8})"
_RULES: Final[tuple[tuple[Problem, re.Pattern[str]], ...]] = (
    (Problem.WRONG_KEY, re.compile(rf"did you use the correct decryption key\?.*{_ID}")),
    (Problem.NO_KEY, re.compile(rf"no key to decrypt payload!.*{_ID}")),
    (
        Problem.NOT_ENCRYPTED,
        re.compile(rf"should have been (?:fully )?encrypted, but was not!.*{_ID}"),
    ),
    (Problem.UNKNOWN_DRIVER, re.compile(r"^No such driver (?P<subject>\S+)")),
    (
        Problem.DRIVER_MISMATCH,
        re.compile(
            r"\(meter\) (?P<name>\S+): meter detection did not match the selected driver.*"
            r"correct driver is: (?P<detail>[a-z0-9_]+)"
        ),
    ),
    (
        Problem.NO_DRIVER_FOUND,
        re.compile(rf"\(meter\) (?P<name>\S+): meter detection could not find driver for {_ID}"),
    ),
    (
        Problem.INVALID_KEY,
        re.compile(r"not a valid meter key(?: in config)? \"(?P<subject>[^\"]*)\"", re.I),
    ),
    (
        Problem.DEVICE_NOT_FOUND,
        re.compile(r"\[ALARM SpecifiedDeviceNotFound\] the device (?P<subject>\S+)"),
    ),
    (
        Problem.DEVICE_IGNORED,
        re.compile(r"^Expected (?P<detail>\S+) on (?P<subject>\S+) but did not find it"),
    ),
    (Problem.DEVICE_FAILURE, re.compile(r"\[ALARM (?P<subject>Device\w+)\]")),
    (Problem.DEVICE_LOST, re.compile(r"^Lost (?P<subject>\S+) closing")),
)


_METER_ID_RE: Final = re.compile(r"(?<![0-9A-Fa-f])([0-9A-Fa-f]{4})([0-9A-Fa-f]{4})(?![0-9A-Fa-f])")


def mask_meter_ids(text: str) -> str:
    """
    Shorten every 8-digit meter id in ``text`` to its last four (for logs).

    A wM-Bus id is the meter's serial: it identifies a home, so what reaches the log
    (wmbusmeters' own lines included) carries ``…5544``, as our coordinator names do.
    Other 8-digit numbers (dates) are shortened too: harmless in a log line.
    """
    return _METER_ID_RE.sub(r"…\2", text)


def classify(line: str) -> Message | None:
    """Return what a stderr (or non-JSON stdout) line reports, or None."""
    text = line.strip()
    for problem, pattern in _RULES:
        if (match := pattern.search(text)) is None:
            continue
        groups = match.groupdict()
        subject = groups.get("id") or groups.get("subject") or groups.get("name") or ""
        if groups.get("id"):
            subject = subject.lower()
        elif groups.get("name", "").startswith("em_"):
            subject = groups["name"].removeprefix("em_")
        return Message(problem, subject, text, groups.get("detail") or "")
    return None
