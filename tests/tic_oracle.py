"""
An independent TIC oracle for tests: checksum, group and frame acceptance from the spec.

The oracle (:func:`spec_checksum`, :func:`judge_group`, :func:`oracle_frames`,
:func:`make_group`) never uses ``protocol/tic/checksum.py``, the encoder or the parser:
tests that check the parser against it cannot pass by agreeing with themselves. Only
:func:`run_parser` and :func:`assert_parser_matches_oracle` drive the parser, to compare.

Checksum (Enedis-NOI-CPT_54E §5.3.6): add up the codes of the checked characters,
keep the low 6 bits of the sum, add 0x20, so the checksum is one character in
0x20..0x5F.

* method 1 (historic): from the first label character to the last data character,
  the separator just before the checksum excluded;
* method 2 (standard): the same plus that last separator (HT).

Grammar (54E §5.3.6)::

    frame = STX group+ ETX          (EOT aborts the frame being sent)
    group = LF label SEP [horodate SEP] data SEP checksum CR

The oracle accepts what a meter could have sent: printable ASCII (0x20..0x7E) fields,
a non-empty label, historic ``label SP data`` (the label ends at the first SP),
standard ``label HT [horodate HT] data HT`` (split on HT only: data may hold spaces).
Bytes between a group's CR and the next LF are ignored, a piece without CR is refused,
a group longer than 1024 bytes is refused, and a frame ends at the first ETX (complete),
STX (truncated: a new frame starts) or EOT (aborted). Streams given to
:func:`oracle_frames` must stay under the parser's 4096-byte frame limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from custom_components.energy_meters.protocol.tic.framing import TicFrame, TicMode, TicParser
from custom_components.energy_meters.protocol.tic.horodate import parse_horodate

FIXTURES: Final = Path(__file__).resolve().parent / "fixtures" / "tic"
FIXTURE_MODES: Final[dict[str, TicMode]] = {
    "historic_tempo_single_phase": TicMode.HISTORIC,
    "historic_ejp_three_phase": TicMode.HISTORIC,
    "standard_single_phase": TicMode.STANDARD,
    "standard_three_phase_producer_tempo": TicMode.STANDARD,
}
"""The capture fixtures (see tests/protocol/test_tic_framing.py) and their mode."""

STX: Final = 0x02
ETX: Final = 0x03
EOT: Final = 0x04
LF: Final = 0x0A
CR: Final = 0x0D
MAX_GROUP: Final = 1024
MAX_STREAM: Final = 4096
CHECKSUM_CHARS: Final = bytes(range(0x20, 0x60))
"""Every character a checksum can be (64 of them)."""

Verdict = Literal["ok", "bad_checksum", "malformed"]
Decoded = dict[str, tuple[str, str | None]]
"""label -> (data, horodate text or None), the way tests compare frames."""


def fixture_bytes(name: str) -> bytes:
    """Return the raw bytes of one capture fixture."""
    return (FIXTURES / f"{name}.bin").read_bytes()


def spec_checksum(checked: bytes) -> int:
    """Return the checksum character of ``checked`` (the bytes the method names)."""
    total = 0
    for code in checked:
        total += code
    return total % 64 + 0x20


def separator(mode: TicMode) -> int:
    """Field separator of ``mode``: SP (historic) or HT (standard)."""
    return 0x20 if mode is TicMode.HISTORIC else 0x09


def checked_bytes(mode: TicMode, body: bytes) -> bytes:
    """
    The bytes the checksum covers, from ``body`` = a group between LF and its checksum.

    ``body`` ends with the separator before the checksum: method 1 leaves it out,
    method 2 keeps it.
    """
    return body[:-1] if mode is TicMode.HISTORIC else body


def make_group(mode: TicMode, label: str, data: str, horodate: str | None = None) -> bytes:
    """Encode ``LF label SEP [horodate SEP] data SEP checksum CR`` with the spec checksum."""
    sep = chr(separator(mode))
    fields = [label, data] if horodate is None else [label, horodate, data]
    body = (sep.join(fields) + sep).encode("ascii")
    return b"\n" + body + bytes((spec_checksum(checked_bytes(mode, body)),)) + b"\r"


def make_frame(groups: list[bytes]) -> bytes:
    """Wrap encoded groups in STX … ETX."""
    return b"\x02" + b"".join(groups) + b"\x03"


def _printable(text: bytes) -> bool:
    return all(0x20 <= code <= 0x7E for code in text)


@dataclass(frozen=True, slots=True)
class GroupVerdict:
    """What the oracle makes of one piece (the bytes after an LF, up to the next LF)."""

    verdict: Verdict
    label: str = ""
    data: str = ""
    horodate: str | None = None


def judge_group(mode: TicMode, piece: bytes) -> GroupVerdict:
    """Accept or refuse one piece."""
    cr = piece.find(CR)
    if cr < 0 or cr > MAX_GROUP:
        return GroupVerdict("malformed")
    line = piece[:cr]  # what follows CR up to the next LF is ignored
    sep = separator(mode)
    if len(line) < 2 or line[-2] != sep or any(code >= 0x80 for code in line):
        return GroupVerdict("malformed")
    body, checksum = line[:-1], line[-1]
    if mode is TicMode.HISTORIC:
        label, space, data = body[:-1].partition(b" ")
        well_formed = bool(label and space) and _printable(body[:-1])
        stamp: bytes | None = None
    else:
        fields = body[:-1].split(b"\t")
        well_formed = len(fields) in (2, 3) and bool(fields[0])
        well_formed = well_formed and all(_printable(f) for f in fields)
        label, data = fields[0], fields[-1]
        stamp = fields[1] if len(fields) == 3 else None
    if spec_checksum(checked_bytes(mode, body)) != checksum:
        # A well-formed group with a wrong checksum, or a malformed one: refused either way.
        return GroupVerdict("bad_checksum" if well_formed else "malformed")
    if not well_formed:
        return GroupVerdict("malformed")
    return GroupVerdict(
        "ok", label.decode(), data.decode(), None if stamp is None else stamp.decode()
    )


@dataclass(slots=True)
class OracleResult:
    """Frames the oracle accepts from a stream, and how many groups it refused."""

    frames: list[Decoded] = field(default_factory=list)
    groups_ok: int = 0
    groups_refused: int = 0
    bad_checksum: int = 0


def oracle_frames(mode: TicMode, stream: bytes) -> OracleResult:
    """Read ``stream`` as a whole, the way the spec's grammar reads it."""
    assert len(stream) < MAX_STREAM, "the oracle does not model the frame size limit"
    result = OracleResult()
    pos = stream.find(STX)
    while pos >= 0:
        end = pos + 1
        while end < len(stream) and stream[end] not in (STX, ETX, EOT):
            end += 1
        if end >= len(stream):
            break  # incomplete: nothing yet
        marker = stream[end]
        if marker == ETX:
            decoded: Decoded = {}
            for piece in stream[pos + 1 : end].split(b"\n")[1:]:
                verdict = judge_group(mode, piece)
                if verdict.verdict == "ok":
                    result.groups_ok += 1
                    decoded[verdict.label] = (verdict.data, verdict.horodate)
                else:
                    result.groups_refused += 1
                    result.bad_checksum += verdict.verdict == "bad_checksum"
            if decoded:
                result.frames.append(decoded)
        pos = end if marker == STX else stream.find(STX, end + 1)
    return result


@dataclass(slots=True)
class ParserRun:
    """What :class:`TicParser` made of a stream."""

    frames: list[TicFrame]
    groups_ok: int
    groups_refused: int
    bad_checksum: int


def run_parser(mode: TicMode, stream: bytes, *, primed_with: bytes = b"") -> ParserRun:
    """
    Feed ``stream`` to a new parser, optionally after ``primed_with``.

    Priming fills the parser's cache of validated groups: the counts and frames
    returned are those of ``stream`` alone.
    """
    parser = TicParser(mode)
    parser.feed(primed_with)
    ok, bad, malformed = (
        parser.stats.groups_ok,
        parser.stats.groups_bad_checksum,
        parser.stats.groups_malformed,
    )
    frames = parser.feed(stream)
    stats = parser.stats
    bad = stats.groups_bad_checksum - bad
    return ParserRun(frames, stats.groups_ok - ok, bad + stats.groups_malformed - malformed, bad)


def assert_parser_matches_oracle(
    mode: TicMode, stream: bytes, *, primed_with: bytes = b""
) -> OracleResult:
    """Assert the parser accepts exactly the groups and frames the oracle accepts."""
    expected = oracle_frames(mode, stream)
    got = run_parser(mode, stream, primed_with=primed_with)
    assert [
        {label: (g.data, g.horodate) for label, g in frame.groups.items()} for frame in got.frames
    ] == [
        {
            label: (data, None if stamp is None else parse_horodate(stamp))
            for label, (data, stamp) in frame.items()
        }
        for frame in expected.frames
    ], stream
    assert (got.groups_ok, got.groups_refused) == (
        expected.groups_ok,
        expected.groups_refused,
    ), stream
    return expected
