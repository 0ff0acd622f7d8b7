"""
TIC frame parsing: incremental, byte-fed, checksum-validated.

Framing (Enedis-NOI-CPT_54E §5.3.6, NOI-CPT_02E)::

    frame = STX group+ ETX          (EOT aborts the frame being sent)
    group = LF label SEP [horodate SEP] data SEP checksum CR

Historic mode separates fields with SP and checksums with method 1 (the SP before the
checksum is excluded); standard mode separates with HT only (data may contain spaces)
and uses method 2 (the HT before the checksum is included). The checksum character
itself may be a space. Only groups whose checksum is valid are ever emitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from .checksum import tic_checksum
from .horodate import Horodate, parse_horodate

STX: Final = 0x02
ETX: Final = 0x03
EOT: Final = 0x04
LF: Final = 0x0A
CR: Final = 0x0D
SP: Final = 0x20
HT: Final = 0x09

MAX_GROUP_BYTES: Final = 1024
"""Groups longer than this (between LF and CR) are dropped as malformed."""

MAX_FRAME_BYTES: Final = 4096
"""Frames longer than this (between STX and ETX) are dropped as truncated."""

CACHE_SIZE: Final = 512
"""Validated groups remembered by their exact bytes (most groups repeat every frame)."""

SHORT_FRAME_LABELS: Final = frozenset(
    {"ADIR1", "ADIR2", "ADIR3", "ADCO", "IINST1", "IINST2", "IINST3"}
)
"""Labels of a historic three-phase short frame (54E §6.1.2)."""


class TicMode(StrEnum):
    """TIC output mode of a Linky meter."""

    HISTORIC = "historic"
    STANDARD = "standard"

    @property
    def baudrate(self) -> int:
        """Serial speed of this mode (7E1 framing in both modes)."""
        return BAUDRATE[self]

    @property
    def separator(self) -> bytes:
        """Field separator of this mode (SP or HT)."""
        return SEPARATOR[self]


BAUDRATE: Final[dict[TicMode, int]] = {TicMode.HISTORIC: 1200, TicMode.STANDARD: 9600}
"""Serial speed per mode."""

SEPARATOR: Final[dict[TicMode, bytes]] = {TicMode.HISTORIC: b" ", TicMode.STANDARD: b"\t"}
"""Field separator per mode."""


@dataclass(frozen=True, slots=True)
class TicGroup:
    """
    One information group with a valid checksum.

    ``horodate`` is set for dated standard-mode groups whose date field decodes; it
    is None for undated groups (and for a dated group whose date field is invalid).
    """

    label: str
    data: str
    horodate: Horodate | None = None


@dataclass(frozen=True, slots=True)
class TicFrame:
    """A complete frame: its valid groups by label, in frame order."""

    mode: TicMode
    groups: dict[str, TicGroup]

    def get(self, label: str) -> TicGroup | None:
        """Return the group with this label, or None when absent."""
        return self.groups.get(label)

    def __contains__(self, label: object) -> bool:
        """Tell whether the frame holds a group with this label."""
        return label in self.groups

    @property
    def short(self) -> bool:
        """Whether this is a three-phase short frame (labels within ADIRx/ADCO/IINSTx)."""
        return self.groups.keys() <= SHORT_FRAME_LABELS


@dataclass(slots=True)
class TicParserStats:
    """
    Counters of a :class:`TicParser` (they only ever increase).

    ``garbage_bytes`` counts every discarded byte: bytes outside any frame, bytes of
    dropped groups (LF through CR plus anything up to the next LF) and the bodies of
    aborted, truncated or oversized frames.
    """

    frames: int = 0
    """Valid frames emitted."""
    groups_ok: int = 0
    """Valid groups of completed frames (groups are checked when ETX arrives)."""
    groups_bad_checksum: int = 0
    """Well-formed groups whose checksum did not match."""
    groups_malformed: int = 0
    """Groups that could not be split (missing CR or separator, bytes >= 0x80, oversize)."""
    eot: int = 0
    """Frames aborted by the meter with EOT."""
    garbage_bytes: int = 0
    """Bytes discarded (see the class docstring)."""
    truncated_frames: int = 0
    """Partial frames dropped because a new STX arrived, or frames over the size limit."""


class TicParser:
    """
    Incremental TIC parser: feed it bytes as they arrive, get complete frames back.

    It never raises on bad input: invalid data is dropped and counted in :attr:`stats`.
    """

    __slots__ = ("_buf", "_cache", "_dropped", "_in_frame", "_mode", "_scan", "stats")

    def __init__(self, mode: TicMode) -> None:
        """Create a parser for one TIC mode."""
        self._mode = mode
        self._buf = bytearray()
        self._in_frame = False
        self._scan = 0
        self._cache: dict[bytes, TicGroup] = {}
        self._dropped = 0
        self.stats = TicParserStats()

    @property
    def mode(self) -> TicMode:
        """The TIC mode this parser decodes."""
        return self._mode

    def reset(self) -> None:
        """Forget any partial frame (e.g. after reopening the port); keep the stats."""
        self.stats.garbage_bytes += len(self._buf)
        self._buf.clear()
        self._in_frame = False
        self._scan = 0

    def feed(self, data: bytes) -> list[TicFrame]:
        """Consume ``data``; return the frames it completes, in order."""
        buf = self._buf
        buf += data
        if (
            self._in_frame
            and ETX not in data
            and STX not in data
            and EOT not in data
            and len(buf) <= MAX_FRAME_BYTES
        ):  # fast path: the frame goes on
            self._scan = len(buf)
            return []
        stats = self.stats
        frames: list[TicFrame] = []
        end = len(buf)
        pos = 0
        while pos < end:
            if not self._in_frame:
                start = buf.find(STX, pos)
                if start < 0:
                    stats.garbage_bytes += end - pos
                    pos = end
                    break
                stats.garbage_bytes += start - pos
                pos = self._scan = start + 1
                self._in_frame = True
                continue
            # Inside a frame: look for the first of ETX, STX, EOT.
            scan = self._scan
            stop = buf.find(ETX, scan)
            limit = end if stop < 0 else stop
            restart = buf.find(STX, scan, limit)
            if restart >= 0:
                stop = limit = restart
            aborted = buf.find(EOT, scan, limit)
            if aborted >= 0:
                stop = aborted
            if stop < 0:
                if end - pos > MAX_FRAME_BYTES:
                    stats.truncated_frames += 1
                    stats.garbage_bytes += end - pos
                    self._in_frame = False
                    pos = end
                else:
                    self._scan = end
                break
            body_len = stop - pos
            marker = buf[stop]
            if body_len > MAX_FRAME_BYTES:
                stats.truncated_frames += 1
                stats.garbage_bytes += body_len
            elif marker == ETX:
                frame = self._parse_body(bytes(buf[pos:stop]))
                if frame is not None:
                    frames.append(frame)
            elif marker == EOT:
                stats.eot += 1
                stats.garbage_bytes += body_len
            else:
                stats.truncated_frames += 1
                stats.garbage_bytes += body_len
            pos = self._scan = stop + 1
            self._in_frame = marker == STX
        if pos:
            del buf[:pos]
            self._scan -= pos
        return frames

    def _parse_body(self, body: bytes) -> TicFrame | None:
        """Parse the bytes between STX and ETX; None when no group is valid."""
        pieces = body.split(b"\n")
        stats = self.stats
        stats.garbage_bytes += len(pieces[0])  # bytes before the first LF
        del pieces[0]
        groups = self._groups(pieces)
        stats.groups_ok += len(pieces) - self._dropped
        self._dropped = 0
        if not groups:
            return None
        stats.frames += 1
        return TicFrame(self._mode, groups)

    def _drop(self, piece: bytes, cr: int, *, bad_checksum: bool = False) -> None:
        """Count a dropped group; ``cr`` is the index of its CR (-1 when missing)."""
        stats = self.stats
        if bad_checksum:
            stats.groups_bad_checksum += 1
        else:
            stats.groups_malformed += 1
        stats.garbage_bytes += len(piece) + 1 if cr < 0 else cr + 2
        self._dropped += 1

    def _remember(self, piece: bytes, group: TicGroup) -> None:
        """Cache a validated group by its exact bytes: most groups repeat every frame."""
        cache = self._cache
        if len(cache) >= CACHE_SIZE:
            cache.clear()
        cache[piece] = group

    def _groups(self, pieces: list[bytes]) -> dict[str, TicGroup]:
        """
        Validate ``LF fields SEP checksum CR`` groups with this mode's checksum method.

        Historic (method 1) sums up to the data and has SP before the checksum;
        standard (method 2) sums through the HT before the checksum.
        """
        cache = self._cache
        historic = self._mode is TicMode.HISTORIC
        separator = SP if historic else HT
        tail = 2 if historic else 1  # bytes between the checksummed payload and CR
        groups: dict[str, TicGroup] = {}
        for piece in pieces:
            group = cache.get(piece)
            if group is None:
                cr = piece.find(CR)
                last = len(piece) - 1
                if cr != last:
                    if cr < 0:  # missing CR: the next LF started a new group
                        self._drop(piece, cr)
                        continue
                    self.stats.garbage_bytes += last - cr  # junk between CR and LF
                payload = piece[: cr - tail]
                if (
                    cr < 4
                    or cr > MAX_GROUP_BYTES
                    or piece[cr - 2] != separator
                    or not payload.isascii()
                ):
                    self._drop(piece, cr)
                    continue
                if tic_checksum(payload) != piece[cr - 1]:
                    self._drop(piece, cr, bad_checksum=True)
                    continue
                text = payload.decode("ascii")
                group = _historic_group(text) if historic else _standard_group(text)
                if group is None:
                    self._drop(piece, cr)
                    continue
                if cr == last:
                    self._remember(piece, group)
            groups[group.label] = group
        return groups


def _historic_group(text: str) -> TicGroup | None:
    """Split ``label SP data`` (data has no spaces in historic mode)."""
    label, sep, data = text.partition(" ")
    if not (label and sep and text.isprintable()):
        return None
    return TicGroup(label, data, None)


def _standard_group(text: str) -> TicGroup | None:
    """Split ``label HT [horodate HT] data HT`` on HT only (data may hold spaces)."""
    fields = text.split("\t")  # the text ends with HT, so the last field is empty
    horodate: Horodate | None = None
    if len(fields) == 3:
        label, data, _ = fields
    elif len(fields) == 4:
        label, stamp, data, _ = fields
        if not stamp.isprintable():
            return None
        horodate = parse_horodate(stamp)
    else:
        return None
    if not (label and label.isprintable() and data.isprintable()):
        return None
    return TicGroup(label, data, horodate)
