"""Keys of the optical kind (entry data and options)."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

KIND: Final = "optical"

CONF_PROTOCOL: Final = "protocol"
CONF_IDENTITY: Final = "identity"
CONF_BYTESIZE: Final = "bytesize"
CONF_PARITY: Final = "parity"
CONF_SWITCH_BAUDRATE: Final = "switch_baudrate"
CONF_KEY: Final = "key"
CONF_AUTH_KEY: Final = "authentication_key"

# options
CONF_POLL_INTERVAL: Final = "optical_poll_interval"  # s, 0: follow the measured readout time
CONF_VOLTAGE_MIN: Final = "optical_voltage_min"
CONF_VOLTAGE_MAX: Final = "optical_voltage_max"
CONF_FREQUENCY_MIN: Final = "optical_frequency_min"
CONF_FREQUENCY_MAX: Final = "optical_frequency_max"
CONF_POWER_LIMIT: Final = "optical_power_limit"  # kW, 0: none

EVENT_ANOMALY: Final = "energy_meters_anomaly"


class Protocol(StrEnum):
    """What the meter speaks (entry data ``protocol``)."""

    IEC = "iec"
    DLMS = "dlms"
    SML = "sml"
