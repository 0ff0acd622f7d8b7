"""
``getdevicelistinfos`` and ``getbasicdevicestats``: XML to readings, by a field table.

Each row of :data:`FIELDS` says which function bit a value needs, where it sits in
the ``<device>`` element and how its raw integer becomes a unit. A device carries
the values whose bit is set (and whose element exists); an empty element, ``inval``
or a device that is not present is ``None``, never 0. A value that sits in different
elements by device kind (a lock: ``<switch>`` or ``<hkr>``) has one row per kind;
the first row that applies gives it.

HAN-FUN devices (bit 0) are listed twice over: the device itself, often with no
value (sometimes a battery), and one ``<device>`` per unit, identified
``<AIN>-<n>`` (bit 13), which carries the values (``<alert>``, ``<simpleonoff>``,
``<powermeter>``). A unit's own ``productname``, ``manufacturer`` and
``fwversion`` are placeholders (``HAN-FUN``, a maker code, ``0.0``); the device's
are the real ones, so a unit takes them from its device (:attr:`AhaDevice.parent`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import IntFlag
from typing import Final
from xml.etree.ElementTree import Element

from .xml import AhaParseError, parse_xml

type Reading = float | bool | None


class Function(IntFlag):
    """The ``functionbitmask`` bits (AVM AHA interface)."""

    NONE = 0
    HAN_FUN = 1 << 0
    LIGHT = 1 << 2
    ALARM = 1 << 4
    BUTTON = 1 << 5
    THERMOSTAT = 1 << 6
    ENERGY_METER = 1 << 7
    TEMPERATURE = 1 << 8
    SOCKET = 1 << 9
    REPEATER = 1 << 10
    MICROPHONE = 1 << 11
    HAN_FUN_UNIT = 1 << 13
    ON_OFF = 1 << 15
    LEVEL = 1 << 16
    COLOR = 1 << 17
    BLIND = 1 << 18
    HUMIDITY = 1 << 20


HKR_OFF: Final = 253
HKR_ON: Final = 254
HKR_MIN_CELSIUS: Final = 8.0
HKR_MAX_CELSIUS: Final = 28.0


def encode_hkr_temperature(celsius: float) -> int:
    """8-28 °C -> 16-56 (``sethkrtsoll``'s 0.5 °C steps, the nearest one); else ValueError."""
    if not HKR_MIN_CELSIUS <= celsius <= HKR_MAX_CELSIUS:  # NaN fails too
        raise ValueError(f"{celsius} °C is outside {HKR_MIN_CELSIUS:g}-{HKR_MAX_CELSIUS:g} °C")
    return round(celsius * 2)


def _number(scale: float) -> Callable[[str], Reading]:
    def decode(raw: str) -> Reading:
        try:
            return round(int(raw) * scale, 6)
        except ValueError:
            return None

    return decode


def _flag(raw: str) -> Reading:
    return {"0": False, "1": True}.get(raw)


def _hkr_temperature(raw: str) -> Reading:
    """0.5 °C steps; 253 (off), 254 (on) and anything unknown are no temperature."""
    value = _number(1)(raw)
    if not isinstance(value, float | int) or value in (HKR_OFF, HKR_ON) or value > 120:
        return None
    return value / 2


@dataclass(frozen=True, slots=True)
class AhaField:
    """One value of the device list: the bit it needs, its element, its decoding."""

    key: str
    function: Function | None
    """Bit that must be set; None: any device whose element exists (battery)."""
    path: str
    decode: Callable[[str], Reading]
    excludes: Function = Function.NONE
    """Bits that rule the row out (a light's on/off state is not a socket's)."""


FIELDS: Final[tuple[AhaField, ...]] = (
    AhaField("power", Function.ENERGY_METER, "powermeter/power", _number(0.001)),  # mW -> W
    AhaField("energy", Function.ENERGY_METER, "powermeter/energy", _number(1)),  # Wh
    AhaField("voltage", Function.ENERGY_METER, "powermeter/voltage", _number(0.001)),  # mV -> V
    AhaField("temperature", Function.TEMPERATURE, "temperature/celsius", _number(0.1)),
    AhaField("humidity", Function.HUMIDITY, "humidity/rel_humidity", _number(1)),  # %
    AhaField("battery", None, "battery", _number(1)),  # %
    AhaField("battery_low", None, "batterylow", _flag),
    AhaField("switch_on", Function.SOCKET, "switch/state", _flag),
    # a HAN-FUN plug unit (bits 13 + 15, no 9) has only <simpleonoff>; lights are left out
    AhaField("switch_on", Function.ON_OFF, "simpleonoff/state", _flag, excludes=Function.LIGHT),
    # 1: switching through the box's UI and the AHA API is locked / the device's buttons are
    AhaField("lock", Function.SOCKET, "switch/lock", _flag),
    AhaField("device_lock", Function.SOCKET, "switch/devicelock", _flag),
    AhaField("lock", Function.THERMOSTAT, "hkr/lock", _flag),
    AhaField("device_lock", Function.THERMOSTAT, "hkr/devicelock", _flag),
    AhaField("hkr_actual", Function.THERMOSTAT, "hkr/tist", _hkr_temperature),
    AhaField("hkr_target", Function.THERMOSTAT, "hkr/tsoll", _hkr_temperature),
    AhaField("hkr_comfort", Function.THERMOSTAT, "hkr/komfort", _hkr_temperature),
    AhaField("hkr_eco", Function.THERMOSTAT, "hkr/absenk", _hkr_temperature),
    # the target's sentinels: 253 off (frost protection only), 254 on (valve fully open)
    AhaField("hkr_off", Function.THERMOSTAT, "hkr/tsoll", lambda raw: raw == str(HKR_OFF)),
    AhaField("hkr_on", Function.THERMOSTAT, "hkr/tsoll", lambda raw: raw == str(HKR_ON)),
    AhaField("window_open", Function.THERMOSTAT, "hkr/windowopenactiv", _flag),
    AhaField("boost", Function.THERMOSTAT, "hkr/boostactive", _flag),
    # a contact's 0/1; on a blind <alert> is a bitmask of faults, not a contact
    AhaField("alarm", Function.ALARM, "alert/state", _flag, excludes=Function.BLIND),
)
POWERMETER_KEYS: Final = frozenset({"power", "energy", "voltage", "current"})


@dataclass(frozen=True, slots=True)
class AhaDevice:
    """One ``<device>`` of the list, decoded."""

    ain: str
    device_id: str
    functions: Function
    name: str
    product: str
    manufacturer: str
    firmware: str
    present: bool
    values: dict[str, Reading] = field(default_factory=dict)
    """Every value the device carries; None when it has no reading now."""
    parent: str | None = None
    """Key of the HAN-FUN device this unit belongs to (product, maker, firmware are its)."""

    @property
    def key(self) -> str:
        """Stable identity: the AIN without spaces."""
        return self.ain.replace(" ", "")

    @property
    def only_units(self) -> bool:
        """A HAN-FUN device with no value of its own: its units are the devices to show."""
        return bool(self.functions & Function.HAN_FUN) and not self.values


def _text(node: Element, path: str) -> str | None:
    found = node.find(path)
    if found is None:
        return None
    return (found.text or "").strip()


def parse_device(node: Element) -> AhaDevice | None:
    """Decode one ``<device>``; None for an entry without an identifier."""
    ain = (node.get("identifier") or "").strip()
    if not ain:
        return None
    try:
        functions = Function(int(node.get("functionbitmask") or "0"))
    except ValueError:
        functions = Function(0)
    present = _text(node, "present") == "1"
    values: dict[str, Reading] = {}
    for row in FIELDS:
        if row.key in values or functions & row.excludes:
            continue  # an earlier row gave the value, or the row is not for this kind
        if row.function is not None and not functions & row.function:
            continue
        raw = _text(node, row.path)
        if raw is None and (row.function is None or present):
            continue  # an element this device (or its firmware) does not have
        values[row.key] = row.decode(raw) if present and raw else None
    if functions & Function.ENERGY_METER:
        _powermeter_rules(values)
    return AhaDevice(
        ain=ain,
        device_id=node.get("id") or "",
        functions=functions,
        name=_text(node, "name") or ain,
        product=node.get("productname") or "",
        manufacturer=node.get("manufacturer") or "",
        firmware=node.get("fwversion") or "",
        present=present,
        values=values,
    )


def _powermeter_rules(values: dict[str, Reading]) -> None:
    """0 V means no reading (radio loss, HA #55799); derive the current from P / U."""
    voltage = values.get("voltage")
    if voltage == 0:
        for key in ("power", "energy", "voltage"):
            values[key] = None
        voltage = None
    power = values.get("power")
    values["current"] = (
        round(float(power) / float(voltage), 3)
        if isinstance(power, float | int) and isinstance(voltage, float | int)
        else None
    )


def parse_device_list(text: str) -> dict[str, AhaDevice]:
    """Parse ``getdevicelistinfos``: devices by key (groups are not meters)."""
    root = parse_xml(text)
    if root.tag != "devicelist":
        raise AhaParseError(f"not a device list: <{root.tag}>")
    devices: dict[str, AhaDevice] = {}
    for node in root.iterfind("device"):
        device = parse_device(node)
        if device is not None:
            devices[device.key] = device
    for key, device in devices.items():
        if device.functions & Function.HAN_FUN_UNIT:
            devices[key] = _unit_of(device, devices.get(key.rpartition("-")[0]))
    return devices


def _unit_of(unit: AhaDevice, parent: AhaDevice | None) -> AhaDevice:
    """Give a HAN-FUN unit its device's identity (the unit's are placeholders)."""
    if parent is None or not parent.functions & Function.HAN_FUN:
        # no device listed (a trimmed list, a Zigbee unit): "0.0" is still no firmware
        return replace(unit, firmware="") if unit.firmware == "0.0" else unit
    return replace(
        unit,
        parent=parent.key,
        product=parent.product or unit.product,
        manufacturer=parent.manufacturer or unit.manufacturer,
        firmware=parent.firmware or unit.firmware,
    )


@dataclass(frozen=True, slots=True)
class StatsSeries:
    """One ``<stats>`` row: newest value first, ``grid`` seconds apart."""

    grid: int
    values: tuple[float | None, ...]
    datatime: int | None
    """Epoch of the newest value (missing on older firmware)."""


@dataclass(frozen=True, slots=True)
class DeviceStats:
    """``getbasicdevicestats``: series by section (energy, power, voltage, temperature…)."""

    sections: dict[str, tuple[StatsSeries, ...]]

    def series(self, section: str, grid: int) -> StatsSeries | None:
        """Return the series of ``section`` with that grid, if the box sent it."""
        for series in self.sections.get(section, ()):
            if series.grid == grid:
                return series
        return None


def _sample(raw: str) -> float | None:
    raw = raw.strip()
    try:
        return float(int(raw))
    except ValueError:
        return None  # "-" marks a missing sample


def parse_device_stats(text: str) -> DeviceStats:
    """Parse ``getbasicdevicestats`` (raw units: Wh, mV, 0.01 W, 0.1 °C)."""
    root = parse_xml(text)
    if root.tag != "devicestats":
        raise AhaParseError(f"not device statistics: <{root.tag}>")
    sections: dict[str, tuple[StatsSeries, ...]] = {}
    for section in root:
        rows: list[StatsSeries] = []
        for stats in section.iterfind("stats"):
            try:
                grid = int(stats.get("grid") or "")
            except ValueError:
                continue
            datatime = stats.get("datatime")
            rows.append(
                StatsSeries(
                    grid=grid,
                    values=tuple(_sample(v) for v in (stats.text or "").split(",") if v.strip()),
                    datatime=int(datatime) if datatime and datatime.isdigit() else None,
                )
            )
        sections[section.tag] = tuple(rows)
    return DeviceStats(sections)
