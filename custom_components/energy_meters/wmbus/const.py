"""Keys and defaults of the Wireless M-Bus kind."""

from __future__ import annotations

from typing import Final

KIND: Final = "wmbus"
SUBENTRY_TYPE: Final = "wmbus_meter"

CONF_BINARY: Final = "binary"
CONF_METER_ID: Final = "meter_id"
CONF_DRIVER: Final = "driver"
CONF_KEY: Final = "key"
CONF_NAME: Final = "name"

DEFAULT_BINARY: Final = "wmbusmeters"
DEFAULT_DEVICE: Final = "auto:c1,t1"

# options: highest plausible rates for the counter guard, silence watchdog
CONF_MAX_WATER_FLOW: Final = "max_water_flow"  # m³/h
CONF_MAX_GAS_FLOW: Final = "max_gas_flow"  # m³/h
CONF_MAX_HEAT_POWER: Final = "max_heat_power"  # kW
CONF_MAX_ELECTRIC_POWER: Final = "max_electric_power"  # kW
CONF_SILENCE_MINUTES: Final = "silence_minutes"
DEFAULT_MAX_WATER_FLOW: Final = 10.0  # a domestic Q3 is 2.5-4 m³/h
DEFAULT_MAX_GAS_FLOW: Final = 40.0  # a G25 meter; G4 is 6 m³/h
DEFAULT_MAX_HEAT_POWER: Final = 500.0
DEFAULT_MAX_ELECTRIC_POWER: Final = 100.0
DEFAULT_SILENCE_MINUTES: Final = 60

STALE_FACTOR: Final = 4.0
"""A meter is unavailable after this many of its usual intervals without a telegram."""
DEFAULT_INTERVAL: Final = 900.0
"""Seconds assumed between two telegrams before a meter's own interval is known."""
MIN_STALE: Final = 300.0
MAX_STALE: Final = 3 * 86400.0

# translation keys (exceptions.*, issues.*, config.error.*)
BINARY_NOT_FOUND: Final = "wmbus_binary_not_found"
BINARY_NOT_WORKING: Final = "wmbus_binary_not_working"
METER_SILENT: Final = "wmbus_meter_silent"
WRONG_KEY: Final = "wmbus_wrong_key"
NO_KEY: Final = "wmbus_no_key"
UNKNOWN_DRIVER: Final = "wmbus_unknown_driver"
DEVICE_NOT_FOUND: Final = "wmbus_device_not_found"
RECEIVER_DOWN: Final = "wmbus_receiver_down"
KEY_REJECTED: Final = "wmbus_key_rejected"
