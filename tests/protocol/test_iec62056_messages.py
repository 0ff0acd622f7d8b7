"""IEC 62056-21 messages: request, identification, ACK, BCC."""

from __future__ import annotations

import pytest

from custom_components.energy_meters.protocol.iec62056 import IdentificationError, Iec62056Error
from custom_components.energy_meters.protocol.iec62056.messages import (
    BREAK_MESSAGE,
    Mode,
    ReadoutKind,
    ack_message,
    bcc,
    mode_c_baud_char,
    parse_identification,
    request_message,
)


def test_request_messages() -> None:
    assert request_message() == b"/?!\r\n"
    assert request_message("12345678") == b"/?12345678!\r\n"
    for bad in ("a!b", "/", "x" * 33, "é"):
        with pytest.raises(Iec62056Error):
            request_message(bad)


def test_ack_messages() -> None:
    assert ack_message("5") == bytes.fromhex("063035300d0a")
    assert ack_message("0") == bytes.fromhex("063030300d0a")  # stay at 300 Bd (vzlogger#27)
    assert ack_message("6", ReadoutKind.PROGRAMMING) == bytes.fromhex("063036310D0A")
    assert ack_message("5", ReadoutKind.BINARY, protocol_control="2") == b"\x06252\r\n"
    with pytest.raises(Iec62056Error):
        ack_message("A")
    with pytest.raises(Iec62056Error):
        ack_message("5", protocol_control="x")


def test_bcc_vectors() -> None:
    assert bcc(b"P0\x02(1234567)\x03") == ord("P")  # pwitab tests/test_bcc.py
    assert BREAK_MESSAGE[-1] == bcc(BREAK_MESSAGE[1:-1])
    assert bcc(b"") == 0


def test_baud_chars() -> None:
    assert mode_c_baud_char(9600) == "5"
    assert mode_c_baud_char(300) == "0"
    with pytest.raises(Iec62056Error):
        mode_c_baud_char(115200)


@pytest.mark.parametrize(
    ("line", "manufacturer", "char", "enhanced", "ident", "mode", "baud", "fast"),
    [
        (b"/LGZ4ZMF100AC.M26\r\n", "LGZ", "4", None, "ZMF100AC.M26", Mode.C, 4800, False),
        (b"/LGZ52ZMD120APt.G03\r\n", "LGZ", "5", None, "2ZMD120APt.G03", Mode.C, 9600, False),
        (b"/ISk5MT174-0001\r\n", "ISk", "5", None, "MT174-0001", Mode.C, 9600, True),
        (b"/AUX5\\2SX330\r\n", "AUX", "5", "2", "SX330", Mode.E, 9600, False),
        (b"/ABCE\\1xyz", "ABC", "E", "1", "xyz", Mode.B, 9600, False),
        (b"/ABCAident\n", "ABC", "A", None, "ident", Mode.B, 600, False),
        (b"/XYZ_simple\r\n", "XYZ", "_", None, "simple", Mode.A, 300, False),
        (b"\x7f\x00garbage/LGZ4x\r\n", "LGZ", "4", None, "x", Mode.C, 4800, False),
        (b"/LGZ6\r\n", "LGZ", "6", None, "", Mode.C, 19200, False),
        (b"/LGZ7\r\n", "LGZ", "7", None, "", Mode.A, 300, False),  # reserved char
    ],
)
def test_identification(
    line: bytes,
    manufacturer: str,
    char: str,
    enhanced: str | None,
    ident: str,
    mode: Mode,
    baud: int,
    fast: bool,
) -> None:
    parsed = parse_identification(line)
    assert (parsed.manufacturer, parsed.baud_char, parsed.enhanced, parsed.ident) == (
        manufacturer,
        char,
        enhanced,
        ident,
    )
    assert parsed.mode is mode
    assert parsed.max_baudrate == baud
    assert parsed.fast_reaction is fast
    assert "/" + str(parsed) in line.decode("latin-1")


@pytest.mark.parametrize(
    "line", [b"LGZ4\r\n", b"/LG\r\n", b"/1GZ4abc\r\n", b"/LGZ4\xb8\r\n", b"/LGZ4a\tb\r\n"]
)
def test_bad_identification(line: bytes) -> None:
    with pytest.raises(IdentificationError):
        parse_identification(line)
