"""
What a meter kind provides, as one record (:class:`MeterKind`).

A kind is a protocol module, a hub with its coordinators, a catalogue of entity
descriptions and its config-flow steps; ``kinds.py`` lists the kinds. The shared
config flow, platforms and diagnostics read everything kind-specific from the
record, so adding a kind touches no shared module.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn, Self

from homeassistant.config_entries import (
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
)
from homeassistant.core import DOMAIN as HOMEASSISTANT_DOMAIN, HomeAssistant
from homeassistant.data_entry_flow import AbortFlow
from homeassistant.helpers.service_info.ssdp import SsdpServiceInfo
import probatio as vol  # HA 2026 ships probatio; `import voluptuous` resolves to its shim

from .const import CONF_KIND
from .descriptions import (
    MeterBinarySensorEntityDescription,
    MeterButtonEntityDescription,
    MeterClimateEntityDescription,
    MeterSensorEntityDescription,
    MeterSwitchEntityDescription,
)
from .entity import Descriptions
from .hub import EnergyMetersConfigEntry, Hub


class KindFlowHost(ConfigFlow):
    """The config flow as kind steps see it: HA's flow plus a scratchpad per flow."""

    def __init__(self) -> None:
        """Start with an empty scratchpad."""
        super().__init__()
        #: values a kind's steps carry from one step to the next (a discovered port…)
        self.kind_state: dict[str, Any] = {}
        #: what this flow's discovery found (kind and address): a second flow for it aborts
        self.discovered: tuple[str, str] | None = None

    def is_matching(self, other_flow: Self) -> bool:
        """Tell whether ``other_flow`` discovered the same thing as this one."""
        return self.discovered is not None and other_flow.discovered == self.discovered

    def abort_if_discovered_elsewhere(self, kind: str, address: str) -> None:
        """Abort when another flow is already setting up what this discovery found."""
        self.discovered = (kind, address)
        if self.hass.config_entries.flow.async_has_matching_flow(self):
            raise AbortFlow("already_in_progress", translation_domain=HOMEASSISTANT_DOMAIN)

    async def async_claim_discovery(self, unique_id: str) -> None:
        """Take a discovery's unique ID: the same discovery in progress or ignored aborts."""
        await self.async_set_unique_id(unique_id)
        self._abort_if_unique_id_configured()

    def kind_entries(self, kind: str) -> list[EnergyMetersConfigEntry]:
        """Return the entries of ``kind`` (ignored discoveries left out)."""
        return [
            entry
            for entry in self._async_current_entries(include_ignore=False)
            if entry.data.get(CONF_KIND) == kind
        ]

    def abort_configured(
        self, entry: EnergyMetersConfigEntry, meter: str, updates: Mapping[str, Any]
    ) -> NoReturn:
        """
        Abort: ``entry`` already serves what was discovered; first save ``updates`` to it.

        A loaded entry's update listener reloads it when its data change; one waiting to
        retry its setup is reloaded now (the device was just seen), as Home Assistant
        does for a discovery of a configured unique ID.
        """
        changed = bool(updates) and self.hass.config_entries.async_update_entry(
            entry, data={**entry.data, **updates}
        )
        if changed and entry.state is ConfigEntryState.SETUP_RETRY:
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
        raise AbortFlow("already_configured", {"meter": meter, "title": entry.title})

    def abort_if_port_used(self, port: str, port_key: str) -> None:
        """Abort when an entry already reads ``port`` (it would be busy anyway)."""
        for entry in self._async_current_entries(include_ignore=False):
            if entry.data.get(port_key) == port.strip():
                raise AbortFlow(
                    "port_already_used", description_placeholders={"title": entry.title}
                )

    async def async_claim_meter(
        self, unique_id: str, meter: str, updates: dict[str, Any] | None = None
    ) -> None:
        """
        Take ``unique_id`` for this flow; abort naming the meter and its entry if taken.

        ``updates`` refresh the existing entry's data (a meter seen on a new port).
        """
        await self.async_set_unique_id(unique_id)
        existing = self.hass.config_entries.async_entry_for_domain_unique_id(
            self.handler, unique_id
        )
        self._abort_if_unique_id_configured(
            updates=updates,
            # a loaded entry's own update listener reloads it when its data change
            reload_on_update=existing is None or not existing.update_listeners,
            description_placeholders={
                "meter": meter,
                "title": existing.title if existing is not None else "",
            },
        )

    def set_confirm_only(self) -> None:
        """Mark a discovery confirmation as needing no input (one click in the UI)."""
        self._set_confirm_only()

    def async_update_entry_and_finish(
        self, entry: EnergyMetersConfigEntry, **updates: Any
    ) -> ConfigFlowResult:
        """
        Save a reconfigure or reauth and end the flow; the entry reloads with the new data.

        A loaded entry has an update listener (``__init__.py``) that reloads it when its
        data change: Home Assistant wants that listener, not the flow, to reload (a flow
        reload next to a listener is deprecated, breaking in 2026.12). An entry that is
        not loaded (setup failed: bad password) has none, so the flow reloads it.
        """
        if entry.update_listeners:
            return self.async_update_and_abort(entry, **updates)
        return self.async_update_reload_and_abort(entry, **updates)

    def reconfigure_entry(self) -> EnergyMetersConfigEntry:
        """Return the entry being reconfigured."""
        return self._get_reconfigure_entry()

    def reauth_entry(self) -> EnergyMetersConfigEntry:
        """Return the entry whose credentials are being renewed."""
        return self._get_reauth_entry()


type StepHandler = Callable[[KindFlowHost, dict[str, Any] | None], Awaitable[ConfigFlowResult]]
type UsbHandler = Callable[[KindFlowHost, str], Awaitable[ConfigFlowResult]]
type SsdpHandler = Callable[[KindFlowHost, SsdpServiceInfo], Awaitable[ConfigFlowResult]]


@dataclass(frozen=True, kw_only=True)
class MeterKind:
    """Everything the shared code needs to know about one kind of meter."""

    key: str
    """Config-entry ``kind`` value and menu option (never changes: entries store it)."""
    create_hub: Callable[[HomeAssistant, EnergyMetersConfigEntry], Hub]
    steps: Mapping[str, StepHandler]
    """
    Config-flow steps by step id; the one named ``key`` is the menu entry. Step ids are
    global to the flow: prefix any other with the kind key (``fritzbox_confirm``).
    """
    reconfigure: StepHandler | None = None
    reauth: StepHandler | None = None
    """Called with the entry data when the hub raised ConfigEntryAuthFailed."""
    usb: UsbHandler | None = None
    usb_matchers: tuple[Mapping[str, str], ...] = ()
    """USB matchers (as in the manifest) that route a discovery to this kind."""
    ssdp: SsdpHandler | None = None
    ssdp_matchers: tuple[Mapping[str, str], ...] = ()
    """SSDP matchers (as in the manifest) that route an announcement to this kind."""
    options_schema: vol.Schema | None = None
    subentry_flows: Mapping[str, type[ConfigSubentryFlow]] = field(default_factory=dict)
    sensors: Descriptions[MeterSensorEntityDescription] = ()
    """The catalogue, or a function of a device's data giving its descriptions."""
    binary_sensors: Descriptions[MeterBinarySensorEntityDescription] = ()
    switches: Descriptions[MeterSwitchEntityDescription] = ()
    """Controls: switchable outputs (commands through the device's coordinator)."""
    climates: Descriptions[MeterClimateEntityDescription] = ()
    buttons: Descriptions[MeterButtonEntityDescription] = ()
    """Controls: thermostats (target temperature, modes, presets)."""
    redact: frozenset[str] = frozenset()
    """Keys redacted from diagnostics, under any nesting (secrets, serials, PRM)."""
    retired_value_keys: frozenset[str] = frozenset()
    """Value keys of entities that no longer exist; the entry migration removes them."""
    in_menu: bool = True
