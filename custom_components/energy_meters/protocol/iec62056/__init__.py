"""
IEC 62056-21 (formerly IEC 1107) optical readout: modes A, B, C (readout) and D (push).

- :mod:`.messages`: request, identification, ACK / option select, break, BCC.
- :mod:`.readout`: data message and data block parsing (with the field quirks).
- :mod:`.push`: incremental parser for mode D (unsolicited) streams.
- :mod:`.session`: the readout session coroutine over a small transport protocol.

No Home Assistant import here.
"""

from __future__ import annotations


class Iec62056Error(Exception):
    """Base error of the IEC 62056-21 package (the only one its parsers raise)."""


class BccError(Iec62056Error):
    """The block check character does not match the data."""


class FramingError(Iec62056Error):
    """A message does not have the IEC 62056-21 structure."""


class IdentificationError(FramingError):
    """The identification message cannot be parsed."""


class SessionTimeoutError(Iec62056Error):
    """The meter did not answer in time."""
