"""
The IEC 62056-21 readout over the shared serial session.

:class:`ChannelTransport` adapts a :class:`~..serial_session.SerialChannel` (the port
while one exchange owns it) to :class:`~..iec62056.session.Iec62056Transport`.
:func:`read_out_with_fallback` retries at the sign-on speed when a meter refuses the
baud switch (it ACKs but keeps talking at 300 Bd, or the head cannot follow).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from ..iec62056 import Iec62056Error
from ..iec62056.messages import BREAK_MESSAGE, SIGN_ON_BAUDRATE
from ..iec62056.session import (
    Iec62056Transport,
    SessionOptions,
    SessionResult,
    Sleep,
    read_out,
)

if TYPE_CHECKING:
    from ..serial_session import SerialChannel

RETRY_PAUSE: float = 1.6
"""Seconds a meter needs to drop an aborted session (IEC 62056-21 tt > 1.5 s)."""


class SpeedTransport(Iec62056Transport, Protocol):
    """A transport that tells its current speed."""

    @property
    def baudrate(self) -> int:
        """The current speed of the port."""
        ...


class ChannelTransport:
    """An :class:`Iec62056Transport` over one exclusive exchange of a serial session."""

    def __init__(self, channel: SerialChannel) -> None:
        """Wrap ``channel`` (valid only inside its ``exclusive()`` block)."""
        self._channel = channel

    @property
    def can_change_baud(self) -> bool:
        """False over raw TCP: the readout then stays at the sign-on speed."""
        return self._channel.can_change_baud

    @property
    def baudrate(self) -> int:
        """The current speed of the port."""
        return self._channel.settings.baudrate

    async def write(self, data: bytes) -> None:
        """Send bytes (an echoing head's echo is skipped by the readout session)."""
        await self._channel.write(data)

    async def read_until(self, terminator: bytes, seconds: float) -> bytes:
        """Bytes up to ``terminator``; TimeoutError after ``seconds``."""
        return await self._channel.read_until(terminator, seconds)

    async def read_exactly(self, count: int, seconds: float) -> bytes:
        """Exactly ``count`` bytes; TimeoutError after ``seconds``."""
        return await self._channel.read_exactly(count, seconds)

    async def set_baudrate(self, baudrate: int) -> None:
        """Drain the output, then switch speed."""
        await self._channel.set_baudrate(baudrate)


async def read_out_with_fallback(
    transport: SpeedTransport,
    options: SessionOptions,
    *,
    sleep: Sleep = asyncio.sleep,
) -> SessionResult:
    """
    Run one readout; if it fails after a baud switch, say goodbye and retry at 300 Bd.

    A silent meter (no identification) is not retried: it raises at once.
    """
    try:
        return await read_out(transport, options, sleep=sleep)
    except Iec62056Error:
        if not options.switch_baudrate or transport.baudrate == SIGN_ON_BAUDRATE:
            raise  # nothing was switched (a silent meter, mode A): a retry reads the same
    await transport.write(BREAK_MESSAGE)
    await sleep(RETRY_PAUSE)
    return await read_out(transport, replace(options, switch_baudrate=False), sleep=sleep)
