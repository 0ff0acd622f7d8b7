"""
Corrupted captures: the parser refuses exactly what the spec's checksum refuses.

The oracle (tests/tic_oracle.py) has its own checksum, written from Enedis-NOI-CPT_54E
§5.3.6, and its own reading of the grammar; it never calls the project's checksum,
encoder or parser. The captures in tests/fixtures/tic/ anchor it: their checksums
are the ones real meters sent, as published (see tests/protocol/test_tic_framing.py;
only the ADSC group of the three-phase standard capture is synthetic), and the
oracle reproduces every one of them, and the research note's worked examples.

Every valid capture is mutated (every single-bit flip, character substitutions,
adjacent swaps, truncations, deletions) and the parser must accept exactly the groups
the oracle accepts, and refuse (count as bad checksum or malformed) exactly the groups
the oracle refuses. Most mutations break the checksum and the group must go; some
keep it valid (a bit-6 flip adds or removes 64 from the sum, a swap keeps the sum)
and then the parser must accept the changed group, because a meter could have sent it.

Mutants these tests kill (each tried on a copy of the tree): checksum masked to 5
bits (``& 0x1F``) or taken modulo 63; the parser skipping the check, comparing only 5
of the 6 bits, ignoring bit 0, accepting a character 64 away, summing standard groups
without their last HT, or caching validated groups under their first 8 bytes. The
5-bit comparison and the 64-away one passed the suite as it was before these tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from functools import cache

import pytest

from custom_components.energy_meters.protocol.tic.framing import TicFrame, TicMode, TicParser
from custom_components.energy_meters.protocol.tic.horodate import Horodate
from tests.tic_oracle import (
    CHECKSUM_CHARS,
    FIXTURE_MODES,
    Decoded,
    assert_parser_matches_oracle,
    checked_bytes,
    fixture_bytes,
    make_frame,
    make_group,
    oracle_frames,
    run_parser,
    spec_checksum,
)

CAPTURES = list(FIXTURE_MODES.items())
HISTORIC = [name for name, mode in CAPTURES if mode is TicMode.HISTORIC]
STANDARD = [name for name, mode in CAPTURES if mode is TicMode.STANDARD]
DATA_BITS = range(7)
"""TIC is 7E1: seven data bits per character (the eighth bit is the parity bit)."""


def lines(frame: bytes) -> list[tuple[int, bytes]]:
    """(offset of the line in ``frame``, line between LF and CR) for every group."""
    out: list[tuple[int, bytes]] = []
    pos = frame.find(b"\n")
    while pos >= 0:
        cr = frame.index(b"\r", pos)
        out.append((pos + 1, frame[pos + 1 : cr]))
        pos = frame.find(b"\n", cr)
    return out


def clean_decoded(name: str) -> Decoded:
    result = oracle_frames(FIXTURE_MODES[name], fixture_bytes(name))
    assert len(result.frames) == 1
    return result.frames[0]


def wrong_values[V](clean: Mapping[str, V], frames: Sequence[Mapping[str, V]]) -> int:
    """Groups accepted with a label or value the clean frame does not have."""
    return sum(clean.get(label) != value for frame in frames for label, value in frame.items())


# --- the oracle itself ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("checked", "expected"),
    [
        (b"ADCO 050022120078", "2"),  # research note §1.3, method 1
        (b"PTEC HP..", " "),  # a checksum can be SP
        (b"DATE\tH240210121355\t\t", ";"),  # method 2, dated group with empty data
    ],
)
def test_oracle_checksum_matches_the_spec_examples(checked: bytes, expected: str) -> None:
    assert chr(spec_checksum(checked)) == expected


@pytest.mark.parametrize(("name", "mode"), CAPTURES)
def test_captures_carry_the_oracle_checksum_and_fail_the_other_method(
    name: str, mode: TicMode
) -> None:
    """The fixtures' checksums are right by the oracle, and only with their mode's method."""
    found = lines(fixture_bytes(name))
    assert len(found) >= 14
    other = TicMode.STANDARD if mode is TicMode.HISTORIC else TicMode.HISTORIC
    for _, line in found:
        body, checksum = line[:-1], line[-1]
        assert spec_checksum(checked_bytes(mode, body)) == checksum, line
        assert spec_checksum(checked_bytes(other, body)) != checksum, line


@pytest.mark.parametrize(("name", "mode"), CAPTURES)
def test_parser_accepts_every_group_of_the_captures(name: str, mode: TicMode) -> None:
    frame = fixture_bytes(name)
    result = assert_parser_matches_oracle(mode, frame)
    assert result.groups_refused == 0
    assert len(result.frames[0]) == len(lines(frame))
    # and nothing in the other mode: method and separator both differ
    other = TicMode.STANDARD if mode is TicMode.HISTORIC else TicMode.HISTORIC
    assert run_parser(other, frame).groups_ok == 0


def test_oracle_encoder_round_trips_through_the_parser() -> None:
    groups = [
        make_group(TicMode.STANDARD, "SMAXSN", "00986", "H240210110331"),
        make_group(TicMode.STANDARD, "NGTF", "  BASE  "),
    ]
    frames = TicParser(TicMode.STANDARD).feed(make_frame(groups))
    assert {k: g.data for k, g in frames[0].groups.items()} == {
        "SMAXSN": "00986",
        "NGTF": "  BASE  ",
    }


# --- every wrong checksum character is refused ------------------------------------------


@pytest.mark.parametrize(("name", "mode"), CAPTURES)
def test_every_wrong_checksum_character_is_refused(name: str, mode: TicMode) -> None:
    """
    For each group, each of the 63 other checksum characters (and 0x60..0x7E) is refused.

    Only that group goes (counted as a bad checksum); the others stay as captured.
    A parser comparing 5 of the 6 bits would accept the character 0x20 away.
    """
    frame = fixture_bytes(name)
    clean = clean_decoded(name)
    printable = bytes(range(0x20, 0x7F))
    assert set(CHECKSUM_CHARS) <= set(printable)
    for offset, line in lines(frame):
        at = offset + len(line) - 1
        right = frame[at]
        label = line.split(b" " if mode is TicMode.HISTORIC else b"\t")[0].decode()
        assert label in clean
        for char in printable:
            if char == right:
                continue
            mutant = frame[:at] + bytes((char,)) + frame[at + 1 :]
            got = run_parser(mode, mutant)
            assert len(got.frames) == 1, (line, chr(char))
            decoded = {k: (g.data, g.horodate) for k, g in got.frames[0].groups.items()}
            assert label not in decoded, (line, chr(char))
            assert len(decoded) == len(clean) - 1
            assert (got.bad_checksum, got.groups_refused) == (1, 1)
            assert_parser_matches_oracle(mode, mutant)


# --- mutations of whole frames ------------------------------------------------------------


def bit_flips(frame: bytes, bits: range = range(8)) -> list[bytes]:
    out = []
    for i in range(len(frame)):
        for bit in bits:
            mutant = bytearray(frame)
            mutant[i] ^= 1 << bit
            out.append(bytes(mutant))
    return out


@pytest.mark.parametrize(("name", "mode"), CAPTURES)
def test_single_bit_flips(name: str, mode: TicMode) -> None:
    """
    Every single-bit flip of every byte (framing bytes included), parser against oracle.

    The parser is primed with the clean frame first, so its cache of validated groups
    is full: a mutated group must not be served from it.
    """
    frame = fixture_bytes(name)
    refused = 0
    for mutant in bit_flips(frame):
        refused += assert_parser_matches_oracle(mode, mutant, primed_with=frame).groups_refused
    assert refused > len(frame) * 6  # nearly every flip breaks its group


def parser_decoded(frames: list[TicFrame]) -> list[dict[str, tuple[str, Horodate | None]]]:
    return [{k: (g.data, g.horodate) for k, g in f.groups.items()} for f in frames]


@cache
def flip_counts(name: str) -> tuple[int, int, int]:
    """7-bit flips of a capture yielding a wrong value: (by the parser, by the oracle, all)."""
    mode, frame = FIXTURE_MODES[name], fixture_bytes(name)
    clean = clean_decoded(name)
    (parser_clean,) = parser_decoded(TicParser(mode).feed(frame))
    parser_wrong = oracle_wrong = total = 0
    for mutant in bit_flips(frame, DATA_BITS):
        total += 1
        got = parser_decoded(run_parser(mode, mutant).frames)
        parser_wrong += wrong_values(parser_clean, got) > 0
        oracle_wrong += wrong_values(clean, oracle_frames(mode, mutant).frames) > 0
    return parser_wrong, oracle_wrong, total


def flip_shares(names: list[str]) -> tuple[Fraction, Fraction]:
    """(parser, oracle) share of 7-bit flips that yield an accepted group with a wrong value."""
    counts = [flip_counts(name) for name in names]
    total = sum(c[2] for c in counts)
    return Fraction(sum(c[0] for c in counts), total), Fraction(sum(c[1] for c in counts), total)


@pytest.mark.parametrize(
    ("names", "low", "high"),
    [
        pytest.param(HISTORIC, 0.035, 0.05, id="historic-captures"),
        pytest.param(STANDARD, 0.06, 0.075, id="standard-captures"),
    ],
)
def test_share_of_bit_flips_accepted_with_a_wrong_value(
    names: list[str], low: float, high: float
) -> None:
    """
    How often one flipped bit still gives a valid group with a wrong value.

    Only bit-6 flips get through: they add or remove 64 from the sum, which a 6-bit
    checksum cannot see. Digits, SP and punctuation (0x20..0x3E) then become
    lowercase letters or a backquote, printable, so a meter could have sent the
    group and the parser must accept it (``0`` becomes ``p``). Letters become control
    characters and are refused, except in standard mode where ``I`` becomes HT (a
    field splits: ``SINSTS`` reads as label ``S`` dated ``NSTS``) and HT becomes ``I``
    (a dated group's horodate merges into its data).

    Measured over the 7 data bits of every character (7E1), framing characters
    included: historic Tempo 86/1925 = 4.47 %, historic EJP 65/1687 = 3.85 %;
    standard single-phase 257/3948 = 6.51 %, three-phase producer 186/2723 = 6.83 %.
    Standard mode is weaker: its text fields are full of spaces (``NGTF``, ``MSG1``,
    ``PJOURF+1``) and HT/``I`` swap roles. The parser's share is computed the same way
    as the oracle's and must equal it; the bounds only document the magnitude.
    """
    parser_share, oracle_share = flip_shares(names)
    assert parser_share == oracle_share
    assert low < oracle_share < high


@pytest.mark.parametrize(
    ("name", "wrong", "flips"),
    [
        ("historic_tempo_single_phase", 86, 1925),
        ("historic_ejp_three_phase", 65, 1687),
        ("standard_single_phase", 257, 3948),
        ("standard_three_phase_producer_tempo", 186, 2723),
    ],
)
def test_bit_flip_counts_per_capture(name: str, wrong: int, flips: int) -> None:
    """The figures quoted above, per capture, by the parser and by the oracle alike."""
    assert flip_counts(name) == (wrong, wrong, flips)


def substitutions(frame: bytes) -> list[bytes]:
    """Every printable character in place of every label/data/checksum character."""
    out: list[bytes] = []
    for offset, line in lines(frame):
        for i in range(offset, offset + len(line)):
            out.extend(
                frame[:i] + bytes((char,)) + frame[i + 1 :]
                for char in range(0x20, 0x7F)
                if char != frame[i]
            )
    return out


@pytest.mark.parametrize(("name", "mode"), CAPTURES)
def test_character_substitutions(name: str, mode: TicMode) -> None:
    """
    One character replaced by any printable one: refused unless the sum stays valid.

    Replacing a character by one 64 away, or a checksum-covered character and the
    checksum together, is beyond a 6-bit sum; any other substitution changes the sum
    and the group must be refused. Each group is tried in a frame of its own.
    """
    frame = fixture_bytes(name)
    accepted_changed = refused = 0
    for _, line in lines(frame):
        single = b"\x02\n" + line + b"\r\x03"
        for mutant in substitutions(single):
            result = assert_parser_matches_oracle(mode, mutant)
            refused += result.groups_refused
            accepted_changed += result.groups_ok
            if result.groups_ok:  # only a 64-step keeps the 6-bit sum
                changed = [a ^ b for a, b in zip(mutant, single, strict=True) if a != b]
                assert changed == [0x40], (line, mutant)
    assert refused > 0
    assert accepted_changed > 0  # the checksum's blind spot exists, and is accepted


@pytest.mark.parametrize(("name", "mode"), CAPTURES)
def test_adjacent_swaps(name: str, mode: TicMode) -> None:
    """
    Two neighbouring characters swapped.

    Inside the checksummed bytes a swap keeps the sum, so the group stays valid and
    must be accepted with its new value (the TIC checksum cannot see it); a swap that
    moves a separator, the checksum, CR or LF breaks the group.
    """
    frame = fixture_bytes(name)
    clean = clean_decoded(name)
    swapped_values = 0
    for i in range(len(frame) - 1):
        if frame[i] == frame[i + 1]:
            continue
        mutant = frame[:i] + frame[i + 1 : i + 2] + frame[i : i + 1] + frame[i + 2 :]
        result = assert_parser_matches_oracle(mode, mutant)
        swapped_values += wrong_values(clean, result.frames)
    assert swapped_values > 0


@pytest.mark.parametrize(("name", "mode"), CAPTURES)
def test_truncations_and_deletions(name: str, mode: TicMode) -> None:
    """
    A frame cut short (then ETX, or then the next whole frame), or missing one byte.

    A group cut anywhere before its CR is refused; a frame cut before its ETX yields
    nothing and the next frame is read whole. A deleted byte changes the sum (no
    fixture character is a multiple of 64) or the structure: never a wrong value.
    """
    frame = fixture_bytes(name)
    clean = clean_decoded(name)
    for cut in range(len(frame)):
        ended = assert_parser_matches_oracle(mode, frame[:cut] + b"\x03")
        assert wrong_values(clean, ended.frames) == 0
        resumed = assert_parser_matches_oracle(mode, frame[:cut] + frame)
        assert resumed.frames[-1] == clean
        deleted = assert_parser_matches_oracle(mode, frame[:cut] + frame[cut + 1 :])
        assert wrong_values(clean, deleted.frames) == 0
        if frame[cut] not in (0x02, 0x03):
            assert deleted.groups_refused >= 1 or frame[cut : cut + 1] == b"\n", cut
