"""
EURIDIS secondary address (ADS) of a meter: ADCO (historic) / ADSC (standard).

The 12 digits are ``MMYYTTNNNNNN``: manufacturer code, year of manufacture (2000+YY),
device type and serial number (Enedis-NOI-CPT_54E §2.2). Manufacturer names follow the
EURIDIS code list (v3.04A, 2019); device types are the Linky types listed by 54E.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

ADS_LENGTH: Final = 12
"""Number of digits of a EURIDIS address."""

MANUFACTURERS: Final[dict[int, str]] = {
    1: "Crouzet / Monetel",
    2: "Sagem / Sagemcom",
    3: "Schlumberger / Actaris / Itron",
    4: "Landis+Gyr / Siemens Metering",
    5: "Sauter / Stepper Energie France / Zellweger",
    6: "Itron",
    7: "MAEC",
    8: "Matra-Chauvin Arnoux / Enerdis",
    9: "Faure-Herman",
    10: "SEVME / SIS",
    11: "Magnol / Elster / Honeywell",
    12: "Gaz Thermique",
    14: "Ghielmetti / Dialog E.S. / Micronique",
    15: "Mecelec",
    16: "Legrand / Baco",
    17: "SERD-Schlumberger",
    18: "Schneider / Merlin Gerin / Gardy",
    19: "General Electric / Power Control",
    20: "Nuovo Pignone / Dresser",
    21: "SCLE",
    22: "EDF",
    23: "GDF / GDF Suez",
    24: "Hager / General Electric",
    25: "Delta Dore",
    26: "Riz",
    27: "Iskraemeco",
    28: "GMT",
    29: "Analog Devices",
    30: "Michaud",
    31: "Hexing Electrical",
    32: "Siame",
    33: "Larsen & Toubro",
    34: "Elster / Honeywell",
    35: "Electronic Afzar Azma",
    36: "Advanced Electronic Company",
    37: "AEM",
    38: "Zhejiang Chint Instrument & Meter",
    39: "ZIV",
    70: "Landis+Gyr (export)",
    71: "Stepper Energie France (export)",
    81: "Sagem / Sagemcom",
    82: "Landis+Gyr / Siemens Metering",
    83: "Elster / Honeywell",
    84: "Sagem / Sagemcom",
    85: "Itron",
}
"""EURIDIS manufacturer codes (81-85: overseas allocations)."""

DEVICE_TYPES: Final[dict[int, str]] = {
    61: "Linky single-phase 60 A G3 (high-power connection)",
    62: "Linky single-phase 90 A G1",
    63: "Linky three-phase 60 A G1",
    64: "Linky single-phase 60 A G3",
    67: "Linky pilot series",
    70: "Linky single-phase 60 A G3 (pre-series)",
    71: "Linky three-phase 60 A G3 (pre-series)",
    75: "Linky single-phase 90 A G3",
    76: "Linky three-phase 60 A G3",
}
"""Device types of Linky meters (54E §2.2; 67 = early pilot meters)."""


@dataclass(frozen=True, slots=True)
class MeterAddress:
    """A decoded EURIDIS address; names are None when the code is not known."""

    address: str
    manufacturer_code: int
    manufacturer: str | None
    year: int
    type_code: int
    model: str | None
    serial: str


def decode_ads(address: str) -> MeterAddress | None:
    """
    Decode a 12-digit EURIDIS address; None when it is not one (never raises).

    Anonymised or pre-EURIDIS addresses (e.g. 10 characters) give None.
    """
    if len(address) != ADS_LENGTH or not (address.isascii() and address.isdecimal()):
        return None
    manufacturer_code = int(address[0:2])
    type_code = int(address[4:6])
    return MeterAddress(
        address=address,
        manufacturer_code=manufacturer_code,
        manufacturer=MANUFACTURERS.get(manufacturer_code),
        year=2000 + int(address[2:4]),
        type_code=type_code,
        model=DEVICE_TYPES.get(type_code),
        serial=address[6:],
    )
