"""Tests of the EURIDIS address decoder."""

from __future__ import annotations

import pytest

from custom_components.energy_meters.protocol.tic.ads import (
    DEVICE_TYPES,
    MANUFACTURERS,
    MeterAddress,
    decode_ads,
)


def test_real_capture_address() -> None:
    assert decode_ads("021861348497") == MeterAddress(
        address="021861348497",
        manufacturer_code=2,
        manufacturer="Sagem / Sagemcom",
        year=2018,
        type_code=61,
        model="Linky single-phase 60 A G3 (high-power connection)",
        serial="348497",
    )


def test_unknown_type_and_manufacturer() -> None:
    decoded = decode_ads("012345678910")
    assert decoded is not None
    assert decoded.manufacturer == "Crouzet / Monetel"
    assert decoded.year == 2023
    assert decoded.type_code == 45
    assert decoded.model is None
    assert decoded.serial == "678910"
    unknown = decode_ads("991976000001")
    assert unknown is not None
    assert unknown.manufacturer is None
    assert unknown.manufacturer_code == 99
    assert unknown.model == "Linky three-phase 60 A G3"


@pytest.mark.parametrize(
    "address",
    [
        "",
        "XXXXXXXXXX",  # anonymised ADCO
        "0218613484",  # 10 digits
        "02186134849",
        "0218613484970",
        "02186134849A",
        " 21861348497",
        "02186134849²",
        "０２１８６１３４８４９７",  # fullwidth digits
    ],
)
def test_not_an_address(address: str) -> None:
    assert decode_ads(address) is None


def test_tables() -> None:
    assert {61, 62, 63, 64, 70, 71, 75, 76} <= DEVICE_TYPES.keys()
    assert all(name.startswith("Linky") for name in DEVICE_TYPES.values())
    assert 13 not in MANUFACTURERS
    assert all(0 < code < 100 for code in MANUFACTURERS)
