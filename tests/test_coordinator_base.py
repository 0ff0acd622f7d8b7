"""Shared coordinator pieces, exercised through the test hub kind."""

from __future__ import annotations

from custom_components.energy_meters.coordinator import LinkStats, translated_failure
from custom_components.energy_meters.descriptions import (
    MeterBinarySensorEntityDescription,
    MeterSensorEntityDescription,
)


def test_link_quality_is_unknown_before_any_frame() -> None:
    stats = LinkStats()
    assert stats.quality is None
    stats.frames_ok, stats.frames_failed = 3, 1
    assert stats.quality == 75.0


def test_descriptions_default_to_always_existing() -> None:
    sensor = MeterSensorEntityDescription(key="x", value_fn=lambda data: 1)
    binary = MeterBinarySensorEntityDescription(key="y", value_fn=lambda data: True)
    assert sensor.exists_fn(None) and binary.exists_fn(None)


def test_translated_failure_carries_its_key() -> None:
    failure = translated_failure("no_data", port="/dev/ttyTIC")
    assert failure.translation_key == "no_data"
    assert failure.translation_placeholders == {"port": "/dev/ttyTIC"}


def test_descriptions_may_be_a_function_of_the_data() -> None:
    """Codes only known at run time (OBIS, wM-Bus fields) become entities as they appear."""
    from types import SimpleNamespace
    from typing import Any

    from custom_components.energy_meters.entity import async_add_dynamic_entities

    listeners: list[Any] = []
    coordinator: Any = SimpleNamespace(
        data={"codes": ["1.8.0"]},
        subentry_id=None,
        config_entry=SimpleNamespace(async_on_unload=lambda _unsub: None),
        async_add_listener=listeners.append,
    )

    def catalogue(data: dict[str, list[str]]) -> list[MeterSensorEntityDescription]:
        return [
            MeterSensorEntityDescription(key=code, value_fn=lambda _d: 1) for code in data["codes"]
        ]

    added: list[str] = []
    async_add_dynamic_entities(
        coordinator,
        catalogue,
        lambda _c, description: description.key,  # type: ignore[arg-type,return-value]
        lambda entities, **_kw: added.extend(entities),  # type: ignore[arg-type]
    )
    assert added == ["1.8.0"]
    coordinator.data = {"codes": ["1.8.0", "2.8.0"]}
    listeners[0]()
    assert added == ["1.8.0", "2.8.0"]


def test_binary_sensor_attributes() -> None:
    from types import SimpleNamespace
    from typing import Any

    from custom_components.energy_meters.binary_sensor import MeterBinarySensor

    description = MeterBinarySensorEntityDescription(
        key="overvoltage",
        value_fn=lambda data: data["v"] > 253,
        attributes_fn=lambda data: {"measured": data["v"], "threshold": 253},
    )
    plain = MeterBinarySensorEntityDescription(key="flag", value_fn=lambda data: True)
    coordinator: Any = SimpleNamespace(
        data={"v": 260}, device_key="m", device_info={}, last_update_success=True
    )
    sensor = MeterBinarySensor.__new__(MeterBinarySensor)
    sensor.coordinator = coordinator
    sensor.entity_description = description
    assert sensor.snapshot() == (True, {"measured": 260, "threshold": 253})
    sensor.entity_description = plain
    assert sensor.extra_state_attributes is None
