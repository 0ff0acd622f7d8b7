"""Property-based tests: only DlmsError escapes; no value from a bad FCS, tag or bit flip."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from custom_components.energy_meters.protocol.dlms import DlmsError
from custom_components.energy_meters.protocol.dlms.apdu import BlockAssembler, decode_push
from custom_components.energy_meters.protocol.dlms.cipher import decipher
from custom_components.energy_meters.protocol.dlms.hdlc import (
    HdlcFrame,
    HdlcParser,
    decode_frame,
    encode_frame,
)

SETTINGS = settings(
    max_examples=int(os.environ.get("DLMS_FUZZ_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
FIXTURES = Path(__file__).parents[1] / "fixtures" / "dlms"
KAIFA = bytes.fromhex((FIXTURES / "kaifa_tinetz_glo_encryption_only.hex").read_text().strip())
LGZ = bytes.fromhex((FIXTURES / "lgz_glo_authenticated.hex").read_text().strip())
KEY = bytes(range(16))
AK = bytes(range(0xD0, 0xE0))


@SETTINGS
@given(st.binary(max_size=300))
def test_only_documented_errors(data: bytes) -> None:
    with contextlib.suppress(DlmsError):
        decode_frame(data)
    with contextlib.suppress(DlmsError):
        decode_push(data, KEY, AK)
    with contextlib.suppress(DlmsError):
        decode_push(b"\xdb\x08" + data, KEY)
    with contextlib.suppress(DlmsError):
        decode_push(b"\x0f" + data)
    with contextlib.suppress(DlmsError):
        BlockAssembler().feed(b"\xe0" + data)
    HdlcParser().feed(data)


@SETTINGS
@given(st.integers(min_value=0), st.integers(min_value=0, max_value=7), st.integers(1, 40))
def test_hdlc_bit_flip_never_yields(position: int, bit: int, chunk: int) -> None:
    frame = bytearray(encode_frame(HdlcFrame(0x10, 0x21, 0x13, b"\xe6\xe7\x00" + KAIFA[:200])))
    index = 1 + position % (len(frame) - 2)  # inside the flags
    frame[index] ^= 1 << bit
    parser = HdlcParser()
    messages = []
    for i in range(0, len(frame), chunk):
        messages += parser.feed(bytes(frame[i : i + chunk]))
    assert messages == []


@SETTINGS
@given(st.integers(min_value=11, max_value=len(LGZ) - 1), st.integers(min_value=0, max_value=7))
def test_authenticated_bit_flip_never_yields(position: int, bit: int) -> None:
    apdu = bytearray(LGZ)
    apdu[position] ^= 1 << bit
    try:
        decipher(bytes(apdu), KEY, AK)
    except DlmsError:
        return
    raise AssertionError("a corrupted authenticated APDU was accepted")


@SETTINGS
@given(st.binary(min_size=16, max_size=16))
def test_wrong_key_is_detected_for_encryption_only(key: bytes) -> None:
    try:
        decode_push(KAIFA, key)
    except DlmsError:
        return
    assert key == bytes.fromhex("101112131415161718191A1B1C1D1E1F")
