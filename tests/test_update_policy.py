"""Update policy: alarms at once, fast values throttled, slow values on change."""

from __future__ import annotations

import pytest

from custom_components.energy_meters.update_policy import Cadence, UpdatePolicy


@pytest.mark.parametrize(
    ("cadence", "elapsed", "expected"),
    [
        (Cadence.ALARM, 0.0, True),
        (Cadence.FAST, 4.9, False),
        (Cadence.FAST, 5.0, True),
        (Cadence.SLOW, 29.0, False),
        (Cadence.COUNTER, 30.0, True),
    ],
)
def test_intervals(cadence: Cadence, elapsed: float, expected: bool) -> None:
    policy = UpdatePolicy(slow_interval=30, fast_interval=5)
    assert (
        policy.should_write(cadence, changed=True, last_write=100.0, now=100.0 + elapsed)
        is expected
    )


def test_unchanged_is_never_written() -> None:
    policy = UpdatePolicy()
    assert not policy.should_write(Cadence.ALARM, changed=False, last_write=None, now=0.0)


def test_first_write_is_immediate() -> None:
    policy = UpdatePolicy()
    assert policy.should_write(Cadence.SLOW, changed=True, last_write=None, now=0.0)
