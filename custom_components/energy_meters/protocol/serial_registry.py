"""
One shared, reference-counted serial session per port (:class:`SessionRegistry`).

Two users of the same port (``/dev/serial/by-id/…`` and ``/dev/ttyUSB0`` are the
same port) get the same :class:`~.serial_session.SerialSession`, so there is one
owner whose exclusive exchanges queue every request.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
from dataclasses import dataclass
import os

from .serial_link import DEFAULT_OPEN_TIMEOUT, PortAccessError, SerialSettings
from .serial_session import SerialSession


@dataclass(slots=True)
class _Entry:
    session: SerialSession
    refs: int


def _port_key(url: str) -> str:
    """One key per physical port: local paths are resolved (by-id links, relative paths)."""
    url = url.strip()
    if "://" in url:
        return url
    return os.path.realpath(url)


class SessionRegistry:
    """
    One shared, reference-counted :class:`SerialSession` per port.

    ``acquire`` returns the port's session (opening it on first use, reopening it if it
    was lost); ``release`` closes it when its last user lets go. Two users asking for
    different character formats on one port get :class:`PortAccessError`; the baud rate
    may differ (the owner of an exchange sets it).
    """

    def __init__(self) -> None:
        """Start empty."""
        self._entries: dict[str, _Entry] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def __len__(self) -> int:
        """Return the number of ports held."""
        return len(self._entries)

    def refcount(self, session: SerialSession) -> int:
        """How many users hold ``session`` (0 if not from this registry)."""
        return next((e.refs for e in self._entries.values() if e.session is session), 0)

    async def acquire(
        self, url: str, settings: SerialSettings, *, open_timeout: float = DEFAULT_OPEN_TIMEOUT
    ) -> SerialSession:
        """Return the open session of ``url`` (get or create; one more reference)."""
        key = await asyncio.get_running_loop().run_in_executor(None, _port_key, url)
        async with self._locks.setdefault(key, asyncio.Lock()):
            entry = self._entries.get(key)
            if entry is None:
                session = SerialSession(url, settings, open_timeout=open_timeout)
                await session.open()
                self._entries[key] = _Entry(session, 1)
                return session
            ours = entry.session.settings
            if (ours.bytesize, ours.parity, ours.stopbits) != (
                settings.bytesize,
                settings.parity,
                settings.stopbits,
            ):
                raise PortAccessError(
                    f"{url}: port is in use by another meter with {ours.format},"
                    f" {settings.format} was requested"
                )
            await entry.session.open()
            entry.refs += 1
            return entry.session

    async def release(self, session: SerialSession) -> None:
        """Drop one reference; the last one closes the session."""
        for key, entry in list(self._entries.items()):
            if entry.session is session:
                async with self._locks[key]:
                    entry.refs -= 1
                    if entry.refs > 0:
                        return
                    del self._entries[key]
                await session.close()
                return

    @contextlib.asynccontextmanager
    async def session(
        self, url: str, settings: SerialSettings, *, open_timeout: float = DEFAULT_OPEN_TIMEOUT
    ) -> AsyncIterator[SerialSession]:
        """``async with registry.session(url, settings) as s``: acquire, then release."""
        session = await self.acquire(url, settings, open_timeout=open_timeout)
        try:
            yield session
        finally:
            await self.release(session)

    async def close_all(self) -> None:
        """Close every session, whatever its reference count."""
        entries, self._entries = list(self._entries.values()), {}
        for entry in entries:
            await entry.session.close()
