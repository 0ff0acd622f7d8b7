"""
What is on the line? Listen at the settings optical and customer-port meters use.

1. 2400 Bd 8E1 (E450 customer interface: DLMS/COSEM in HDLC frames);
2. 9600 Bd 8N1 (SML on German eHZ info interfaces);
3. the IEC 62056-21 sign-on at 300 Bd 7E1 (a readout meter answers it).

Each listening window ends early on a complete, checked frame; the whole probe is
bounded (``2 x listen_seconds`` plus the readout timeouts). :func:`classify` names
what a buffer holds: an HDLC frame (plain or ciphered DLMS), an SML file, an IEC
mode D telegram, plain ASCII text, garbage (often a wrong speed) or nothing.
Over raw TCP (``socket://``) the speed is the server's: the line is listened to once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
import time
from typing import Final

from ..dlms import DlmsError
from ..dlms.apdu import DATA_NOTIFICATION, BlockAssembler
from ..dlms.cipher import GENERAL_CIPHERING, GENERAL_GLO_CIPHERING
from ..dlms.hdlc import HdlcParser
from ..iec62056 import Iec62056Error
from ..iec62056.messages import SIGN_ON_BAUDRATE, Identification, parse_identification
from ..iec62056.push import PushParser
from ..iec62056.readout import Readout
from ..iec62056.session import SessionOptions
from ..serial_link import SerialLinkError, SerialSettings
from ..serial_session import SerialSession, can_change_baud
from .transport import ChannelTransport, read_out_with_fallback

SML_START: Final = b"\x1b\x1b\x1b\x1b\x01\x01\x01\x01"
SML_END: Final = b"\x1b\x1b\x1b\x1b\x1a"
DEFAULT_LISTEN: Final = 6.0
"""Seconds per listening window: an E450 pushes every 1-5 s, SML meters every 1-4 s."""
_APDU_TAGS: Final = frozenset({DATA_NOTIFICATION, GENERAL_GLO_CIPHERING, GENERAL_CIPHERING})
_TEXT: Final = frozenset(range(0x20, 0x7F)) | {0x0A, 0x0D, 0x09, 0x02, 0x03}


class LineKind(StrEnum):
    """What the line carries."""

    IEC = "iec"  # answered the sign-on: readout meter
    IEC_PUSH = "iec_push"  # mode D telegrams without being asked
    DLMS = "dlms"  # HDLC frames, plain DataNotification
    DLMS_ENCRYPTED = "dlms_encrypted"  # HDLC frames, general(-glo)-ciphering
    SML = "sml"
    ASCII = "ascii"  # text, but no telegram we know
    GARBAGE = "garbage"  # bytes that are nothing (wrong speed?)
    SILENT = "silent"


FOUND: Final = frozenset(
    {LineKind.IEC, LineKind.IEC_PUSH, LineKind.DLMS, LineKind.DLMS_ENCRYPTED, LineKind.SML}
)
"""Kinds that end a probe: a meter was recognised."""


@dataclass(frozen=True, slots=True)
class LineSetting:
    """Speed and character format of one attempt."""

    baudrate: int
    bytesize: int
    parity: str
    stopbits: int = 1

    @property
    def label(self) -> str:
        """``2400 8E1``."""
        return f"{self.baudrate} {self.bytesize}{self.parity}{self.stopbits}"

    def serial(self) -> SerialSettings:
        """Return the serial settings (a pty is opened 8N1: it carries bytes)."""
        return SerialSettings(
            baudrate=self.baudrate,
            bytesize=self.bytesize,
            parity=self.parity,
            stopbits=self.stopbits,
            allow_pty_8n1=True,
        )


DLMS_LINE: Final = LineSetting(2400, 8, "E")
SML_LINE: Final = LineSetting(9600, 8, "N")
IEC_LINE: Final = LineSetting(SIGN_ON_BAUDRATE, 7, "E")
LISTEN_SETTINGS: Final = (DLMS_LINE, SML_LINE)


@dataclass(frozen=True, slots=True)
class Classified:
    """What one buffer holds."""

    kind: LineKind
    apdus: tuple[bytes, ...] = ()  # complete DLMS APDUs (HDLC checked, blocks joined)
    sml_files: tuple[bytes, ...] = ()  # complete SML files, escapes included
    readout: Readout | None = None  # mode D


def _sml_files(data: bytes) -> tuple[bytes, ...]:
    files: list[bytes] = []
    pos = 0
    while (start := data.find(SML_START, pos)) >= 0:
        end = data.find(SML_END, start + len(SML_START))
        while end >= 0 and data[end - 4 : end] == b"\x1b\x1b\x1b\x1b":
            end = data.find(SML_END, end + 1)  # escaped escape inside the file
        if end < 0 or end + 8 > len(data):
            break
        files.append(data[start : end + 8])
        pos = end + 8
    return tuple(files)


def _apdus(data: bytes) -> tuple[bytes, ...]:
    assembler = BlockAssembler()
    found: list[bytes] = []
    for message in HdlcParser().feed(data):
        try:
            apdu = assembler.feed(message)
        except DlmsError:
            continue
        if apdu and apdu[0] in _APDU_TAGS:  # the tail of a message whose head was lost is not
            found.append(apdu)
    return tuple(found)


def classify(data: bytes) -> Classified:
    """Name what ``data`` holds (see the module docstring); never raises."""
    if not data:
        return Classified(LineKind.SILENT)
    if apdus := _apdus(data):
        ciphered = apdus[0][0] in (GENERAL_GLO_CIPHERING, GENERAL_CIPHERING)
        return Classified(LineKind.DLMS_ENCRYPTED if ciphered else LineKind.DLMS, apdus=apdus)
    if files := _sml_files(data):
        return Classified(LineKind.SML, sml_files=files)
    if readouts := PushParser().feed(data):
        return Classified(LineKind.IEC_PUSH, readout=readouts[0])
    text = sum(byte in _TEXT for byte in data)
    if text >= 0.95 * len(data) and (b"\n" in data or b"\r" in data):
        return Classified(LineKind.ASCII)
    return Classified(LineKind.GARBAGE)


@dataclass(frozen=True, slots=True)
class SniffResult:
    """What the probe found, and what each attempt saw."""

    kind: LineKind
    setting: LineSetting | None = None  # where the meter was found
    classified: Classified | None = None
    identification: Identification | None = None  # IEC sign-on answer
    readout: Readout | None = None  # IEC readout (None if it failed after the answer)
    readout_error: str | None = None
    iec_baudrate: int | None = None  # speed the readout ran at
    attempts: dict[str, LineKind] = field(default_factory=dict)
    bytes_seen: int = 0


async def listen(
    url: str,
    setting: LineSetting,
    seconds: float,
    *,
    clock: Callable[[], float] = time.monotonic,
    open_timeout: float = 5.0,
) -> tuple[Classified, int]:
    """Listen for at most ``seconds``; return what was heard and the byte count."""
    buffer = bytearray()
    session = SerialSession(url, setting.serial(), open_timeout=open_timeout)
    await session.open()
    try:
        deadline = clock() + seconds
        verdict = Classified(LineKind.SILENT)
        while (remaining := deadline - clock()) > 0:
            try:
                buffer += await session.read_chunk(timeout=remaining)
            except TimeoutError:
                break
            verdict = classify(bytes(buffer))
            if verdict.kind in FOUND:
                return verdict, len(buffer)
        return classify(bytes(buffer)) if buffer else verdict, len(buffer)
    finally:
        await session.close()


async def sign_on(url: str, options: SessionOptions, *, open_timeout: float = 5.0) -> SniffResult:
    """Send the IEC sign-on at 300 Bd 7E1 and read the meter out."""
    session = SerialSession(url, IEC_LINE.serial(), open_timeout=open_timeout)
    await session.open()
    try:
        async with session.exclusive() as channel:
            recorder = _Recorder(ChannelTransport(channel))
            try:
                result = await read_out_with_fallback(recorder, options)
            except (Iec62056Error, TimeoutError) as err:
                identification = recorder.identification
                if identification is None:
                    return SniffResult(LineKind.SILENT, bytes_seen=recorder.received)
                return SniffResult(
                    LineKind.IEC,
                    IEC_LINE,
                    identification=identification,
                    readout_error=str(err) or type(err).__name__,
                    bytes_seen=recorder.received,
                )
    finally:
        await session.close()
    return SniffResult(
        LineKind.IEC,
        IEC_LINE,
        identification=result.identification,
        readout=result.readout,
        iec_baudrate=result.baudrate,
        bytes_seen=recorder.received,
    )


class _Recorder:
    """A transport wrapper that remembers the identification line and counts bytes."""

    def __init__(self, inner: ChannelTransport) -> None:
        self._inner = inner
        self.identification: Identification | None = None
        self.received = 0

    @property
    def can_change_baud(self) -> bool:
        return self._inner.can_change_baud

    @property
    def baudrate(self) -> int:
        return self._inner.baudrate

    async def write(self, data: bytes) -> None:
        await self._inner.write(data)

    async def read_until(self, terminator: bytes, seconds: float) -> bytes:
        line = await self._inner.read_until(terminator, seconds)
        self.received += len(line)
        if terminator == b"\n" and self.identification is None and b"/" in line:
            try:
                ident = parse_identification(line)
            except Iec62056Error:
                pass
            else:
                self.identification = ident
        return line

    async def read_exactly(self, count: int, seconds: float) -> bytes:
        data = await self._inner.read_exactly(count, seconds)
        self.received += len(data)
        return data

    async def set_baudrate(self, baudrate: int) -> None:
        await self._inner.set_baudrate(baudrate)


async def sniff(
    url: str,
    *,
    listen_seconds: float = DEFAULT_LISTEN,
    iec_options: SessionOptions | None = None,
    clock: Callable[[], float] = time.monotonic,
    open_timeout: float = 5.0,
) -> SniffResult:
    """
    Probe ``url``: listen at 2400 8E1, then 9600 8N1, then try the IEC sign-on.

    Raises :class:`SerialLinkError` when the port cannot be opened at all.
    """
    url = url.strip()
    attempts: dict[str, LineKind] = {}
    heard: list[LineKind] = []
    total = 0
    settings = LISTEN_SETTINGS if can_change_baud(url) else LISTEN_SETTINGS[:1]
    for setting in settings:
        verdict, count = await listen(
            url, setting, listen_seconds, clock=clock, open_timeout=open_timeout
        )
        total += count
        attempts[setting.label] = verdict.kind
        heard.append(verdict.kind)
        if verdict.kind in FOUND:
            return SniffResult(
                verdict.kind,
                setting,
                classified=verdict,
                readout=verdict.readout,
                attempts=attempts,
                bytes_seen=total,
            )
    iec = await sign_on(url, iec_options or SessionOptions(), open_timeout=open_timeout)
    attempts[f"{IEC_LINE.label} sign-on"] = iec.kind
    total += iec.bytes_seen
    if iec.kind is LineKind.IEC:
        return SniffResult(
            LineKind.IEC,
            IEC_LINE,
            identification=iec.identification,
            readout=iec.readout,
            readout_error=iec.readout_error,
            iec_baudrate=iec.iec_baudrate,
            attempts=attempts,
            bytes_seen=total,
        )
    for kind in (LineKind.ASCII, LineKind.GARBAGE):
        if kind in heard:
            return SniffResult(kind, attempts=attempts, bytes_seen=total)
    return SniffResult(LineKind.SILENT, attempts=attempts, bytes_seen=total)


__all__ = ["SerialLinkError", "SniffResult", "classify", "sniff"]
