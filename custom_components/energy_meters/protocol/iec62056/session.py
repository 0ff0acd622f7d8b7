"""
IEC 62056-21 readout session (modes A, B, C; mode E meters are read in mode C).

Written against :class:`Iec62056Transport`, a small protocol any serial session can offer
(the project's serial session, a pty, a test fake). The flow:

1. the port at 300 Bd (when the transport can change speed), optional wake-up NULs;
2. the request ``/?<address>!``; an echoed request (half-duplex heads) is skipped;
3. the identification; the speed is chosen from its baud character, capped by
   ``max_baudrate``; over a link that cannot change speed (``socket://``) the session stays
   at the sign-on speed and asks the meter to do the same (``Z = 0`` in the ACK);
4. mode C: the ACK / option select after the meter's reaction time, then the switch (the
   transport drains its output first); mode B: the switch without an ACK; mode A: no switch;
5. the data message up to ETX and its BCC; bytes before STX (echoed ACK) are ignored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final, Protocol

from . import Iec62056Error, SessionTimeoutError
from .messages import (
    MODE_C_BAUDRATES,
    SIGN_ON_BAUDRATE,
    WAKE_UP,
    WAKE_UP_PAUSE,
    Identification,
    Mode,
    ack_message,
    mode_c_baud_char,
    parse_identification,
    request_message,
)
from .readout import Readout, parse_data_message

DEFAULT_MAX_BAUDRATE: Final = 9600


class Iec62056Transport(Protocol):
    """What a readout session needs from a serial link."""

    @property
    def can_change_baud(self) -> bool:
        """Whether :meth:`set_baudrate` changes the speed on the wire (False: raw TCP)."""
        ...

    async def write(self, data: bytes) -> None:
        """Send bytes."""
        ...

    async def read_until(self, terminator: bytes, seconds: float) -> bytes:
        """Return bytes up to and including ``terminator``; TimeoutError after ``seconds``."""
        ...

    async def read_exactly(self, count: int, seconds: float) -> bytes:
        """Return exactly ``count`` bytes; TimeoutError after ``seconds``."""
        ...

    async def set_baudrate(self, baudrate: int) -> None:
        """Drain the output, then switch speed (a no-op when it cannot)."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionOptions:
    """How to run a readout."""

    address: str = ""
    max_baudrate: int = DEFAULT_MAX_BAUDRATE
    switch_baudrate: bool = True  # False: stay at 300 Bd (meters that do not follow)
    wake_up: bool = False  # battery meters
    identification_timeout: float = 3.0  # s
    data_timeout: float = 30.0  # s for the whole data message (387 bytes = 13 s at 300 Bd)
    reaction_delay: float | None = None  # s before the ACK; None: from the identification


@dataclass(frozen=True, slots=True)
class SessionResult:
    """A readout and how it was obtained."""

    readout: Readout
    identification: Identification
    baudrate: int


type Sleep = Callable[[float], Awaitable[None]]


def _choose_baudrate(ident: Identification, options: SessionOptions, can_change: bool) -> int:
    if ident.mode is Mode.A or not options.switch_baudrate or not can_change:
        return SIGN_ON_BAUDRATE
    if ident.mode is Mode.B:
        return ident.max_baudrate  # mode B switches unasked: we must follow
    offered = [r for r in MODE_C_BAUDRATES.values() if r <= ident.max_baudrate]
    return max(r for r in offered if r <= max(options.max_baudrate, SIGN_ON_BAUDRATE))


async def read_identification(
    transport: Iec62056Transport, request: bytes, seconds: float
) -> Identification:
    """Read lines until the identification, skipping an echoed request."""
    for _ in range(3):
        line = await transport.read_until(b"\n", seconds)
        if line.rstrip(b"\r\n").endswith(request.rstrip(b"\r\n")):
            continue  # our own request, echoed by the head
        return parse_identification(line)
    msg = "no identification after the echoed request"
    raise Iec62056Error(msg)


async def read_out(
    transport: Iec62056Transport,
    options: SessionOptions | None = None,
    *,
    sleep: Sleep = asyncio.sleep,
) -> SessionResult:
    """
    Run one readout and return the parsed, BCC-checked data message.

    Raises :class:`SessionTimeoutError` when the meter stays silent, and the parsing errors
    of :mod:`.readout` / :mod:`.messages` (all :class:`Iec62056Error`).
    """
    options = options or SessionOptions()
    can_change = transport.can_change_baud
    if can_change:
        await transport.set_baudrate(SIGN_ON_BAUDRATE)
    if options.wake_up:
        await transport.write(WAKE_UP)
        await sleep(WAKE_UP_PAUSE)
    request = request_message(options.address)
    await transport.write(request)
    try:
        ident = await read_identification(transport, request, options.identification_timeout)
    except TimeoutError as err:
        msg = "no identification from the meter"
        raise SessionTimeoutError(msg) from err

    baudrate = _choose_baudrate(ident, options, can_change)
    if ident.mode in (Mode.C, Mode.E):
        delay = options.reaction_delay
        if delay is None:
            delay = 0.02 if ident.fast_reaction else 0.2
        await sleep(delay)
        await transport.write(ack_message(mode_c_baud_char(baudrate)))
    if baudrate != SIGN_ON_BAUDRATE:
        await transport.set_baudrate(baudrate)

    try:
        head = await transport.read_until(b"\x03", options.data_timeout)
        bcc_byte = await transport.read_exactly(1, options.data_timeout)
    except TimeoutError as err:
        msg = "data message incomplete"
        raise SessionTimeoutError(msg) from err
    stx = head.rfind(b"\x02")
    message = head[stx:] + bcc_byte if stx >= 0 else head + bcc_byte
    readout = parse_data_message(message, ident)
    return SessionResult(readout, ident, baudrate)
