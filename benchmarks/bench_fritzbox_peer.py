"""FRITZ!Box in a real Home Assistant: ours next to core ``fritzbox`` (the usual peer).

Same fake box (``simulators.fritzbox``, the 10 plugs of ``bench_home.py``, loads
drifting every 10 s), same ``hass`` configuration, three runs of the same length:

* ``ours``: our FRITZ!Box entry (default options: a poll every 120 s);
* ``core``: core ``fritzbox`` (``pyfritzhome`` in the executor, a poll every 30 s),
  added through its own config flow over REST;
* ``baseline``: no entry.

For each: CPU time of the ``hass`` process minus the baseline's (% of one core),
state rows per day (``state_changed`` events over the websocket, extrapolated),
requests to the box per hour, and the age of the shown plug power against the
fake box's own value at random instants (how long ago the box's value changed to
what Home Assistant shows; the box itself updates its reading about every 2
minutes on real plugs, every 10 s here).

Figures are printed, never asserted. Run:
``scripts/run 'python benchmarks/bench_fritzbox_peer.py --minutes 5'``
(three runs of minutes + warm-up each).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from dataclasses import dataclass, field
from pathlib import Path
import random
import statistics
import sys
import tempfile
import time

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_home import (
    FRITZ_PASSWORD,
    FRITZ_USER,
    PLUGS,
    EventCounter,
    _drift_plugs,
    _free_port,
    _plugs,
    _proc_stat,
    _say,
)

from devtools.hass_runner import (
    HassClient,
    prepare_config,
    start_hass,
    stop_process,
)
from simulators.fritzbox import FakeFritzBox, FakeFritzBoxServer

COMPONENTS = ("config", "onboarding", "api", "websocket_api", "recorder")
WATCHED = "Dishwasher"  # a drifting load: its power changes at every drift


@dataclass
class PeerRun:
    """What one run measured."""

    name: str
    window: float = 0.0
    cpu: float = 0.0
    rows: int = 0
    entities: int = 0
    requests: int = 0
    ages: list[float] = field(default_factory=list)
    top: list[tuple[str, int]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _add(client: HassClient, name: str, url: str) -> tuple[str | None, str]:
    """Add the box with our flow or core's; return (entry_id, note)."""
    credentials = {"username": FRITZ_USER, "password": FRITZ_PASSWORD, "verify_ssl": False}
    if name == "ours":
        result = client.run_flow(
            "energy_meters", [{"next_step_id": "fritzbox"}, {"host": url, **credentials}]
        )
    else:
        result = client.run_flow("fritzbox", [{"url": url, **credentials}])
    if result.get("type") != "create_entry":
        return None, f"could not add the box ({name}): {str(result)[:300]}"
    return str(result["result"]["entry_id"]), ""


class PowerHistory:
    """When the fake box's power of one plug took each value (for the age of a state)."""

    def __init__(self, box: FakeFritzBox, ain: str) -> None:
        self.box, self.ain = box, ain
        self.changes: list[tuple[float, int]] = []

    async def run(self) -> None:
        while True:
            power = self.box.devices[self.ain].power_mw
            if not self.changes or self.changes[-1][1] != power:
                self.changes.append((time.time(), power))
            await asyncio.sleep(0.2)

    def age(self, shown_w: float, now: float) -> float | None:
        """Seconds since the box last took the value shown (None: never had it)."""
        for index in range(len(self.changes) - 1, -1, -1):
            _at, power = self.changes[index]
            if abs(power / 1000 - shown_w) < 0.0015:
                # it held that value until the next change: the state is that old since then
                ended = self.changes[index + 1][0] if index + 1 < len(self.changes) else now
                return max(now - ended, 0.0)
        return None


async def one_run(args: argparse.Namespace, name: str, workdir: Path) -> PeerRun:
    """Start hass and the fake box; add the box (or not); measure one window."""
    result = PeerRun(name)
    config_dir = workdir / name
    port = _free_port()
    prepare_config(config_dir, components=COMPONENTS, http_port=port)
    rng = random.Random(args.seed)
    box = FakeFritzBox(username=FRITZ_USER, password=FRITZ_PASSWORD, devices=_plugs())
    server = await FakeFritzBoxServer(box).start()
    watched = next(d.ain for d in box.devices.values() if d.name == WATCHED)
    history = PowerHistory(box, watched)
    tasks = [
        asyncio.create_task(_drift_plugs(box, rng)),
        asyncio.create_task(history.run()),
    ]
    hass = start_hass(config_dir, log_file=config_dir / "hass.log")
    try:
        client = HassClient(f"http://127.0.0.1:{port}")
        await asyncio.to_thread(client.wait_until_up, 600, hass)
        await asyncio.to_thread(client.onboard_or_login, config_dir / ".dev_onboarded")
        assert client.token is not None
        counter = EventCounter(client.base_url, client.token)
        tasks.append(asyncio.create_task(counter.run()))
        await asyncio.wait_for(counter.ready.wait(), 30)
        entry_id: str | None = None
        power_entity: str | None = None
        if name != "baseline":
            entry_id, note = await asyncio.to_thread(_add, client, name, server.url)
            if note:
                result.notes.append(note)
                _say(note)
        _say(f"{name}: warm-up {args.warmup:.0f} s")
        await asyncio.sleep(args.warmup)
        if entry_id is not None:
            registry = await asyncio.to_thread(
                client.websocket, {"type": "config/entity_registry/list"}
            )
            ours = [e for e in registry if e.get("config_entry_id") == entry_id]
            result.entities = sum(1 for e in ours if e.get("disabled_by") is None)
            states = {s["entity_id"]: s for s in await asyncio.to_thread(client.states)}
            for entity in ours:
                state = states.get(entity["entity_id"], {})
                attributes = state.get("attributes", {})
                if (
                    attributes.get("device_class") == "power"
                    and WATCHED.lower() in str(attributes.get("friendly_name", "")).lower()
                ):
                    power_entity = entity["entity_id"]
            if power_entity is None:
                result.notes.append("no power entity found for the watched plug")
        window = args.minutes * 60
        instants = sorted(rng.uniform(0, window) for _ in range(args.samples))
        requests0 = len(box.commands)
        stat0 = _proc_stat(hass.pid)
        assert stat0 is not None
        t0 = time.monotonic()
        counter.counting = True
        _say(f"{name}: measuring {window / 60:g} min")
        for at in instants:
            await asyncio.sleep(max(t0 + at - time.monotonic(), 0))
            if power_entity is None:
                continue
            state = await asyncio.to_thread(client.request, "GET", f"/api/states/{power_entity}")
            with contextlib.suppress(TypeError, ValueError):
                age = history.age(float(state["state"]), time.time())
                if age is not None:
                    result.ages.append(age)
        await asyncio.sleep(max(t0 + window - time.monotonic(), 0))
        stat1 = _proc_stat(hass.pid)
        assert stat1 is not None
        counter.counting = False
        result.window = time.monotonic() - t0
        result.cpu = stat1[1] - stat0[1]
        result.rows = sum(counter.counts.values())
        result.top = counter.counts.most_common(5)
        result.requests = len(box.commands) - requests0
    finally:
        stop_process(hass)
        for task in tasks:
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*tasks, return_exceptions=True)
        await server.close()
    return result


def report(runs: dict[str, PeerRun]) -> None:
    """Print the comparison table."""
    base = runs["baseline"]
    base_rate = base.cpu / base.window if base.window else 0.0
    print()
    print(f"FRITZ!Box with {len(PLUGS)} plugs, ours vs core fritzbox (same fake box, same hass)")
    print(
        f"  {'run':<6}{'entities':>9}{'rows/day':>10}{'requests/h':>11}"
        f"{'CPU % core':>11}{'power age s (median / max)':>28}"
    )
    for name in ("ours", "core"):
        run = runs[name]
        if not run.window:
            print(f"  {name:<6} not measured: {'; '.join(run.notes)}")
            continue
        per_day = run.rows / run.window * 86400
        share = 100 * (run.cpu / run.window - base_rate)
        ages = f"{statistics.median(run.ages):.0f} / {max(run.ages):.0f}" if run.ages else "n/a"
        print(
            f"  {name:<6}{run.entities:>9}{per_day:>10.0f}"
            f"{run.requests / run.window * 3600:>11.0f}{share:>11.2f}{ages:>28}"
        )
        print(
            "         top writers (rows/day): "
            + ", ".join(
                f"{entity.split('.', 1)[1]} {count / run.window * 86400:.0f}"
                for entity, count in run.top
            )
        )
        for note in run.notes:
            print(f"         note: {note}")
    ours, core = runs["ours"], runs["core"]
    if ours.rows and core.rows and ours.window and core.window:
        ratio = (core.rows / core.window) / (ours.rows / ours.window)
        print(f"  core writes {ratio:.1f}x the rows of ours")


async def amain(args: argparse.Namespace) -> None:
    """Run the three configurations one after the other."""
    with tempfile.TemporaryDirectory(prefix="bench-fritz-peer-") as tmp:
        runs = {name: await one_run(args, name, Path(tmp)) for name in ("ours", "core", "baseline")}
    report(runs)


def main() -> None:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="length of each window")
    parser.add_argument("--warmup", type=float, default=60.0, help="seconds before measuring")
    parser.add_argument("--samples", type=int, default=30, help="random power-age samples")
    parser.add_argument("--seed", type=int, default=11)
    asyncio.run(amain(parser.parse_args()))


if __name__ == "__main__":
    main()
