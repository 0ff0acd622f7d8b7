"""TIC encoder: byte-exact against real captures, checksum methods, round trip."""

from __future__ import annotations

from hypothesis import given, strategies as st
import pytest

from custom_components.energy_meters.protocol.tic.checksum import tic_checksum
from custom_components.energy_meters.protocol.tic.encoder import (
    encode_frame,
    encode_group,
    wrong_checksum,
)
from custom_components.energy_meters.protocol.tic.framing import TicMode, TicParser

H, S = TicMode.HISTORIC, TicMode.STANDARD

# Historic single-phase Tempo frame, real capture (esciara/pyteleinfo captured_frames.txt)
CAPTURE_HISTORIC = (
    b"\x02\nADCO 021861348497 L\r\nOPTARIF BBR( S\r\nISOUSC 30 9\r\nBBRHCJB 018328702 <\r"
    b"\nBBRHPJB 023739545 P\r\nBBRHCJW 001466099 U\r\nBBRHPJW 002132883 Z\r"
    b"\nBBRHCJR 000860118 E\r\nBBRHPJR 000844115 Q\r\nPTEC HCJB C\r\nDEMAIN ROUG +\r"
    b"\nIINST 012 Z\r\nIMAX 090 H\r\nPAPP 02830 .\r\nHHPHC A ,\r\nMOTDETAT 000000 B\r\x03"
)


def _pairs(frame: bytes) -> list[tuple[str, str]]:
    groups = frame[1:-1].decode().split("\r")[:-1]
    return [tuple(g[1:].split(" ")[:2]) for g in groups]  # type: ignore[misc]


def test_historic_capture_byte_exact() -> None:
    pairs = _pairs(CAPTURE_HISTORIC)
    assert len(pairs) == 16
    assert encode_frame(encode_group(label, data, H) for label, data in pairs) == (CAPTURE_HISTORIC)


@pytest.mark.parametrize(
    ("label", "data", "horodate", "expected"),
    [
        # hekmon/linkytic standard_capture.hex / openHAB fixtures (checksums recomputed)
        ("ADSC", "012345678910", None, b"\nADSC\t012345678910\t;\r"),
        ("VTIC", "02", None, b"\nVTIC\t02\tJ\r"),
        ("DATE", "", "H240210121355", b"\nDATE\tH240210121355\t\t;\r"),
        ("EAST", "003519702", None, b"\nEAST\t003519702\t*\r"),
        ("EASF10", "000000000", None, b'\nEASF10\t000000000\t"\r'),
        ("EASD01", "000000000", None, b"\nEASD01\t000000000\t \r"),  # space checksum
        ("SMAXSN", "00986", "H240210110331", b"\nSMAXSN\tH240210110331\t00986\t6\r"),
        ("SMAXSN-1", "01422", "H240209211759", b"\nSMAXSN-1\tH240209211759\t01422\t^\r"),
        ("UMOY1", "241", "H240210121000", b'\nUMOY1\tH240210121000\t241\t"\r'),
        ("STGE", "003A0000", None, b"\nSTGE\t003A0000\t9\r"),
        ("STGE", "013A0501", None, b"\nSTGE\t013A0501\t@\r"),
        ("NGTF", "     TEMPO      ", None, b"\nNGTF\t     TEMPO      \tF\r"),
        ("LTARF", "    HP  BLEU    ", None, b"\nLTARF\t    HP  BLEU    \t+\r"),
        ("MSG1", "PAS DE          MESSAGE         ", None,
         b"\nMSG1\tPAS DE          MESSAGE         \t<\r"),
        ("PJOURF+1", "0000C001" + " NONUTILE" * 10, None,
         b"\nPJOURF+1\t0000C001" + b" NONUTILE" * 10 + b"\tD\r"),
        ("SMAXSN1-1", "01084", "E210413111148", b"\nSMAXSN1-1\tE210413111148\t01084\tA\r"),
        ("CCAIN", "00000", "E210414080000", b'\nCCAIN\tE210414080000\t00000\t"\r'),
    ],
)  # fmt: skip
def test_standard_groups_byte_exact(
    label: str, data: str, horodate: str | None, expected: bytes
) -> None:
    assert encode_group(label, data, S, horodate) == expected


@pytest.mark.parametrize(
    ("label", "data", "expected"),
    [
        ("PTEC", "HP..", b"\nPTEC HP..  \r"),  # checksum is itself a space
        ("ADCO", "050022120078", b"\nADCO 050022120078 2\r"),
        ("OPTARIF", "EJP.", b'\nOPTARIF EJP. "\r'),
        ("PPOT", "00", b"\nPPOT 00 #\r"),
    ],
)
def test_historic_groups_byte_exact(label: str, data: str, expected: bytes) -> None:
    assert encode_group(label, data, H) == expected


def test_checksum_methods_differ() -> None:
    """Historic excludes the separator before the checksum, standard includes it."""
    historic = encode_group("BASE", "123456789", H)
    standard = encode_group("BASE", "123456789", S)
    assert historic[-2] == tic_checksum(b"BASE 123456789")
    assert standard[-2] == tic_checksum(b"BASE\t123456789\t")


@pytest.mark.parametrize("mode", [H, S])
def test_corrupt_changes_only_the_checksum(mode: TicMode) -> None:
    good = encode_group("PAPP", "02830", mode)
    bad = encode_group("PAPP", "02830", mode, corrupt=True)
    assert good[:-2] == bad[:-2]
    assert good[-1] == bad[-1] == 0x0D
    assert good[-2] != bad[-2]
    assert 0x20 <= bad[-2] <= 0x5F
    parser = TicParser(mode)
    assert parser.feed(encode_frame([good, bad])) != []
    assert parser.stats.groups_ok == 1
    assert parser.stats.groups_bad_checksum == 1


def test_wrong_checksum_always_differs_and_stays_in_range() -> None:
    for checksum in range(0x20, 0x60):
        wrong = wrong_checksum(checksum)
        assert wrong != checksum
        assert 0x20 <= wrong <= 0x5F


def test_encode_frame() -> None:
    assert encode_frame([]) == b"\x02\x03"
    assert encode_frame(iter([b"\na\r", b"\nb\r"])) == b"\x02\na\r\nb\r\x03"


@pytest.mark.parametrize(
    ("label", "data", "mode", "horodate", "message"),
    [
        ("", "1", H, None, "empty"),
        ("ADCO", "1", H, "H240210121355", "no horodate"),
        ("MSG1", "A B", H, None, "must not contain"),
        ("AD CO", "1", S, None, "must not contain"),
        ("ADCO", "\x02", S, None, "printable"),
        ("ADCO", "é", S, None, "printable"),
        ("ADCO", "1\t2", S, None, "printable"),
        ("DATE", "", S, "H24\t", "printable"),
    ],
)
def test_rejects_what_a_meter_cannot_send(
    label: str, data: str, mode: TicMode, horodate: str | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        encode_group(label, data, mode, horodate)


_label = st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-"), min_size=1, max_size=9)
_printable = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)


@given(label=_label, data=_printable.filter(lambda s: " " not in s), corrupt=st.booleans())
def test_historic_round_trip(label: str, data: str, corrupt: bool) -> None:
    parser = TicParser(H)
    frames = parser.feed(encode_frame([encode_group(label, data, H, corrupt=corrupt)]))
    if corrupt:
        assert frames == []
        assert parser.stats.groups_bad_checksum == 1
    else:
        assert frames[0].groups[label].data == data


@given(
    label=_label,
    data=_printable,
    horodate=st.one_of(st.none(), st.sampled_from(["H240210121355", "e090714074553"])),
)
def test_standard_round_trip(label: str, data: str, horodate: str | None) -> None:
    parser = TicParser(S)
    [frame] = parser.feed(encode_frame([encode_group(label, data, S, horodate)]))
    group = frame.groups[label]
    assert group.data == data
    assert (group.horodate is None) == (horodate is None)
    assert parser.stats.groups_bad_checksum == 0
