"""
A key checked against a telegram already heard, before the meter is saved (HA-free).

The real wmbusmeters decodes the telegram on ``stdin:hex`` with the meter's
driver, id and the given key, in a temporary config directory (mode 0700, the
key in a 0600 meter file, never on the command line). A decryption warning on
stderr, or no JSON for the meter, means the key is wrong.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
import shutil
import tempfile
from typing import Final

from .config import MeterConfig, write_config_dir
from .output import Problem, classify, parse_line

CHECK_TIMEOUT: Final = 30.0
_KEY_PROBLEMS: Final = frozenset({Problem.WRONG_KEY, Problem.NO_KEY, Problem.NOT_ENCRYPTED})


class KeyCheck(StrEnum):
    """What the check found."""

    OK = "ok"
    WRONG = "wrong"
    UNCHECKED = "unchecked"
    """No telegram to check against, or wmbusmeters did not answer in time."""


def _prepare(meter: MeterConfig) -> Path:
    root = Path(tempfile.mkdtemp(prefix="em-wmbus-key-"))
    write_config_dir(root, "stdin:hex", [meter], ignore_duplicates=False, listen_all=False)
    return root


async def check_key(
    binary: str,
    meter: MeterConfig,
    telegrams: Sequence[str],
    *,
    limit: float = CHECK_TIMEOUT,
) -> KeyCheck:
    """Decode ``telegrams`` of ``meter`` with its key; tell whether the key opens them."""
    if not telegrams:
        return KeyCheck.UNCHECKED
    root = await asyncio.to_thread(_prepare, meter)
    try:
        process = await asyncio.create_subprocess_exec(
            binary,
            f"--useconfig={root}",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        feed = ("\n".join(telegrams) + "\n").encode("ascii")
        try:
            async with asyncio.timeout(limit):
                out, err = await process.communicate(feed)
        except TimeoutError:
            process.kill()
            await process.wait()
            return KeyCheck.UNCHECKED
    finally:
        await asyncio.to_thread(shutil.rmtree, root, ignore_errors=True)
    for line in err.decode("utf-8", errors="replace").splitlines():
        message = classify(line)
        if message is not None and message.problem in _KEY_PROBLEMS:
            return KeyCheck.WRONG
    for line in out.decode("utf-8", errors="replace").splitlines():
        telegram = parse_line(line)
        if telegram is not None and telegram.meter_id == meter.meter_id:
            return KeyCheck.OK
    return KeyCheck.WRONG
