"""wM-Bus protocol side: input validation, config directory, JSON lines, stderr, units."""

from __future__ import annotations

import json
from pathlib import Path
import stat

import pytest

from custom_components.energy_meters.protocol.wmbus.config import (
    InvalidSpecError,
    MeterConfig,
    uses_stdin,
    validate_device,
    validate_driver,
    validate_key,
    validate_meter_id,
    write_config_dir,
)
from custom_components.energy_meters.protocol.wmbus.fields import Quantity, field_unit, is_total
from custom_components.energy_meters.protocol.wmbus.output import (
    Problem,
    classify,
    mask_meter_ids,
    parse_line,
)
from simulators.wmbus import (
    DEV_WATER_METERS,
    iperl_telegram,
    main,
    simulation_lines,
    write_simulation,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "wmbus"
TELEGRAMS = json.loads((FIXTURES / "telegrams.json").read_text())


@pytest.mark.parametrize(
    "spec",
    [
        "auto:c1",
        "auto:c1,t1",
        "im871a:c1",
        "im871a[00102807]:t1",
        "/dev/ttyUSB0:im871a:c1,t1",
        "/dev/serial/by-id/usb-IMST_iM871A-if00:amb8465:c1",
        "/dev/ttyUSB0:9600",
        "rtlwmbus",
        "rtlwmbus:868.9M",
        "rtlwmbus[alfa]:868.9M:c1,t1",
        "rtlwmbus(ppm=17)",
        "stdin:hex",
        "stdin:rtlwmbus",
        "/tmp/telegrams.txt:hex",
        "/config/wmbus/simulation_home.txt",
        "  auto:t1 ",
    ],
)
def test_device_specs_accepted(spec: str) -> None:
    assert validate_device(spec) == spec.strip()


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("", "invalid_device"),
        ("rtlwmbus:CMD(nc -lku 9011)", "device_command_refused"),
        ("rtlwmbus:cmd(id)", "device_command_refused"),
        ("auto:c1;reboot", "device_command_refused"),
        ("stdin:json", "invalid_device"),
        ("fancydongle:c1", "invalid_device_type"),
        ("/dev/ttyUSB0:fancy:c1", "invalid_device_type"),
        ("/dev/ttyUSB0:auto:c1", "invalid_device_type"),
        ("auto:x9", "invalid_link_mode"),
        ("/dev/ttyUSB0:im871a:c1,q2", "invalid_link_mode"),
        ("not a spec", "device_command_refused"),
        ("::", "invalid_device"),
    ],
)
def test_device_specs_refused(spec: str, reason: str) -> None:
    with pytest.raises(InvalidSpecError) as err:
        validate_device(spec)
    assert err.value.reason == reason


def test_stdin_detection() -> None:
    assert uses_stdin("stdin:hex")
    assert not uses_stdin("auto:c1")


def test_meter_ids_keys_drivers() -> None:
    assert validate_meter_id(" 7634879A ") == "7634879a"
    for bad in ("1234567", "123456789", "7634879G", ""):
        with pytest.raises(InvalidSpecError, match="invalid_meter_id"):
            validate_meter_id(bad)
    assert validate_key(None) == ""
    assert validate_key("nokey") == ""
    assert validate_key("28f64a24 988064a0 79aa2c80 7d6102ae") == "28F64A24988064A079AA2C807D6102AE"
    for bad in ("1234", "28F64A24988064A079AA2C807D6102AEFF", "Z8F64A24988064A079AA2C807D6102AE"):
        with pytest.raises(InvalidSpecError, match="invalid_key"):
            validate_key(bad)
    assert validate_driver(" iperl ") == "iperl"
    assert validate_driver("auto", known=["iperl"]) == "auto"
    assert validate_driver("iperl", known=["iperl"]) == "iperl"
    with pytest.raises(InvalidSpecError, match="unknown_driver"):
        validate_driver("nosuch", known=["iperl"])
    for bad in ("@remote", "ip erl", "IPERL", ""):
        with pytest.raises(InvalidSpecError, match="invalid_driver"):
            validate_driver(bad)


def test_config_dir_written_and_rewritten(tmp_path: Path) -> None:
    water = MeterConfig("33225544", "iperl")
    cold = MeterConfig("76348799", "multical21", "28F64A24988064A079AA2C807D6102AE")
    write_config_dir(tmp_path, "stdin:hex", [water, cold], ignore_duplicates=False)
    conf = (tmp_path / "etc" / "wmbusmeters.conf").read_text()
    assert "device=stdin:hex\n" in conf
    assert "ignoreduplicates=false\n" in conf
    assert "format=" not in conf  # a usage error with --useconfig
    assert "shell=" not in conf  # would empty stdout
    meter_dir = tmp_path / "etc" / "wmbusmeters.d"
    assert sorted(p.name for p in meter_dir.iterdir()) == ["em_33225544", "em_76348799", "heard"]
    assert (meter_dir / "heard").read_text() == (
        "name=heard\ndriver=auto\nid=*,!33225544,!76348799\nkey=NOKEY\nidentitymode=full\n"
    )
    assert (meter_dir / "em_33225544").read_text() == (
        "name=em_33225544\ndriver=iperl\nid=33225544\nkey=NOKEY\n"
    )
    cold_file = meter_dir / "em_76348799"
    assert "key=28F64A24988064A079AA2C807D6102AE\n" in cold_file.read_text()
    assert stat.S_IMODE(cold_file.stat().st_mode) == 0o600  # keys stay private
    write_config_dir(tmp_path, "auto:c1", [cold], listen_all=False)
    assert [p.name for p in meter_dir.iterdir()] == ["em_76348799"]
    assert "ignoreduplicates=true" in (tmp_path / "etc" / "wmbusmeters.conf").read_text()


def test_parse_published_json_line() -> None:
    line = (
        '{"_":"telegram","media":"cold water","meter":"multical21","name":"em_76348799",'
        '"id":"76348799","external_temperature_c":19,"flow_temperature_c":127,'
        '"target_m3":6.408,"total_m3":6.408,"current_status":"DRY","status":"DRY",'
        '"time_bursting":"","time_dry":"22-31 days","timestamp":"2026-11-21T08:31:02Z",'
        '"device":"rtlwmbus[]","rssi_dbm":97,"floor":"2","nested":{"a":1},"flag":true}'
    )
    telegram = parse_line(line)
    assert telegram is not None
    assert telegram.meter_id == "76348799"
    assert telegram.driver == "multical21"
    assert telegram.media == "cold water"
    assert telegram.rssi_dbm == 97.0
    assert telegram.receiver == "rtlwmbus[]"
    assert telegram.timestamp == "2026-11-21T08:31:02Z"
    assert telegram.values["total_m3"] == 6.408
    assert telegram.values["status"] == "DRY"
    assert telegram.values["floor"] == "2"
    assert "nested" not in telegram.values and "flag" not in telegram.values
    assert "timestamp" not in telegram.values and "rssi_dbm" not in telegram.values


def test_parse_identity_mode_full_and_null_rssi() -> None:
    telegram = parse_line(
        '{"_":"telegram","id":"76348799.M=KAM.V=1b.T=16","rssi_dbm":null,"frequency_hz":null}'
    )
    assert telegram is not None
    assert telegram.meter_id == "76348799"
    assert telegram.rssi_dbm is None
    assert telegram.values == {"frequency_hz": None}


@pytest.mark.parametrize(
    "line",
    [
        "No such driver foo",
        "",
        "{not json",
        '["_", "telegram"]',
        '{"_":"status","id":"1"}',
        '{"_":"telegram","id":""}',
        '{"_":"telegram"}',
    ],
)
def test_non_telegram_lines_are_diagnostics(line: str) -> None:
    assert parse_line(line) is None


@pytest.mark.parametrize(
    ("line", "problem", "subject", "detail"),
    [
        (
            "(wmbus) WARNING! decrypted payload crc failed check, did you use the correct "
            "decryption key? 979f payload crc (calculated 3431) Permanently ignoring telegrams "
            "from id: 76348799 mfct: (KAM) Kamstrup Energi (0x2c2d) type: Cold water meter "
            "(0x16) ver: 0x1b",
            Problem.WRONG_KEY,
            "76348799",
            "",
        ),
        (
            "(wmbus) WARNING!! decrypted content failed check, did you use the correct "
            "decryption key? Permanently ignoring telegrams from id: 7777777A mfct: (SON)",
            Problem.WRONG_KEY,
            "7777777a",
            "",
        ),
        (
            "(wmbus) WARNING! no key to decrypt payload! Permanently ignoring telegrams from "
            "id: 12345678 mfct: (DME)",
            Problem.NO_KEY,
            "12345678",
            "",
        ),
        (
            "(wmbus) WARNING! telegram should have been fully encrypted, but was not! id: "
            "88888888 mfct: (APA) Apator, Poland (0x601) type: Water meter (0x07) ver: 0x05",
            Problem.NOT_ENCRYPTED,
            "88888888",
            "",
        ),
        ("No such driver nosuchdriver ", Problem.UNKNOWN_DRIVER, "nosuchdriver", ""),
        (
            "(meter) em_33225544: meter detection did not match the selected driver "
            "multical21! correct driver is: iperl",
            Problem.DRIVER_MISMATCH,
            "33225544",
            "iperl",
        ),
        (
            "(meter) em_33225544: meter detection could not find driver for id: 33225544 mfct:"
            " (SEN) Sensus Metering Systems, Germany (0x4cae) type: Water meter (0x07) ver: 0x68",
            Problem.NO_DRIVER_FOUND,
            "33225544",
            "",
        ),
        ('In config, not a valid meter key in config "12"', Problem.INVALID_KEY, "12", ""),
        (
            "[ALARM SpecifiedDeviceNotFound] the device /dev/ttyUSB7:im871a:c1 is not working",
            Problem.DEVICE_NOT_FOUND,
            "/dev/ttyUSB7:im871a:c1",
            "",
        ),
        (
            "Expected im871a on /dev/ttyUSB7 but did not find it! Ignoring tty!",
            Problem.DEVICE_IGNORED,
            "/dev/ttyUSB7",
            "im871a",
        ),
        (
            "[ALARM DeviceInactivity] no telegrams received for 3600 seconds",
            Problem.DEVICE_FAILURE,
            "DeviceInactivity",
            "",
        ),
        ("Lost /dev/ttyUSB0 closing im871a", Problem.DEVICE_LOST, "/dev/ttyUSB0", ""),
        (
            "(meter) Other: meter detection did not match the selected driver x! correct "
            "driver is: y",
            Problem.DRIVER_MISMATCH,
            "Other",
            "y",
        ),
    ],
)
def test_stderr_classified(line: str, problem: Problem, subject: str, detail: str) -> None:
    message = classify(line)
    assert message is not None
    assert (message.problem, message.subject, message.detail) == (problem, subject, detail)
    assert message.text == line.strip()


def test_unclassified_lines() -> None:
    assert classify("Started config hextty on stdin listening on any") is None
    assert classify("(meter) newly created meter (em_1 1 x) did not handle telegram!") is None


@pytest.mark.parametrize(
    ("name", "value", "quantity", "symbol"),
    [
        ("total_m3", 6.408, Quantity.VOLUME, "m³"),
        ("max_flow_m3h", 0, Quantity.FLOW, "m³/h"),
        ("total_energy_consumption_kwh", 2651, Quantity.ENERGY, "kWh"),
        ("power_kw", None, Quantity.POWER, "kW"),
        ("flow_temperature_c", 42.3, Quantity.TEMPERATURE, "°C"),
        ("current_consumption_hca", 12, Quantity.HCA, None),
        ("rssi_dbm", -70, Quantity.SIGNAL, "dBm"),
    ],
)
def test_units_from_suffix_and_type(
    name: str, value: float | None, quantity: Quantity, symbol: str | None
) -> None:
    unit = field_unit(name, value)
    assert unit is not None
    assert (unit.quantity, unit.symbol) == (quantity, symbol)


def test_suffix_alone_is_not_enough() -> None:
    assert field_unit("prev_1_month", "2017-04-01") is None  # a date, not months
    assert field_unit("unknown_a", "WOOTA_C060000") is None  # a text, not amperes
    assert field_unit("status", 1) is None
    assert field_unit("reading_xyz", 1) is None


def test_totals() -> None:
    assert is_total("total_m3", field_unit("total_m3", 1.0))
    assert is_total("total_energy_consumption_tariff1_kwh", field_unit("x_kwh", 1.0))
    assert not is_total("target_m3", field_unit("target_m3", 1.0))
    assert not is_total("total_prev_month_m3", field_unit("x_m3", 1.0))
    assert not is_total("total_flow_m3h", field_unit("x_m3h", 1.0))
    assert not is_total("total_x", None)


def test_simulated_iperl_matches_published_telegram() -> None:
    published = TELEGRAMS["iperl_plain"]
    assert iperl_telegram("33225544", 123_529) == published["hex"]
    with pytest.raises(ValueError, match="8 digits"):
        iperl_telegram("123", 1)
    with pytest.raises(ValueError, match="out of range"):
        iperl_telegram("33225544", -1)


def test_simulation_file(tmp_path: Path) -> None:
    lines = simulation_lines(DEV_WATER_METERS, 120)
    assert lines[0] == f"telegram=|{iperl_telegram('33225544', 123_529)}|+0"
    offsets = [int(line.rsplit("+", 1)[1]) for line in lines]
    assert offsets == sorted(offsets)
    assert sum("2A442D2C" in line for line in lines) == 2
    assert len(simulation_lines(DEV_WATER_METERS, 60, neighbours=False)) == 3 + 2
    with pytest.raises(ValueError, match="simulation"):
        write_simulation(tmp_path / "replay.txt", lines)
    out = tmp_path / "wmbus" / "simulation_dev.txt"
    assert main(["--out", str(out), "--hours", "0.01", "--exit"]) == 0
    assert out.read_text().startswith("telegram=|1844AE4C")
    # written later, a file starts from the counters reached by then
    assert main(["--out", str(out), "--hours", "0.01", "--exit", "--elapsed", "200"]) == 0
    first = out.read_text().splitlines()[0]
    assert first == f"telegram=|{iperl_telegram('33225544', 123_529 + 10 * 7)}|+0"


def test_meter_ids_are_shortened_for_logs() -> None:
    line = "(wmbus) telegram from 76348799 (kamstrup) and 1234abcd; not 123456789 nor 7634"
    assert mask_meter_ids(line) == (
        "(wmbus) telegram from …8799 (kamstrup) and …abcd; not 123456789 nor 7634"
    )
