"""Property-based tests: only documented errors, no value from a bad BCC or a bit flip."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from custom_components.energy_meters.protocol.iec62056 import Iec62056Error
from custom_components.energy_meters.protocol.iec62056.messages import bcc, parse_identification
from custom_components.energy_meters.protocol.iec62056.push import PushParser
from custom_components.energy_meters.protocol.iec62056.readout import (
    parse_data_block,
    parse_data_message,
)

SETTINGS = settings(
    max_examples=int(os.environ.get("IEC_FUZZ_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
F1 = (Path(__file__).parents[1] / "fixtures" / "iec62056" / "f1_lgz_e350.bin").read_bytes()
STX = F1.index(b"\x02")
ASCII = "".join(chr(c) for c in range(0x20, 0x7F))

data_sets = st.builds(
    lambda a, v, u: f"{a}({v}{'*' + u if u else ''})",
    st.from_regex(r"[0-9CF]{1,2}\.[0-9]{1,2}(\.[0-9])?", fullmatch=True),
    st.from_regex(r"[0-9 .]{0,12}", fullmatch=True),
    st.sampled_from(["", "kWh", "V", "A"]),
)
blocks = st.lists(data_sets, min_size=1, max_size=8).map(
    lambda sets: ("\r\n".join(sets) + "\r\n!\r\n").encode()
)


def message(block: bytes) -> bytes:
    body = block + b"\x03"
    return b"\x02" + body + bytes((bcc(body),))


@SETTINGS
@given(st.binary(max_size=300))
def test_data_message_raises_only_documented_errors(data: bytes) -> None:
    with contextlib.suppress(Iec62056Error):
        parse_data_message(data)
    with contextlib.suppress(Iec62056Error):
        parse_identification(data)
    parse_data_block(data.decode("latin-1"))


@SETTINGS
@given(blocks, st.integers(min_value=1, max_value=255))
def test_bad_bcc_never_yields(block: bytes, delta: int) -> None:
    good = message(block)
    assert parse_data_message(good).data_sets
    bad = good[:-1] + bytes(((good[-1] + delta) % 256,))
    try:
        parse_data_message(bad)
    except Iec62056Error:
        return
    raise AssertionError("a bad BCC yielded values")


@SETTINGS
@given(st.one_of(blocks.map(message), st.just(F1[STX:])), st.data())
def test_bit_flip_never_yields(good: bytes, data: st.DataObject) -> None:
    position = data.draw(st.integers(min_value=0, max_value=len(good) - 1))
    bit = data.draw(st.integers(min_value=0, max_value=7))
    flipped = bytearray(good)
    flipped[position] ^= 1 << bit
    try:
        parse_data_message(bytes(flipped))
    except Iec62056Error:
        pass
    else:
        raise AssertionError("a corrupted message yielded values")
    parser = PushParser()
    assert parser.feed(b"/LGZ4x\r\n" + bytes(flipped)) == []


@SETTINGS
@given(st.lists(st.binary(max_size=80), max_size=10), st.booleans())
def test_push_parser_never_raises(chunks: list[bytes], require_bcc: bool) -> None:
    parser = PushParser(require_bcc=require_bcc)
    for chunk in chunks:
        for readout in parser.feed(chunk):
            assert readout.bcc_checked or not require_bcc


@SETTINGS
@given(st.binary(max_size=200), st.integers(min_value=1, max_value=50))
def test_push_parser_finds_frames_in_noise(noise: bytes, size: int) -> None:
    clean = noise.replace(b"/", b"")
    stream = clean + F1 + clean + F1
    parser = PushParser()
    readouts = []
    for i in range(0, len(stream), size):
        readouts += parser.feed(stream[i : i + size])
    assert len(readouts) == 2
