"""The Linky kind record: hub, flow steps, USB matchers, catalogue, redaction."""

from __future__ import annotations

from typing import Final

from ..const import CONF_SERIAL
from ..kind import MeterKind
from ..options import UPDATE_POLICY_SCHEMA
from .entities import LINKY_BINARY_SENSORS, LINKY_SENSORS, RETIRED_LINKY_KEYS
from .flow import (
    KIND,
    async_linky_usb,
    async_step_linky,
    async_step_reconfigure,
    async_step_usb_confirm,
)
from .hub import LinkyHub

LINKY_USB_MATCHERS: Final = (
    {"vid": "0403", "pid": "6015", "description": "*tinfo*"},
    {"vid": "0403", "pid": "6001", "description": "*teleinfo*"},
    {"vid": "0403", "pid": "6001", "manufacturer": "*cartelectronic*"},
)

LINKY: Final = MeterKind(
    key=KIND,
    create_hub=LinkyHub,
    steps={KIND: async_step_linky, "usb_confirm": async_step_usb_confirm},
    reconfigure=async_step_reconfigure,
    usb=async_linky_usb,
    usb_matchers=LINKY_USB_MATCHERS,
    options_schema=UPDATE_POLICY_SCHEMA,
    sensors=LINKY_SENSORS,
    binary_sensors=LINKY_BINARY_SENSORS,
    # serials (ADCO/ADSC) and the delivery point (PRM) identify a home
    redact=frozenset({CONF_SERIAL, "address", "prm", "ADCO", "ADSC", "PRM", "serial_number"}),
    retired_value_keys=RETIRED_LINKY_KEYS,
)
