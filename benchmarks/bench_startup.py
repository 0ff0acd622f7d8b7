"""Startup cost: import time of the integration, and config-entry setup to first state.

Run from the repository root: ``python benchmarks/bench_startup.py [--runs 5]``.

1. **Import time** of ``custom_components.energy_meters.kinds`` (every kind's record, hub,
   coordinator, catalogue, flow steps and protocol modules), from ``python -X importtime``
   in a fresh interpreter, median of ``--runs``:
   * *bare*: in an empty interpreter (Home Assistant's own modules counted too);
   * *in HA*: after what Home Assistant has loaded before it sets up an integration
     (``homeassistant.config_entries``, the ``sensor`` and ``binary_sensor`` platforms,
     ``aiohttp_client``), so only what this integration adds is counted;
   * *own modules*: the self time of our ``custom_components.energy_meters.*`` modules.
2. **Setup to first state**, per kind registered in ``kinds.py`` when it runs: from
   ``hass.config_entries.async_setup(entry)`` to the first numeric state of one of the
   kind's sensors, inside a test Home Assistant (``async_test_home_assistant``, as in
   bench_linky_ha.py). Each kind runs in its own fresh process; the first setup there is
   *cold* (lazy imports of platforms and libraries, HA's ``usb`` component that our
   manifest depends on: in a usual install ``default_config`` has loaded it already),
   the next ``--runs`` - 1 (a new entry of the same kind in the same test Home
   Assistant each time) are *warm* (median). Rigs:
   * ``linky``: a fake link that has a standard-mode frame ready (``simulators.tic_model``):
     the cost is ours, the wait for the next frame (up to 2 s on a real Linky) is not in it;
   * ``fritzbox``: the FRITZ!Box emulator (``simulators.fritzbox``) on 127.0.0.1 with its
     default PBKDF2 iterations (10000/1000, like a real box), demo devices: login,
     device list, entities;
   * ``wmbus``: the real ``wmbusmeters`` binary reading ``stdin:hex``, one iPerl water
     meter; its telegram is fed as soon as the process runs (a real meter sends one every
     16 s or so, which is not counted).
   A kind without a rig here is listed as not measured.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
import json
from pathlib import Path
import re
import shutil
import statistics
import subprocess
import sys
import time
from typing import Any
from unittest.mock import patch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET = "custom_components.energy_meters.kinds"
HA_PRELOAD = (
    "homeassistant.config_entries",
    "homeassistant.components.sensor",
    "homeassistant.components.binary_sensor",
    "homeassistant.helpers.aiohttp_client",
)
OURS = "custom_components.energy_meters"
USB = "homeassistant.components.usb"
_IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)$")


def import_profile(
    preload: tuple[str, ...], target: str = TARGET
) -> tuple[float, float, list[tuple[int, str]]]:
    """One fresh interpreter: (cumulative ms of ``target``, our self ms, top added modules)."""
    code = "".join(f"import {m}; " for m in preload) + f"import {target}"
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    cumulative = 0.0
    own = 0.0
    added: list[tuple[int, str]] = []
    seen_target = False
    lines = [m.groups() for line in proc.stderr.splitlines() if (m := _IMPORT_LINE.match(line))]
    # importtime prints children before their parent: everything after the last preload's
    # top-level line and up to TARGET's line was imported for TARGET.
    start = 0
    for index, (_self, _cum, indent, name) in enumerate(lines):
        if not indent.strip(" ") and len(indent) == 1 and name in preload:
            start = index + 1
    for self_us, cum_us, _indent, name in lines[start:]:
        if name.startswith(OURS):
            own += int(self_us) / 1000
        else:
            added.append((int(self_us), name))
        if name == target:
            cumulative = int(cum_us) / 1000
            seen_target = True
            break
    assert seen_target, proc.stderr[-2000:]
    added.sort(reverse=True)
    return cumulative, own, added[:5]


def import_times(runs: int) -> None:
    print(f"Import of {TARGET} (python -X importtime, median of {runs} fresh interpreters)")
    header = f"{'context':<44} {'cumulative':>11} {'own modules':>12}"
    print(header)
    print("-" * len(header))
    top: list[tuple[int, str]] = []
    for label, preload in (("bare interpreter", ()), ("after Home Assistant's own imports", HA_PRELOAD)):  # fmt: skip
        samples = [import_profile(preload) for _ in range(runs)]
        cumulative = statistics.median(s[0] for s in samples)
        own = statistics.median(s[1] for s in samples)
        print(f"{label:<44} {cumulative:>9.0f}ms {own:>10.0f}ms")
        top = samples[-1][2]
    print("largest modules it adds after HA's imports (self time, last run): " + ", ".join(
        f"{name} {us / 1000:.0f}ms" for us, name in top
    ))  # fmt: skip
    usb = statistics.median(import_profile(HA_PRELOAD, USB)[0] for _ in range(runs))
    print(
        f"for scale: {USB} (our manifest's dependency, also one of default_config's) "
        f"imports in {usb:.0f}ms after the same HA imports; a cold setup below includes it"
    )


# ---- setup to first state (child process, one kind) ----


def _first_reading(hass: Any, started: float, found: dict[str, Any]) -> Any:
    """Record when a primary sensor (not diagnostic) first shows a number."""
    from homeassistant.const import EVENT_STATE_CHANGED
    from homeassistant.helpers import entity_registry as er

    registry = er.async_get(hass)

    def _listener(event: Any) -> None:
        state = event.data.get("new_state")
        if "seconds" in found or state is None or not state.entity_id.startswith("sensor."):
            return
        try:
            float(state.state)
        except ValueError:
            return
        entry = registry.async_get(state.entity_id)
        if entry is not None and entry.entity_category is not None:
            return  # a diagnostic counter (telegrams seen...), not a reading
        found["seconds"] = time.perf_counter() - started
        found["entity"] = state.entity_id

    return hass.bus.async_listen(EVENT_STATE_CHANGED, _listener)


async def _until(predicate: Any, seconds: float = 30.0) -> None:
    async with asyncio.timeout(seconds):
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.001)


async def _measure(hass: Any, entry: Any, after_setup: Any = None) -> dict[str, Any]:
    """Set ``entry`` up, wait for its first reading, remove it; return the timings."""
    entry.add_to_hass(hass)
    found: dict[str, Any] = {}
    start = time.perf_counter()
    unsub = _first_reading(hass, start, found)
    assert await hass.config_entries.async_setup(entry.entry_id)
    found["setup"] = time.perf_counter() - start
    if after_setup is not None:
        await after_setup(found, start)
    await _until(lambda: "seconds" in found)
    unsub()
    found["entities"] = len(hass.states.async_all())
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    return found


async def linky_runs(hass: Any, runs: int) -> list[dict[str, Any]]:
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from custom_components.energy_meters.protocol.tic.encoder import encode_frame, encode_group
    from simulators.tic_model import PROFILES, MeterModel
    from tests.tic_frames import FakeTicLink

    profile = PROFILES["standard-mono"]
    now = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
    model = MeterModel(profile, start=now)
    frame = encode_frame(
        encode_group(label, data, profile.mode, horodate)
        for label, data, horodate in model.groups(now)
    )
    results = []
    for _ in range(runs):
        link = FakeTicLink()
        link.push(frame)
        entry = MockConfigEntry(
            domain="energy_meters",
            unique_id=profile.serial,
            data={
                "kind": "linky",
                "device": "/dev/ttyBENCH",
                "tic_mode": profile.mode.value,
                "serial": profile.serial,
            },
        )
        with patch(
            "custom_components.energy_meters.linky.coordinator.open_serial", return_value=link
        ):
            results.append(await _measure(hass, entry))
    return results


async def fritzbox_runs(hass: Any, runs: int) -> list[dict[str, Any]]:
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulators.fritzbox import FakeFritzBox, FakeFritzBoxServer, ManualClock

    results = []
    for _ in range(runs):
        fake = FakeFritzBox(username="bench", password="bench-pw", clock=ManualClock())
        server = await FakeFritzBoxServer(fake).start()
        try:
            entry = MockConfigEntry(
                domain="energy_meters",
                title="FRITZ!Box 127.0.0.1",
                unique_id="989BCB0A1B2C",
                version=1,
                minor_version=2,
                data={
                    "kind": "fritzbox",
                    "host": server.url,
                    "username": "bench",
                    "password": "bench-pw",
                    "verify_ssl": False,
                },
            )
            results.append(await _measure(hass, entry))
        finally:
            await server.close()
    return results


async def wmbus_runs(hass: Any, runs: int) -> list[dict[str, Any]]:
    from homeassistant.config_entries import ConfigSubentryData
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from custom_components.energy_meters.wmbus import const

    telegrams = json.loads((ROOT / "tests" / "fixtures" / "wmbus" / "telegrams.json").read_text())
    case = telegrams["iperl_plain"]
    results = []
    for _ in range(runs):
        meter = ConfigSubentryData(
            subentry_type=const.SUBENTRY_TYPE,
            title="Cold water",
            unique_id=case["id"],
            data={
                const.CONF_METER_ID: case["id"],
                const.CONF_DRIVER: case["driver"],
                const.CONF_KEY: case["key"],
            },
        )
        entry = MockConfigEntry(
            domain="energy_meters",
            title="wM-Bus stdin:hex",
            version=1,
            minor_version=2,
            unique_id="wmbus_stdin:hex",
            data={"kind": const.KIND, "device": "stdin:hex", const.CONF_BINARY: "wmbusmeters"},
            subentries_data=[meter],
        )

        async def feed(found: dict[str, Any], start: float, entry: Any = entry) -> None:
            hub = entry.runtime_data
            await _until(lambda: hub.supervisor.running)
            found["process running"] = time.perf_counter() - start
            await hub.async_feed(case["hex"])

        results.append(await _measure(hass, entry, feed))
    return results


RIGS = {"linky": linky_runs, "fritzbox": fritzbox_runs, "wmbus": wmbus_runs}


async def child(kind: str, runs: int) -> None:
    from homeassistant import loader
    from pytest_homeassistant_custom_component.common import async_test_home_assistant

    import custom_components.energy_meters  # noqa: F401 - before HA mounts its test config

    async with async_test_home_assistant() as hass:
        hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
        results = await RIGS[kind](hass, runs)
    print(json.dumps(results))


def setup_times(runs: int) -> None:
    from custom_components.energy_meters.kinds import KINDS

    print()
    print(
        "Config-entry setup to first state, per kind (a fresh process and test HA per kind; "
        f"cold = its first setup, warm = median of the next {runs - 1})"
    )
    header = (
        f"{'kind':<10} {'cold setup':>10} {'cold first':>10} {'warm setup':>10} "
        f"{'warm first':>10} {'entities':>8}  first numeric state"
    )
    print(header)
    print("-" * len(header))
    summary = []
    for kind in KINDS:
        if kind not in RIGS:
            print(f"{kind:<10} not measured: no rig for this kind in this benchmark")
            continue
        if kind == "wmbus" and shutil.which("wmbusmeters") is None:
            print(f"{kind:<10} not measured: wmbusmeters is not installed")
            continue
        proc = subprocess.run(
            [sys.executable, __file__, "--child", kind, "--runs", str(runs)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode:
            print(f"{kind:<10} failed: {proc.stderr.strip().splitlines()[-1:]}")
            continue
        results = json.loads(proc.stdout.strip().splitlines()[-1])
        cold, warm = results[0], results[1:] or results
        warm_setup = statistics.median(r["setup"] for r in warm)
        warm_first = statistics.median(r["seconds"] for r in warm)
        print(
            f"{kind:<10} {cold['setup'] * 1000:>8.0f}ms {cold['seconds'] * 1000:>8.0f}ms "
            f"{warm_setup * 1000:>8.0f}ms {warm_first * 1000:>8.0f}ms {cold['entities']:>8}  "
            f"{cold['entity']}"
        )
        if "process running" in cold:
            process = statistics.median(r["process running"] for r in warm)
            print(f"{'':<10} (wmbusmeters process running after {process * 1000:.0f} ms warm)")
        summary.append(f"{kind} {cold['seconds'] * 1000:.0f}/{warm_first * 1000:.0f} ms")
    print("summary: setup to first state, cold/warm: " + ", ".join(summary))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", choices=sorted(RIGS), help=argparse.SUPPRESS)
    parser.add_argument("--skip-import", action="store_true")
    args = parser.parse_args()
    if args.child:
        asyncio.run(child(args.child, args.runs))
        return
    print(f"Python {sys.version.split()[0]}")
    if not args.skip_import:
        import_times(args.runs)
    setup_times(args.runs)


if __name__ == "__main__":
    main()
