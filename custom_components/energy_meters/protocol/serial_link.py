"""
Asynchronous byte link to a meter, over serialx.

serialx opens every URL the integration accepts with the same asyncio API
(``serialx.open_serial_connection``): local devices (``/dev/ttyUSB0``,
``/dev/serial/by-id/…``), raw TCP (``socket://host:port``, ``tcp://host:port``,
e.g. ser2net), RFC 2217 (``rfc2217://host:port``) and ESPHome serial proxies
(``esphome://…``). This module hides serialx behind :class:`SerialLink` and turns
every failure into a :class:`SerialLinkError` with a message a user can act on.
:mod:`.serial_session` builds the shared, request/response-capable session on the
same opener (:func:`create_connection`).

No thread of ours: serialx's transports run on the event loop.

Pseudo-terminals and 7E1: a Linux pty has no UART. The kernel's ``pty_set_termios``
silently forces ``CS8`` and clears ``PARENB``, and glibc (2.42 and later) then reports
``EINVAL`` from ``tcsetattr`` when none of the requested changes took effect, i.e. when a
7E1 request changes nothing else (reopening at the same speed). The bytes carried are
the same either way. ``SerialSettings(allow_pty_8n1=True)`` opens a pty as 8N1 directly;
without it a pty refusing the format is an error saying so. Virtual serial ports are
ptys (socat or ttynvt bridges to a remote dongle, the simulators), real UARTs never are.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
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

    from serialx import BaseSerialTransport

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
    """
    Character format and speed; the TIC default is 7E1.

    ``allow_pty_8n1``: open a pseudo-terminal (``/dev/pts/*``, e.g. a socat bridge) as
    8N1, since a pty cannot apply any other format (see the module docstring). Only
    ptys are affected; a real port always gets the requested format or an error.
    """

    baudrate: int
    bytesize: int = 7
    parity: str = "E"
    stopbits: int = 1
    allow_pty_8n1: bool = False

    @property
    def is_8n1(self) -> bool:
        """Whether the character format is 8 data bits, no parity, 1 stop bit."""
        return self.bytesize == 8 and self.parity == "N" and self.stopbits == 1

    @property
    def format(self) -> str:
        """The character format in the usual short notation, e.g. ``7E1``."""
        return f"{self.bytesize}{self.parity}{self.stopbits}"


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
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(loop=loop)
    protocol = asyncio.StreamReaderProtocol(reader, loop=loop)
    transport, _ = await create_connection(
        url, settings, lambda: protocol, open_timeout=open_timeout
    )
    writer = asyncio.StreamWriter(transport, protocol, reader, loop)
    return SerialLink(url, settings, reader, writer)


async def create_connection(
    url: str,
    settings: SerialSettings,
    protocol_factory: Callable[[], asyncio.Protocol],
    *,
    open_timeout: float = DEFAULT_OPEN_TIMEOUT,
) -> tuple[BaseSerialTransport, SerialSettings]:
    """
    Open ``url`` for ``protocol_factory``'s protocol; return the transport and the settings applied.

    The settings applied differ from ``settings`` only for a pty opened with
    ``allow_pty_8n1`` (8N1). Errors are those of :func:`open_serial`.
    """
    if not url or not url.strip():
        raise InvalidPortUrlError("empty serial port URL")
    applied = settings
    if settings.allow_pty_8n1 and not settings.is_8n1 and await _is_pty_async(url):
        _LOGGER.debug("%s: pseudo-terminal, %s opened as 8N1", url, settings.format)
        applied = replace(settings, bytesize=8, parity="N", stopbits=1)
    kwargs: dict[str, Any] = {
        "baudrate": applied.baudrate,
        "byte_size": applied.bytesize,
        "parity": applied.parity,
        "stopbits": applied.stopbits,
    }
    try:
        async with asyncio.timeout(open_timeout):
            transport, _ = await serialx.create_serial_connection(
                asyncio.get_running_loop(), protocol_factory, url, **kwargs
            )
    except TimeoutError as err:
        raise SerialLinkError(f"{url}: timed out after {open_timeout:g} s while opening") from err
    except Exception as err:
        if _errno_of(err) == errno.EINVAL and not applied.is_8n1 and await _is_pty_async(url):
            raise SerialLinkError(
                f"{url}: this pseudo-terminal cannot apply {applied.format} (Linux ptys are"
                " always 8N1); open it with allow_pty_8n1=True"
            ) from err
        raise _open_error(url, err) from err
    _LOGGER.debug("%s: opened at %s Bd %s", url, applied.baudrate, applied.format)
    return transport, applied


def is_pseudo_terminal(url: str) -> bool:
    """Tell whether ``url`` is a local Unix98 pseudo-terminal slave (blocking: stats a file)."""
    if "://" in url:
        return False
    try:
        return os.major(Path(url).stat().st_rdev) in _PTY_MAJORS
    except OSError, ValueError:
        return False


async def _is_pty_async(url: str) -> bool:
    if "://" in url:
        return False
    return await asyncio.get_running_loop().run_in_executor(None, is_pseudo_terminal, url)


def _errno_of(err: BaseException) -> int | None:
    """Return the errno of the first OSError in ``err``'s cause chain."""
    cause: BaseException | None = err
    while cause is not None and not isinstance(cause, OSError):
        cause = cause.__cause__ or cause.__context__
    return cause.errno if cause is not None else None


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
