"""
Meters heard but not configured: what wmbusmeters 2.0.0 tells about them (HA-free).

With any meter configured, wmbusmeters prints nothing for the others. The
generated config directory therefore carries a catch-all meter file
(:data:`HEARD_NAME`: ``driver=auto``, ``id=*,!<each configured id>``,
``identitymode=full``), verified with the real binary on ``stdin:hex`` and on a
simulation file:

* a plain meter is decoded by the detected driver and printed as JSON with
  ``"name":"heard"`` and ``"id":"68926025.M=HYD.V=20.T=04"`` (id, manufacturer,
  version, device type), plus ``rssi_dbm`` when the dongle reports it;
* an encrypted one is reported once per run on stderr: ``Permanently ignoring
  telegrams from id: 76348799 mfct: (KAM) … type: Cold water meter (0x16) ver:
  0x1b`` then ``newly created meter (heard *,!…,R76348799… multical21) did not
  handle telegram!`` (the suggested driver);
* configured meters keep their own driver's output: their ids are excluded from
  the catch-all (without the exclusion both files would print the telegram).

Raw telegrams (for checking a key before a meter is saved) are not printed by
wmbusmeters at the normal log level; :func:`split_hex` and :func:`header` read
them where the integration sees them itself (``stdin:hex`` feeds, replay files).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
import re
from typing import Any, Final

from .output import Telegram

HEARD_NAME: Final = "heard"
RAW_KEPT: Final = 3
SAME_TIME: Final = 60.0
"""Meters last heard within the same minute are ordered by signal strength."""

# EN 13757-7 device types (the T of the identity), as wmbusmeters names the media
DEVICE_TYPES: Final = {
    0x00: "other",
    0x01: "oil",
    0x02: "electricity",
    0x03: "gas",
    0x04: "heat",
    0x05: "steam",
    0x06: "warm water",
    0x07: "water",
    0x08: "heat cost allocation",
    0x09: "compressed air",
    0x0A: "cooling load volume at outlet",
    0x0B: "cooling load volume at inlet",
    0x0C: "heat volume at inlet",
    0x0D: "heat/cooling load",
    0x0E: "bus/system component",
    0x0F: "unknown",
    0x15: "hot water",
    0x16: "cold water",
    0x17: "dual water",
    0x18: "pressure",
    0x19: "a/d converter",
    0x1A: "smoke detector",
    0x1B: "room sensor",
    0x1C: "gas detector",
    0x25: "radio converter (meter side)",
}

_IDENTITY_RE: Final = re.compile(
    r"^(?P<id>[0-9A-Fa-f]{8})(?:\.M=(?P<mfct>[A-Z@]{3}))?(?:\.V=(?P<ver>[0-9a-fA-F]{2}))?"
    r"(?:\.T=(?P<type>[0-9a-fA-F]{2}))?$"
)
_IGNORED_RE: Final = re.compile(
    r"Permanently ignoring telegrams from id: (?P<id>[0-9A-Fa-f]{8})"
    r"(?: mfct: \((?P<mfct>[A-Z@]{3})\))?"
    r"(?:.*?type: [^(]*\(0x(?P<type>[0-9a-fA-F]{2})\))?"
    r"(?: ver: 0x(?P<ver>[0-9a-fA-F]{2}))?"
)
_CREATED_RE: Final = re.compile(
    rf"newly created meter \({HEARD_NAME} \S*?R(?P<id>[0-9A-Fa-f]{{8}})\S* (?P<driver>[a-z0-9_]+)\)"
)
_HEX_RE: Final = re.compile(r"[0-9A-Fa-f]+")


def medium_of(device_type: int | None) -> str:
    """Return the medium of a device type byte ("" when unknown)."""
    return "" if device_type is None else DEVICE_TYPES.get(device_type, "")


def manufacturer_code(value: int) -> str:
    """Return the three letters of an M-field (EN 62056-21 FLAG code)."""
    return "".join(chr(((value >> shift) & 0x1F) + 64) for shift in (10, 5, 0))


@dataclass(frozen=True, slots=True)
class Header:
    """The link-layer header of a raw telegram."""

    meter_id: str
    manufacturer: str
    version: int
    device_type: int


def header(hex_telegram: str) -> Header | None:
    """Return the header of a raw telegram (L C M M A A A A V T …), None if too short."""
    try:
        data = bytes.fromhex(hex_telegram)
    except ValueError:
        return None
    if len(data) < 10:
        return None
    return Header(
        meter_id=data[7:3:-1].hex(),
        manufacturer=manufacturer_code(data[2] | data[3] << 8),
        version=data[8],
        device_type=data[9],
    )


def split_hex(line: str) -> list[str]:
    """
    Return the telegrams of a hex line, split by their length byte as wmbusmeters does.

    A line whose lengths do not add up (frames with DLL CRCs) is one telegram.
    """
    text = "".join(_HEX_RE.findall(line)).upper()
    if len(text) % 2:
        return []
    parts: list[str] = []
    pos = 0
    while pos < len(text):
        size = (int(text[pos : pos + 2], 16) + 1) * 2
        if size < 22 or pos + size > len(text):
            return [text] if text else []
        parts.append(text[pos : pos + size])
        pos += size
    return parts


def replay_telegrams(text: str) -> list[str]:
    """Return the telegrams of a replay file (``telegram=|HEX|+S`` lines, or hex lines)."""
    found: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith(("#", "{")):
            continue
        if line.startswith("telegram="):
            line = line.removeprefix("telegram=").split("|+", 1)[0].replace("_", "")
        found.extend(split_hex(line.replace("|", "")))
    return found


@dataclass(slots=True)
class HeardMeter:
    """A meter heard but not configured."""

    meter_id: str
    manufacturer: str = ""
    medium: str = ""
    driver: str = ""
    version: str = ""
    encrypted: bool = False
    rssi_dbm: float | None = None
    last_heard: float = 0.0
    telegrams: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """What the add-meter list shows: id, manufacturer, medium, encrypted."""
        parts = [self.meter_id, self.manufacturer, self.medium, self.driver]
        if self.rssi_dbm is not None:
            parts.append(f"{self.rssi_dbm:g} dBm")
        if self.encrypted:
            parts.append("encrypted")
        return " · ".join(part for part in parts if part)

    def as_dict(self) -> dict[str, Any]:
        """Return the record as plain data (store, diagnostics)."""
        return asdict(self)


class HeardMeters:
    """The last :attr:`max_size` meters heard, most recent last."""

    def __init__(self, max_size: int = 50) -> None:
        """Start empty."""
        self.max_size = max_size
        self._meters: dict[str, HeardMeter] = {}
        self._raw: dict[str, list[str]] = {}
        """Raw telegrams by header id, until wmbusmeters reports their meter."""

    def __len__(self) -> int:
        """Return how many meters are kept."""
        return len(self._meters)

    def __contains__(self, meter_id: object) -> bool:
        """Tell whether a meter id was heard."""
        return meter_id in self._meters

    def get(self, meter_id: str) -> HeardMeter | None:
        """Return one heard meter."""
        return self._meters.get(meter_id)

    def forget(self, meter_id: str) -> None:
        """Drop a meter (it was configured)."""
        self._meters.pop(meter_id, None)
        self._raw.pop(meter_id, None)

    def _touch(self, meter_id: str, now: float) -> HeardMeter:
        meter = self._meters.pop(meter_id, None) or HeardMeter(
            meter_id, telegrams=self._raw.pop(meter_id, [])
        )
        meter.last_heard = now
        self._meters[meter_id] = meter
        while len(self._meters) > self.max_size:
            self._meters.pop(next(iter(self._meters)))
        return meter

    def from_telegram(self, telegram: Telegram, now: float) -> HeardMeter:
        """Record a decoded telegram (its identity is the full one: id, M, V, T)."""
        meter = self._touch(telegram.meter_id, now)
        if (match := _IDENTITY_RE.match(telegram.identity)) is not None:
            meter.manufacturer = match["mfct"] or meter.manufacturer
            meter.version = (match["ver"] or meter.version).lower()
            if match["type"]:
                meter.medium = medium_of(int(match["type"], 16)) or meter.medium
        if telegram.media and telegram.media.lower() != "unknown":
            meter.medium = telegram.media
        if telegram.driver and telegram.driver != "auto":
            meter.driver = telegram.driver
        if telegram.rssi_dbm is not None:
            meter.rssi_dbm = telegram.rssi_dbm
        meter.encrypted = False
        return meter

    def from_stderr(self, line: str, now: float) -> HeardMeter | None:
        """Record what a stderr line says about a meter (encrypted, its driver), or None."""
        if (match := _IGNORED_RE.search(line)) is not None:
            meter = self._touch(match["id"].lower(), now)
            meter.encrypted = True
            meter.manufacturer = match["mfct"] or meter.manufacturer
            if match["type"]:
                meter.medium = medium_of(int(match["type"], 16)) or meter.medium
            meter.version = (match["ver"] or meter.version).lower()
            return meter
        if (match := _CREATED_RE.search(line)) is not None:
            meter = self._touch(match["id"].lower(), now)
            meter.driver = match["driver"]
            return meter
        return None

    def from_raw(self, hex_telegram: str) -> str | None:
        """
        Keep a raw telegram to check a key against; return its header id (None: no header).

        The meter itself is listed only once wmbusmeters reports it: some
        manufacturers (Diehl) swap the address field, so a header id alone may
        not be a meter.
        """
        head = header(hex_telegram)
        if head is None:
            return None
        meter = self._meters.get(head.meter_id)
        kept = meter.telegrams if meter is not None else self._raw.pop(head.meter_id, [])
        if hex_telegram not in kept:
            kept = [*kept, hex_telegram][-RAW_KEPT:]
        if meter is not None:
            meter.telegrams = kept
        else:
            self._raw[head.meter_id] = kept
            while len(self._raw) > self.max_size:
                self._raw.pop(next(iter(self._raw)))
        return head.meter_id

    def ordered(self, exclude: set[str] | frozenset[str] = frozenset()) -> list[HeardMeter]:
        """Newest first; meters heard within the same minute strongest first."""
        return sorted(
            (m for m in self._meters.values() if m.meter_id not in exclude),
            key=lambda m: (
                -(m.last_heard // SAME_TIME),
                -(m.rssi_dbm if m.rssi_dbm is not None else -1000.0),
            ),
        )

    def as_list(self) -> list[dict[str, Any]]:
        """Return every record as plain data, oldest first."""
        return [meter.as_dict() for meter in self._meters.values()]

    def load(self, records: list[dict[str, Any]]) -> None:
        """Restore records saved by :meth:`as_list` (bad ones are skipped)."""
        for record in records:
            try:
                meter = HeardMeter(**record)
            except TypeError:
                continue
            self._meters.pop(meter.meter_id, None)
            self._meters[meter.meter_id] = meter
