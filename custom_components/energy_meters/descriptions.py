"""
Entity descriptions shared by every kind: what a value is and how to read it.

Kinds build their catalogues (``<kind>/entities.py``) from these classes; the
platforms (``sensor.py``, ``binary_sensor.py``) only turn them into entities.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

from homeassistant.components.binary_sensor import BinarySensorEntityDescription
from homeassistant.components.sensor import SensorEntityDescription, SensorStateClass
from homeassistant.const import EntityCategory, UnitOfRatio
from homeassistant.helpers.typing import StateType

from .update_policy import Cadence

type SensorValue = StateType | date | datetime | Decimal


def always_exists(_data: Any) -> bool:
    """Default ``exists_fn``: the value exists for every meter of the kind."""
    return True


@dataclass(frozen=True, kw_only=True)
class MeterSensorEntityDescription(SensorEntityDescription):
    """A meter value: how to read it from the coordinator data and how often to write it."""

    value_fn: Callable[[Any], SensorValue]
    exists_fn: Callable[[Any], bool] = always_exists
    attributes_fn: Callable[[Any], Mapping[str, Any] | None] | None = None
    cadence: Cadence = Cadence.SLOW


@dataclass(frozen=True, kw_only=True)
class MeterBinarySensorEntityDescription(BinarySensorEntityDescription):
    """A meter flag."""

    value_fn: Callable[[Any], bool | None]
    exists_fn: Callable[[Any], bool] = always_exists
    attributes_fn: Callable[[Any], Mapping[str, Any] | None] | None = None
    cadence: Cadence = Cadence.SLOW


def _link_attributes(data: Any) -> Mapping[str, Any] | None:
    last = data.link.last_frame
    return {"last_frame": last.isoformat() if last is not None else None}


LINK_SENSORS: Final[tuple[MeterSensorEntityDescription, ...]] = (
    # The time of the last frame changes on every frame: it is an attribute of the
    # link-quality sensor (which has a unit, so the logbook ignores it), not a
    # timestamp sensor that would add an Activity entry on every write.
    MeterSensorEntityDescription(
        key="link_quality",
        translation_key="link_quality",
        native_unit_of_measurement=UnitOfRatio.PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: data.link.quality,
        attributes_fn=_link_attributes,
    ),
    MeterSensorEntityDescription(
        key="checksum_errors",
        translation_key="checksum_errors",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: data.link.checksum_errors,
    ),
    MeterSensorEntityDescription(
        key="rejected_readings",
        translation_key="rejected_readings",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: data.link.rejected_readings,
    ),
)
RETIRED_LINK_KEYS: Final = frozenset({"last_frame"})
"""Value keys of link entities that no longer exist (removed by the entry migration)."""
