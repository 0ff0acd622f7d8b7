"""
Duplex meter ports for the optical simulators: a socat pty pair, or a TCP server.

The simulator reads what the client sends and answers; on a pty it also sees the
speed the client set (termios of the client's end), so a meter at 9600 Bd and a
client still at 300 Bd garble each other as real UARTs would.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path
import shutil
import termios
from typing import Protocol, Self

from simulators.tic_transport import write_fd

SPEEDS = {getattr(termios, f"B{b}"): b for b in (300, 600, 1200, 2400, 4800, 9600, 19200)}


class MeterPort(Protocol):
    """What a simulated meter needs from its line."""

    async def read(self) -> bytes:
        """Next bytes from the client (b"" when the client left)."""

    async def write(self, data: bytes) -> None:
        """Send bytes to the client."""

    def client_baudrate(self) -> int | None:
        """Speed the client set on its end; None when it cannot be known (TCP)."""


class PtyPort:
    """A socat pty pair: clients open ``path``; the simulator holds ``path.sim``."""

    def __init__(self, path: str | Path) -> None:
        """Prepare (``start()`` runs socat)."""
        self.path = Path(path)
        self.sim_path = Path(f"{path}.sim")
        self._proc: asyncio.subprocess.Process | None = None
        self._fd: int | None = None
        self._peer: int | None = None
        self._queue: asyncio.Queue[bytes] = asyncio.Queue()

    async def start(self, startup_seconds: float = 5.0) -> Self:
        """Run socat; wait until both ends exist."""
        socat = shutil.which("socat")
        if socat is None:
            raise FileNotFoundError("socat is not installed")
        args = [f"pty,raw,echo=0,link={link}" for link in (self.path, self.sim_path)]
        self._proc = await asyncio.create_subprocess_exec(
            socat, *args, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        async with asyncio.timeout(startup_seconds):
            while not (self.path.exists() and self.sim_path.exists()):  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        self._fd = os.open(self.sim_path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        self._peer = os.open(self.path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        asyncio.get_running_loop().add_reader(self._fd, self._readable)
        return self

    def _readable(self) -> None:
        assert self._fd is not None
        with contextlib.suppress(BlockingIOError):
            data = os.read(self._fd, 4096)
            if data:
                self._queue.put_nowait(data)

    async def read(self) -> bytes:
        """Next bytes from the client."""
        return await self._queue.get()

    async def write(self, data: bytes) -> None:
        """Write to the client (bytes nobody drains within 1 s are lost, as on a line)."""
        assert self._fd is not None
        await write_fd(self._fd, data)

    def client_baudrate(self) -> int | None:
        """Speed the client configured on its end."""
        assert self._peer is not None
        try:
            return SPEEDS.get(termios.tcgetattr(self._peer)[4])
        except OSError:
            return None

    async def stop(self) -> None:
        """Close our ends, stop socat."""
        if self._fd is not None:
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_reader(self._fd)
        for fd in (self._fd, self._peer):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._fd = self._peer = None
        if self._proc is not None and self._proc.returncode is None:
            self._proc.terminate()
            try:
                async with asyncio.timeout(2.0):
                    await self._proc.wait()
            except TimeoutError:
                self._proc.kill()
                await self._proc.wait()

    async def __aenter__(self) -> Self:
        """Start."""
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        """Stop."""
        await self.stop()


class StreamPort:
    """One TCP client of the simulator (speed unknowable: no garbling)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Wrap a connection."""
        self._reader, self._writer = reader, writer

    async def read(self) -> bytes:
        """Next bytes (b"" at end)."""
        return await self._reader.read(4096)

    async def write(self, data: bytes) -> None:
        """Send."""
        self._writer.write(data)
        await self._writer.drain()

    def client_baudrate(self) -> int | None:
        """Unknown over TCP."""
        return None
