"""The Wireless M-Bus kind record: a receiver hub, meters as subentries, field catalogue."""

from __future__ import annotations

from typing import Final

from homeassistant.helpers.selector import NumberSelector, NumberSelectorConfig, NumberSelectorMode
import probatio as vol  # HA 2026 ships probatio; `import voluptuous` resolves to its shim

from ..kind import MeterKind
from ..options import UPDATE_POLICY_SCHEMA
from .const import (
    CONF_KEY,
    CONF_MAX_ELECTRIC_POWER,
    CONF_MAX_GAS_FLOW,
    CONF_MAX_HEAT_POWER,
    CONF_MAX_WATER_FLOW,
    CONF_METER_ID,
    CONF_SILENCE_MINUTES,
    DEFAULT_MAX_ELECTRIC_POWER,
    DEFAULT_MAX_GAS_FLOW,
    DEFAULT_MAX_HEAT_POWER,
    DEFAULT_MAX_WATER_FLOW,
    DEFAULT_SILENCE_MINUTES,
    KIND,
    SUBENTRY_TYPE,
)
from .entities import BINARY_SENSORS, SENSORS
from .flow import WmbusMeterSubentryFlow, async_step_wmbus
from .hub import WmbusHub


def _number(maximum: float, unit: str) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=0, max=maximum, step="any", mode=NumberSelectorMode.BOX, unit_of_measurement=unit
        )
    )


OPTIONS_SCHEMA: Final = UPDATE_POLICY_SCHEMA.extend(
    {
        vol.Required(CONF_MAX_WATER_FLOW, default=DEFAULT_MAX_WATER_FLOW): _number(1000, "m³/h"),
        vol.Required(CONF_MAX_GAS_FLOW, default=DEFAULT_MAX_GAS_FLOW): _number(1000, "m³/h"),
        vol.Required(CONF_MAX_HEAT_POWER, default=DEFAULT_MAX_HEAT_POWER): _number(100000, "kW"),
        vol.Required(CONF_MAX_ELECTRIC_POWER, default=DEFAULT_MAX_ELECTRIC_POWER): _number(
            100000, "kW"
        ),
        vol.Required(CONF_SILENCE_MINUTES, default=DEFAULT_SILENCE_MINUTES): _number(10080, "min"),
    }
)

WMBUS: Final = MeterKind(
    key=KIND,
    create_hub=WmbusHub,
    steps={KIND: async_step_wmbus},
    options_schema=OPTIONS_SCHEMA,
    subentry_flows={SUBENTRY_TYPE: WmbusMeterSubentryFlow},
    sensors=SENSORS,
    binary_sensors=BINARY_SENSORS,
    # meter ids identify homes' meters (heard neighbours' too, and their raw telegrams);
    # keys decrypt them
    redact=frozenset({CONF_KEY, CONF_METER_ID, "serial_number", "telegrams"}),
)
