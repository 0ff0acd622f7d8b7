"""
Property-based tests of TicParser: never raises, only emits checksum-valid groups.

The oracle is independent of the code under test: groups are encoded, and emitted
groups checked, with the spec checksum of tests/tic_oracle.py (never the project's
``tic_checksum``), and whole streams are compared with that module's reading of
the grammar, so a parser that skipped or weakened the checksum check would fail here.
"""

from __future__ import annotations

from itertools import cycle
import os
import re
import string

from hypothesis import HealthCheck, given, settings, strategies as st

from custom_components.energy_meters.protocol.tic.framing import TicFrame, TicMode, TicParser
from tests.tic_oracle import assert_parser_matches_oracle, run_parser, spec_checksum

# TIC_FUZZ_EXAMPLES=5000 for a longer local run.
SETTINGS = settings(
    max_examples=int(os.environ.get("TIC_FUZZ_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
PRINTABLE = "".join(chr(c) for c in range(0x20, 0x7F))
LABEL_CHARS = string.ascii_uppercase + string.digits + "+-"

modes = st.sampled_from(list(TicMode))
labels = st.text(LABEL_CHARS, min_size=1, max_size=10)
data_texts = st.text(PRINTABLE, max_size=40)
horodates = st.one_of(
    st.none(),
    st.builds(
        lambda s, d: s + d,
        st.sampled_from("HEhe "),
        st.text(string.digits, min_size=12, max_size=12),
    ),
    st.text(PRINTABLE, min_size=1, max_size=13),
)
chunk_sizes = st.lists(st.integers(min_value=1, max_value=80), min_size=1, max_size=20)
noise = st.binary(max_size=60)


def encode_group(
    mode: TicMode, label: str, data: str, horodate: str | None, checksum: int | None = None
) -> bytes:
    """Encode a group with the spec checksum, or with ``checksum`` when it is given."""
    if mode is TicMode.HISTORIC:
        payload = f"{label} {data}".encode()
        right = spec_checksum(payload)
        return b"\n%s %c\r" % (payload, right if checksum is None else checksum)
    fields = (label, data) if horodate is None else (label, horodate, data)
    payload = ("\t".join(fields) + "\t").encode()
    right = spec_checksum(payload)
    return b"\n%s%c\r" % (payload, right if checksum is None else checksum)


@st.composite
def frames(draw: st.DrawFn, mode: TicMode) -> tuple[bytes, dict[str, str]]:
    """A valid frame and the label -> data mapping it must decode to."""
    groups = draw(st.lists(st.tuples(labels, data_texts, horodates), min_size=1, max_size=8))
    expected: dict[str, str] = {}
    parts = []
    for label, data, horodate in groups:
        stamp = horodate if mode is TicMode.STANDARD else None
        parts.append(encode_group(mode, label, data, stamp))
        expected[label] = data
    return b"\x02" + b"".join(parts) + b"\x03", expected


def feed_in_chunks(mode: TicMode, stream: bytes, sizes: list[int]) -> list[TicFrame]:
    parser = TicParser(mode)
    out: list[TicFrame] = []
    pos = 0
    for size in cycle(sizes):
        if pos >= len(stream):
            break
        out += parser.feed(stream[pos : pos + size])
        pos += size
    return out


def group_pattern(mode: TicMode, label: str, data: str) -> re.Pattern[bytes]:
    sep = b" " if mode is TicMode.HISTORIC else b"\t"
    stamp = b"" if mode is TicMode.HISTORIC else b"(?:[^\t\r\n]*\t)?"
    return re.compile(
        b"\n(%s%s%s%s%s)([\x20-\x5f])\r"
        % (re.escape(label.encode()), sep, stamp, re.escape(data.encode()), sep)
    )


def assert_only_valid_groups(mode: TicMode, stream: bytes, result: list[TicFrame]) -> None:
    """Every emitted group must exist in the input with a valid checksum for the mode."""
    for frame in result:
        assert frame.mode is mode
        assert frame.groups
        for label, group in frame.groups.items():
            assert group.label == label
            matches = group_pattern(mode, label, group.data).finditer(stream)
            valid = False
            for match in matches:
                summed = match.group(1) if mode is TicMode.STANDARD else match.group(1)[:-1]
                valid = valid or spec_checksum(summed) == match.group(2)[0]
            assert valid, (label, group)
            if mode is TicMode.HISTORIC:
                assert group.horodate is None


@SETTINGS
@given(mode=modes, stream=st.binary(max_size=2000), sizes=chunk_sizes)
def test_arbitrary_bytes(mode: TicMode, stream: bytes, sizes: list[int]) -> None:
    result = feed_in_chunks(mode, stream, sizes)
    assert_only_valid_groups(mode, stream, result)
    assert [f.groups for f in result] == [f.groups for f in TicParser(mode).feed(stream)]
    assert_parser_matches_oracle(mode, stream)


@SETTINGS
@given(
    mode=modes,
    alphabet_stream=st.lists(
        st.sampled_from(
            [b"\x02", b"\x03", b"\x04", b"\n", b"\r", b" ", b"\t", b"A", b"0", b"\xb0"]
        ),
        max_size=400,
    ),
    sizes=chunk_sizes,
)
def test_control_heavy_bytes(mode: TicMode, alphabet_stream: list[bytes], sizes: list[int]) -> None:
    stream = b"".join(alphabet_stream)
    result = feed_in_chunks(mode, stream, sizes)
    assert_only_valid_groups(mode, stream, result)
    assert_parser_matches_oracle(mode, stream)


@SETTINGS
@given(data=st.data(), mode=modes, sizes=chunk_sizes)
def test_valid_frames_interleaved_with_noise(
    data: st.DataObject, mode: TicMode, sizes: list[int]
) -> None:
    pieces = data.draw(st.lists(st.tuples(noise, frames(mode)), min_size=1, max_size=6))
    stream = b"".join(n + f for n, (f, _) in pieces)
    result = feed_in_chunks(mode, stream, sizes)
    assert_only_valid_groups(mode, stream, result)
    assert [f.groups for f in result] == [f.groups for f in TicParser(mode).feed(stream)]
    assert_parser_matches_oracle(mode, stream)


@SETTINGS
@given(data=st.data(), mode=modes, sizes=chunk_sizes, lead=st.integers(0, 50))
def test_clean_frames_any_chunking(
    data: st.DataObject, mode: TicMode, sizes: list[int], lead: int
) -> None:
    decoded = data.draw(st.lists(frames(mode), min_size=1, max_size=6))
    first, _ = decoded[0]
    # A partial frame first, as after opening the port mid-frame.
    stream = first[len(first) - min(lead, len(first) - 1) :] + b"".join(f for f, _ in decoded)
    whole = TicParser(mode).feed(stream)
    assert len(whole) == len(decoded)
    assert feed_in_chunks(mode, stream, sizes) == whole
    assert [{k: g.data for k, g in f.groups.items()} for f in whole] == [
        expected for _, expected in decoded
    ]


@st.composite
def corrupted_frames(draw: st.DrawFn, mode: TicMode) -> tuple[bytes, dict[str, str], int]:
    """A frame where some groups carry a wrong checksum: (frame, valid mapping, wrong ones)."""
    groups = draw(st.lists(st.tuples(labels, data_texts, horodates), min_size=1, max_size=8))
    expected: dict[str, str] = {}
    parts = []
    wrong = 0
    for label, data, horodate in groups:
        stamp = horodate if mode is TicMode.STANDARD else None
        right = encode_group(mode, label, data, stamp)[-2]
        # Right, or a neighbour that differs in one bit / in bits 5-6 only (what a
        # weakened comparison would let through), or any other printable character.
        kind = draw(st.sampled_from(["right", "near", "any"]))
        checksum: int | None = None
        if kind == "near":
            near = [right ^ m for m in (1, 2, 4, 8, 16, 32, 64, 96) if 0x20 <= right ^ m < 0x7F]
            checksum = draw(st.sampled_from(near))
        elif kind == "any":
            checksum = 0x20 + (right - 0x20 + draw(st.integers(1, 94))) % 95
        parts.append(encode_group(mode, label, data, stamp, checksum))
        if checksum is None:
            expected[label] = data
        else:
            wrong += 1
    return b"\x02" + b"".join(parts) + b"\x03", expected, wrong


@SETTINGS
@given(data=st.data(), mode=modes, sizes=chunk_sizes)
def test_groups_with_a_wrong_checksum_are_refused(
    data: st.DataObject, mode: TicMode, sizes: list[int]
) -> None:
    """Any wrong checksum character (printable, 0x20..0x7E) drops its group, only it."""
    frame, expected, wrong = data.draw(corrupted_frames(mode))
    result = feed_in_chunks(mode, frame, sizes)
    assert [{k: g.data for k, g in f.groups.items()} for f in result] == (
        [expected] if expected else []
    )
    run = run_parser(mode, frame)
    assert (run.bad_checksum, run.groups_refused) == (wrong, wrong)
    assert_parser_matches_oracle(mode, frame)
