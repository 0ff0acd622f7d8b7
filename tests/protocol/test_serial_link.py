"""SerialLink over real ptys (socat) and TCP, and open-error mapping."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
import os
from pathlib import Path
import shutil
import socket
import termios

import pytest
import serialx

from custom_components.energy_meters.protocol import serial_link
from custom_components.energy_meters.protocol.serial_link import (
    InvalidPortUrlError,
    PortAccessError,
    PortNotFoundError,
    SerialLink,
    SerialLinkError,
    SerialSettings,
    open_serial,
)

FRAME = (
    b"\x02\nADCO 021861348497 L\r\nOPTARIF BBR( S\r\nISOUSC 30 9\r\nPTEC HCJB C\r"
    b"\nPAPP 02830 .\r\x03"
)
HISTORIC = SerialSettings(baudrate=1200)

# local TCP servers (127.0.0.1 only); the HA test plugin blocks sockets by default
pytestmark = pytest.mark.usefixtures("socket_enabled")


class SocatPair:
    """socat pty pair: ``path`` for the code under test, ``fd`` is the other end."""

    def __init__(self, proc: asyncio.subprocess.Process, path: Path, fd: int) -> None:
        self.proc, self.path, self.fd = proc, path, fd

    def write(self, data: bytes) -> None:
        os.write(self.fd, data)

    async def read(self, size: int, timeout: float = 2.0) -> bytes:
        data = b""
        async with asyncio.timeout(timeout):
            while len(data) < size:
                try:
                    data += os.read(self.fd, size - len(data))
                except BlockingIOError:
                    await asyncio.sleep(0.01)
        return data

    async def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


@pytest.fixture
async def socat_pair(tmp_path: Path) -> AsyncIterator[SocatPair]:
    socat = shutil.which("socat")
    assert socat is not None, "socat must be installed in the test environment"
    path = tmp_path / "tty"
    proc = await asyncio.create_subprocess_exec(
        socat,
        f"pty,raw,echo=0,link={path}",
        f"pty,raw,echo=0,link={path}.sim",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    fd = -1
    try:
        async with asyncio.timeout(5):
            while not (path.exists() and Path(f"{path}.sim").exists()):
                await asyncio.sleep(0.01)
        fd = os.open(f"{path}.sim", os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        yield SocatPair(proc, path, fd)
    finally:
        if fd >= 0:
            os.close(fd)
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def read_until(link: SerialLink, end: bytes, timeout: float = 3.0) -> bytes:
    data = b""
    async with asyncio.timeout(timeout):
        while end not in data:
            data += await link.read()
    return data


async def test_pty_read_and_write(socat_pair: SocatPair) -> None:
    async with await open_serial(str(socat_pair.path), HISTORIC) as link:
        assert link.url == str(socat_pair.path)
        assert link.settings == SerialSettings(1200, 7, "E", 1)
        assert "1200 Bd open" in repr(link)
        socat_pair.write(FRAME)
        assert await read_until(link, b"\x03") == FRAME
        await link.write(b"/?!\r\n")
        assert await socat_pair.read(5) == b"/?!\r\n"
    assert link.is_closed
    assert "closed" in repr(link)


async def test_pty_speed_is_applied(socat_pair: SocatPair) -> None:
    for baud in (1200, 9600):
        async with await open_serial(str(socat_pair.path), SerialSettings(baud)):
            fd = os.open(socat_pair.path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
            try:
                attrs = termios.tcgetattr(fd)
            finally:
                os.close(fd)
            assert attrs[4] == attrs[5] == getattr(termios, f"B{baud}")


async def test_pty_bytes_above_0x7f_pass_through(socat_pair: SocatPair) -> None:
    async with await open_serial(str(socat_pair.path), HISTORIC) as link:
        socat_pair.write(b"\x80\xff\x00\x02")
        assert await read_until(link, b"\x02") == b"\x80\xff\x00\x02"


async def test_pty_peer_gone_raises(socat_pair: SocatPair) -> None:
    link = await open_serial(str(socat_pair.path), HISTORIC)
    try:
        socat_pair.write(b"abc")
        assert await read_until(link, b"c") == b"abc"
        await socat_pair.kill()
        with pytest.raises(SerialLinkError):
            async with asyncio.timeout(3):
                while True:  # never b"" forever: an error must come
                    assert await link.read()
    finally:
        await link.close()


async def test_pty_port_in_use(socat_pair: SocatPair) -> None:
    async with await open_serial(str(socat_pair.path), HISTORIC):
        with pytest.raises(PortAccessError, match="in use"):
            await open_serial(str(socat_pair.path), HISTORIC)


async def test_read_after_close_and_double_close(socat_pair: SocatPair) -> None:
    link = await open_serial(str(socat_pair.path), HISTORIC)
    await link.close()
    await link.close()
    with pytest.raises(SerialLinkError, match="closed"):
        await link.read()
    with pytest.raises(SerialLinkError, match="closed"):
        await link.write(b"x")
    with pytest.raises(ValueError, match="max_bytes"):
        await link.read(0)


@pytest.mark.parametrize(
    "url", ["/dev/ttyDOESNOTEXIST0", "/dev/serial/by-id/usb-nothing-if00-port0"]
)
async def test_missing_device(url: str) -> None:
    with pytest.raises(PortNotFoundError, match="no such device"):
        await open_serial(url, HISTORIC)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("foo://bar", "unsupported URL scheme"),
        ("socket://127.0.0.1", "invalid URL"),
        ("esphome://127.0.0.1:6053/?port_name=tic", "aioesphomeapi"),
    ],
)
async def test_invalid_url(url: str, message: str) -> None:
    with pytest.raises(InvalidPortUrlError, match=message):
        await open_serial(url, HISTORIC)


async def test_not_a_serial_port() -> None:
    with pytest.raises(SerialLinkError, match="not a serial port") as err:
        await open_serial("/dev/null", HISTORIC)
    assert type(err.value) is SerialLinkError


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("scheme", ["socket", "rfc2217"])
async def test_tcp_refused(scheme: str) -> None:
    with pytest.raises(SerialLinkError, match="refused") as err:
        await open_serial(f"{scheme}://127.0.0.1:{_free_port()}", HISTORIC)
    assert not isinstance(err.value, PortNotFoundError | PortAccessError)


async def test_tcp_socket_url_reads_and_detects_close() -> None:
    """serialx's socket:// handler carries raw bytes; a closing peer raises."""
    release = asyncio.Event()
    received: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(FRAME)
        await writer.drain()
        received.append(await reader.readexactly(3))
        await release.wait()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with await open_serial(f"socket://127.0.0.1:{port}", HISTORIC) as link:
            assert await read_until(link, b"\x03") == FRAME
            await link.write(b"ack")
            release.set()
            with pytest.raises(SerialLinkError):
                async with asyncio.timeout(3):
                    while True:
                        assert await link.read()
        assert received == [b"ack"]
    finally:
        server.close()
        await server.wait_closed()


async def test_tcp_url_alias() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"hello")
        await writer.drain()
        await reader.read()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with await open_serial(f"tcp://127.0.0.1:{port}", HISTORIC) as link:
            assert await read_until(link, b"o") == b"hello"
    finally:
        server.close()
        await server.wait_closed()


@pytest.mark.parametrize(
    ("error", "expected", "message"),
    [
        (PermissionError(13, "Permission denied"), PortAccessError, "permission denied"),
        (OSError(16, "Device or resource busy"), PortAccessError, "in use"),
        (FileNotFoundError(2, "No such file"), PortNotFoundError, "no such device"),
        (socket.gaierror(-2, "Name or service not known"), PortNotFoundError, "host not found"),
        (OSError(5, "Input/output error"), SerialLinkError, "cannot open"),
        (serialx.UnsupportedSetting("bad parity"), SerialLinkError, "unsupported serial"),
        (serialx.SerialException("boom"), SerialLinkError, "boom"),
        (ValueError("bad"), InvalidPortUrlError, "invalid URL"),
        (RuntimeError("weird"), SerialLinkError, "RuntimeError: weird"),
        (PortAccessError("kept"), PortAccessError, "kept"),
    ],
)
async def test_open_error_mapping(
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
    expected: type[SerialLinkError],
    message: str,
) -> None:
    async def fail(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(serialx, "create_serial_connection", fail)
    with pytest.raises(expected, match=message) as err:
        await open_serial("/dev/ttyUSB0", HISTORIC)
    assert type(err.value) is expected


async def test_open_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    async def hang(*args: object, **kwargs: object) -> None:
        await asyncio.Event().wait()

    monkeypatch.setattr(serialx, "create_serial_connection", hang)
    with pytest.raises(SerialLinkError, match="timed out"):
        await open_serial("socket://192.0.2.1:7000", HISTORIC, open_timeout=0.05)


async def test_read_error_is_wrapped() -> None:
    reader = asyncio.StreamReader()
    reader.set_exception(OSError(5, "Input/output error"))

    class Writer:
        transport = None

    link = SerialLink("/dev/x", HISTORIC, reader, Writer())  # type: ignore[arg-type]
    with pytest.raises(SerialLinkError, match="Input/output error"):
        await link.read()


async def test_close_times_out_and_aborts(monkeypatch: pytest.MonkeyPatch) -> None:
    aborted: list[bool] = []

    class Transport:
        def is_closing(self) -> bool:
            return True

        def abort(self) -> None:
            aborted.append(True)

    class Writer:
        transport = Transport()

        def close(self) -> None:
            pass

        async def wait_closed(self) -> None:
            await asyncio.Event().wait()

    monkeypatch.setattr(serial_link, "CLOSE_TIMEOUT", 0.05)
    link = SerialLink("/dev/x", HISTORIC, asyncio.StreamReader(), Writer())  # type: ignore[arg-type]
    await link.close()
    assert aborted == [True]
    with contextlib.suppress(SerialLinkError):
        await link.read()


async def test_write_error_is_wrapped() -> None:
    class Writer:
        def write(self, data: bytes) -> None:
            raise BrokenPipeError(32, "Broken pipe")

    link = SerialLink("/dev/x", HISTORIC, asyncio.StreamReader(), Writer())  # type: ignore[arg-type]
    with pytest.raises(SerialLinkError, match="write failed: Broken pipe"):
        await link.write(b"x")


async def test_eof_is_an_error() -> None:
    reader = asyncio.StreamReader()
    reader.feed_eof()
    link = SerialLink("/dev/x", HISTORIC, reader, object())  # type: ignore[arg-type]
    with pytest.raises(SerialLinkError, match="connection closed"):
        await link.read()
