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
