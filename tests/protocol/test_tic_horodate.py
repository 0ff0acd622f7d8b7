"""Tests of the standard-mode horodate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from custom_components.energy_meters.protocol.tic.horodate import (
    Horodate,
    format_horodate,
    parse_horodate,
)

PARIS = ZoneInfo("Europe/Paris")


def test_spec_examples() -> None:
    winter = parse_horodate("H081225223518")
    assert winter == Horodate(
        when=datetime(2008, 12, 25, 22, 35, 18, tzinfo=PARIS), degraded_clock=False, season="H"
    )
    assert winter.when.utcoffset() == timedelta(hours=1)
    summer = parse_horodate("E090714074553")
    assert summer is not None
    assert summer.when == datetime(2009, 7, 14, 5, 45, 53, tzinfo=UTC)
    assert summer.when.tzinfo is PARIS
    assert summer.season == "E"
    assert not summer.degraded_clock


@pytest.mark.parametrize(("season", "hours"), [("h", 1), ("e", 2)])
def test_lowercase_season_means_degraded_clock(season: str, hours: int) -> None:
    result = parse_horodate(f"{season}240210121355")
    assert result is not None
    assert result.degraded_clock
    assert result.season == season
    fixed = timezone(timedelta(hours=hours))
    assert result.when == datetime(2024, 2, 10, 12, 13, 55, tzinfo=fixed)


def test_season_offset_is_trusted_even_if_inconsistent() -> None:
    # A degraded clock may announce winter time in July: the offset sent wins.
    result = parse_horodate("h240710120000")
    assert result is not None
    assert result.when == datetime(2024, 7, 10, 11, 0, tzinfo=UTC)
    assert result.when.tzinfo is PARIS


def test_no_season_is_paris_local_time() -> None:
    winter = parse_horodate(" 240115060000")
    summer = parse_horodate(" 240715060000")
    assert winter is not None
    assert summer is not None
    assert winter.season == " "
    assert not winter.degraded_clock
    assert winter.when.utcoffset() == timedelta(hours=1)
    assert summer.when.utcoffset() == timedelta(hours=2)
    assert summer.when == datetime(2024, 7, 15, 4, 0, tzinfo=UTC)


def test_ambiguous_hour_at_end_of_summer_time() -> None:
    first = parse_horodate("E241027023000")
    second = parse_horodate("H241027023000")
    assert first is not None
    assert second is not None
    # Same-tzinfo arithmetic uses wall time and ignores fold: compare UTC instants.
    assert second.when.astimezone(UTC) - first.when.astimezone(UTC) == timedelta(hours=1)
    assert first.when.utcoffset() == timedelta(hours=2)
    assert second.when.utcoffset() == timedelta(hours=1)
    assert format_horodate(first.when) == "E241027023000"
    assert format_horodate(second.when) == "H241027023000"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "H24021012135",  # 12 chars
        "H2402101213555",  # 14 chars
        "X240210121355",  # unknown season
        "\t240210121355",
        "H24021012135a",
        "H2402101213-5",
        "H24021012135²",  # Unicode digit
        "H24021012135٥",  # Arabic-Indic digit
        "H241302121355",  # month 13
        "H240230121355",  # 30 February
        "H240210251355",  # hour 25
        "H240210126055",  # minute 60
        "H000000000000",
    ],
)
def test_invalid_horodates(text: str) -> None:
    assert parse_horodate(text) is None


def test_format_horodate() -> None:
    assert format_horodate(datetime(2024, 2, 10, 12, 13, 55, tzinfo=PARIS)) == "H240210121355"
    assert format_horodate(datetime(2021, 4, 13, 9, 11, 48, tzinfo=UTC)) == "E210413111148"
    assert format_horodate(datetime(2024, 2, 10, 12, 0), degraded=True) == "h240210120000"
    assert format_horodate(datetime(2024, 7, 10, 12, 0, tzinfo=PARIS), degraded=True) == (
        "e240710120000"
    )
    assert format_horodate(datetime(2024, 7, 10, 6, 0), with_season=False) == " 240710060000"


@pytest.mark.parametrize(
    "when",
    [
        datetime(2024, 1, 1, 0, 0, tzinfo=PARIS),
        datetime(2024, 3, 31, 1, 59, 59, tzinfo=PARIS),
        datetime(2024, 3, 31, 3, 0, tzinfo=PARIS),
        datetime(2099, 12, 31, 23, 59, 59, tzinfo=PARIS),
    ],
)
@pytest.mark.parametrize("degraded", [False, True])
def test_round_trip(when: datetime, degraded: bool) -> None:
    text = format_horodate(when, degraded=degraded)
    parsed = parse_horodate(text)
    assert parsed is not None
    assert parsed.when == when
    assert parsed.degraded_clock is degraded
