"""Which Linky entities exist: decided by the contract and the frames, not by the label table."""

from __future__ import annotations

import pytest

from custom_components.energy_meters.coordinator import LinkStats
from custom_components.energy_meters.linky.data import LinkyData
from custom_components.energy_meters.linky.entities import EXISTS_RULES, LINKY_SENSORS
from custom_components.energy_meters.protocol.tic.meter import TicMeterInfo
from custom_components.energy_meters.protocol.tic.stge import decode_stge

from .tic_frames import STANDARD_SERIAL

SENSORS = {description.key: description for description in LINKY_SENSORS}


def _data(stge: str | None = "003A0000", **values: object) -> LinkyData:
    meter = TicMeterInfo.__new__(TicMeterInfo)
    object.__setattr__(meter, "address", STANDARD_SERIAL)
    return LinkyData(
        link=LinkStats(),
        meter=meter,
        values=dict(values),
        stge=decode_stge(stge) if stge else None,
    )


@pytest.mark.parametrize(
    ("values", "exists"),
    [
        ({"EASF02": 0, "NGTF": "BASE"}, False),  # BASE: supplier index 2 never counts
        ({"EASF02": 12, "NGTF": "BASE"}, True),  # ...unless it does
        ({"EASF02": 0, "NGTF": "H PLEINE/CREUSE"}, True),  # an HC contract uses two
        ({"EASF02": 0, "NGTF": "TEMPO"}, True),
        ({"EASF02": 0, "NGTF": "", "NTARF": 2}, True),  # the meter is on index 2 now
        ({"NGTF": "TEMPO"}, False),  # the label itself is not in the frame
    ],
)
def test_supplier_index_two(values: dict[str, object], exists: bool) -> None:
    assert SENSORS["easf02"].exists_fn(_data(**values)) is exists


def test_distributor_index_follows_the_status_register() -> None:
    # STGE bits 14-15: distributor index - 1; 0x0000C000 sets both: index 4
    assert EXISTS_RULES["EASD03"](_data(stge="0000C000", EASD03=0))
    assert not EXISTS_RULES["EASD03"](_data(stge="00000000", EASD03=0))
    assert not EXISTS_RULES["EASD03"](_data(stge=None, EASD03=0))
    assert EXISTS_RULES["EASD03"](_data(stge=None, EASD03=5))


def test_mobile_peak_exists_once_announced() -> None:
    notice = SENSORS["stge_mobile_peak_notice"]
    assert not notice.exists_fn(_data(stge="00000000"))
    assert notice.exists_fn(_data(stge="10000000"))  # bits 28-29 = 1: PM1 announced
    assert not notice.exists_fn(_data(stge=None))


def test_tempo_colours_exist_on_tempo_contracts() -> None:
    today = SENSORS["stge_tempo_today"]
    assert not today.exists_fn(_data(NGTF="BASE"))
    assert today.exists_fn(_data(NGTF="     TEMPO      "))
    assert today.exists_fn(_data(OPTARIF="tempo"))  # historic
    assert today.exists_fn(_data(stge="01000000"))  # a colour is set


def test_text_is_shown_without_padding() -> None:
    assert SENSORS["msg1"].value_fn(_data(MSG1="PAS DE          MESSAGE")) == "PAS DE MESSAGE"
    assert SENSORS["msg1"].value_fn(_data()) is None
