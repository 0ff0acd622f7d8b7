"""wM-Bus pipeline throughput: real wmbusmeters on ``stdin:hex`` to entity states in HA.

A receiver with ``--meters`` (default 100) iPerl water meters, declared as subentries,
is set up in a test Home Assistant (``async_test_home_assistant``) with the real
``wmbusmeters`` binary reading ``stdin:hex``. ``--telegrams`` (default 10000) telegrams,
round-robin over the meters with advancing volumes, are written to its stdin in batches;
the clock of the counter guards is virtual (one minute per call), so no reading is
refused for its rate. Printed (never asserted):

* telegrams per second from the first write to the last telegram handled by its
  meter's coordinator (JSON line parsed, guard, entity states written);
* CPU per telegram: the Home Assistant process (``time.process_time``) and the
  wmbusmeters process (utime + stime from ``/proc/<pid>/stat``);
* the state writes, and the decoder alone for comparison (wmbusmeters with the same
  config directory, telegrams from a pipe, no Home Assistant).

Run: ``scripts/run 'python benchmarks/bench_wmbus.py [--meters 100] [--telegrams 10000]'``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
from pathlib import Path
import shutil
import sys
import tempfile
import time
from typing import Any
from unittest.mock import patch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from homeassistant import loader  # noqa: E402
from homeassistant.config_entries import ConfigSubentryData  # noqa: E402
from homeassistant.const import EVENT_STATE_CHANGED  # noqa: E402
from pytest_homeassistant_custom_component.common import (  # noqa: E402
    MockConfigEntry,
    async_test_home_assistant,
)

import custom_components.energy_meters  # noqa: E402, F401 - before HA mounts its test config
from custom_components.energy_meters.protocol.wmbus.config import (  # noqa: E402
    MeterConfig,
    write_config_dir,
)
from custom_components.energy_meters.wmbus import const  # noqa: E402
from custom_components.energy_meters.wmbus.coordinator import WmbusMeterCoordinator  # noqa: E402
from simulators.wmbus import iperl_telegram  # noqa: E402

BATCH = 100
TICK = os.sysconf("SC_CLK_TCK")


def meter_ids(count: int) -> list[str]:
    """Return ``count`` distinct 8-digit ids."""
    return [f"{10_000_000 + n:08d}" for n in range(count)]


def telegrams(ids: list[str], count: int) -> list[str]:
    """Return ``count`` telegrams, round-robin over the meters, volumes advancing."""
    return [iperl_telegram(ids[n % len(ids)], 100_000 + n // len(ids), n % 7) for n in range(count)]


def cpu_seconds(pid: int) -> float:
    """Return utime + stime of a process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


async def until(predicate: Any, limit: float = 600.0) -> None:
    """Wait (polling) until ``predicate()``."""
    async with asyncio.timeout(limit):
        while not predicate():  # noqa: ASYNC110 - the coordinators have no event to await
            await asyncio.sleep(0.005)


async def pipeline(ids: list[str], lines: list[str]) -> dict[str, float]:
    """Feed ``lines`` to a receiver in a test HA; measure time, CPU and writes."""
    virtual = itertools.count(1_800_000_000, 60)
    async with async_test_home_assistant() as hass:
        hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
        entry = MockConfigEntry(
            domain="energy_meters",
            title="wM-Bus stdin:hex",
            version=1,
            minor_version=2,
            unique_id="wmbus_stdin:hex",
            data={"kind": const.KIND, "device": "stdin:hex", const.CONF_BINARY: "wmbusmeters"},
            subentries_data=[
                ConfigSubentryData(
                    subentry_type=const.SUBENTRY_TYPE,
                    title=f"Water {meter_id}",
                    unique_id=meter_id,
                    data={
                        const.CONF_METER_ID: meter_id,
                        const.CONF_DRIVER: "iperl",
                        const.CONF_KEY: "",
                    },
                )
                for meter_id in ids
            ],
        )
        entry.add_to_hass(hass)
        with patch.object(WmbusMeterCoordinator, "now", lambda _self: float(next(virtual))):
            assert await hass.config_entries.async_setup(entry.entry_id)
            await hass.async_block_till_done()
            hub = entry.runtime_data
            await until(lambda: hub.supervisor.running)
            writes = 0

            def count(_event: object) -> None:
                nonlocal writes
                writes += 1

            hass.bus.async_listen(EVENT_STATE_CHANGED, count)

            def handled() -> int:
                return sum(c.data.telegrams for c in hub.meters.values())

            before = handled()
            process = hub.supervisor.process
            assert process is not None
            child0, own0, wall0 = cpu_seconds(process.pid), time.process_time(), time.perf_counter()
            for start in range(0, len(lines), BATCH):
                await hub.async_feed("\n".join(lines[start : start + BATCH]))
                await asyncio.sleep(0)
            await until(lambda: handled() - before >= len(lines))
            await hass.async_block_till_done()
            wall = time.perf_counter() - wall0
            own = time.process_time() - own0
            child = cpu_seconds(process.pid) - child0
            assert await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_block_till_done()
    return {"wall": wall, "own": own, "child": child, "writes": writes}


async def decoder_alone(ids: list[str], lines: list[str]) -> tuple[float, float]:
    """Return wall and CPU seconds of wmbusmeters alone decoding ``lines``."""
    binary = shutil.which("wmbusmeters")
    assert binary is not None
    with tempfile.TemporaryDirectory() as tmp:
        write_config_dir(Path(tmp), "stdin:hex", [MeterConfig(i, "iperl") for i in ids])
        start = time.perf_counter()
        before = os.times()
        process = await asyncio.create_subprocess_exec(
            binary,
            f"--useconfig={tmp}",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        out, _ = await process.communicate(("\n".join(lines) + "\n").encode())
        wall = time.perf_counter() - start
        after = os.times()
    decoded = out.count(b'"_":"telegram"')
    if decoded != len(lines):
        print(f"  (decoder alone printed {decoded} of {len(lines)} telegrams)")
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return wall, cpu


def main() -> None:
    """Parse arguments, run both measurements, print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--meters", type=int, default=100)
    parser.add_argument("--telegrams", type=int, default=10_000)
    args = parser.parse_args()
    ids = meter_ids(args.meters)
    lines = telegrams(ids, args.telegrams)
    result = asyncio.run(pipeline(ids, lines))
    alone_wall, alone_cpu = asyncio.run(decoder_alone(ids, lines))
    n = len(lines)
    print(f"wM-Bus receiver, {args.meters} meters, {n} telegrams on stdin:hex (real wmbusmeters)")
    print(f"  pipeline to entity states      {n / result['wall']:8.0f} telegrams/s")
    print(f"  CPU per telegram, HA process   {result['own'] / n * 1e6:8.0f} µs")
    print(f"  CPU per telegram, wmbusmeters  {result['child'] / n * 1e6:8.0f} µs")
    print(
        f"  state writes                   {result['writes']:8d} ({result['writes'] / n:.1f}/telegram)"
    )
    print(
        f"  wmbusmeters alone              {n / alone_wall:8.0f} telegrams/s, "
        f"{alone_cpu / n * 1e6:.0f} µs CPU per telegram"
    )


if __name__ == "__main__":
    main()
