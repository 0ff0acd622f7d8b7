"""
STGE status register of standard-mode frames (Enedis-NOI-CPT_54E §6.2.3.14).

The register is sent as 8 hexadecimal characters, most significant first. The bit
layout lives in :data:`STGE_LAYOUT`; :func:`decode_stge` applies it.
"""

from __future__ import annotations

from dataclasses import dataclass
import string
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Callable

BREAKER_STATES: Final = (
    "closed",
    "open_overpower",
    "open_overvoltage",
    "open_load_shedding",
    "open_order",
    "open_overheat_over_imax",
    "open_overheat_under_imax",
    "unknown",
)
"""Breaker (organe de coupure) states, indexed by the value of bits 1-3."""

EURIDIS_STATES: Final = ("off", "on_unsecured", "unknown", "on_secured")
"""Euridis output states, indexed by the value of bits 19-20."""

CPL_STATES: Final = ("new_unlock", "new_lock", "registered", "unknown")
"""CPL (power-line carrier) states, indexed by the value of bits 21-22."""

TEMPO_COLOURS: Final = ("none", "blue", "white", "red")
"""Tempo day colours, indexed by the value of bits 24-25 / 26-27."""

MOBILE_PEAK_STATES: Final = ("none", "pm1", "pm2", "pm3")
"""Mobile-peak notice / in-progress states, indexed by bits 28-29 / 30-31."""

STGE_LENGTH: Final = 8
"""Number of hexadecimal characters of the STGE value."""

_HEX_DIGITS: Final = frozenset(string.hexdigits)


@dataclass(frozen=True, slots=True)
class StgeStatus:
    """Decoded STGE status register (bits 5 and 18 are unused)."""

    raw: int
    dry_contact_open: bool
    breaker: str
    terminal_cover_open: bool
    overvoltage: bool
    overpower: bool
    producer: bool
    injecting: bool
    supplier_index: int
    distributor_index: int
    clock_degraded: bool
    standard_mode: bool
    euridis: str
    cpl_status: str
    cpl_synchronised: bool
    tempo_today: str
    tempo_tomorrow: str
    mobile_peak_notice: str
    mobile_peak_active: str


def _flag(value: int) -> bool:
    return bool(value)


def _index(value: int) -> int:
    return value + 1


def _choice(options: tuple[str, ...]) -> Callable[[int], str]:
    return options.__getitem__


STGE_LAYOUT: Final[tuple[tuple[str, int, int, Callable[[int], Any]], ...]] = (
    # (field, first bit, bit count, decoder)
    ("dry_contact_open", 0, 1, _flag),
    ("breaker", 1, 3, _choice(BREAKER_STATES)),
    ("terminal_cover_open", 4, 1, _flag),
    ("overvoltage", 6, 1, _flag),
    ("overpower", 7, 1, _flag),
    ("producer", 8, 1, _flag),
    ("injecting", 9, 1, _flag),
    ("supplier_index", 10, 4, _index),
    ("distributor_index", 14, 2, _index),
    ("clock_degraded", 16, 1, _flag),
    ("standard_mode", 17, 1, _flag),
    ("euridis", 19, 2, _choice(EURIDIS_STATES)),
    ("cpl_status", 21, 2, _choice(CPL_STATES)),
    ("cpl_synchronised", 23, 1, _flag),
    ("tempo_today", 24, 2, _choice(TEMPO_COLOURS)),
    ("tempo_tomorrow", 26, 2, _choice(TEMPO_COLOURS)),
    ("mobile_peak_notice", 28, 2, _choice(MOBILE_PEAK_STATES)),
    ("mobile_peak_active", 30, 2, _choice(MOBILE_PEAK_STATES)),
)
"""Bit layout: field name, first bit, width in bits, decoder of the extracted value."""


def decode_stge(value: str) -> StgeStatus | None:
    """
    Decode an STGE value (8 hex chars, MSB first); None when invalid (never raises).

    ``supplier_index`` is the raw bits 10-13 plus one (1..10 on a conforming meter,
    up to 16 if the meter sends out-of-range values); ``distributor_index`` is 1..4.
    """
    if len(value) != STGE_LENGTH or not _HEX_DIGITS.issuperset(value):
        return None
    raw = int(value, 16)
    fields: dict[str, Any] = {
        name: decode((raw >> shift) & ((1 << width) - 1))
        for name, shift, width, decode in STGE_LAYOUT
    }
    return StgeStatus(raw=raw, **fields)
