"""The FRITZ!Box kind record: hub, flow steps, options, catalogue, redaction."""

from __future__ import annotations

from typing import Final

from homeassistant.const import CONF_HOST
import probatio as vol  # HA 2026 ships probatio; `import voluptuous` resolves to its shim

from ..kind import MeterKind
from ..options import UPDATE_POLICY_SCHEMA, seconds_selector
from .const import (
    CONF_POLL_INTERVAL,
    CONF_UDN,
    DEFAULT_POLL_INTERVAL,
    KIND,
    MIN_POLL_INTERVAL,
    SSDP_MATCHERS,
)
from .entities import (
    FRITZBOX_BINARY_SENSORS,
    FRITZBOX_CLIMATES,
    FRITZBOX_SENSORS,
    FRITZBOX_SWITCHES,
)
from .flow import (
    STEP_CONFIRM,
    STEP_REAUTH,
    STEP_RECONFIGURE,
    async_fritzbox_ssdp,
    async_reauth,
    async_reconfigure,
    async_step_fritzbox,
    async_step_fritzbox_confirm,
    async_step_reauth_confirm,
)
from .hub import FritzboxHub

FRITZBOX_OPTIONS_SCHEMA: Final = UPDATE_POLICY_SCHEMA.extend(
    {
        vol.Required(CONF_POLL_INTERVAL, default=DEFAULT_POLL_INTERVAL): seconds_selector(
            MIN_POLL_INTERVAL, 3600
        )
    }
)

FRITZBOX: Final = MeterKind(
    key=KIND,
    create_hub=FritzboxHub,
    steps={
        KIND: async_step_fritzbox,
        STEP_RECONFIGURE: async_reconfigure,
        STEP_REAUTH: async_step_reauth_confirm,
        STEP_CONFIRM: async_step_fritzbox_confirm,
    },
    reconfigure=async_reconfigure,
    reauth=async_reauth,
    ssdp=async_fritzbox_ssdp,
    ssdp_matchers=SSDP_MATCHERS,
    options_schema=FRITZBOX_OPTIONS_SCHEMA,
    sensors=FRITZBOX_SENSORS,
    binary_sensors=FRITZBOX_BINARY_SENSORS,
    switches=FRITZBOX_SWITCHES,
    climates=FRITZBOX_CLIMATES,
    # the box address and the devices' names say whose home it is; the SID is never kept;
    # the UDN identifies the box
    redact=frozenset({CONF_HOST, "sid", "configuration_url", CONF_UDN}),
)
