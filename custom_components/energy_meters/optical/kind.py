"""The optical kind record: IR heads and customer-interface cables (IEC 62056-21, DLMS, SML)."""

from __future__ import annotations

from typing import Final

from homeassistant.helpers.selector import NumberSelector, NumberSelectorConfig, NumberSelectorMode
import probatio as vol  # HA 2026 ships probatio; `import voluptuous` resolves to its shim

from ..kind import MeterKind
from ..options import UPDATE_POLICY_SCHEMA, seconds_selector
from ..protocol.optical.ranges import FREQUENCY_MAX, FREQUENCY_MIN, VOLTAGE_MAX, VOLTAGE_MIN
from .const import (
    CONF_AUTH_KEY,
    CONF_FREQUENCY_MAX,
    CONF_FREQUENCY_MIN,
    CONF_IDENTITY,
    CONF_KEY,
    CONF_POLL_INTERVAL,
    CONF_POWER_LIMIT,
    CONF_VOLTAGE_MAX,
    CONF_VOLTAGE_MIN,
    KIND,
)
from .entities import OPTICAL_BINARY_SENSORS, OPTICAL_BUTTONS, OPTICAL_SENSORS
from .flow import (
    STEP_FOUND,
    STEP_KEY,
    STEP_RECONFIGURE,
    async_step_optical,
    async_step_optical_found,
    async_step_optical_key,
    async_step_optical_reconfigure,
)
from .hub import OpticalHub


def _number(minimum: float, maximum: float, step: float, unit: str) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=minimum, max=maximum, step=step, mode=NumberSelectorMode.BOX,
            unit_of_measurement=unit,
        )
    )  # fmt: skip


OPTICAL_OPTIONS_SCHEMA = UPDATE_POLICY_SCHEMA.extend(
    {
        vol.Required(CONF_POLL_INTERVAL, default=0): seconds_selector(0, 3600),
        vol.Required(CONF_VOLTAGE_MIN, default=VOLTAGE_MIN): _number(100, 240, 0.1, "V"),
        vol.Required(CONF_VOLTAGE_MAX, default=VOLTAGE_MAX): _number(220, 400, 0.1, "V"),
        vol.Required(CONF_FREQUENCY_MIN, default=FREQUENCY_MIN): _number(45, 50, 0.01, "Hz"),
        vol.Required(CONF_FREQUENCY_MAX, default=FREQUENCY_MAX): _number(50, 65, 0.01, "Hz"),
        vol.Required(CONF_POWER_LIMIT, default=0): _number(0, 1000, 0.1, "kW"),
    }
)

OPTICAL: Final = MeterKind(
    key=KIND,
    create_hub=OpticalHub,
    steps={
        KIND: async_step_optical,
        STEP_FOUND: async_step_optical_found,
        STEP_KEY: async_step_optical_key,
        STEP_RECONFIGURE: async_step_optical_reconfigure,
    },
    reconfigure=async_step_optical_reconfigure,
    options_schema=OPTICAL_OPTIONS_SCHEMA,
    sensors=OPTICAL_SENSORS,
    binary_sensors=OPTICAL_BINARY_SENSORS,
    buttons=OPTICAL_BUTTONS,
    # keys are secrets; serials and the meter identity identify a home
    redact=frozenset({CONF_KEY, CONF_AUTH_KEY, CONF_IDENTITY, "serial_number"}),
)
