"""Counter guard: no decrease, no implausible jump, confirmed first value."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from custom_components.energy_meters.protocol.plausibility import CounterGuard, Verdict


def _started(value: float = 1000.0, max_rate: float = 10.0) -> CounterGuard:
    guard = CounterGuard(max_rate=max_rate)
    assert guard.check(value, 0.0) is Verdict.PENDING
    assert guard.check(value, 1.0) is Verdict.ACCEPTED
    return guard


def test_first_value_needs_confirmation() -> None:
    guard = CounterGuard(max_rate=10.0)
    assert guard.check(999_999.0, 0.0) is Verdict.PENDING  # a glitch at start-up
    assert guard.value is None
    assert guard.check(1000.0, 1.0) is Verdict.PENDING  # disagrees: new candidate
    assert guard.check(1005.0, 2.0) is Verdict.ACCEPTED
    assert guard.value == 1005.0


def test_decrease_is_rejected_and_counted() -> None:
    guard = _started()
    assert guard.check(999.0, 2.0) is Verdict.REJECTED_DECREASE
    assert guard.value == 1000.0
    assert guard.rejected == 1


def test_jump_beyond_max_rate_is_rejected() -> None:
    guard = _started(max_rate=10.0)
    assert guard.check(1000.0 + 10.0 * 1 + 1.0, 2.0) is Verdict.ACCEPTED  # rate + slack
    assert guard.check(1011.0 + 900_000.0, 3.0) is Verdict.REJECTED_JUMP
    assert guard.value == 1011.0
    assert guard.check(1015.0, 4.0) is Verdict.ACCEPTED


def test_long_gap_allows_proportionally_more() -> None:
    guard = _started(max_rate=10.0)
    assert guard.check(1000.0 + 10.0 * 3600, 3601.0) is Verdict.ACCEPTED


def test_consistent_run_above_baseline_rebases_upwards_only() -> None:
    guard = _started(max_rate=1.0)
    guard.rebase_after = 3
    assert guard.check(5000.0, 2.0) is Verdict.REJECTED_JUMP
    assert guard.check(5001.0, 3.0) is Verdict.REJECTED_JUMP
    assert guard.check(5001.5, 3.5) is Verdict.ACCEPTED
    assert guard.value == 5001.5
    # a run below the baseline never rebases
    for step in range(20):
        assert guard.check(10.0 + step, 4.0 + step) is Verdict.REJECTED_DECREASE


def test_jump_streak_restarts_on_disagreeing_reading() -> None:
    guard = _started(max_rate=1.0)
    guard.rebase_after = 2
    assert guard.check(5000.0, 2.0) is Verdict.REJECTED_JUMP
    assert guard.check(90000.0, 3.0) is Verdict.REJECTED_JUMP  # disagrees with 5000
    assert guard.check(90000.5, 3.5) is Verdict.ACCEPTED


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1e9, allow_nan=False), min_size=1, max_size=60))
def test_accepted_values_never_decrease(readings: list[float]) -> None:
    guard = CounterGuard(max_rate=50.0)
    accepted: list[float] = []
    for second, value in enumerate(readings):
        if guard.check(value, float(second)) is Verdict.ACCEPTED:
            accepted.append(value)
    assert accepted == sorted(accepted)
