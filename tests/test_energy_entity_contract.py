"""
The contract of the Linky energy sensors with the Energy dashboard and long-term statistics.

Every label the TIC table marks as active energy (``TicQuantity.ENERGY``: BASE, HCHC,
EJPHN, BBRHxJx, EAST, EASFxx, EASDxx, EAIT…) becomes a sensor with

* device class ``energy`` and native unit Wh, the unit the meter counts in (the
  Energy dashboard only offers energy-class sensors), shown in kWh;
* state class ``total``, **not** ``total_increasing``. A Linky index is a lifetime
  register that never resets, and the counter guard already refuses any decrease
  before it reaches Home Assistant. Should a glitch still slip through (a value
  too high, then the true one), ``total`` nets it out: the statistics follow the
  state up and back down, the sum ends where the meter is. ``total_increasing``
  would read the drop of more than 10 % back to the true value as a meter reset
  and count the whole index again as new consumption, a spike of the meter's
  lifetime energy in the dashboard that no later reading undoes.

Changing any of these silently breaks users' statistics: this test pins them.
"""

from __future__ import annotations

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import UnitOfEnergy

from custom_components.energy_meters.linky.entities import LINKY_SENSORS
from custom_components.energy_meters.protocol.tic.labels import LABELS, TicQuantity

ENERGY_LABELS = sorted(
    row.label
    for row in LABELS.values()
    if row.quantity is TicQuantity.ENERGY and row.alias_of is None and row.is_entity
)


def sensors_by_label() -> dict[str, SensorEntityDescription | None]:
    """The Linky sensor of each energy label (keyed on the label, lower case)."""
    by_key: dict[str, SensorEntityDescription] = {d.key: d for d in LINKY_SENSORS}
    return {label: by_key.get(label.lower()) for label in ENERGY_LABELS}


def test_the_table_has_the_energy_indexes_of_both_modes() -> None:
    expected = {"BASE", "HCHC", "HCHP", "BBRHCJB", "EJPHN", "EAST", "EASF01", "EASD01", "EAIT"}
    assert expected <= set(ENERGY_LABELS)


def test_every_energy_label_has_its_sensor() -> None:
    missing = [label for label, sensor in sensors_by_label().items() if sensor is None]
    assert not missing


def test_energy_sensors_are_total_energy_in_wh_shown_in_kwh() -> None:
    for label, sensor in sensors_by_label().items():
        assert sensor is not None, label
        assert sensor.device_class is SensorDeviceClass.ENERGY, label
        assert sensor.state_class is SensorStateClass.TOTAL, label  # see the module docstring
        assert sensor.native_unit_of_measurement == UnitOfEnergy.WATT_HOUR, label
        assert sensor.suggested_unit_of_measurement == UnitOfEnergy.KILO_WATT_HOUR, label
