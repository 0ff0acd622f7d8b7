"""Transports of the TIC simulator: UART speed mismatch, TCP server, socat pty pair."""

from __future__ import annotations

import array
import asyncio
import contextlib
import fcntl
import os
from pathlib import Path
import shutil
import termios
import time
from typing import TYPE_CHECKING, Protocol, Self

if TYPE_CHECKING:
    from simulators.tic import TicSimulator

BACKLOG_FLUSH = 2048  # bytes unread on the reader's side at two checks 1 s apart: dropped
_SPEEDS = {getattr(termios, f"B{b}"): b for b in (1200, 2400, 4800, 9600, 19200, 38400)}


def uart_mismatch(data: bytes, tx_baud: int, rx_baud: int) -> bytes:
    """
    Return what a 7E1 UART at ``rx_baud`` decodes from ``data`` sent 7E1 at ``tx_baud``.

    Bit-level model: the receiver syncs on each falling edge, samples mid-bit at its
    own rate, keeps 7 data bits (parity unchecked, as Linux does without INPCK) and
    yields NUL on a framing error (stop bit low), as the Linux tty layer does.
    """
    if tx_baud == rx_baud:
        return data
    bits = bytearray(b"\x01" * 4)
    for byte in data:
        dbits = [(byte >> i) & 1 for i in range(7)]
        bits += bytes([0, *dbits, sum(dbits) & 1, 1])
    bits += b"\x01" * 24
    n, ratio = len(bits), tx_baud / rx_baud
    out = bytearray()
    i = 1
    while True:
        while i < n and not (bits[i] == 0 and bits[i - 1] == 1):
            i += 1
        if i >= n:
            return bytes(out)
        start = i

        def level(k: int, start: int = start) -> int:
            idx = int(start + (k + 0.5) * ratio)
            return bits[idx] if idx < n else 1

        if level(0):
            i += 1
            continue
        value = sum(level(1 + j) << j for j in range(7))
        out.append(value if level(9) else 0)
        i = max(start + 1, int(start + 9.5 * ratio) + 1)


async def write_fd(fd: int, data: bytes, *, give_up_after: float = 1.0) -> None:
    """
    Write ``data`` to a non-blocking pty end.

    Bytes nobody drains within ``give_up_after`` seconds are lost, as on a real line.
    """
    loop, view = asyncio.get_running_loop(), memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view) :]
        except BlockingIOError:
            ready = loop.create_future()
            loop.add_writer(fd, ready.set_result, None)
            try:
                async with asyncio.timeout(give_up_after):
                    await ready
            except TimeoutError:
                return
            finally:
                loop.remove_writer(fd)


class Sink(Protocol):
    """Where the simulator writes."""

    async def send(self, data: bytes) -> None:
        """Write ``data``."""

    def receiver_baudrate(self) -> int | None:
        """Speed the reader listens at, when known."""


class StreamSink:
    """Sink over an asyncio StreamWriter (one TCP client, a pipe…)."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        """Wrap ``writer``."""
        self.writer = writer

    async def send(self, data: bytes) -> None:
        """Write and drain."""
        self.writer.write(data)
        await self.writer.drain()

    def receiver_baudrate(self) -> int | None:
        """Unknown over a stream."""
        return None


class BroadcastSink:
    """Sends to every connected TCP client (slow clients are dropped)."""

    def __init__(self) -> None:
        """Start with no client."""
        self.clients: set[asyncio.StreamWriter] = set()

    async def send(self, data: bytes) -> None:
        """Write ``data`` to every client without blocking on any of them."""
        for writer in list(self.clients):
            if writer.transport.is_closing() or writer.transport.get_write_buffer_size() > 1 << 18:
                self.clients.discard(writer)
                writer.close()
                continue
            writer.write(data)

    def receiver_baudrate(self) -> int | None:
        """Unknown over TCP."""
        return None


class TcpMeterServer:
    """Serve a simulator to every TCP client, like ser2net in front of a TIC dongle."""

    def __init__(self, sim: TicSimulator, host: str = "127.0.0.1", port: int = 0) -> None:
        """Prepare a server; ``port=0`` picks a free port (see :attr:`port`)."""
        self.sim, self.host, self.requested_port = sim, host, port
        self.sink = BroadcastSink()
        self._server: asyncio.Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        """The port actually listened on."""
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        """``socket://`` URL of this server."""
        return f"socket://{self.host}:{self.port}"

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.sink.clients.add(writer)
        with contextlib.suppress(OSError):
            while await reader.read(1024):
                pass
        self.sink.clients.discard(writer)
        writer.close()

    async def start(self) -> Self:
        """Listen and start the meter."""
        self._server = await asyncio.start_server(self._client, self.host, self.requested_port)
        self._task = asyncio.create_task(self.sim.run(self.sink))
        return self

    def disconnect_clients(self) -> None:
        """Close every client connection (like a ser2net restart)."""
        for writer in list(self.sink.clients):
            writer.close()
        self.sink.clients.clear()

    async def close(self) -> None:
        """Stop the meter, drop clients, stop listening."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.disconnect_clients()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def __aenter__(self) -> Self:
        """Start."""
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        """Close."""
        await self.close()


class SocatPty:
    """A socat pty pair: readers open ``path``, the simulator writes ``path.sim``."""

    def __init__(self, path: str | Path) -> None:
        """Prepare (``start()`` runs socat)."""
        self.path = Path(path)
        self.sim_path = Path(f"{path}.sim")
        if "," in str(path) or "!" in str(path):
            raise ValueError(f"unsupported characters in pty path: {path}")
        self.proc: asyncio.subprocess.Process | None = None
        self._fd: int | None = None
        self._peer: int | None = None
        self._backlog = 0
        self._checked = 0.0

    async def start(self, startup_seconds: float = 5.0) -> Self:
        """Run socat and wait until both links exist."""
        socat = shutil.which("socat")
        if socat is None:
            raise FileNotFoundError("socat is not installed")
        for link in (self.path, self.sim_path):
            if link.is_symlink():
                link.unlink()
        args = [f"pty,raw,echo=0,link={link}" for link in (self.path, self.sim_path)]
        self.proc = await asyncio.create_subprocess_exec(
            socat, "-d", "-d", *args, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        async with asyncio.timeout(startup_seconds):
            while not (self.path.exists() and self.sim_path.exists()):
                if self.proc.returncode is not None:
                    raise RuntimeError(f"socat exited with {self.proc.returncode}")
                await asyncio.sleep(0.01)
        self._fd = os.open(self.sim_path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        self._peer = os.open(self.path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        return self

    def set_speed(self, baud: int) -> None:
        """Set the termios speed of the simulator's end (cosmetic on a pty)."""
        assert self._fd is not None
        attrs = termios.tcgetattr(self._fd)
        attrs[4] = attrs[5] = getattr(termios, f"B{baud}")
        termios.tcsetattr(self._fd, termios.TCSANOW, attrs)

    def receiver_baudrate(self) -> int | None:
        """Speed the reader configured on ``path`` (None if unreadable)."""
        assert self._peer is not None
        now = time.monotonic()
        with contextlib.suppress(OSError):
            if now - self._checked >= 1.0:  # bytes nobody reads for 1 s are lost
                self._checked = now
                backlog = array.array("i", [0])
                fcntl.ioctl(self._peer, termios.FIONREAD, backlog)
                if backlog[0] >= BACKLOG_FLUSH and self._backlog >= BACKLOG_FLUSH:
                    termios.tcflush(self._peer, termios.TCIFLUSH)
                self._backlog = backlog[0]
            return _SPEEDS.get(termios.tcgetattr(self._peer)[4])
        return None

    async def send(self, data: bytes) -> None:
        """Write ``data`` to the simulator's end."""
        assert self._fd is not None
        await write_fd(self._fd, data)

    async def stop(self) -> None:
        """Close our ends and stop socat."""
        for fd in (self._fd, self._peer):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._fd = self._peer = None
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            try:
                async with asyncio.timeout(2.0):
                    await self.proc.wait()
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        for link in (self.path, self.sim_path):
            if link.is_symlink():
                with contextlib.suppress(OSError):
                    link.unlink()

    async def __aenter__(self) -> Self:
        """Start."""
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        """Stop."""
        await self.stop()
