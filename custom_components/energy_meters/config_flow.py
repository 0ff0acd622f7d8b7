"""
Config flow: a menu of meter kinds, then one validated step per kind.

Linky: the port is probed at both TIC speeds (bounded time, never hangs), the
mode, phases and producer status come from the frames, and the meter serial is
the unique ID. USB discovery, reconfigure (new port, same meter) and an options
flow for the update policy complete it.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components import usb
from homeassistant.config_entries import (
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
    OptionsFlowWithReload,
)
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
)
from homeassistant.helpers.service_info.usb import UsbServiceInfo
import probatio as vol  # HA 2026 ships probatio; `import voluptuous` resolves to its shim

from .const import (
    CONF_COUNTER_INTERVAL,
    CONF_DEVICE,
    CONF_KIND,
    CONF_POWER_INTERVAL,
    CONF_SERIAL,
    DEFAULT_COUNTER_INTERVAL,
    DEFAULT_POWER_INTERVAL,
    DOMAIN,
    LOGGER,
    MeterKind,
)
from .coordinator import EnergyMetersConfigEntry
from .linky.flow import LINKY_SCHEMA, LinkyProbe, LinkyProbeError, linky_title, probe_linky


class EnergyMetersConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up one meter."""

    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        """Start a flow."""
        self._usb_port: str | None = None

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: EnergyMetersConfigEntry) -> OptionsFlow:
        """Options: the update policy."""
        return EnergyMetersOptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """First step: which kind of meter."""
        return self.async_show_menu(step_id="user", menu_options=[kind.value for kind in MeterKind])

    async def _async_probe(self, port: str, errors: dict[str, str]) -> LinkyProbe | None:
        try:
            return await probe_linky(port)
        except LinkyProbeError as err:
            errors["base"] = err.key
        except Exception:  # noqa: BLE001 - shown as "unknown", details in the log
            LOGGER.exception("Unexpected error while probing %s", port)
            errors["base"] = "unknown"
        return None

    async def _async_add_linky(self, port: str, errors: dict[str, str]) -> ConfigFlowResult | None:
        """Probe ``port``; create the entry (or abort for a known meter), else fill ``errors``."""
        self._async_abort_entries_match({CONF_DEVICE: port.strip()})  # ours, and busy reading
        probe = await self._async_probe(port, errors)
        if probe is None:
            return None
        await self.async_set_unique_id(probe.meter.address)
        self._abort_if_unique_id_configured(updates=probe.connection())
        return self.async_create_entry(
            title=linky_title(probe.meter),
            data={
                CONF_KIND: MeterKind.LINKY.value,
                CONF_SERIAL: probe.meter.address,
                **probe.connection(),
            },
        )

    async def async_step_linky(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Linky: pick the TIC port; the mode and the meter are detected."""
        errors: dict[str, str] = {}
        if user_input is not None and (
            result := await self._async_add_linky(user_input[CONF_DEVICE], errors)
        ):
            return result
        return self.async_show_form(
            step_id="linky",
            data_schema=self.add_suggested_values_to_schema(LINKY_SCHEMA, user_input),
            errors=errors,
        )

    async def async_step_usb(self, discovery_info: UsbServiceInfo) -> ConfigFlowResult:
        """Handle a known TIC dongle being plugged in."""
        port = await self.hass.async_add_executor_job(usb.get_serial_by_id, discovery_info.device)
        self._async_abort_entries_match({CONF_DEVICE: port})
        self._usb_port = port
        self.context["title_placeholders"] = {
            "name": usb.human_readable_device_name(
                discovery_info.device,
                discovery_info.serial_number,
                discovery_info.manufacturer,
                discovery_info.description,
                discovery_info.vid,
                discovery_info.pid,
            )
        }
        return await self.async_step_usb_confirm()

    async def async_step_usb_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Confirm the discovered dongle, then read the meter behind it."""
        assert self._usb_port is not None
        errors: dict[str, str] = {}
        if user_input is not None and (
            result := await self._async_add_linky(self._usb_port, errors)
        ):
            return result
        self._set_confirm_only()
        return self.async_show_form(
            step_id="usb_confirm",
            errors=errors,
            description_placeholders={"port": self._usb_port},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Move a meter to another port (the same meter only)."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            port = user_input[CONF_DEVICE]
            probe = await self._async_probe(port, errors)
            if probe is not None and probe.meter.address != entry.unique_id:
                errors["base"] = "wrong_meter"
            elif probe is not None:
                return self.async_update_reload_and_abort(entry, data_updates=probe.connection())
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                LINKY_SCHEMA, user_input or {CONF_DEVICE: entry.data[CONF_DEVICE]}
            ),
            errors=errors,
            description_placeholders={"serial": entry.unique_id or ""},
        )


def _seconds(minimum: int, maximum: int) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=minimum,
            max=maximum,
            step=1,
            mode=NumberSelectorMode.BOX,
            unit_of_measurement="s",
        )
    )


OPTIONS_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_COUNTER_INTERVAL, default=DEFAULT_COUNTER_INTERVAL): _seconds(1, 3600),
        vol.Required(CONF_POWER_INTERVAL, default=DEFAULT_POWER_INTERVAL): _seconds(1, 600),
    }
)


class EnergyMetersOptionsFlow(OptionsFlowWithReload):
    """Update policy: how often values may be written."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Single options step."""
        if user_input is not None:
            return self.async_create_entry(
                data={key: int(value) for key, value in user_input.items()}
            )
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                OPTIONS_SCHEMA, dict(self.config_entry.options)
            ),
        )
