"""
Optical and customer-port meters: what is on the line, and reading it.

- :mod:`.sniff`: listen at the settings these meters use, try the IEC sign-on, classify.
- :mod:`.transport`: the IEC 62056-21 readout over a :class:`SerialChannel`.
- :mod:`.values`: OBIS readings from any of the three protocols, unit-normalised.
- :mod:`.ranges`: physical plausibility ranges and EN 50160 limits per quantity.
- :mod:`.sml`: SML push frames (``smllib``) -> OBIS readings.

No Home Assistant import here.
"""

from __future__ import annotations
