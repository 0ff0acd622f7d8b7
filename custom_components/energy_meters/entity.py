"""Base entity and dynamic entity creation shared by every meter kind."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
import time
from typing import Any, Protocol

from homeassistant.core import callback
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .coordinator import MeterCoordinator
from .hub import Hub
from .update_policy import Cadence


class EnergyMetersEntity(CoordinatorEntity[MeterCoordinator[Any]]):
    """A value of one meter device, written according to the update policy."""

    _attr_has_entity_name = True
    cadence: Cadence = Cadence.SLOW

    def __init__(self, coordinator: MeterCoordinator[Any], description: EntityDescription) -> None:
        """Bind the entity to its device and description: unique ID ``<device>_<value>``."""
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{coordinator.device_key}_{description.key}"
        self._attr_device_info = coordinator.device_info
        self._written: tuple[bool, tuple[Any, Any]] | None = None
        self._written_at: float | None = None

    def snapshot(self) -> tuple[Any, Any]:
        """Return what a state write would publish: (value, attributes)."""
        raise NotImplementedError

    async def async_added_to_hass(self) -> None:
        """Remember the first written state."""
        await super().async_added_to_hass()
        self._written = (self.available, self.snapshot())
        self._written_at = time.monotonic()

    @callback
    def _handle_coordinator_update(self) -> None:
        """Write the state if the policy allows it."""
        current = (self.available, self.snapshot())
        written = self._written
        if written is None or current[0] != written[0] or written[1][0] is None:
            # availability changes, and a first value after "unknown", are written at once
            cadence = Cadence.ALARM
        else:
            cadence = self.cadence
        if not self.coordinator.policy.should_write(
            cadence,
            changed=current != self._written,
            last_write=self._written_at,
            now=time.monotonic(),
        ):
            return
        self._written = current
        self._written_at = time.monotonic()
        self.coordinator.link.state_writes += 1
        self.async_write_ha_state()


class MeterEntityDescription(Protocol):
    """What dynamic creation needs from a description."""

    @property
    def key(self) -> str:
        """Unique key within the meter."""

    @property
    def exists_fn(self) -> Callable[[Any], bool]:
        """Tell from the coordinator data whether the meter has this value."""


type Descriptions[DescT] = Sequence[DescT] | Callable[[Any], Iterable[DescT]]
"""A fixed catalogue, or a function of a device's data (codes or fields only known at run time)."""


@callback
def async_add_dynamic_entities[DescT: MeterEntityDescription](
    coordinator: MeterCoordinator[Any],
    descriptions: Descriptions[DescT],
    factory: Callable[[MeterCoordinator[Any], DescT], Entity],
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """
    Add an entity for every (device, value) whose value exists, now and later.

    Labels that only appear on events (an overrun warning, a producer counter)
    get their entity the first time the meter sends them. Entities of a device
    declared as a config subentry are added to that subentry.
    """
    added: set[str] = set()

    @callback
    def _add_new() -> None:
        data = coordinator.data
        if data is None:
            return
        candidates = descriptions(data) if callable(descriptions) else descriptions
        new = [d for d in candidates if d.key not in added and d.exists_fn(data)]
        if not new:
            return
        added.update(d.key for d in new)
        async_add_entities(
            [factory(coordinator, d) for d in new],
            config_subentry_id=coordinator.subentry_id,
        )

    _add_new()
    coordinator.config_entry.async_on_unload(coordinator.async_add_listener(_add_new))


@callback
def async_add_hub_entities[DescT: MeterEntityDescription](
    hub: Hub,
    descriptions: Descriptions[DescT],
    factory: Callable[[MeterCoordinator[Any], DescT], Entity],
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the entities of every device of ``hub``, and of each device added later."""

    @callback
    def _device_added(coordinator: MeterCoordinator[Any]) -> None:
        async_add_dynamic_entities(coordinator, descriptions, factory, async_add_entities)

    for coordinator in hub.coordinators.values():
        _device_added(coordinator)
    hub.entry.async_on_unload(hub.async_add_device_listener(_device_added))
