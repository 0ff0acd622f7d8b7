"""
Linky entity catalogue, derived from the TIC label table.

Each TIC label row (``protocol/tic/labels.py``) says what the label measures;
``QUANTITY_PRESENTATION`` says once how each kind of quantity is shown in Home
Assistant. STGE status fields and link diagnostics are tables of their own.

Energy counters use state class ``total`` (not ``total_increasing``): a Linky
index is a lifetime register that never resets, the counter guard keeps
decreases out, and should a glitch still slip through, ``total`` nets it out on
the next true reading, whereas ``total_increasing`` would read a dip of more
than 10 % as a meter reset and count the whole index again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import (
    EntityCategory,
    UnitOfApparentPower,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfPower,
    UnitOfReactiveEnergy,
    UnitOfTime,
)

from ..descriptions import (
    LINK_SENSORS,
    RETIRED_LINK_KEYS,
    MeterBinarySensorEntityDescription,
    MeterSensorEntityDescription,
)
from ..protocol.tic import stge as stge_fields
from ..protocol.tic.labels import LABELS, TicLabel, TicQuantity, label_placeholders
from ..update_policy import Cadence
from .data import LinkyData


@dataclass(frozen=True, slots=True)
class Presentation:
    """How a quantity appears in Home Assistant."""

    device_class: SensorDeviceClass | None = None
    state_class: SensorStateClass | None = None
    unit: str | None = None
    suggested_unit: str | None = None
    suggested_precision: int | None = None


QUANTITY_PRESENTATION: Final[dict[TicQuantity, Presentation]] = {
    TicQuantity.ENERGY: Presentation(
        SensorDeviceClass.ENERGY,
        SensorStateClass.TOTAL,
        UnitOfEnergy.WATT_HOUR,
        UnitOfEnergy.KILO_WATT_HOUR,
        3,
    ),
    TicQuantity.REACTIVE_ENERGY: Presentation(
        SensorDeviceClass.REACTIVE_ENERGY,
        SensorStateClass.TOTAL,
        UnitOfReactiveEnergy.VOLT_AMPERE_REACTIVE_HOUR,
        UnitOfReactiveEnergy.KILO_VOLT_AMPERE_REACTIVE_HOUR,
        3,
    ),
    TicQuantity.APPARENT_POWER: Presentation(
        SensorDeviceClass.APPARENT_POWER,
        SensorStateClass.MEASUREMENT,
        UnitOfApparentPower.VOLT_AMPERE,
    ),
    TicQuantity.ACTIVE_POWER: Presentation(
        SensorDeviceClass.POWER, SensorStateClass.MEASUREMENT, UnitOfPower.WATT
    ),
    TicQuantity.APPARENT_POWER_KVA: Presentation(
        SensorDeviceClass.APPARENT_POWER, None, UnitOfApparentPower.KILO_VOLT_AMPERE
    ),
    TicQuantity.CURRENT: Presentation(
        SensorDeviceClass.CURRENT, SensorStateClass.MEASUREMENT, UnitOfElectricCurrent.AMPERE
    ),
    TicQuantity.VOLTAGE: Presentation(
        SensorDeviceClass.VOLTAGE, SensorStateClass.MEASUREMENT, UnitOfElectricPotential.VOLT
    ),
    TicQuantity.DURATION_MIN: Presentation(SensorDeviceClass.DURATION, None, UnitOfTime.MINUTES),
    TicQuantity.NUMBER: Presentation(),
    TicQuantity.TEXT: Presentation(),
    TicQuantity.ENUM: Presentation(SensorDeviceClass.ENUM),
    TicQuantity.TIMESTAMP: Presentation(SensorDeviceClass.TIMESTAMP),
}


def _always(_data: LinkyData) -> bool:
    return True


def _contract(data: LinkyData) -> str:
    """Return the supplier calendar name (NGTF, standard mode), upper case, unpadded."""
    ngtf = data.values.get("NGTF")
    return " ".join(ngtf.split()).upper() if isinstance(ngtf, str) else ""


def _is_tempo(data: LinkyData) -> bool:
    return "TEMPO" in _contract(data) or data.values.get("OPTARIF") == "tempo"


CONTRACT_SUPPLIER_PERIODS: Final = (("TEMPO", 6), ("HC", 2), ("CREUSE", 2), ("BASE", 1))
"""Supplier indexes a standard-mode contract uses, by a word of its calendar name (NGTF)."""


def _supplier_index_exists(index: int) -> Callable[[LinkyData], bool]:
    """EASFnn exists when it counts, the meter is on it now, or the contract uses it."""

    def exists(data: LinkyData) -> bool:
        if data.values.get(f"EASF{index:02d}"):
            return True
        current = data.values.get("NTARF")
        if isinstance(current, int) and index <= current:
            return True
        contract = _contract(data)
        return any(word in contract and index <= n for word, n in CONTRACT_SUPPLIER_PERIODS)

    return exists


def _distributor_index_exists(index: int) -> Callable[[LinkyData], bool]:
    """EASDnn exists when it counts or the meter is on it now (STGE)."""

    def exists(data: LinkyData) -> bool:
        if data.values.get(f"EASD{index:02d}"):
            return True
        return data.stge is not None and index <= data.stge.distributor_index

    return exists


EXISTS_RULES: Final[dict[str, Callable[[LinkyData], bool]]] = {
    **{f"EASF{i:02d}": _supplier_index_exists(i) for i in range(2, 11)},
    **{f"EASD{i:02d}": _distributor_index_exists(i) for i in range(2, 5)},
}
"""
Labels a meter sends whatever its contract: their entity is created only when the
contract or the frames say it can carry a value (a BASE contract's supplier
index 2 stays 0 forever and gets no entity).
"""


def _label_sensor(row: TicLabel) -> MeterSensorEntityDescription:
    look = QUANTITY_PRESENTATION[row.quantity]
    label = row.label

    def value(data: LinkyData) -> Any:
        raw = data.values.get(label)
        if row.quantity is TicQuantity.TEXT and isinstance(raw, str):
            return " ".join(raw.split())  # the meter pads text; diagnostics keep it raw
        return raw

    can_exist = EXISTS_RULES.get(label, _always)

    def exists(data: LinkyData) -> bool:
        return label in data.values and can_exist(data)

    def attributes(data: LinkyData) -> dict[str, Any] | None:
        when = data.measured_at.get(label)
        return None if when is None else {"measured_at": when.isoformat()}

    return MeterSensorEntityDescription(
        key=label.lower(),
        translation_key=row.key,
        translation_placeholders=label_placeholders(row.canonical_label) or None,
        device_class=look.device_class,
        state_class=look.state_class,
        native_unit_of_measurement=look.unit,
        suggested_unit_of_measurement=look.suggested_unit,
        suggested_display_precision=look.suggested_precision,
        options=sorted(set(row.states.values())) if row.quantity is TicQuantity.ENUM else None,
        entity_category=EntityCategory.DIAGNOSTIC if row.diagnostic else None,
        entity_registry_enabled_default=row.enabled_by_default,
        value_fn=value,
        exists_fn=exists,
        attributes_fn=attributes
        if row.dated and row.quantity is not TicQuantity.TIMESTAMP
        else None,
        cadence=Cadence(row.cadence.value),
    )


def _stge_has(field_name: str) -> Callable[[LinkyData], bool]:
    """Exists once the status register sets the field (Tempo colours, mobile peaks)."""

    def exists(data: LinkyData) -> bool:
        if data.stge is None:
            return False
        if field_name.startswith("tempo") and _is_tempo(data):
            return True
        return bool(getattr(data.stge, field_name) != "none")

    return exists


def _stge_present(data: LinkyData) -> bool:
    return data.stge is not None


def _stge_enum(
    field_name: str,
    options: tuple[str, ...],
    *,
    diagnostic: bool = False,
    exists_fn: Callable[[LinkyData], bool] = _stge_present,
) -> MeterSensorEntityDescription:
    return MeterSensorEntityDescription(
        key=f"stge_{field_name}",
        translation_key=f"stge_{field_name}",
        device_class=SensorDeviceClass.ENUM,
        entity_category=EntityCategory.DIAGNOSTIC if diagnostic else None,
        entity_registry_enabled_default=not diagnostic,
        options=list(options),
        value_fn=lambda data: getattr(data.stge, field_name) if data.stge else None,
        exists_fn=exists_fn,
        cadence=Cadence.ALARM if field_name == "breaker" else Cadence.SLOW,
    )


def _stge_number(field_name: str) -> MeterSensorEntityDescription:
    return MeterSensorEntityDescription(
        key=f"stge_{field_name}",
        translation_key=f"stge_{field_name}",
        value_fn=lambda data: getattr(data.stge, field_name) if data.stge else None,
        exists_fn=lambda data: data.stge is not None,
    )


STGE_SENSORS: Final = (
    _stge_enum("breaker", stge_fields.BREAKER_STATES),
    _stge_enum(
        "tempo_today", exists_fn=_stge_has("tempo_today"), options=stge_fields.TEMPO_COLOURS
    ),
    _stge_enum(
        "tempo_tomorrow", exists_fn=_stge_has("tempo_tomorrow"), options=stge_fields.TEMPO_COLOURS
    ),
    _stge_enum(
        "mobile_peak_notice",
        exists_fn=_stge_has("mobile_peak_notice"),
        options=stge_fields.MOBILE_PEAK_STATES,
    ),
    _stge_enum(
        "mobile_peak_active",
        exists_fn=_stge_has("mobile_peak_active"),
        options=stge_fields.MOBILE_PEAK_STATES,
    ),
    _stge_enum("euridis", stge_fields.EURIDIS_STATES, diagnostic=True),
    _stge_enum("cpl_status", stge_fields.CPL_STATES, diagnostic=True),
    _stge_number("supplier_index"),
    _stge_number("distributor_index"),
)

# STGE flags: field, device class, alarm (written at once)
STGE_FLAGS: Final[tuple[tuple[str, BinarySensorDeviceClass | None, bool], ...]] = (
    ("dry_contact_open", BinarySensorDeviceClass.OPENING, False),
    ("terminal_cover_open", BinarySensorDeviceClass.TAMPER, True),
    ("overvoltage", BinarySensorDeviceClass.PROBLEM, True),
    ("overpower", BinarySensorDeviceClass.PROBLEM, True),
    ("producer", None, False),
    ("injecting", None, False),
    ("clock_degraded", BinarySensorDeviceClass.PROBLEM, False),
    ("cpl_synchronised", BinarySensorDeviceClass.CONNECTIVITY, False),
)


def _stge_flag(
    field_name: str, device_class: BinarySensorDeviceClass | None, alarm: bool
) -> MeterBinarySensorEntityDescription:
    return MeterBinarySensorEntityDescription(
        key=f"stge_{field_name}",
        translation_key=f"stge_{field_name}",
        device_class=device_class,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: getattr(data.stge, field_name) if data.stge else None,
        exists_fn=lambda data: data.stge is not None,
        cadence=Cadence.ALARM if alarm else Cadence.SLOW,
    )


CLOCK_OFFSET = MeterSensorEntityDescription(
    # The meter's clock (DATE) changes on every frame: as a timestamp sensor it would
    # add an Activity entry on every write. Its offset from our clock is what matters,
    # in seconds (a unit keeps it out of the logbook).
    key="clock_offset",
    translation_key="clock_offset",
    device_class=SensorDeviceClass.DURATION,
    state_class=SensorStateClass.MEASUREMENT,
    native_unit_of_measurement=UnitOfTime.SECONDS,
    entity_category=EntityCategory.DIAGNOSTIC,
    entity_registry_enabled_default=False,
    value_fn=lambda data: data.clock_offset,
    exists_fn=lambda data: data.clock_offset is not None,
)

NOT_ENTITIES: Final = frozenset({"DATE"})
"""Labels shown otherwise (DATE: as the clock offset)."""

LINKY_SENSORS: Final[tuple[MeterSensorEntityDescription, ...]] = (
    *(
        _label_sensor(row)
        for row in LABELS.values()
        if row.alias_of is None and row.is_entity and row.label not in NOT_ENTITIES
    ),
    *STGE_SENSORS,
    CLOCK_OFFSET,
    *LINK_SENSORS,
)

RETIRED_LINKY_KEYS: Final = frozenset({"date"}) | RETIRED_LINK_KEYS
"""Value keys of Linky entities that no longer exist (the entry migration removes them)."""

LINKY_BINARY_SENSORS: Final[tuple[MeterBinarySensorEntityDescription, ...]] = tuple(
    _stge_flag(*row) for row in STGE_FLAGS
)
