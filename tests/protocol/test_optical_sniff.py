"""Line sniffing: classification of published frames, and real pty probes against the simulators."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
import shutil

import pytest

from custom_components.energy_meters.protocol.dlms.hdlc import crc16_x25
from custom_components.energy_meters.protocol.iec62056.session import SessionOptions
from custom_components.energy_meters.protocol.optical.sniff import (
    DLMS_LINE,
    LineKind,
    classify,
    sniff,
)
from custom_components.energy_meters.protocol.serial_link import SerialLinkError
from simulators.dlms import DlmsFaults, DlmsPushSimulator, hdlc_frames, push_forever
from simulators.iec62056 import IecFaults, IecMeterSimulator
from simulators.iec62056_port import PtyPort
from simulators.sml import SmlPushSimulator

FIXTURES = Path(__file__).parents[1] / "fixtures"
F1 = (FIXTURES / "iec62056" / "f1_lgz_e350.bin").read_bytes()
KAIFA = bytes.fromhex(
    "".join((FIXTURES / "dlms" / "kaifa_tinetz_glo_encryption_only.hex").read_text().split())
)
KAIFA_PLAIN = bytes.fromhex(
    "".join((FIXTURES / "dlms" / "kaifa_tinetz_plaintext.hex").read_text().split())
)
LIMIT = 20.0  # s, an upper bound only

needs_socat = pytest.mark.skipif(shutil.which("socat") is None, reason="socat not installed")
FAST = SessionOptions(identification_timeout=2.0, data_timeout=3.0, reaction_delay=0.0)


def test_classify_published_frames() -> None:
    assert classify(b"").kind is LineKind.SILENT
    ciphered = classify(b"".join(hdlc_frames(KAIFA)))
    assert ciphered.kind is LineKind.DLMS_ENCRYPTED
    assert ciphered.apdus == (KAIFA,)
    assert classify(b"".join(hdlc_frames(KAIFA_PLAIN))).kind is LineKind.DLMS
    pushed = classify(b"\x00\xff" + F1)  # mode D: the E350 readout pushed as is
    assert pushed.kind is LineKind.IEC_PUSH
    assert pushed.readout is not None and pushed.readout.bcc_checked
    sml = SmlPushSimulator().next_push()
    assert classify(sml[5:] + sml).kind is LineKind.SML
    assert classify(b"hello meter\r\nline two\r\n").kind is LineKind.ASCII
    assert classify(bytes(range(128, 256))).kind is LineKind.GARBAGE


def test_corrupted_valid_frames_are_not_recognised() -> None:
    frame = bytearray(b"".join(hdlc_frames(KAIFA)))
    frame[20] ^= 0x04  # FCS no longer verifies
    assert classify(bytes(frame)).kind is LineKind.GARBAGE
    bad_bcc = F1[:-1] + bytes((F1[-1] ^ 0x01,))
    assert classify(bad_bcc).kind is LineKind.ASCII  # text, but no checked telegram
    sml = SmlPushSimulator().next_push()
    assert classify(sml[:-12]).kind is LineKind.GARBAGE  # file not closed


def test_sml_file_with_escaped_escape_is_one_file() -> None:
    file = SmlPushSimulator().next_push()
    inner = b"\x1b\x1b\x1b\x1b\x1b\x1b\x1b\x1b"  # an escaped escape inside the body
    start = len(b"\x1b\x1b\x1b\x1b\x01\x01\x01\x01")
    data = file[:start] + inner + file[start:]
    assert classify(data).sml_files == (data,)
    assert crc16_x25(b"123456789") == 0x906E


@pytest.fixture
async def pty(tmp_path: Path) -> AsyncIterator[PtyPort]:
    async with PtyPort(tmp_path / "line") as port:
        yield port


@needs_socat
@pytest.mark.parametrize(
    ("fault", "baudrate"), [(None, 9600), ("echo", 9600), ("refuse_switch", 300)]
)
async def test_sniff_finds_the_iec_meter(pty: PtyPort, fault: str | None, baudrate: int) -> None:
    meter = IecMeterSimulator(faults=IecFaults(**({fault: True} if fault else {})), reaction=0.0)
    task = asyncio.create_task(meter.serve(pty))
    try:
        async with asyncio.timeout(LIMIT):
            result = await sniff(str(pty.path), listen_seconds=0.3, iec_options=FAST)
    finally:
        task.cancel()
    assert result.kind is LineKind.IEC
    assert result.identification is not None
    assert str(result.identification) == "LGZ5ZMD3104100.B32"
    assert result.iec_baudrate == baudrate
    assert result.readout is not None and result.readout.bcc_checked
    assert result.attempts["2400 8E1"] is LineKind.SILENT


@needs_socat
@pytest.mark.parametrize("fault", ["bad_bcc", "truncated"])
async def test_sniff_reports_a_failed_readout(pty: PtyPort, fault: str) -> None:
    meter = IecMeterSimulator(faults=IecFaults(**{fault: True}), reaction=0.0)
    task = asyncio.create_task(meter.serve(pty))
    try:
        async with asyncio.timeout(LIMIT):
            result = await sniff(str(pty.path), listen_seconds=0.2, iec_options=FAST)
    finally:
        task.cancel()
    assert result.kind is LineKind.IEC
    assert result.readout is None
    assert result.readout_error


@needs_socat
async def test_sniff_silence_and_garbage(pty: PtyPort) -> None:
    async with asyncio.timeout(LIMIT):
        silent = await sniff(str(pty.path), listen_seconds=0.2, iec_options=FAST)
    assert silent.kind is LineKind.SILENT
    task = asyncio.create_task(push_forever(pty.write, lambda: bytes(range(128, 200)), 0.05))
    try:
        async with asyncio.timeout(LIMIT):
            noise = await sniff(str(pty.path), listen_seconds=0.3, iec_options=FAST)
    finally:
        task.cancel()
    assert noise.kind is LineKind.GARBAGE
    assert noise.bytes_seen > 0


@needs_socat
async def test_sniff_finds_dlms_and_sml_pushes(pty: PtyPort) -> None:
    dlms = DlmsPushSimulator()
    task = asyncio.create_task(push_forever(pty.write, dlms.next_push, 0.1))
    try:
        async with asyncio.timeout(LIMIT):
            found = await sniff(str(pty.path), listen_seconds=2.0, iec_options=FAST)
    finally:
        task.cancel()
    assert found.kind is LineKind.DLMS_ENCRYPTED
    assert found.setting == DLMS_LINE
    task = asyncio.create_task(push_forever(pty.write, SmlPushSimulator().next_push, 0.1))
    try:
        async with asyncio.timeout(LIMIT):
            sml = await sniff(str(pty.path), listen_seconds=2.0, iec_options=FAST)
    finally:
        task.cancel()
    assert sml.kind is LineKind.SML


@needs_socat
async def test_truncated_dlms_pushes_are_not_a_meter(pty: PtyPort) -> None:
    dlms = DlmsPushSimulator(faults=DlmsFaults(bad_fcs=True))
    task = asyncio.create_task(push_forever(pty.write, dlms.next_push, 0.05))
    try:
        async with asyncio.timeout(LIMIT):
            found = await sniff(str(pty.path), listen_seconds=0.3, iec_options=FAST)
    finally:
        task.cancel()
    assert found.kind is LineKind.GARBAGE


@pytest.mark.usefixtures("socket_enabled")
async def test_sniff_over_tcp_listens_once_and_missing_port_raises(tmp_path: Path) -> None:
    async def meter(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"".join(hdlc_frames(KAIFA)))
        await writer.drain()
        await reader.read()

    server = await asyncio.start_server(meter, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server, asyncio.timeout(LIMIT):
        result = await sniff(f"socket://127.0.0.1:{port}", listen_seconds=2.0)
    assert result.kind is LineKind.DLMS_ENCRYPTED
    assert list(result.attempts) == ["2400 8E1"]
    with pytest.raises(SerialLinkError):
        await sniff(str(tmp_path / "missing"), listen_seconds=0.1)
