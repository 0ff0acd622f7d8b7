"""IEC 62056-21 data messages and the mode D push parser, with the research fixtures."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from custom_components.energy_meters.protocol.iec62056 import BccError, FramingError
from custom_components.energy_meters.protocol.iec62056.messages import bcc, parse_identification
from custom_components.energy_meters.protocol.iec62056.push import MAX_FRAME, PushParser
from custom_components.energy_meters.protocol.iec62056.readout import (
    DataSet,
    parse_data_block,
    parse_data_message,
    parse_unchecked_block,
)
from custom_components.energy_meters.protocol.obis import parse_obis

FIXTURES = Path(__file__).parents[1] / "fixtures" / "iec62056"
F1 = (FIXTURES / "f1_lgz_e350.bin").read_bytes()
F3 = (FIXTURES / "f3_lgz_zmd_echo.txt").read_bytes()


def frame(block: bytes, ident: bytes = b"/LGZ4ZMF100AC.M26\r\n") -> bytes:
    body = block + b"\x03"
    return ident + b"\x02" + body + bytes((bcc(body),))


def test_f1_full_readout() -> None:
    stx = F1.index(b"\x02")
    ident = parse_identification(F1[:stx])
    readout = parse_data_message(F1[stx:], ident)
    assert readout.bcc_checked
    assert readout.identification == ident
    assert len(readout.data_sets) == 22
    values = readout.by_obis()
    assert values[parse_obis("1.8.0")].number == Decimal("61561.289")
    assert values[parse_obis("1.8.0")].unit == "kWh"
    assert values[parse_obis("32.7")] == DataSet("32.7", "241", "V")
    assert values[parse_obis("0.0")].value == "120858"  # padding stripped
    assert values[parse_obis("C.1.1")].value == ""  # blank value kept
    assert values[parse_obis("C.1.1")].number is None
    assert values[parse_obis("F.F")].value == "00"
    assert values[parse_obis("C.5.0")].hex_value() == 0x401
    assert readout.unparsed == ()


def test_kamstrup_bad_bcc_is_refused() -> None:
    # jonkerj/iec62056 samples.py KAMSTRUP_MC66 ending: sent BCC 'a', computed '='
    message = b"\x026.31(0109868*h)!\r\n\x03a"
    with pytest.raises(BccError):
        parse_data_message(message)
    fixed = message[:-1] + bytes((bcc(message[1:-1]),))
    assert parse_data_message(fixed).data_sets == (DataSet("6.31", "0109868", "h"),)


def test_bcc_covers_exactly_stx_exclusive_to_etx_inclusive() -> None:
    body = b"1.8.0(1*kWh)\r\n!\r\n\x03"
    good = b"\x02" + body + bytes((bcc(body),))
    assert parse_data_message(good).data_sets
    with_stx = b"\x02" + body + bytes((bcc(b"\x02" + body),))
    without_etx = b"\x02" + body + bytes((bcc(body[:-1]),))
    for wrong in (with_stx, without_etx):
        if wrong != good:
            with pytest.raises(BccError):
                parse_data_message(wrong)


@pytest.mark.parametrize(
    "message",
    [
        b"",
        b"1.8.0(1)\x03\x00",
        b"\x021.8.0(1)!\r\n",  # no ETX
        b"\x021.8.0(1)!\r\n\x03",  # no BCC
        b"\x021.8.0(1)!\r\n\x03\x00\x00",  # bytes after BCC
        b"\x021.8.0(1)\x03!\r\n\x03\x00",  # ETX inside
    ],
)
def test_framing_errors(message: bytes) -> None:
    with pytest.raises(FramingError):
        parse_data_message(message)


def test_missing_bang_and_8bit_bytes_refused() -> None:
    body = b"1.8.0(1*kWh)\r\n\x03"
    with pytest.raises(FramingError):
        parse_data_message(b"\x02" + body + bytes((bcc(body),)))
    body = b"1.8.0(\xb1*kWh)\r\n!\r\n\x03"
    with pytest.raises(FramingError):
        parse_data_message(b"\x02" + body + bytes((bcc(body),)))


def test_quirks() -> None:
    sets, unparsed = parse_data_block(
        "1.8.0(0000000 kWh)\n"  # unit glued (ISKRA MT171)
        "32.7.0(233)\n\n"  # no unit, LF only, doubled
        "12(12*kWh)13(13*kWh)\r\n"  # several sets per line
        "0-1:24.3.0(090212160000)(00)(60)\r\n(00001.001)\r\n"  # continuation values
        "96.5.0(0000001C)\r\n"  # hex value
        "1.8.0*01(123,5*kWh)\r\n"  # billing period, comma
        "2.8.5&12(7*kWh)\r\n"
        "garbage line\r\n"
        "1.7.0(1*kW) junk 2.7.0(2*kW)\r\n"
        "()\r\n"
        "6.31(0109868*h)!\r\n"  # ! glued to the last set
    )
    by_address = {s.address: s for s in sets}
    assert by_address["1.8.0"] == DataSet("1.8.0", "0000000", "kWh")
    assert by_address["32.7.0"].unit is None
    assert by_address["12"].number == 12
    assert by_address["0-1:24.3.0"].extra == ("00", "60", "00001.001")
    assert by_address["96.5.0"].hex_value() == 0x1C
    assert by_address["96.5.0"].number is None
    assert by_address["1.8.0*01"].number == Decimal("123.5")
    assert by_address["1.8.0*01"].obis == parse_obis("1.8.0*1")
    assert by_address["2.8.5&12"].obis is not None
    assert by_address["6.31"].value == "0109868"
    assert "1.7.0" in by_address
    assert "2.7.0" not in by_address
    assert unparsed == ("garbage line", "1.7.0(1*kW) junk 2.7.0(2*kW)")
    assert by_address["1.7.0"].extra == ("",)  # a lone "()" continues the previous set
    assert parse_data_block("()\r\n(1)") == ((), ("()", "(1)"))  # nothing to continue
    assert DataSet("x y", "1").obis is None
    assert DataSet("1.8.0", "zz").hex_value() is None


def test_unchecked_block_f3() -> None:
    start = F3.index(b"/LGZ")
    eol = F3.index(b"\n", start)
    readout = parse_unchecked_block(F3[eol + 1 :], parse_identification(F3[start : eol + 1]))
    assert not readout.bcc_checked
    assert readout.by_obis()[parse_obis("2.8.0")].number == Decimal("4329.6")
    assert readout.by_obis()[parse_obis("0.0.0")].value == "20000"


def test_push_parser_chunks_and_noise() -> None:
    stream = b"\x7f\x00junk" + F1 + b"\r\n" + F1
    for size in (1, 7, 64, len(stream)):
        parser = PushParser()
        readouts = []
        for i in range(0, len(stream), size):
            readouts += parser.feed(stream[i : i + size])
        assert len(readouts) == 2
        assert all(r.bcc_checked and len(r.data_sets) == 22 for r in readouts)
        assert readouts[0].identification is not None
        assert parser.stats.readouts == 2


def test_push_parser_bad_bcc_and_bad_ident() -> None:
    bad = F1[:-1] + b"\x00"
    parser = PushParser()
    assert parser.feed(bad + b"/\xff\xfe\r\n" + F1) != []
    assert parser.stats.errors == 2
    assert parser.stats.readouts == 1


def test_push_parser_restarts_on_slash_inside_frame() -> None:
    truncated = F1[: F1.index(b"C.1.0")]
    parser = PushParser()
    readouts = parser.feed(truncated + F1)
    assert len(readouts) == 1
    assert parser.stats.errors == 1


def test_push_parser_unframed() -> None:
    strict = PushParser()
    assert strict.feed(F3) == []
    assert strict.stats.unchecked_dropped == 1
    lenient = PushParser(require_bcc=False)
    readouts = lenient.feed(F3)
    assert len(readouts) == 1
    assert not readouts[0].bcc_checked
    assert len(readouts[0].data_sets) == 8
    # unframed block holding 8-bit bytes: an error, not a readout
    errors = lenient.stats.errors  # the echoed "/?!" of F3 was one
    assert lenient.feed(b"/LGZ4x\r\n1.8.0(\xb1)\r\n!\r\n") == []
    assert lenient.stats.errors == errors + 1
    # a new frame starting inside an unframed one
    assert len(lenient.feed(b"/LGZ4x\r\n1.8.0(1)\r\n" + F3[5:])) == 1


def test_push_parser_waits_and_caps() -> None:
    parser = PushParser()
    assert parser.feed(b"/LGZ4") == []
    assert parser.feed(b"x\r\n") == []
    assert parser.feed(b"\x021.8.0(1)") == []
    assert parser.feed(b"!\r\n\x03") == []
    body = b"1.8.0(1)!\r\n\x03"
    assert len(parser.feed(bytes((bcc(body),)))) == 1
    assert parser.feed(b"/" + b"x" * (MAX_FRAME + 1)) == []
    assert parser.stats.errors == 1
    assert parser.feed(b"noise without slash") == []
    assert parser.feed(frame(b"1.8.0(2)\r\n!\r\n")) != []
