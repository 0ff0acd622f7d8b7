"""Climate platform: thermostats (target temperature, modes, presets) from the kind's catalogue."""

from __future__ import annotations

from typing import Any

from homeassistant.components.climate import ClimateEntity
from homeassistant.components.climate.const import ATTR_HVAC_MODE, ClimateEntityFeature, HVACMode
from homeassistant.const import ATTR_TEMPERATURE, UnitOfTemperature
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import MeterCoordinator
from .descriptions import MeterClimateEntityDescription, async_run_command
from .entity import EnergyMetersEntity, async_add_hub_entities
from .hub import EnergyMetersConfigEntry
from .kinds import kind_of

PARALLEL_UPDATES = 1  # one command at a time per platform


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EnergyMetersConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the thermostats of every device of the entry's hub."""
    async_add_hub_entities(
        entry.runtime_data, kind_of(entry).climates, MeterClimate, async_add_entities
    )


class MeterClimate(EnergyMetersEntity, ClimateEntity):
    """A thermostat whose state is read back from the device after every command."""

    entity_description: MeterClimateEntityDescription
    _attr_temperature_unit = UnitOfTemperature.CELSIUS

    def __init__(
        self, coordinator: MeterCoordinator[Any], description: MeterClimateEntityDescription
    ) -> None:
        """Create the thermostat from its description's limits, modes and presets."""
        super().__init__(coordinator, description)
        self.cadence = description.cadence
        self._attr_min_temp = description.min_temp
        self._attr_max_temp = description.max_temp
        self._attr_target_temperature_step = description.target_temperature_step
        self._attr_precision = description.target_temperature_step
        self._attr_hvac_modes = list(description.hvac_modes)
        features = ClimateEntityFeature.TARGET_TEMPERATURE
        if HVACMode.OFF in description.hvac_modes:
            features |= ClimateEntityFeature.TURN_OFF | ClimateEntityFeature.TURN_ON
        self._attr_preset_modes = list(description.preset_modes) or None
        if description.preset_modes:
            features |= ClimateEntityFeature.PRESET_MODE
        self._attr_supported_features = features

    def snapshot(self) -> tuple[Any, Any]:
        """Everything a write would publish."""
        return (
            (self.hvac_mode, self.target_temperature, self.preset_mode),
            self.current_temperature,
        )

    @property
    def current_temperature(self) -> float | None:
        """Measured temperature."""
        return self.entity_description.current_temperature_fn(self.coordinator.data)

    @property
    def target_temperature(self) -> float | None:
        """Target temperature (None when the mode has none: off, fully open)."""
        return self.entity_description.target_temperature_fn(self.coordinator.data)

    @property
    def hvac_mode(self) -> HVACMode | None:
        """Current mode."""
        return self.entity_description.hvac_mode_fn(self.coordinator.data)

    @property
    def preset_mode(self) -> str | None:
        """Current preset (None: a manual target)."""
        return self.entity_description.preset_fn(self.coordinator.data)

    async def async_set_temperature(self, **kwargs: Any) -> None:
        """
        Set the target; with a mode, the mode first (off has no target).

        Home Assistant checked the target against min/max and, as the entity has no
        range feature, always passes ``temperature``.
        """
        if (mode := kwargs.get(ATTR_HVAC_MODE)) is not None:
            await self.async_set_hvac_mode(mode)
            if mode == HVACMode.OFF:
                return
        await async_run_command(
            self.coordinator,
            self.entity_description.set_target_fn(
                self.coordinator, float(kwargs[ATTR_TEMPERATURE])
            ),
        )

    async def async_set_hvac_mode(self, hvac_mode: HVACMode) -> None:
        """Switch the mode (Home Assistant only offers the description's modes)."""
        set_mode = self.entity_description.set_hvac_mode_fn
        if set_mode is None or hvac_mode == self.hvac_mode:
            return
        await async_run_command(self.coordinator, set_mode(self.coordinator, hvac_mode))

    async def async_set_preset_mode(self, preset_mode: str) -> None:
        """Apply a preset (Home Assistant only offers the description's presets)."""
        set_preset = self.entity_description.set_preset_fn
        if set_preset is None:
            return
        await async_run_command(self.coordinator, set_preset(self.coordinator, preset_mode))
