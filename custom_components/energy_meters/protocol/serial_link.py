"""
Asynchronous byte link to a meter, over serialx.

serialx opens every URL the integration accepts with the same asyncio API
(``serialx.open_serial_connection``): local devices (``/dev/ttyUSB0``,
``/dev/serial/by-id/…``), raw TCP (``socket://host:port``, ``tcp://host:port``,
e.g. ser2net), RFC 2217 (``rfc2217://host:port``) and ESPHome serial proxies
(``esphome://…``). This module hides serialx behind :class:`SerialLink` and turns
every failure into a :class:`SerialLinkError` with a message a user can act on.

No thread, no executor of ours: serialx's transports run on the event loop.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
import errno
import logging
import os
from pathlib import Path
import socket
from typing import TYPE_CHECKING, Any, Final, Self

import serialx
from serialx.common import UnknownUriScheme

if TYPE_CHECKING:
    from types import TracebackType

_LOGGER = logging.getLogger(__name__)

DEFAULT_OPEN_TIMEOUT: Final = 10.0
"""Seconds allowed to open a port (TCP connect, RFC 2217 negotiation, ESPHome API)."""

CLOSE_TIMEOUT: Final = 2.0
"""Seconds allowed to close a port before giving up waiting."""

_PTY_MAJORS: Final = frozenset(range(136, 144))
"""Character-device majors of Unix98 pseudo-terminal slaves (/dev/pts/*)."""
_NOT_FOUND_ERRNOS: Final = frozenset({errno.ENOENT, errno.ENODEV, errno.ENXIO, errno.ENOTDIR})
_ACCESS_ERRNOS: Final = frozenset({errno.EACCES, errno.EPERM, errno.EBUSY, errno.EROFS})


class SerialLinkError(Exception):
    """The link cannot be opened or was lost (disconnect, EOF, I/O error)."""


class PortNotFoundError(SerialLinkError):
    """The device, or the remote host, does not exist."""


class PortAccessError(SerialLinkError):
    """The device exists but cannot be used: permission denied or in use."""


class InvalidPortUrlError(SerialLinkError):
    """The URL is malformed or its scheme is not supported."""


@dataclass(frozen=True, slots=True)
class SerialSettings:
    """Character format and speed; the TIC default is 7E1."""

    baudrate: int
    bytesize: int = 7
    parity: str = "E"
    stopbits: int = 1


class SerialLink:
    """An open byte stream to a meter; create it with :func:`open_serial`."""

    def __init__(
        self,
        url: str,
        settings: SerialSettings,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        """Wrap an opened serialx stream pair (use :func:`open_serial`)."""
        self._url = url
        self._settings = settings
        self._reader = reader
        self._writer = writer
        self._closed = False

    @property
    def url(self) -> str:
        """The URL this link was opened with."""
        return self._url

    @property
    def settings(self) -> SerialSettings:
        """The serial settings this link was opened with."""
        return self._settings

    @property
    def is_closed(self) -> bool:
        """Whether :meth:`close` was called or the link was lost."""
        return self._closed or self._writer.transport.is_closing()

    async def read(self, max_bytes: int = 4096) -> bytes:
        """
        Return the next 1..max_bytes bytes; wait until some arrive.

        Raises :class:`SerialLinkError` when the link is closed, at end of stream
        (peer closed, device unplugged) and on I/O errors: it never returns ``b""``.
        """
        if max_bytes < 1:
            raise ValueError("max_bytes must be at least 1")
        if self._closed:
            raise SerialLinkError(f"{self._url}: link is closed")
        try:
            data = await self._reader.read(max_bytes)
        except (OSError, serialx.SerialException) as err:
            raise SerialLinkError(f"{self._url}: read failed: {_describe(err)}") from err
        if not data:
            raise SerialLinkError(f"{self._url}: connection closed by the device or peer")
        return data

    async def write(self, data: bytes) -> None:
        """Send ``data`` and wait until the transport buffer drains."""
        if self._closed:
            raise SerialLinkError(f"{self._url}: link is closed")
        try:
            self._writer.write(data)
            await self._writer.drain()
        except (OSError, serialx.SerialException) as err:
            raise SerialLinkError(f"{self._url}: write failed: {_describe(err)}") from err

    async def close(self) -> None:
        """Close the port (idempotent, never raises, bounded in time)."""
        if self._closed:
            return
        self._closed = True
        writer = self._writer
        writer.close()
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await writer.wait_closed()
        except TimeoutError:
            _LOGGER.debug("%s: close timed out, aborting", self._url)
            writer.transport.abort()
        except (OSError, serialx.SerialException) as err:
            _LOGGER.debug("%s: error while closing: %s", self._url, err)

    async def __aenter__(self) -> Self:
        """Return the (already open) link."""
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the link."""
        await self.close()

    def __repr__(self) -> str:
        """Return a debug representation."""
        state = "closed" if self.is_closed else "open"
        return f"<SerialLink {self._url!r} {self._settings.baudrate} Bd {state}>"


async def open_serial(
    url: str, settings: SerialSettings, *, open_timeout: float = DEFAULT_OPEN_TIMEOUT
) -> SerialLink:
    """
    Open ``url`` with ``settings`` and return a :class:`SerialLink`.

    Raises :class:`PortNotFoundError` (missing device, unknown host),
    :class:`PortAccessError` (permission denied, port in use),
    :class:`InvalidPortUrlError` (malformed URL, unsupported scheme) or
    :class:`SerialLinkError` (anything else: refused connection, timeout, not a
    serial port, unsupported setting).
    """
    if not url or not url.strip():
        raise InvalidPortUrlError("empty serial port URL")
    kwargs: dict[str, Any] = {
        "baudrate": settings.baudrate,
        "byte_size": settings.bytesize,
        "parity": settings.parity,
        "stopbits": settings.stopbits,
    }
    try:
        async with asyncio.timeout(open_timeout):
            reader, writer = await serialx.open_serial_connection(url, **kwargs)
    except TimeoutError as err:
        raise SerialLinkError(f"{url}: timed out after {open_timeout:g} s while opening") from err
    except Exception as err:
        if _is_pty_refusing_parity(url, err, settings):
            # Linux ptys (simulators, socat bridges) force 8N1: a 7E1 request that
            # changes nothing else is refused with EINVAL. Bytes arrive the same.
            _LOGGER.debug("%s: pseudo-terminal refuses 7E1, using 8N1", url)
            return await open_serial(
                url, replace(settings, bytesize=8, parity="N"), open_timeout=open_timeout
            )
        raise _open_error(url, err) from err
    _LOGGER.debug("%s: opened at %s Bd", url, settings.baudrate)
    return SerialLink(url, settings, reader, writer)


def _is_pty_refusing_parity(url: str, err: Exception, settings: SerialSettings) -> bool:
    """Tell whether ``err`` is a pty refusing a character format it cannot apply."""
    cause: BaseException | None = err
    while cause is not None and not isinstance(cause, OSError):
        cause = cause.__cause__ or cause.__context__
    if cause is None or cause.errno != errno.EINVAL:
        return False
    if settings.bytesize == 8 and settings.parity == "N":
        return False
    try:
        return os.major(Path(url).stat().st_rdev) in _PTY_MAJORS
    except OSError, ValueError:
        return False


def _describe(err: BaseException) -> str:
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    return str(err) or type(err).__name__


def _open_error(url: str, err: Exception) -> SerialLinkError:
    """Map an exception raised while opening ``url`` to a :class:`SerialLinkError`."""
    if isinstance(err, SerialLinkError):
        return err
    if isinstance(err, socket.gaierror):
        return PortNotFoundError(f"{url}: host not found ({_describe(err)})")
    if isinstance(err, ConnectionRefusedError):
        return SerialLinkError(f"{url}: connection refused")
    if isinstance(err, OSError):
        if err.errno in _NOT_FOUND_ERRNOS:
            return PortNotFoundError(f"{url}: no such device ({_describe(err)})")
        if err.errno == errno.EBUSY:
            return PortAccessError(f"{url}: port is in use by another program")
        if err.errno in _ACCESS_ERRNOS:
            return PortAccessError(f"{url}: permission denied ({_describe(err)})")
        if err.errno == errno.ENOTTY:
            return SerialLinkError(f"{url}: not a serial port")
        return SerialLinkError(f"{url}: cannot open ({_describe(err)})")
    if isinstance(err, serialx.UnsupportedSetting):
        return SerialLinkError(f"{url}: unsupported serial setting ({err})")
    if isinstance(err, serialx.SerialException):
        if isinstance(err, UnknownUriScheme):
            if url.startswith("esphome://"):
                return InvalidPortUrlError(
                    f"{url}: ESPHome serial proxies need the aioesphomeapi package"
                )
            return InvalidPortUrlError(f"{url}: unsupported URL scheme")
        return SerialLinkError(f"{url}: cannot open ({err})")
    if isinstance(err, ValueError):
        return InvalidPortUrlError(f"{url}: invalid URL ({err})")
    return SerialLinkError(f"{url}: cannot open ({type(err).__name__}: {err})")
