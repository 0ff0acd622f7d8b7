"""Constants for the Energy Meters integration."""

from __future__ import annotations

from enum import StrEnum
import logging
from typing import Final

DOMAIN: Final = "energy_meters"
LOGGER = logging.getLogger(__package__)

CONF_KIND: Final = "kind"
# "device" is one of the keys HA's usb integration reads to show which entry uses a port
CONF_DEVICE: Final = "device"
CONF_TIC_MODE: Final = "tic_mode"
CONF_SERIAL: Final = "serial"
CONF_BAUDRATE: Final = "baudrate"

# options: update policy
CONF_COUNTER_INTERVAL: Final = "counter_interval"
CONF_POWER_INTERVAL: Final = "power_interval"
DEFAULT_COUNTER_INTERVAL: Final = 300
"""Counters and slow values at most every 5 minutes: the recorder's statistics period,
so each 5-minute statistic still gets a fresh counter (power stays at 5 s)."""
DEFAULT_POWER_INTERVAL: Final = 5


class MeterKind(StrEnum):
    """Meter families offered in the config-flow menu."""

    LINKY = "linky"


def short_id(identity: str) -> str:
    """
    Shorten a serial, meter id or AIN to its last four characters (names that reach logs).

    Full serials identify a home: logs (even at debug level) carry only this.
    """
    return f"…{identity[-4:]}" if len(identity) > 4 else identity
