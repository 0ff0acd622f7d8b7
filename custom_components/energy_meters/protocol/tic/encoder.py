"""
Encode TIC groups and frames exactly as a Linky meter sends them.

Used by the meter simulator and by tests; the integration itself only reads.

* historic: ``LF label SP data SP checksum CR``, checksum method 1 over
  ``label SP data`` (the SP before the checksum is excluded);
* standard: ``LF label HT [horodate HT] data HT checksum CR``, checksum method 2
  over everything from the label through the HT before the checksum.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from .checksum import tic_checksum
from .framing import TicMode

if TYPE_CHECKING:
    from collections.abc import Iterable

STX: Final = b"\x02"
ETX: Final = b"\x03"
EOT: Final = b"\x04"
LF: Final = b"\n"
CR: Final = b"\r"


def _check_field(name: str, value: str, forbidden: str) -> None:
    if not value.isascii() or not value.isprintable():
        raise ValueError(f"TIC {name} must be printable ASCII: {value!r}")
    for char in forbidden:
        if char in value:
            raise ValueError(f"TIC {name} must not contain {char!r}: {value!r}")


def wrong_checksum(checksum: int) -> int:
    """Return a checksum character different from ``checksum``, still in 0x20..0x5F."""
    return ((checksum - 0x20 + 1) & 0x3F) + 0x20


def encode_group(
    label: str,
    data: str,
    mode: TicMode,
    horodate: str | None = None,
    *,
    corrupt: bool = False,
) -> bytes:
    """
    Return one group ``LF … CR`` with the checksum method of ``mode``.

    ``horodate`` (standard mode only) is inserted between label and data.
    ``corrupt=True`` writes a wrong (but well-formed) checksum character.
    Raises ValueError for fields a meter could not send (non-printable bytes, a
    separator inside a field, an empty label, a horodate in historic mode).
    """
    if not label:
        raise ValueError("TIC label must not be empty")
    if mode is TicMode.HISTORIC:
        if horodate is not None:
            raise ValueError("historic-mode groups carry no horodate")
        _check_field("label", label, " ")
        _check_field("data", data, " ")
        payload = f"{label} {data}".encode("ascii")
        checksum = tic_checksum(payload)
        tail = b" "
    else:
        _check_field("label", label, " ")
        _check_field("data", data, "")
        fields = [label, data] if horodate is None else [label, horodate, data]
        if horodate is not None:
            _check_field("horodate", horodate, "")
        payload = ("\t".join(fields) + "\t").encode("ascii")
        checksum = tic_checksum(payload)
        tail = b""
    if corrupt:
        checksum = wrong_checksum(checksum)
    return LF + payload + tail + bytes((checksum,)) + CR


def encode_frame(groups: Iterable[bytes]) -> bytes:
    """Wrap encoded groups into a frame ``STX … ETX``."""
    return STX + b"".join(groups) + ETX
