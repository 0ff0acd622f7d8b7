"""
Plausibility guard for cumulative counters (energy, volume).

A TIC group checksum has 6 bits: a corrupted digit passes it once in 64 tries.
Home Assistant's statistics cannot recover from a counter that jumps: a drop is
read as a meter reset and a spike is summed forever. So every counter reading
goes through a :class:`CounterGuard` before it may become a state:

* a value lower than the last accepted one is rejected;
* a value higher than ``last + max_rate * elapsed`` is rejected (``max_rate`` is
  the highest physically plausible flow, e.g. the meter's maximum power in Wh/s);
* the very first value is only accepted once a second reading confirms it, so a
  glitch right after start-up cannot become the baseline;
* if readings keep agreeing with each other while disagreeing (upwards) with
  the baseline, the guard re-bases after ``rebase_after`` of them. It never
  re-bases downwards: a counter that really goes back means a new meter, which
  the integration reports as a repair issue instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Verdict(StrEnum):
    """Outcome of one reading."""

    ACCEPTED = "accepted"
    PENDING = "pending"  # waiting for confirmation of the first value
    REJECTED_DECREASE = "rejected_decrease"
    REJECTED_JUMP = "rejected_jump"


@dataclass(slots=True)
class CounterGuard:
    """Accept only plausible readings of one monotonic counter."""

    max_rate: float  # counter units per second
    slack: float = 1.0  # absolute tolerance in counter units (rounding)
    rebase_after: int = 10
    value: float | None = None  # last accepted
    accepted_at: float | None = None  # monotonic seconds
    rejected: int = 0
    _candidate: float | None = field(default=None, repr=False)
    _candidate_at: float = field(default=0.0, repr=False)
    _streak: int = field(default=0, repr=False)

    def _plausible(self, base: float, base_at: float, value: float, now: float) -> bool:
        elapsed = max(now - base_at, 0.0)
        return base <= value <= base + self.max_rate * elapsed + self.slack

    def check(self, value: float, now: float) -> Verdict:
        """Judge ``value`` read at monotonic time ``now``; update the state."""
        if self.value is None or self.accepted_at is None:
            return self._confirm_first(value, now)
        if value < self.value:
            self.rejected += 1
            self._streak = 0
            return Verdict.REJECTED_DECREASE
        if self._plausible(self.value, self.accepted_at, value, now):
            self.value, self.accepted_at = value, now
            self._streak = 0
            return Verdict.ACCEPTED
        # too high: accept only if a run of readings agrees with it
        if self._candidate is not None and self._plausible(
            self._candidate, self._candidate_at, value, now
        ):
            self._streak += 1
        else:
            self._streak = 1
        self._candidate, self._candidate_at = value, now
        if self._streak >= self.rebase_after:
            self.value, self.accepted_at = value, now
            self._streak = 0
            return Verdict.ACCEPTED
        self.rejected += 1
        return Verdict.REJECTED_JUMP

    def _confirm_first(self, value: float, now: float) -> Verdict:
        candidate = self._candidate
        if candidate is not None and self._plausible(candidate, self._candidate_at, value, now):
            self.value, self.accepted_at = value, now
            self._candidate = None
            return Verdict.ACCEPTED
        self._candidate, self._candidate_at = value, now
        return Verdict.PENDING
