"""What a wM-Bus meter and a receiver publish."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..coordinator import MeterData
from ..protocol.wmbus.output import FieldValue


@dataclass(slots=True, kw_only=True)
class WmbusMeterData(MeterData):
    """The last telegram of one meter; counters already through the guard."""

    media: str = ""
    driver: str = ""
    values: dict[str, FieldValue] = field(default_factory=dict)
    rssi_dbm: float | None = None
    last_telegram: datetime | None = None
    telegrams: int = 0
    interval: float | None = None
    """Seconds between two telegrams, as learned from this meter."""


@dataclass(slots=True, kw_only=True)
class ReceiverData(MeterData):
    """The wmbusmeters process behind a receiver."""

    running: bool = False
    restarts: int = 0
    telegrams: int = 0
    problem: str | None = None
    heard: dict[str, dict[str, str]] = field(default_factory=dict)
