"""Faults through the real peers: time to unavailable, time to recovery, counters kept.

Every fault is provoked on a real peer, read by the integration's real coordinators inside
a test Home Assistant (``async_test_home_assistant``, as in bench_linky_ha.py); nothing of
the integration is patched. For each fault it measures, from the states Home Assistant
wrote (``state_changed`` events, monotonic clock):

* **time to unavailable**: from the fault to the probe entity's ``unavailable`` state;
* **time to recovery**: from the fault's end to the probe entity available again with a
  value read after the fault (and, separately, to the energy/volume counter showing a
  value above the one it had before the fault: counters wait one confirming reading in the
  counter guard and are written at most every 30 s by the default update policy);
* **counters**: every state written for every energy/volume counter during the fault's
  window: any decrease, any increase faster than the simulated consumption allows, and for
  the Linky EAST any value ahead of what the simulator had sent by then.

Peers and faults:

1. Linky (``simulators.tic``, standard mode, 9600 Bd, constant 3000 VA) on a socat pty:
   socat killed (SIGKILL: the pty and its link disappear), restarted after ``--down`` s on
   the same link path;
2. same pty, the simulator's ``wrong_speed`` fault (the meter sends at 1200 Bd while the
   reader listens at 9600 Bd: the pty delivers what a UART would decode, garbage), then back;
3. Linky over TCP (``TcpMeterServer``, ser2net-like): the server stops listening and drops
   its clients, and listens again on the same port after ``--down`` s;
4. the real ``wmbusmeters`` on a ``stdin:hex`` receiver, one iPerl water meter whose
   telegram is fed every ``--telegram-interval`` s: the child process SIGKILLed, SIGSTOPped,
   and missing at setup (the binary's path renamed: ConfigEntryNotReady; named again after
   ``--down`` s; Home Assistant's own setup retry brings the entry back);
5. the fake FRITZ!Box (``simulators.fritzbox``, real clock, default PBKDF2 iterations):
   rebooted (sessions gone, offline for ``--box-down`` s), session expired (every SID
   invalidated on the box), password changed (plus the session ended, so the next poll has
   to log in): time to the reauth flow appearing, then the flow answered with the new
   password;
6. each entry reloaded mid-stream, a stand-in for a Home Assistant restart (the guards and
   the last wM-Bus telegram go through the same ``Store`` save and load; entity state
   restore and the recorder are not exercised): the first counter written after the reload
   must not be below the last one before it.

Timings are the kinds' defaults (Linky backoff 1-2-5-10-30-60 s and stale after two frame
periods, wmbusmeters restart backoff and 2 s hang check, HA's setup retry 5-10-20... s),
except the FRITZ!Box poll interval: its option is set to ``--fritz-poll`` s (default 30;
the kind's default is 120 s, which would make each box fault take up to 4-5 minutes; every
box time below scales with the poll interval).

Run: ``scripts/run 'python benchmarks/bench_faults.py [--down 10] [--box-down 30]'``.
Needs socat and wmbusmeters on PATH (``scripts/run`` has both). About 10 minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import datetime
import itertools
import logging
import os
from pathlib import Path
import random
import shutil
import signal
import socket
import sys
import tempfile
import time
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from homeassistant import loader  # noqa: E402
from homeassistant.config_entries import (  # noqa: E402
    SOURCE_REAUTH,
    ConfigEntryState,
    ConfigSubentryData,
)
from homeassistant.const import EVENT_STATE_CHANGED  # noqa: E402
from homeassistant.core import Event, HomeAssistant, callback  # noqa: E402
from homeassistant.helpers import (  # noqa: E402
    entity_registry as er,
    frame,
    issue_registry as ir,
)
from pytest_homeassistant_custom_component.common import (  # noqa: E402
    MockConfigEntry,
    async_test_home_assistant,
)

import custom_components.energy_meters  # noqa: E402, F401 - before HA mounts its test config
from custom_components.energy_meters.protocol.tic.horodate import PARIS  # noqa: E402
from simulators.fritzbox import FakeFritzBox, FakeFritzBoxServer  # noqa: E402
from simulators.tic import SimulatedClock, TicSimulator  # noqa: E402
from simulators.tic_model import PROFILES, ConstantLoad  # noqa: E402
from simulators.tic_transport import SocatPty, TcpMeterServer  # noqa: E402
from simulators.wmbus import iperl_telegram  # noqa: E402

DOMAIN = "energy_meters"
UNAVAILABLE = "unavailable"
UNKNOWN = "unknown"
NIGHT = datetime(2026, 3, 2, 3, 2, 30, tzinfo=PARIS)  # as tests/test_linky_with_simulator.py
LOAD_VA = 3000.0
PROFILE = PROFILES["standard-mono"]
WATER_ID = "33225544"
LITRES_PER_TELEGRAM = 7
PLUG = "116570067315"  # the fake box's washing machine
BOX_USER, BOX_PASSWORD, BOX_NEW_PASSWORD = "bench", "bench-pw-1", "bench-pw-2"
WAIT = 120.0  # upper bound of every wait (a fault that did not recover by then: a bug)
OUR_LOGGERS = (
    "custom_components.energy_meters",
    "homeassistant.config_entries",
    "homeassistant.helpers.frame",  # report_usage: what HA says about how we use its API
)


def mono() -> float:
    return time.monotonic()


def number(state: str | None) -> float | None:
    try:
        return float(state) if state is not None else None
    except ValueError:
        return None


def is_value(state: str | None) -> bool:
    return state not in (None, UNAVAILABLE, UNKNOWN)


def process_gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists()


def is_unavailable(state: str | None) -> bool:
    return state == UNAVAILABLE


# ---- what Home Assistant wrote, and what our loggers said ----------------------------


@dataclass(slots=True)
class Written:
    at: float
    state: str | None
    unit: str | None


class StateLog:
    """Every state written, per entity, with the monotonic time it was written."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.by_entity: dict[str, list[Written]] = {}
        self.counters: set[str] = set()
        hass.bus.async_listen(EVENT_STATE_CHANGED, self._on_change)

    @callback
    def _on_change(self, event: Event[Any]) -> None:
        new = event.data["new_state"]
        entity_id = event.data["entity_id"]
        unit = new.attributes.get("unit_of_measurement") if new is not None else None
        if new is not None and (
            new.attributes.get("state_class") in ("total", "total_increasing")
            and new.attributes.get("device_class") in ("energy", "water", "gas")
        ):
            self.counters.add(entity_id)
        self.by_entity.setdefault(entity_id, []).append(
            Written(mono(), None if new is None else new.state, unit)
        )

    def first(self, entity_id: str, cond: Any, after: float) -> float | None:
        for written in self.by_entity.get(entity_id, ()):
            if written.at >= after and cond(written.state):
                return written.at
        return None

    async def wait(
        self, entity_id: str, cond: Any, after: float, limit: float = WAIT
    ) -> float | None:
        """Monotonic time of the first state after ``after`` meeting ``cond`` (None: never)."""
        deadline = mono() + limit
        while True:
            if (found := self.first(entity_id, cond, after)) is not None or mono() > deadline:
                return found
            await asyncio.sleep(0.02)

    def written(self, entity_id: str, start: float, end: float) -> list[Written]:
        return [w for w in self.by_entity.get(entity_id, ()) if start <= w.at <= end]

    def last_number(self, entity_id: str) -> float | None:
        for written in reversed(self.by_entity.get(entity_id, ())):
            if (value := number(written.state)) is not None:
                return value
        return None


class LogLines(logging.Handler):
    """Our loggers' lines, with their monotonic time."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[tuple[float, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):
            self.lines.append((mono(), record.levelno, f"{record.levelname} {record.getMessage()}"))

    def between(self, start: float, end: float, level: int = logging.INFO) -> list[str]:
        """Lines in [start - 0.5 s, end], times relative to ``start`` (the fault)."""
        return [
            f"{at - start:+7.2f}s {text}"
            for at, lvl, text in self.lines
            if start - 0.5 <= at <= end and lvl >= level
        ]


async def until(predicate: Any, limit: float = WAIT) -> float | None:
    """Monotonic time when ``predicate()`` first held (polled every 20 ms), None if never."""
    deadline = mono() + limit
    while not predicate():
        if mono() > deadline:
            return None
        await asyncio.sleep(0.02)
    return mono()


async def sleep_until(at: float) -> None:
    await asyncio.sleep(max(0.0, at - mono()))


# ---- the table --------------------------------------------------------------------------


@dataclass
class Row:
    fault: str
    to_unavailable: str
    to_recovery: str
    notes: list[str] = field(default_factory=list)
    recovered: bool = True
    window: tuple[float, float] = (0.0, 0.0)
    counters: list[str] = field(default_factory=list)
    """Counter entities checked in this row's window."""
    logs: list[str] = field(default_factory=list)


def secs(start: float | None, end: float | None) -> str:
    if start is None or end is None:
        return "never"
    return f"{end - start:.2f} s"


@dataclass
class CounterRule:
    """Fastest plausible rise of a counter (base unit per second) and a tolerance."""

    rate: float
    tolerance: float
    to_base: dict[str, float]
    truth: list[tuple[float, float]] | None = None
    """(monotonic time, true value in base units) as the simulator sent it."""


def check_counter(
    log: StateLog, entity_id: str, rule: CounterRule, start: float, end: float
) -> list[str]:
    """
    Decreases and jumps among the numeric states written in [start, end].

    A rise from ``a`` to ``b`` is compared with the time since the write *before* ``a``:
    ``a`` was read at some point after it (after an outage the first value written is the
    one accepted before the outage, the guard waiting for a confirmation of the new one,
    and the catch-up that follows is not a jump). The EAST is also checked against what the
    simulator had sent by then (never ahead of the meter).
    """
    numeric: list[tuple[float, float, float, str]] = []  # time, value, resolution, state
    for written in log.by_entity.get(entity_id, ()):
        value = number(written.state)
        if value is None or written.at > end:
            continue
        assert written.state is not None
        scale = rule.to_base.get(written.unit or "", 1.0)
        decimals = len(written.state.partition(".")[2])
        if numeric and numeric[-1][3] == written.state:
            continue  # the same value written again (after an outage): it dates from before
        numeric.append((written.at, value * scale, scale * 10.0**-decimals, written.state))
    problems = []
    previous_write = dict(itertools.pairwise(w[0] for w in numeric))
    for (t_a, a, res_a, text_a), (t_b, b, res_b, text_b) in itertools.pairwise(numeric):
        if t_b < start:
            continue
        # `a` was read after the write before it: rise allowed since then
        since = next((t for t, nxt in previous_write.items() if nxt == t_a), t_a)
        if b < a - 1e-9:
            problems.append(
                f"{entity_id} went backwards {text_a} -> {text_b} at +{t_b - start:.1f}s"
            )
        elif b - a > rule.rate * (t_b - since) + rule.tolerance + res_a + res_b:
            history = ", ".join(
                f"{w.state}@{w.at - start:+.1f}s"
                for w in log.by_entity[entity_id]
                if t_a - 40 <= w.at <= t_b + 1
            )
            problems.append(
                f"{entity_id} jumped {text_a} -> {text_b} in {t_b - t_a:.1f} s "
                f"at +{t_b - start:.1f}s (states written: {history})"
            )
    if rule.truth:
        for t_b, b, _res, _text in numeric:
            if t_b < start:
                continue
            sent = [v for t, v in rule.truth if t <= t_b]
            if sent and b > max(sent) + 1e-9:
                problems.append(f"{entity_id} {b:g} ahead of the meter ({max(sent):g})")
    return problems


# ---- the bench ------------------------------------------------------------------------------


class Bench:
    def __init__(self, hass: HomeAssistant, args: argparse.Namespace, tmp: Path) -> None:
        self.hass = hass
        self.args = args
        self.tmp = tmp
        self.log = StateLog(hass)
        self.lines = LogLines()
        self.rows: list[Row] = []
        self.rules: dict[str, CounterRule] = {}
        self.checked = 0
        self.registry = er.async_get(hass)

    def entity(self, platform: str, unique_id: str) -> str:
        entity_id = self.registry.async_get_entity_id(platform, DOMAIN, unique_id)
        if entity_id is None:
            raise RuntimeError(f"no {platform} entity with unique ID {unique_id}")
        return entity_id

    def row(self, fault: str, t0: float, t_unav: float | None, t_end: float,
            t_back: float | None, *notes: str, counters: tuple[str, ...] = ()) -> Row:  # fmt: skip
        row = Row(
            fault,
            secs(t0, t_unav),
            secs(t_end, t_back),
            [n for n in notes if n],
            recovered=t_back is not None,
            window=(t0, mono()),
            counters=list(counters),
        )
        row.logs = self.lines.between(t0, mono())
        self.rows.append(row)
        print(f"  {fault}: unavailable {row.to_unavailable}, recovery {row.to_recovery}; "
              + "; ".join(row.notes), flush=True)  # fmt: skip
        return row

    async def setup(self, entry: MockConfigEntry) -> None:
        entry.add_to_hass(self.hass)
        if not await self.hass.config_entries.async_setup(entry.entry_id):
            raise RuntimeError(f"{entry.title}: setup failed ({entry.state})")
        await self.hass.async_block_till_done()

    async def reload(self, entry: MockConfigEntry, probe: str, counter: str, name: str) -> None:
        """Fault 6: the entry reloaded mid-stream; the counter must not go below its last."""
        before = self.log.last_number(counter)
        t0 = mono()
        reload = asyncio.create_task(self.hass.config_entries.async_reload(entry.entry_id))
        t_unav = await self.log.wait(probe, is_unavailable, t0, 30)
        ok = await reload
        t_loaded = mono()
        t_back = await self.log.wait(probe, is_value, t0)
        t_counter = await self.log.wait(counter, is_value, t0)
        first = None
        if t_counter is not None:
            first = next(number(w.state) for w in self.log.by_entity[counter] if w.at == t_counter)
        states = [w.state for w in self.log.written(counter, t0, mono())]
        restored = (
            "counter guard restored: first counter written after the reload "
            f"{first:g} >= last before {before:g}"
            if first is not None and before is not None and first >= before
            else f"counter after reload {first} vs before {before}: NOT restored"
        )
        self.row(
            f"{name}: entry reloaded (HA restart stand-in)",
            t0,
            t_unav,
            t0,
            t_back,
            f"reload returned {ok} after {t_loaded - t0:.1f} s",
            restored,
            "the counter was 'unknown' in between" if UNKNOWN in states else "",
            counters=(counter,),
        )

    # ---- Linky ---------------------------------------------------------------------------

    def linky_entry(self, device: str) -> MockConfigEntry:
        return MockConfigEntry(
            domain=DOMAIN,
            title=f"Linky {PROFILE.serial[-4:]}",
            unique_id=PROFILE.serial,
            data={
                "kind": "linky",
                "device": device,
                "tic_mode": PROFILE.mode.value,
                "serial": PROFILE.serial,
            },
        )

    def linky_simulator(self) -> TicSimulator:
        sim = TicSimulator(PROFILE, clock=SimulatedClock(NIGHT), load=ConstantLoad(LOAD_VA))
        truth: list[tuple[float, float]] = []
        emit = sim.next_emission

        def next_emission(now: datetime | None = None) -> Any:
            emission = emit(now)
            for label, data, _ in emission.groups:
                if label == "EAST" and data.isdigit():
                    truth.append((mono(), float(data)))
            return emission

        sim.next_emission = next_emission  # type: ignore[method-assign]
        sim.truth = truth  # type: ignore[attr-defined]
        return sim

    def linky_rules(self, sim: TicSimulator) -> None:
        rate = 1.2 * LOAD_VA / 3600  # Wh/s; the meter counts at most the apparent power
        for label in ("east", "easf01", "easf02", "easf03", "easf04", "easf05", "easf06"):
            with contextlib.suppress(RuntimeError):
                self.rules[self.entity("sensor", f"{PROFILE.serial}_{label}")] = CounterRule(
                    rate,
                    5.0,
                    {"kWh": 1000.0, "Wh": 1.0},
                    sim.truth if label == "east" else None,  # type: ignore[attr-defined]
                )

    async def warm_up(self, counter: str, probe: str, since: float) -> None:
        """Wait until the counter and the probe show values (the guard confirms first)."""
        if await self.log.wait(counter, is_value, since) is None:
            raise RuntimeError(f"{counter} never got a value")
        if await self.log.wait(probe, is_value, since) is None:
            raise RuntimeError(f"{probe} never got a value")

    async def linky_pty(self) -> None:
        down = self.args.down
        since = mono()
        path = self.tmp / "ttyLINKY"
        sim = self.linky_simulator()
        pty = await SocatPty(path).start()
        pty.set_speed(sim.tx_baud)
        task = asyncio.create_task(sim.run(pty))
        entry = self.linky_entry(str(path))
        await self.setup(entry)
        probe = self.entity("sensor", f"{PROFILE.serial}_sinsts")
        counter = self.entity("sensor", f"{PROFILE.serial}_east")
        self.linky_rules(sim)
        await self.warm_up(counter, probe, since)
        await asyncio.sleep(3)
        coordinator = next(iter(entry.runtime_data.coordinators.values()))
        print(f"Linky on {path} (socat pty), stale after {coordinator.stale_after():.1f} s")

        # 1. probe unplugged: socat killed, its pty and link gone; back after `down` s
        before = self.log.last_number(counter)
        t0 = mono()
        assert pty.proc is not None
        pty.proc.send_signal(signal.SIGKILL)
        await pty.proc.wait()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await pty.stop()  # our own ends closed, the dangling links removed (udev would)
        t_unav = await self.log.wait(probe, is_unavailable, t0, 30)
        await sleep_until(t0 + down)
        pty = await SocatPty(path).start()
        pty.set_speed(sim.tx_baud)
        task = asyncio.create_task(sim.run(pty))
        t_end = mono()
        t_back = await self.log.wait(probe, is_value, t_end)
        t_counter = await self.log.wait(counter, lambda s: (number(s) or 0) > (before or 0), t_end)
        self.row(
            f"Linky pty unplugged {down:g} s (socat killed, restarted)",
            t0,
            t_unav,
            t_end,
            t_back,
            f"counter advanced {secs(t_end, t_counter)} after the replug",
            "recovery waits for the reader's next reopen attempt (backoff 1, 2, 5, 10 s…)",
            counters=tuple(self.rules),
        )
        await asyncio.sleep(5)

        # 2. wrong speed: the meter at 1200 Bd, the reader at 9600 Bd, then right again
        before = self.log.last_number(counter)
        t0 = mono()
        sim.faults.wrong_speed = True
        t_unav = await self.log.wait(probe, is_unavailable, t0, 30)
        last_frame = coordinator.link.last_frame
        silent = (
            f"unavailable {time.time() - (mono() - t_unav) - last_frame.timestamp():.1f} s "
            f"after the last valid frame (the one in flight at the switch; stale after "
            f"{coordinator.stale_after():.1f} s)"
            if t_unav is not None and last_frame is not None
            else ""
        )
        await sleep_until(t0 + down)
        sim.faults.wrong_speed = False
        t_end = mono()
        t_back = await self.log.wait(probe, is_value, t_end)
        t_counter = await self.log.wait(counter, lambda s: (number(s) or 0) > (before or 0), t_end)
        self.row(
            f"Linky fed the wrong speed {down:g} s (1200 Bd into 9600 Bd)",
            t0,
            t_unav,
            t_end,
            t_back,
            silent,
            f"counter advanced {secs(t_end, t_counter)} after (the frame in flight at the "
            "switch back is still sent at 1200 Bd)",
            counters=tuple(self.rules),
        )
        await asyncio.sleep(5)

        # 6. reload mid-stream
        await self.reload(entry, probe, counter, "Linky (pty)")
        await asyncio.sleep(3)
        await self.hass.config_entries.async_remove(entry.entry_id)
        await self.hass.async_block_till_done()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await pty.stop()

    async def linky_tcp(self) -> None:
        down = self.args.down
        since = mono()
        sim = self.linky_simulator()
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server = await TcpMeterServer(sim, "127.0.0.1", port).start()
        entry = self.linky_entry(server.url)
        await self.setup(entry)
        probe = self.entity("sensor", f"{PROFILE.serial}_sinsts")
        counter = self.entity("sensor", f"{PROFILE.serial}_east")
        self.linky_rules(sim)
        await self.warm_up(counter, probe, since)
        await asyncio.sleep(3)
        print(f"Linky on {server.url} (ser2net-like TCP)")
        before = self.log.last_number(counter)
        t0 = mono()
        await server.close()
        t_unav = await self.log.wait(probe, is_unavailable, t0, 30)
        await sleep_until(t0 + down)
        server = await TcpMeterServer(sim, "127.0.0.1", port).start()
        t_end = mono()
        t_back = await self.log.wait(probe, is_value, t_end)
        t_counter = await self.log.wait(counter, lambda s: (number(s) or 0) > (before or 0), t_end)
        self.row(
            f"Linky TCP server restarted ({down:g} s down)",
            t0,
            t_unav,
            t_end,
            t_back,
            "recovery waits for the reader's next reconnect attempt (backoff 1, 2, 5, 10 s…)",
            f"counter advanced {secs(t_end, t_counter)} after",
            counters=tuple(self.rules),
        )
        await asyncio.sleep(2)
        await self.hass.config_entries.async_remove(entry.entry_id)
        await self.hass.async_block_till_done()
        await server.close()

    # ---- wM-Bus ----------------------------------------------------------------------------

    async def wmbus(self) -> None:
        args = self.args
        real = shutil.which("wmbusmeters")
        if real is None:
            print("wmbusmeters is not installed: wM-Bus faults not measured")
            return
        bindir = self.tmp / "bin"
        bindir.mkdir()
        binary = bindir / "wmbusmeters"
        binary.symlink_to(real)
        meter = ConfigSubentryData(
            subentry_type="wmbus_meter",
            title="Cold water",
            unique_id=WATER_ID,
            data={"meter_id": WATER_ID, "driver": "iperl", "key": ""},
        )
        entry = MockConfigEntry(
            domain=DOMAIN,
            title="wM-Bus stdin:hex",
            version=1,
            minor_version=2,
            unique_id="wmbus_stdin:hex",
            data={"kind": "wmbus", "device": "stdin:hex", "binary": str(binary)},
            subentries_data=[meter],
        )
        since = mono()
        await self.setup(entry)
        litres = 123_529
        truth: list[tuple[float, float]] = []
        fed = {"ok": 0, "lost": 0}

        async def feed() -> None:
            nonlocal litres
            while True:
                litres += LITRES_PER_TELEGRAM
                truth.append((mono(), float(litres)))
                hub = getattr(entry, "runtime_data", None)
                try:
                    if entry.state is not ConfigEntryState.LOADED or hub is None:
                        raise ConnectionError("entry not loaded")
                    async with asyncio.timeout(2):
                        await hub.async_feed(iperl_telegram(WATER_ID, litres))
                    fed["ok"] += 1
                except ConnectionError, OSError, TimeoutError, AttributeError:
                    fed["lost"] += 1
                await asyncio.sleep(args.telegram_interval)

        feeder = asyncio.create_task(feed())
        receiver = self.entity("binary_sensor", f"wmbus_receiver_{entry.entry_id}_receiver_running")
        unique_id = f"wmbus_{WATER_ID}_total_m3"  # created with the first telegram
        await until(
            lambda: self.registry.async_get_entity_id("sensor", DOMAIN, unique_id) is not None, 60
        )
        total = self.entity("sensor", unique_id)
        self.rules[total] = CounterRule(
            1.2 * LITRES_PER_TELEGRAM / args.telegram_interval,
            LITRES_PER_TELEGRAM + 0.5,
            {"m³": 1000.0, "L": 1.0},
            truth,
        )
        await self.warm_up(total, receiver, since)
        print(
            f"wM-Bus: {real} on stdin:hex, one telegram every {args.telegram_interval:g} s, "
            f"meter stale after {entry.runtime_data.meters[WATER_ID].stale_after():.0f} s"
        )

        def telegrams() -> int:
            hub = getattr(entry, "runtime_data", None)
            if entry.state is not ConfigEntryState.LOADED or hub is None:
                return -1
            return hub.meters[WATER_ID].data.telegrams

        for sig, label in (
            (signal.SIGKILL, "killed (SIGKILL)"),
            (signal.SIGSTOP, "hung (SIGSTOP)"),
        ):
            await asyncio.sleep(args.telegram_interval * 1.5)
            hub = entry.runtime_data
            assert hub.supervisor.process is not None
            pid = hub.supervisor.process.pid
            restarts = hub.supervisor.restarts
            seen = telegrams()
            before = self.log.last_number(total)
            t0 = mono()
            os.kill(pid, sig)
            t_off = await self.log.wait(receiver, lambda s: s == "off", t0, 30)
            t_on = await self.log.wait(receiver, lambda s: s == "on", t0)
            t_tel = await until(lambda seen=seen: telegrams() > seen)
            t_total = await self.log.wait(
                total, lambda s, before=before: (number(s) or 0) > (before or 0), t0
            )
            meter_down = self.log.first(total, is_unavailable, t0)
            self.row(
                f"wmbusmeters {label}",
                t0,
                t_off,
                t0,
                t_on,
                "unavailable = the receiver's 'running' sensor off; recovery = on again "
                "(from the signal)",
                f"next telegram decoded {secs(t0, t_tel)} after the signal, "
                f"fresh total {secs(t0, t_total)}",
                "the meter's entities stayed available (unavailable after 4 missed intervals, "
                "at least 300 s)"
                if meter_down is None
                else f"the meter went unavailable after {meter_down - t0:.1f} s",
                f"restarts {restarts} -> {hub.supervisor.restarts}, old pid gone: "
                f"{process_gone(pid)}",
                counters=(total,),
            )

        await asyncio.sleep(args.telegram_interval)
        await self.reload(entry, total, total, "wM-Bus")
        t_tel = await until(lambda: telegrams() >= 1)
        self.rows[-1].notes.append(
            "value restored from the last telegram at once; first new telegram decoded "
            f"{secs(self.rows[-1].window[0], t_tel)} after the reload started"
        )

        # missing binary at setup: ConfigEntryNotReady, HA retries, the binary is back
        await asyncio.sleep(args.telegram_interval)
        hidden = binary.with_name("wmbusmeters.renamed")
        binary.rename(hidden)
        t0 = mono()
        reload = asyncio.create_task(self.hass.config_entries.async_reload(entry.entry_id))
        t_unav = await self.log.wait(total, is_unavailable, t0, 30)
        await reload
        t_retry = await until(lambda: entry.state is ConfigEntryState.SETUP_RETRY, 30)
        issue = ir.async_get(self.hass).async_get_issue(
            DOMAIN, f"wmbus_binary_not_found_{entry.entry_id}"
        )
        await sleep_until(t0 + args.down)
        hidden.rename(binary)
        t_end = mono()
        t_loaded = await until(lambda: entry.state is ConfigEntryState.LOADED)
        t_back = await self.log.wait(total, is_value, t_end)
        t_tel = await until(lambda: telegrams() >= 1)
        issue_after = ir.async_get(self.hass).async_get_issue(
            DOMAIN, f"wmbus_binary_not_found_{entry.entry_id}"
        )
        self.row(
            f"wmbusmeters missing at setup ({args.down:g} s, binary renamed)",
            t0,
            t_unav,
            t_end,
            t_back,
            f"setup -> {entry.state if t_retry is None else 'SETUP_RETRY'} "
            f"after {secs(t0, t_retry)} (ConfigEntryNotReady), repair issue "
            f"{'raised' if issue else 'NOT raised'}, "
            f"{'cleared' if issue_after is None else 'still there'} after",
            f"entry loaded {secs(t_end, t_loaded)} after the binary came back "
            "(HA's setup retry: 5 s, then 10, 20, 40, 80 s)",
            f"first new telegram decoded {secs(t_end, t_tel)} after",
            counters=(total,),
        )
        await asyncio.sleep(args.telegram_interval)
        feeder.cancel()
        await asyncio.gather(feeder, return_exceptions=True)
        self.rows[-1].notes.append(f"telegrams fed {fed['ok']}, lost while down {fed['lost']}")
        await self.hass.config_entries.async_remove(entry.entry_id)
        await self.hass.async_block_till_done()

    # ---- FRITZ!Box -------------------------------------------------------------------------

    async def fritzbox(self) -> None:
        args = self.args
        box = FakeFritzBox(username=BOX_USER, password=BOX_PASSWORD)
        server = await FakeFritzBoxServer(box).start()
        plug = box.devices["11657 0067315"]
        rng = random.Random(11)

        async def appliance() -> None:
            """The washing machine's draw changes every 5 s (energy follows it)."""
            while True:
                box.tick()
                plug.power_mw = rng.randint(400_000, 600_000)
                await asyncio.sleep(5)

        load = asyncio.create_task(appliance())
        since = mono()
        entry = MockConfigEntry(
            domain=DOMAIN,
            title="FRITZ!Box 127.0.0.1",
            unique_id=box.serial,
            version=1,
            minor_version=2,
            data={
                "kind": "fritzbox",
                "host": server.url,
                "username": BOX_USER,
                "password": BOX_PASSWORD,
                "verify_ssl": False,
            },
            options={"poll_interval": args.fritz_poll},
        )
        await self.setup(entry)
        probe = self.entity("sensor", f"{PLUG}_power")
        counter = self.entity("sensor", f"{PLUG}_energy")
        self.rules[counter] = CounterRule(1.2 * 600 / 3600, 2.0, {"kWh": 1000.0, "Wh": 1.0})
        await self.warm_up(counter, probe, since)
        print(f"FRITZ!Box at {server.url}, poll interval option {args.fritz_poll:g} s")
        polls: list[tuple[float, bool, int]] = []  # time, success, logins on the box by then

        @callback
        def _polled() -> None:
            hub = getattr(entry, "runtime_data", None)
            if hub is not None:
                polls.append((mono(), hub.poller.last_update_success, box.logins))

        async def random_phase() -> str:
            """Start the fault at a random point of the poll interval (not right after one)."""
            last = polls[-1][0] if polls else mono()
            at = last + rng.uniform(0.1, 0.9) * args.fritz_poll
            await sleep_until(at)
            return f"fault {mono() - last:.1f} s after the last poll"

        def listen() -> None:
            entry.async_on_unload(entry.runtime_data.poller.async_add_listener(_polled))

        listen()

        # reboot: every session gone, no answer for box_down s
        await until(lambda: bool(polls), args.fritz_poll + 30)
        phase = await random_phase()
        before = self.log.last_number(counter)
        logins, stale = box.logins, box.stale_sid_requests
        t0 = mono()
        box.reboot()
        box.offline = True
        t_unav = await self.log.wait(probe, is_unavailable, t0, args.fritz_poll + 30)
        await sleep_until(t0 + args.box_down)
        box.offline = False
        t_end = mono()
        t_back = await self.log.wait(probe, is_value, t_end, args.fritz_poll + 30)
        t_counter = await self.log.wait(
            counter, lambda s: (number(s) or 0) > (before or 0), t_end, 2 * args.fritz_poll + 30
        )
        self.row(
            f"FRITZ!Box rebooted ({args.box_down:g} s offline)",
            t0,
            t_unav,
            t_end,
            t_back,
            phase,
            f"both bounded by the poll interval ({args.fritz_poll:g} s)",
            f"energy advanced {secs(t_end, t_counter)} after",
            f"logins +{box.logins - logins}, stale SIDs sent {box.stale_sid_requests - stale}",
            counters=(counter,),
        )

        # session expired: the box forgets every SID
        await asyncio.sleep(5)
        phase = await random_phase()
        before = self.log.last_number(counter)
        logins, stale = box.logins, box.stale_sid_requests
        t0 = mono()
        box.sessions.clear()
        t_login = await until(lambda: box.logins > logins, args.fritz_poll + 30)
        t_ok = await until(
            lambda: any(t > t0 and ok and n > logins for t, ok, n in polls), args.fritz_poll + 30
        )
        t_ok = next((t for t, ok, n in polls if t > t0 and ok and n > logins), None)
        t_counter = await self.log.wait(
            counter, lambda s: (number(s) or 0) > (before or 0), t0, 2 * args.fritz_poll + 30
        )
        t_unav = self.log.first(probe, is_unavailable, t0)
        self.row(
            "FRITZ!Box session expired (SIDs invalidated)",
            t0,
            t_unav,
            t0,
            t_ok,
            phase,
            "never unavailable; recovery = first successful poll after the fault"
            if t_unav is None
            else "",
            f"re-login {secs(t0, t_login)} after (next poll), energy advanced "
            f"{secs(t0, t_counter)} after",
            f"stale SIDs sent {box.stale_sid_requests - stale} (each ends every session of the IP)",
            counters=(counter,),
        )

        # password changed on the box (and the session ended): reauth
        await asyncio.sleep(5)
        phase = await random_phase()
        logins = box.logins
        t0 = mono()
        box.change_password(BOX_NEW_PASSWORD)
        box.sessions.clear()

        def reauth_flow() -> dict[str, Any] | None:
            for flow in self.hass.config_entries.flow.async_progress_by_handler(DOMAIN):
                if flow["context"].get("source") == SOURCE_REAUTH:
                    return dict(flow)
            return None

        t_flow = await until(lambda: reauth_flow() is not None, args.fritz_poll + 30)
        t_unav = await self.log.wait(probe, is_unavailable, t0, 10)
        notes = [phase, f"reauth flow appeared {secs(t0, t_flow)} after the change (next poll)"]
        t_end = mono()
        t_back = None
        if (flow := reauth_flow()) is not None:
            await asyncio.sleep(2)  # the user types the new password
            t_end = mono()
            result = await self.hass.config_entries.flow.async_configure(
                flow["flow_id"], {"username": BOX_USER, "password": BOX_NEW_PASSWORD}
            )
            notes.append(f"flow answered: {result.get('type')} {result.get('reason', '')}")
            t_back = await self.log.wait(probe, is_value, t_end)
            notes.append("recovery counted from the answer to the reauth form")
        self.row(
            "FRITZ!Box password changed (reauth)",
            t0,
            t_unav,
            t_end,
            t_back,
            *notes,
            f"logins +{box.logins - logins}",
            counters=(counter,),
        )
        listen()
        await asyncio.sleep(5)
        await self.reload(entry, probe, counter, "FRITZ!Box")
        await asyncio.sleep(2)
        await self.hass.config_entries.async_remove(entry.entry_id)
        await self.hass.async_block_till_done()
        load.cancel()
        await asyncio.gather(load, return_exceptions=True)
        await server.close()

    # ---- report ------------------------------------------------------------------------------

    def counter_checks(self) -> None:
        """Check the counters of the rows not checked yet (each phase has its own rules)."""
        for row in self.rows[self.checked :]:
            problems: list[str] = []
            checked = 0
            for entity_id in row.counters:
                rule = self.rules.get(entity_id)
                if rule is None:
                    continue
                checked += len(self.log.written(entity_id, *row.window))
                problems += check_counter(self.log, entity_id, rule, *row.window)
            if problems:
                row.notes += problems
            elif row.counters:
                row.notes.append(
                    f"counters: {checked} states written, none backwards, no jump, "
                    "none ahead of the meter"
                    if any(self.rules.get(e) and self.rules[e].truth for e in row.counters)
                    else f"counters: {checked} states written, none backwards, no jump"
                )
        self.checked = len(self.rows)


def print_table(rows: list[Row], conditions: list[str]) -> None:
    print()
    print("Conditions: " + "; ".join(conditions))
    width = max(len(r.fault) for r in rows)
    header = f"{'fault':<{width}}  {'to unavailable':>14}  {'to recovery':>11}  notes"
    print(header)
    print("-" * len(header))
    for row in rows:
        print(f"{row.fault:<{width}}  {row.to_unavailable:>14}  {row.to_recovery:>11}  "
              + "; ".join(row.notes))  # fmt: skip
    print()
    print("| Fault | Time to unavailable | Time to recovery | Notes |")
    print("|---|---|---|---|")
    for row in rows:
        notes = "; ".join(row.notes).replace("|", "\\|")
        print(f"| {row.fault} | {row.to_unavailable} | {row.to_recovery} | {notes} |")
    failed = [r for r in rows if not r.recovered]
    print()
    if not failed:
        print("Every fault recovered without a restart of Home Assistant.")
    for row in failed:
        print(f"DID NOT RECOVER: {row.fault}")
        for line in row.logs[-40:]:
            print(f"    {line}")
    print()
    print("Log lines (info and above) of our loggers during each fault:")
    for row in rows:
        print(f"  {row.fault}:")
        for line in row.logs[:25]:
            print(f"    {line}")
        if len(row.logs) > 25:
            print(f"    … {len(row.logs) - 25} more")


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="bench_faults_") as tmp:
        async with async_test_home_assistant() as hass:
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
            frame.async_setup(hass)  # as in a real HA: report_usage logs instead of raising
            bench = Bench(hass, args, Path(tmp))
            for name in OUR_LOGGERS:
                logger = logging.getLogger(name)
                logger.addHandler(bench.lines)
                logger.setLevel(logging.DEBUG)
            load_before = os.getloadavg()
            started = mono()
            cpu_before = time.process_time()
            phases = {
                "linky": (bench.linky_pty, bench.linky_tcp),
                "wmbus": (bench.wmbus,),
                "fritzbox": (bench.fritzbox,),
            }
            for kind in args.only or phases:
                for phase in phases[kind]:
                    await phase()
                    bench.counter_checks()
            conditions = [
                f"Python {sys.version.split()[0]}",
                f"{os.cpu_count()} CPUs shared with other jobs "
                f"(load average {load_before[0]:.2f} at start, {os.getloadavg()[0]:.2f} at end)",
                f"run {mono() - started:.0f} s wall, {time.process_time() - cpu_before:.0f} s "
                "CPU in this process (HA, integration, simulators in one event loop; "
                "socat and wmbusmeters are child processes)",
                f"fault length {args.down:g} s (box offline {args.box_down:g} s), "
                f"wM-Bus telegram every {args.telegram_interval:g} s, "
                f"FRITZ!Box poll option {args.fritz_poll:g} s (kind default 120 s), "
                "every other timing the kinds' defaults",
            ]
            print_table(bench.rows, conditions)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--down", type=float, default=10.0, help="seconds each fault lasts")
    parser.add_argument("--box-down", type=float, default=30.0, help="seconds a reboot lasts")
    parser.add_argument("--fritz-poll", type=float, default=30.0, help="poll interval option")
    parser.add_argument("--telegram-interval", type=float, default=10.0)
    parser.add_argument("--only", action="append", choices=("linky", "wmbus", "fritzbox"))
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
