"""
OBIS codes (IEC 62056-61): one parser and one catalogue for IEC 62056-21, DLMS and SML.

An OBIS code names a value as ``A-B:C.D.E*F``: A medium (0 abstract, 1 electricity),
B channel, C quantity (1 = +A, 2 = -A, 32 = voltage L1 ...), D processing (7 = instantaneous,
8 = time integral = energy), E tariff / classification, F billing period (255 = current).

Readouts write them in many ways; :func:`parse_obis` accepts all of them:

- full ``1-0:1.8.0*255``, ``1-0:1.8.0``, ``1-0:1.8.0.255``, ``0-0:C.1.0``;
- short ``1.8.0`` and L+G very short ``32.7`` (E = 0);
- letters ``C`` = 96, ``F`` = 97, ``L`` = 98, ``P`` = 99 in groups C and D (``C.1.0``,
  ``F.F``, ``FF``);
- billing-period suffixes ``1.8.0*01`` and ``1.8.0&01`` (the ``&`` marks a reset not done
  by the billing schedule; both name a historical value);
- the 6-byte binary form of DLMS and SML (:meth:`ObisCode.from_bytes`).

Short forms leave A and B implied. They are filled as the readout world means them:
A = 0 for the abstract groups C = 96..99, A = 1 (electricity) otherwise, B = 0.

:func:`describe` returns the catalogue row of a code: what it measures (unit-free
:class:`ObisQuantity`), the default unit when the meter sends none, a translation key and
whether its entity is enabled by default. A code not in the table gets a generic row
(disabled by default): nothing a meter sends is lost.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
import re
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, Self

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping


class ObisError(ValueError):
    """A text or byte string that is not an OBIS code."""


_LETTERS: Final = MappingProxyType({"C": 96, "F": 97, "L": 98, "P": 99})
_ABSTRACT_C: Final = frozenset({96, 97, 98, 99})
CURRENT_PERIOD: Final = 255  # F group "not used": the current value

_GROUP = r"(\d{1,3}|[CFLP])"
_FULL_RE: Final = re.compile(
    rf"^(\d{{1,3}})-(\d{{1,3}}):{_GROUP}\.{_GROUP}(?:\.(\d{{1,3}}))?(?:(?:[*&.])(\d{{1,3}}))?$",
    re.IGNORECASE,
)
_SHORT_RE: Final = re.compile(
    rf"^{_GROUP}\.{_GROUP}(?:\.(\d{{1,3}}))?(?:[*&](\d{{1,3}}))?$", re.IGNORECASE
)
_HEX_RE: Final = re.compile(r"^[0-9A-Fa-f]{12}$")


def _group(text: str) -> int:
    value = _LETTERS.get(text.upper())
    if value is None:
        value = int(text)
    if value > 255:
        msg = f"OBIS group out of range: {text}"
        raise ObisError(msg)
    return value


@dataclass(frozen=True, slots=True, order=True)
class ObisCode:
    """A normalised OBIS code; ``f`` is 255 for the current value."""

    a: int
    b: int
    c: int
    d: int
    e: int
    f: int = CURRENT_PERIOD

    def __post_init__(self) -> None:
        """Reject groups outside 0..255."""
        if not all(0 <= v <= 255 for v in (self.a, self.b, self.c, self.d, self.e, self.f)):
            msg = f"OBIS group out of range: {self.a, self.b, self.c, self.d, self.e, self.f}"
            raise ObisError(msg)

    @classmethod
    def from_bytes(cls, data: bytes) -> Self:
        """Decode the 6-byte binary form used by DLMS and SML."""
        if len(data) != 6:
            msg = f"binary OBIS code must be 6 bytes, got {len(data)}"
            raise ObisError(msg)
        return cls(*data)

    def to_bytes(self) -> bytes:
        """Encode as the 6-byte binary form."""
        return bytes((self.a, self.b, self.c, self.d, self.e, self.f))

    @property
    def billing_period(self) -> int | None:
        """Billing period (historical value) the code names, None for the current value."""
        return None if self.f == CURRENT_PERIOD else self.f

    @property
    def current(self) -> ObisCode:
        """The same code for the current value (F = 255)."""
        return replace(self, f=CURRENT_PERIOD)

    def __str__(self) -> str:
        """Full form ``A-B:C.D.E*F``."""
        return f"{self.a}-{self.b}:{self.c}.{self.d}.{self.e}*{self.f}"

    @property
    def slug(self) -> str:
        """Stable ``[a-z0-9_]`` key, e.g. ``1_0_1_8_0_255`` (for unique IDs)."""
        return "_".join(str(v) for v in (self.a, self.b, self.c, self.d, self.e, self.f))


def parse_obis(text: str | bytes) -> ObisCode:
    """
    Parse an OBIS code in any written form (see the module docstring).

    Raises :class:`ObisError` for anything else.
    """
    if isinstance(text, bytes):
        if len(text) == 6:
            return ObisCode.from_bytes(text)
        try:
            text = text.decode("ascii")
        except UnicodeDecodeError as err:
            msg = f"not an OBIS code: {text!r}"
            raise ObisError(msg) from err
    code = text.strip()
    if code.upper() == "FF":  # some meters drop the dot of F.F
        code = "F.F"
    if match := _FULL_RE.match(code):
        a, b, c, d, e, f = match.groups()
        return ObisCode(
            _group(a),
            _group(b),
            _group(c),
            _group(d),
            _group(e or "0"),
            _group(f) if f is not None else CURRENT_PERIOD,
        )
    if match := _SHORT_RE.match(code):
        c, d, e, f = match.groups()
        c_value = _group(c)
        return ObisCode(
            0 if c_value in _ABSTRACT_C else 1,
            0,
            c_value,
            _group(d),
            _group(e or "0"),
            _group(f) if f is not None else CURRENT_PERIOD,
        )
    if _HEX_RE.match(code):
        return ObisCode.from_bytes(bytes.fromhex(code))
    msg = f"not an OBIS code: {text!r}"
    raise ObisError(msg)


class ObisQuantity(StrEnum):
    """What a code's value measures (decides device class, state class and unit)."""

    ACTIVE_ENERGY = "active_energy"  # kWh / Wh counter
    REACTIVE_ENERGY = "reactive_energy"  # kvarh / varh counter
    APPARENT_ENERGY = "apparent_energy"  # kVAh counter
    ACTIVE_POWER = "active_power"  # kW / W
    REACTIVE_POWER = "reactive_power"  # kvar / var
    APPARENT_POWER = "apparent_power"  # kVA / VA
    VOLTAGE = "voltage"  # V
    CURRENT = "current"  # A
    FREQUENCY = "frequency"  # Hz
    POWER_FACTOR = "power_factor"  # unitless, -1..1
    PHASE_ANGLE = "phase_angle"  # degrees
    IDENTIFIER = "identifier"  # serial numbers, ownership ids: device info, diagnostic
    FIRMWARE = "firmware"  # firmware / parameter version
    ERROR_REGISTER = "error_register"  # F.F
    STATUS = "status"  # status flags (hex-like)
    EVENT_COUNTER = "event_counter"  # power failures ...
    CLOCK = "clock"  # date-time (DLMS clock, 0.9.1 + 0.9.2)
    TIME = "time"  # time of day hhmmss
    DATE = "date"  # date YYMMDD
    UNKNOWN = "unknown"  # not in the catalogue: generic row


COUNTER_QUANTITIES: Final = frozenset(
    {ObisQuantity.ACTIVE_ENERGY, ObisQuantity.REACTIVE_ENERGY, ObisQuantity.APPARENT_ENERGY}
)
"""Quantities that are lifetime counters (guarded, state class total)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ObisRow:
    """One catalogue row: how to present a code."""

    key: str  # translation key, [a-z0-9_]
    quantity: ObisQuantity
    unit: str | None  # default unit when the meter sends none
    enabled_by_default: bool = True
    diagnostic: bool = False
    phase: int | None = None  # 1..3 for per-phase values
    tariff: int | None = None  # 1..n for per-tariff registers, 0 for the total

    @property
    def is_counter(self) -> bool:
        """Whether the value is an energy counter."""
        return self.quantity in COUNTER_QUANTITIES


GENERIC_ROW: Final = ObisRow(
    key="obis_generic", quantity=ObisQuantity.UNKNOWN, unit=None, enabled_by_default=False
)
"""Row of a code that is not in the catalogue."""

_Q = ObisQuantity
_OFF = False  # enabled_by_default=_OFF reads "disabled by default"
_TARIFFS: Final = range(10)  # E = 0 total, 1..9 tariffs


def _energy_rows() -> Iterator[tuple[tuple[int, int, int, int], ObisRow]]:
    # C: (key, quantity, unit, enabled-by-default for the total)
    registers = (
        (1, "energy_import", _Q.ACTIVE_ENERGY, "kWh", True),
        (2, "energy_export", _Q.ACTIVE_ENERGY, "kWh", True),
        (3, "reactive_energy_import", _Q.REACTIVE_ENERGY, "kvarh", False),
        (4, "reactive_energy_export", _Q.REACTIVE_ENERGY, "kvarh", False),
        (5, "reactive_energy_q1", _Q.REACTIVE_ENERGY, "kvarh", False),
        (6, "reactive_energy_q2", _Q.REACTIVE_ENERGY, "kvarh", False),
        (7, "reactive_energy_q3", _Q.REACTIVE_ENERGY, "kvarh", False),
        (8, "reactive_energy_q4", _Q.REACTIVE_ENERGY, "kvarh", False),
        (9, "apparent_energy_import", _Q.APPARENT_ENERGY, "kVAh", False),
        (10, "apparent_energy_export", _Q.APPARENT_ENERGY, "kVAh", False),
        (15, "energy_absolute", _Q.ACTIVE_ENERGY, "kWh", False),
        (16, "energy_net", _Q.ACTIVE_ENERGY, "kWh", False),
    )
    for c, key, quantity, unit, enabled in registers:
        for e in _TARIFFS:
            suffix = "total" if e == 0 else f"t{e}"
            yield (
                (1, c, 8, e),
                ObisRow(
                    key=f"{key}_{suffix}",
                    quantity=quantity,
                    unit=unit,
                    enabled_by_default=enabled,
                    tariff=e,
                ),
            )
    # per-phase active energy (21.8.0, 41.8.0, 61.8.0 / 22.8.0 ...)
    for phase, base in ((1, 20), (2, 40), (3, 60)):
        for offset, key in ((1, "energy_import"), (2, "energy_export")):
            yield (
                (1, base + offset, 8, 0),
                ObisRow(
                    key=f"{key}_l{phase}",
                    quantity=_Q.ACTIVE_ENERGY,
                    unit="kWh",
                    enabled_by_default=_OFF,
                    phase=phase,
                    tariff=0,
                ),
            )


def _instantaneous_rows() -> Iterator[tuple[tuple[int, int, int, int], ObisRow]]:
    totals = (
        (1, "power_import", _Q.ACTIVE_POWER, "kW", True),
        (2, "power_export", _Q.ACTIVE_POWER, "kW", True),
        (3, "reactive_power_import", _Q.REACTIVE_POWER, "kvar", False),
        (4, "reactive_power_export", _Q.REACTIVE_POWER, "kvar", False),
        (9, "apparent_power_import", _Q.APPARENT_POWER, "kVA", False),
        (10, "apparent_power_export", _Q.APPARENT_POWER, "kVA", False),
        (13, "power_factor", _Q.POWER_FACTOR, None, False),
        (14, "frequency", _Q.FREQUENCY, "Hz", False),
        (15, "power_absolute", _Q.ACTIVE_POWER, "kW", False),
        (16, "power_net", _Q.ACTIVE_POWER, "kW", True),
        (91, "current_neutral", _Q.CURRENT, "A", False),
    )
    for c, key, quantity, unit, enabled in totals:
        yield (
            (1, c, 7, 0),
            ObisRow(key=key, quantity=quantity, unit=unit, enabled_by_default=enabled),
        )
    per_phase = (
        (1, "power_import", _Q.ACTIVE_POWER, "kW", False),
        (2, "power_export", _Q.ACTIVE_POWER, "kW", False),
        (3, "reactive_power_import", _Q.REACTIVE_POWER, "kvar", False),
        (4, "reactive_power_export", _Q.REACTIVE_POWER, "kvar", False),
        (9, "apparent_power_import", _Q.APPARENT_POWER, "kVA", False),
        (10, "apparent_power_export", _Q.APPARENT_POWER, "kVA", False),
        (11, "current", _Q.CURRENT, "A", True),
        (12, "voltage", _Q.VOLTAGE, "V", True),
        (13, "power_factor", _Q.POWER_FACTOR, None, False),
    )
    for phase, base in ((1, 20), (2, 40), (3, 60)):
        for offset, key, quantity, unit, enabled in per_phase:
            yield (
                (1, base + offset, 7, 0),
                ObisRow(
                    key=f"{key}_l{phase}",
                    quantity=quantity,
                    unit=unit,
                    enabled_by_default=enabled,
                    phase=phase,
                ),
            )
    # phase angles U(L1)-U(L2) ... (81.7.x)
    for e, key in ((10, "angle_u1_u2"), (20, "angle_u1_u3"), (40, "angle_u1_i1")):
        yield (
            (1, 81, 7, e),
            ObisRow(key=key, quantity=_Q.PHASE_ANGLE, unit="°", enabled_by_default=_OFF),
        )


def _misc_rows() -> Iterator[tuple[tuple[int, int, int, int], ObisRow]]:
    def diag(key: str, quantity: ObisQuantity, *, enabled: bool = True) -> ObisRow:
        return ObisRow(
            key=key, quantity=quantity, unit=None, diagnostic=True, enabled_by_default=enabled
        )

    yield (1, 0, 0, 0), diag("ownership_id", _Q.IDENTIFIER)
    for e in range(1, 10):
        yield (1, 0, 0, e), diag(f"ownership_id_{e}", _Q.IDENTIFIER, enabled=False)
    yield (1, 0, 2, 0), diag("firmware_version", _Q.FIRMWARE)
    yield (1, 0, 2, 1), diag("parameters_version", _Q.FIRMWARE, enabled=False)
    yield (1, 0, 2, 2), diag("tariff_program", _Q.FIRMWARE, enabled=False)
    yield (1, 0, 9, 1), diag("meter_time", _Q.TIME, enabled=False)
    yield (1, 0, 9, 2), diag("meter_date", _Q.DATE, enabled=False)
    yield (0, 0, 9, 1), diag("meter_time", _Q.TIME, enabled=False)
    yield (0, 0, 9, 2), diag("meter_date", _Q.DATE, enabled=False)
    yield (0, 1, 0, 0), diag("clock", _Q.CLOCK, enabled=False)
    yield (0, 42, 0, 0), diag("logical_device_name", _Q.IDENTIFIER)
    yield (0, 96, 1, 0), diag("serial_number", _Q.IDENTIFIER)
    for e in range(1, 10):
        yield (0, 96, 1, e), diag(f"device_id_{e}", _Q.IDENTIFIER, enabled=False)
    yield (0, 96, 5, 0), diag("status_flags", _Q.STATUS)
    yield (0, 96, 7, 0), diag("power_failures", _Q.EVENT_COUNTER)
    yield (0, 96, 7, 21), diag("power_failures", _Q.EVENT_COUNTER)
    yield (0, 96, 7, 9), diag("long_power_failures", _Q.EVENT_COUNTER, enabled=False)
    yield (0, 97, 97, 0), diag("error_register", _Q.ERROR_REGISTER)


def _build() -> Mapping[tuple[int, int, int, int], ObisRow]:
    table: dict[tuple[int, int, int, int], ObisRow] = {}
    for key, row in (*_energy_rows(), *_instantaneous_rows(), *_misc_rows()):
        table.setdefault(key, row)
    return MappingProxyType(table)


CATALOGUE: Final = _build()
"""(A, C, D, E) -> row, for A in {0, 1}; B (channel) and F (billing period) are not keys."""


def describe(code: ObisCode) -> ObisRow:
    """
    Return the catalogue row of a code; the generic row for an unknown one.

    A billing-period (historical) value keeps its quantity and unit but gets its own
    key (``<key>_billing``) and is disabled by default.
    """
    row = CATALOGUE.get((code.a, code.c, code.d, code.e), GENERIC_ROW)
    if code.billing_period is not None and row is not GENERIC_ROW:
        return replace(row, key=f"{row.key}_billing", enabled_by_default=False)
    return row


# DLMS / SML unit enumeration (IEC 62056-62 / Blue Book, "unit" of Register objects)
DLMS_UNITS: Final[Mapping[int, str]] = MappingProxyType(
    {
        1: "a",
        2: "mo",
        3: "wk",
        4: "d",
        5: "h",
        6: "min",
        7: "s",
        8: "°",
        9: "°C",
        10: "currency",
        11: "m",
        12: "m/s",
        13: "m³",
        14: "m³",
        15: "m³/h",
        16: "m³/h",
        17: "m³/d",
        18: "m³/d",
        19: "l",
        20: "kg",
        21: "N",
        22: "Nm",
        23: "Pa",
        24: "bar",
        25: "J",
        26: "J/h",
        27: "W",
        28: "VA",
        29: "var",
        30: "Wh",
        31: "VAh",
        32: "varh",
        33: "A",
        34: "C",
        35: "V",
        36: "V/m",
        37: "F",
        38: "Ω",
        39: "Ωm²/m",
        40: "Wb",
        41: "T",
        42: "A/m",
        43: "H",
        44: "Hz",
        45: "1/(Wh)",
        46: "1/(varh)",
        47: "1/(VAh)",
        48: "V²h",
        49: "A²h",
        50: "kg/s",
        51: "S",
        52: "K",
        53: "1/(V²h)",
        54: "1/(A²h)",
        55: "1/m³",
        56: "%",
        57: "Ah",
        60: "Wh/m³",
        61: "J/m³",
        62: "Mol %",
        63: "g/m³",
        64: "Pa s",
        65: "J/kg",
        70: "dBm",
        71: "dBµV",
        72: "dB",
    }
)
"""Unit code -> unit text; 254 "other" and 255 "count / no unit" are absent (no unit)."""


def dlms_unit(code: int) -> str | None:
    """Return the unit text of a DLMS/SML unit code (None: no unit or unknown)."""
    return DLMS_UNITS.get(code)
