"""
Config flow: a menu of meter kinds, routing, and what every kind shares.

Each kind's steps live in ``<kind>/flow.py`` and are listed in its record
(``kinds.py``). This module shows the menu, routes a step id to the kind that
owns it, sends a USB or SSDP discovery to the kind whose matcher fired, and routes
reconfigure, options and config subentries to the entry's kind.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from fnmatch import fnmatch
import functools
from typing import Any

from homeassistant.components import usb
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
)
from homeassistant.core import callback
from homeassistant.helpers.service_info.ssdp import SsdpServiceInfo
from homeassistant.helpers.service_info.usb import UsbServiceInfo

from .const import DOMAIN
from .kind import KindFlowHost, MeterKind
from .kinds import KINDS, kind_of
from .migration import MINOR_VERSION, VERSION


def _usb_kind(info: UsbServiceInfo) -> MeterKind | None:
    """Return the kind one of whose USB matchers fits the discovered device."""
    fields = {
        "vid": info.vid,
        "pid": info.pid,
        "description": info.description,
        "manufacturer": info.manufacturer,
        "serial_number": info.serial_number,
    }
    for kind in KINDS.values():
        for matcher in kind.usb_matchers:
            if all(
                fnmatch((fields.get(name) or "").lower(), pattern.lower())
                for name, pattern in matcher.items()
            ):
                return kind
    return None


def _ssdp_kind(info: SsdpServiceInfo) -> MeterKind | None:
    """Return the kind one of whose SSDP matchers fits (as HA matches: equal values)."""
    fields = {
        key.lower(): value
        for key, value in {**info.upnp, **info.ssdp_headers, "st": info.ssdp_st}.items()
    }
    for kind in KINDS.values():
        for matcher in kind.ssdp_matchers:
            if all(fields.get(name.lower()) == value for name, value in matcher.items()):
                return kind
    return None


class EnergyMetersConfigFlow(KindFlowHost, domain=DOMAIN):
    """Set up one hub: a menu of kinds, then the kind's own steps."""

    VERSION = VERSION
    MINOR_VERSION = MINOR_VERSION

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry[Any]) -> OptionsFlow:
        """Options of the entry's kind."""
        return EnergyMetersOptionsFlow()

    @classmethod
    @callback
    def async_supports_options_flow(cls, config_entry: ConfigEntry[Any]) -> bool:
        """Only kinds with options have an options flow."""
        return kind_of(config_entry).options_schema is not None

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry[Any]
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Devices the user declares one by one (wM-Bus meters…), by the entry's kind."""
        return dict(kind_of(config_entry).subentry_flows)

    def __getattr__(self, name: str) -> Callable[[dict[str, Any] | None], Awaitable[Any]]:
        """Route ``async_step_<id>`` to the kind that owns step ``<id>``."""
        if name.startswith("async_step_"):
            step_id = name.removeprefix("async_step_")
            for kind in KINDS.values():
                if (handler := kind.steps.get(step_id)) is not None:
                    return functools.partial(handler, self)
        raise AttributeError(name)

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """First step: which kind of meter."""
        return self.async_show_menu(
            step_id="user", menu_options=[kind.key for kind in KINDS.values() if kind.in_menu]
        )

    async def async_step_usb(self, discovery_info: UsbServiceInfo) -> ConfigFlowResult:
        """Hand a plugged-in dongle to the kind whose USB matcher fired."""
        kind = _usb_kind(discovery_info)
        if kind is None or kind.usb is None:
            return self.async_abort(reason="not_supported")
        port = await self.hass.async_add_executor_job(usb.get_serial_by_id, discovery_info.device)
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
        return await kind.usb(self, port)

    async def async_step_ssdp(self, discovery_info: SsdpServiceInfo) -> ConfigFlowResult:
        """Hand a device that announced itself on the network to the kind that matched it."""
        kind = _ssdp_kind(discovery_info)
        if kind is None or kind.ssdp is None:
            return self.async_abort(reason="not_supported")
        return await kind.ssdp(self, discovery_info)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Reconfigure with the entry's kind (a new port, the same meter)."""
        kind = kind_of(self._get_reconfigure_entry())
        if kind.reconfigure is None:
            return self.async_abort(reason="not_supported")
        return await kind.reconfigure(self, user_input)

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Renew the credentials of a hub with the entry's kind (a FRITZ!Box password)."""
        kind = kind_of(self._get_reauth_entry())
        if kind.reauth is None:
            return self.async_abort(reason="not_supported")
        return await kind.reauth(self, dict(entry_data))


class EnergyMetersOptionsFlow(OptionsFlow):
    """The entry kind's options (for meters: the update policy); a change reloads the entry."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Single options step; it says which meter it configures."""
        schema = kind_of(self.config_entry).options_schema
        assert schema is not None  # async_supports_options_flow
        if user_input is not None:
            return self.async_create_entry(data=user_input)
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                schema, dict(self.config_entry.options)
            ),
            description_placeholders={"title": self.config_entry.title},
        )
