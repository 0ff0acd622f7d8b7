"""TIC group checksum (Enedis-NOI-CPT_54E §5.3.6)."""

from __future__ import annotations


def tic_checksum(data: bytes) -> int:
    """
    Return the checksum character code for the bytes the spec names.

    Historic mode (method 1) sums label SP data (without the SP before the
    checksum); standard mode (method 2) sums up to and including the HT before
    the checksum. The caller passes exactly those bytes.
    """
    return (sum(data) & 0x3F) + 0x20
