"""TIC frames and a fake serial link for Home Assistant-side tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from custom_components.energy_meters.protocol.serial_link import SerialLinkError
from custom_components.energy_meters.protocol.tic.encoder import encode_frame, encode_group
from custom_components.energy_meters.protocol.tic.framing import TicMode

STANDARD_SERIAL = "041876097317"
HISTORIC_SERIAL = "021861348497"


def standard_frame(
    *,
    serial: str = STANDARD_SERIAL,
    east: int = 3519702,
    sinsts: int = 263,
    stge: str = "003A0000",
    ngtf: str = "      BASE      ",
    extra: Mapping[str, str] | None = None,
    drop: frozenset[str] = frozenset(),
) -> bytes:
    """A single-phase standard-mode frame (values adjustable)."""
    groups: list[tuple[str, str, str | None]] = [
        ("ADSC", serial, None),
        ("VTIC", "02", None),
        ("DATE", "", "H240210121355"),
        ("NGTF", ngtf, None),
        ("LTARF", "      BASE      ", None),
        ("EAST", f"{east:09d}", None),
        ("EASF01", f"{east:09d}", None),
        ("EASD01", f"{east:09d}", None),
        ("IRMS1", "001", None),
        ("URMS1", "242", None),
        ("PREF", "06", None),
        ("PCOUP", "06", None),
        ("SINSTS", f"{sinsts:05d}", None),
        ("SMAXSN", "00986", "H240210110331"),
        ("CCASN", "00108", "H240210120000"),
        ("UMOY1", "241", "H240210121000"),
        ("STGE", stge, None),
        ("MSG1", "PAS DE          MESSAGE         ", None),
        ("NTARF", "01", None),
        ("PRM", "01234567890123", None),
    ]
    groups += [(label, value, None) for label, value in (extra or {}).items()]
    return encode_frame(
        encode_group(label, data, TicMode.STANDARD, horodate)
        for label, data, horodate in groups
        if label not in drop
    )


def historic_frame(
    *,
    serial: str = HISTORIC_SERIAL,
    base: int = 18328702,
    papp: int = 2830,
    adps: int | None = None,
) -> bytes:
    """A single-phase historic-mode frame."""
    groups = [
        ("ADCO", serial),
        ("OPTARIF", "BASE"),
        ("ISOUSC", "30"),
        ("BASE", f"{base:09d}"),
        ("PTEC", "TH.."),
        ("IINST", "012"),
        ("IMAX", "090"),
        ("PAPP", f"{papp:05d}"),
        ("HHPHC", "A"),
        ("MOTDETAT", "000000"),
    ]
    if adps is not None:
        groups.insert(6, ("ADPS", f"{adps:03d}"))
    return encode_frame(encode_group(label, data, TicMode.HISTORIC) for label, data in groups)


class FakeTicLink:
    """Stands in for a SerialLink: tests push bytes (or errors) to it."""

    def __init__(self) -> None:
        """Create an empty link."""
        self.queue: asyncio.Queue[bytes | Exception] = asyncio.Queue()
        self.closed = False

    def push(self, data: bytes | Exception) -> None:
        """Make the next read return ``data`` (or raise it)."""
        self.queue.put_nowait(data)

    async def read(self, max_bytes: int = 4096) -> bytes:
        """Next pushed chunk."""
        if self.closed:
            raise SerialLinkError("closed")
        item = await self.queue.get()
        if isinstance(item, Exception):
            raise item
        return item

    async def close(self) -> None:
        """Mark closed."""
        self.closed = True


def only_coordinator(entry: Any) -> Any:
    """The coordinator of an entry whose hub serves one device (a Linky)."""
    (coordinator,) = entry.runtime_data.coordinators.values()
    return coordinator


async def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll ``condition`` on the event loop until it holds (TimeoutError after ``timeout``)."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)
