"""TIC meter simulator: every profile parses cleanly, faults do what they claim."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import contextlib
from datetime import UTC, datetime, timedelta
import itertools
from pathlib import Path
import shutil
import signal
import sys
from types import SimpleNamespace
from unittest.mock import patch

import pytest

from custom_components.energy_meters.protocol.serial_link import SerialSettings, open_serial
from custom_components.energy_meters.protocol.tic.framing import TicFrame, TicMode, TicParser
from custom_components.energy_meters.protocol.tic.horodate import PARIS
from custom_components.energy_meters.protocol.tic.stge import decode_stge
from simulators.tic import (
    Faults,
    SimulatedClock,
    TicSimulator,
    apply_fault,
    handle_command,
    is_counter,
    parse_args,
    serve,
)
from simulators.tic_model import (
    MAX_VA,
    MIN_VA,
    PROFILES,
    ConstantLoad,
    DailyCurve,
    MeterModel,
    build_frame,
)
from simulators.tic_transport import SocatPty, TcpMeterServer, uart_mismatch

pytestmark = pytest.mark.usefixtures("socket_enabled")  # 127.0.0.1 servers only

WINTER_NIGHT = datetime(2026, 1, 14, 23, 3, 5, tzinfo=PARIS)
SUMMER_NOON = datetime(2026, 7, 14, 13, 4, 7, tzinfo=PARIS)
QUIET = datetime(2026, 3, 2, 10, 2, 30, tzinfo=PARIS)  # outside the periodic tri overrun
SMALL_HOURS = datetime(2026, 3, 2, 3, 2, 30, tzinfo=PARIS)  # the daily curve's low
EVENING = datetime(2026, 3, 2, 19, 2, 30, tzinfo=PARIS)  # the daily curve's peak


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def tick(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def frames_of(sim: TicSimulator, clock: Clock, count: int, step: float = 1.0) -> list[TicFrame]:
    parser = TicParser(sim.mode)
    frames: list[TicFrame] = []
    for _ in range(count):
        frames += parser.feed(sim.next_emission().data)
        clock.tick(step)
    assert parser.stats.groups_bad_checksum == 0
    assert parser.stats.groups_malformed == 0
    return frames


def make(profile: str, start: datetime = QUIET, **kwargs: object) -> tuple[TicSimulator, Clock]:
    clock = Clock(start)
    return TicSimulator(profile, clock=clock, **kwargs), clock  # type: ignore[arg-type]


def data(frame: TicFrame, label: str) -> str:
    group = frame.get(label)
    assert group is not None, label
    return group.data


# -- profiles -------------------------------------------------------------------------


@pytest.mark.parametrize("profile", sorted(PROFILES))
@pytest.mark.parametrize("start", [WINTER_NIGHT, SUMMER_NOON, QUIET])
def test_every_profile_parses_without_bad_groups(profile: str, start: datetime) -> None:
    sim, clock = make(profile, start)
    parser = TicParser(sim.mode)
    frames: list[TicFrame] = []
    for _ in range(25):
        emission = sim.next_emission()
        parsed = parser.feed(emission.data)
        assert len(parsed) == 1
        assert len(parsed[0].groups) == len(emission.groups)
        frames += parsed
        clock.tick(7)
    stats = parser.stats
    assert (stats.groups_bad_checksum, stats.groups_malformed, stats.eot) == (0, 0, 0)
    assert stats.garbage_bytes == 0
    identity = "ADCO" if sim.mode is TicMode.HISTORIC else "ADSC"
    assert {data(f, identity) for f in frames} == {sim.profile.serial}
    assert sim.stats.frames == 25


def test_historic_mono_base_matches_real_meter_layout() -> None:
    sim, clock = make("historic-mono-base")
    [frame] = frames_of(sim, clock, 1)
    assert list(frame.groups) == [
        "ADCO", "OPTARIF", "ISOUSC", "BASE", "PTEC", "IINST", "IMAX", "PAPP", "HHPHC", "MOTDETAT",
    ]  # fmt: skip
    assert data(frame, "ADCO") == "021861348497"
    assert (data(frame, "OPTARIF"), data(frame, "PTEC")) == ("BASE", "TH..")
    assert 200 <= int(data(frame, "PAPP")) <= 3000
    assert int(data(frame, "PAPP")) % 10 == 0


def test_historic_tempo() -> None:
    sim, clock = make("historic-mono-tempo", WINTER_NIGHT)
    [frame] = frames_of(sim, clock, 1)
    bbr = [label for label in frame.groups if label.startswith("BBRH")]
    assert bbr == ["BBRHCJB", "BBRHPJB", "BBRHCJW", "BBRHPJW", "BBRHCJR", "BBRHPJR"]
    assert data(frame, "OPTARIF") == "BBR("
    assert data(frame, "PTEC").startswith("HCJ")  # 23:03 is off-peak
    assert data(frame, "DEMAIN") in {"BLEU", "BLAN", "ROUG"}  # announced after 11:00
    morning, clock = make("historic-mono-tempo", WINTER_NIGHT.replace(hour=8))
    [frame] = frames_of(morning, clock, 1)
    assert data(frame, "DEMAIN") == "----"
    assert data(frame, "PTEC").startswith("HPJ")


def test_historic_tri_short_frame_bursts() -> None:
    sim, clock = make("historic-tri")
    [long_frame] = frames_of(sim, clock, 1)
    assert not long_frame.short
    assert {"IINST3", "IMAX3", "PMAX", "PPOT", "HCHC", "HCHP"} <= long_frame.groups.keys()
    sim.trigger_overrun(30)
    frames = frames_of(sim, clock, 42, step=0.5)
    pattern = "".join("s" if f.short else "L" for f in frames)
    assert pattern == ("s" * 20 + "L") * 2
    assert list(frames[0].groups) == ["ADIR1", "ADCO", "IINST1", "IINST2", "IINST3"]
    assert int(data(frames[0], "ADIR1")) > int(data(long_frame, "ISOUSC"))
    assert sim.stats.short_frames == 40
    clock.tick(120)  # overrun over, one minute tail elapsed
    assert not frames_of(sim, clock, 1)[0].short


def test_historic_tri_overruns_periodically() -> None:
    sim, clock = make("historic-tri", QUIET.replace(minute=10, second=5))
    assert any(f.short for f in frames_of(sim, clock, 5))


def test_historic_mono_overrun_sends_adps() -> None:
    sim, clock = make("historic-mono-base")
    assert "ADPS" not in frames_of(sim, clock, 1)[0]
    apply_fault(sim, "overrun=5")
    [frame] = frames_of(sim, clock, 1)
    assert data(frame, "ADPS") == data(frame, "IINST")
    assert int(data(frame, "IINST")) > int(data(frame, "ISOUSC"))


def test_standard_mono_layout() -> None:
    sim, clock = make("standard-mono")
    [frame] = frames_of(sim, clock, 1)
    assert len(frame.groups) == 38  # as in a real capture (hekmon/linkytic)
    assert data(frame, "ADSC") == "041875097317"
    assert data(frame, "PRM") == "01234567890123"
    assert data(frame, "VTIC") == "02"
    assert "IRMS2" not in frame
    assert "EAIT" not in frame
    stge = decode_stge(data(frame, "STGE"))
    assert stge is not None
    assert (stge.standard_mode, stge.producer, stge.clock_degraded) == (True, False, False)
    assert stge.supplier_index == int(data(frame, "NTARF")) == 1
    assert data(frame, "EAST") == data(frame, "EASF01") == data(frame, "EASD01")


def test_standard_tri_layout() -> None:
    sim, clock = make("standard-tri")
    [frame] = frames_of(sim, clock, 1)
    for label in ("IRMS3", "URMS3", "SINSTS3", "SMAXSN3", "SMAXSN3-1", "UMOY3"):
        assert label in frame
    per_phase = sum(int(data(frame, f"SINSTS{n}")) for n in (1, 2, 3))
    assert abs(per_phase - int(data(frame, "SINSTS"))) <= 2


@pytest.mark.parametrize("profile", ["standard-producer", "standard-tri-producer"])
def test_standard_producer(profile: str) -> None:
    sim, clock = make(profile, SUMMER_NOON)
    frames = frames_of(sim, clock, 3, step=60)
    frame = frames[-1]
    for label in ("EAIT", "ERQ1", "ERQ4", "SINSTI", "SMAXIN", "SMAXIN-1", "CCAIN", "CCAIN-1"):
        assert label in frame
    stge = decode_stge(data(frame, "STGE"))
    assert stge is not None
    assert stge.producer
    assert stge.injecting  # sunny noon: production exceeds consumption
    assert int(data(frame, "SINSTI")) > 0
    assert int(data(frame, "SINSTS")) == 0
    assert int(data(frames[-1], "EAIT")) > int(data(frames[0], "EAIT"))
    night, clock = make(profile, WINTER_NIGHT)
    [frame] = frames_of(night, clock, 1)
    stge = decode_stge(data(frame, "STGE"))
    assert stge is not None
    assert (stge.producer, stge.injecting) == (True, False)
    assert data(frame, "SINSTI") == "00000"


def test_standard_tempo() -> None:
    sim, clock = make("standard-tempo", WINTER_NIGHT)
    [frame] = frames_of(sim, clock, 1)
    assert data(frame, "NGTF") == "     TEMPO      "
    assert data(frame, "LTARF").strip().startswith("HC")
    stge = decode_stge(data(frame, "STGE"))
    assert stge is not None
    assert stge.tempo_today != "none"
    assert stge.tempo_tomorrow != "none"  # announced after 11:00
    assert stge.supplier_index == int(data(frame, "NTARF"))
    assert stge.distributor_index == 2  # off-peak
    east = int(data(frame, "EAST"))
    assert east == sum(int(data(frame, f"EASF{n:02d}")) for n in range(1, 11))
    assert east == sum(int(data(frame, f"EASD{n:02d}")) for n in range(1, 5))


@pytest.mark.parametrize(("start", "season"), [(WINTER_NIGHT, "H"), (SUMMER_NOON, "E")])
def test_horodates_follow_paris_time(start: datetime, season: str) -> None:
    sim, clock = make("standard-mono", start)
    [frame] = frames_of(sim, clock, 1)
    date = frame.get("DATE")
    assert date is not None
    assert date.horodate is not None
    assert date.horodate.season == season
    assert date.horodate.when == start
    sim.faults.degraded_clock = True
    [frame] = frames_of(sim, clock, 1)
    date = frame.get("DATE")
    assert date is not None
    assert date.horodate is not None
    assert date.horodate.season == season.lower()
    stge = decode_stge(data(frame, "STGE"))
    assert stge is not None
    assert stge.clock_degraded


def test_dated_groups_are_consistent() -> None:
    sim, clock = make("standard-mono", QUIET)
    [frame] = frames_of(sim, clock, 1)
    ccasn, umoy, smax = frame.get("CCASN"), frame.get("UMOY1"), frame.get("SMAXSN-1")
    assert ccasn is not None and ccasn.horodate is not None
    assert umoy is not None and umoy.horodate is not None
    assert smax is not None and smax.horodate is not None
    assert ccasn.horodate.when == QUIET.replace(minute=0, second=0)
    assert umoy.horodate.when == QUIET.replace(minute=0, second=0)
    assert smax.horodate.when.date() == QUIET.date() - timedelta(days=1)


def test_counters_advance_with_power_and_never_decrease() -> None:
    sim, clock = make("standard-mono")
    frames = frames_of(sim, clock, 61, step=60)
    east = [int(data(f, "EAST")) for f in frames]
    assert east == sorted(east)
    gained = east[-1] - east[0]
    assert 200 * 0.92 * 0.95 <= gained <= 3000 * 0.92  # one hour between 200 and 3000 VA
    powers = [int(data(f, "SINSTS")) for f in frames]
    assert min(powers) >= 200
    assert max(powers) <= 3000
    assert len(set(powers)) > 30  # it varies


def test_midnight_rolls_daily_maxima() -> None:
    sim, clock = make("standard-mono", datetime(2026, 3, 2, 23, 59, 0, tzinfo=PARIS))
    before = frames_of(sim, clock, 30, step=2)[-2]
    [after] = frames_of(sim, clock, 1)
    assert data(after, "SMAXSN-1") == data(before, "SMAXSN")


def test_same_seed_and_clock_give_same_bytes() -> None:
    one, _ = make("standard-tri-producer", SUMMER_NOON, seed=3)
    two, _ = make("standard-tri-producer", SUMMER_NOON, seed=3)
    other, _ = make("standard-tri-producer", SUMMER_NOON, seed=4)
    assert one.next_emission().data == two.next_emission().data != other.next_emission().data


# -- load profiles: counters follow the profile on the simulated clock, never the hour --


@pytest.mark.parametrize("start", [SMALL_HOURS, EVENING])
def test_constant_load_sets_the_counter_rate_whatever_the_hour(start: datetime) -> None:
    sim, clock = make("standard-mono", start, load=ConstantLoad(3000))
    frames = frames_of(sim, clock, 61, step=60)  # one simulated hour, a frame a minute
    assert {data(f, "SINSTS") for f in frames} == {"03000"}
    east = [int(data(f, "EAST")) for f in frames]
    steps = {b - a for a, b in itertools.pairwise(east)}
    assert steps <= {45, 46, 47}  # 3000 VA x 0.92 / 60 = 46 Wh a minute
    assert east[-1] - east[0] in (2759, 2760, 2761)


def test_counters_advance_the_same_at_3_and_19_with_a_profile() -> None:
    def gained(start: datetime, **kwargs: object) -> int:
        sim, clock = make("standard-mono", start, **kwargs)
        east = [int(data(f, "EAST")) for f in frames_of(sim, clock, 31, step=60)]
        return east[-1] - east[0]

    constant = ConstantLoad(3000)
    assert gained(SMALL_HOURS, load=constant) == gained(EVENING, load=constant)
    # the default daily curve is what made the old test depend on the time of day
    assert gained(EVENING) > 2 * gained(SMALL_HOURS)


@pytest.mark.parametrize(("start", "register"), [(SMALL_HOURS, "HC"), (EVENING, "HP")])
def test_profile_energy_goes_to_the_register_of_the_simulated_hour(
    start: datetime, register: str
) -> None:
    model = MeterModel(PROFILES["historic-tri"], start=start, load=ConstantLoad(1000))
    before = dict(model.registers)
    model.advance(start + timedelta(hours=1))
    gained = {key: model.registers[key] - value for key, value in before.items()}
    assert gained[register] == pytest.approx(920)
    assert sum(gained.values()) == pytest.approx(920)


def test_daily_curve_is_a_pure_function_of_simulated_time() -> None:
    curve = DailyCurve((0.3, 1.2, 2.1))
    day = [SMALL_HOURS + timedelta(seconds=97 * k) for k in range(86_400 // 97)]
    forward = [curve(t) for t in day]
    assert [curve(t) for t in reversed(day)][::-1] == forward  # no hidden state
    assert [DailyCurve((0.3, 1.2, 2.1))(t) for t in day] == forward  # same phases, same VA
    assert curve(EVENING) == curve(EVENING.astimezone(UTC))  # an instant, whatever its zone
    assert all(MIN_VA <= va <= MAX_VA for va in forward)
    assert len({round(va) for va in forward}) > 500  # and it does vary
    # a day has a shape: evenings draw far more than the small hours
    assert curve.mean_va(EVENING.replace(minute=30)) > 3 * curve.mean_va(SMALL_HOURS)


def test_model_default_load_is_the_seeded_daily_curve() -> None:
    one = MeterModel(PROFILES["standard-mono"], seed=1)
    assert isinstance(one.load, DailyCurve)
    assert one.load == MeterModel(PROFILES["standard-mono"], seed=1).load
    assert one.load != MeterModel(PROFILES["standard-mono"], seed=2).load
    assert one.consumption_va(EVENING) == one.load(EVENING)
    fixed = MeterModel(PROFILES["standard-mono"], load=ConstantLoad(1234))
    assert fixed.consumption_va(SMALL_HOURS) == fixed.consumption_va(EVENING) == 1234


def test_producer_with_a_constant_load_injects_by_the_simulated_sun() -> None:
    model = MeterModel(PROFILES["standard-producer"], load=ConstantLoad(500))
    assert model.net_va(SMALL_HOURS) == 500  # night: no sun, the load only
    assert model.net_va(SUMMER_NOON) < 0  # noon: injecting
    silent = MeterModel(PROFILES["standard-producer"], production=ConstantLoad(0))
    assert silent.production_w(SUMMER_NOON) == 0


def test_constant_load_rejects_nonsense() -> None:
    for va in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="load"):
            ConstantLoad(va)


def test_simulated_clock_never_reads_the_wall_clock() -> None:
    mono = [1000.0]
    clock = SimulatedClock(datetime(2026, 3, 2, 3, 2, 30), rate=2.0, monotonic=lambda: mono[0])
    assert clock() == SMALL_HOURS  # a naive start is Paris time
    mono[0] += 30
    assert clock() == SMALL_HOURS + timedelta(seconds=60)
    assert SimulatedClock(EVENING)() - EVENING < timedelta(seconds=5)  # real-time rate
    with pytest.raises(ValueError, match="rate"):
        SimulatedClock(EVENING, rate=-1)


def test_simulator_passes_its_load_and_clock_to_the_model() -> None:
    sim = TicSimulator(
        "historic-mono-base", clock=SimulatedClock(EVENING, rate=0), load=ConstantLoad(2000)
    )
    [frame] = TicParser(sim.mode).feed(sim.next_emission().data)
    assert data(frame, "PAPP") == "02000"
    sim.trigger_overrun(5)
    assert sim.model.overrun_until == EVENING + timedelta(seconds=5)


# -- faults ---------------------------------------------------------------------------


def test_bad_checksum_rate() -> None:
    sim, _ = make("standard-mono", faults=Faults(bad_checksum_rate=0.25))
    parser = TicParser(sim.mode)
    for _ in range(10):
        parser.feed(sim.next_emission().data)
    assert 0 < sim.stats.corrupted_groups < sim.stats.groups
    assert parser.stats.groups_bad_checksum == sim.stats.corrupted_groups
    assert parser.stats.groups_ok == sim.stats.groups - sim.stats.corrupted_groups


def test_eot_rate_aborts_frames() -> None:
    sim, _ = make("historic-mono-base", faults=Faults(eot_rate=1.0))
    parser = TicParser(sim.mode)
    for _ in range(10):
        emission = sim.next_emission()
        assert emission.eot
        assert emission.data.endswith(b"\x04")
        assert b"\x03" not in emission.data
        assert parser.feed(emission.data) == []
    assert parser.stats.eot == sim.stats.eot_frames == 10


def test_garbage_between_frames() -> None:
    sim, _ = make("historic-tri", faults=Faults(garbage_rate=1.0))
    parser = TicParser(sim.mode)
    frames = 0
    for _ in range(20):
        emission = sim.next_emission()
        assert emission.garbage
        assert max(emission.garbage) >= 0x80
        assert emission.data.endswith(emission.garbage)
        frames += len(parser.feed(emission.data))
    assert frames >= 19  # every real frame survives (the last one may await its STX)
    assert sim.stats.garbage_bursts == 20
    assert parser.stats.garbage_bytes > 0


def test_counter_glitch_keeps_a_valid_checksum() -> None:
    glitched, clock = make("standard-mono", seed=5)
    reference, _ = make("standard-mono", seed=5)
    ref_frames = frames_of(reference, Clock(QUIET), 1)
    glitched.glitch_next_counter(jump=True)
    frames = frames_of(glitched, clock, 1)  # asserts zero bad checksum
    diff = {k for k in ref_frames[0].groups if data(ref_frames[0], k) != data(frames[0], k)}
    assert len(diff) == 1
    [label] = diff
    assert is_counter(label)
    assert int(data(frames[0], label)) - int(data(ref_frames[0], label)) == 900_000
    [glitch] = glitched.stats.glitches
    assert (glitch.label, glitch.sent_value - glitch.true_value) == (label, 900_000)
    assert not glitched.faults.counter_glitch  # one-shot
    # next frame is correct again; the following glitch removes 1000 Wh
    assert data(frames_of(glitched, clock, 1)[0], label) == data(ref_frames[0], label)
    apply_fault(glitched, "counter_glitch")
    frames_of(glitched, clock, 1)
    assert glitched.stats.glitches[-1].sent_value - glitched.stats.glitches[-1].true_value == (
        -1000
    )


def test_wrong_speed_emits_at_the_other_baud_rate() -> None:
    sim, _ = make("historic-mono-base", faults=Faults(wrong_speed=True))
    assert sim.tx_baud == 9600
    emission = sim.next_emission()
    assert emission.tx_baud == 9600
    # a 1200 Bd reader (or a TCP client) decodes garbage
    garbage = uart_mismatch(emission.data, 9600, 1200)
    parser = TicParser(TicMode.HISTORIC)
    assert parser.feed(garbage) == []
    assert parser.stats.groups_ok == 0
    sim.faults.wrong_speed = False
    assert sim.tx_baud == 1200


def test_uart_mismatch_model() -> None:
    frame = make("standard-mono")[0].next_emission().data
    assert uart_mismatch(frame, 9600, 9600) is frame
    slow = uart_mismatch(frame, 9600, 1200)
    fast = uart_mismatch(frame, 1200, 9600)
    assert 0 < len(slow) < len(frame) / 4  # a slow UART sees few characters
    assert len(fast) > len(frame)  # a fast one sees many (mostly NUL / framing errors)
    assert fast.count(0) > len(frame)
    assert max(slow + fast) < 0x80  # 7 data bits
    # NUL sent at 1200 Bd, read at 2400 Bd: all samples low, stop bit low -> framing error
    assert uart_mismatch(b"\x00", 1200, 2400) == b"\x00"


def test_build_frame_eot_cut() -> None:
    import random

    frame, corrupted = build_frame([("A", "1", None)], TicMode.HISTORIC, random.Random(0))
    assert (frame, corrupted) == (b"\x02\nA 1 2\r\x03", 0)
    cut, _ = build_frame([("A", "1", None)], TicMode.HISTORIC, random.Random(0), eot=True)
    assert cut.startswith(b"\x02")
    assert cut.endswith(b"\x04")


@pytest.mark.parametrize(
    ("spec", "check"),
    [
        ("bad_checksum_rate=0.5", lambda s: s.faults.bad_checksum_rate == 0.5),
        ("eot-rate=0.1", lambda s: s.faults.eot_rate == 0.1),
        ("garbage_rate=1", lambda s: s.faults.garbage_rate == 1.0),
        ("wrong_speed", lambda s: s.faults.wrong_speed),
        ("wrong_speed=off", lambda s: not s.faults.wrong_speed),
        ("degraded_clock", lambda s: s.faults.degraded_clock),
        ("counter_glitch", lambda s: s.faults.counter_glitch),
        ("pause", lambda s: s.paused),
        ("overrun=10", lambda s: s.model.overrun_until is not None),
    ],
)
def test_apply_fault(spec: str, check: Callable[[TicSimulator], bool]) -> None:
    sim, _ = make("standard-mono")
    apply_fault(sim, spec)
    assert check(sim)


@pytest.mark.parametrize("spec", ["bad_checksum_rate=2", "nope", "eot_rate=x"])
def test_apply_fault_rejects(spec: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        apply_fault(make("standard-mono")[0], spec)


def test_handle_command() -> None:
    sim, _ = make("standard-mono")
    assert handle_command(sim, "  ") is None
    assert handle_command(sim, "pause") == "ok"
    assert sim.paused
    assert handle_command(sim, "resume") == "ok"
    assert not sim.paused
    assert handle_command(sim, "glitch") == "ok"
    assert sim.faults.counter_glitch
    assert handle_command(sim, "set garbage_rate 0.5") == "ok"
    assert sim.faults.garbage_rate == 0.5
    assert handle_command(sim, "overrun 5") == "ok"
    assert "frames" in (handle_command(sim, "stats") or "")
    assert (handle_command(sim, "explode") or "").startswith("error")


# -- running: pacing, pause, TCP, pty, CLI --------------------------------------------


class Collect:
    def __init__(self) -> None:
        self.data = bytearray()

    async def send(self, data: bytes) -> None:
        self.data += data

    def receiver_baudrate(self) -> int | None:
        return None


@contextlib.asynccontextmanager
async def running(sim: TicSimulator, sink: object) -> AsyncIterator[None]:
    task = asyncio.create_task(sim.run(sink))  # type: ignore[arg-type]
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _paced(profile: str, frames: int, speed_factor: float) -> tuple[bytes, float]:
    """
    Run the simulator on a virtual clock: its sleeps advance the clock instead of waiting.

    Returns the bytes sent and the virtual time they took: pacing is checked exactly,
    whatever the machine's speed.
    """
    sink = Collect()
    sim, _ = make(profile, speed_factor=speed_factor)
    now = [0.0]
    real_sleep = asyncio.sleep

    async def virtual_sleep(delay: float) -> None:
        now[0] += max(delay, 0.0)
        await real_sleep(0)

    loop = SimpleNamespace(time=lambda: now[0])
    paced = SimpleNamespace(  # the simulator's view of asyncio
        sleep=virtual_sleep, get_running_loop=lambda: loop, StreamWriter=asyncio.StreamWriter
    )
    with patch("simulators.tic.asyncio", paced):
        async with running(sim, sink):
            while sink.data.count(b"\x03") < frames:
                await real_sleep(0)
            elapsed = now[0]
    return bytes(sink.data[: sink.data.rindex(b"\x03") + 1]), elapsed


async def test_run_paces_at_line_speed() -> None:
    """Bytes leave at the line rate (1200 Bd = 120 B/s, x10 here), frames parse cleanly."""
    data, elapsed = await _paced("historic-mono-tempo", frames=5, speed_factor=10)
    parser = TicParser(TicMode.HISTORIC)
    assert len(parser.feed(data)) >= 4
    assert parser.stats.groups_bad_checksum == 0
    rate = len(data) / elapsed
    assert 0.95 * 1200 <= rate <= 1200 * 1.0001  # the 3 ms gaps between frames cost the rest


async def test_run_standard_frame_period() -> None:
    """Standard frames are paced one per second (x10 here), whatever their length."""
    data, elapsed = await _paced("standard-mono", frames=6, speed_factor=10)
    per_frame = elapsed / data.count(b"\x03")
    assert 0.095 <= per_frame <= 0.1 + 1e-9


async def test_pause_is_silence() -> None:
    sink = Collect()
    sim, _ = make("historic-mono-base", speed_factor=20)
    async with running(sim, sink):
        await asyncio.sleep(0.15)
        sim.pause()
        await asyncio.sleep(0.05)
        paused_at = len(sink.data)
        await asyncio.sleep(0.2)
        assert len(sink.data) == paused_at
        sim.resume()
        await asyncio.sleep(0.15)
    assert len(sink.data) > paused_at


async def test_tcp_server_serves_every_client() -> None:
    sim, _ = make("standard-mono", speed_factor=10)
    async with TcpMeterServer(sim) as server:
        assert server.url == f"socket://127.0.0.1:{server.port}"
        clients = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(2)]
        try:
            for reader, _ in clients:
                parser = TicParser(TicMode.STANDARD)
                async with asyncio.timeout(2):
                    while not parser.feed(await reader.read(4096)):
                        pass
                assert parser.stats.groups_bad_checksum == 0
            server.disconnect_clients()
            for reader, _ in clients:
                async with asyncio.timeout(2):
                    while await reader.read(4096):
                        pass
        finally:
            for _, writer in clients:
                writer.close()


async def test_pty_with_serial_link(tmp_path: Path) -> None:
    assert shutil.which("socat"), "socat must be installed in the test environment"
    sim, _ = make("historic-mono-base", speed_factor=20)
    async with SocatPty(tmp_path / "linky") as pty:
        pty.set_speed(sim.tx_baud)
        async with running(sim, pty):
            for baud, expect_frames in ((1200, True), (9600, False)):
                parser = TicParser(TicMode.HISTORIC)
                async with await open_serial(str(pty.path), SerialSettings(baud)) as link:
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(0.6):
                            while not parser.feed(await link.read()):
                                pass
                assert bool(parser.stats.frames) is expect_frames
                assert parser.stats.groups_bad_checksum == 0
    assert not pty.path.exists()
    assert not pty.sim_path.exists()
    assert pty.proc is not None
    assert pty.proc.returncode is not None


async def test_pty_rejects_bad_path() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        SocatPty("/tmp/a,b")


async def test_serve_cli_tcp_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    args = parse_args(["--profile", "historic-mono-base", "--tcp", "127.0.0.1:0",
                       "--speed-factor", "20", "--fault", "garbage_rate=0.5",
                       "--load-va", "3000", "--start", "2026-03-02T03:02:30"])  # fmt: skip
    assert (args.load_va, args.start) == (3000.0, SMALL_HOURS.replace(tzinfo=None))
    stop = asyncio.Event()
    task = asyncio.create_task(serve(args, stop))
    try:
        async with asyncio.timeout(3):
            while "listening on" not in (out := capsys.readouterr().out):
                await asyncio.sleep(0.01)
        url = out.split("listening on ")[1].strip()
        async with await open_serial(url, SerialSettings(1200)) as link:
            parser = TicParser(TicMode.HISTORIC)
            async with asyncio.timeout(2):
                while not (frames := parser.feed(await link.read())):
                    pass
        assert data(frames[0], "PAPP") == "03000"  # --load-va, at 03:02 simulated
    finally:
        stop.set()
        await task


async def test_serve_cli_pty_in_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "tty"
    args = parse_args(["--profile", "standard-tempo", "--pty", str(path), "--speed-factor", "10",
                       "--start", "2026-01-14T23:03:05+01:00"])  # fmt: skip
    stop = asyncio.Event()
    task = asyncio.create_task(serve(args, stop))
    try:
        async with asyncio.timeout(3):
            while "writing to" not in capsys.readouterr().out:
                await asyncio.sleep(0.01)
        async with await open_serial(str(path), SerialSettings(9600)) as link:
            parser = TicParser(TicMode.STANDARD)
            async with asyncio.timeout(2):
                while not (frames := parser.feed(await link.read())):
                    pass
        date = frames[0].get("DATE")
        assert date is not None and date.horodate is not None
        assert date.horodate.when - WINTER_NIGHT < timedelta(seconds=30)  # --start, not now
    finally:
        stop.set()
        await task
    assert not path.exists()


def test_parse_args_errors() -> None:
    with pytest.raises(SystemExit):
        parse_args(["--tcp", "127.0.0.1:0", "--speed-factor", "0"])
    with pytest.raises(SystemExit):
        parse_args(["--tcp", "127.0.0.1:0", "--fault", "nope"])
    with pytest.raises(SystemExit):
        parse_args(["--profile", "standard-mono"])  # --tcp or --pty required
    with pytest.raises(SystemExit):
        parse_args(["--tcp", "127.0.0.1:0", "--load-va", "-5"])
    with pytest.raises(SystemExit):
        parse_args(["--tcp", "127.0.0.1:0", "--start", "tonight"])


async def test_cli_subprocess(tmp_path: Path) -> None:
    """``python -m simulators.tic`` runs, answers signals and exits cleanly."""
    path = tmp_path / "linky"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "simulators.tic", "--profile", "historic-tri", "--pty", str(path),
        "--speed-factor", "20", "--load-va", "3000", "--start", "2026-03-02T03:02:30",
        stdout=asyncio.subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[1],
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        async with asyncio.timeout(4):
            line = await proc.stdout.readline()
        assert b"historic-tri: open" in line
        async with await open_serial(str(path), SerialSettings(1200)) as link:
            parser = TicParser(TicMode.HISTORIC)
            async with asyncio.timeout(2):
                while not parser.feed(await link.read()):
                    pass
        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(3):
            assert await proc.wait() == 0
        assert not path.exists()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_run_over_a_stream_writer() -> None:
    sim, _ = make("historic-mono-base", speed_factor=20)
    tasks: list[asyncio.Task[None]] = []
    server_writers: list[asyncio.StreamWriter] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        server_writers.append(writer)
        tasks.append(asyncio.create_task(sim.run(writer)))

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.sockets[0].getsockname()[1])
    try:
        parser = TicParser(TicMode.HISTORIC)
        async with asyncio.timeout(2):
            while not parser.feed(await reader.read(4096)):
                pass
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for each in [writer, *server_writers]:
            each.close()
        server.close()
        await server.wait_closed()


async def test_broadcast_drops_closed_clients() -> None:
    from simulators.tic_transport import BroadcastSink

    class Transport:
        def __init__(self, closing: bool) -> None:
            self.closing = closing

        def is_closing(self) -> bool:
            return self.closing

        def get_write_buffer_size(self) -> int:
            return 0

    class Writer:
        def __init__(self, closing: bool) -> None:
            self.transport = Transport(closing)
            self.sent = b""
            self.closed = False

        def write(self, data: bytes) -> None:
            self.sent += data

        def close(self) -> None:
            self.closed = True

    sink = BroadcastSink()
    live, dead = Writer(closing=False), Writer(closing=True)
    sink.clients |= {live, dead}  # type: ignore[arg-type]
    await sink.send(b"abc")
    assert sink.receiver_baudrate() is None
    assert (live.sent, dead.sent, dead.closed) == (b"abc", b"", True)
    assert sink.clients == {live}


def test_glitch_needs_a_counter() -> None:
    import random

    from simulators.tic import glitch_groups

    groups = [("ADCO", "021861348497", None), ("PAPP", "01230", None), ("BASE", "000000999", None)]
    assert glitch_groups(groups, random.Random(0), jump=True) is None


def test_model_start_time_anchors_integration() -> None:
    from simulators.tic_model import MeterModel

    model = MeterModel(PROFILES["historic-mono-base"], start=QUIET - timedelta(hours=1))
    before = model.registers["BASE"]
    model.advance(QUIET)
    assert 180 < model.registers["BASE"] - before < 2800
    model.advance(QUIET - timedelta(hours=2))  # the clock going back never decreases energy
    assert model.registers["BASE"] > before


async def test_commands_from_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from simulators import oracle, tic

    read_fd, write_fd = os.pipe()
    with os.fdopen(read_fd, "rb", buffering=0) as stdin:
        monkeypatch.setattr(oracle.sys, "stdin", stdin)
        sim = TicSimulator("standard-mono")
        os.write(write_fd, b"pause\nset eot_rate 0.5\n\n")
        os.close(write_fd)
        async with asyncio.timeout(2):
            await tic._commands(sim)
    assert sim.paused
    assert sim.faults.eot_rate == 0.5


async def test_commands_without_usable_stdin(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from simulators import oracle, tic

    regular = tmp_path / "stdin.txt"
    regular.write_text("pause\n")
    with regular.open("rb") as stdin:
        monkeypatch.setattr(oracle.sys, "stdin", stdin)
        sim = TicSimulator("standard-mono")
        await tic._commands(sim)  # a regular file cannot be watched: ignored
    assert not sim.paused


async def test_pty_drops_bytes_nobody_reads(tmp_path: Path) -> None:
    import array
    import fcntl
    import termios

    async with SocatPty(tmp_path / "tty") as pty:
        await pty.send(b"x" * 3000)

        def pending() -> int:
            backlog = array.array("i", [0])
            fcntl.ioctl(pty._peer, termios.FIONREAD, backlog)  # type: ignore[arg-type]
            return backlog[0]

        async with asyncio.timeout(2):
            while pending() < 3000:
                await asyncio.sleep(0.01)
        assert pty.receiver_baudrate() is not None  # first check: note the backlog
        pty._checked = 0.0
        pty.receiver_baudrate()  # second check: still unread -> lost, like a real line
        assert pending() < 3000


async def test_pty_socat_failure(tmp_path: Path) -> None:
    pty = SocatPty(tmp_path / "missing-dir" / "tty")
    with pytest.raises(RuntimeError, match="socat exited"):
        await pty.start()
    await pty.stop()
