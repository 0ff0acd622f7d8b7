"""Shared coordinator pieces, exercised through a minimal polled kind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceInfo
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.energy_meters.binary_sensor import MeterBinarySensorEntityDescription
from custom_components.energy_meters.coordinator import LinkStats, MeterCoordinator, MeterData
from custom_components.energy_meters.entity import async_add_dynamic_entities
from custom_components.energy_meters.sensor import MeterSensorEntityDescription


@dataclass(kw_only=True)
class PolledData(MeterData):
    value: int


class PolledCoordinator(MeterCoordinator[PolledData]):
    """The smallest possible kind."""

    @property
    def device_info(self) -> DeviceInfo:
        return DeviceInfo(identifiers={("energy_meters", "polled")})

    @property
    def unique_key(self) -> str:
        return "polled"

    async def _async_update_data(self) -> PolledData:
        return PolledData(link=self.link, value=1)


def test_link_quality_is_unknown_before_any_frame() -> None:
    stats = LinkStats()
    assert stats.quality is None
    stats.frames_ok, stats.frames_failed = 3, 1
    assert stats.quality == 75.0


def test_descriptions_default_to_always_existing() -> None:
    sensor = MeterSensorEntityDescription(key="x", value_fn=lambda data: 1)
    binary = MeterBinarySensorEntityDescription(key="y", value_fn=lambda data: True)
    assert sensor.exists_fn(None) and binary.exists_fn(None)


async def test_base_defaults_and_dynamic_entities_wait_for_data(hass: HomeAssistant) -> None:
    entry = MockConfigEntry(domain="energy_meters", data={})
    entry.add_to_hass(hass)
    coordinator = PolledCoordinator(hass, entry, name="polled")
    assert coordinator.sensor_descriptions == ()
    assert coordinator.binary_sensor_descriptions == ()
    assert coordinator.diagnostics() == {}
    await coordinator.async_start()
    added: list[Any] = []
    description = MeterSensorEntityDescription(key="value", value_fn=lambda data: data.value)
    async_add_dynamic_entities(coordinator, [description], lambda c, d: d, added.extend)
    assert added == []  # no data yet
    await coordinator.async_refresh()
    assert added == [description]
    coordinator.async_set_updated_data(PolledData(link=coordinator.link, value=2))
    assert added == [description]  # not added twice
