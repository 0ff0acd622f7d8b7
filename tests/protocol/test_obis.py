"""OBIS parsing in all written forms and the shared catalogue."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.energy_meters.protocol.obis import (
    CATALOGUE,
    GENERIC_ROW,
    ObisCode,
    ObisError,
    ObisQuantity,
    describe,
    dlms_unit,
    parse_obis,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1-0:1.8.0*255", ObisCode(1, 0, 1, 8, 0)),
        ("1-0:1.8.0", ObisCode(1, 0, 1, 8, 0)),
        ("1-0:1.8.0.255", ObisCode(1, 0, 1, 8, 0)),
        ("1-0:1.8", ObisCode(1, 0, 1, 8, 0)),
        ("1.8.0", ObisCode(1, 0, 1, 8, 0)),
        ("32.7", ObisCode(1, 0, 32, 7, 0)),
        ("32.7.0", ObisCode(1, 0, 32, 7, 0)),
        ("C.1.0", ObisCode(0, 0, 96, 1, 0)),
        ("c.1.0", ObisCode(0, 0, 96, 1, 0)),
        ("0-0:C.1.0", ObisCode(0, 0, 96, 1, 0)),
        ("0.0.0", ObisCode(1, 0, 0, 0, 0)),
        ("0.0", ObisCode(1, 0, 0, 0, 0)),
        ("F.F", ObisCode(0, 0, 97, 97, 0)),
        ("F.F.0", ObisCode(0, 0, 97, 97, 0)),
        ("FF", ObisCode(0, 0, 97, 97, 0)),
        ("1.8.0*01", ObisCode(1, 0, 1, 8, 0, 1)),
        ("2.8.5&12", ObisCode(1, 0, 2, 8, 5, 12)),
        ("1-0:2.8.5*12", ObisCode(1, 0, 2, 8, 5, 12)),
        (" 1.8.1 ", ObisCode(1, 0, 1, 8, 1)),
        ("0100010800FF", ObisCode(1, 0, 1, 8, 0)),
        (b"\x01\x00\x01\x08\x00\xff", ObisCode(1, 0, 1, 8, 0)),
        (b"1.8.0", ObisCode(1, 0, 1, 8, 0)),
    ],
)
def test_parse_forms(text: str | bytes, expected: ObisCode) -> None:
    assert parse_obis(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1",
        "1.8.0.0.0",
        "abc",
        "1-0:",
        "256.8.0",
        "1-0:1.8.0*256",
        "G.1.0",
        b"\xff\xfe",
        "1,8,0",
    ],
)
def test_parse_rejects(text: str | bytes) -> None:
    with pytest.raises(ObisError):
        parse_obis(text)


def test_binary_round_trip_and_forms() -> None:
    code = ObisCode.from_bytes(bytes.fromhex("0100200700ff"))
    assert code.to_bytes() == bytes.fromhex("0100200700ff")
    assert str(code) == "1-0:32.7.0*255"
    assert code.slug == "1_0_32_7_0_255"
    assert code.billing_period is None
    historical = parse_obis("1.8.0*03")
    assert historical.billing_period == 3
    assert historical.current == parse_obis("1.8.0")
    with pytest.raises(ObisError):
        ObisCode.from_bytes(b"\x01\x00")
    with pytest.raises(ObisError):
        ObisCode(1, 0, 300, 8, 0)


@pytest.mark.parametrize(
    ("text", "key", "quantity", "unit", "enabled"),
    [
        ("1.8.0", "energy_import_total", ObisQuantity.ACTIVE_ENERGY, "kWh", True),
        ("1.8.1", "energy_import_t1", ObisQuantity.ACTIVE_ENERGY, "kWh", True),
        ("1-0:2.8.2*255", "energy_export_t2", ObisQuantity.ACTIVE_ENERGY, "kWh", True),
        ("15.8.0", "energy_absolute_total", ObisQuantity.ACTIVE_ENERGY, "kWh", False),
        ("3.8.0", "reactive_energy_import_total", ObisQuantity.REACTIVE_ENERGY, "kvarh", False),
        ("21.8.0", "energy_import_l1", ObisQuantity.ACTIVE_ENERGY, "kWh", False),
        ("1.7.0", "power_import", ObisQuantity.ACTIVE_POWER, "kW", True),
        ("16.7", "power_net", ObisQuantity.ACTIVE_POWER, "kW", True),
        ("41.7.0", "power_import_l2", ObisQuantity.ACTIVE_POWER, "kW", False),
        ("69.7.0", "apparent_power_import_l3", ObisQuantity.APPARENT_POWER, "kVA", False),
        ("32.7", "voltage_l1", ObisQuantity.VOLTAGE, "V", True),
        ("72.7.0", "voltage_l3", ObisQuantity.VOLTAGE, "V", True),
        ("51.7", "current_l2", ObisQuantity.CURRENT, "A", True),
        ("14.7.0", "frequency", ObisQuantity.FREQUENCY, "Hz", False),
        ("13.7.0", "power_factor", ObisQuantity.POWER_FACTOR, None, False),
        ("C.1.0", "serial_number", ObisQuantity.IDENTIFIER, None, True),
        ("0-0:96.1.0*255", "serial_number", ObisQuantity.IDENTIFIER, None, True),
        ("0.0.0", "ownership_id", ObisQuantity.IDENTIFIER, None, True),
        ("F.F", "error_register", ObisQuantity.ERROR_REGISTER, None, True),
        ("C.7.0", "power_failures", ObisQuantity.EVENT_COUNTER, None, True),
        ("0.2.0", "firmware_version", ObisQuantity.FIRMWARE, None, True),
        ("0-0:1.0.0*255", "clock", ObisQuantity.CLOCK, None, False),
        ("0-0:42.0.0*255", "logical_device_name", ObisQuantity.IDENTIFIER, None, True),
        ("0.9.1", "meter_time", ObisQuantity.TIME, None, False),
    ],
)
def test_catalogue_rows(
    text: str, key: str, quantity: ObisQuantity, unit: str | None, enabled: bool
) -> None:
    row = describe(parse_obis(text))
    assert (row.key, row.quantity, row.unit, row.enabled_by_default) == (
        key,
        quantity,
        unit,
        enabled,
    )


def test_phase_tariff_counter_flags() -> None:
    assert describe(parse_obis("52.7")).phase == 2
    assert describe(parse_obis("1.8.2")).tariff == 2
    assert describe(parse_obis("1.8.0")).is_counter
    assert not describe(parse_obis("1.7.0")).is_counter
    assert describe(parse_obis("C.1.0")).diagnostic


def test_unknown_code_gets_generic_row() -> None:
    row = describe(parse_obis("82.8.1"))
    assert row is GENERIC_ROW
    assert not row.enabled_by_default
    assert row.quantity is ObisQuantity.UNKNOWN
    assert describe(parse_obis("7-0:3.0.0*255")) is GENERIC_ROW  # gas is not in the table


def test_billing_period_row() -> None:
    row = describe(parse_obis("1.8.0*01"))
    assert row.key == "energy_import_total_billing"
    assert row.quantity is ObisQuantity.ACTIVE_ENERGY
    assert not row.enabled_by_default
    assert describe(parse_obis("82.8.1*01")) is GENERIC_ROW


def test_catalogue_keys_are_translation_safe() -> None:
    assert len(CATALOGUE) > 150
    for row in CATALOGUE.values():
        assert row.key.replace("_", "").isalnum()
        assert row.key == row.key.lower()


def test_dlms_units() -> None:
    assert dlms_unit(30) == "Wh"
    assert dlms_unit(27) == "W"
    assert dlms_unit(35) == "V"
    assert dlms_unit(255) is None


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=24), st.binary(max_size=12)))
def test_parse_never_raises_other_errors(text: str | bytes) -> None:
    try:
        code = parse_obis(text)
    except ObisError:
        return
    assert parse_obis(str(code)) == code
    describe(code)


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=6, max_size=6))
def test_binary_round_trip(data: bytes) -> None:
    code = ObisCode.from_bytes(data)
    assert code.to_bytes() == data
    assert parse_obis(str(code)) == code
