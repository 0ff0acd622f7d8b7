"""Tests for the TIC label catalogue and value decoder."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import datetime
import json
from pathlib import Path
import re
from typing import Any

import pytest

from custom_components.energy_meters.protocol.tic.framing import TicGroup
from custom_components.energy_meters.protocol.tic.horodate import PARIS, parse_horodate
from custom_components.energy_meters.protocol.tic.labels import (
    LABELS,
    NUMERIC_QUANTITIES,
    TicCadence,
    TicLabel,
    TicQuantity,
    canonical,
    dated_value_time,
    decode_value,
    label_key,
    label_placeholders,
)
from custom_components.energy_meters.protocol.tic.stge import (
    BREAKER_STATES,
    CPL_STATES,
    EURIDIS_STATES,
    MOBILE_PEAK_STATES,
    TEMPO_COLOURS,
)

KEY_RE = re.compile(r"^[a-z0-9_]+$")


def words(text: str) -> list[str]:
    return text.split()


# Labels of the research note's example frames (§1.8 a-d, plus §1.8 sibling files).
EXAMPLE_LABELS = words(
    # (a) historic single-phase Tempo
    "ADCO OPTARIF ISOUSC BBRHCJB BBRHPJB BBRHCJW BBRHPJW BBRHCJR BBRHPJR PTEC DEMAIN IINST "
    "IMAX PAPP HHPHC MOTDETAT "
    # (b) historic three-phase EJP
    "EJPHN EJPHPM IINST1 IINST2 IINST3 IMAX1 IMAX2 IMAX3 PMAX PPOT "
    # historic base capture
    "BASE "
    # (c) standard single-phase consumer
    "ADSC VTIC DATE NGTF EAST EASF01 EASF10 EASD01 IRMS1 URMS1 PREF PCOUP SINSTS SMAXSN "
    "SMAXSN-1 CCASN UMOY1 STGE RELAIS NTARF MSG1 LTARF PJOURF+1 "
    # (d) standard three-phase producer Tempo
    "EAIT ERQ1 SINSTS1 SINSTS2 SMAXSN1-1 SINSTI CCAIN UMOY3"
)

# Historic three-phase short frame and spec-only labels that must be known too.
SPEC_ONLY_LABELS = words(
    "ADIR1 ADIR2 ADIR3 HCHC HCHP PEJP ADPS EASD02 EASD03 EASD04 ERQ2 ERQ3 ERQ4 IRMS2 IRMS3 "
    "URMS2 URMS3 SINSTS3 SMAXSN1 SMAXSN2 SMAXSN3 SMAXSN2-1 SMAXSN3-1 SMAXIN SMAXIN-1 CCASN-1 "
    "CCAIN-1 UMOY2 DPM1 DPM2 DPM3 FPM1 FPM2 FPM3 MSG2 PRM NJOURF NJOURF+1 PPOINTE "
    "SINST1 SMAXN SMAXN-1"
)


def group(label: str, data: str, horodate: str | None = None) -> TicGroup:
    return TicGroup(label, data, parse_horodate(horodate) if horodate else None)


def decode(label: str, data: str, horodate: str | None = None) -> int | str | datetime | None:
    return decode_value(LABELS[label], group(label, data, horodate))


# --- catalogue shape ---------------------------------------------------------------


def test_catalogue_size_and_modes() -> None:
    rows = list(LABELS.values())
    assert len(rows) == 108
    assert sum(r.historic for r in rows) == 34
    assert sum(r.standard for r in rows) == 74
    for row in rows:
        assert row.historic != row.standard, row.label
        assert LABELS[row.label] is row


def test_keys_valid_and_unique() -> None:
    # A family (IRMS1-3, EASF01-10...) shares one key; its members differ by placeholders.
    # The same (key, placeholders) may serve one label per mode (IINST1 / IRMS1).
    canonical_keys: dict[tuple[bool, str, tuple[tuple[str, str], ...]], str] = {}
    for row in LABELS.values():
        assert KEY_RE.match(row.key), row.label
        if row.alias_of is None:
            assert row.key == label_key(row.label)
            ident = (row.historic, row.key, tuple(sorted(label_placeholders(row.label).items())))
            assert ident not in canonical_keys, (row.label, canonical_keys.get(ident))
            canonical_keys[ident] = row.label
    assert LABELS["SMAXSN1-1"].key == "max_apparent_power_phase_yesterday"
    assert label_placeholders("SMAXSN1-1") == {"phase": "1"}
    assert LABELS["SMAXSN-1"].key == "smaxsn_1"
    assert label_placeholders("SMAXSN-1") == {}
    assert LABELS["NJOURF+1"].key == "njourf_plus_1"
    assert LABELS["PJOURF+1"].key == "pjourf_plus_1"
    assert LABELS["EASF03"].key == "index_supplier"
    assert label_placeholders("EASF10") == {"index": "10"}
    assert LABELS["IINST2"].key == LABELS["IRMS2"].key == "current_phase"


def test_aliases_point_to_canonical_rows() -> None:
    aliases = {row.label: row for row in LABELS.values() if row.alias_of}
    assert {label: row.alias_of for label, row in aliases.items()} == {
        "SINST1": "SINSTS",
        "SMAXN": "SMAXSN",
        "SMAXN-1": "SMAXSN-1",
    }
    for row in aliases.values():
        target = LABELS[row.alias_of or ""]
        assert target.alias_of is None
        assert canonical(row) is target
        assert row.canonical_label == target.label
        # Same presentation as the canonical row: only the label and alias differ.
        assert replace(row, label=target.label, alias_of=None) == target
    assert canonical(LABELS["EAST"]) is LABELS["EAST"]
    assert LABELS["EAST"].canonical_label == "EAST"


def test_enum_rows_have_states() -> None:
    for row in LABELS.values():
        if row.quantity is TicQuantity.ENUM:
            assert row.states, row.label
            assert all(KEY_RE.match(state) for state in row.states.values()), row.label
            assert len(set(row.states.values())) == len(row.states), row.label
        else:
            assert not row.states, row.label
            assert not row.states_by_prefix, row.label


def test_flags_consistent() -> None:
    for row in LABELS.values():
        if row.phase is not None:
            assert row.phase in {1, 2, 3}
            assert row.label.removesuffix("-1").endswith(str(row.phase)), row.label
        if row.phase in {2, 3}:
            assert row.three_phase_only, row.label
        if row.dated:
            assert row.standard, row.label
        if row.cadence is TicCadence.COUNTER:
            assert row.quantity in {TicQuantity.ENERGY, TicQuantity.REACTIVE_ENERGY}
        if row.quantity in {TicQuantity.ENERGY, TicQuantity.REACTIVE_ENERGY}:
            assert row.cadence is TicCadence.COUNTER, row.label
        assert row.is_entity is (row.quantity is not TicQuantity.IDENTITY)
    assert {r.label for r in LABELS.values() if r.quantity is TicQuantity.IDENTITY} == {
        "ADCO",
        "ADSC",
        "PRM",
    }
    dated = {r.label for r in LABELS.values() if r.dated and r.alias_of is None}
    assert dated == set(
        words(
            "DATE SMAXSN SMAXSN1 SMAXSN2 SMAXSN3 SMAXSN-1 SMAXSN1-1 SMAXSN2-1 SMAXSN3-1 SMAXIN "
            "SMAXIN-1 CCASN CCASN-1 CCAIN CCAIN-1 UMOY1 UMOY2 UMOY3 DPM1 DPM2 DPM3 FPM1 FPM2 FPM3"
        )
    )
    producer = {r.label for r in LABELS.values() if r.producer_only}
    assert producer == set(words("EAIT ERQ1 ERQ2 ERQ3 ERQ4 SINSTI SMAXIN SMAXIN-1 CCAIN CCAIN-1"))
    for label in ("ADPS", "ADIR1", "ADIR2", "ADIR3"):
        assert LABELS[label].cadence is TicCadence.ALARM
    for label in ("ERQ1", "SMAXSN1", "STGE"):
        assert not LABELS[label].enabled_by_default
    # tariff indexes are enabled: their entity exists only when the contract uses them
    for label in ("EASF03", "EASF10", "EASD02", "EASD04"):
        assert LABELS[label].enabled_by_default
    for label in ("EAST", "EASF01", "EASF02", "EASD01", "SINSTS", "BASE"):
        assert LABELS[label].enabled_by_default


@pytest.mark.parametrize("label", EXAMPLE_LABELS + SPEC_ONLY_LABELS)
def test_example_labels_known(label: str) -> None:
    assert label in LABELS


def test_fields_contract() -> None:
    names = [f.name for f in fields(TicLabel)]
    assert names[:3] == ["label", "key", "quantity"]
    assert "alias_of" in names
    assert "states" in names


# --- decoding ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "data", "expected"),
    [
        ("BBRHCJB", "018328702", 18328702),
        ("EASF10", "000000000", 0),
        ("EASD01", "003519702", 3519702),
        ("IINST", "012", 12),
        ("PAPP", "02830", 2830),
        ("ISOUSC", "30", 30),
        ("PREF", "06", 6),  # kVA stays kVA
        ("PCOUP", "06", 6),
        ("RELAIS", "140", 140),
        ("NTARF", "02", 2),
        ("PEJP", "30", 30),
        ("ERQ1", "002970842", 2970842),
        ("SINSTS", " 00263 ", 263),
        # invalid numbers: None, never a default 0
        ("EAST", "", None),
        ("EAST", "   ", None),
        ("EAST", "00351A702", None),
        ("EAST", "-00000001", None),
        ("EAST", "+00000001", None),
        ("EAST", "1_000", None),
        ("EAST", "00\u00b2", None),  # superscript two: isdigit() but not ASCII
        ("IINST", "\u0661\u0662", None),  # Arabic-Indic digits
        ("PAPP", "1.5", None),
    ],
)
def test_decode_numbers(label: str, data: str, expected: int | None) -> None:
    assert LABELS[label].quantity in NUMERIC_QUANTITIES
    value = decode(label, data)
    assert value == expected
    assert value is None or type(value) is int


@pytest.mark.parametrize(
    ("label", "data", "expected"),
    [
        ("PTEC", "HCJB", "hcjb"),
        ("PTEC", "HP..", "hp"),
        ("PTEC", "TH..", "th"),
        ("PTEC", "XXXX", None),
        ("DEMAIN", "ROUG", "red"),
        ("DEMAIN", "BLAN", "white"),
        ("DEMAIN", "BLEU", "blue"),
        ("DEMAIN", "----", "none"),
        ("DEMAIN", "", None),
        ("OPTARIF", "BASE", "base"),
        ("OPTARIF", "HC..", "hc"),
        ("OPTARIF", "EJP.", "ejp"),
        ("OPTARIF", "BBR(", "tempo"),
        ("OPTARIF", "BBRx", "tempo"),
        ("OPTARIF", "ZZZZ", None),
    ],
)
def test_decode_enums(label: str, data: str, expected: str | None) -> None:
    assert decode(label, data) == expected


def test_enum_without_prefix_matching_is_exact() -> None:
    assert decode("PTEC", "HC..X") is None


@pytest.mark.parametrize(
    ("label", "data", "expected"),
    [
        ("NGTF", "     TEMPO      ", "TEMPO"),
        ("LTARF", "    HP  BLEU    ", "HP  BLEU"),
        ("MSG1", "PAS DE          MESSAGE         ", "PAS DE          MESSAGE"),
        ("STGE", "003A0000", "003A0000"),
        ("VTIC", "02", "02"),
        ("MOTDETAT", "000000", "000000"),
        ("PPOT", "00", "00"),
        ("ADCO", "021861348497", "021861348497"),
        ("ADSC", "012345678910", "012345678910"),
        ("PRM", " 01234567891234", "01234567891234"),
    ],
)
def test_decode_text_and_identity(label: str, data: str, expected: str) -> None:
    assert decode(label, data) == expected


def test_decode_timestamps() -> None:
    value = decode("DATE", "", "H240210121355")
    assert value == datetime(2024, 2, 10, 12, 13, 55, tzinfo=PARIS)
    assert decode("DATE", "") is None
    dpm = decode("DPM1", "00", " 240210060000")
    assert isinstance(dpm, datetime)
    assert (dpm.year, dpm.month, dpm.day, dpm.hour) == (2024, 2, 10, 6)


def test_dated_values_keep_number_and_time() -> None:
    spec = LABELS["SMAXSN-1"]
    g = group("SMAXSN-1", "01422", "H240209211759")
    assert decode_value(spec, g) == 1422
    when = dated_value_time(g)
    assert when == datetime(2024, 2, 9, 21, 17, 59, tzinfo=PARIS)
    assert dated_value_time(group("EAST", "003519702")) is None
    # The alias row decodes exactly like its canonical row.
    assert decode_value(LABELS["SMAXN-1"], group("SMAXN-1", "01422", "H240209211759")) == 1422
    assert decode("SINST1", "00263") == 263


# --- translations and icons --------------------------------------------------------

INTEGRATION = Path(__file__).parents[2] / "custom_components" / "energy_meters"
STGE_SENSOR_STATES = {
    "stge_breaker": set(BREAKER_STATES),
    "stge_tempo_today": set(TEMPO_COLOURS),
    "stge_tempo_tomorrow": set(TEMPO_COLOURS),
    "stge_mobile_peak_notice": set(MOBILE_PEAK_STATES),
    "stge_mobile_peak_active": set(MOBILE_PEAK_STATES),
    "stge_euridis": set(EURIDIS_STATES),
    "stge_cpl_status": set(CPL_STATES),
}
EXTRA_SENSOR_KEYS = {
    *STGE_SENSOR_STATES,
    "stge_supplier_index",
    "stge_distributor_index",
    "link_quality",
    "checksum_errors",
    "rejected_readings",
    "clock_offset",  # DATE is shown as the meter clock's offset
    "volume",  # shared with the metering kinds (test hub, wM-Bus)
}
NOT_ENTITY_LABELS = {"DATE"}
BINARY_SENSOR_KEYS = {
    "stge_dry_contact_open",
    "stge_terminal_cover_open",
    "stge_overvoltage",
    "stge_overpower",
    "stge_producer",
    "stge_injecting",
    "stge_clock_degraded",
    "stge_cpl_synchronised",
}


def load_entity(name: str) -> dict[str, Any]:
    data = json.loads((INTEGRATION / name).read_text(encoding="utf-8"))
    entity: dict[str, Any] = data["entity"]
    return entity


def shape(node: object) -> object:
    return {k: shape(v) for k, v in node.items()} if isinstance(node, dict) else None


@pytest.mark.parametrize("lang", ["en", "fr", "de"])
def test_entity_translations(lang: str) -> None:
    entity = load_entity(f"translations/{lang}.json")
    assert shape(entity) == shape(load_entity("translations/en.json"))
    sensor, binary = entity["sensor"], entity["binary_sensor"]
    entities = [
        r
        for r in LABELS.values()
        if r.alias_of is None and r.is_entity and r.label not in NOT_ENTITY_LABELS
    ]
    # other kinds (FRITZ!Box, wM-Bus…) have their own keys next to the Linky ones
    assert {r.key for r in entities} | EXTRA_SENSOR_KEYS <= set(sensor)
    assert set(binary) >= BINARY_SENSOR_KEYS
    for row in entities:
        if row.quantity is TicQuantity.ENUM:
            assert set(sensor[row.key]["state"]) == set(row.states.values()), row.key
    for key, states in STGE_SENSOR_STATES.items():
        assert set(sensor[key]["state"]) == states, key
    for platform in (sensor, binary):
        for key, entry in platform.items():
            assert KEY_RE.match(key)
            assert entry["name"]
            assert entry["name"] == entry["name"].strip()
            assert "Linky" not in entry["name"]
            for text in entry.get("state", {}).values():
                assert text
                assert text == text.strip()


def test_icons_match_translations() -> None:
    icons = load_entity("icons.json")
    names = load_entity("translations/en.json")
    for platform, entries in icons.items():
        for key, entry in entries.items():
            assert key in names[platform], (platform, key)
            assert entry["default"].startswith("mdi:")
            states = entry.get("state", {})
            allowed = (
                {"on", "off"}
                if platform == "binary_sensor"
                else set(names[platform][key].get("state", {}))
            )
            assert set(states) <= allowed, (platform, key)
            assert all(icon.startswith("mdi:") for icon in states.values())
