"""Benchmark the FRITZ!Box device-list parse and one poll against pyfritzhome 0.6.21.

Run from the repository root: ``python benchmarks/bench_fritzbox.py [N]`` (pyfritzhome
installed by hand: ``pip install pyfritzhome==0.6.21``, the version core Home Assistant
2026.10.4 pins in ``homeassistant/components/fritzbox/manifest.json``).

The box has 50 devices (30 FRITZ!DECT 210 plugs, 12 DECT 301 thermostats, 8 HAN-FUN
contacts), its ``getdevicelistinfos`` answer built by the fake box
(``simulators/fritzbox.py``), the same bytes for both.

* **Parse per device**: ours ``parse_device_list`` (DOCTYPE refused, the field table, the
  power-meter rules, the sentinels); pyfritzhome what ``Fritzhome.update_devices`` does on
  every poll after the first: ``ElementTree.fromstring`` and ``_update_from_node`` on its
  existing device objects (the first poll builds them: shown too).
* **One poll, event loop**: ours ``AhaClient.device_list()`` over real HTTP (aiohttp) on the
  loop, against the fake box served by a second thread with its own loop; the cost is the
  CPU time of the loop's thread during the poll (the box's thread is not counted).
  pyfritzhome is synchronous (requests): core runs ``update_devices`` in the executor, so
  the loop itself only pays the hand-off, but the worker holds the GIL for its CPU time,
  which the loop cannot use either; both are shown. Home Assistant's own part of a poll
  (our hub handing each device its data, core's coordinator) is not measured here.

Timings are medians of interleaved repeats, one run, no assertion on speed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
import statistics
import sys
import threading
import time
from typing import Any
from xml.etree import ElementTree as ET

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from custom_components.energy_meters.protocol.fritzbox.client import AhaClient  # noqa: E402
from custom_components.energy_meters.protocol.fritzbox.devices import (  # noqa: E402
    parse_device_list,
)
from simulators.fritzbox import (  # noqa: E402
    FakeFritzBox,
    FakeFritzBoxServer,
    ManualClock,
    SimDevice,
)

DEVICES = 50
PLUGS, THERMOSTATS = 30, 12
USER, PASSWORD = "bench", "bench-pw"


def box_devices() -> list[SimDevice]:
    """30 plugs, 12 thermostats, 8 contacts with distinct values."""
    devices = []
    for index in range(DEVICES):
        ain = f"{11657 + index:05d} {67315 + index:07d}"
        if index < PLUGS:
            devices.append(
                SimDevice(
                    ain,
                    f"Plug {index}",
                    "FRITZ!DECT 210",
                    35712,
                    power_mw=10_000 + 1_234 * index,
                    energy_wh=100_000 + 997 * index,
                    voltage_mv=228_000 + 17 * index,
                )
            )
        elif index < PLUGS + THERMOSTATS:
            devices.append(
                SimDevice(
                    ain,
                    f"Radiator {index}",
                    "FRITZ!DECT 301",
                    320,
                    battery=80,
                    hkr={
                        "tist": 40 + index % 5,
                        "tsoll": 42,
                        "absenk": 34,
                        "komfort": 42,
                        "lock": 0,
                        "devicelock": 0,
                        "errorcode": 0,
                        "windowopenactiv": 0,
                        "boostactive": 0,
                    },
                )
            )
        else:
            devices.append(
                SimDevice(f"{ain}-1", f"Door {index}", "FRITZ!DECT 350", 8208, alert=index % 2)
            )
    return devices


def pyfritzhome_parse(devices: dict[str, Any], xml: str) -> None:
    """What ``Fritzhome.update_devices`` does with the answer (devices already known)."""
    from pyfritzhome.fritzhomedevice import FritzhomeDevice

    for element in ET.fromstring(xml).findall("device"):
        identifier = element.attrib["identifier"]
        if identifier in devices:
            devices[identifier]._update_from_node(element)  # noqa: SLF001
        else:
            devices[identifier] = FritzhomeDevice(node=element)


def median_seconds(run: Callable[[], object], number: int) -> float:
    """Median of ``number`` timings of ``run``."""
    samples = []
    for _ in range(number):
        start = time.perf_counter()
        run()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def bench_parse(xml: str, number: int) -> None:
    """Parse cost per device, interleaved."""
    known: dict[str, Any] = {}
    pyfritzhome_parse(known, xml)
    assert len(parse_device_list(xml)) == len(known) == DEVICES
    ours, theirs = [], []
    for _ in range(5):
        ours.append(median_seconds(lambda: parse_device_list(xml), number))
        theirs.append(median_seconds(lambda: pyfritzhome_parse(known, xml), number))
    first = median_seconds(lambda: pyfritzhome_parse({}, xml), number)
    per = 1e6 / DEVICES
    ours_us, theirs_us = min(ours) * per, min(theirs) * per
    print(f"parse, {DEVICES} devices ({len(xml)} bytes), per device:")
    print(f"  ours parse_device_list        {ours_us:7.1f} us")
    print(f"  pyfritzhome update_devices    {theirs_us:7.1f} us   ours {theirs_us / ours_us:.1f}x")
    print(f"  pyfritzhome first poll        {first * per:7.1f} us   (builds the device objects)")


class BoxThread:
    """The fake box on its own loop in a second thread (its CPU time is not the poller's)."""

    def __init__(self) -> None:
        """Prepare the box."""
        self.box = FakeFritzBox(
            username=USER,
            password=PASSWORD,
            devices=box_devices(),
            clock=ManualClock(),
            pbkdf2_iterations=(100, 10),
        )
        self.loop = asyncio.new_event_loop()
        self.server = FakeFritzBoxServer(self.box)
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> BoxThread:
        """Start serving."""
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result()
        return self

    def __exit__(self, *_exc: object) -> None:
        """Stop serving."""
        asyncio.run_coroutine_threadsafe(self.server.close(), self.loop).result()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()


async def ours_poll(url: str, number: int) -> tuple[float, float]:
    """Loop-thread CPU and wall time of one ``device_list()`` (medians)."""
    cpu, wall = [], []
    async with aiohttp.ClientSession() as http:
        client = AhaClient(http, url, USER, PASSWORD)
        await client.login()
        await client.device_list()
        for _ in range(number):
            start_cpu, start = time.thread_time(), time.perf_counter()
            devices = await client.device_list()
            cpu.append(time.thread_time() - start_cpu)
            wall.append(time.perf_counter() - start)
        assert len(devices) == DEVICES
        await client.logout()
    return statistics.median(cpu), statistics.median(wall)


async def pyfritzhome_poll(url: str, number: int) -> tuple[float, float, float]:
    """Loop-thread CPU, worker CPU and wall time of one executor ``update_devices()``."""
    from pyfritzhome import Fritzhome

    fritz = Fritzhome(url, USER, PASSWORD)
    loop = asyncio.get_running_loop()
    worker_cpu: list[float] = []

    def update() -> None:
        start = time.thread_time()
        fritz.update_devices(ignore_removed=False)
        worker_cpu.append(time.thread_time() - start)

    with ThreadPoolExecutor(1) as executor:
        await loop.run_in_executor(executor, fritz.login)
        await loop.run_in_executor(executor, update)
        worker_cpu.clear()
        cpu, wall = [], []
        for _ in range(number):
            start_cpu, start = time.thread_time(), time.perf_counter()
            await loop.run_in_executor(executor, update)
            cpu.append(time.thread_time() - start_cpu)
            wall.append(time.perf_counter() - start)
        assert len(fritz.get_devices()) == DEVICES
        await loop.run_in_executor(executor, fritz.logout)
    return statistics.median(cpu), statistics.median(worker_cpu), statistics.median(wall)


def bench_poll(number: int) -> None:
    """One poll of the 50-device box, ours on the loop, pyfritzhome in the executor."""
    with BoxThread() as box:
        url = box.server.url
        ours_cpu, ours_wall = asyncio.run(ours_poll(url, number))
        loop_cpu, worker_cpu, their_wall = asyncio.run(pyfritzhome_poll(url, number))
        stale = box.box.stale_sid_requests
    their_cpu = loop_cpu + worker_cpu
    print(f"one poll, {DEVICES} devices, HTTP on 127.0.0.1 (median of {number}):")
    print(
        f"  ours (aiohttp, on the loop)   loop CPU {ours_cpu * 1e3:6.2f} ms"
        f"   wall {ours_wall * 1e3:6.2f} ms"
    )
    print(
        f"  pyfritzhome (executor)        loop CPU {loop_cpu * 1e3:6.2f} ms"
        f" + worker CPU {worker_cpu * 1e3:6.2f} ms (GIL held)   wall {their_wall * 1e3:6.2f} ms"
    )
    print(
        f"  CPU per poll: ours {their_cpu / ours_cpu:.1f}x less than pyfritzhome's"
        f" loop + worker; stale-SID requests: {stale}"
    )


def main() -> None:
    """Run both benchmarks once."""
    number = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    xml = (
        '<devicelist version="1" fwversion="7.57">'
        + "".join(device.to_xml() for device in box_devices())
        + "</devicelist>"
    )
    bench_parse(xml, number)
    bench_poll(number)


if __name__ == "__main__":
    main()
