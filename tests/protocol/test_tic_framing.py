"""Tests of the TIC framing layer (TicParser and friends).

Fixtures in tests/fixtures/tic/ are the research note's example frames (§1.8):
(a) historic_tempo_single_phase.bin — a real capture, byte for byte;
(b) historic_ejp_three_phase.bin — the openHAB EJP three-phase groups (ADCO anonymised
    to 10 characters in the source), checksums as published;
(c) standard_single_phase.bin — the selected linkytic standard-capture groups,
    checksums as published;
(d) standard_three_phase_producer_tempo.bin — the openHAB three-phase producer groups,
    checksums as published, plus a synthetic first group ``ADSC 022176123456`` (the
    source excerpt has none; its checksum is computed).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from custom_components.energy_meters.protocol.tic.checksum import tic_checksum
from custom_components.energy_meters.protocol.tic.framing import (
    BAUDRATE,
    CACHE_SIZE,
    MAX_FRAME_BYTES,
    MAX_GROUP_BYTES,
    TicFrame,
    TicGroup,
    TicMode,
    TicParser,
    TicParserStats,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "tic"
PARIS = ZoneInfo("Europe/Paris")
HIST = TicMode.HISTORIC
STD = TicMode.STANDARD


def fixture(name: str) -> bytes:
    return (FIXTURES / f"{name}.bin").read_bytes()


HIST_TEMPO = fixture("historic_tempo_single_phase")
HIST_EJP = fixture("historic_ejp_three_phase")
STD_MONO = fixture("standard_single_phase")
STD_TRI = fixture("standard_three_phase_producer_tempo")


def encode_group(mode: TicMode, label: str, data: str, horodate: str | None = None) -> bytes:
    """Encode one group as a meter would (test helper, no validation)."""
    if mode is TicMode.HISTORIC:
        payload = f"{label} {data}".encode("ascii")
        return b"\n%s %c\r" % (payload, tic_checksum(payload))
    fields = (label, data) if horodate is None else (label, horodate, data)
    payload = ("\t".join(fields) + "\t").encode("ascii")
    return b"\n%s%c\r" % (payload, tic_checksum(payload))


def encode_frame(mode: TicMode, groups: list[tuple[str, ...]]) -> bytes:
    """Encode ``(label, data)`` / ``(label, horodate, data)`` tuples into a frame."""
    parts = [encode_group(mode, g[0], g[-1], g[1] if len(g) == 3 else None) for g in groups]
    return b"\x02" + b"".join(parts) + b"\x03"


def parse(mode: TicMode, data: bytes) -> tuple[list[TicFrame], TicParserStats]:
    parser = TicParser(mode)
    return parser.feed(data), parser.stats


def only_frame(mode: TicMode, data: bytes) -> TicFrame:
    frames, _ = parse(mode, data)
    assert len(frames) == 1
    return frames[0]


def raw_groups(frame: bytes) -> list[bytes]:
    """Return the group payloads (between LF and CR) of a frame."""
    return [g.rstrip(b"\r\x03") for g in frame.split(b"\n")[1:]]


# --- checksums as published in the research note ---------------------------------


@pytest.mark.parametrize("data", [HIST_TEMPO, HIST_EJP])
def test_published_historic_checksums_are_method_1(data: bytes) -> None:
    for group in raw_groups(data):
        assert tic_checksum(group[:-2]) == group[-1], group
        assert tic_checksum(group[:-1]) != group[-1], group


@pytest.mark.parametrize("data", [STD_MONO, STD_TRI])
def test_published_standard_checksums_are_method_2(data: bytes) -> None:
    for group in raw_groups(data):
        assert group[-2:-1] == b"\t"
        assert tic_checksum(group[:-1]) == group[-1], group


# --- fixture frames ----------------------------------------------------------------


def test_historic_tempo_capture() -> None:
    frames, stats = parse(HIST, HIST_TEMPO)
    assert len(frames) == 1
    frame = frames[0]
    assert frame.mode is HIST
    assert len(frame.groups) == 16
    assert list(frame.groups)[:3] == ["ADCO", "OPTARIF", "ISOUSC"]
    assert frame.groups["ADCO"] == TicGroup("ADCO", "021861348497", None)
    assert frame.groups["OPTARIF"].data == "BBR("
    assert frame.groups["PTEC"].data == "HCJB"
    assert frame.groups["DEMAIN"].data == "ROUG"
    assert frame.groups["HHPHC"].data == "A"
    assert all(g.horodate is None for g in frame.groups.values())
    assert not frame.short
    assert stats == TicParserStats(frames=1, groups_ok=16)


def test_historic_ejp_three_phase() -> None:
    frame = only_frame(HIST, HIST_EJP)
    assert len(frame.groups) == 16
    assert frame.groups["ADCO"].data == "XXXXXXXXXX"
    assert frame.groups["PTEC"].data == "HN.."
    assert frame.groups["OPTARIF"].data == "EJP."
    assert [frame.groups[f"IINST{n}"].data for n in (1, 2, 3)] == ["010", "005", "008"]
    assert frame.groups["PPOT"].data == "00"
    assert not frame.short


def test_standard_single_phase() -> None:
    frame = only_frame(STD, STD_MONO)
    assert frame.mode is STD
    assert len(frame.groups) == 23
    date = frame.groups["DATE"]
    assert date.data == ""
    assert date.horodate is not None
    assert date.horodate.when == datetime(2024, 2, 10, 12, 13, 55, tzinfo=PARIS)
    assert frame.groups["NGTF"].data == "base            "
    assert frame.groups["LTARF"].data == "BASE            "
    msg1 = frame.groups["MSG1"].data
    assert msg1 == "PAS DE          MESSAGE         "
    assert len(msg1) == 32
    pjourf = frame.groups["PJOURF+1"].data
    assert pjourf.split(" ") == ["0000C001"] + ["NONUTILE"] * 10
    smaxsn = frame.groups["SMAXSN"]
    assert smaxsn.data == "00986"
    assert smaxsn.horodate is not None
    assert smaxsn.horodate.when == datetime(2024, 2, 10, 11, 3, 31, tzinfo=PARIS)
    assert frame.groups["SMAXSN-1"].data == "01422"
    assert frame.groups["UMOY1"].data == "241"
    assert frame.groups["STGE"].data == "003A0000"
    assert frame.groups["EAST"].horodate is None


def test_standard_three_phase_producer() -> None:
    frame = only_frame(STD, STD_TRI)
    assert len(frame.groups) == 14
    assert frame.groups["NGTF"].data == "     TEMPO      "
    assert frame.groups["LTARF"].data == "    HP  BLEU    "
    smax = frame.groups["SMAXSN1-1"]
    assert smax.data == "01084"
    assert smax.horodate is not None
    assert smax.horodate.season == "E"
    assert smax.horodate.when.utcoffset() is not None
    assert frame.groups["PJOURF+1"].data.startswith("00004001 06004002 22004001 NONUTILE")


def test_wrong_mode_yields_nothing() -> None:
    frames, stats = parse(STD, HIST_TEMPO)
    assert frames == []
    assert stats.groups_malformed == 16
    assert stats.frames == 0
    frames, stats = parse(HIST, STD_MONO)
    assert frames == []
    assert stats.groups_ok == 0


# --- field quirks --------------------------------------------------------------------


def test_historic_space_checksum() -> None:
    assert tic_checksum(b"PTEC HP..") == 0x20
    frame = only_frame(HIST, b"\x02\nPTEC HP..  \r\x03")
    assert frame.groups["PTEC"].data == "HP.."


def test_standard_space_checksum_is_not_stripped() -> None:
    frame = only_frame(STD, b"\x02\nEASD01\t000000000\t \r\x03")
    assert frame.groups["EASD01"].data == "000000000"


def test_standard_groups_from_the_single_phase_producer_capture() -> None:
    frame = only_frame(STD, b"\x02\nSINSTI\t01258\tL\r\nSTGE\t002A0301\t<\r\x03")
    assert frame.groups["SINSTI"].data == "01258"
    assert frame.groups["STGE"].data == "002A0301"


def test_historic_data_may_contain_spaces() -> None:
    frame = only_frame(HIST, encode_frame(HIST, [("MSG", "A B")]))
    assert frame.groups["MSG"].data == "A B"


def test_nine_character_label_and_empty_data() -> None:
    data = encode_frame(STD, [("SMAXSN1-1", "E210413111148", "01084"), ("X", "")])
    frame = only_frame(STD, data)
    assert frame.groups["SMAXSN1-1"].data == "01084"
    assert frame.groups["X"].data == ""


def test_dpm_group_with_no_season() -> None:
    frame = only_frame(STD, encode_frame(STD, [("DPM1", " 240115060000", "01")]))
    group = frame.groups["DPM1"]
    assert group.data == "01"
    assert group.horodate is not None
    assert group.horodate.season == " "
    assert group.horodate.when == datetime(2024, 1, 15, 6, 0, tzinfo=PARIS)


def test_dated_group_with_invalid_date_keeps_data() -> None:
    frame = only_frame(STD, encode_frame(STD, [("SMAXSN", "H241399000000", "00100")]))
    assert frame.groups["SMAXSN"] == TicGroup("SMAXSN", "00100", None)


def test_short_frame_detection() -> None:
    short = encode_frame(
        HIST,
        [("ADIR1", "062"), ("ADCO", "021861348497"), ("IINST1", "062")]
        + [("IINST2", "010"), ("IINST3", "012")],
    )
    frame = only_frame(HIST, short)
    assert frame.short
    assert frame.get("ADIR1") == TicGroup("ADIR1", "062")
    assert frame.get("PAPP") is None
    assert "ADIR1" in frame
    assert "PAPP" not in frame


# --- robustness ------------------------------------------------------------------------


def test_eot_drops_the_partial_frame() -> None:
    data = b"\x02\nHCHP 019571184 7\r\x04" + HIST_TEMPO
    frames, stats = parse(HIST, data)
    assert len(frames) == 1
    assert "HCHP" not in frames[0]
    assert stats.eot == 1
    assert stats.groups_ok == 16
    assert stats.garbage_bytes == len(b"\nHCHP 019571184 7\r")


def test_eot_outside_a_frame_is_garbage() -> None:
    frames, stats = parse(HIST, HIST_TEMPO + b"\x04" + HIST_TEMPO)
    assert len(frames) == 2
    assert stats.eot == 0
    assert stats.garbage_bytes == 1


def test_new_stx_truncates_the_partial_frame() -> None:
    frames, stats = parse(HIST, HIST_TEMPO[:50] + HIST_TEMPO)
    assert len(frames) == 1
    assert len(frames[0].groups) == 16
    assert stats.truncated_frames == 1
    assert stats.garbage_bytes == 49


def test_first_partial_frame_after_opening_is_skipped() -> None:
    frames, stats = parse(HIST, HIST_TEMPO[100:] + HIST_TEMPO + HIST_TEMPO)
    assert len(frames) == 2
    assert stats.garbage_bytes == len(HIST_TEMPO) - 100
    assert stats.frames == 2


def test_missing_cr_drops_only_that_group() -> None:
    data = b"\x02\nADCO 021861348497 L\nOPTARIF BBR( S\r\x03"
    frames, stats = parse(HIST, data)
    assert list(frames[0].groups) == ["OPTARIF"]
    assert stats.groups_malformed == 1
    assert stats.garbage_bytes == len(b"\nADCO 021861348497 L")


def test_bad_checksum_drops_only_that_group() -> None:
    data = HIST_TEMPO.replace(b"PAPP 02830 .", b"PAPP 02880 .")
    frames, stats = parse(HIST, data)
    assert "PAPP" not in frames[0]
    assert len(frames[0].groups) == 15
    assert stats.groups_bad_checksum == 1
    assert stats.groups_ok == 15


def test_standard_bad_checksum_drops_only_that_group() -> None:
    frames, stats = parse(STD, STD_MONO.replace(b"EAST\t003519702", b"EAST\t003519802"))
    assert "EAST" not in frames[0]
    assert len(frames[0].groups) == 22
    assert stats.groups_bad_checksum == 1


def test_high_bit_bytes_make_the_group_invalid() -> None:
    corrupted = HIST_TEMPO.replace(b"IINST 012 Z", b"IINST 0\xb12 Z")
    frames, stats = parse(HIST, corrupted)
    assert "IINST" not in frames[0]
    assert stats.groups_malformed == 1
    frames, stats = parse(STD, STD_MONO.replace(b"VTIC\t02", b"VTIC\t\xb02"))
    assert "VTIC" not in frames[0]
    assert stats.groups_malformed == 1


def test_misconfigured_port_with_parity_bits_never_raises() -> None:
    # 8N1 reading of a 7E1 line: every byte with odd parity weight gets bit 7 set.
    garbled = bytes(b | 0x80 if b.bit_count() % 2 else b for b in HIST_TEMPO * 3)
    frames, stats = parse(HIST, garbled)
    assert frames == []
    assert stats.groups_ok == 0
    assert stats.garbage_bytes > 0


def test_frame_without_valid_group_is_not_emitted() -> None:
    frames, stats = parse(HIST, b"\x02\nPAPP 02880 .\r\x03\x02\x03")
    assert frames == []
    assert stats.frames == 0
    assert stats.groups_bad_checksum == 1


def test_standard_missing_cr_drops_only_that_group() -> None:
    data = b"\x02\nVTIC\t02\tJ\nSINSTI\t01258\tL\r\x03"
    frames, stats = parse(STD, data)
    assert list(frames[0].groups) == ["SINSTI"]
    assert stats.groups_malformed == 1


@pytest.mark.parametrize(
    ("mode", "data"),
    [
        (HIST, b"\x02xy\nPTEC HP..  \rzz\nPAPP 02830 .\r\x03"),
        (STD, b"\x02xy\nVTIC\t02\tJ\rzz\nSINSTI\t01258\tL\r\x03"),
    ],
)
def test_junk_inside_a_frame_is_counted(mode: TicMode, data: bytes) -> None:
    frames, stats = parse(mode, data)
    assert len(frames[0].groups) == 2
    assert stats.groups_ok == 2
    assert stats.garbage_bytes == 4


@pytest.mark.parametrize(
    ("mode", "group"),
    [
        (HIST, b"A\r"),  # too short
        (HIST, b"ABCDX\r"),  # no SP before the checksum
        (HIST, b"ABC %c\r" % tic_checksum(b"ABC")),  # no separator between label and data
        (HIST, b" ABC %c\r" % tic_checksum(b" ABC")),  # empty label
        (HIST, b"A\x01B C %c\r" % tic_checksum(b"A\x01B C")),  # control character
        (HIST, b"A\tB C %c\r" % tic_checksum(b"A\tB C")),  # HT in historic mode
        (STD, b"A\r"),
        (STD, b"A B C\r"),  # no HT before the checksum
        (STD, b"A\tB\tC\tD\t%c\r" % tic_checksum(b"A\tB\tC\tD\t")),  # too many fields
        (STD, b"\tB\t%c\r" % tic_checksum(b"\tB\t")),  # empty label
        (STD, b"A\tB\x01\t%c\r" % tic_checksum(b"A\tB\x01\t")),  # control char in data
        (STD, b"A\tH\x01\tB\t%c\r" % tic_checksum(b"A\tH\x01\tB\t")),  # control in date
    ],
)
def test_malformed_groups(mode: TicMode, group: bytes) -> None:
    frames, stats = parse(mode, b"\x02\n" + group + b"\x03")
    assert frames == []
    assert stats.groups_malformed == 1
    assert stats.garbage_bytes == len(group) + 1


def test_oversized_group_is_dropped() -> None:
    big = encode_group(STD, "MSG1", "X" * MAX_GROUP_BYTES)
    frames, stats = parse(STD, b"\x02" + big + encode_group(STD, "VTIC", "02") + b"\x03")
    assert list(frames[0].groups) == ["VTIC"]
    assert stats.groups_malformed == 1


def test_oversized_frame_in_one_chunk_is_dropped() -> None:
    body = encode_group(HIST, "PAPP", "02830") * (MAX_FRAME_BYTES // 10)
    frames, stats = parse(HIST, b"\x02" + body + b"\x03" + HIST_TEMPO)
    assert len(frames) == 1
    assert stats.truncated_frames == 1
    assert stats.groups_ok == 16


def test_oversized_frame_without_end_is_dropped_while_streaming() -> None:
    parser = TicParser(HIST)
    parser.feed(b"\x02")
    for _ in range(MAX_FRAME_BYTES // 10):
        assert parser.feed(encode_group(HIST, "PAPP", "02830")) == []
    assert parser.stats.truncated_frames == 1
    assert len(parser._buf) < MAX_FRAME_BYTES
    assert len(parser.feed(b"\x03" + HIST_TEMPO)) == 1


def test_group_cache_is_bounded_and_transparent() -> None:
    parser = TicParser(HIST)
    for i in range(CACHE_SIZE + 10):
        frame = encode_frame(HIST, [("ADCO", "021861348497"), ("PAPP", f"{i:05d}")])
        (got,) = parser.feed(frame)
        assert got.groups["PAPP"].data == f"{i:05d}"
        assert len(parser._cache) <= CACHE_SIZE
    assert parser.stats.groups_ok == 2 * (CACHE_SIZE + 10)
    # Replaying the same frames (cache hits) gives the same result as a fresh parser.
    again = parser.feed(HIST_TEMPO + HIST_TEMPO)
    assert again == [only_frame(HIST, HIST_TEMPO)] * 2
    assert again[0].groups["ADCO"] is again[1].groups["ADCO"]


def test_duplicate_label_keeps_the_last_value() -> None:
    data = encode_frame(HIST, [("PAPP", "00100"), ("IINST", "001"), ("PAPP", "00200")])
    frame = only_frame(HIST, data)
    assert list(frame.groups) == ["PAPP", "IINST"]
    assert frame.groups["PAPP"].data == "00200"


# --- incremental feeding -----------------------------------------------------------------


@pytest.mark.parametrize(("mode", "data"), [(HIST, HIST_TEMPO), (STD, STD_MONO)])
def test_one_byte_chunks(mode: TicMode, data: bytes) -> None:
    stream = data[7:] + data + data
    expected, expected_stats = parse(mode, stream)
    parser = TicParser(mode)
    got: list[TicFrame] = []
    for i in range(len(stream)):
        got += parser.feed(stream[i : i + 1])
    assert got == expected
    assert len(got) == 2
    assert parser.stats == expected_stats


@pytest.mark.parametrize(("mode", "data"), [(HIST, HIST_EJP), (STD, STD_TRI)])
def test_every_split_point(mode: TicMode, data: bytes) -> None:
    expected = only_frame(mode, data)
    for cut in range(len(data) + 1):
        parser = TicParser(mode)
        frames = parser.feed(data[:cut]) + parser.feed(data[cut:])
        assert frames == [expected], cut


def test_feed_empty_and_reset() -> None:
    parser = TicParser(STD)
    assert parser.mode is STD
    assert parser.feed(b"") == []
    parser.feed(STD_MONO[:100])
    parser.reset()
    assert parser.stats.garbage_bytes == 99
    # The rest of the interrupted frame is now outside any frame.
    assert parser.feed(STD_MONO[100:] + STD_MONO) == [only_frame(STD, STD_MONO)]


# --- mode and encoder --------------------------------------------------------------------


def test_mode_properties() -> None:
    assert TicMode.HISTORIC == "historic"
    assert TicMode("standard") is STD
    assert HIST.baudrate == 1200
    assert STD.baudrate == 9600
    assert BAUDRATE == {HIST: 1200, STD: 9600}
    assert HIST.separator == b" "
    assert STD.separator == b"\t"


def test_encoder_matches_published_frames() -> None:
    assert encode_group(HIST, "PTEC", "HP..") == b"\nPTEC HP..  \r"
    assert encode_group(STD, "DATE", "", "H240210121355") == b"\nDATE\tH240210121355\t\t;\r"
    groups = [(g.label, g.data) for g in only_frame(HIST, HIST_TEMPO).groups.values()]
    assert encode_frame(HIST, groups) == HIST_TEMPO
