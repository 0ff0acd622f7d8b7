"""What a Linky coordinator publishes: the latest accepted readings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..coordinator import MeterData
from ..protocol.tic.meter import TicMeterInfo
from ..protocol.tic.stge import StgeStatus


@dataclass(slots=True, kw_only=True)
class LinkyData(MeterData):
    """One meter's latest accepted readings."""

    meter: TicMeterInfo
    values: dict[str, Any] = field(default_factory=dict)  # canonical label -> value
    measured_at: dict[str, datetime] = field(default_factory=dict)  # dated labels
    stge: StgeStatus | None = None
    clock_offset: int | None = None  # meter clock minus reception time, seconds
