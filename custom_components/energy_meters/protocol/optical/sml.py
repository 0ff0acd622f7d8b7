"""
SML push (German eHZ, EMH, ISKRA, Holley, Itron MT681) decoded with ``smllib``.

Why ``smllib`` and not ``pysml`` (core ``edl21``): ``smllib.SmlStreamReader`` is fed
bytes (``add``/``get_frame``), so it reads from our serial session like every other
parser here; it checks the file CRC, has no dependencies and ships type hints.
``pysml`` owns its serial connection (serialx, aiohttp and bitstring as
requirements, a top-level package named ``sml``), and core pins it at 0.1.8: another
pin would clash in users' installs.

:class:`SmlDecoder` never raises on input: a bad CRC or a malformed file is counted.
If ``smllib`` is not installed, :data:`SML_AVAILABLE` is False and the decoder refuses
to start (the flow then says SML is not available).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..obis import ObisCode, ObisError, dlms_unit
from .values import ObisReading, reading

if TYPE_CHECKING:
    from smllib.reader import SmlStreamReader

try:
    from smllib.errors import CrcError
    from smllib.reader import SmlStreamReader as _Reader
    from smllib.sml.response_get_list import SmlGetListResponse
    from smllib.sml.response_open_close import SmlOpenResponse
except ImportError:  # pragma: no cover - smllib is a requirement; tested by its absence below
    SML_AVAILABLE = False
else:
    SML_AVAILABLE = True


@dataclass(frozen=True, slots=True)
class SmlReadout:
    """One SML file: the server id and its values."""

    server_id: str  # hex, upper case
    readings: dict[ObisCode, ObisReading] = field(default_factory=dict)
    unusable: int = 0


@dataclass(slots=True)
class SmlStats:
    """What the decoder saw."""

    files: int = 0
    crc_errors: int = 0
    errors: int = 0


def _value(raw: Any, scaler: Any) -> Decimal | str | None:
    if isinstance(raw, bool):
        return str(raw)
    if isinstance(raw, int):
        return Decimal(raw).scaleb(scaler if isinstance(scaler, int) else 0)
    if isinstance(raw, str):
        try:
            text = bytes.fromhex(raw)
        except ValueError:
            return raw
        return text.decode("ascii") if text.isascii() and text.decode().isprintable() else raw
    return None


class SmlDecoder:
    """Feed bytes, get :class:`SmlReadout` per complete, CRC-checked SML file."""

    def __init__(self) -> None:
        """Start empty (raises RuntimeError without ``smllib``)."""
        if not SML_AVAILABLE:  # pragma: no cover
            raise RuntimeError("smllib is not installed")
        self._reader: SmlStreamReader = _Reader()
        self.stats = SmlStats()

    def reset(self) -> None:
        """Forget buffered bytes (a new link)."""
        self._reader.clear()

    def feed(self, data: bytes) -> list[SmlReadout]:
        """Add bytes; return the files they complete."""
        self._reader.add(data)
        found: list[SmlReadout] = []
        while True:
            try:
                frame = self._reader.get_frame()
            except CrcError:
                self.stats.crc_errors += 1
                continue
            except Exception:  # noqa: BLE001 - a library boundary: garbage must not escape
                self.stats.errors += 1
                self._reader.clear()
                return found
            if frame is None:
                return found
            try:
                found.append(self._decode(frame.parse_frame()))
            except Exception:  # noqa: BLE001 - malformed file behind a good CRC
                self.stats.errors += 1
                continue
            self.stats.files += 1

    @staticmethod
    def _decode(messages: list[Any]) -> SmlReadout:
        server_id = ""
        readings: dict[ObisCode, ObisReading] = {}
        unusable = 0
        for message in messages:
            body = message.message_body
            if isinstance(body, SmlOpenResponse | SmlGetListResponse) and body.server_id:
                server_id = server_id or str(body.server_id).upper()
            if not isinstance(body, SmlGetListResponse):
                continue
            for item in body.val_list or ():
                try:
                    code = ObisCode.from_bytes(bytes.fromhex(str(item.obis)))
                except ObisError, ValueError:
                    unusable += 1
                    continue
                unit = dlms_unit(item.unit) if isinstance(item.unit, int) else None
                built = reading(code, _value(item.value, item.scaler), unit)
                if built is None:
                    unusable += 1
                else:
                    readings.setdefault(code, built)
        if not server_id:
            raise ValueError("SML file without a server id")
        return SmlReadout(server_id, readings, unusable)
