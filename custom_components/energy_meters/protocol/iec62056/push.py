"""
Incremental parser for IEC 62056-21 mode D: the meter pushes readouts on its own (2400 Bd).

Feed it bytes as they arrive, in chunks of any size; it returns every complete readout.
A frame is ``/ident CR LF [CR LF] STX data ! CR LF ETX BCC``. Bytes before ``/`` are skipped
(echo, noise, half a frame at start-up). Some meters send the data block without
STX/ETX/BCC, ending with the ``!`` line: such a frame cannot be verified and is dropped
unless the parser is built with ``require_bcc=False``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from . import Iec62056Error
from .messages import ETX, STX, Identification, parse_identification
from .readout import Readout, parse_data_message, parse_unchecked_block

MAX_FRAME: Final = 16384  # bytes; a longer "frame" is noise


@dataclass(slots=True)
class PushStats:
    """Counters of what the parser saw."""

    readouts: int = 0
    errors: int = 0  # bad BCC, bad identification, malformed data
    unchecked_dropped: int = 0  # frames without BCC dropped because require_bcc
    discarded_bytes: int = 0


class PushParser:
    """Mode D stream parser (never raises on input)."""

    def __init__(self, *, require_bcc: bool = True) -> None:
        """Build a parser; ``require_bcc=False`` also accepts frames sent without a BCC."""
        self._buffer = bytearray()
        self._require_bcc = require_bcc
        self.stats = PushStats()

    def feed(self, data: bytes) -> list[Readout]:
        """Add received bytes; return the readouts completed by them."""
        self._buffer += data
        readouts: list[Readout] = []
        while (readout := self._next()) is not None:
            if isinstance(readout, Readout):
                readouts.append(readout)
                self.stats.readouts += 1
        return readouts

    def _drop(self, count: int) -> None:
        self.stats.discarded_bytes += count
        del self._buffer[:count]

    def _next(self) -> Readout | bool | None:
        """Parse one frame: a Readout, True if progress was made without one, None to wait."""
        buf = self._buffer
        start = buf.find(b"/")
        if start < 0:
            self._drop(len(buf))
            return None
        if start:
            self._drop(start)
        eol = buf.find(b"\n")
        if eol < 0:
            return self._wait_or_drop()
        try:
            ident = parse_identification(bytes(buf[: eol + 1]))
        except Iec62056Error:
            self.stats.errors += 1
            self._drop(1)
            return True
        pos = eol + 1
        while pos < len(buf) and buf[pos] in b"\r\n":
            pos += 1
        if pos >= len(buf):
            return self._wait_or_drop()
        if buf[pos] == STX:
            return self._framed(ident, pos)
        return self._unframed(ident, pos)

    def _wait_or_drop(self) -> bool | None:
        if len(self._buffer) > MAX_FRAME:
            self.stats.errors += 1
            self._drop(1)
            return True
        return None

    def _restart_at_slash(self, begin: int, end: int) -> bool:
        """Drop the current frame if a new one starts inside [begin, end)."""
        slash = self._buffer.find(b"/", begin, end)
        if slash < 0:
            return False
        self.stats.errors += 1
        self._drop(slash)
        return True

    def _framed(self, ident: Identification, stx: int) -> Readout | bool | None:
        buf = self._buffer
        etx = buf.find(bytes((ETX,)), stx)
        if self._restart_at_slash(stx, etx if etx >= 0 else len(buf)):
            return True
        if etx < 0 or etx + 1 >= len(buf):
            return self._wait_or_drop()
        message = bytes(buf[stx : etx + 2])
        self._drop(etx + 2)
        try:
            return parse_data_message(message, ident)
        except Iec62056Error:
            self.stats.errors += 1
            return True

    def _unframed(self, ident: Identification, begin: int) -> Readout | bool | None:
        buf = self._buffer
        bang = buf.find(b"!", begin)
        if self._restart_at_slash(begin, bang if bang >= 0 else len(buf)):
            return True
        eol = buf.find(b"\n", bang) if bang >= 0 else -1
        if eol < 0:
            return self._wait_or_drop()
        block = bytes(buf[begin : eol + 1])
        self._drop(eol + 1)
        if self._require_bcc:
            self.stats.unchecked_dropped += 1
            return True
        try:
            return parse_unchecked_block(block, ident)
        except Iec62056Error:
            self.stats.errors += 1
            return True
