"""SerialSession and SessionRegistry over real socat ptys and local TCP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import contextlib
import os
from pathlib import Path
import re
import termios

import pytest

from custom_components.energy_meters.protocol import serial_registry, serial_session
from custom_components.energy_meters.protocol.serial_link import (
    PortAccessError,
    PortNotFoundError,
    SerialLinkError,
    SerialSettings,
)
from custom_components.energy_meters.protocol.serial_registry import SessionRegistry
from custom_components.energy_meters.protocol.serial_session import (
    BaudChangeUnsupportedError,
    EchoMismatchError,
    ReadTimeoutError,
    SerialSession,
    can_change_baud,
)
from tests.protocol.test_serial_link import SocatPair, socat_pair  # noqa: F401 - fixture
from tests.tic_frames import wait_until

pytestmark = pytest.mark.usefixtures("socket_enabled")

IEC = SerialSettings(baudrate=300, allow_pty_8n1=True)
"""IEC 62056-21 starts at 300 Bd 7E1; the pty carries it as 8N1."""
SHORT = 0.05
"""A timeout that must expire: nothing more will be sent."""
LONG = 5.0
"""A failure bound only."""


def is_open(session: SerialSession) -> bool:
    """Read the state afresh (mypy would narrow the property across awaits)."""
    return session.is_open


def is_busy(session: SerialSession) -> bool:
    return session.busy


def pending(session: SerialSession) -> int:
    return session.pending


def _attrs(path: Path) -> list[object]:
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    try:
        return termios.tcgetattr(fd)
    finally:
        os.close(fd)


class Responder:
    """The far end of the pty: answers every ``REQ<tag>\\n`` with ``REP<tag>\\n``."""

    def __init__(self, pair: SocatPair, *, echo: Callable[[bytes], bytes] | None = None) -> None:
        self.pair, self.echo = pair, echo
        self.requests: list[bytes] = []
        self.received = b""
        self._buf = b""
        asyncio.get_running_loop().add_reader(pair.fd, self._readable)

    def _readable(self) -> None:
        try:
            data = os.read(self.pair.fd, 4096)
        except BlockingIOError:
            return
        self.received += data
        if self.echo is not None:
            self.pair.write(self.echo(data))
        self._buf += data
        while (end := self._buf.find(b"\n")) >= 0:
            line, self._buf = self._buf[:end], self._buf[end + 1 :]
            if match := re.fullmatch(rb"REQ(\w+)", line):
                self.requests.append(match[1])
                self.pair.write(b"REP" + match[1] + b"\n")

    def stop(self) -> None:
        asyncio.get_running_loop().remove_reader(self.pair.fd)


@pytest.fixture
async def responder(socat_pair: SocatPair) -> AsyncIterator[Responder]:  # noqa: F811
    resp = Responder(socat_pair)
    yield resp
    resp.stop()


async def test_open_settings_push_and_close(socat_pair: SocatPair) -> None:  # noqa: F811
    session = SerialSession(str(socat_pair.path), SerialSettings(1200))
    assert not is_open(session)
    assert "closed" in repr(session)
    with pytest.raises(SerialLinkError, match="not open"):
        await session.read_chunk(timeout=LONG)
    async with session:
        assert is_open(session)
        assert session.url == str(socat_pair.path)
        assert session.settings == SerialSettings(1200)
        assert not session.pty_8n1  # first open at a new speed: the pty accepted 7E1
        assert session.can_change_baud
        assert "1200 Bd open" in repr(session)
        socat_pair.write(b"\x02\nADCO 021861348497 L\r\x03\x02")
        assert await session.read_until(b"\x03", LONG) == b"\x02\nADCO 021861348497 L\r\x03"
        assert await session.read_exactly(1, LONG) == b"\x02"
        assert session.bytes_received == 24
        await session.open()  # already open: no-op
    assert not is_open(session)
    await session.close()  # idempotent


async def test_baud_change_on_an_open_pty(socat_pair: SocatPair) -> None:  # noqa: F811
    async with SerialSession(str(socat_pair.path), IEC) as session:
        assert session.pty_8n1
        assert _attrs(socat_pair.path)[4] == termios.B300
        async with session.exclusive() as channel:
            # everything written before the change reaches the far end (drained first)
            await channel.write(b"\x06050\r\n")
            await channel.set_baudrate(9600)
            assert channel.settings.baudrate == 9600
        assert await socat_pair.read(6) == b"\x06050\r\n"
        attrs = _attrs(socat_pair.path)
        assert attrs[4] == attrs[5] == termios.B9600
        assert session.settings == SerialSettings(9600, allow_pty_8n1=True)
        await session.set_baudrate(9600)  # same speed: nothing to do
        await session.set_baudrate(300)
        assert _attrs(socat_pair.path)[4] == termios.B300
        socat_pair.write(b"after\n")
        assert await session.read_until(b"\n", LONG) == b"after\n"
        with pytest.raises(ValueError, match="positive"):
            await session.set_baudrate(0)
    # reopening starts again at the initial speed
    async with SerialSession(str(socat_pair.path), IEC) as session:
        await session.set_baudrate(4800)
        await session.close()
        await session.open()
        assert session.settings.baudrate == 300
        assert _attrs(socat_pair.path)[4] == termios.B300


async def test_baud_change_refused_by_the_port(
    socat_pair: SocatPair,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with SerialSession(str(socat_pair.path), IEC) as session:
        transport = session._transport
        assert transport is not None
        calls: list[int | None] = []
        real = transport.reconfigure_port

        async def reconfigure(**kwargs: int | None) -> None:
            calls.append(kwargs["baudrate"])
            if kwargs["baudrate"] == 12345:
                raise OSError(22, "Invalid argument")
            await real(**kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(transport, "reconfigure_port", reconfigure)
        with pytest.raises(SerialLinkError, match="12345 Bd: Invalid argument"):
            await session.set_baudrate(12345)
        assert calls == [12345, 300]  # the previous speed is restored
        assert session.settings.baudrate == 300
        assert is_open(session)


@pytest.mark.parametrize("scheme", ["socket", "tcp"])
async def test_raw_tcp_refuses_baud_change(scheme: str) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"hello\n")
        await writer.drain()
        await reader.read()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with SerialSession(f"{scheme}://127.0.0.1:{port}", SerialSettings(300)) as session:
            assert not session.can_change_baud
            assert await session.read_until(b"\n", LONG) == b"hello\n"
            with pytest.raises(BaudChangeUnsupportedError, match=f"over {scheme}://"):
                await session.set_baudrate(9600)
            async with session.exclusive() as channel:
                assert not channel.can_change_baud
                with pytest.raises(BaudChangeUnsupportedError, match="rfc2217"):
                    await channel.set_baudrate(9600)
                await channel.write(b"x")
            assert session.settings.baudrate == 300
            assert is_open(session)
    finally:
        server.close()
        await server.wait_closed()


def test_can_change_baud() -> None:
    assert not can_change_baud("socket://host:2000")
    assert not can_change_baud(" TCP://host:2000")
    assert can_change_baud("rfc2217://host:2000")
    assert can_change_baud("esphome://host:6053/?port_name=tic")
    assert can_change_baud("/dev/ttyUSB0")
    assert can_change_baud("/dev/serial/by-id/usb-FTDI_x-if00-port0")


async def test_read_timeouts_keep_the_bytes(socat_pair: SocatPair) -> None:  # noqa: F811
    async with SerialSession(str(socat_pair.path), IEC) as session:
        socat_pair.write(b"abc")
        await wait_until(lambda: session.pending == 3)
        with pytest.raises(ReadTimeoutError, match=r"b'\\n' not received") as err:
            await session.read_until(b"\n", SHORT)
        assert err.value.partial == b"abc"
        with pytest.raises(ReadTimeoutError, match="4 bytes"):
            await session.read_exactly(4, SHORT)
        socat_pair.write(b"d\nef")
        assert await session.read_until(b"\n", LONG) == b"abcd\n"
        assert await session.read_exactly(2, LONG) == b"ef"
        with pytest.raises(ReadTimeoutError, match="data"):
            await session.read_chunk(timeout=SHORT)
        with pytest.raises(ValueError, match="terminator"):
            await session.read_until(b"", LONG)
        with pytest.raises(ValueError, match="count"):
            await session.read_exactly(0, LONG)
        with pytest.raises(ValueError, match="max_bytes"):
            await session.read_chunk(0)
        async with session.exclusive() as channel:
            socat_pair.write(b"12345")
            await wait_until(lambda: channel.pending == 5)
            assert await channel.read_chunk(2, LONG) == b"12"
            assert await channel.read_exactly(2, LONG) == b"34"
            with pytest.raises(ReadTimeoutError):
                await channel.read_until(b"\r", SHORT)
            assert await channel.read_chunk() == b"5"


async def test_flush_input(socat_pair: SocatPair) -> None:  # noqa: F811
    async with SerialSession(str(socat_pair.path), IEC) as session:
        socat_pair.write(b"stale")
        await wait_until(lambda: session.pending == 5)
        assert await session.flush_input() == 5
        async with session.exclusive() as channel:
            socat_pair.write(b"junk")
            await wait_until(lambda: channel.pending == 4)
            assert await session.flush_input() == 0  # push side only while an exchange runs
            assert await channel.flush_input() == 4
            socat_pair.write(b"ok\n")
            assert await channel.read_until(b"\n", LONG) == b"ok\n"


async def test_echo_is_discarded(socat_pair: SocatPair) -> None:  # noqa: F811
    """A half-duplex IR head: the far end sees its own request, then the meter answers."""
    resp = Responder(socat_pair, echo=lambda data: data)
    try:
        async with SerialSession(str(socat_pair.path), IEC) as session:
            async with session.exclusive() as channel:
                await channel.write(b"REQ1\n", discard_echo=True)
                assert await channel.read_until(b"\n", LONG) == b"REP1\n"
                await channel.write(b"")  # nothing to send, nothing to discard
            await session.write(b"ping", discard_echo=True, echo_timeout=LONG)  # no reply
            assert (session.pending, session.dropped) == (0, 0)  # the echo was consumed
            assert session.bytes_sent == 9
    finally:
        resp.stop()


async def test_echo_mismatch_and_missing_echo(socat_pair: SocatPair) -> None:  # noqa: F811
    resp = Responder(socat_pair, echo=lambda data: data.upper())
    try:
        async with SerialSession(str(socat_pair.path), IEC) as session:
            async with session.exclusive() as channel:
                with pytest.raises(EchoMismatchError, match="differs") as err:
                    await channel.write(b"ab", discard_echo=True)
                assert (err.value.sent, err.value.received) == (b"ab", b"AB")
                assert await channel.read_exactly(2, LONG) == b"AB"  # still readable
            resp.echo = None  # a head that does not echo
            async with session.exclusive() as channel:
                with pytest.raises(EchoMismatchError, match="no echo") as err:
                    await channel.write(b"xy", discard_echo=True, echo_timeout=SHORT)
                assert err.value.received == b""
    finally:
        resp.stop()


async def test_concurrent_exchanges_never_get_each_others_reply(
    socat_pair: SocatPair,  # noqa: F811
    responder: Responder,
) -> None:
    async with SerialSession(str(socat_pair.path), IEC) as session:
        order: list[int] = []

        async def exchange(tag: int) -> bytes:
            async with session.exclusive(timeout=LONG * 4) as channel:
                order.append(tag)
                await channel.write(b"REQ%d\n" % tag)
                return await channel.read_until(b"\n", LONG)

        tasks = [asyncio.create_task(exchange(tag)) for tag in range(12)]
        await asyncio.sleep(0)  # all queued behind the first
        assert session.busy
        replies = await asyncio.gather(*tasks)
        assert replies == [b"REP%d\n" % tag for tag in range(12)]
        assert order == list(range(12))  # FIFO
        assert responder.requests == [b"%d" % tag for tag in range(12)]
        assert not is_busy(session)
        assert pending(session) == 0


async def test_exclusive_wait_is_bounded(socat_pair: SocatPair) -> None:  # noqa: F811
    async with SerialSession(str(socat_pair.path), IEC) as session:
        async with session.exclusive() as channel:
            with pytest.raises(TimeoutError):
                async with session.exclusive(timeout=SHORT):
                    pass  # pragma: no cover - never entered
            await channel.write(b"x")
        async with session.exclusive():
            pass  # the lock was released


async def test_push_flows_before_during_and_after_exchanges(
    socat_pair: SocatPair,  # noqa: F811
    responder: Responder,
) -> None:
    async with SerialSession(str(socat_pair.path), IEC) as session:
        pushed = b""

        async def push_reader() -> None:
            nonlocal pushed
            async for chunk in session.stream():
                pushed += chunk

        reader = asyncio.create_task(push_reader())
        socat_pair.write(b"PUSH1\n")
        await wait_until(lambda: b"PUSH1\n" in pushed)
        for tag in (b"a", b"b"):
            async with session.exclusive() as channel:
                await channel.write(b"REQ" + tag + b"\n")
                assert await channel.read_until(b"\n", LONG) == b"REP" + tag + b"\n"
        socat_pair.write(b"PUSH2\n")
        await wait_until(lambda: b"PUSH2\n" in pushed)
        assert pushed == b"PUSH1\nPUSH2\n"  # no reply ever reached the push reader
        await session.close()
        async with asyncio.timeout(LONG):
            await reader  # the stream ends when the session is closed


async def test_unread_bytes_of_an_exchange_are_dropped(
    socat_pair: SocatPair,  # noqa: F811
) -> None:
    async with SerialSession(str(socat_pair.path), IEC) as session:
        async with session.exclusive() as channel:
            socat_pair.write(b"tail")
            await wait_until(lambda: channel.pending == 4)
        assert session.dropped == 4
        assert pending(session) == 0
        with pytest.raises(RuntimeError, match="exchange is over"):
            await channel.read_chunk()


async def test_buffer_limit_drops_the_oldest(socat_pair: SocatPair) -> None:  # noqa: F811
    with pytest.raises(ValueError, match="buffer_limit"):
        SerialSession("/dev/x", IEC, buffer_limit=0)
    async with SerialSession(str(socat_pair.path), IEC, buffer_limit=4) as session:
        socat_pair.write(b"0123456789")
        await wait_until(lambda: session.bytes_received == 10)
        assert session.dropped == 6
        assert await session.read_exactly(4, LONG) == b"6789"


async def test_unplug_raises_everywhere(socat_pair: SocatPair) -> None:  # noqa: F811
    session = SerialSession(str(socat_pair.path), IEC)
    await session.open()
    try:
        socat_pair.write(b"abc")
        assert await session.read_exactly(3, LONG) == b"abc"
        socat_pair.write(b"late")
        await wait_until(lambda: session.pending == 4)

        async def in_exchange() -> None:
            async with session.exclusive() as channel:
                await channel.read_until(b"\n", LONG * 4)

        exchange = asyncio.create_task(in_exchange())
        await wait_until(lambda: session.busy)
        await socat_pair.kill()
        with pytest.raises(SerialLinkError, match="link lost"):
            async with asyncio.timeout(LONG):
                await exchange
        assert await session.read_chunk(timeout=LONG) == b"late"  # data first, then the error
        with pytest.raises(SerialLinkError, match="link lost"):
            await session.read_chunk(timeout=LONG)
        with pytest.raises(SerialLinkError, match="link lost"):
            async for _ in session.stream():
                pass  # pragma: no cover - nothing left to read
        assert not is_open(session)
        with pytest.raises(SerialLinkError, match="link lost"):
            await session.write(b"x")
        with pytest.raises(PortNotFoundError):
            await session.open()  # the device is gone
        assert not is_open(session)
        with pytest.raises(SerialLinkError):
            await session.read_chunk(timeout=LONG)
    finally:
        await session.close()


async def test_peer_closing_tcp_is_a_loss() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with SerialSession(f"socket://127.0.0.1:{port}", IEC) as session:
            with pytest.raises(SerialLinkError, match="closed by the device or peer"):
                await session.read_chunk(timeout=LONG)
    finally:
        server.close()
        await server.wait_closed()


async def test_write_failure_is_wrapped(
    socat_pair: SocatPair,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with SerialSession(str(socat_pair.path), IEC) as session:
        transport = session._transport
        assert transport is not None

        def fail(data: bytes) -> None:
            raise BrokenPipeError(32, "Broken pipe")

        monkeypatch.setattr(transport, "write", fail)
        with pytest.raises(SerialLinkError, match="write failed: Broken pipe"):
            await session.write(b"x")


async def test_close_while_an_exchange_waits(socat_pair: SocatPair) -> None:  # noqa: F811
    session = SerialSession(str(socat_pair.path), IEC)
    await session.open()

    async def in_exchange() -> None:
        async with session.exclusive() as channel:
            await channel.read_chunk(timeout=LONG * 4)

    exchange = asyncio.create_task(in_exchange())
    await wait_until(lambda: session.busy)
    await session.close()
    with pytest.raises(SerialLinkError, match="session is closed"):
        await exchange
    with pytest.raises(SerialLinkError, match="not open"):
        async with session.exclusive():
            pass  # pragma: no cover - never entered
    assert [chunk async for chunk in session.stream()] == []
    await session.open()  # a closed session can be reopened
    socat_pair.write(b"again")
    assert await session.read_exactly(5, LONG) == b"again"
    await session.close()


async def test_flow_control_drain() -> None:
    lost: list[Exception | None] = []
    protocol = serial_session._SessionProtocol(lambda p, d: None, lambda p, e: lost.append(e))
    await protocol.drain()  # not paused: returns at once
    protocol.pause_writing()
    waiter = asyncio.create_task(protocol.drain())
    await asyncio.sleep(0)
    assert not waiter.done()
    protocol.resume_writing()
    await asyncio.wait_for(waiter, LONG)
    protocol.pause_writing()
    waiter = asyncio.create_task(protocol.drain())
    await asyncio.sleep(0)
    protocol.connection_lost(None)  # a lost link never leaves a writer waiting
    await asyncio.wait_for(waiter, LONG)
    assert lost == [None]


async def test_kernel_flush_errors_are_ignored(
    socat_pair: SocatPair,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with SerialSession(str(socat_pair.path), IEC) as session:
        transport = session._transport
        assert transport is not None

        def fail() -> None:
            raise OSError(25, "Inappropriate ioctl for device")

        monkeypatch.setattr(transport.serial, "reset_read_buffer", fail)
        assert await session.flush_input() == 0


async def test_registry_shares_one_owner(socat_pair: SocatPair, tmp_path: Path) -> None:  # noqa: F811
    registry = SessionRegistry()
    alias = tmp_path / "alias"
    alias.symlink_to(socat_pair.path)  # /dev/serial/by-id style link to the same port
    first, second = await asyncio.gather(
        registry.acquire(str(socat_pair.path), IEC),
        registry.acquire(str(alias), SerialSettings(9600, allow_pty_8n1=True)),
    )
    assert first is second
    assert len(registry) == 1
    assert registry.refcount(first) == 2
    with pytest.raises(PortAccessError, match="8N1"):
        await registry.acquire(str(alias), SerialSettings(9600, 8, "N", 1))
    await registry.release(first)
    assert is_open(first)
    assert registry.refcount(first) == 1
    await registry.release(first)
    assert not is_open(first)
    assert len(registry) == 0
    await registry.release(first)  # unknown: ignored
    assert registry.refcount(first) == 0

    async with registry.session(str(socat_pair.path), IEC) as session:
        assert is_open(session)
        await session.close()  # e.g. lost: the next user gets it reopened
        again = await registry.acquire(str(socat_pair.path), IEC)
        assert again is session
        assert is_open(session)
        await registry.release(again)
    assert not is_open(session)
    held = await registry.acquire(str(socat_pair.path), IEC)
    await registry.close_all()
    assert not is_open(held)
    assert len(registry) == 0


async def test_registry_open_failure_keeps_nothing() -> None:
    registry = SessionRegistry()
    with pytest.raises(PortNotFoundError):
        await registry.acquire("/dev/ttyDOESNOTEXIST0", IEC)
    assert len(registry) == 0
    with contextlib.suppress(PortNotFoundError):
        async with registry.session("/dev/ttyDOESNOTEXIST0", IEC):
            pass  # pragma: no cover - never entered
    assert len(registry) == 0


async def test_close_times_out_and_aborts(
    socat_pair: SocatPair,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    session = SerialSession(str(socat_pair.path), IEC)
    await session.open()
    transport = session._transport
    assert transport is not None
    aborted: list[bool] = []
    real_abort = transport.abort

    async def hang() -> None:
        await asyncio.Event().wait()

    def abort() -> None:
        aborted.append(True)
        real_abort()

    monkeypatch.setattr(serial_session, "CLOSE_TIMEOUT", SHORT)
    monkeypatch.setattr(transport, "wait_closed", hang)
    monkeypatch.setattr(transport, "abort", abort)
    await session.close()
    assert aborted == [True]
    assert not is_open(session)


async def test_close_errors_are_ignored(
    socat_pair: SocatPair,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    session = SerialSession(str(socat_pair.path), IEC)
    await session.open()
    transport = session._transport
    assert transport is not None

    async def fail() -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(transport, "wait_closed", fail)
    await session.close()
    assert not is_open(session)


def test_port_keys() -> None:
    assert serial_registry._port_key(" socket://h:1 ") == "socket://h:1"
    assert serial_registry._port_key("/dev/../dev/ttyUSB0") == "/dev/ttyUSB0"
