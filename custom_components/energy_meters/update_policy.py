"""
When a new reading is worth a state write (no Home Assistant imports).

Meters push far more often than history needs: a Linky in standard mode sends
about 40 labels every 0.9 s. Writing each one would flood the recorder, so each
entity asks this policy before writing:

* ``ALARM`` values are written at once;
* ``FAST`` values (power, current) at most every ``fast_interval`` seconds;
* ``COUNTER`` and ``SLOW`` values only when they change, at most every
  ``slow_interval`` seconds.

A change held back by the interval is not lost: readings keep arriving, and the
first one after the interval carries it (see :meth:`UpdatePolicy.should_write`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Cadence(StrEnum):
    """Update class of a value."""

    COUNTER = "counter"
    FAST = "fast"
    SLOW = "slow"
    ALARM = "alarm"


@dataclass(frozen=True, slots=True)
class UpdatePolicy:
    """Minimum seconds between two writes, per cadence."""

    slow_interval: float = 30.0
    fast_interval: float = 5.0

    def interval(self, cadence: Cadence) -> float:
        """Return the minimum interval between writes for ``cadence``."""
        if cadence is Cadence.ALARM:
            return 0.0
        if cadence is Cadence.FAST:
            return self.fast_interval
        return self.slow_interval

    def should_write(
        self,
        cadence: Cadence,
        *,
        changed: bool,
        last_write: float | None,
        now: float,
    ) -> bool:
        """
        Return True when a reading must be written now.

        ``changed`` tells whether the value (or availability) differs from the
        last written state; ``last_write`` is the monotonic time of that write
        (None: never written).
        """
        if not changed:
            return False
        if last_write is None:
            return True
        return now - last_write >= self.interval(cadence)
