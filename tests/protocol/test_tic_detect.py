"""TIC mode detection: real socat ptys + simulator, TCP, and a scripted fake link."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import contextlib
import random
import shutil
import time
from typing import TYPE_CHECKING

import pytest

from custom_components.energy_meters.protocol.serial_link import (
    PortNotFoundError,
    SerialLinkError,
    SerialSettings,
)
from custom_components.energy_meters.protocol.tic import detect
from custom_components.energy_meters.protocol.tic.detect import (
    FRAME_GRACE_SECONDS,
    DetectionResult,
    detect_tic_mode,
)
from custom_components.energy_meters.protocol.tic.encoder import encode_frame, encode_group
from custom_components.energy_meters.protocol.tic.framing import TicMode
from simulators.tic import Faults, TicSimulator
from simulators.tic_transport import SocatPty, TcpMeterServer

if TYPE_CHECKING:
    from pathlib import Path

H, S = TicMode.HISTORIC, TicMode.STANDARD
LISTEN = 0.8
pytestmark = pytest.mark.usefixtures("socket_enabled")  # 127.0.0.1 servers only


@pytest.fixture
async def pty(tmp_path: Path) -> AsyncIterator[SocatPty]:
    assert shutil.which("socat"), "socat must be installed in the test environment"
    async with SocatPty(tmp_path / "linky") as pair:
        yield pair


@contextlib.asynccontextmanager
async def running(sim: TicSimulator, pty: SocatPty) -> AsyncIterator[TicSimulator]:
    task = asyncio.create_task(sim.run(pty))
    try:
        yield sim
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def timed(url: str, **kwargs: float) -> tuple[DetectionResult, float]:
    start = time.monotonic()
    result = await detect_tic_mode(url, **kwargs)
    return result, time.monotonic() - start


# -- real ptys ------------------------------------------------------------------------


async def test_pty_historic_detected(pty: SocatPty) -> None:
    async with running(TicSimulator("historic-mono-base", speed_factor=20), pty):
        result, elapsed = await timed(str(pty.path), listen_seconds=LISTEN)
    assert result.mode is H
    assert result.baudrate == 1200
    assert result.frame is not None
    assert result.frame.groups["ADCO"].data == "021861348497"
    assert result.valid_groups[H] >= 10
    assert result.bytes_seen[S] == 0  # never had to try 9600 Bd
    assert elapsed < LISTEN + 0.5


async def test_pty_standard_detected_after_garbage_at_1200(pty: SocatPty) -> None:
    async with running(TicSimulator("standard-tri", speed_factor=10), pty):
        result, elapsed = await timed(str(pty.path), listen_seconds=LISTEN)
    assert result.mode is S
    assert result.baudrate == 9600
    assert result.frame is not None
    assert result.frame.groups["ADSC"].data == "041876097328"
    assert "SINSTS3" in result.frame
    # 1200 Bd: the UART decoded garbage from the 9600 Bd line
    assert result.bytes_seen[H] > 0
    assert result.valid_groups[H] == 0
    assert elapsed < 2 * LISTEN + 1.0


async def test_pty_silent_port(pty: SocatPty) -> None:
    result, elapsed = await timed(str(pty.path), listen_seconds=0.3)
    assert result.mode is None
    assert result.frame is None
    assert result.silent
    assert result.bytes_seen == {H: 0, S: 0}
    assert result.valid_groups == {H: 0, S: 0}
    assert elapsed < 1.5


async def test_pty_paused_meter_is_silent(pty: SocatPty) -> None:
    sim = TicSimulator("standard-mono", speed_factor=10)
    sim.pause()
    async with running(sim, pty):
        result, _ = await timed(str(pty.path), listen_seconds=0.3)
    assert result.mode is None
    assert result.silent


async def test_pty_garbage_flood_is_bounded(pty: SocatPty) -> None:
    rng = random.Random(1)

    async def flood() -> None:
        while True:
            await pty.send(rng.randbytes(512))
            await asyncio.sleep(0)

    task = asyncio.create_task(flood())
    try:
        result, elapsed = await timed(str(pty.path), listen_seconds=0.5)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert result.mode is None
    assert not result.silent
    assert result.bytes_seen[H] > 1000
    assert result.bytes_seen[S] > 1000
    assert elapsed < 2 * 0.5 + 1.0


async def test_pty_dongle_reemitting_historic_at_9600(pty: SocatPty) -> None:
    """A historic meter behind a dongle that outputs 9600 Bd (linkytic issue #40)."""
    sim = TicSimulator("historic-mono-base", speed_factor=20, faults=Faults(wrong_speed=True))
    async with running(sim, pty):
        result, _ = await timed(str(pty.path), listen_seconds=LISTEN)
    assert result.mode is H
    assert result.baudrate == 9600
    assert result.valid_groups[H] == 0


async def test_missing_device_raises() -> None:
    with pytest.raises(PortNotFoundError):
        await detect_tic_mode("/dev/ttyDOESNOTEXIST", listen_seconds=0.2)


# -- TCP ------------------------------------------------------------------------------


async def test_tcp_standard_found_at_first_speed() -> None:
    """Over TCP the baud rate is meaningless: the first probe already sees frames."""
    async with TcpMeterServer(TicSimulator("standard-producer", speed_factor=10)) as server:
        result, elapsed = await timed(server.url, listen_seconds=LISTEN)
    assert result.mode is S
    assert result.baudrate == 1200
    assert result.frame is not None
    assert "EAIT" in result.frame
    assert elapsed < LISTEN + 0.5


async def test_tcp_wrong_speed_is_unreadable() -> None:
    sim = TicSimulator("historic-mono-tempo", speed_factor=20, faults=Faults(wrong_speed=True))
    async with TcpMeterServer(sim) as server:
        result, elapsed = await timed(server.url, listen_seconds=0.5)
    assert result.mode is None
    assert result.bytes_seen[H] > 0
    assert result.bytes_seen[S] > 0
    assert result.valid_groups == {H: 0, S: 0}
    assert elapsed < 2.0


async def test_tcp_flood_is_bounded() -> None:
    payload = random.Random(2).randbytes(1 << 16)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while not writer.is_closing():
                writer.write(payload)
                await writer.drain()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        result, elapsed = await timed(f"socket://127.0.0.1:{port}", listen_seconds=0.4)
    finally:
        server.close()
        await server.wait_closed()
    assert result.mode is None
    assert result.bytes_seen[H] > 100_000
    assert elapsed < 2 * 0.4 + 1.0


# -- fake link ------------------------------------------------------------------------

Script = list[tuple[float, bytes]]


class FakeLink:
    """Plays (delay, bytes) steps, then stays silent or fails."""

    def __init__(self, script: Script, end: Exception | None = None) -> None:
        self.script = list(script)
        self.end = end
        self.closed = False

    async def read(self, max_bytes: int = 4096) -> bytes:
        if not self.script:
            if self.end is not None:
                raise self.end
            await asyncio.Event().wait()
        delay, data = self.script.pop(0)
        await asyncio.sleep(delay)
        return data

    async def close(self) -> None:
        self.closed = True


def opener_for(
    scripts: dict[int, Script], links: list[FakeLink] | None = None
) -> Callable[[str, SerialSettings], object]:
    async def opener(url: str, settings: SerialSettings) -> FakeLink:
        assert (settings.bytesize, settings.parity, settings.stopbits) == (7, "E", 1)
        link = FakeLink(scripts.get(settings.baudrate, []))
        if links is not None:
            links.append(link)
        return link

    return opener


def historic_frame(*, with_adco: bool = True) -> bytes:
    pairs = [("ADCO", "021861348497")] if with_adco else []
    pairs += [("OPTARIF", "BASE"), ("BASE", "001234567"), ("PAPP", "00750")]
    return encode_frame(encode_group(label, data, H) for label, data in pairs)


def standard_frame() -> bytes:
    groups = [
        encode_group("ADSC", "041875097317", S),
        encode_group("DATE", "", S, "E260714120000"),
        encode_group("EAST", "001234567", S),
    ]
    return encode_frame(groups)


async def test_fake_historic_needs_one_complete_frame() -> None:
    frame = historic_frame()
    links: list[FakeLink] = []
    script = [(0, frame[10:]), (0, frame[:20]), (0, frame[20:]), (0, frame)]
    result = await detect_tic_mode("x", listen_seconds=1, opener=opener_for({1200: script}, links))
    assert result.mode is H
    assert result.frame is not None
    assert result.frame.groups["BASE"].data == "001234567"
    assert len(links) == 1
    assert links[0].closed
    assert links[0].script == [(0, frame)]  # stopped right after the first complete frame


async def test_fake_standard_at_9600() -> None:
    garbage = bytes(range(0x80, 0x100))
    scripts = {1200: [(0, garbage)], 9600: [(0, standard_frame() * 2)]}
    links: list[FakeLink] = []
    result = await detect_tic_mode("x", listen_seconds=0.2, opener=opener_for(scripts, links))
    assert result.mode is S
    assert result.baudrate == 9600
    assert result.frame is not None
    assert result.frame.groups["DATE"].horodate is not None
    assert result.bytes_seen == {H: len(garbage), S: 2 * len(standard_frame())}
    assert [link.closed for link in links] == [True, True]


async def test_fake_groups_without_complete_frame_prove_the_mode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(detect, "FRAME_GRACE_SECONDS", 0.1)
    frame = historic_frame()
    result = await detect_tic_mode("x", listen_seconds=0.1, opener=opener_for({1200: [
        (0, frame[5:])]}))  # fmt: skip
    assert result.mode is H
    assert result.frame is None
    assert result.valid_groups[H] == 3


async def test_fake_too_few_groups_are_not_proof() -> None:
    groups = encode_group("BASE", "001234567", H) + encode_group("PAPP", "00750", H)
    noise = b"\nxx\r\nyy\r\nzz\r"
    result = await detect_tic_mode("x", listen_seconds=0.1, opener=opener_for({
        1200: [(0, groups + noise)]}))  # fmt: skip
    assert result.mode is None
    assert result.valid_groups == {H: 2, S: 0}
    assert result.bad_groups == {H: 3, S: 0}


async def test_fake_frame_without_address_keeps_listening(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(detect, "FRAME_GRACE_SECONDS", 0.1)
    frame = historic_frame(with_adco=False)
    result = await detect_tic_mode("x", listen_seconds=0.1, opener=opener_for({1200: [
        (0, frame * 3)]}))  # fmt: skip
    assert result.mode is H  # proven by the groups
    assert result.frame is None


async def test_fake_grace_waits_for_a_complete_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(detect, "FRAME_GRACE_SECONDS", 0.5)
    frame = historic_frame()
    script = [(0, frame[8:]), (0.3, frame[:30]), (0.05, frame[30:])]
    result = await detect_tic_mode("x", listen_seconds=0.2, opener=opener_for({1200: script}))
    assert result.mode is H
    assert result.frame is not None  # arrived after listen_seconds, within the grace


async def test_fake_short_frames_then_long_frame() -> None:
    short = encode_frame(
        encode_group(label, data, H)
        for label, data in [("ADIR1", "025"), ("ADCO", "021863348511"), ("IINST1", "025"),
                            ("IINST2", "006"), ("IINST3", "004")]
    )  # fmt: skip
    long_frame = historic_frame()
    result = await detect_tic_mode("x", listen_seconds=0.3, opener=opener_for({1200: [
        (0, short * 3), (0.05, long_frame)]}))  # fmt: skip
    assert result.frame is not None
    assert not result.frame.short
    only_short = await detect_tic_mode("x", listen_seconds=0.1, opener=opener_for({1200: [
        (0, short * 2)]}))  # fmt: skip
    assert only_short.mode is H
    assert only_short.frame is not None
    assert only_short.frame.short


async def test_fake_overlong_and_broken_groups_count_as_bad() -> None:
    data = b"\n" + b"A" * 1100 + b"\nBASE 1 x\nPAPP\r" + b"\n\xff\xfe\r"
    result = await detect_tic_mode("x", listen_seconds=0.1, opener=opener_for({1200: [(0, data)]}))
    assert result.mode is None
    assert result.bad_groups[H] == 4
    assert result.valid_groups[H] == 0


async def test_fake_read_error_propagates_and_closes() -> None:
    link = FakeLink([(0, b"\x02\nAD")], end=SerialLinkError("x: connection closed"))

    async def opener(url: str, settings: SerialSettings) -> FakeLink:
        return link

    with pytest.raises(SerialLinkError, match="connection closed"):
        await detect_tic_mode("x", listen_seconds=1, opener=opener)
    assert link.closed


async def test_fake_open_error_propagates() -> None:
    async def opener(url: str, settings: SerialSettings) -> FakeLink:
        raise PortNotFoundError(f"{url}: no such device")

    with pytest.raises(PortNotFoundError):
        await detect_tic_mode("/dev/ttyX", opener=opener)


async def test_fake_open_that_hangs_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(detect, "OPEN_TIMEOUT", 0.05)

    async def opener(url: str, settings: SerialSettings) -> FakeLink:
        await asyncio.Event().wait()
        raise AssertionError

    with pytest.raises(SerialLinkError, match="timed out"):
        await detect_tic_mode("x", opener=opener)


async def test_fake_close_errors_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(detect, "CLOSE_TIMEOUT", 0.05)

    class BadClose(FakeLink):
        async def close(self) -> None:
            raise OSError(5, "I/O error")

    class SlowClose(FakeLink):
        async def close(self) -> None:
            await asyncio.Event().wait()

    for cls in (BadClose, SlowClose):

        async def opener(url: str, settings: SerialSettings, cls: type = cls) -> FakeLink:
            return cls([(0, historic_frame() * 2)])

        result = await detect_tic_mode("x", listen_seconds=0.1, opener=opener)
        assert result.mode is H


async def test_listen_seconds_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        await detect_tic_mode("x", listen_seconds=0)


def test_total_time_bound_documented() -> None:
    assert FRAME_GRACE_SECONDS <= 5
