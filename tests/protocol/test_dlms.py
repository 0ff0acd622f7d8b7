"""DLMS push: HDLC framing, AES-GCM ciphering, block transfer, DataNotification values."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from custom_components.energy_meters.protocol.dlms import ApduError, DecryptionError, HdlcError
from custom_components.energy_meters.protocol.dlms.apdu import (
    BlockAssembler,
    DlmsValue,
    decode_data,
    decode_notification,
    decode_push,
    extract_values,
)
from custom_components.energy_meters.protocol.dlms.cipher import (
    decipher,
    encipher_glo,
    encode_length,
    read_length,
)
from custom_components.energy_meters.protocol.dlms.hdlc import (
    HdlcFrame,
    HdlcParser,
    crc16_x25,
    decode_frame,
    encode_address,
    encode_frame,
)
from custom_components.energy_meters.protocol.obis import ObisCode, parse_obis

FIXTURES = Path(__file__).parents[1] / "fixtures" / "dlms"


def fixture(name: str) -> bytes:
    return bytes.fromhex((FIXTURES / f"{name}.hex").read_text().strip())


KAIFA = fixture("kaifa_tinetz_glo_encryption_only")
KAIFA_PLAIN = fixture("kaifa_tinetz_plaintext")
KAIFA_KEY = bytes.fromhex("101112131415161718191A1B1C1D1E1F")
LGZ = fixture("lgz_glo_authenticated")
GB_EK = bytes(range(16))
GB_AK = bytes(range(0xD0, 0xE0))
TITLE = b"LGZ\x00\x00\xbc\x61\x4e"


def test_crc16_x25_check_value() -> None:
    assert crc16_x25(b"123456789") == 0x906E


def test_kaifa_encryption_only() -> None:
    deciphered = decipher(KAIFA, KAIFA_KEY)
    assert deciphered.plaintext == KAIFA_PLAIN
    assert deciphered.system_title == b"KFM\x10\x10\x00\x00\x23"
    assert deciphered.invocation_counter == 0x00295B9A
    assert deciphered.encrypted
    assert not deciphered.authenticated
    notification = decode_push(KAIFA, KAIFA_KEY)
    values = {v.obis: v for v in notification.values}
    assert values[parse_obis("32.7.0")].scaled == Decimal("230.8")
    assert values[parse_obis("32.7.0")].unit == "V"
    assert values[parse_obis("31.7.0")].scaled == Decimal("0.00")
    assert values[parse_obis("1.8.0")].scaled == Decimal("9108")
    assert values[parse_obis("1.8.0")].unit == "Wh"
    assert values[parse_obis("3.8.0")].unit == "varh"
    assert values[parse_obis("0-0:96.1.0")].text == "1KFM0100000035"
    assert values[parse_obis("0-0:42.0.0")].text == "KFM1100100000035"
    assert values[parse_obis("0-0:1.0.0")].text is None  # a date-time octet string
    assert notification.date_time is not None
    assert notification.date_time[:2] == b"\x07\xe5"  # 2021
    assert notification.system_title == b"KFM\x10\x10\x00\x00\x23"


def test_kaifa_wrong_key_is_a_clear_error() -> None:
    with pytest.raises(DecryptionError, match="wrong key"):
        decode_push(KAIFA, bytes(16))
    with pytest.raises(ApduError, match="encryption key is needed"):
        decode_push(KAIFA)
    with pytest.raises(DecryptionError):
        decode_push(KAIFA, b"short")


def test_lgz_authenticated_encryption() -> None:
    deciphered = decipher(LGZ, GB_EK, GB_AK)
    assert deciphered.authenticated
    assert deciphered.security_control == 0x30
    notification = decode_push(LGZ, GB_EK, GB_AK)
    assert notification.authenticated
    assert notification.invoke_id == 3
    assert isinstance(notification.body, tuple)
    assert isinstance(notification.body[0], bytes) and len(notification.body[0]) == 48
    assert notification.values == ()  # an L+G blob without OBIS codes
    # without the authentication key the payload is still deciphered, not authenticated
    unauthenticated = decipher(LGZ, GB_EK)
    assert unauthenticated.plaintext == deciphered.plaintext
    assert not unauthenticated.authenticated


def test_unauthenticated_apdu_refused_when_an_authentication_key_is_set() -> None:
    with pytest.raises(DecryptionError, match="not authenticated"):
        decipher(KAIFA, KAIFA_KEY, GB_AK)


def test_lgz_wrong_keys_fail_the_tag() -> None:
    with pytest.raises(DecryptionError, match="tag mismatch"):
        decipher(LGZ, bytes(16), GB_AK)
    with pytest.raises(DecryptionError, match="tag mismatch"):
        decipher(LGZ, GB_EK, bytes(16))


def test_encipher_round_trip_both_modes() -> None:
    for ak in (None, GB_AK):
        apdu = encipher_glo(
            KAIFA_PLAIN, system_title=TITLE, invocation_counter=7, key=GB_EK, authentication_key=ak
        )
        notification = decode_push(apdu, GB_EK, ak)
        assert notification.authenticated is (ak is not None)
        assert len(notification.values) == 11


def general_ciphering(content: bytes, key_info: bytes = b"\x01\x00\x00") -> bytes:
    def octets(data: bytes) -> bytes:
        return encode_length(len(data)) + data

    return (
        b"\xdd"
        + octets(b"\x01")
        + octets(TITLE)
        + octets(b"")
        + octets(b"")
        + octets(b"")
        + key_info
        + octets(content)
    )


def test_general_ciphering() -> None:
    glo = encipher_glo(
        KAIFA_PLAIN, system_title=TITLE, invocation_counter=9, key=GB_EK, authentication_key=GB_AK
    )
    content = glo[2 + 8 :]
    _, pos = read_length(content, 0)
    for key_info in (b"\x01\x00\x00", b"\x00"):
        apdu = general_ciphering(content[pos:], key_info)
        notification = decode_push(apdu, GB_EK, GB_AK)
        assert notification.authenticated
        assert notification.system_title == TITLE
    for bad in (b"\x01\x01\x00", b"\x02"):
        with pytest.raises(ApduError):
            decipher(general_ciphering(content[pos:], bad), GB_EK)
    with pytest.raises(ApduError):
        decipher(general_ciphering(content[pos:])[:-200][:30], GB_EK)


@pytest.mark.parametrize(
    "apdu",
    [
        b"",
        b"\xc8\x00",
        b"\xdb\x08" + TITLE + b"\x03\x20\x00\x00",  # content too short
        b"\xdb\x08" + TITLE[:4],  # truncated title
        b"\xdb\x04LGZ\x00\x05\x20\x00\x00\x00\x01",  # 4-byte system title
        b"\xdb\x08" + TITLE + b"\x05\xa0\x00\x00\x00\x01",  # compression
        b"\xdb\x08" + TITLE + b"\x05\x22\x00\x00\x00\x01",  # suite 2
        b"\xdb\x08" + TITLE + b"\x08\x30\x00\x00\x00\x01abc",  # shorter than its tag
        b"\xdb\x08" + TITLE + b"\x05\x20\x00\x00\x00\x01\x00",  # trailing byte
        b"\xdb\x08" + TITLE + b"\x85\x00\x00\x00\x00\x05",  # 5-byte length
        b"\xdb\x08" + TITLE + b"\x80",  # zero-byte length
        b"\xdb\x08" + TITLE,  # no content length
        b"\xdd\x00\x00\x00\x00\x00",  # general-ciphering without key-info
    ],
)
def test_malformed_ciphered_apdus(apdu: bytes) -> None:
    with pytest.raises(ApduError):
        decipher(apdu, GB_EK, GB_AK)


def test_authentication_only_is_refused_but_readable_without_key() -> None:
    content = b"\x10\x00\x00\x00\x01" + b"\x0f\x00\x00\x00\x01\x00\x00" + bytes(12)
    apdu = b"\xdb\x08" + TITLE + encode_length(len(content)) + content
    with pytest.raises(ApduError):
        decipher(apdu, GB_EK, GB_AK)
    assert decipher(apdu, GB_EK).plaintext == b"\x0f\x00\x00\x00\x01\x00\x00"


def test_hdlc_round_trip_addresses_and_segments() -> None:
    for size in (1, 2, 4):
        frame = HdlcFrame(0x10, 0x21, 0x13, b"\xe6\xe7\x00" + KAIFA_PLAIN[:50])
        raw = encode_frame(frame, destination_size=size, source_size=size)
        assert decode_frame(raw) == frame
    assert decode_frame(encode_frame(HdlcFrame(1, 2, 0x93, b""))).info == b""
    with pytest.raises(HdlcError):
        encode_address(300, 1)
    with pytest.raises(HdlcError):
        encode_address(1, 3)
    with pytest.raises(HdlcError):
        encode_frame(HdlcFrame(1, 2, 0x13, bytes(3000)))


def hdlc_stream(message: bytes, chunk: int = 100) -> bytes:
    message = b"\xe6\xe7\x00" + message
    parts = [message[i : i + chunk] for i in range(0, len(message), chunk)]
    frames = [
        encode_frame(HdlcFrame(0x10, 0x21, 0x13, part, segmented=i < len(parts) - 1))
        for i, part in enumerate(parts)
    ]
    return b"".join(frames)


def test_hdlc_parser_reassembles_segments_in_any_chunking() -> None:
    stream = b"\x00\x7e\x7e" + hdlc_stream(KAIFA) + hdlc_stream(KAIFA)
    for size in (1, 13, len(stream)):
        parser = HdlcParser()
        messages = []
        for i in range(0, len(stream), size):
            messages += parser.feed(stream[i : i + size])
        assert messages == [KAIFA, KAIFA]
        assert decode_push(messages[0], KAIFA_KEY).values


def test_hdlc_parser_drops_bad_frames_and_shared_flags() -> None:
    good = encode_frame(HdlcFrame(0x10, 0x21, 0x13, b"\x0f\x00\x00\x00\x01\x00\x00"))
    bad = bytearray(good)
    bad[10] ^= 0x01
    shared = good + good[1:]  # the closing flag of one frame opens the next
    parser = HdlcParser()
    assert parser.feed(bytes(bad) + shared) == [b"\x0f\x00\x00\x00\x01\x00\x00"] * 2
    assert parser.frame_errors == 1
    assert parser.feed(b"no flag at all") == []
    parser._segments += bytes(70000)
    assert parser.feed(good) == []  # an endless segmented message is dropped


@pytest.mark.parametrize(
    "raw",
    [
        b"\x7e\xa0\x07\x03\x21\x13\x00\x00",  # no closing flag
        b"\x7e\x80\x07\x03\x21\x13\x00\x00\x7e",  # not format type 3
        b"\x7e\xa0\x09\x03\x21\x13\x00\x00\x7e",  # wrong length
    ],
)
def test_hdlc_structural_errors(raw: bytes) -> None:
    with pytest.raises(HdlcError):
        decode_frame(raw)


def _with_fcs(rest: bytes) -> bytes:
    body = bytes((0xA0, len(rest) + 4)) + rest
    return b"\x7e" + body + crc16_x25(body).to_bytes(2, "little") + b"\x7e"


def test_hdlc_address_and_hcs_errors() -> None:
    with pytest.raises(HdlcError, match="address"):
        decode_frame(_with_fcs(b"\x02\x02\x02\x02\x13"))  # 3-byte address
    with pytest.raises(HdlcError, match="address"):
        decode_frame(_with_fcs(b"\x02\x02\x02\x02\x02"))  # no end bit
    with pytest.raises(HdlcError, match="control"):
        decode_frame(_with_fcs(b"\x03\x02\x02\x02\x21"))
    with pytest.raises(HdlcError, match="HCS"):
        decode_frame(_with_fcs(b"\x03\x21\x13\x00\x00\x0f"))
    with pytest.raises(HdlcError, match="HCS"):
        decode_frame(_with_fcs(b"\x03\x21\x13\x00"))


def test_a_xdr_types() -> None:
    def one(raw: str) -> object:
        value, pos = decode_data(bytes.fromhex(raw))
        assert pos == len(bytes.fromhex(raw))
        return value

    assert one("00") is None
    assert one("0301") is True
    assert one("05ffffffff") == -1
    assert one("0f80") == -128
    assert one("10fffe") == -2
    assert one("1500000000000000ff") == 255
    assert one("173fc00000") == 1.5
    assert one("183ff8000000000000") == 1.5
    assert one("0a03414243") == "ABC"
    assert one("0c02c3a9") == "é"
    assert one("0409ff80") == b"\xff\x80"
    assert one("1a07e5071301") == bytes.fromhex("07e5071301")
    assert one("0102110111 02") == (1, 2)
    for bad in ("", "7f", "0a02ff", "0a0241", "0603", "0aff"):
        with pytest.raises(ApduError):
            decode_data(bytes.fromhex(bad))
    with pytest.raises(ApduError):
        decode_data(b"\x02\x01" * 20 + b"\x00")  # too deep
    with pytest.raises(ApduError):
        decode_data(b"\x0a\x01\xff")  # not ASCII


def test_values_shapes_and_scaling() -> None:
    obis = parse_obis("1.8.0").to_bytes()
    flat = (obis, 1234, (-1, 30), parse_obis("32.7").to_bytes(), 230, b"x")
    values = extract_values(flat)
    assert values == [
        DlmsValue(parse_obis("1.8.0"), 1234, -1, 30),
        DlmsValue(parse_obis("32.7"), 230),
    ]
    assert values[0].scaled == Decimal("123.4")
    assert values[1].unit is None
    assert extract_values(5) == []
    assert DlmsValue(ObisCode(1, 0, 1, 8, 0), value=True).scaled is None
    assert DlmsValue(ObisCode(1, 0, 1, 8, 0), 1.5, 1).scaled == Decimal("15.0")
    assert DlmsValue(ObisCode(1, 0, 1, 8, 0), b"\x00\x01").text is None
    assert DlmsValue(ObisCode(1, 0, 1, 8, 0), 5).text is None


def test_notification_errors() -> None:
    assert decode_notification(b"\x0f\x00\x00\x00\x01\x00\x11\x05").date_time is None
    for bad in (
        b"\x0f\x00",
        b"\x0e\x00\x00\x00\x01\x00\x00",
        b"\x0f\x00\x00\x00\x01\x0c\x07",
        b"\x0f\x00\x00\x00\x01\x05\x00",
        b"\x0f\x00\x00\x00\x01\x00\x11\x05\x00",
    ):
        with pytest.raises(ApduError):
            decode_notification(bad)


def gbt(number: int, data: bytes, *, last: bool) -> bytes:
    return (
        bytes((0xE0, 0x80 if last else 0x00))
        + number.to_bytes(2, "big")
        + b"\x00\x00"
        + encode_length(len(data))
        + data
    )


def test_general_block_transfer() -> None:
    assembler = BlockAssembler()
    assert assembler.feed(KAIFA) == KAIFA
    half = len(KAIFA) // 2
    assert assembler.feed(gbt(1, KAIFA[:half], last=False)) is None
    assert assembler.feed(gbt(2, KAIFA[half:], last=True)) == KAIFA
    with pytest.raises(ApduError):
        assembler.feed(gbt(3, b"x", last=True))
    with pytest.raises(ApduError):
        assembler.feed(b"\xe0\x80\x00")
    with pytest.raises(ApduError):
        assembler.feed(b"\xe0\x80\x00\x01\x00\x00\x05ab")
    assert assembler.feed(gbt(1, b"\x0f", last=True)) == b"\x0f"
