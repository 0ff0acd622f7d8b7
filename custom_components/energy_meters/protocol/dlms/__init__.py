"""
DLMS/COSEM push (E450, Kaifa and others): HDLC framing, AES-GCM ciphering, DataNotification.

- :mod:`.hdlc`: HDLC frames (flags, HCS/FCS CRC-16/X.25, addresses, segmentation).
- :mod:`.cipher`: general-glo-ciphering (0xDB) and general-ciphering (0xDD), AES-128-GCM.
- :mod:`.apdu`: A-XDR data, general-block-transfer, DataNotification -> OBIS values.

No Home Assistant import here; :class:`DlmsError` is the only error family raised.
"""

from __future__ import annotations


class DlmsError(Exception):
    """Base error of the DLMS package."""


class HdlcError(DlmsError):
    """An HDLC frame is malformed or fails its HCS/FCS check."""


class DecryptionError(DlmsError):
    """A ciphered APDU cannot be deciphered: wrong key, bad tag or garbage plaintext."""


class ApduError(DlmsError):
    """An APDU or A-XDR datum is malformed or of an unsupported kind."""
