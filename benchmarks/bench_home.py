"""Cost of a typical home in a real Home Assistant: CPU, recorder rows, power freshness.

Starts a real ``hass`` process (``devtools.hass_runner``: a temporary config dir
with ``recorder`` and ``energy``, no frontend, a free port, onboarding with the dev
account) and the simulators of a typical home:

* 1 Linky, standard mode, Tempo (``simulators.tic --profile standard-tempo`` over TCP);
* 1 FRITZ!Box with 10 plugs (``simulators.fritzbox.FakeFritzBox`` served by this
  process: its CLI only serves the demo devices), power drifting like real loads;
* 5 wM-Bus water meters (``simulators.wmbus`` simulation file replayed in real
  time by the real ``wmbusmeters``), one receiver entry and 5 meter subentries;
* 1 optical meter (IEC 62056-21 simulator over TCP) only when an ``optical`` kind
  is registered in ``custom_components/energy_meters/kinds.py`` at run time.

Everything is added through our config flows over REST, with default options.
Two runs of the same length on the same config: one with the entries, one
without (the baseline); the simulators, the websocket subscription and the REST
sampling are the same in both. Measured over each window, after a warm-up:

* CPU time of the ``hass`` process (``/proc/<pid>/stat`` utime+stime, all threads)
  and of its children (wmbusmeters); the integration's share = difference of
  the two runs, as % of one core;
* state rows per meter kind: ``state_changed`` events over the websocket,
  attributed to kinds through the entity registry and our own entry ids, and
  cross-checked against the recorder's SQLite ``states`` table; extrapolated
  per day and compared with writing every value on every frame / telegram /
  poll (the Linky frames are counted by a second TCP client of the simulator);
* the age of the Linky apparent power at random instants: ``last_reported`` and
  ``last_updated`` against now, and how old the meter frame is whose SINSTS
  equals the value Home Assistant shows.

Figures are printed, never asserted, with the machine's load during each run.

Run: ``scripts/run 'python benchmarks/bench_home.py --minutes 10'`` (``--minutes 2``
for a quick check; both runs together take about 2 x (minutes + 3)).
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter, deque
import contextlib
from dataclasses import dataclass, field
from datetime import datetime
import json
import os
from pathlib import Path
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import aiohttp  # noqa: E402

from devtools.hass_runner import (  # noqa: E402
    HassClient,
    HassError,
    prepare_config,
    start_hass,
    stop_process,
)
from simulators.fritzbox import FakeFritzBox, FakeFritzBoxServer, SimDevice  # noqa: E402
from simulators.wmbus import (  # noqa: E402
    DEMO_EPOCH,
    SimulatedWaterMeter,
    simulation_lines,
    write_simulation,
)

COMPONENTS = ("config", "onboarding", "api", "websocket_api", "recorder", "energy")
CLK_TCK = os.sysconf("SC_CLK_TCK")
FRITZ_USER, FRITZ_PASSWORD = "bench", "bench-fritz"
WATER_METERS = (
    SimulatedWaterMeter("33225544", 123_529, 7, 16),
    SimulatedWaterMeter("12345670", 42_000, 3, 20),
    SimulatedWaterMeter("20260011", 8_100, 5, 20),
    SimulatedWaterMeter("20260022", 310_450, 2, 24),
    SimulatedWaterMeter("20260033", 77_777, 4, 30),
)
#: (name, product, power W, drifts): 6 loads that vary, 4 steady ones (standby, off)
PLUGS = (
    ("Fridge", "FRITZ!DECT 200", 85.0, True),
    ("Freezer", "FRITZ!DECT 200", 110.0, True),
    ("Washing machine", "FRITZ!DECT 210", 480.0, True),
    ("Dishwasher", "FRITZ!DECT 200", 1200.0, True),
    ("Desk", "FRITZ!DECT 200", 140.0, True),
    ("Heat pump dryer", "FRITZ!DECT 200", 650.0, True),
    ("TV", "FRITZ!DECT 200", 0.8, False),
    ("Router", "FRITZ!DECT 200", 9.5, False),
    ("Aquarium", "FRITZ!DECT 210", 35.0, False),
    ("Garage", "FRITZ!DECT 200", 0.0, False),
)
KIND_LABELS = {"linky": "Linky", "wmbus": "wM-Bus", "fritzbox": "FRITZ!Box", "optical": "optical"}


def _say(text: str) -> None:
    print(f"[bench_home {time.strftime('%H:%M:%S')}] {text}", flush=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def optical_registered() -> bool:
    """Whether an optical kind is in the registry right now."""
    try:
        from custom_components.energy_meters.kinds import KINDS
    except Exception:  # noqa: BLE001 - a half-written kind elsewhere must not stop us
        return False
    return "optical" in KINDS


# --- /proc ----------------------------------------------------------------------------
def _proc_stat(pid: int) -> tuple[int, float] | None:
    """(ppid, utime+stime seconds) of a process, or None once it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / CLK_TCK


def _children_cpu(root: int) -> dict[int, tuple[str, float]]:
    """CPU seconds of every live descendant of ``root``: pid -> (comm, seconds)."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and (stat := _proc_stat(int(entry.name))) is not None:
            parents[int(entry.name)], cpu[int(entry.name)] = stat
    out: dict[int, tuple[str, float]] = {}
    for pid, seconds in cpu.items():
        ancestor = parents.get(pid)
        while ancestor not in (None, 0, 1):
            if ancestor == root:
                try:
                    comm = Path(f"/proc/{pid}/comm").read_text().strip()
                except OSError:
                    comm = "?"
                out[pid] = (comm, seconds)
                break
            ancestor = parents.get(ancestor)  # type: ignore[arg-type]
    return out


def _loadavg() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def _spawn(command: list[str]) -> subprocess.Popen[bytes]:
    """Start a simulator of ours (its own session, quiet)."""
    return subprocess.Popen(
        command,
        cwd=REPO,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def _all_cpu() -> dict[int, tuple[str, float]]:
    """CPU seconds of every process: pid -> (comm, seconds)."""
    out: dict[int, tuple[str, float]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and (stat := _proc_stat(int(entry.name))) is not None:
            try:
                comm = Path(f"/proc/{entry.name}/comm").read_text().strip()
            except OSError:
                continue
            out[int(entry.name)] = (comm, stat[1])
    return out


def _top_processes(
    before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]], window: float
) -> str:
    """The busiest processes of the machine over the window, % of one core."""
    used = sorted(
        ((cpu - before.get(pid, (comm, 0.0))[1], comm, pid) for pid, (comm, cpu) in after.items()),
        reverse=True,
    )
    return ", ".join(f"{comm}[{pid}] {100 * cpu / window:.0f}%" for cpu, comm, pid in used[:6])


# --- Linky tap: a second TCP client of the simulator ----------------------------------
@dataclass
class LinkyTap:
    """Counts frames and labels; keeps (time, SINSTS) of recent frames."""

    port: int
    frames: int = 0
    labels: int = 0
    history: deque[tuple[float, float]] = field(default_factory=lambda: deque(maxlen=2000))

    async def run(self) -> None:
        while True:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                await asyncio.sleep(0.5)
                continue
            buffer = b""
            try:
                while chunk := await reader.read(4096):
                    buffer += chunk
                    while (end := buffer.find(b"\x03")) >= 0:
                        frame, buffer = buffer[:end], buffer[end + 1 :]
                        self._frame(frame[frame.rfind(b"\x02") + 1 :])
            finally:
                writer.close()

    def _frame(self, frame: bytes) -> None:
        groups = [g.strip(b"\n\r") for g in frame.split(b"\r") if g.strip(b"\n\r")]
        if not groups:
            return
        self.frames += 1
        self.labels += len(groups)
        for group in groups:
            parts = group.replace(b" ", b"\t").split(b"\t")
            if parts[0] in (b"SINSTS", b"PAPP") and len(parts) > 1:
                with contextlib.suppress(ValueError):
                    self.history.append((time.time(), float(parts[1])))

    def value_age(self, value: float, now: float) -> float | None:
        """Seconds since the newest frame that carried ``value`` (None: not in history)."""
        for at, seen in reversed(self.history):
            if seen == value:
                return max(now - at, 0.0)
        return None


# --- websocket: count state_changed events --------------------------------------------
@dataclass
class EventCounter:
    """state_changed events per entity_id while ``counting``."""

    url: str
    token: str
    counting: bool = False
    counts: Counter[str] = field(default_factory=Counter)
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        ws_url = self.url.replace("http://", "ws://", 1) + "/api/websocket"
        async with aiohttp.ClientSession() as session, session.ws_connect(ws_url) as ws:
            await ws.receive_json()
            await ws.send_json({"type": "auth", "access_token": self.token})
            if (await ws.receive_json()).get("type") != "auth_ok":
                raise HassError("websocket auth failed")
            await ws.send_json({"id": 1, "type": "subscribe_events", "event_type": "state_changed"})
            async for message in ws:
                data = json.loads(message.data)
                if data.get("type") == "result":
                    self.ready.set()
                elif data.get("type") == "event" and self.counting:
                    event = data["event"]["data"]
                    if event.get("new_state") is not None:
                        self.counts[event["entity_id"]] += 1


# --- one run --------------------------------------------------------------------------
@dataclass
class RunResult:
    """What one run measured."""

    with_entries: bool
    window: float = 0.0
    hass_cpu: float = 0.0
    children_cpu: dict[str, float] = field(default_factory=dict)
    machine_busy: float = 0.0
    loadavg: tuple[str, str] = ("", "")
    top: str = ""
    counts: Counter[str] = field(default_factory=Counter)
    db_counts: dict[str, int] = field(default_factory=dict)
    entity_kind: dict[str, str] = field(default_factory=dict)
    enabled_entities: Counter[str] = field(default_factory=Counter)
    wmbus_meter_entities: int = 0
    others_cpu: float = 0.0
    frames: int = 0
    labels: int = 0
    fritz_polls: int = 0
    power_entity: str | None = None
    ages: list[tuple[float, float, float | None]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _plugs() -> list[SimDevice]:
    return [
        SimDevice(
            f"11657 00{index:05d}",
            name,
            product,
            35712,
            power_mw=int(watts * 1000),
            energy_wh=100_000.0 + 37_000 * index,
            voltage_mv=230_000,
            celsius_tenths=210,
        )
        for index, (name, product, watts, _drift) in enumerate(PLUGS)
    ]


async def _drift_plugs(box: FakeFritzBox, rng: random.Random) -> None:
    """Every 10 s the varying loads move by a few per cent (compressor, motor, PC)."""
    while True:
        await asyncio.sleep(10)
        box.tick()
        for device, (_name, _product, watts, drift) in zip(
            box.devices.values(), PLUGS, strict=True
        ):
            if drift:
                device.power_mw = max(int(watts * 1000 * rng.uniform(0.85, 1.15)), 0)
            device.voltage_mv = 230_000 + rng.randint(-2500, 2500)


def _flow(client: HassClient, steps: list[dict[str, Any]]) -> dict[str, Any]:
    return client.run_flow("energy_meters", steps)


def _add_entries(
    client: HassClient, linky_port: int, fritz_url: str, sim_file: Path, optical_port: int | None
) -> tuple[dict[str, str], list[str]]:
    """Add the home's entries; return entry_id -> kind and notes."""
    kinds: dict[str, str] = {}
    notes: list[str] = []

    def add(kind: str, steps: list[dict[str, Any]]) -> str | None:
        result = _flow(client, steps)
        if result.get("type") != "create_entry":
            notes.append(f"could not add {kind}: {str(result)[:300]}")
            _say(notes[-1])
            return None
        entry_id = str(result["result"]["entry_id"])
        kinds[entry_id] = kind
        _say(f"added {kind}: {result.get('title')}")
        return entry_id

    add(
        "linky",
        [
            {"next_step_id": "linky"},
            {"device": f"socket://127.0.0.1:{linky_port}", "name": "Linky"},
        ],
    )
    add(
        "fritzbox",
        [
            {"next_step_id": "fritzbox"},
            {
                "host": fritz_url,
                "username": FRITZ_USER,
                "password": FRITZ_PASSWORD,
                "verify_ssl": False,
            },
        ],
    )
    receiver = add(
        "wmbus", [{"next_step_id": "wmbus"}, {"device": str(sim_file), "binary": "wmbusmeters"}]
    )
    if receiver is not None:
        for number, meter in enumerate(WATER_METERS, 1):
            answers = {"name": f"Water {number}", "meter_id": meter.meter_id, "driver": "iperl"}
            result = client.run_subentry_flow(receiver, "wmbus_meter", [answers])
            if result.get("type") != "create_entry":
                notes.append(f"could not declare water meter {number}: {str(result)[:300]}")
                _say(notes[-1])
    if optical_port is not None:
        add(
            "optical",
            [{"next_step_id": "optical"}, {"device": f"socket://127.0.0.1:{optical_port}"}, {}],
        )
    return kinds, notes


def _parse_ts(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


async def _wait_live(client: HassClient, entity_kind: dict[str, str], seconds: float) -> None:
    """Wait until every kind has at least one entity with a value."""
    deadline = time.monotonic() + seconds
    wanted = set(entity_kind.values())
    while time.monotonic() < deadline:
        states = await asyncio.to_thread(client.states)
        live = {
            entity_kind[s["entity_id"]]
            for s in states
            if s["entity_id"] in entity_kind and s["state"] not in ("unknown", "unavailable")
        }
        if wanted <= live:
            return
        await asyncio.sleep(2)
    _say(f"not every kind is live after {seconds:.0f} s: {sorted(wanted - live)} missing")


async def _registry(client: HassClient, kinds: dict[str, str]) -> list[dict[str, Any]]:
    entries = await asyncio.to_thread(client.websocket, {"type": "config/entity_registry/list"})
    return [e for e in entries if e.get("config_entry_id") in kinds]


def _db_counts(db: Path, start: float, end: float) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as con:
        rows = con.execute(
            "SELECT sm.entity_id, COUNT(*) FROM states s "
            "JOIN states_meta sm ON s.metadata_id = sm.metadata_id "
            "WHERE s.last_updated_ts >= ? AND s.last_updated_ts < ? GROUP BY sm.entity_id",
            (start, end),
        ).fetchall()
    return dict(rows)


async def one_run(args: argparse.Namespace, *, with_entries: bool, workdir: Path) -> RunResult:
    """Start hass and the home's simulators; measure one window."""
    result = RunResult(with_entries=with_entries)
    config_dir = workdir / ("with_entries" if with_entries else "baseline")
    port = _free_port()
    prepare_config(config_dir, components=COMPONENTS, http_port=port)
    config_file = config_dir / "configuration.yaml"
    # a home runs at the default log level, not the demo's debug
    config_file.write_text(
        config_file.read_text().replace(
            "custom_components.energy_meters: debug",
            f"custom_components.energy_meters: {args.log_level}",
        )
    )
    rng = random.Random(args.seed)
    children: list[subprocess.Popen[bytes]] = []
    tasks: list[asyncio.Task[None]] = []
    linky_port = _free_port()
    children.append(
        _spawn(
            [sys.executable, "-m", "simulators.tic", "--profile", "standard-tempo",
             "--tcp", f"127.0.0.1:{linky_port}"]
        )
    )  # fmt: skip
    optical_port: int | None = None
    if args.optical:
        optical_port = _free_port()
        children.append(
            _spawn(
                [sys.executable, "-m", "simulators.iec62056", "--tcp", f"127.0.0.1:{optical_port}"]
            )
        )
    box = FakeFritzBox(username=FRITZ_USER, password=FRITZ_PASSWORD, devices=_plugs())
    server = await FakeFritzBoxServer(box).start()
    tasks.append(asyncio.create_task(_drift_plugs(box, rng)))
    sim_file = config_dir / "wmbus" / "simulation_home.txt"
    seconds = int((args.minutes + args.warmup / 60 + 30) * 60)
    write_simulation(
        sim_file, simulation_lines(WATER_METERS, seconds, elapsed=int(time.time() - DEMO_EPOCH))
    )
    tap = LinkyTap(linky_port)
    tasks.append(asyncio.create_task(tap.run()))
    hass = start_hass(config_dir, log_file=config_dir / "hass.log")
    wall0 = wall1 = 0.0
    try:
        client = HassClient(f"http://127.0.0.1:{port}")
        await asyncio.to_thread(client.wait_until_up, 600, hass)
        await asyncio.to_thread(client.onboard_or_login, config_dir / ".dev_onboarded")
        assert client.token is not None
        # onboard_or_login also confirms the YAML http port (else HA reverts it in 5 min)
        counter = EventCounter(client.base_url, client.token)
        tasks.append(asyncio.create_task(counter.run()))
        await asyncio.wait_for(counter.ready.wait(), 30)
        kinds: dict[str, str] = {}
        if with_entries:
            kinds, result.notes = await asyncio.to_thread(
                _add_entries, client, linky_port, server.url, sim_file, optical_port
            )
            registry = await _registry(client, kinds)
            entity_kind = {e["entity_id"]: kinds[e["config_entry_id"]] for e in registry}
            await _wait_live(client, entity_kind, 120)
        _say(f"warm-up {args.warmup:.0f} s")
        await asyncio.sleep(args.warmup)
        if with_entries:
            registry = await _registry(client, kinds)
            result.entity_kind = {e["entity_id"]: kinds[e["config_entry_id"]] for e in registry}
            result.enabled_entities = Counter(
                kinds[e["config_entry_id"]] for e in registry if e.get("disabled_by") is None
            )
            result.wmbus_meter_entities = sum(
                1
                for e in registry
                if kinds[e["config_entry_id"]] == "wmbus"
                and e.get("config_subentry_id")
                and e.get("disabled_by") is None
            )
            power = [
                e["entity_id"]
                for e in registry
                if kinds[e["config_entry_id"]] == "linky"
                and str(e.get("unique_id", "")).lower().endswith(("_sinsts", "_papp"))
            ]
            result.power_entity = power[0] if power else None
            if result.power_entity is None:
                result.notes.append("no Linky apparent-power entity found (unique_id *_sinsts)")
        window = args.minutes * 60
        instants = sorted(rng.uniform(0, window) for _ in range(args.samples))
        # measurement window
        frames0, labels0 = tap.frames, tap.labels
        polls0 = box.commands.count("getdevicelistinfos")
        kids0 = _children_cpu(hass.pid)
        everyone0 = _all_cpu()
        busy0, total0 = _machine_ticks()
        load0 = _loadavg()
        stat0 = _proc_stat(hass.pid)
        assert stat0 is not None
        t0, wall0 = time.monotonic(), time.time()
        counter.counting = True
        _say(f"measuring {window / 60:g} min ({'with' if with_entries else 'without'} our entries)")
        for at in instants:
            await asyncio.sleep(max(t0 + at - time.monotonic(), 0))
            path = f"/api/states/{result.power_entity or 'sensor.bench_baseline_probe'}"
            try:
                state = await asyncio.to_thread(client.request, "GET", path)
            except HassError:
                continue  # the baseline asks for an entity that does not exist: same cost
            now = time.time()
            if state and state.get("state") not in (None, "unknown", "unavailable"):
                try:
                    value_age = tap.value_age(float(state["state"]), now)
                except ValueError:
                    value_age = None
                result.ages.append(
                    (
                        now - _parse_ts(state.get("last_reported") or state["last_updated"]),
                        now - _parse_ts(state["last_updated"]),
                        value_age,
                    )
                )
        await asyncio.sleep(max(t0 + window - time.monotonic(), 0))
        stat1 = _proc_stat(hass.pid)
        kids1 = _children_cpu(hass.pid)
        busy1, total1 = _machine_ticks()
        result.window = time.monotonic() - t0
        wall1 = time.time()
        counter.counting = False
        assert stat1 is not None
        result.hass_cpu = stat1[1] - stat0[1]
        for pid, (comm, cpu) in kids1.items():
            before = kids0.get(pid, (comm, 0.0))[1]
            result.children_cpu[comm] = result.children_cpu.get(comm, 0.0) + cpu - before
        if set(kids0) - set(kids1):
            result.notes.append(
                f"{len(set(kids0) - set(kids1))} child process(es) ended in the window"
            )
        result.machine_busy = 100.0 * (busy1 - busy0) / max(total1 - total0, 1) * os.cpu_count()  # type: ignore[operator]
        result.loadavg = (load0, _loadavg())
        everyone1 = _all_cpu()
        result.top = _top_processes(everyone0, everyone1, result.window)
        ours_pids = {hass.pid, os.getpid(), *kids1, *(c.pid for c in children)}
        ours_cpu = sum(
            cpu - everyone0.get(pid, (comm, 0.0))[1]
            for pid, (comm, cpu) in everyone1.items()
            if pid in ours_pids
        )
        # everything else, also processes that started and ended within the window
        result.others_cpu = max(result.machine_busy / 100 * result.window - ours_cpu, 0.0)
        result.counts = counter.counts
        result.frames = tap.frames - frames0
        result.labels = tap.labels - labels0
        result.fritz_polls = box.commands.count("getdevicelistinfos") - polls0
    finally:
        stop_process(hass)
        for task in tasks:
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*tasks, return_exceptions=True)
        await server.close()
        for child in children:
            with contextlib.suppress(Exception):
                stop_process(child, 10)
    db = config_dir / "home-assistant_v2.db"
    if db.exists() and wall1 > wall0:
        try:
            result.db_counts = _db_counts(db, wall0, wall1)
        except sqlite3.Error as err:
            result.notes.append(f"recorder database not readable: {err}")
    return result


# --- report ---------------------------------------------------------------------------
def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


def report(args: argparse.Namespace, ours: RunResult, base: RunResult, optical: bool) -> None:
    """Print the tables and the summary."""
    print()
    print(
        f"=== Cost of a typical home: {args.minutes:g} min per run, warm-up {args.warmup:.0f} s ==="
    )
    print(f"machine: {os.cpu_count()} CPUs; log level of the integration: {args.log_level}")
    print()
    print("CPU (hass process = all its threads; children = processes hass started)")
    print(
        f"  {'run':<14}{'window s':>9}{'hass cpu s':>11}{'% 1 core':>9}  {'children (cpu s)':<22}"
        f"{'machine busy':>13}{'other load':>11}  loadavg start->end"
    )
    for run in (ours, base):
        kids = ", ".join(f"{k} {v:.2f}" for k, v in run.children_cpu.items()) or "-"
        print(
            f"  {'with entries' if run.with_entries else 'baseline':<14}{run.window:>9.0f}"
            f"{run.hass_cpu:>11.2f}{100 * run.hass_cpu / run.window:>9.2f}  {kids:<22}"
            f"{run.machine_busy:>12.0f}%{100 * run.others_cpu / run.window:>10.0f}%"
            f"  {run.loadavg[0]} -> {run.loadavg[1]}"
        )
    print(
        "  (machine busy, other load: % of one core over the window; other load = every process"
        " but hass, its children, this benchmark and its simulators, short-lived ones included)"
    )
    kids_ours = sum(ours.children_cpu.values())
    share = 100 * (ours.hass_cpu / ours.window - base.hass_cpu / base.window)
    share_all = share + 100 * kids_ours / ours.window
    print(f"  integration's share of the hass process: {share:.2f} % of one core")
    print(f"  with wmbusmeters (child of hass):        {share_all:.2f} % of one core")
    print(f"  busiest processes of the machine during the run with entries: {ours.top}")
    print(f"  busiest processes of the machine during the baseline:         {base.top}")
    print()
    hours = ours.window / 3600
    meters = {"linky": 1, "wmbus": len(WATER_METERS), "fritzbox": len(PLUGS), "optical": 1}
    by_kind: Counter[str] = Counter()
    db_kind: Counter[str] = Counter()
    for entity_id, count in ours.counts.items():
        by_kind[ours.entity_kind.get(entity_id, "other")] += count
    for entity_id, count in ours.db_counts.items():
        db_kind[ours.entity_kind.get(entity_id, "other")] += count
    base_other = sum(base.counts.values()) / (base.window / 3600)
    frame_s = ours.window / max(ours.frames, 1)
    per_wmbus_meter = (ours.wmbus_meter_entities or ours.enabled_entities["wmbus"]) / len(
        WATER_METERS
    )
    telegrams = sum(ours.window / m.interval for m in WATER_METERS)
    naive = {
        "linky": ours.labels,
        "wmbus": telegrams * per_wmbus_meter,
        "fritzbox": ours.fritz_polls * ours.enabled_entities["fritzbox"],
    }
    print(
        "State rows (state_changed events in the window; db = rows in the recorder's states table)"
    )
    print(
        f"  {'kind':<10}{'meters':>7}{'entities':>9}{'rows':>7}{'db rows':>8}{'rows/h':>9}"
        f"{'rows/day':>10}{'/day/meter':>11}{'naive/day':>11}{'ours/naive':>12}"
    )
    total = total_naive = 0.0
    kinds_shown = ["linky", "wmbus", "fritzbox"] + (["optical"] if optical else [])
    for kind in kinds_shown:
        rows = by_kind[kind]
        per_day = rows / hours * 24
        total += per_day
        naive_day = naive[kind] / hours * 24 if kind in naive else None
        if naive_day:
            total_naive += naive_day
        ratio = f"1/{naive_day / max(per_day, 1e-9):.0f}" if naive_day else "n/a"
        print(
            f"  {KIND_LABELS[kind]:<10}{meters[kind]:>7}{ours.enabled_entities[kind]:>9}{rows:>7}"
            f"{db_kind[kind]:>8}{rows / hours:>9.0f}{per_day:>10.0f}{per_day / meters[kind]:>11.0f}"
            f"{(f'{naive_day:.0f}' if naive_day else 'n/a'):>11}{ratio:>12}"
        )
    print(
        f"  {'total':<10}{sum(meters[k] for k in kinds_shown):>7}"
        f"{sum(ours.enabled_entities.values()):>9}{sum(by_kind[k] for k in kinds_shown):>7}"
        f"{sum(db_kind[k] for k in kinds_shown):>8}{total / 24:>9.0f}{total:>10.0f}{'':>11}"
        f"{total_naive:>11.0f}{f'1/{total_naive / max(total, 1e-9):.0f}':>12}"
    )
    for kind in kinds_shown:
        top = Counter(
            {e: n for e, n in ours.counts.items() if ours.entity_kind.get(e) == kind}
        ).most_common(6)
        print(
            f"  {KIND_LABELS[kind]} top writers (rows/day): "
            + ", ".join(f"{e.split('.', 1)[1]} {n / hours * 24:.0f}" for e, n in top)
        )
    print(
        f"  other entities (HA's own): {by_kind['other'] / hours:.0f} rows/h with our entries, "
        f"{base_other:.0f} rows/h in the baseline"
    )
    print(
        f"  naive = every value on every frame/telegram/poll: Linky {ours.frames} frames "
        f"(one per {frame_s:.2f} s) x {ours.labels / max(ours.frames, 1):.1f} labels, counted by a "
        f"second TCP client; wM-Bus {telegrams:.0f} telegrams (the file's schedule) x "
        f"{per_wmbus_meter:.1f} enabled entities per meter; FRITZ!Box {ours.fritz_polls} polls x "
        f"{ours.enabled_entities['fritzbox']} enabled entities"
    )
    print()
    if ours.ages:
        reported = [a[0] for a in ours.ages]
        updated = [a[1] for a in ours.ages]
        values = [a[2] for a in ours.ages if a[2] is not None]
        print(
            f"Age of the Linky apparent power ({ours.power_entity}) at {len(ours.ages)} random instants, s"
        )
        print(f"  {'measure':<44}{'min':>7}{'median':>8}{'p95':>7}{'max':>7}{'> 5 s':>7}")
        for name, values_ in (
            ("now - last_reported (last write)", reported),
            ("now - last_updated (last change of state)", updated),
            ("now - newest meter frame with that value", values),
        ):
            if values_:
                print(
                    f"  {name:<44}{min(values_):>7.1f}{statistics.median(values_):>8.1f}"
                    f"{_pct(values_, 0.95):>7.1f}{max(values_):>7.1f}"
                    f"{sum(v > 5 for v in values_):>7}"
                )
        missing = len(ours.ages) - len(values)
        if missing:
            print(
                f"  {missing} shown value(s) not found among the last {ours.frames} frames' SINSTS"
            )
    else:
        print("Age of the Linky apparent power: no sample (entity missing or unavailable)")
    print()
    print("Summary")
    print(
        f"  CPU: {share:.2f} % of one core for the integration in hass"
        f" ({share_all:.2f} % with wmbusmeters); aim < 1 %"
    )
    linky_day = by_kind["linky"] / hours * 24
    linky_naive = naive["linky"] / hours * 24
    print(
        f"  rows/day: {total:.0f} in total (aim < 30000); Linky {linky_day:.0f} vs "
        f"{linky_naive:.0f} naive = 1/{linky_naive / max(linky_day, 1e-9):.0f} (aim <= 1/50)"
    )
    if ours.ages:
        print(
            f"  power age: max {max(a[0] for a in ours.ages):.1f} s since the last write, "
            f"max {max(values) if values else float('nan'):.1f} s behind the meter (aim <= 5 s)"
        )
    if not optical:
        print("  optical meter: not available (no 'optical' kind registered in kinds.py)")
    for note in ours.notes + base.notes:
        print(f"  note: {note}")


async def amain(args: argparse.Namespace) -> None:
    """Both runs, then the report."""
    optical = optical_registered() if args.optical is None else args.optical
    args.optical = optical
    _say(f"optical kind registered: {optical}")
    with tempfile.TemporaryDirectory(prefix="bench-home-") as tmp:
        workdir = (Path(args.keep) if args.keep else Path(tmp)).resolve()
        ours = await one_run(args, with_entries=True, workdir=workdir)
        _say(f"run with entries done: hass {ours.hass_cpu:.1f} s CPU in {ours.window:.0f} s")
        base = await one_run(args, with_entries=False, workdir=workdir)
        _say(f"baseline done: hass {base.hass_cpu:.1f} s CPU in {base.window:.0f} s")
    report(args, ours, base, optical)


def main() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of each run's window")
    parser.add_argument("--warmup", type=float, default=90.0, help="seconds before measuring")
    parser.add_argument("--samples", type=int, default=40, help="random power-age samples")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--log-level", default="warning", help="level of custom_components.energy_meters"
    )
    parser.add_argument(
        "--optical",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="add an optical meter (default: if the kind is registered)",
    )
    parser.add_argument("--keep", type=Path, help="keep the config dirs here (logs, database)")
    args = parser.parse_args()
    asyncio.run(amain(args))


if __name__ == "__main__":
    main()
