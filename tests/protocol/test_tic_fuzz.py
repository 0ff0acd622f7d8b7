"""Property-based tests of TicParser: never raises, only emits checksum-valid groups."""

from __future__ import annotations

from itertools import cycle
import os
import re
import string

from hypothesis import HealthCheck, given, settings, strategies as st

from custom_components.energy_meters.protocol.tic.checksum import tic_checksum
from custom_components.energy_meters.protocol.tic.framing import TicFrame, TicMode, TicParser

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


def encode_group(mode: TicMode, label: str, data: str, horodate: str | None) -> bytes:
    if mode is TicMode.HISTORIC:
        payload = f"{label} {data}".encode()
        return b"\n%s %c\r" % (payload, tic_checksum(payload))
    fields = (label, data) if horodate is None else (label, horodate, data)
    payload = ("\t".join(fields) + "\t").encode()
    return b"\n%s%c\r" % (payload, tic_checksum(payload))


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
                valid = valid or tic_checksum(summed) == match.group(2)[0]
            assert valid, (label, group)
            if mode is TicMode.HISTORIC:
                assert group.horodate is None


@SETTINGS
@given(mode=modes, stream=st.binary(max_size=2000), sizes=chunk_sizes)
def test_arbitrary_bytes(mode: TicMode, stream: bytes, sizes: list[int]) -> None:
    result = feed_in_chunks(mode, stream, sizes)
    assert_only_valid_groups(mode, stream, result)
    assert [f.groups for f in result] == [f.groups for f in TicParser(mode).feed(stream)]


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
