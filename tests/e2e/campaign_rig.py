"""Every simulator at once, a real ``hass`` reading them, and the simulators' own oracle.

Used by ``test_campaign.py``. Each simulator runs as its own process with ``--commands``
(faults on stdin) and ``--truth-log`` (JSON lines: every true counter value it emitted
and every glitched value it sent instead, :mod:`simulators.oracle`). Home Assistant is
driven only through its REST and websocket APIs (:mod:`devtools.hass_runner`).

Run alone to set everything up and print our energy/volume entities (a look at the
rig without the campaign's waits)::

    scripts/run 'python -m tests.e2e.campaign_rig'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
import json
import os
from pathlib import Path
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

from devtools.hass_runner import REPO, HassClient, prepare_config, start_hass, stop_process
from simulators.dlms import TEST_KEY as DLMS_KEY
from simulators.oracle import read_truth

COMPONENTS = ("api", "config", "onboarding", "recorder", "history", "energy")
UNAVAILABLE = ("unavailable", "unknown")
#: units our counters may have, and the factor to the oracle's base unit (Wh, L)
TO_BASE = {"Wh": 1.0, "kWh": 1000.0, "MWh": 1e6, "L": 1.0, "m³": 1000.0}
#: what the statistics API is asked to convert to
STAT_UNITS = {"energy": "Wh", "volume": "L"}

BOX_USER, BOX_PASSWORD = "dev", "dev-fritz"
PLUGS = ("116570067315", "087610000434")  # the fake box's washing machine and fridge
WATER_METERS = (
    # id, start litres, litres per telegram, seconds between telegrams
    ("33225544", 123_529, 7, 10),
    ("12345670", 42_000, 3, 15),
    ("44556677", 5_000, 11, 20),
)


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def say(text: str) -> None:
    """Progress, with the wall-clock time (the campaign follows the clock)."""
    print(f"[campaign {datetime.now(UTC):%H:%M:%S}] {text}", flush=True)


@dataclass
class Simulator:
    """A simulator process, its stdin command channel and its oracle file."""

    name: str
    argv: list[str]
    truth: Path
    log: Path
    flow: list[dict[str, Any]]
    subentries: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    ready: Path | None = None  # a file that exists once the simulator serves
    proc: subprocess.Popen[bytes] | None = None
    commands: list[tuple[float, str]] = field(default_factory=list)

    def start(self) -> None:
        """Start the process (its own process group, stdin a pipe)."""
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", *self.argv],
                cwd=REPO,
                stdin=subprocess.PIPE,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def send(self, command: str) -> None:
        """Send one fault command."""
        assert self.proc is not None and self.proc.stdin is not None
        assert self.proc.poll() is None, f"{self.name} exited: {self.log.read_text()[-2000:]}"
        self.proc.stdin.write(command.encode() + b"\n")
        self.proc.stdin.flush()
        self.commands.append((time.time(), command))

    def stop(self) -> None:
        """Stop it (SIGTERM, then SIGKILL)."""
        if self.proc is not None:
            with contextlib.suppress(OSError):
                if self.proc.stdin is not None:
                    self.proc.stdin.close()
            stop_process(self.proc, timeout=10)

    def records(self) -> list[dict[str, Any]]:
        """What the oracle says so far."""
        return read_truth(self.truth) if self.truth.exists() else []


def make_simulators(work: Path) -> dict[str, Simulator]:
    """Every kind: Linky historique (pty) and standard (TCP), IEC, DLMS, SML, wM-Bus, box."""
    work.mkdir(parents=True, exist_ok=True)
    sims: dict[str, Simulator] = {}

    def add(name: str, argv: list[str], flow: list[dict[str, Any]], **kw: Any) -> None:
        truth = work / f"{name}.truth.jsonl"
        sims[name] = Simulator(
            name,
            [*argv, "--truth-log", str(truth), *([] if "wmbus" in argv[0] else ["--commands"])],
            truth,
            work / f"{name}.log",
            flow,
            **kw,
        )

    pty = work / "linky_historic"
    add(
        "linky_historic",
        ["simulators.tic", "--profile", "historic-mono-tempo", "--pty", str(pty)]
        + ["--load-va", "2500", "--start", "2026-01-13T15:00", "--seed", "3"],
        [{"next_step_id": "linky"}, {"device": str(pty), "name": "Linky historique"}],
        ready=pty,
    )
    port = free_port()
    add(
        "linky_standard",
        ["simulators.tic", "--profile", "standard-producer", "--tcp", f"127.0.0.1:{port}"]
        + ["--load-va", "3000", "--start", "2026-06-15T07:00", "--seed", "4"],
        [{"next_step_id": "linky"}, {"device": f"socket://127.0.0.1:{port}", "name": "Linky"}],
    )
    for name, module, extra, last_step in (
        ("iec", "simulators.iec62056", [], {}),
        # ciphered pushes (AES-GCM, the simulator's key): the flow asks for the key
        ("dlms", "simulators.dlms", ["--period", "5"], {"key": DLMS_KEY.hex().upper()}),
        ("sml", "simulators.sml", ["--period", "2"], {}),
    ):
        port = free_port()
        add(
            name,
            [module, "--tcp", f"127.0.0.1:{port}", *extra],
            [{"next_step_id": "optical"}, {"device": f"socket://127.0.0.1:{port}"}, last_step],
        )
    replay = work / "wmbus" / "simulation_campaign.txt"
    meters = [f"--meter={m}:{s}:{step}:{every}" for m, s, step, every in WATER_METERS]
    add(
        "wmbus",
        ["simulators.wmbus", "--out", str(replay), "--hours", "1", "--rewrite", "2"]
        + ["--no-neighbours", "--glitches", *meters],
        [{"next_step_id": "wmbus"}, {"device": str(replay), "binary": "wmbusmeters"}],
        subentries=[
            ("wmbus_meter", {"name": f"Water {m[-4:]}", "meter_id": m, "driver": "iperl"})
            for m, *_ in WATER_METERS
        ],
        ready=replay,
    )
    port = free_port()
    add(
        "fritzbox",
        ["simulators.fritzbox_faults", "--listen", f"127.0.0.1:{port}"]
        + ["--username", BOX_USER, "--password", BOX_PASSWORD, "--present-only"],
        [
            {"next_step_id": "fritzbox"},
            {
                "host": f"http://127.0.0.1:{port}",
                "username": BOX_USER,
                "password": BOX_PASSWORD,
                "verify_ssl": False,
            },
        ],
    )
    return sims


def wait_for(what: str, check: Any, timeout: float, every: float = 0.5) -> Any:
    """Poll ``check()`` until it returns something truthy; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        if result := check():
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def wait_until_serving(sims: Iterable[Simulator]) -> None:
    """Wait until each simulator listens (TCP), has its pty, or has written its file."""
    for sim in sims:
        if sim.ready is not None:
            ready = sim.ready
            wait_for(f"{sim.name} ready", ready.exists, 15)
            continue
        device = str(sim.flow[1].get("device") or sim.flow[1].get("host"))
        host, _, port = device.rsplit("/", 1)[-1].rpartition(":")

        def listening(host: str = host, port: str = port) -> bool:
            with socket.socket() as sock:
                return sock.connect_ex((host, int(port))) == 0

        wait_for(f"{sim.name} listening", listening, 15)


@dataclass
class Hass:
    """A real ``hass`` on a config dir of its own."""

    config: Path
    port: int
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    client: HassClient | None = None
    starts: int = 0

    def start(self) -> HassClient:
        """Start (or start again) and log in."""
        prepare_config(self.config, components=COMPONENTS, http_port=self.port)
        self.proc = start_hass(self.config, log_file=self.log)
        self.starts += 1
        client = HassClient(f"http://127.0.0.1:{self.port}")
        client.wait_until_up(timeout=180, proc=self.proc)
        client.onboard_or_login(self.config / ".onboarded")
        self.client = client
        return client

    def stop(self) -> None:
        """Stop gracefully (SIGTERM: Home Assistant's own shutdown)."""
        if self.proc is not None:
            stop_process(self.proc, timeout=60)

    def descendants(self) -> dict[int, str]:
        """PID -> command line of every process below ``hass`` (wmbusmeters…)."""
        assert self.proc is not None
        found: dict[int, str] = {}
        parents = {self.proc.pid}
        for _ in range(4):
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit() or int(entry.name) in found:
                    continue
                try:
                    stat = (entry / "stat").read_text()
                    cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) in parents:
                    found[int(entry.name)] = cmd
            parents |= set(found)
        return found

    def kill_child(self, name: str) -> int:
        """SIGKILL our hass's own child process running ``name`` (a fault)."""
        pids = [pid for pid, cmd in self.descendants().items() if name in cmd.split(" ")[0]]
        assert pids, f"no {name} below hass: {self.descendants()}"
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        return len(pids)


def add_entries(client: HassClient, sims: Mapping[str, Simulator]) -> dict[str, str]:
    """One config entry per simulator through our config flow over REST: name -> entry id."""
    entries: dict[str, str] = {}
    for sim in sims.values():
        result = client.run_flow("energy_meters", sim.flow)
        assert result.get("type") == "create_entry", (sim.name, result)
        entry_id = result["result"]["entry_id"]
        entries[sim.name] = entry_id
        for subentry_type, answers in sim.subentries:
            added = client.run_subentry_flow(entry_id, subentry_type, [answers])
            assert added.get("type") == "create_entry", (sim.name, answers, added)
        say(f"added {sim.name}: {result.get('title')}")
    return entries


def set_options(client: HassClient, entry_id: str, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Answer an entry's options flow (REST)."""
    form: dict[str, Any] = client.request(
        "POST", "/api/config/config_entries/options/flow", {"handler": entry_id}
    )
    defaults = {
        field["name"]: field.get("default")
        for field in form.get("data_schema", [])
        if field.get("default") is not None
    }
    result: dict[str, Any] = client.request(
        "POST",
        f"/api/config/config_entries/options/flow/{form['flow_id']}",
        {**defaults, **answers},
    )
    return result


@dataclass(frozen=True)
class Counter:
    """One of our energy/gas/water entities and where its truth lives."""

    entity_id: str
    unique_id: str
    sim: str
    meter: str
    counter: str
    device_class: str
    unit: str

    @property
    def factor(self) -> float:
        """State unit -> oracle base unit (Wh, L)."""
        return TO_BASE[self.unit]


def our_counters(client: HassClient, entries: Mapping[str, str]) -> list[Counter]:
    """Every energy, gas and water sensor of our entries, mapped to its simulator's oracle."""
    by_entry = {entry_id: name for name, entry_id in entries.items()}
    registry = client.websocket({"type": "config/entity_registry/list"})
    states = {s["entity_id"]: s for s in client.states()}
    counters = []
    for item in registry:
        if item["platform"] != "energy_meters" or item.get("disabled_by"):
            continue
        state = states.get(item["entity_id"])
        if state is None:
            continue
        attributes = state["attributes"]
        if attributes.get("device_class") not in ("energy", "gas", "water"):
            continue
        assert attributes.get("state_class") in ("total", "total_increasing"), state
        sim = by_entry[item["config_entry_id"]]
        meter, counter = truth_key(sim, item["unique_id"])
        counters.append(
            Counter(
                item["entity_id"],
                item["unique_id"],
                sim,
                meter,
                counter,
                attributes["device_class"],
                attributes["unit_of_measurement"],
            )
        )
    return sorted(counters, key=lambda c: c.entity_id)


def truth_key(sim: str, unique_id: str) -> tuple[str, str]:
    """
    (meter, counter) of the oracle behind a unique ID.

    Linky ``<serial>_<label>``, optical ``<meter>_<A>_<B>_<C>_<D>_<E>_<F>`` (OBIS),
    wM-Bus ``wmbus_<id>_total_m3``, FRITZ!Box ``<AIN>_energy``.
    """
    if sim.startswith("linky"):
        serial, _, label = unique_id.partition("_")
        return serial, label.upper()
    if sim == "wmbus":
        return unique_id.split("_")[1], "total"
    if sim == "fritzbox":
        return unique_id.partition("_")[0], "energy"
    meter, _, obis = unique_id.partition("_")
    return meter.lower(), ".".join(obis.split("_")[2:5])


def main(argv: Sequence[str] | None = None) -> int:
    """Set up every simulator and a hass, print our counters and their states, stop."""
    del argv
    work = Path(tempfile.mkdtemp(prefix="em-campaign-"))
    sims = make_simulators(work / "sims")
    hass = Hass(work / "config", free_port(), work / "hass.log")
    try:
        for sim in sims.values():
            sim.start()
        wait_until_serving(sims.values())
        client = hass.start()
        entries = add_entries(client, sims)
        time.sleep(40)
        registry = client.websocket({"type": "config/entity_registry/list"})
        states = {s["entity_id"]: s for s in client.states()}
        for item in registry:
            if item["platform"] != "energy_meters":
                continue
            state = states.get(item["entity_id"], {})
            attrs = state.get("attributes", {})
            print(
                json.dumps(
                    {
                        "entity_id": item["entity_id"],
                        "unique_id": item["unique_id"],
                        "disabled": item.get("disabled_by"),
                        "state": state.get("state"),
                        "dc": attrs.get("device_class"),
                        "sc": attrs.get("state_class"),
                        "unit": attrs.get("unit_of_measurement"),
                        "entry": entries
                        and next(
                            (n for n, e in entries.items() if e == item["config_entry_id"]), None
                        ),
                    }
                )
            )
        for sim in sims.values():
            print(sim.name, len(sim.records()), sim.records()[-3:])
    finally:
        hass.stop()
        for sim in sims.values():
            sim.stop()
    print("work dir:", work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
