"""
What a simulated meter really emitted: a JSON-lines log that tests use as their oracle.

A simulator given ``--truth-log PATH`` appends one object per line:

    {"t": 1767225600.12, "meter": "041875097339", "counter": "EAST", "value": 12345678,
     "glitch": null}

``t`` is the wall-clock time (seconds) the value left the meter, ``value`` is in the
meter's base unit (Wh for energy, L for water; fractions where the meter has them,
such as SML's 0.1 Wh) and ``glitch`` is ``null`` for a true reading, otherwise the kind
of wrong value sent instead (``spike``, ``drop``, ``digit``, ``zero``…). A true value
is logged when it changes (every distinct true value once, at its first emission);
every glitch is logged. Glitched values are never true: a test checks that none of them
reaches Home Assistant's states or statistics, and that the statistics add up to the
difference of true values.

:func:`read_commands` is the simulators' shared stdin channel (``--commands``): one
command per line, the handler's reply printed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import json
from pathlib import Path
import random
import sys
import time
from typing import Any

GLITCH_KINDS = ("spike", "drop", "digit")
"""Wrong counter values a simulator can send (with a valid checksum, CRC or BCC)."""


def one_digit_changed(value: int, rng: random.Random, width: int = 9) -> int:
    """``value`` with one of its tens to ten-thousands digits replaced by another digit."""
    text = list(f"{value:0{width}d}")
    position = len(text) - rng.randint(2, 5)
    text[position] = rng.choice([d for d in "0123456789" if d != text[position]])
    return int("".join(text))


def wrong_value(kind: str, value: int, rng: random.Random) -> int:
    """
    Return a wrong counter in the meter's own resolution (Wh, 0.1 Wh…).

    ``spike``: 900 000 units more; ``drop``: 1 000 units less; ``digit``: one digit changed.
    """
    if kind == "spike":
        return value + 900_000
    if kind == "drop":
        return max(value - 1000, 0)
    if kind == "digit":
        return one_digit_changed(value, rng)
    raise ValueError(f"unknown glitch {kind!r}")


class TruthLog:
    """Append-only oracle file; a ``None`` path logs nothing."""

    def __init__(self, path: Path | None, clock: Callable[[], float] = time.time) -> None:
        """Open ``path`` for appending (line-buffered)."""
        self.path = path
        self._clock = clock
        self._last: dict[tuple[str, str], float] = {}
        self._file = path.open("a", encoding="ascii", buffering=1) if path is not None else None

    def true(self, meter: str, counter: str, value: float) -> None:
        """Record a true reading (only when it differs from the last one of that counter)."""
        key = (meter, counter)
        if self._last.get(key) == value:
            return
        self._last[key] = value
        self._write(meter, counter, value, None)

    def glitch(self, meter: str, counter: str, value: float, kind: str) -> None:
        """Record a wrong value sent instead of the true one."""
        self._write(meter, counter, value, kind)

    def _write(self, meter: str, counter: str, value: float, kind: str | None) -> None:
        if self._file is None:
            return
        record: dict[str, Any] = {
            "t": round(self._clock(), 3),
            "meter": meter,
            "counter": counter,
            "value": value,
            "glitch": kind,
        }
        self._file.write(json.dumps(record) + "\n")

    def close(self) -> None:
        """Close the file."""
        if self._file is not None:
            self._file.close()
            self._file = None


def read_truth(path: Path) -> list[dict[str, Any]]:
    """Every record of an oracle file (a torn last line is skipped)."""
    records = []
    for line in path.read_text(encoding="ascii").splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    return records


async def read_commands(handle: Callable[[str], str | None]) -> None:
    """Apply commands read from stdin until EOF; print each reply."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    try:
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    except ValueError, OSError:
        return  # stdin is a regular file or closed: no commands
    while line := (await reader.readline()).decode(errors="replace"):
        if not line.split():
            continue
        try:
            reply = handle(line)
        except ValueError as err:
            reply = f"error: {err}"
        if reply is not None:
            print(reply, flush=True)
