"""Describe a meter (identity, phases, producer) from one of its frames."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from .ads import MeterAddress, decode_ads
from .stge import decode_stge

if TYPE_CHECKING:
    from .framing import TicFrame, TicMode

THREE_PHASE_LABELS: Final = frozenset(
    {"IINST1", "IINST2", "IMAX1", "PPOT", "ADIR1", "IRMS2", "URMS2", "SINSTS1"}
)
"""Labels only a three-phase meter sends (either mode)."""

PRODUCER_LABELS: Final = frozenset({"EAIT", "SINSTI"})
"""Labels only a meter in producer mode sends (standard mode)."""

ADDRESS_LABELS: Final = ("ADSC", "ADCO")
"""Labels carrying the meter address (standard, historic)."""


@dataclass(frozen=True, slots=True)
class TicMeterInfo:
    """What one frame tells about the meter that sent it."""

    mode: TicMode
    address: str
    """Raw ADCO/ADSC value (may be anonymised or non-EURIDIS)."""
    decoded: MeterAddress | None
    three_phase: bool
    producer: bool
    prm: str | None
    """Delivery point id (PRM/PDL), standard mode only."""


def describe_meter(frame: TicFrame) -> TicMeterInfo | None:
    """Describe the meter from a frame; None when the frame has no ADCO/ADSC."""
    groups = frame.groups
    address = next((groups[label].data for label in ADDRESS_LABELS if label in groups), None)
    if address is None:
        return None
    labels = groups.keys()
    producer = not PRODUCER_LABELS.isdisjoint(labels)
    if not producer and (stge := groups.get("STGE")) is not None:
        status = decode_stge(stge.data)
        producer = status is not None and status.producer
    prm = groups.get("PRM")
    return TicMeterInfo(
        mode=frame.mode,
        address=address,
        decoded=decode_ads(address),
        three_phase=not THREE_PHASE_LABELS.isdisjoint(labels),
        producer=producer,
        prm=prm.data if prm is not None else None,
    )
