"""Counter guard: confirmed increases, no decrease, no implausible jump, restart-safe."""

from __future__ import annotations

from dataclasses import dataclass, field
import json
import math
from typing import Any, Literal

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.energy_meters.protocol.plausibility import CounterGuard, Verdict

A = Verdict.ACCEPTED
P = Verdict.PENDING
RB = Verdict.REBASED
RD = Verdict.REJECTED_DECREASE
RJ = Verdict.REJECTED_JUMP
RI = Verdict.REJECTED_INVALID
PD = Verdict.PERSISTENT_DECREASE

# (reading, time, verdict, published value after it)
type Step = tuple[float | None, float, Verdict, float | None]


def _start(value: float) -> list[Step]:
    """A guard started from scratch: the first value is confirmed by an equal one."""
    return [(value, 0.0, P, None), (value, 1.0, A, value)]


@dataclass(frozen=True)
class Scenario:
    name: str
    steps: list[Step]
    config: dict[str, Any] = field(default_factory=dict)
    snapshot: dict[str, Any] | None = None
    rejected: int | None = None  # guard.rejected at the end
    candidate: float | None | Literal["any"] = "any"  # guard.candidate at the end


E7 = 10_000_000.0  # a Linky index in Wh
SCENARIOS = [
    # --- kept from the first guard (see the commit for the ones whose meaning changed)
    Scenario(
        "first value needs confirmation",
        [
            (999_999.0, 0.0, P, None),  # a glitch at start-up
            (1000.0, 1.0, P, None),  # disagrees: both are candidates
            (1005.0, 2.0, P, 1000.0),  # confirms 1000 only; 1005 waits in turn
            (1005.0, 3.0, A, 1005.0),
        ],
        rejected=1,
    ),
    Scenario(
        "decrease is rejected and counted", [*_start(1000.0), (999.0, 2.0, RD, 1000.0)], rejected=1
    ),
    Scenario(
        "jump beyond max rate is rejected",
        [
            *_start(1000.0),
            (1000.0 + 10.0 * 1 + 1.0, 2.0, P, 1000.0),  # rate + slack: plausible, waits
            (1011.0 + 900_000.0, 3.0, RJ, 1000.0),  # does not confirm 1011: discarded
            (1015.0, 4.0, P, 1000.0),
            (1015.0, 5.0, A, 1015.0),
        ],
        config={"max_rate": 10.0},
        rejected=2,
    ),
    Scenario(
        "long gap allows proportionally more",
        [*_start(1000.0), (37_000.0, 3601.0, P, 1000.0), (37_001.0, 3602.0, P, 37_000.0)],
        config={"max_rate": 10.0},
    ),
    Scenario(
        "consistent run above the baseline rebases upwards only",
        [
            *_start(1000.0),
            (5000.0, 2.0, RJ, 1000.0),
            (5001.0, 3.0, RJ, 1000.0),
            (5001.5, 3.5, RB, 5001.0),  # 5001 confirmed by 5001.5, which waits
            (5002.0, 4.0, P, 5001.5),
            # a run below the baseline never rebases: reported, never adopted
            *[(10.0 + s, 5.0 + s, RD, 5001.5) for s in range(9)],
            *[(19.0 + s, 14.0 + s, PD, 5001.5) for s in range(11)],
        ],
        config={"max_rate": 1.0, "rebase_after": 3},
    ),
    Scenario(
        "jump streak restarts on a disagreeing reading",
        [
            *_start(1000.0),
            (5000.0, 2.0, RJ, 1000.0),
            (90_000.0, 3.0, RJ, 1000.0),  # disagrees with 5000
            (90_000.5, 3.5, RB, 90_000.0),
        ],
        config={"max_rate": 1.0, "rebase_after": 2},
    ),
    # --- issue 7 item 12: a plausible wrong value must not lock out the truth
    Scenario(
        "one-hour gap then a +8 kWh glitch: truth wins one reading later",
        [
            *_start(E7),
            (E7 + 2000 + 8000, 3600.0, P, E7),  # plausible after an hour at 18 kW
            (E7 + 2000, 3601.5, P, E7),  # contradicts it
            (E7 + 2003, 3603.0, P, E7 + 2000),  # confirms the truth, not the glitch
            (E7 + 2006, 3604.5, P, E7 + 2003),
        ],
        config={"max_rate": 5.0},
        rejected=1,
    ),
    Scenario(
        "one-hour gap, truth then a +8 kWh glitch: the glitch is never published",
        [
            *_start(E7),
            (E7 + 2000, 3600.0, P, E7),
            (E7 + 10_000, 3601.5, P, E7),  # contradicts the truth, replaces it
            (E7 + 2003, 3603.0, P, E7),  # contradicts the glitch
            (E7 + 2006, 3604.5, P, E7 + 2003),
        ],
        config={"max_rate": 5.0},
        rejected=2,
    ),
    Scenario(
        "a real large step after a gap is accepted one reading later",
        [*_start(E7), (E7 + 18_000, 3601.0, P, E7), (E7 + 18_004, 3602.5, P, E7 + 18_000)],
        config={"max_rate": 5.0},
        rejected=0,
    ),
    Scenario(
        "swapped low digits upwards (true 012345678 read 012345687) is never published",
        [
            *_start(12_345_670.0),
            (12_345_674.0, 3.0, P, 12_345_670.0),
            (12_345_676.0, 4.5, P, 12_345_674.0),
            (12_345_687.0, 6.0, P, 12_345_674.0),
            (12_345_680.0, 7.5, P, 12_345_674.0),
            (12_345_682.0, 9.0, P, 12_345_680.0),
        ],
        config={"max_rate": 5.0},
        rejected=2,
    ),
    Scenario(
        "swapped low digits downwards (true 012345687 read 012345678) is a decrease",
        [
            *_start(12_345_683.0),
            (12_345_685.0, 3.0, P, 12_345_683.0),
            (12_345_678.0, 4.5, RD, 12_345_683.0),  # a glitch: the candidate stays
            (12_345_689.0, 6.0, P, 12_345_685.0),
            (12_345_691.0, 7.5, P, 12_345_689.0),
        ],
        config={"max_rate": 5.0},
    ),
    Scenario(
        "a glitch, the truth, the same glitch: the glitch never wins",
        [
            *_start(100.0),
            (140.0, 2.0, P, 100.0),  # glitch
            (101.0, 3.0, P, 100.0),  # truth: contradicts it
            (140.0, 4.0, P, 101.0),  # the same glitch only confirms the truth before it
            (102.0, 5.0, P, 101.0),
            (103.0, 6.0, P, 102.0),
        ],
        config={"max_rate": 50.0},
        rejected=2,
        candidate=103.0,
    ),
    Scenario(
        "a low glitch confirmed by the next truth may be published: behind the truth",
        [
            *_start(100.0),
            (104.0, 2.0, P, 100.0),  # truth
            (101.0, 3.0, P, 100.0),  # low glitch (or was 104 high? undecidable)
            (106.0, 4.0, P, 101.0),  # confirms 101: published, never above the truth
            (108.0, 5.0, P, 106.0),
        ],
        config={"max_rate": 5.0},
        rejected=1,
    ),
    Scenario(
        "two identical consecutive glitches confirm each other (documented limit)",
        [
            *_start(100.0),
            (110.0, 2.0, P, 100.0),
            (110.0, 3.0, A, 110.0),
            (102.0, 4.0, RD, 110.0),
        ],
        config={"max_rate": 10.0},
    ),
    Scenario(
        "a reading equal to the accepted value drops the candidate it contradicts",
        [*_start(1000.0), (1008.0, 2.0, P, 1000.0), (1000.0, 3.0, A, 1000.0)],
        rejected=1,
        candidate=None,
    ),
    Scenario(
        "without a baseline the last reading is the candidate",
        [(1.0, 0.0, P, None), (1e6, 1.0, P, None), (1e8, 2.0, P, None)],
        rejected=2,
        candidate=1e8,
    ),
    Scenario(
        "small steps accepted at once when the kind allows it",
        [
            *_start(1000.0),
            (1003.0, 2.0, A, 1003.0),
            (1010.0, 3.0, P, 1003.0),  # above confirm_steps_above
            (1012.0, 4.0, A, 1012.0),  # confirms 1010, and is a small step itself
        ],
        config={"max_rate": 10.0, "confirm_steps_above": 5.0},
    ),
    # --- issue 7 item 10: a group that passes the checksum but is not a number
    Scenario(
        "bit-6 flip gives a non-numeric group: rejected, state kept",
        [
            *_start(1000.0),
            (None, 2.0, RI, 1000.0),  # EAST 00s519703
            (1005.0, 3.0, P, 1000.0),
            (None, 4.0, RI, 1000.0),
            (math.nan, 4.5, RI, 1000.0),
            (math.inf, 4.6, RI, 1000.0),
            (1006.0, 5.0, P, 1005.0),  # the candidate survived the unreadable ones
        ],
        rejected=4,
    ),
    # --- issue 6 item 5: restored across a restart (wall-clock epoch seconds)
    Scenario(
        "after a restore an unchanged reading is accepted at once",
        [
            (5000.0, 11_800.0, A, 5000.0),
            (5005.0, 11_801.0, P, 5000.0),
            (5007.0, 11_802.0, P, 5005.0),
        ],
        config={"max_rate": 5.0},
        snapshot={"value": 5000.0, "accepted_at": 1000.0},
    ),
    Scenario(
        "after a restore an increase is judged against the restored time, then confirmed",
        [(5500.0, 11_800.0, P, 5000.0), (5502.0, 11_801.0, P, 5500.0)],
        config={"max_rate": 5.0},
        snapshot={"value": 5000.0, "accepted_at": 1000.0},
        rejected=0,
    ),
    Scenario(
        "a glitch right after a restore is judged against the real history",
        [
            (5000.0 + 1e9, 11_800.0, RJ, 5000.0),
            (4000.0, 11_801.0, RD, 5000.0),
            (13_000.0, 11_802.0, P, 5000.0),  # plausible after 3 h, waits
            (5300.0, 11_803.0, P, 5000.0),  # contradicts it
            (5301.0, 11_804.0, P, 5300.0),
        ],
        config={"max_rate": 5.0},
        snapshot={"value": 5000.0, "accepted_at": 1000.0},
        rejected=3,
    ),
    Scenario(
        "a meter sending every few hours: first reading after restore accepted at once",
        [
            (5500.0, 11_800.0, A, 5500.0),
            (13_000.0, 22_600.0, P, 5500.0),  # a large step still waits
            (6000.0, 33_400.0, A, 6000.0),  # small step: at once; 13000 contradicted
        ],
        config={"max_rate": 5.0, "confirm_steps_above": 2000.0},
        snapshot={"value": 5000.0, "accepted_at": 1000.0},
        rejected=1,
    ),
    Scenario(
        "a restored candidate is confirmed by the first reading after restart",
        [(5600.0, 9000.0, P, 5400.0)],
        config={"max_rate": 5.0},
        snapshot={"value": 5000.0, "accepted_at": 1000.0, "candidate": [5400.0, 2000.0]},
        candidate=5600.0,
    ),
    Scenario(
        "clock going backwards: elapsed time counts from the moment it went back",
        [
            *_start(1000.0),
            (1000.0, -50.0, A, 1000.0),
            (1005.0, -100.0, RJ, 1000.0),  # elapsed 0: only the slack is allowed
            (1005.0, -99.0, P, 1000.0),
            (1006.0, -98.0, P, 1005.0),
        ],
        config={"max_rate": 10.0},
    ),
    Scenario(
        "clock going backwards with a waiting candidate",
        [*_start(1000.0), (1005.0, 2.0, P, 1000.0), (1005.5, -10.0, P, 1005.0)],
        config={"max_rate": 10.0},
    ),
    Scenario(
        "a persistent decrease is reported, a disagreeing one restarts the run",
        [
            *_start(1000.0),
            (10.0, 2.0, RD, 1000.0),
            (11.0, 3.0, RD, 1000.0),
            (12.0, 4.0, PD, 1000.0),
            (13.0, 5.0, PD, 1000.0),
            (500.0, 6.0, RD, 1000.0),  # disagrees with the run
            (1000.0, 7.0, A, 1000.0),
        ],
        config={"max_rate": 1.0, "decrease_after": 3},
        rejected=5,
    ),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_scenario(scenario: Scenario) -> None:
    config = {"max_rate": 10.0, **scenario.config}
    guard = CounterGuard.from_snapshot(scenario.snapshot, **config)
    for index, (reading, now, verdict, published) in enumerate(scenario.steps):
        got = guard.check(reading, now)
        assert (got, guard.value) == (verdict, published), f"step {index}: {reading} at {now}"
        assert got.rejected == (verdict in (RD, RJ, RI, PD))
    if scenario.rejected is not None:
        assert guard.rejected == scenario.rejected
    if scenario.candidate != "any":
        assert guard.candidate == scenario.candidate


def test_persistent_decrease_flag_and_reset() -> None:
    guard = CounterGuard(max_rate=1.0, decrease_after=2)
    readings = [(1000.0, 0.0), (1000.0, 1.0), (10.0, 2.0), (11.0, 3.0), (1000.0, 4.0)]
    readings += [(10.0, 5.0), (11.0, 6.0)]
    flags = []
    for reading, now in readings:
        flags.append((guard.check(reading, now), guard.decreasing))
    # the run ends with a reading consistent with the baseline
    assert flags == [
        (P, False),
        (A, False),
        (RD, False),
        (PD, True),
        (A, False),
        (RD, False),
        (PD, True),
    ]
    guard.reset()  # the user confirmed a new meter
    assert (guard.value, guard.accepted_at, guard.candidate, guard.decreasing) == (
        None,
        None,
        None,
        False,
    )
    assert guard.check(12.0, 7.0) is P
    assert guard.check(12.0, 8.0) is A
    assert guard.value == 12.0


def test_check_invalid_keeps_everything_but_counts() -> None:
    guard = CounterGuard.from_snapshot({"value": 5.0, "accepted_at": 0.0}, max_rate=1.0)
    assert guard.check_invalid(3.0) is RI
    assert (guard.value, guard.accepted_at, guard.rejected) == (5.0, 0.0, 1)


def test_snapshot_round_trips_through_json() -> None:
    guard = CounterGuard(max_rate=10.0)
    assert guard.snapshot() == {"value": None, "accepted_at": None, "candidate": None}
    for reading, now in [(1000.0, 1.7e9), (1000.0, 1.7e9 + 1), (1008.0, 1.7e9 + 2)]:
        guard.check(reading, now)
    snapshot = json.loads(json.dumps(guard.snapshot()))
    assert snapshot == {"value": 1000.0, "accepted_at": 1.7e9 + 1, "candidate": [1008.0, 1.7e9 + 2]}
    restored = CounterGuard.from_snapshot(snapshot, max_rate=10.0)
    assert (restored.value, restored.accepted_at, restored.candidate) == (1000.0, 1.7e9 + 1, 1008.0)
    assert restored.check(1009.0, 1.7e9 + 3) is P
    assert restored.value == 1008.0


def test_snapshot_without_baseline_keeps_the_candidate() -> None:
    guard = CounterGuard(max_rate=10.0)
    guard.check(1000.0, 0.0)
    restored = CounterGuard.from_snapshot(guard.snapshot(), max_rate=10.0)
    assert restored.check(1002.0, 1.0) is P
    assert restored.value == 1000.0


@pytest.mark.parametrize(
    ("candidate", "restored"), [([9, 1], None), ([10, 1], None), ((11, 2), 11.0), (None, None)]
)
def test_restore_keeps_only_a_candidate_above_the_value(
    candidate: Any, restored: float | None
) -> None:
    guard = CounterGuard(max_rate=1.0)
    assert guard.restore({"value": 10, "accepted_at": 0, "candidate": candidate})
    assert guard.candidate == restored


@pytest.mark.parametrize(
    "snapshot",
    [
        None,
        [],
        "5000",
        {"value": "5000", "accepted_at": 0.0},
        {"value": 5000.0, "accepted_at": None},
        {"value": None, "accepted_at": 0.0},
        {"value": True, "accepted_at": 0.0},
        {"value": math.nan, "accepted_at": 0.0},
        {"value": 5000.0, "accepted_at": "yesterday"},
        {"value": 5000.0, "accepted_at": 0.0, "candidate": 5001.0},
        {"value": 5000.0, "accepted_at": 0.0, "candidate": [5001.0]},
        {"value": 5000.0, "accepted_at": 0.0, "candidate": [5001.0, None]},
        {"value": 5000.0, "accepted_at": 0.0, "candidate": ["5001", 1.0]},
    ],
)
def test_malformed_snapshot_changes_nothing(snapshot: Any) -> None:
    guard = CounterGuard(max_rate=1.0)
    guard.check(7.0, 0.0)
    assert not guard.restore(snapshot)
    assert (guard.value, guard.candidate) == (None, 7.0)


@pytest.mark.parametrize(
    "config",
    [
        {"max_rate": -1.0},
        {"max_rate": 1.0, "slack": -1.0},
        {"max_rate": 1.0, "confirm_steps_above": -1.0},
        {"max_rate": 1.0, "rebase_after": 1},
        {"max_rate": 1.0, "decrease_after": 0},
    ],
)
def test_invalid_configuration_is_refused(config: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must"):
        CounterGuard(**config)


def test_max_rate_can_follow_the_kind() -> None:
    guard = CounterGuard.from_snapshot({"value": 0.0, "accepted_at": 0.0}, max_rate=1.0)
    guard.max_rate = 100.0  # e.g. the cut-off power became known
    assert guard.check(50.0, 1.0) is P


# --- property: the truth always wins ---------------------------------------------
MAX_RATE = 5.0
REBASE_AFTER = 10


@dataclass(frozen=True)
class Series:
    times: list[float]
    truth: list[int]
    readings: list[float | None]

    @property
    def corrupt(self) -> list[bool]:
        return [r != t for r, t in zip(self.readings, self.truth, strict=True)]


def _corrupt(draw: st.DrawFn, true: int) -> float | None:
    digits = list(f"{true:09d}")
    kind = draw(st.sampled_from(["swap", "digit", "random", "not a number"]))
    if kind == "swap":
        pos = draw(st.integers(0, len(digits) - 2))
        digits[pos], digits[pos + 1] = digits[pos + 1], digits[pos]
    elif kind == "digit":
        pos = draw(st.integers(0, len(digits) - 1))
        digits[pos] = str((int(digits[pos]) + draw(st.integers(1, 9))) % 10)
    elif kind == "random":
        return float(draw(st.integers(0, 10**9 - 1)))
    else:
        return None
    return float(int("".join(digits)))


@st.composite
def corrupted_series(draw: st.DrawFn) -> Series:
    """
    A true counter (rate <= MAX_RATE, gaps up to an hour) read with single-reading
    corruptions (swapped digits, changed digits, random values, non-numeric groups).

    Excluded: two corrupted readings in a row (two identical glitches confirm each
    other, see the module docstring); the same glitch repeated after a true
    reading is allowed. The last REBASE_AFTER + 3 readings are clean.
    """
    count = draw(st.integers(2, 50))
    value = draw(st.integers(0, 10**8))
    now = draw(st.floats(0, 2e9))
    times: list[float] = []
    truth: list[int] = []
    readings: list[float | None] = []
    tail = REBASE_AFTER + 3
    for index in range(count + tail):
        elapsed = draw(st.sampled_from([1.0, 1.5, 2.0, 30.0, 3600.0]))
        now += elapsed
        value += draw(st.integers(0, int(MAX_RATE * elapsed)))
        reading: float | None = float(value)
        previous_clean = not readings or readings[-1] == truth[-1]
        if index < count and previous_clean and draw(st.booleans()):
            reading = _corrupt(draw, value)
        times.append(now)
        truth.append(value)
        readings.append(reading)
    return Series(times, truth, readings)


def _indistinguishable(series: Series, published: float) -> bool:
    """A corrupted reading that the next true reading confirms could have been true."""
    return any(
        reading == published and corrupt and published <= series.truth[index + 1]
        for index, (reading, corrupt) in enumerate(
            zip(series.readings, series.corrupt, strict=True)
        )
        if index + 1 < len(series.truth)
    )


@settings(max_examples=400, deadline=None)
@given(corrupted_series())
def test_published_series_is_monotonic_and_true(series: Series) -> None:
    guard = CounterGuard(max_rate=MAX_RATE, rebase_after=REBASE_AFTER)
    true_values = set(series.truth)
    last: float | None = None
    for now, reading, true in zip(series.times, series.readings, series.truth, strict=True):
        guard.check(reading, now)
        published = guard.value
        if published is None:
            assert last is None
            continue
        assert last is None or published >= last, "the published series decreased"
        assert published <= true, "published ahead of the truth"
        assert published in true_values or _indistinguishable(series, published)
        last = published
    assert guard.value is not None
    assert guard.value >= series.truth[-2], "the truth did not catch up"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1e9, allow_nan=False), min_size=1, max_size=60))
def test_accepted_values_never_decrease(readings: list[float]) -> None:
    guard = CounterGuard(max_rate=50.0)
    published: list[float] = []
    for second, value in enumerate(readings):
        guard.check(value, float(second))
        if guard.value is not None:
            published.append(guard.value)
    assert published == sorted(published)
