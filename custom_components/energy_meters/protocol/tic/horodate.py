"""
Standard-mode TIC horodate ``SAAMMJJhhmmss`` (Enedis-NOI-CPT_54E §6.2.1.1).

``S`` is the season: ``H`` winter time (UTC+01:00), ``E`` summer time (UTC+02:00),
lowercase when the meter clock runs in degraded mode, and SP when the season is not
applicable (mobile-peak dates DPMx/FPMx). ``AAMMJJhhmmss`` is the two-digit year, month,
day, hour, minute and second.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo

PARIS: Final = ZoneInfo("Europe/Paris")
"""Time zone of the meters (mainland France)."""

HORODATE_LENGTH: Final = 13
"""Length of a horodate string."""

SEASON_NOT_APPLICABLE: Final = " "
"""Season character used when the season does not apply (DPMx/FPMx)."""

_OFFSETS: Final[dict[str, timezone]] = {
    "H": timezone(timedelta(hours=1)),
    "h": timezone(timedelta(hours=1)),
    "E": timezone(timedelta(hours=2)),
    "e": timezone(timedelta(hours=2)),
}


@dataclass(frozen=True, slots=True)
class Horodate:
    """
    A decoded horodate.

    ``when`` is timezone-aware and expressed in Europe/Paris. ``degraded_clock`` is
    true when the season letter is lowercase (meter clock not synchronised).
    ``season`` is the raw season character (``H``, ``E``, ``h``, ``e`` or SP).
    """

    when: datetime
    degraded_clock: bool
    season: str


@lru_cache(maxsize=512)
def parse_horodate(text: str) -> Horodate | None:
    """
    Decode a 13-character horodate; return None when it is invalid (never raises).

    With season SP the date is interpreted as Europe/Paris local time.
    """
    if len(text) != HORODATE_LENGTH:
        return None
    season = text[0]
    digits = text[1:]
    if not (digits.isascii() and digits.isdecimal()):
        return None
    if season == SEASON_NOT_APPLICABLE:
        tzinfo: timezone | ZoneInfo = PARIS
    elif (offset := _OFFSETS.get(season)) is not None:
        tzinfo = offset
    else:
        return None
    try:
        when = datetime(
            2000 + int(digits[0:2]),
            int(digits[2:4]),
            int(digits[4:6]),
            int(digits[6:8]),
            int(digits[8:10]),
            int(digits[10:12]),
            tzinfo=tzinfo,
        )
    except ValueError:
        return None
    if tzinfo is not PARIS:
        when = when.astimezone(PARIS)
    return Horodate(when=when, degraded_clock=season.islower(), season=season)


def format_horodate(when: datetime, *, degraded: bool = False, with_season: bool = True) -> str:
    """
    Encode ``when`` as a horodate, the way a meter would.

    ``when`` is converted to Europe/Paris (a naive datetime is taken as Paris local
    time); the season is ``E`` during summer time and ``H`` otherwise, lowercase when
    ``degraded``. ``with_season=False`` writes SP as the season (DPMx/FPMx style).
    """
    local = when.replace(tzinfo=PARIS) if when.tzinfo is None else when.astimezone(PARIS)
    if not with_season:
        season = SEASON_NOT_APPLICABLE
    else:
        dst = local.dst()
        season = "E" if dst else "H"
        if degraded:
            season = season.lower()
    return f"{season}{local:%y%m%d%H%M%S}"
