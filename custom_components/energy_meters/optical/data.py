"""What an optical coordinator publishes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..coordinator import MeterData
from ..protocol.optical.ranges import Anomaly


@dataclass(slots=True, kw_only=True)
class OpticalData(MeterData):
    """One meter's latest accepted values, by OBIS slug."""

    values: dict[str, Any] = field(default_factory=dict)
    units: dict[str, str | None] = field(default_factory=dict)
    anomalies: dict[str, Anomaly] = field(default_factory=dict)
    readout_seconds: float | None = None
