"""AHA login answers and XML decoding, on published vectors and real captures."""

from __future__ import annotations

import contextlib
from pathlib import Path

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.energy_meters.protocol.fritzbox.devices import (
    FIELDS,
    Function,
    parse_device_list,
    parse_device_stats,
)
from custom_components.energy_meters.protocol.fritzbox.login import (
    challenge_response,
    md5_response,
    parse_session_info,
    pbkdf2_response,
)
from custom_components.energy_meters.protocol.fritzbox.xml import AhaParseError, parse_xml
from simulators.fritzbox import demo_devices

FIXTURES = Path(__file__).parents[1] / "fixtures" / "fritzbox"
PBKDF2_CHALLENGE = "2$10000$a64b986b521fcbc44d7a9f0adad34b14$1000$b9c232dea345233f5a893b2284931ac8"


def test_pbkdf2_response_matches_the_published_vector() -> None:
    # python-fritzhome tests/test_fritzhome.py::test_login_pbkdf2 (AVM's PDF example is faulty)
    assert pbkdf2_response(PBKDF2_CHALLENGE, "admin123") == (
        "b9c232dea345233f5a893b2284931ac8$"
        "2825c7fbd8cdbcbaf93ca2e8d0798c31cf38394469a9ce89365778dc9103ad82"
    )
    assert challenge_response(PBKDF2_CHALLENGE, "admin123").startswith("b9c232de")


def test_md5_response_matches_the_published_vectors() -> None:
    assert md5_response("44b750c0", "admin123") == "44b750c0-29e6478d4afc1c83572353dec0ce949d"
    assert md5_response("1234567z", "äbc") == "1234567z-9e224a41eeefa284df7bb0f26c2913e2"
    assert challenge_response("1234567z", "äbc") == md5_response("1234567z", "äbc")
    # above U+00FF a character counts as "."
    assert md5_response("1234567z", "€") == md5_response("1234567z", ".")


def test_malformed_pbkdf2_challenge() -> None:
    with pytest.raises(AhaParseError):
        pbkdf2_response("2$x$zz$1$00", "pw")


def test_session_info_before_login() -> None:
    info = parse_session_info((FIXTURES / "session_pbkdf2.xml").read_text())
    assert not info.valid
    assert info.challenge == PBKDF2_CHALLENGE
    assert info.block_time == 0
    assert info.rights == {}


def test_session_info_after_login_with_rights() -> None:
    info = parse_session_info(
        "<SessionInfo><SID>0123456789abcdef</SID><Challenge></Challenge><BlockTime>3</BlockTime>"
        "<Rights><Name>Dial</Name><Access>2</Access><Name>HomeAuto</Name><Access>x</Access>"
        "</Rights></SessionInfo>"
    )
    assert info.valid and info.sid == "0123456789abcdef"
    assert info.block_time == 3
    assert info.rights == {"Dial": 2, "HomeAuto": 0}


@pytest.mark.parametrize(
    "text",
    [
        "<html><body>router</body></html>",
        "<SessionInfo><SID>12</SID></SessionInfo>",
        "<SessionInfo><SID>0000000000000000</SID><BlockTime>x</BlockTime></SessionInfo>",
        "not xml",
        '<!DOCTYPE lol [<!ENTITY a "aaaa">]><SessionInfo><SID>&a;</SID></SessionInfo>',
    ],
)
def test_session_info_rejects_other_answers(text: str) -> None:
    with pytest.raises(AhaParseError):
        parse_session_info(text)


def test_entity_expansion_is_refused_before_parsing() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "1234567890">]><devicelist>&a;</devicelist>'
    )
    with pytest.raises(AhaParseError, match="document type"):
        parse_xml(bomb)


def test_real_dect210_capture() -> None:
    devices = parse_device_list((FIXTURES / "dect210.xml").read_text())
    (device,) = devices.values()
    assert device.key == "116570067315" and device.ain == "11657 0067315"
    assert device.product == "FRITZ!DECT 210" and device.name == "PV-Brief"
    assert device.present
    assert device.functions == (
        Function.ENERGY_METER
        | Function.TEMPERATURE
        | Function.SOCKET
        | Function.MICROPHONE
        | Function.ON_OFF
    )
    assert device.values == {
        "power": 0.0,
        "energy": 1239092,
        "voltage": 227.292,
        "temperature": 25.0,
        "switch_on": True,
        "lock": True,  # switching through the box's UI and the API is locked
        "device_lock": False,
        "current": 0.0,
    }
    assert device.parent is None and not device.only_units


def test_not_present_device_has_values_but_no_readings() -> None:
    xml = (
        '<devicelist version="1"><device identifier="11657 0999999" id="1" '
        'functionbitmask="35712" productname="FRITZ!DECT 200"><present>0</present>'
        "<name>Garage</name><switch><state></state></switch><powermeter><voltage></voltage>"
        "<power></power><energy></energy></powermeter><temperature><celsius></celsius>"
        '</temperature></device><device identifier="" functionbitmask="1"/>'
        '<group identifier="grp1" functionbitmask="4160"><present>1</present></group>'
        "</devicelist>"
    )
    (device,) = parse_device_list(xml).values()
    assert not device.present
    assert set(device.values) == {
        "power",
        "energy",
        "voltage",
        "temperature",
        "switch_on",
        "lock",
        "device_lock",
        "current",
    }
    assert all(value is None for value in device.values.values())


def test_zero_volts_is_no_reading() -> None:
    """A present plug reporting 0 V / 0 W / 0 Wh during radio loss (HA #55799)."""
    xml = (
        '<devicelist><device identifier="1" functionbitmask="896"><present>1</present>'
        "<powermeter><voltage>0</voltage><power>0</power><energy>0</energy></powermeter>"
        "<temperature><celsius>inval</celsius></temperature></device></devicelist>"
    )
    (device,) = parse_device_list(xml).values()
    assert device.values == {
        "power": None,
        "energy": None,
        "voltage": None,
        "current": None,
        "temperature": None,
    }


def test_thermostat_sentinels_contact_and_battery() -> None:
    xml = (
        '<devicelist><device identifier="09995 0123456" functionbitmask="320"><present>1'
        "</present><name>Bad</name><battery>70</battery><batterylow>0</batterylow>"
        "<temperature><celsius>-15</celsius></temperature><hkr><tist>41</tist>"
        "<tsoll>253</tsoll><komfort>254</komfort><absenk>34</absenk>"
        "<windowopenactiv>1</windowopenactiv><boostactive>0</boostactive></hkr></device>"
        '<device identifier="11934 0654321-1" functionbitmask="8208"><present>1</present>'
        "<alert><state>1</state></alert></device>"
        '<device identifier="x" functionbitmask="bogus"><present>1</present></device>'
        "</devicelist>"
    )
    devices = parse_device_list(xml)
    hkr = devices["099950123456"].values
    assert hkr == {
        "temperature": -1.5,
        "battery": 70,
        "battery_low": False,
        "hkr_actual": 20.5,
        "hkr_target": None,  # 253: off
        "hkr_off": True,  # the target's sentinels, for the climate entity's mode
        "hkr_on": False,
        "hkr_comfort": None,  # 254: on
        "hkr_eco": 17.0,
        "window_open": True,
        "boost": False,
    }
    assert devices["119340654321-1"].values == {"alarm": True}
    assert devices["x"].values == {} and devices["x"].name == "x"


def test_device_list_rejects_other_roots() -> None:
    with pytest.raises(AhaParseError):
        parse_device_list("<SessionInfo/>")


def test_real_devicestats_capture() -> None:
    stats = parse_device_stats((FIXTURES / "devicestats_dect200.xml").read_text())
    days = stats.series("energy", 86400)
    months = stats.series("energy", 2678400)
    assert days is not None and months is not None
    assert days.values[:3] == (30.0, 307.0, 110.0) and len(days.values) == 31
    assert days.datatime is None  # older firmware
    assert months.values[0] == 447.0
    temperature = stats.series("temperature", 900)
    assert temperature is not None and temperature.values[0] == 185.0
    assert stats.series("energy", 3600) is None
    assert stats.series("humidity", 900) is None


def test_devicestats_gaps_and_datatime() -> None:
    stats = parse_device_stats(
        '<devicestats><energy><stats count="3" grid="86400" datatime="1767225600">'
        '5,-,7</stats><stats grid="x">1</stats></energy></devicestats>'
    )
    days = stats.series("energy", 86400)
    assert days is not None
    assert days.values == (5.0, None, 7.0) and days.datatime == 1767225600
    with pytest.raises(AhaParseError):
        parse_device_stats("<devicelist/>")


def test_simulator_xml_parses_like_the_captures() -> None:
    """The fake box's device XML decodes to the same kind of values as the real one."""
    body = "".join(device.to_xml() for device in demo_devices())
    devices = parse_device_list(f'<devicelist version="1">{body}</devicelist>')
    assert devices["116570067315"].values["voltage"] == 227.292
    assert devices["116570999999"].present is False
    assert devices["099950123456"].values["hkr_target"] == 21.0
    assert devices["119340654321-1"].values["alarm"] is False
    # the HAN-FUN devices in the shape of real lists: a unit with its device's identity
    assert devices["119340654321-1"].parent == "119340654321"
    assert devices["119340654321-1"].firmware == "03.58"
    assert devices["113240716524"].only_units
    assert devices["113240716524-1"].values == {"switch_on": False}


def test_every_field_row_is_unique() -> None:
    """One row per value and device kind; a value's rows for other kinds decode alike."""
    kinds = [(row.key, row.function) for row in FIELDS]
    assert len(kinds) == len(set(kinds))
    for key in {row.key for row in FIELDS}:
        assert len({row.decode for row in FIELDS if row.key == key}) == 1, key


def test_lock_state_of_plugs_and_thermostats() -> None:
    """``lock`` (box UI and API) and ``devicelock`` (buttons) sit in <switch> or <hkr>."""
    xml = (
        '<devicelist><device identifier="1" functionbitmask="35712"><present>1</present>'
        "<switch><state>1</state><lock>0</lock><devicelock>1</devicelock></switch></device>"
        '<device identifier="2" functionbitmask="320"><present>1</present>'
        "<hkr><tsoll>42</tsoll><lock>1</lock><devicelock></devicelock></hkr></device>"
        # older plug firmware has no <devicelock> (python-fritzhome: "optional value")
        '<device identifier="3" functionbitmask="896"><present>1</present>'
        "<switch><state>0</state><lock>1</lock></switch></device>"
        '<device identifier="4" functionbitmask="8208"><present>1</present>'
        "<alert><state>0</state></alert></device></devicelist>"
    )
    devices = parse_device_list(xml)
    assert (devices["1"].values["lock"], devices["1"].values["device_lock"]) == (False, True)
    # an empty element is no reading
    assert (devices["2"].values["lock"], devices["2"].values["device_lock"]) == (True, None)
    assert devices["3"].values["lock"] is True and "device_lock" not in devices["3"].values
    assert "lock" not in devices["4"].values


def test_han_fun_units_take_their_devices_identity() -> None:
    devices = parse_device_list((FIXTURES / "hanfun.xml").read_text())
    # a HAN-FUN plug of another maker: the device holds nothing, the unit is on/off
    holder, plug = devices["113240555001"], devices["113240555001-1"]
    assert holder.only_units and holder.values == {}
    assert plug.parent == "113240555001" and not plug.only_units
    assert plug.functions == Function.HAN_FUN_UNIT | Function.ON_OFF
    assert plug.values == {"switch_on": True}  # <simpleonoff>: no bit 9, no <switch>
    assert (plug.name, plug.product, plug.manufacturer) == ("Garden socket", "HAN-FUN", "0x2c3c")
    assert plug.firmware == "30.17.04.02.018"  # the device's, not the unit's "0.0"
    # a contact: the device carries the battery, so it is more than a holder of units
    device, contact = devices["152820555002"], devices["152820555002-1"]
    assert device.values == {"battery": 15, "battery_low": True} and not device.only_units
    assert contact.values == {"alarm": True}
    assert (contact.product, contact.firmware) == ("FRITZ!Smart Control 350", "03.58")
    assert contact.parent == "152820555002"
    # a light's on/off state is no socket: left out with the rest of the light
    assert devices["130770555003-1"].values == {}
    assert devices["130770555003"].only_units
    # a blind's <alert> is a bitmask of faults: no contact (blinds are left out)
    assert devices["142760555005-1"].values == {}
    # a unit listed without its device keeps its own identity, "0.0" is no firmware
    alarm = devices["113240555004-1"]
    assert alarm.parent is None and alarm.firmware == "" and alarm.product == "HAN-FUN"
    assert not alarm.present and alarm.values == {"alarm": None}


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_fuzz_parsers_raise_only_parse_errors(text: str) -> None:
    for parse in (parse_device_list, parse_device_stats, parse_session_info):
        with contextlib.suppress(AhaParseError):
            parse(text)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=40), st.integers(min_value=0, max_value=1200))
def test_fuzz_corrupted_capture(noise: bytes, position: int) -> None:
    """A corrupted real capture never escapes as anything but a parse error."""
    text = (FIXTURES / "dect210.xml").read_text()
    corrupted = text[:position] + noise.decode("latin-1") + text[position:]
    try:
        devices = parse_device_list(corrupted)
    except AhaParseError:
        return
    for device in devices.values():
        assert all(v is None or isinstance(v, bool | int | float) for v in device.values.values())
