"""A hub kind for tests: a hub device, and counters declared one by one as subentries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.config_entries import (
    ConfigFlowResult,
    ConfigSubentry,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.const import UnitOfVolume
from homeassistant.helpers.device_registry import DeviceInfo
import voluptuous as vol

from custom_components.energy_meters.const import CONF_KIND, DOMAIN
from custom_components.energy_meters.coordinator import MeterCoordinator, MeterData
from custom_components.energy_meters.counters import CounterGuards
from custom_components.energy_meters.descriptions import MeterSensorEntityDescription
from custom_components.energy_meters.hub import Hub
from custom_components.energy_meters.kind import KindFlowHost, MeterKind
from custom_components.energy_meters.update_policy import Cadence

TEST_KIND: Final = "test_hub"
SUBENTRY_TYPE: Final = "test_meter"
CONF_METER_ID: Final = "meter_id"
CONF_READING: Final = "reading"
MAX_RATE: Final = 1.0  # m³ per second: generous for a test


@dataclass(slots=True, kw_only=True)
class CounterData(MeterData):
    """A declared meter's reading."""

    volume: float | None


class CounterCoordinator(MeterCoordinator[CounterData]):
    """One declared meter; its reading comes from the subentry (polled on demand)."""

    def __init__(self, hub: Hub, subentry: ConfigSubentry, guards: CounterGuards) -> None:
        """Bind the coordinator to its subentry."""
        self.subentry = subentry
        super().__init__(
            hub.hass,
            hub.entry,
            name=f"Test meter {subentry.data[CONF_METER_ID]}",
            device_key=f"test_{subentry.data[CONF_METER_ID]}",
            guards=guards,
            subentry_id=subentry.subentry_id,
            update_interval=timedelta(seconds=5),
        )

    def meter_device_info(self) -> DeviceInfo:
        """A device per declared meter."""
        return DeviceInfo(
            identifiers={(DOMAIN, self.device_key)},
            name=self.subentry.title,
            manufacturer="Energy Meters tests",
        )

    async def _async_update_data(self) -> CounterData:
        volume = self.guard_counter(
            "volume", float(self.subentry.data.get(CONF_READING, 0.0)), MAX_RATE
        )
        return CounterData(link=self.link, volume=volume)


class TestHub(Hub):
    """A hub with a device of its own and one coordinator per subentry."""

    def hub_device_info(self) -> DeviceInfo:
        """The receiver itself."""
        return DeviceInfo(
            identifiers={(DOMAIN, f"test_hub_{self.entry.entry_id}")},
            name="Test receiver",
            manufacturer="Energy Meters tests",
        )

    async def async_setup_devices(self) -> None:
        """One coordinator per declared meter."""
        for subentry in self.entry.subentries.values():
            coordinator = CounterCoordinator(
                self, subentry, self.counters.guards_for(f"test_{subentry.data[CONF_METER_ID]}")
            )
            await coordinator.async_config_entry_first_refresh()
            self.add_coordinator(coordinator)


class TestMeterSubentryFlow(ConfigSubentryFlow):
    """Declare a meter: its id and a name."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Ask for the meter id."""
        if user_input is not None:
            return self.async_create_entry(
                title=user_input.get("name") or f"Meter {user_input[CONF_METER_ID]}",
                data={CONF_METER_ID: user_input[CONF_METER_ID], CONF_READING: 1.0},
                unique_id=user_input[CONF_METER_ID],
            )
        return self.async_show_form(
            step_id="user",
            data_schema=vol.Schema({vol.Required(CONF_METER_ID): str, vol.Optional("name"): str}),
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change the reading of a declared meter."""
        subentry = self._get_reconfigure_subentry()
        if user_input is not None:
            return self.async_update_and_abort(
                self._get_entry(),
                subentry,
                data_updates={CONF_READING: float(user_input[CONF_READING])},
            )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=vol.Schema({vol.Required(CONF_READING): vol.Coerce(float)}),
        )


async def _reauth(flow: KindFlowHost, entry_data: dict[str, Any] | None) -> ConfigFlowResult:
    return await _reauth_confirm(flow, None)


async def _reauth_confirm(
    flow: KindFlowHost, user_input: dict[str, Any] | None
) -> ConfigFlowResult:
    if user_input is None:
        return flow.async_show_form(
            step_id="test_hub_reauth_confirm", data_schema=vol.Schema({vol.Required("token"): str})
        )
    return flow.async_update_entry_and_finish(flow.reauth_entry(), data_updates=user_input)


async def _create_hub(flow: KindFlowHost, user_input: dict[str, Any] | None) -> ConfigFlowResult:
    return flow.async_create_entry(title="Test hub", data={CONF_KIND: TEST_KIND})


VOLUME: Final = MeterSensorEntityDescription(
    key="volume",
    translation_key="volume",
    device_class=SensorDeviceClass.WATER,
    state_class=SensorStateClass.TOTAL_INCREASING,
    native_unit_of_measurement=UnitOfVolume.CUBIC_METERS,
    value_fn=lambda data: data.volume,
    cadence=Cadence.ALARM,  # written at once: the end-to-end test reads it back
)

TEST_HUB: Final = MeterKind(
    key=TEST_KIND,
    create_hub=TestHub,
    steps={TEST_KIND: _create_hub, "test_hub_reauth_confirm": _reauth_confirm},
    reauth=_reauth,
    subentry_flows={SUBENTRY_TYPE: TestMeterSubentryFlow},
    sensors=(VOLUME,),
    redact=frozenset({CONF_METER_ID}),
    in_menu=False,
)
