"""
Plausibility guard for cumulative counters (energy, volume).

A TIC group checksum has 6 bits: a corrupted digit passes it once in 64 tries,
and swapping two adjacent digits always passes it. Home Assistant's statistics
cannot recover from a counter that jumps: a drop is read as a meter reset and a
spike is summed forever. So every counter reading goes through a
:class:`CounterGuard` before it may become a state. ``guard.value`` is the value
to publish (the last accepted one); it never decreases.

Design
======

*Allowance.* From a value ``v`` read at time ``t``, a later reading ``z`` at
``now`` is *consistent* if ``v <= z <= v + max_rate * (now - t) + slack``
(``max_rate`` is the highest physically plausible flow of the kind, e.g. 1.5 x
the cut-off power in Wh/s; ``slack`` absorbs rounding).

*Confirmation.* The old guard accepted every consistent reading at once. After a
one-hour link gap the allowance is large, so a +8 kWh glitch was accepted and
every true reading after it was rejected as a decrease for hours; a swapped pair
of low digits (true ``012345678`` read ``012345687``) did the same on a small
scale. A consistent reading says nothing about *this* reading being true, only
the next one can. So an increase is never published until the next reading
confirms it (is consistent with it: not lower, not faster than ``max_rate``).
Then the confirmed value is published and the confirming reading becomes the new
candidate: every published value has been confirmed by its successor, and the
truth is published one reading after it is read.

* A candidate that the next reading does not confirm is discarded as a glitch;
  that reading becomes the candidate if it is consistent with the baseline. So
  after the +8 kWh glitch the first true reading is the candidate and is
  published with the one after it. Why the contradicting reading, not the old
  candidate, is kept: when one of two readings is wrong, keeping the later
  lower one can at worst publish a low glitch, which stays between the last
  published value and the truth (harmless: the series never decreases and
  never runs ahead of the truth). Keeping the older one too, to let a reading
  two steps later confirm it, would let a repeated glitch (glitch, truth, same
  glitch) win over the truth in between: exactly the lock-out to avoid.
* A jump above the allowance also discards the candidate: it may be the truth
  after all (see the re-base below). A reading below the published value does
  not: the published value never runs ahead of the truth, so such a reading is
  a glitch and says nothing about the candidate. Neither does an unreadable one.
* A reading equal to the accepted value is accepted at once (a candidate above
  it is thereby discarded).
* ``confirm_steps_above``: increases up to this size are accepted at once
  (default 0: every increase waits for its confirmation). A kind whose meter
  sends one telegram every few hours may accept small steps at once rather than
  publishing hours late; it then accepts that a small glitch (e.g. swapped low
  digits) may be published and hold the truth back until consumption catches up.
* A reading that is not a number (``00s519703``: a bit-6 flip turns every digit
  into a non-digit and still passes the checksum) is passed as ``None``
  (``check(None, now)`` or ``check_invalid(now)``): counted as rejected, nothing
  else changes. NaN and infinities are treated the same way.

*Decreases* are rejected and never re-based silently. If ``decrease_after``
consecutive readings are below the baseline and consistent with each other (a
replaced meter, a reset register), the verdict becomes
:attr:`Verdict.PERSISTENT_DECREASE` so the integration can raise a repair issue;
:meth:`CounterGuard.reset` then starts from scratch. A reading consistent with
the baseline ends the run.

*Jumps* above the allowance are rejected. If ``rebase_after`` consecutive
readings agree with each other but not with the baseline (a stuck baseline: a
clock that jumped back, a wrong ``max_rate``), the guard re-bases upwards: the
last-but-one of them (confirmed by the last) becomes the baseline
(:attr:`Verdict.REBASED`), the last becomes the candidate.

*Time.* ``now`` is plain float seconds from one clock; the integration passes
wall-clock epoch seconds so that :meth:`CounterGuard.snapshot` and
:meth:`CounterGuard.restore` survive a restart. A clock that goes backwards is
not an error: every stored time later than ``now`` is moved back to ``now``, so
the elapsed time counts from the moment the clock went back (never negative).

*Restart.* ``snapshot()`` gives ``{"value", "accepted_at", "candidate"}`` (JSON-able).
Restored, the first reading is judged against the real history: equal or a
small step (``confirm_steps_above``) is accepted at once, a larger consistent
increase needs one confirmation like any other, a glitch is rejected or
discarded instead of becoming a new baseline. A restored candidate can be
confirmed by the first reading after the restart (a meter sending one telegram
every few hours then publishes its last reading at the first telegram).

Known limits (undecidable from the readings alone):

* a corrupted value that the next true reading confirms is indistinguishable
  from a true one and may be published: it lies between the last published
  value and the truth, so the series neither decreases nor runs ahead;
* two consecutive identical glitches confirm each other. The glitch is then
  published; true readings below it are rejected as decreases until
  consumption catches up, and if that takes ``decrease_after`` readings, a
  persistent decrease is reported. Identical consecutive corruptions of a
  checksummed group are very rare (each passes the checksum 1 time in 64);
* such a published low glitch carries a later time than the truth had that
  value, so the allowance of the next readings is a little tighter: a true
  flow close to ``max_rate`` may then be rejected as a jump for a few readings
  (never published wrong; the re-base ends it at the latest).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
import math
from typing import Any


class Verdict(StrEnum):
    """Outcome of one reading (``guard.value`` tells what to publish)."""

    ACCEPTED = "accepted"  # this reading is now the published value
    PENDING = "pending"  # this reading waits for the next one to confirm it
    REBASED = "rebased"  # a run above the allowance became the new baseline
    REJECTED_DECREASE = "rejected_decrease"
    REJECTED_JUMP = "rejected_jump"
    REJECTED_INVALID = "rejected_invalid"  # not a number
    PERSISTENT_DECREASE = "persistent_decrease"  # rejected; a run of decreases

    @property
    def rejected(self) -> bool:
        """Whether this reading was rejected (it is counted in ``guard.rejected``)."""
        return self in _REJECTED


_REJECTED = frozenset(
    {
        Verdict.REJECTED_DECREASE,
        Verdict.REJECTED_JUMP,
        Verdict.REJECTED_INVALID,
        Verdict.PERSISTENT_DECREASE,
    }
)


@dataclass(slots=True)
class _Run:
    """Consecutive readings outside the allowance that agree with each other."""

    value: float
    at: float
    count: int = 1
    prev: tuple[float, float] | None = None


def _number(raw: object) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    value = float(raw)
    return value if math.isfinite(value) else None


@dataclass(slots=True)
class CounterGuard:
    """Accept only plausible, confirmed readings of one monotonic counter."""

    max_rate: float  # counter units per second
    slack: float = 1.0  # absolute tolerance in counter units (rounding)
    rebase_after: int = 10  # agreeing readings above the allowance before re-basing
    confirm_steps_above: float = 0.0  # larger increases wait for a confirming reading
    decrease_after: int = 10  # agreeing lower readings before PERSISTENT_DECREASE
    value: float | None = None  # last accepted: the value to publish
    accepted_at: float | None = None  # time of the last accepted value
    rejected: int = 0  # readings never published (rejected or discarded candidates)
    _candidate: tuple[float, float] | None = field(default=None, repr=False)
    _jump: _Run | None = field(default=None, repr=False)
    _drop: _Run | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.rebase_after < 2:
            raise ValueError("rebase_after must be at least 2")
        if self.decrease_after < 1:
            raise ValueError("decrease_after must be at least 1")
        if self.max_rate < 0 or self.slack < 0 or self.confirm_steps_above < 0:
            raise ValueError("max_rate, slack and confirm_steps_above must not be negative")

    # --- state ---------------------------------------------------------------------
    @property
    def candidate(self) -> float | None:
        """The reading waiting for the next one to confirm it."""
        return None if self._candidate is None else self._candidate[0]

    @property
    def decreasing(self) -> bool:
        """Whether the latest readings form a persistent decrease (repair issue)."""
        return self._drop is not None and self._drop.count >= self.decrease_after

    def reset(self) -> None:
        """Forget the history (a new meter): the next readings start from scratch."""
        self.value = self.accepted_at = None
        self._candidate = None
        self._jump = self._drop = None

    def snapshot(self) -> dict[str, Any]:
        """JSON-able state to store across restarts (times as passed to check)."""
        return {
            "value": self.value,
            "accepted_at": self.accepted_at,
            "candidate": None if self._candidate is None else list(self._candidate),
        }

    def restore(self, snapshot: Mapping[str, Any] | None) -> bool:
        """
        Load a :meth:`snapshot` (the configuration stays); call before the first check.

        ``{"value": v, "accepted_at": t}`` alone is enough. A malformed snapshot
        changes nothing and returns False.
        """
        if not isinstance(snapshot, Mapping):
            return False
        raw_value, raw_at = snapshot.get("value"), snapshot.get("accepted_at")
        value, at = _number(raw_value), _number(raw_at)
        if (value is None) != (raw_value is None) or (at is None) != (raw_at is None):
            return False  # present but not a finite number
        if (value is None) != (at is None):
            return False
        raw_candidate = snapshot.get("candidate")
        candidate: tuple[float, float] | None = None
        if raw_candidate is not None:
            if not isinstance(raw_candidate, list | tuple) or len(raw_candidate) != 2:
                return False
            c_value, c_at = _number(raw_candidate[0]), _number(raw_candidate[1])
            if c_value is None or c_at is None:
                return False
            if value is None or c_value > value:
                candidate = (c_value, c_at)
        self.reset()
        self.value, self.accepted_at = value, at
        self._candidate = candidate
        return True

    @classmethod
    def from_snapshot(
        cls,
        snapshot: Mapping[str, Any] | None,
        *,
        max_rate: float,
        slack: float = 1.0,
        rebase_after: int = 10,
        confirm_steps_above: float = 0.0,
        decrease_after: int = 10,
    ) -> CounterGuard:
        """Create a guard configured from the kind, with its history restored if valid."""
        guard = cls(
            max_rate=max_rate,
            slack=slack,
            rebase_after=rebase_after,
            confirm_steps_above=confirm_steps_above,
            decrease_after=decrease_after,
        )
        guard.restore(snapshot)
        return guard

    # --- judging -------------------------------------------------------------------
    def check_invalid(self, now: float) -> Verdict:
        """
        Judge an unreadable reading (checksum passed, not a number) read at ``now``.

        Counted as rejected; the accepted value and the candidate are kept.
        """
        self.rejected += 1
        return Verdict.REJECTED_INVALID

    def check(self, value: float | None, now: float) -> Verdict:
        """Judge ``value`` (None: unreadable) read at time ``now``; update the state."""
        if value is None or not math.isfinite(value):
            return self.check_invalid(now)
        self._rewind(now)
        candidate = self._candidate
        if candidate is not None and (self.value is None or value >= self.value):
            self._candidate = None
            if self._fits(*candidate, value, now):
                self.value, self.accepted_at = candidate  # confirmed: published
            else:
                self.rejected += 1  # contradicted: a glitch (or its neighbour was)
        return self._judge(value, now)

    def _judge(self, value: float, now: float) -> Verdict:
        if self.value is None or self.accepted_at is None:
            self._candidate = (value, now)
            return Verdict.PENDING
        if value < self.value:
            return self._decrease(value, now)
        if not self._fits(self.value, self.accepted_at, value, now):
            return self._too_high(value, now)
        self._jump = self._drop = None
        if value - self.value <= self.confirm_steps_above:
            self.value, self.accepted_at = value, now
            return Verdict.ACCEPTED
        self._candidate = (value, now)
        return Verdict.PENDING

    def _decrease(self, value: float, now: float) -> Verdict:
        self._drop = self._extend(self._drop, value, now)
        self.rejected += 1
        if self.decreasing:
            return Verdict.PERSISTENT_DECREASE
        return Verdict.REJECTED_DECREASE

    def _too_high(self, value: float, now: float) -> Verdict:
        run = self._jump = self._extend(self._jump, value, now)
        if run.count >= self.rebase_after and run.prev is not None:
            self.value, self.accepted_at = run.prev
            self._judge(value, now)  # consistent with run.prev: candidate or equal
            return Verdict.REBASED
        self.rejected += 1
        return Verdict.REJECTED_JUMP

    # --- helpers -------------------------------------------------------------------
    def _fits(self, base: float, base_at: float, value: float, now: float) -> bool:
        elapsed = max(now - base_at, 0.0)
        return base <= value <= base + self.max_rate * elapsed + self.slack

    def _extend(self, run: _Run | None, value: float, now: float) -> _Run:
        if run is not None and self._fits(run.value, run.at, value, now):
            return _Run(value, now, run.count + 1, (run.value, run.at))
        return _Run(value, now)

    def _rewind(self, now: float) -> None:
        """Move stored times after ``now`` back to it (a clock that went backwards)."""
        if self.accepted_at is not None and self.accepted_at > now:
            self.accepted_at = now
        if self._candidate is not None and self._candidate[1] > now:
            self._candidate = (self._candidate[0], now)
        for run in (self._jump, self._drop):
            if run is not None:
                run.at = min(run.at, now)
                if run.prev is not None:
                    run.prev = (run.prev[0], min(run.prev[1], now))
