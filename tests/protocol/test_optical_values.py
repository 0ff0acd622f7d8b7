"""OBIS readings from the three protocols, plausibility ranges, SML decoding, HDLC losses."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

from hypothesis import given, settings, strategies as st
import pytest
from smllib.sml.response_get_list import SmlGetListResponse

from custom_components.energy_meters.protocol.dlms.apdu import decode_push
from custom_components.energy_meters.protocol.dlms.hdlc import HdlcParser
from custom_components.energy_meters.protocol.iec62056.messages import parse_identification
from custom_components.energy_meters.protocol.iec62056.readout import parse_data_message
from custom_components.energy_meters.protocol.obis import ObisQuantity, parse_obis
from custom_components.energy_meters.protocol.optical.ranges import (
    Limits,
    plausible,
    supervise,
)
from custom_components.energy_meters.protocol.optical.sml import SmlDecoder, _value
from custom_components.energy_meters.protocol.optical.values import (
    _datum_text,
    clean_identity,
    convert,
    dlms_identity,
    dlms_readings,
    iec_identity,
    iec_readings,
    reading,
    system_title_text,
)
from simulators.dlms import TEST_KEY, DlmsMeterModel, DlmsPushSimulator, hdlc_frames
from simulators.iec62056 import IecMeterModel, data_message
from simulators.sml import (
    NONE,
    SmlFaults,
    SmlMeterModel,
    SmlPushSimulator,
    entry,
    message,
    octets,
    sml_file,
    sml_list,
    unsigned,
)

FIXTURES = Path(__file__).parents[1] / "fixtures"
F1 = (FIXTURES / "iec62056" / "f1_lgz_e350.bin").read_bytes()
KAIFA_PLAIN = bytes.fromhex(
    "".join((FIXTURES / "dlms" / "kaifa_tinetz_plaintext.hex").read_text().split())
)
IDENT = parse_identification(b"/LGZ5ZMD3104100.B32\r\n")


def test_units_convert_or_refuse() -> None:
    assert convert(Decimal(1500), "Wh", "kWh") == Decimal("1.500")
    assert convert(Decimal(2), "kW", "kW") == Decimal(2)
    assert convert(Decimal(5), None, "kWh") == Decimal(5)
    assert convert(Decimal(5), "kWh", None) == Decimal(5)
    assert convert(Decimal(5), "kWh", "V") is None  # an energy is no voltage
    assert convert(Decimal(5), "furlong", "V") is None
    assert reading(parse_obis("1.8.0"), None, "kWh") is None
    assert reading(parse_obis("1.8.0"), "abc", "kWh") is None  # a counter must be a number
    assert reading(parse_obis("32.7.0"), Decimal(230), "kWh") is None
    generic = reading(parse_obis("1-0:99.99.9"), Decimal(7), "xyz")
    assert generic is not None and generic.unit == "xyz"
    ident = reading(parse_obis("C.1.0"), Decimal(1234), None)
    assert ident is not None and ident.value == "1234"


def test_iec_readout_to_readings() -> None:
    model = IecMeterModel(extra_lines=["32.7(garbage*V)", "99.99.9(12*xyz)"])
    readout = parse_data_message(data_message(model.data_block()), IDENT)
    readings, unusable = iec_readings(readout)
    assert readings[parse_obis("1.8.0")].value == Decimal("1234.577")
    assert readings[parse_obis("1.8.0")].unit == "kWh"
    assert readings[parse_obis("16.7.0")].value == Decimal("1.234")
    assert readings[parse_obis("32.7")].value == Decimal("230.1")
    assert unusable >= 0
    assert iec_identity(readings, IDENT) == "12345678"
    assert iec_identity({}, IDENT) == "LGZ5ZMD3104100.B32"
    assert iec_identity({}, None) is None
    head, _, _ = F1.partition(b"\x02")
    published = parse_data_message(F1[len(head) :], parse_identification(head))
    f1, _ = iec_readings(published)
    assert f1  # the E350 fixture yields readings
    assert clean_identity("  a b/c ") == "a_b_c"


def test_dlms_notification_to_readings() -> None:
    notification = decode_push(DlmsMeterModel().notification())
    readings, unusable = dlms_readings(notification)
    assert unusable == 0
    assert readings[parse_obis("1-0:1.8.0")].value == Decimal("1234.577")
    assert readings[parse_obis("1-0:32.7.0")].value == Decimal("230.1")
    assert readings[parse_obis("1-0:31.7.0")].value == Decimal("1.23")
    assert dlms_identity(readings, None) == "LGZ1030655933512"
    assert dlms_identity({}, b"LGZ\x00\x00\xbc\x61\x4e") == "4C475A0000BC614E"
    assert dlms_identity({}, None) is None
    assert system_title_text(b"LGZ\x00\x00\xbc\x61\x4e") == "LGZ 0000BC614E"
    assert system_title_text(b"\x01\x02\x03\x04") == "01020304"
    kaifa, _ = dlms_readings(decode_push(KAIFA_PLAIN))
    assert kaifa


def test_ciphered_push_decodes_with_the_key_only() -> None:
    push = DlmsPushSimulator().next_push()
    parser = HdlcParser()
    messages = parser.feed(push)
    assert len(messages) == 1
    notification = decode_push(messages[0], TEST_KEY)
    assert notification.system_title is not None
    readings, _ = dlms_readings(notification)
    assert parse_obis("1-0:1.8.0") in readings


def test_hdlc_drops_a_message_whose_first_segment_failed() -> None:
    apdu = DlmsMeterModel().notification()
    frames = hdlc_frames(apdu, segment=40)
    assert len(frames) >= 3
    bad_first = bytearray(frames[0])
    bad_first[-3] ^= 0x01  # FCS no longer verifies
    good = hdlc_frames(DlmsMeterModel(name="SECOND").notification(), segment=40)
    parser = HdlcParser()
    messages = parser.feed(bytes(bad_first) + b"".join(frames[1:]) + b"".join(good))
    assert parser.frame_errors == 1
    assert len(messages) == 1  # the tail of the first message is not a message
    assert decode_push(messages[0]).values[0].value == b"SECOND"
    # a failed last segment: the next message is whole
    bad_last = bytearray(frames[-1])
    bad_last[-3] ^= 0x01
    parser = HdlcParser()
    messages = parser.feed(b"".join(frames[:-1]) + bytes(bad_last) + b"".join(good))
    assert len(messages) == 1
    assert decode_push(messages[0]).values[0].value == b"SECOND"


def test_plausible_ranges_and_anomalies() -> None:
    assert plausible(ObisQuantity.VOLTAGE, Decimal(230))
    assert not plausible(ObisQuantity.VOLTAGE, Decimal(0))
    assert not plausible(ObisQuantity.VOLTAGE, Decimal(9999))
    assert plausible(ObisQuantity.IDENTIFIER, Decimal(-5))  # no range: anything goes
    limits = Limits(power_max_kw=5.0)
    judged = supervise(
        {1: Decimal(230), 2: Decimal(200), 3: Decimal(260)}, Decimal("49.4"), Decimal(6), limits
    )
    assert not judged["voltage_l1"].active and judged["voltage_l1"].direction is None
    assert judged["voltage_l2"].direction == "under"
    assert judged["voltage_l3"].direction == "over"
    assert judged["frequency"].direction == "under"
    assert judged["power"].direction == "over" and judged["power"].maximum == 5.0
    assert "power" not in supervise({}, None, Decimal(6), Limits())


def test_sml_decoder_on_the_simulator_and_corruptions() -> None:
    decoder = SmlDecoder()
    source = SmlPushSimulator()
    first, second = source.next_push(), source.next_push()
    files = decoder.feed(first[:30])
    assert files == []
    files = decoder.feed(first[30:] + second)
    assert len(files) == 2
    server = SmlMeterModel().server_id.hex().upper()
    assert files[0].server_id == server
    values = files[0].readings
    assert values[parse_obis("1-0:1.8.0")].unit == "kWh"
    assert values[parse_obis("1-0:32.7.0")].value == Decimal("230.1")
    assert decoder.stats.files == 2
    bad = SmlPushSimulator(faults=SmlFaults(bad_crc=True)).next_push()
    assert decoder.feed(bad) == []
    assert decoder.stats.crc_errors == 1
    truncated = SmlPushSimulator(faults=SmlFaults(truncated=True)).next_push()
    decoder.reset()
    assert decoder.feed(truncated) == []
    decoder.reset()
    assert len(decoder.feed(source.next_push())) == 1


def _list_file(server_id: bytes, *entries: bytes) -> bytes:
    tid = b"\x00\x00\x00\x07"
    body = sml_list(NONE, octets(server_id), NONE, NONE, sml_list(*entries), NONE, NONE)
    return sml_file(message(tid + b"\x02", 0x0701, body))


def test_sml_files_without_server_or_with_unusable_entries() -> None:
    decoder = SmlDecoder()
    assert decoder.feed(_list_file(b"", entry("1-0:1.8.0", unsigned(5, 4), 30, 0))) == []
    assert decoder.stats.errors == 1  # a file without a server id is malformed
    text_counter = entry("1-0:1.8.0", octets(b"abc"), 30, 0)
    files = decoder.feed(_list_file(b"\x0a\x01ABC", text_counter))
    assert len(files) == 1
    assert files[0].readings == {}
    assert files[0].unusable == 1
    assert (
        decoder.feed(
            b"\x1b\x1b\x1b\x1b\x01\x01\x01\x01\x76\xff\xff"
            + b"\x00" * 3
            + b"\x1b\x1b\x1b\x1b\x1a\x03\x00\x00"
        )
        == []
    )


def test_sml_values() -> None:
    assert _value(True, 0) == "True"  # noqa: FBT003 - a boolean SML value
    assert _value(12, -1) == Decimal("1.2")
    assert _value(12, None) == Decimal(12)
    assert _value("454d48", None) == "EMH"
    assert _value("0a0b", None) == "0a0b"
    assert _value("not hex", None) == "not hex"
    assert _value(1.5, 0) is None


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_sml_decoder_never_raises(data: bytes) -> None:
    decoder = SmlDecoder()
    assert isinstance(decoder.feed(data), list)
    assert isinstance(decoder.feed(b"\x1b\x1b\x1b\x1b\x01\x01\x01\x01" + data), list)


class _Broken:
    def add(self, data: bytes) -> None:
        pass

    def clear(self) -> None:
        pass

    def get_frame(self) -> None:
        raise RuntimeError("library bug")


def test_sml_library_errors_are_counted() -> None:
    decoder = SmlDecoder()
    decoder._reader = _Broken()  # type: ignore[assignment]
    assert decoder.feed(b"x") == []
    assert decoder.stats.errors == 1
    body = SmlGetListResponse.__new__(SmlGetListResponse)
    body.server_id = None  # type: ignore[assignment]
    body.val_list = [SimpleNamespace(obis="zz", unit=None, value=1, scaler=0)]  # type: ignore[assignment]
    with pytest.raises(ValueError, match="server id"):
        SmlDecoder._decode([SimpleNamespace(message_body=body)])


def test_dlms_datum_text() -> None:
    assert _datum_text("a") == "a"
    assert _datum_text(b"AB") == "AB"
    assert _datum_text(b"\x01\xff") == "01FF"
    assert _datum_text(3) == "3"
    assert _datum_text([1]) is None


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400), st.integers(min_value=0, max_value=10_000))
def test_classify_never_raises_and_a_damaged_push_yields_nothing(noise: bytes, where: int) -> None:
    from custom_components.energy_meters.protocol.optical.sniff import LineKind, classify

    assert classify(noise).kind in set(LineKind)
    push = bytearray(DlmsPushSimulator(key=None).next_push())
    position = where % len(push)
    if push[position] != 0x7E:  # a flag byte flip only moves the frame boundary
        push[position] ^= 0x10
        assert classify(bytes(push)).apdus == ()  # no part of a damaged message passes
