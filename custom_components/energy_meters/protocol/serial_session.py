"""
One owner per serial port: request/response exchanges and unsolicited data, on serialx.

A :class:`SerialSession` owns an open port. Every byte received goes to exactly one
place: to the caller holding :meth:`SerialSession.exclusive` (a FIFO lock: a poll, a
"read now" press, a second press while the first runs; each waits its turn and no
other caller can take its reply), otherwise to the push buffer read by
:meth:`SerialSession.stream` / :meth:`SerialSession.read_chunk` (unsolicited frames:
Linky TIC, DLMS push). Bytes left unread when an exchange ends are dropped, never
handed to the push reader (bytes still on their way then arrive as push data).

The baud rate of an open port changes with :meth:`SerialChannel.set_baudrate`: the
output is drained to the wire first (serialx flushes both kernel queues on
reconfiguration, anything not yet sent would be lost). Over raw TCP (``socket://``,
``tcp://``) the speed is the server's business: serialx accepts the call and changes
nothing, so the session refuses with :class:`BaudChangeUnsupportedError`.

:class:`SessionRegistry` hands out one reference-counted session per port, so two
users of the same port share one owner.
"""

# Read timeouts are part of this API (ASYNC109): a read that times out leaves its bytes
# buffered and reports them in ReadTimeoutError.partial.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import contextlib
from dataclasses import replace
import logging
import time
from typing import TYPE_CHECKING, Final, Self
from urllib.parse import urlsplit

import serialx
from serialx.descriptor_transport import DescriptorTransport

from .serial_link import (
    CLOSE_TIMEOUT,
    DEFAULT_OPEN_TIMEOUT,
    SerialLinkError,
    SerialSettings,
    _describe,
    create_connection,
)

if TYPE_CHECKING:
    from types import TracebackType

    from serialx import BaseSerialTransport

_LOGGER = logging.getLogger(__name__)

DEFAULT_BUFFER_LIMIT: Final = 64 * 1024
"""Bytes kept per receive buffer; beyond that the oldest bytes are dropped (counted)."""

DEFAULT_CHUNK: Final = 4096
ECHO_MARGIN: Final = 1.0
"""Seconds allowed for an echo on top of twice its transmission time."""

FIXED_SPEED_SCHEMES: Final = frozenset({"socket", "tcp"})
"""URL schemes whose speed is set by the server, not by us (raw TCP)."""


class BaudChangeUnsupportedError(SerialLinkError):
    """The link cannot change its speed (raw TCP: the server sets it)."""


class EchoMismatchError(SerialLinkError):
    """A half-duplex head did not echo what was sent (the bytes received stay readable)."""

    def __init__(self, message: str, sent: bytes, received: bytes) -> None:
        """Carry what was sent and what came back instead."""
        super().__init__(message)
        self.sent = sent
        self.received = received


class ReadTimeoutError(TimeoutError):
    """Nothing complete arrived in time; ``partial`` is what is buffered (still unread)."""

    def __init__(self, message: str, partial: bytes) -> None:
        """Carry the bytes buffered so far."""
        super().__init__(message)
        self.partial = partial


def can_change_baud(url: str) -> bool:
    """Whether a link opened on ``url`` can change its speed (False for raw TCP)."""
    return urlsplit(url.strip()).scheme.lower() not in FIXED_SPEED_SCHEMES


class _Inbox:
    """A receive buffer with blocking reads; the link's error is raised once it is empty."""

    def __init__(self, limit: int) -> None:
        self._buf = bytearray()
        self._limit = limit
        self._event = asyncio.Event()
        self._error: SerialLinkError | None = None
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> None:
        self._buf += data
        if (excess := len(self._buf) - self._limit) > 0:
            del self._buf[:excess]
            self.dropped += excess
        self._event.set()

    def fail(self, error: SerialLinkError) -> None:
        if self._error is None:
            self._error = error
        self._event.set()

    def clear(self) -> int:
        count = len(self._buf)
        self._buf.clear()
        return count

    def peek(self, count: int) -> bytes:
        return bytes(self._buf[:count])

    def take(self, count: int) -> bytes:
        data = bytes(self._buf[:count])
        del self._buf[:count]
        return data

    async def wait(self, ready: Callable[[], int], timeout: float | None, what: str) -> int:
        """Wait until ``ready()`` is positive (a byte count) and return it."""
        try:
            async with asyncio.timeout(timeout):
                while (count := ready()) <= 0:
                    if self._error is not None:
                        raise SerialLinkError(str(self._error)) from self._error
                    self._event.clear()
                    await self._event.wait()
        except TimeoutError:
            raise ReadTimeoutError(
                f"{what} not received within {timeout:g} s ({len(self._buf)} bytes buffered)",
                bytes(self._buf),
            ) from None
        return count

    async def read_chunk(self, max_bytes: int, timeout: float | None) -> bytes:
        if max_bytes < 1:
            raise ValueError("max_bytes must be at least 1")
        count = await self.wait(lambda: min(len(self._buf), max_bytes), timeout, "data")
        return self.take(count)

    async def read_until(self, terminator: bytes, timeout: float | None) -> bytes:
        if not terminator:
            raise ValueError("terminator must not be empty")

        def ready() -> int:
            index = self._buf.find(terminator)
            return index + len(terminator) if index >= 0 else 0

        return self.take(await self.wait(ready, timeout, f"{terminator!r}"))

    async def wait_exactly(self, count: int, timeout: float | None) -> None:
        if count < 1:
            raise ValueError("count must be at least 1")
        await self.wait(lambda: count if len(self._buf) >= count else 0, timeout, f"{count} bytes")

    async def read_exactly(self, count: int, timeout: float | None) -> bytes:
        await self.wait_exactly(count, timeout)
        return self.take(count)


class _SessionProtocol(asyncio.Protocol):
    """Routes received bytes to the session; write flow control for :meth:`drain`."""

    def __init__(
        self,
        on_data: Callable[[_SessionProtocol, bytes], None],
        on_lost: Callable[[_SessionProtocol, Exception | None], None],
    ) -> None:
        self._on_data = on_data
        self._on_lost = on_lost
        self._paused = False
        self._lost = False
        self._drain_waiter: asyncio.Future[None] | None = None

    def data_received(self, data: bytes) -> None:
        self._on_data(self, data)

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        self._wake_drain()
        self._on_lost(self, exc)

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        self._wake_drain()

    def _wake_drain(self) -> None:
        if self._drain_waiter is not None and not self._drain_waiter.done():
            self._drain_waiter.set_result(None)

    async def drain(self) -> None:
        while self._paused and not self._lost:
            self._drain_waiter = asyncio.get_running_loop().create_future()
            await self._drain_waiter


class SerialChannel:
    """The port while an exchange owns it (from :meth:`SerialSession.exclusive`)."""

    def __init__(self, session: SerialSession, inbox: _Inbox) -> None:
        """Bind to ``session``; only :meth:`SerialSession.exclusive` creates channels."""
        self._session = session
        self._inbox = inbox

    @property
    def settings(self) -> SerialSettings:
        """The session's current settings (the baud rate follows :meth:`set_baudrate`)."""
        return self._session.settings

    @property
    def can_change_baud(self) -> bool:
        """Whether :meth:`set_baudrate` can work on this link."""
        return self._session.can_change_baud

    @property
    def pending(self) -> int:
        """Bytes received for this exchange and not read yet."""
        return len(self._inbox)

    def _check(self) -> _Inbox:
        if self._session._channel is not self._inbox:  # noqa: SLF001 - the session's own part
            raise RuntimeError("this exchange is over: use it only inside its exclusive() block")
        return self._inbox

    async def read_chunk(
        self, max_bytes: int = DEFAULT_CHUNK, timeout: float | None = None
    ) -> bytes:
        """Return the next 1..max_bytes bytes (:class:`ReadTimeoutError` after ``timeout``)."""
        return await self._check().read_chunk(max_bytes, timeout)

    async def read_until(self, terminator: bytes, timeout: float | None) -> bytes:
        """Return the bytes up to and including ``terminator``."""
        return await self._check().read_until(terminator, timeout)

    async def read_exactly(self, count: int, timeout: float | None) -> bytes:
        """Return exactly ``count`` bytes."""
        return await self._check().read_exactly(count, timeout)

    async def flush_input(self) -> int:
        """Drop what was received and not read, and the kernel's input queue; return the count."""
        inbox = self._check()
        self._session._flush_kernel_input()  # noqa: SLF001
        return inbox.clear()

    async def write(
        self, data: bytes, *, discard_echo: bool = False, echo_timeout: float | None = None
    ) -> None:
        """
        Send ``data`` and wait until it has left the port (drain, then tcdrain).

        ``discard_echo`` (half-duplex IR heads see their own light): the same bytes are
        then read back and dropped. If they do not come back as sent within
        ``echo_timeout`` (default: twice their transmission time plus one second),
        :class:`EchoMismatchError` is raised and what arrived stays readable.
        """
        inbox = self._check()
        await self._session._send(data)  # noqa: SLF001
        if not discard_echo or not data:
            return
        if echo_timeout is None:
            echo_timeout = 2 * self._session._transmit_seconds(len(data)) + ECHO_MARGIN  # noqa: SLF001
        try:
            await inbox.wait_exactly(len(data), echo_timeout)
        except ReadTimeoutError as err:
            raise EchoMismatchError(
                f"{self._session.url}: no echo of the {len(data)} bytes sent"
                f" (received {err.partial!r})",
                data,
                err.partial,
            ) from None
        if (echo := inbox.peek(len(data))) != data:
            raise EchoMismatchError(
                f"{self._session.url}: echo {echo!r} differs from the bytes sent {data!r}",
                data,
                echo,
            )
        inbox.take(len(data))

    async def set_baudrate(self, baudrate: int) -> None:
        """
        Change the speed of the open port, after draining the output to the wire.

        Bytes received and not read are dropped, before the port is reconfigured
        (serialx flushes the kernel's queues): what arrives at the new speed is kept.
        Raises :class:`BaudChangeUnsupportedError` over raw TCP, :class:`SerialLinkError`
        when the port refuses the speed (the previous speed is then kept).
        """
        inbox = self._check()
        await self._session._set_baudrate(baudrate, before_switch=inbox.clear)  # noqa: SLF001


class SerialSession:
    """
    The single owner of one serial port (any URL serialx opens).

    Create it, ``await open()``, then use :meth:`exclusive` for request/response
    exchanges and :meth:`stream` / :meth:`read_chunk` / :meth:`read_until` /
    :meth:`read_exactly` for unsolicited data. ``open()`` after a loss or a ``close()``
    reopens with the initial settings. Errors are :class:`SerialLinkError` subclasses,
    read timeouts :class:`ReadTimeoutError` (a :class:`TimeoutError`).
    """

    def __init__(
        self,
        url: str,
        settings: SerialSettings,
        *,
        open_timeout: float = DEFAULT_OPEN_TIMEOUT,
        buffer_limit: int = DEFAULT_BUFFER_LIMIT,
    ) -> None:
        """Prepare a session (nothing is opened before :meth:`open`)."""
        if buffer_limit < 1:
            raise ValueError("buffer_limit must be at least 1")
        self._url = url
        self._initial = settings
        self._settings = settings
        self._open_timeout = open_timeout
        self._limit = buffer_limit
        self._transport: BaseSerialTransport | None = None
        self._protocol: _SessionProtocol | None = None
        self._pty_8n1 = False
        self._line_free_at = 0.0  # monotonic time the last write has left a real UART
        self._push = _Inbox(buffer_limit)
        self._push.fail(SerialLinkError(f"{url}: session is not open"))
        self._channel: _Inbox | None = None  # the receive buffer of the running exchange
        self._exclusive = asyncio.Lock()
        self._open_lock = asyncio.Lock()
        self._lost: SerialLinkError | None = None
        self._closed = False  # by close(): streams then end instead of raising
        self.bytes_received = 0
        self.bytes_sent = 0
        self.dropped = 0
        """Bytes dropped: buffer overflow, or unread when an exchange ended."""

    # ---- state ----

    @property
    def url(self) -> str:
        """The URL of the port."""
        return self._url

    @property
    def settings(self) -> SerialSettings:
        """The requested format and the current baud rate."""
        return self._settings

    @property
    def pty_8n1(self) -> bool:
        """Whether the port is a pty opened as 8N1 in place of the format requested."""
        return self._pty_8n1

    @property
    def can_change_baud(self) -> bool:
        """False over raw TCP (``socket://``, ``tcp://``); True for ttys, rfc2217, ESPHome."""
        return can_change_baud(self._url)

    @property
    def is_open(self) -> bool:
        """Whether the port is open and not lost."""
        return (
            self._transport is not None and self._lost is None and not self._transport.is_closing()
        )

    @property
    def pending(self) -> int:
        """Unsolicited bytes received and not read yet."""
        return len(self._push)

    @property
    def busy(self) -> bool:
        """Whether an exclusive exchange owns the port (or is queued for it)."""
        return self._exclusive.locked()

    def __repr__(self) -> str:
        """Return a debug representation."""
        state = "open" if self.is_open else "closed"
        return f"<SerialSession {self._url!r} {self._settings.baudrate} Bd {state}>"

    # ---- lifecycle ----

    async def open(self) -> None:
        """Open the port (no-op when open; reopens after a loss or close)."""
        async with self._open_lock:
            if self.is_open:
                return
            await self._release_transport()
            protocol = _SessionProtocol(self._data_received, self._connection_lost)
            push = _Inbox(self._limit)
            self._push, self._protocol, self._lost = push, protocol, None
            try:
                transport, applied = await create_connection(
                    self._url, self._initial, lambda: protocol, open_timeout=self._open_timeout
                )
            except BaseException as err:
                self._protocol = None
                push.fail(SerialLinkError(f"{self._url}: session is not open"))
                if isinstance(err, SerialLinkError):
                    self._lost = err
                raise
            self._transport, self._closed = transport, False
            self._settings = self._initial
            self._pty_8n1 = applied != self._initial

    async def close(self) -> None:
        """Close the port (idempotent, bounded in time); pending reads raise, streams end."""
        self._closed = True
        error = SerialLinkError(f"{self._url}: session is closed")
        self._push.fail(error)
        if self._channel is not None:
            self._channel.fail(error)
        await self._release_transport()

    async def _release_transport(self) -> None:
        transport, self._transport, self._protocol = self._transport, None, None
        if transport is None:
            return
        transport.close()
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await transport.wait_closed()
        except TimeoutError:
            _LOGGER.debug("%s: close timed out, aborting", self._url)
            transport.abort()
        except (OSError, serialx.SerialException) as err:
            _LOGGER.debug("%s: error while closing: %s", self._url, err)

    async def __aenter__(self) -> Self:
        """Open and return the session."""
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the session."""
        await self.close()

    # ---- protocol callbacks ----

    def _data_received(self, protocol: _SessionProtocol, data: bytes) -> None:
        if protocol is not self._protocol:
            return
        self.bytes_received += len(data)
        inbox = self._channel if self._channel is not None else self._push
        before = inbox.dropped
        inbox.feed(data)
        self.dropped += inbox.dropped - before

    def _connection_lost(self, protocol: _SessionProtocol, exc: Exception | None) -> None:
        if protocol is not self._protocol:
            return
        if exc is None:
            error = SerialLinkError(f"{self._url}: connection closed by the device or peer")
        else:
            error = SerialLinkError(f"{self._url}: link lost: {_describe(exc)}")
            error.__cause__ = exc
        _LOGGER.debug("%s", error)
        self._lost = error
        self._push.fail(error)
        if self._channel is not None:
            self._channel.fail(error)

    # ---- exchanges ----

    @contextlib.asynccontextmanager
    async def exclusive(self, *, timeout: float | None = None) -> AsyncIterator[SerialChannel]:
        """
        Own the port for one request/response exchange: ``async with s.exclusive() as ch``.

        Callers queue in FIFO order (``timeout`` bounds the wait: :class:`TimeoutError`).
        While the block runs every byte received goes to ``ch`` only; unread bytes are
        dropped at the end. Raises :class:`SerialLinkError` if the port is not open.
        """
        async with asyncio.timeout(timeout):
            await self._exclusive.acquire()
        try:
            self._require_transport()
            inbox = _Inbox(self._limit)
            channel = SerialChannel(self, inbox)
            self._channel = inbox
            try:
                yield channel
            finally:
                inbox.fail(SerialLinkError("this exchange is over"))
                self._channel = None
                if leftover := inbox.clear():
                    self.dropped += leftover
                    _LOGGER.debug(
                        "%s: %d unread bytes dropped after an exchange", self._url, leftover
                    )
        finally:
            self._exclusive.release()

    async def write(
        self, data: bytes, *, discard_echo: bool = False, echo_timeout: float | None = None
    ) -> None:
        """Send ``data`` as a one-write exchange (see :meth:`SerialChannel.write`)."""
        async with self.exclusive() as channel:
            await channel.write(data, discard_echo=discard_echo, echo_timeout=echo_timeout)

    async def set_baudrate(self, baudrate: int) -> None:
        """Change the speed once the port is free (see :meth:`SerialChannel.set_baudrate`)."""
        async with self.exclusive() as channel:
            await channel.set_baudrate(baudrate)

    # ---- unsolicited data ----

    async def read_chunk(
        self, max_bytes: int = DEFAULT_CHUNK, timeout: float | None = None
    ) -> bytes:
        """Return the next 1..max_bytes unsolicited bytes; raise when the link is lost or closed."""
        return await self._push.read_chunk(max_bytes, timeout)

    async def read_until(self, terminator: bytes, timeout: float | None) -> bytes:
        """Return unsolicited bytes up to and including ``terminator``."""
        return await self._push.read_until(terminator, timeout)

    async def read_exactly(self, count: int, timeout: float | None) -> bytes:
        """Return exactly ``count`` unsolicited bytes."""
        return await self._push.read_exactly(count, timeout)

    async def stream(self, max_bytes: int = DEFAULT_CHUNK) -> AsyncIterator[bytes]:
        """Yield unsolicited chunks; ends when the session is closed, raises when the link is lost."""
        while True:
            try:
                chunk = await self._push.read_chunk(max_bytes, None)
            except SerialLinkError:
                if self._closed:
                    return
                raise
            yield chunk

    async def flush_input(self) -> int:
        """Drop unsolicited bytes not read yet (and the kernel's queue if the port is free)."""
        if self._channel is None:
            self._flush_kernel_input()
        return self._push.clear()

    # ---- internals used by SerialChannel ----

    def _require_transport(self) -> BaseSerialTransport:
        if self._lost is not None:
            raise SerialLinkError(str(self._lost)) from self._lost
        if self._transport is None:
            raise SerialLinkError(f"{self._url}: session is not open")
        return self._transport

    def _flush_kernel_input(self) -> None:
        transport = self._transport
        if isinstance(transport, DescriptorTransport) and not transport.is_closing():
            try:
                transport.serial.reset_read_buffer()
            except OSError as err:  # not a tty (tests, exotic drivers): nothing to flush
                _LOGGER.debug("%s: cannot flush the input queue: %s", self._url, err)

    def _transmit_seconds(self, count: int) -> float:
        s = self._settings
        bits = 1 + s.bytesize + (s.parity != "N") + s.stopbits
        return count * bits / s.baudrate

    async def _send(self, data: bytes) -> None:
        transport = self._require_transport()
        protocol = self._protocol
        assert protocol is not None
        try:
            transport.write(data)
            await protocol.drain()
            await transport.flush()
        except (OSError, serialx.SerialException) as err:
            raise SerialLinkError(f"{self._url}: write failed: {_describe(err)}") from err
        self.bytes_sent += len(data)
        self._line_free_at = time.monotonic() + self._transmit_seconds(len(data))

    async def _set_baudrate(
        self, baudrate: int, *, before_switch: Callable[[], object] | None = None
    ) -> None:
        if baudrate < 1:
            raise ValueError("baudrate must be positive")
        if not self.can_change_baud:
            scheme = urlsplit(self._url.strip()).scheme.lower()
            raise BaudChangeUnsupportedError(
                f"{self._url}: cannot change the speed to {baudrate} Bd over {scheme}://"
                " (raw TCP carries bytes only; the server sets the speed: use rfc2217://)"
            )
        old = self._settings.baudrate
        if baudrate == old:
            if before_switch is not None:
                before_switch()
            return
        transport = self._require_transport()
        protocol = self._protocol
        assert protocol is not None
        try:
            await protocol.drain()
            await transport.flush()  # serialx flushes both queues: send everything first
            if self._pty_8n1 and (wait := self._line_free_at - time.monotonic()) > 0:
                # A pty has no UART: tcdrain returns at once, and the flush of the
                # reconfiguration would discard what the bridge has not read yet (the
                # IEC ACK). Give it the time the bytes take on a real line.
                await asyncio.sleep(wait)
            if before_switch is not None:
                before_switch()  # drop what came at the old speed, keep what comes at the new
            await transport.reconfigure_port(baudrate=baudrate)
        except (OSError, serialx.SerialException) as err:
            with contextlib.suppress(Exception):
                await transport.reconfigure_port(baudrate=old)
            raise SerialLinkError(
                f"{self._url}: cannot change the speed to {baudrate} Bd: {_describe(err)}"
            ) from err
        self._settings = replace(self._settings, baudrate=baudrate)
        _LOGGER.debug("%s: speed changed from %d to %d Bd", self._url, old, baudrate)
