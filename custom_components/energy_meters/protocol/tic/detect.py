"""
Detect the TIC mode of a port: listen at 1200 Bd (historic), then 9600 Bd (standard).

Historic first: it is the factory default of every Linky. Each speed is listened to
for at most ``listen_seconds`` (hard bound: a dongle at the wrong speed or a peer
flooding garbage never stalls detection). Listening stops early at the first complete
frame holding the meter address (ADCO/ADSC). A historic frame lasts ~2.5 s at
1200 Bd, so when groups with valid checksums are flowing but no complete frame has
arrived yet, listening may go on for up to :data:`FRAME_GRACE_SECONDS` more.

Groups are checked against both formats at each speed (SP + method 1, HT + method 2):
over links that ignore the baud rate (TCP to ser2net, ptys) the first speed already
tells the mode, and a dongle re-emitting historic frames at 9600 Bd is recognised.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
import logging
from typing import Final, Protocol

from custom_components.energy_meters.protocol.serial_link import (
    SerialLinkError,
    SerialSettings,
    open_serial,
)

from .checksum import tic_checksum
from .framing import TicFrame, TicMode, TicParser

_LOGGER = logging.getLogger(__name__)

PROBE_ORDER: Final = (TicMode.HISTORIC, TicMode.STANDARD)
IDENTITY_LABELS: Final = ("ADCO", "ADSC")
MIN_VALID_GROUPS: Final = 3
"""Valid groups (more than bad ones) that prove a mode when no complete frame arrived."""
FRAME_GRACE_SECONDS: Final = 3.0
"""Extra listening allowed, once valid groups flow, to receive one complete frame."""
OPEN_TIMEOUT: Final = 10.0
CLOSE_TIMEOUT: Final = 2.0
MAX_GROUP_BYTES: Final = 1024
READ_SIZE: Final = 4096


class ByteLink(Protocol):
    """What detection needs from a link (:class:`~..serial_link.SerialLink` fits)."""

    async def read(self, max_bytes: int = READ_SIZE) -> bytes:
        """Return the next bytes; raise SerialLinkError when the link is lost."""

    async def close(self) -> None:
        """Close the link."""


Opener = Callable[[str, SerialSettings], Awaitable[ByteLink]]


@dataclass(frozen=True, slots=True)
class DetectionResult:
    """
    Outcome of :func:`detect_tic_mode`.

    ``mode`` is None when nothing valid was received: ``bytes_seen`` all zero means
    the port stayed silent, otherwise the bytes were unreadable (wrong speed, noise).
    ``frame`` is the first complete frame holding ADCO/ADSC (None if no full frame
    arrived in time). The three dicts are keyed by the mode whose *speed* was
    listened to (HISTORIC = 1200 Bd, STANDARD = 9600 Bd; a speed not tried counts 0):
    ``valid_groups`` counts the LF…CR groups (partial frames included) whose checksum
    matched the method of their format, ``bad_groups`` the others.

    Each speed accepts both formats, so ``mode`` is right even when the link ignores
    the baud rate (``socket://`` to ser2net, ptys). ``baudrate`` is the speed the mode
    was found at: 9600 with ``mode`` HISTORIC means a dongle that re-emits historic
    frames at 9600 Bd; on a real serial line it is normally ``mode.baudrate``.
    """

    mode: TicMode | None
    frame: TicFrame | None
    valid_groups: dict[TicMode, int] = field(default_factory=dict)
    bad_groups: dict[TicMode, int] = field(default_factory=dict)
    bytes_seen: dict[TicMode, int] = field(default_factory=dict)
    baudrate: int | None = None

    @property
    def silent(self) -> bool:
        """Whether no byte at all was received."""
        return not any(self.bytes_seen.values())


class _GroupCounter:
    """Count LF…CR groups by the checksum method they satisfy, frames or not."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self.valid = dict.fromkeys(PROBE_ORDER, 0)
        self.bad = 0

    @staticmethod
    def _mode_of(piece: bytes) -> TicMode | None:
        """Return the mode whose format and checksum ``piece`` (LF/CR excluded) has."""
        if len(piece) < 4 or not piece.isascii():
            return None
        if piece[-2] == 0x20:  # historic: method 1, the SP before the checksum excluded
            payload = piece[:-2]
            ok = b" " in payload and tic_checksum(payload) == piece[-1]
            return TicMode.HISTORIC if ok else None
        if piece[-2] == 0x09:  # standard: method 2, the HT before the checksum included
            payload = piece[:-1]
            ok = payload.count(b"\t") >= 2 and tic_checksum(payload) == piece[-1]
            return TicMode.STANDARD if ok else None
        return None

    def feed(self, data: bytes) -> None:
        buf = self._buf
        buf += data
        while (lf := buf.find(b"\n")) >= 0:
            cr = buf.find(b"\r", lf + 1, lf + 2 + MAX_GROUP_BYTES)
            nxt = buf.find(b"\n", lf + 1, cr if cr >= 0 else lf + 2 + MAX_GROUP_BYTES)
            if nxt >= 0:  # a new group started before this one ended
                self.bad += 1
                del buf[:nxt]
                continue
            if cr < 0:
                if len(buf) - lf > MAX_GROUP_BYTES:  # no CR in sight: drop it
                    self.bad += 1
                    del buf[: lf + 1]
                    continue
                del buf[:lf]
                return
            mode = self._mode_of(bytes(buf[lf + 1 : cr]))
            if mode is None:
                self.bad += 1
            else:
                self.valid[mode] += 1
            del buf[: cr + 1]
        buf.clear()

    def proven(self) -> TicMode | None:
        """Return the mode whose valid groups clearly dominate, if any."""
        for mode, count in self.valid.items():
            if count >= MIN_VALID_GROUPS and count > self.bad:
                return mode
        return None


@dataclass(slots=True)
class _Probe:
    speed: TicMode  # the mode whose baud rate is used
    counter: _GroupCounter = field(default_factory=_GroupCounter)
    frame: TicFrame | None = None
    bytes_seen: int = 0

    @property
    def found(self) -> TicMode | None:
        return self.frame.mode if self.frame is not None else self.counter.proven()


async def _probe(url: str, speed: TicMode, listen_seconds: float, opener: Opener) -> _Probe:
    """Listen to ``url`` at the baud rate of ``speed``; never longer than the bounds."""
    probe = _Probe(speed)
    parsers = [TicParser(mode) for mode in PROBE_ORDER]
    try:
        async with asyncio.timeout(OPEN_TIMEOUT):
            # allow_pty_8n1: virtual serial ports (socat bridges, simulators) are ptys
            link = await opener(url, SerialSettings(baudrate=speed.baudrate, allow_pty_8n1=True))
    except TimeoutError as err:
        raise SerialLinkError(f"{url}: timed out while opening") from err
    loop = asyncio.get_running_loop()
    deadline = loop.time() + listen_seconds
    try:
        while True:
            grace = probe.frame is None and probe.counter.proven() is not None
            remaining = deadline + (FRAME_GRACE_SECONDS if grace else 0.0) - loop.time()
            if remaining <= 0:
                break
            try:
                async with asyncio.timeout(remaining):
                    data = await link.read(READ_SIZE)
            except TimeoutError:
                break
            probe.bytes_seen += len(data)
            probe.counter.feed(data)
            for parser in parsers:
                for frame in parser.feed(data):
                    better = probe.frame is None or probe.frame.short
                    if better and any(label in frame for label in IDENTITY_LABELS):
                        probe.frame = frame
            if probe.frame is not None and not probe.frame.short:
                break
    finally:
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await link.close()
        except (TimeoutError, SerialLinkError, OSError) as err:
            _LOGGER.debug("%s: error closing after detection: %s", url, err)
    _LOGGER.debug(
        "%s at %d Bd: %d bytes, valid groups %s, %d bad, frame: %s",
        url,
        speed.baudrate,
        probe.bytes_seen,
        probe.counter.valid,
        probe.counter.bad,
        probe.frame is not None,
    )
    return probe


async def detect_tic_mode(
    url: str, *, listen_seconds: float = 3.0, opener: Opener = open_serial
) -> DetectionResult:
    """
    Listen to ``url`` at 1200 then 9600 Bd and return the TIC mode whose checksums match.

    Raises :class:`~..serial_link.SerialLinkError` (or a subclass) when the port cannot
    be opened or is lost while listening. Total time is bounded by about
    ``2 * listen_seconds + FRAME_GRACE_SECONDS`` plus opening/closing time.
    """
    if listen_seconds <= 0:
        raise ValueError("listen_seconds must be positive")
    valid = dict.fromkeys(PROBE_ORDER, 0)
    bad = dict.fromkeys(PROBE_ORDER, 0)
    seen = dict.fromkeys(PROBE_ORDER, 0)
    for speed in PROBE_ORDER:
        probe = await _probe(url, speed, listen_seconds, opener)
        valid[speed] = sum(probe.counter.valid.values())
        bad[speed] = probe.counter.bad
        seen[speed] = probe.bytes_seen
        if (mode := probe.found) is not None:
            return DetectionResult(mode, probe.frame, valid, bad, seen, speed.baudrate)
    return DetectionResult(None, None, valid, bad, seen)
