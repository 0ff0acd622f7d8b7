"""
Catalogue of TIC labels: one row per label, both modes.

A reader should find "what does EASF03 become" in one row. The Home Assistant
side maps :class:`TicQuantity` to device class, state class and unit, and
:class:`TicCadence` to the update policy; nothing here imports Home Assistant.

Sources: Enedis-NOI-CPT_54E §6.1 (historic) and §6.2.2 (standard), Enedis-NOI-CPT_02E.
Labels not relevant to a meter's configuration are simply not sent, so every row
describes a label that *may* appear, not one that must.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
import re
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, TypedDict, Unpack

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from .framing import TicGroup


class TicQuantity(StrEnum):
    """What a label's value measures (decides device class and unit)."""

    ENERGY = "energy"  # active energy counter, Wh
    REACTIVE_ENERGY = "reactive_energy"  # reactive energy counter, varh
    APPARENT_POWER = "apparent_power"  # VA
    ACTIVE_POWER = "active_power"  # W
    APPARENT_POWER_KVA = "apparent_power_kva"  # kVA (PREF, PCOUP)
    CURRENT = "current"  # A
    VOLTAGE = "voltage"  # V
    DURATION_MIN = "duration_min"  # minutes (PEJP)
    NUMBER = "number"  # unitless integer (NTARF, NJOURF, RELAIS)
    TEXT = "text"  # free text (NGTF, LTARF, MSG1, PJOURF+1)
    ENUM = "enum"  # closed set of values, see TicLabel.states
    TIMESTAMP = "timestamp"  # the group's horodate is the value (DATE, DPMx, FPMx)
    IDENTITY = "identity"  # addresses (ADCO, ADSC, PRM): device info, redacted


class TicCadence(StrEnum):
    """How often a value may be written to Home Assistant."""

    COUNTER = "counter"  # energy index: on change, at most every N s, guarded
    FAST = "fast"  # power, current: at most every M s
    SLOW = "slow"  # everything else: on change, at most every N s
    ALARM = "alarm"  # overrun warnings: at once


NUMERIC_QUANTITIES: Final = frozenset(
    {
        TicQuantity.ENERGY,
        TicQuantity.REACTIVE_ENERGY,
        TicQuantity.APPARENT_POWER,
        TicQuantity.ACTIVE_POWER,
        TicQuantity.APPARENT_POWER_KVA,
        TicQuantity.CURRENT,
        TicQuantity.VOLTAGE,
        TicQuantity.DURATION_MIN,
        TicQuantity.NUMBER,
    }
)
"""Quantities whose data is a zero-padded unsigned decimal integer."""

_NO_STATES: Final[Mapping[str, str]] = MappingProxyType({})


@dataclass(frozen=True, slots=True, kw_only=True)
class TicLabel:
    """
    One TIC label and how to present it.

    ``alias_of`` names the canonical label of an alias row (early "pilote" Linky
    meters send SINST1, SMAXN, SMAXN-1 instead of SINSTS, SMAXSN, SMAXSN-1): an alias
    shares the canonical row's key and presentation, so Home Assistant creates one
    entity keyed on the canonical label whichever spelling the meter uses.
    """

    label: str
    key: str  # translation key, [a-z0-9_]; an alias carries its canonical row's key
    quantity: TicQuantity
    cadence: TicCadence = TicCadence.SLOW
    historic: bool = False  # sent in historic mode
    standard: bool = False  # sent in standard mode
    phase: int | None = None  # 1..3 for per-phase values
    three_phase_only: bool = False
    producer_only: bool = False
    dated: bool = False  # standard-mode group carrying a horodate
    enabled_by_default: bool = True
    diagnostic: bool = False
    # ENUM only: raw TIC value -> state key ([a-z0-9_], translated)
    states: Mapping[str, str] = field(default=_NO_STATES, hash=False)
    # ENUM only: the raw keys of ``states`` are prefixes (OPTARIF "BBRx", x any char)
    states_by_prefix: bool = False
    alias_of: str | None = None

    @property
    def canonical_label(self) -> str:
        """Label the entity is keyed on (the label itself unless an alias)."""
        return self.alias_of or self.label

    @property
    def is_entity(self) -> bool:
        """Whether the label becomes an entity (identities become device info)."""
        return self.quantity is not TicQuantity.IDENTITY


# Families of labels that differ only by a phase or an index number share one
# translation key; the number reaches the name through a placeholder
# ("Current phase {phase}"). Label pattern (one number group), key, placeholder.
_FAMILIES: Final[tuple[tuple[re.Pattern[str], str, str], ...]] = tuple(
    (re.compile(pattern), key, placeholder)
    for pattern, key, placeholder in (
        (r"IINST([1-3])", "current_phase", "phase"),
        (r"IRMS([1-3])", "current_phase", "phase"),
        (r"IMAX([1-3])", "max_current_phase", "phase"),
        (r"ADIR([1-3])", "overcurrent_warning_phase", "phase"),
        (r"URMS([1-3])", "voltage_phase", "phase"),
        (r"UMOY([1-3])", "average_voltage_phase", "phase"),
        (r"SINSTS([1-3])", "apparent_power_phase", "phase"),
        (r"SMAXSN([1-3])", "max_apparent_power_phase_today", "phase"),
        (r"SMAXSN([1-3])-1", "max_apparent_power_phase_yesterday", "phase"),
        (r"EASF([0-9]{2})", "index_supplier", "index"),
        (r"EASD([0-9]{2})", "index_distributor", "index"),
        (r"ERQ([1-4])", "reactive_energy_quadrant", "quadrant"),
        (r"DPM([1-3])", "mobile_peak_start", "index"),
        (r"FPM([1-3])", "mobile_peak_end", "index"),
    )
)


def _family(label: str) -> tuple[str, dict[str, str]] | None:
    for pattern, key, placeholder in _FAMILIES:
        if match := pattern.fullmatch(label):
            return key, {placeholder: str(int(match.group(1)))}
    return None


def label_key(label: str) -> str:
    """
    Return the translation key of a label.

    A family member gets its family's key (IRMS2 → ``current_phase``, EASF03 →
    ``index_supplier``, see :func:`label_placeholders`). Otherwise lowercase, ``+``
    spelled ``plus``, other non-alphanumerics become ``_``: SMAXSN-1 → ``smaxsn_1``,
    NJOURF+1 → ``njourf_plus_1``.
    """
    if family := _family(label):
        return family[0]
    return re.sub(r"[^a-z0-9]+", "_", label.lower().replace("+", "_plus_")).strip("_")


def label_placeholders(label: str) -> dict[str, str]:
    """
    Return the translation placeholders of a label's name (empty if none).

    A family member's number, without leading zeros: IRMS2 → ``{"phase": "2"}``,
    EASF03 → ``{"index": "3"}``, ERQ4 → ``{"quadrant": "4"}``.
    """
    family = _family(label)
    return family[1] if family else {}


class _Options(TypedDict, total=False):
    cadence: TicCadence
    phase: int
    three_phase_only: bool
    producer_only: bool
    dated: bool
    enabled_by_default: bool
    diagnostic: bool
    states: Mapping[str, str]
    states_by_prefix: bool
    alias_of: str


def _h(label: str, quantity: TicQuantity, **options: Unpack[_Options]) -> TicLabel:
    """Build a historic-mode row."""
    key = label_key(options.get("alias_of") or label)
    return TicLabel(label=label, key=key, quantity=quantity, historic=True, **options)


def _s(label: str, quantity: TicQuantity, **options: Unpack[_Options]) -> TicLabel:
    """Build a standard-mode row."""
    key = label_key(options.get("alias_of") or label)
    return TicLabel(label=label, key=key, quantity=quantity, standard=True, **options)


_Q = TicQuantity
_ENERGY = _Q.ENERGY
_VA = _Q.APPARENT_POWER
_W = _Q.ACTIVE_POWER
_A = _Q.CURRENT
_V = _Q.VOLTAGE
_KVA = _Q.APPARENT_POWER_KVA
_TEXT = _Q.TEXT
_NUM = _Q.NUMBER
_TIME = _Q.TIMESTAMP
_ID = _Q.IDENTITY
_COUNTER = TicCadence.COUNTER
_FAST = TicCadence.FAST
_ALARM = TicCadence.ALARM
_OFF = False  # enabled_by_default=_OFF reads "disabled by default"

_OPTARIF_STATES = MappingProxyType({"BASE": "base", "HC..": "hc", "EJP.": "ejp", "BBR": "tempo"})
_PTEC_STATES = MappingProxyType(
    {
        "TH..": "th",
        "HC..": "hc",
        "HP..": "hp",
        "HN..": "hn",
        "PM..": "pm",
        "HCJB": "hcjb",
        "HCJW": "hcjw",
        "HCJR": "hcjr",
        "HPJB": "hpjb",
        "HPJW": "hpjw",
        "HPJR": "hpjr",
    }
)
# "----": colour of tomorrow not announced yet ("none", as for the STGE Tempo colours)
_DEMAIN_STATES = MappingProxyType({"----": "none", "BLEU": "blue", "BLAN": "white", "ROUG": "red"})

_ROWS: Final[tuple[TicLabel, ...]] = (
    # --- Historic mode (54E §6.1, 02E) -------------------------------------------------
    _h("ADCO", _ID),
    _h("OPTARIF", _Q.ENUM, diagnostic=True, states=_OPTARIF_STATES, states_by_prefix=True),
    _h("ISOUSC", _A, diagnostic=True),
    _h("BASE", _ENERGY, cadence=_COUNTER),
    _h("HCHC", _ENERGY, cadence=_COUNTER),
    _h("HCHP", _ENERGY, cadence=_COUNTER),
    _h("EJPHN", _ENERGY, cadence=_COUNTER),
    _h("EJPHPM", _ENERGY, cadence=_COUNTER),
    _h("BBRHCJB", _ENERGY, cadence=_COUNTER),
    _h("BBRHPJB", _ENERGY, cadence=_COUNTER),
    _h("BBRHCJW", _ENERGY, cadence=_COUNTER),
    _h("BBRHPJW", _ENERGY, cadence=_COUNTER),
    _h("BBRHCJR", _ENERGY, cadence=_COUNTER),
    _h("BBRHPJR", _ENERGY, cadence=_COUNTER),
    _h("PEJP", _Q.DURATION_MIN, enabled_by_default=_OFF),
    _h("PTEC", _Q.ENUM, states=_PTEC_STATES),
    _h("DEMAIN", _Q.ENUM, states=_DEMAIN_STATES),
    _h("IINST", _A, cadence=_FAST),
    _h("ADPS", _A, cadence=_ALARM),
    _h("IMAX", _A, enabled_by_default=_OFF),
    _h("PAPP", _VA, cadence=_FAST),
    _h("HHPHC", _TEXT, enabled_by_default=_OFF, diagnostic=True),
    _h("MOTDETAT", _TEXT, enabled_by_default=_OFF, diagnostic=True),
    _h("IINST1", _A, cadence=_FAST, phase=1, three_phase_only=True),
    _h("IINST2", _A, cadence=_FAST, phase=2, three_phase_only=True),
    _h("IINST3", _A, cadence=_FAST, phase=3, three_phase_only=True),
    _h("IMAX1", _A, phase=1, three_phase_only=True, enabled_by_default=_OFF),
    _h("IMAX2", _A, phase=2, three_phase_only=True, enabled_by_default=_OFF),
    _h("IMAX3", _A, phase=3, three_phase_only=True, enabled_by_default=_OFF),
    _h("PMAX", _W, three_phase_only=True),
    _h("PPOT", _TEXT, three_phase_only=True, diagnostic=True),
    _h("ADIR1", _A, cadence=_ALARM, phase=1, three_phase_only=True),
    _h("ADIR2", _A, cadence=_ALARM, phase=2, three_phase_only=True),
    _h("ADIR3", _A, cadence=_ALARM, phase=3, three_phase_only=True),
    # --- Standard mode (54E §6.2.2) ----------------------------------------------------
    _s("ADSC", _ID),
    _s("VTIC", _TEXT, enabled_by_default=_OFF, diagnostic=True),
    _s("DATE", _TIME, dated=True, diagnostic=True),
    _s("NGTF", _TEXT),
    _s("LTARF", _TEXT),
    _s("EAST", _ENERGY, cadence=_COUNTER),
    # every supplier/distributor index is enabled: its entity is only created when the
    # contract or the frames say it counts (linky/entities.py EXISTS_RULES)
    _s("EASF01", _ENERGY, cadence=_COUNTER),
    _s("EASF02", _ENERGY, cadence=_COUNTER),
    _s("EASF03", _ENERGY, cadence=_COUNTER),
    _s("EASF04", _ENERGY, cadence=_COUNTER),
    _s("EASF05", _ENERGY, cadence=_COUNTER),
    _s("EASF06", _ENERGY, cadence=_COUNTER),
    _s("EASF07", _ENERGY, cadence=_COUNTER),
    _s("EASF08", _ENERGY, cadence=_COUNTER),
    _s("EASF09", _ENERGY, cadence=_COUNTER),
    _s("EASF10", _ENERGY, cadence=_COUNTER),
    _s("EASD01", _ENERGY, cadence=_COUNTER),
    _s("EASD02", _ENERGY, cadence=_COUNTER),
    _s("EASD03", _ENERGY, cadence=_COUNTER),
    _s("EASD04", _ENERGY, cadence=_COUNTER),
    _s("EAIT", _ENERGY, cadence=_COUNTER, producer_only=True),
    _s("ERQ1", _Q.REACTIVE_ENERGY, cadence=_COUNTER, producer_only=True, enabled_by_default=_OFF),
    _s("ERQ2", _Q.REACTIVE_ENERGY, cadence=_COUNTER, producer_only=True, enabled_by_default=_OFF),
    _s("ERQ3", _Q.REACTIVE_ENERGY, cadence=_COUNTER, producer_only=True, enabled_by_default=_OFF),
    _s("ERQ4", _Q.REACTIVE_ENERGY, cadence=_COUNTER, producer_only=True, enabled_by_default=_OFF),
    _s("IRMS1", _A, cadence=_FAST, phase=1),
    _s("IRMS2", _A, cadence=_FAST, phase=2, three_phase_only=True),
    _s("IRMS3", _A, cadence=_FAST, phase=3, three_phase_only=True),
    _s("URMS1", _V, phase=1),
    _s("URMS2", _V, phase=2, three_phase_only=True),
    _s("URMS3", _V, phase=3, three_phase_only=True),
    _s("PREF", _KVA, diagnostic=True),
    _s("PCOUP", _KVA, diagnostic=True),
    _s("SINSTS", _VA, cadence=_FAST),
    _s("SINSTS1", _VA, cadence=_FAST, phase=1, three_phase_only=True),
    _s("SINSTS2", _VA, cadence=_FAST, phase=2, three_phase_only=True),
    _s("SINSTS3", _VA, cadence=_FAST, phase=3, three_phase_only=True),
    _s("SMAXSN", _VA, dated=True),
    _s("SMAXSN1", _VA, dated=True, phase=1, three_phase_only=True, enabled_by_default=_OFF),
    _s("SMAXSN2", _VA, dated=True, phase=2, three_phase_only=True, enabled_by_default=_OFF),
    _s("SMAXSN3", _VA, dated=True, phase=3, three_phase_only=True, enabled_by_default=_OFF),
    _s("SMAXSN-1", _VA, dated=True),
    _s("SMAXSN1-1", _VA, dated=True, phase=1, three_phase_only=True, enabled_by_default=_OFF),
    _s("SMAXSN2-1", _VA, dated=True, phase=2, three_phase_only=True, enabled_by_default=_OFF),
    _s("SMAXSN3-1", _VA, dated=True, phase=3, three_phase_only=True, enabled_by_default=_OFF),
    _s("SINSTI", _VA, cadence=_FAST, producer_only=True),
    _s("SMAXIN", _VA, dated=True, producer_only=True),
    _s("SMAXIN-1", _VA, dated=True, producer_only=True),
    _s("CCASN", _W, dated=True),
    _s("CCASN-1", _W, dated=True, enabled_by_default=_OFF),
    _s("CCAIN", _W, dated=True, producer_only=True),
    _s("CCAIN-1", _W, dated=True, producer_only=True, enabled_by_default=_OFF),
    _s("UMOY1", _V, dated=True, phase=1),
    _s("UMOY2", _V, dated=True, phase=2, three_phase_only=True),
    _s("UMOY3", _V, dated=True, phase=3, three_phase_only=True),
    _s("STGE", _TEXT, enabled_by_default=_OFF, diagnostic=True),  # decoded by stge.py
    _s("DPM1", _TIME, dated=True, enabled_by_default=_OFF),
    _s("FPM1", _TIME, dated=True, enabled_by_default=_OFF),
    _s("DPM2", _TIME, dated=True, enabled_by_default=_OFF),
    _s("FPM2", _TIME, dated=True, enabled_by_default=_OFF),
    _s("DPM3", _TIME, dated=True, enabled_by_default=_OFF),
    _s("FPM3", _TIME, dated=True, enabled_by_default=_OFF),
    _s("MSG1", _TEXT),
    _s("MSG2", _TEXT),
    _s("PRM", _ID),
    _s("RELAIS", _NUM, enabled_by_default=_OFF, diagnostic=True),
    _s("NTARF", _NUM),
    _s("NJOURF", _NUM, enabled_by_default=_OFF),
    _s("NJOURF+1", _NUM, enabled_by_default=_OFF),
    _s("PJOURF+1", _TEXT, enabled_by_default=_OFF),
    _s("PPOINTE", _TEXT, enabled_by_default=_OFF),
    # --- Early "pilote" Linky spellings (linkytic #42): one entity, canonical key ------
    _s("SINST1", _VA, cadence=_FAST, alias_of="SINSTS"),
    _s("SMAXN", _VA, dated=True, alias_of="SMAXSN"),
    _s("SMAXN-1", _VA, dated=True, alias_of="SMAXSN-1"),
)

LABELS: Final[Mapping[str, TicLabel]] = MappingProxyType({row.label: row for row in _ROWS})
"""Every known label (both modes, aliases included), by label."""


def canonical(spec: TicLabel) -> TicLabel:
    """Return the canonical row of an alias row (the row itself otherwise)."""
    return LABELS[spec.alias_of] if spec.alias_of else spec


def _decode_int(data: str) -> int | None:
    text = data.strip()
    if text.isascii() and text.isdigit():
        return int(text)
    return None


def _decode_state(spec: TicLabel, data: str) -> str | None:
    text = data.strip()
    state = spec.states.get(text)
    if state is None and spec.states_by_prefix:
        state = next((v for k, v in spec.states.items() if text.startswith(k)), None)
    return state


def dated_value_time(group: TicGroup) -> datetime | None:
    """Return the time a dated group's value refers to (its horodate), if any."""
    return group.horodate.when if group.horodate is not None else None


def decode_value(spec: TicLabel, group: TicGroup) -> int | str | datetime | None:
    """
    Decode a group's data according to its catalogue row; never raises.

    Numbers become ``int`` in the label's implicit unit (PREF/PCOUP stay in kVA), or
    None when the data is not a plain decimal number (never a default 0). Text is
    stripped; an ENUM value becomes its state key (None when unknown); a TIMESTAMP is
    the group's horodate (None without one); an IDENTITY is the stripped data.
    """
    quantity = spec.quantity
    if quantity in NUMERIC_QUANTITIES:
        return _decode_int(group.data)
    if quantity is TicQuantity.ENUM:
        return _decode_state(spec, group.data)
    if quantity is TicQuantity.TIMESTAMP:
        return dated_value_time(group)
    return group.data.strip()  # TEXT, IDENTITY
