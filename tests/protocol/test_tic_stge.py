"""Tests of the STGE status register decoder."""

from __future__ import annotations

from dataclasses import fields, replace

import pytest

from custom_components.energy_meters.protocol.tic.stge import (
    BREAKER_STATES,
    CPL_STATES,
    EURIDIS_STATES,
    MOBILE_PEAK_STATES,
    STGE_LAYOUT,
    TEMPO_COLOURS,
    StgeStatus,
    decode_stge,
)

ZERO = StgeStatus(
    raw=0,
    dry_contact_open=False,
    breaker="closed",
    terminal_cover_open=False,
    overvoltage=False,
    overpower=False,
    producer=False,
    injecting=False,
    supplier_index=1,
    distributor_index=1,
    clock_degraded=False,
    standard_mode=False,
    euridis="off",
    cpl_status="new_unlock",
    cpl_synchronised=False,
    tempo_today="none",
    tempo_tomorrow="none",
    mobile_peak_notice="none",
    mobile_peak_active="none",
)


def test_all_zero() -> None:
    assert decode_stge("00000000") == ZERO


def test_consumer_example() -> None:
    # Standard single-phase capture: consumer, index 1, standard mode, Euridis 11, New/Lock.
    assert decode_stge("003A0000") == replace(
        ZERO, raw=0x003A0000, standard_mode=True, euridis="on_secured", cpl_status="new_lock"
    )


def test_three_phase_producer_tempo_example() -> None:
    # openHAB fixture with LTARF "HP  BLEU" and NTARF 02.
    assert decode_stge("013A0501") == replace(
        ZERO,
        raw=0x013A0501,
        dry_contact_open=True,
        producer=True,
        supplier_index=2,
        standard_mode=True,
        euridis="on_secured",
        cpl_status="new_lock",
        tempo_today="blue",
    )


def test_injecting_producer_example() -> None:
    assert decode_stge("002A0301") == replace(
        ZERO,
        raw=0x002A0301,
        dry_contact_open=True,
        producer=True,
        injecting=True,
        standard_mode=True,
        euridis="on_unsecured",
        cpl_status="new_lock",
    )


def test_all_ones() -> None:
    status = decode_stge("FFFFFFFF")
    assert status is not None
    assert status.raw == 0xFFFFFFFF
    assert status.breaker == "unknown"
    assert status.euridis == "on_secured"
    assert status.cpl_status == "unknown"
    assert status.supplier_index == 16
    assert status.distributor_index == 4
    assert status.tempo_today == status.tempo_tomorrow == "red"
    assert status.mobile_peak_notice == status.mobile_peak_active == "pm3"
    assert status.terminal_cover_open
    assert status.cpl_synchronised
    assert status.clock_degraded


def test_lowercase_hex_is_accepted() -> None:
    assert decode_stge("013a0501") == decode_stge("013A0501")


@pytest.mark.parametrize(
    ("value", "field", "expected"),
    [
        ("00000002", "breaker", "open_overpower"),
        ("00000004", "breaker", "open_overvoltage"),
        ("00000006", "breaker", "open_load_shedding"),
        ("00000008", "breaker", "open_order"),
        ("0000000A", "breaker", "open_overheat_over_imax"),
        ("0000000C", "breaker", "open_overheat_under_imax"),
        ("00000010", "terminal_cover_open", True),
        ("00000040", "overvoltage", True),
        ("00000080", "overpower", True),
        ("00002400", "supplier_index", 10),
        ("0000C000", "distributor_index", 4),
        ("00004000", "distributor_index", 2),
        ("00010000", "clock_degraded", True),
        ("00100000", "euridis", "unknown"),
        ("00080000", "euridis", "on_unsecured"),
        ("00400000", "cpl_status", "registered"),
        ("00800000", "cpl_synchronised", True),
        ("02000000", "tempo_today", "white"),
        ("04000000", "tempo_tomorrow", "blue"),
        ("0C000000", "tempo_tomorrow", "red"),
        ("10000000", "mobile_peak_notice", "pm1"),
        ("20000000", "mobile_peak_notice", "pm2"),
        ("80000000", "mobile_peak_active", "pm2"),
    ],
)
def test_single_fields(value: str, field: str, expected: object) -> None:
    status = decode_stge(value)
    assert status is not None
    assert status == replace(ZERO, raw=int(value, 16), **{field: expected})


@pytest.mark.parametrize("value", ["00000020", "00040000"])
def test_unused_bits_change_nothing_but_raw(value: str) -> None:
    assert decode_stge(value) == replace(ZERO, raw=int(value, 16))


@pytest.mark.parametrize(
    "value",
    ["", "003A000", "003A00000", "003A000G", "0x3A0000", " 03A0000", "+03A0000", "003_0000"]
    + ["003A000\t", "003A００00", "-0000001"],
)
def test_invalid_values(value: str) -> None:
    assert decode_stge(value) is None


def test_layout_covers_every_field_once_without_overlap() -> None:
    names = [name for name, _, _, _ in STGE_LAYOUT]
    assert sorted(names) == sorted(f.name for f in fields(StgeStatus) if f.name != "raw")
    used = 0
    for _, first, width, _ in STGE_LAYOUT:
        mask = ((1 << width) - 1) << first
        assert not used & mask
        used |= mask
    assert used == 0xFFFFFFFF & ~((1 << 5) | (1 << 18))


def test_option_tuples() -> None:
    assert len(BREAKER_STATES) == 8
    assert EURIDIS_STATES == ("off", "on_unsecured", "unknown", "on_secured")
    assert CPL_STATES == ("new_unlock", "new_lock", "registered", "unknown")
    assert TEMPO_COLOURS == ("none", "blue", "white", "red")
    assert MOBILE_PEAK_STATES == ("none", "pm1", "pm2", "pm3")
    for states in (BREAKER_STATES, EURIDIS_STATES, CPL_STATES, TEMPO_COLOURS):
        assert len(set(states)) == len(states)
