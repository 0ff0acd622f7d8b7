"""Tests of describe_meter on the fixture frames and on crafted ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from custom_components.energy_meters.protocol.tic.ads import decode_ads
from custom_components.energy_meters.protocol.tic.framing import (
    TicFrame,
    TicGroup,
    TicMode,
    TicParser,
)
from custom_components.energy_meters.protocol.tic.meter import TicMeterInfo, describe_meter

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "tic"


def fixture_frame(name: str, mode: TicMode) -> TicFrame:
    frames = TicParser(mode).feed((FIXTURES / f"{name}.bin").read_bytes())
    assert len(frames) == 1
    return frames[0]


def make_frame(mode: TicMode, **values: str) -> TicFrame:
    return TicFrame(mode, {k: TicGroup(k, v) for k, v in values.items()})


def test_historic_single_phase() -> None:
    info = describe_meter(fixture_frame("historic_tempo_single_phase", TicMode.HISTORIC))
    assert info == TicMeterInfo(
        mode=TicMode.HISTORIC,
        address="021861348497",
        decoded=decode_ads("021861348497"),
        three_phase=False,
        producer=False,
        prm=None,
    )
    assert info.decoded is not None


def test_historic_three_phase_anonymised() -> None:
    info = describe_meter(fixture_frame("historic_ejp_three_phase", TicMode.HISTORIC))
    assert info is not None
    assert info.address == "XXXXXXXXXX"
    assert info.decoded is None
    assert info.three_phase
    assert not info.producer


def test_standard_single_phase_consumer() -> None:
    info = describe_meter(fixture_frame("standard_single_phase", TicMode.STANDARD))
    assert info is not None
    assert info.mode is TicMode.STANDARD
    assert info.address == "012345678910"
    assert not info.three_phase
    assert not info.producer


def test_standard_three_phase_producer() -> None:
    info = describe_meter(fixture_frame("standard_three_phase_producer_tempo", TicMode.STANDARD))
    assert info is not None
    assert info.three_phase
    assert info.producer
    assert info.decoded is not None
    assert info.decoded.type_code == 76


@pytest.mark.parametrize(("stge", "producer"), [("002A0301", True), ("003A0000", False)])
def test_producer_from_stge(stge: str, producer: bool) -> None:
    info = describe_meter(make_frame(TicMode.STANDARD, ADSC="022176123456", STGE=stge))
    assert info is not None
    assert info.producer is producer


def test_invalid_stge_is_not_producer() -> None:
    info = describe_meter(make_frame(TicMode.STANDARD, ADSC="022176123456", STGE="zz"))
    assert info is not None
    assert not info.producer


@pytest.mark.parametrize("label", ["EAIT", "SINSTI"])
def test_producer_from_labels(label: str) -> None:
    info = describe_meter(make_frame(TicMode.STANDARD, ADSC="022176123456", **{label: "0"}))
    assert info is not None
    assert info.producer


@pytest.mark.parametrize(
    "label", ["IINST1", "IINST2", "IMAX1", "PPOT", "ADIR1", "IRMS2", "URMS2", "SINSTS1"]
)
def test_three_phase_labels(label: str) -> None:
    info = describe_meter(make_frame(TicMode.HISTORIC, ADCO="021863348497", **{label: "0"}))
    assert info is not None
    assert info.three_phase


def test_prm() -> None:
    info = describe_meter(make_frame(TicMode.STANDARD, ADSC="022176123456", PRM="12345678901234"))
    assert info is not None
    assert info.prm == "12345678901234"


def test_short_frame() -> None:
    frame = make_frame(TicMode.HISTORIC, ADIR1="062", ADCO="021863348497", IINST1="062")
    info = describe_meter(frame)
    assert info is not None
    assert info.three_phase


def test_no_address() -> None:
    assert describe_meter(make_frame(TicMode.HISTORIC, PAPP="00100")) is None
