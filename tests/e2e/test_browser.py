"""End to end: the demo as a user sees it, in a real browser.

``scripts/develop`` itself (on a free port and a temporary config dir) starts the
simulators and Home Assistant with its frontend and adds every demo meter through
our config flow. The Energy dashboard is configured with our sensors over the
websocket API (``energy/save_prefs``), and three hours of hourly statistics are
imported for them (``recorder/import_statistics``): the recorder compiles the
first hourly statistic only at the next full hour, so without them the
dashboard would show "There is no data" and none of our names. Debian's
headless Chromium (``chromium-headless-shell``, in the Debian root; started
here, nothing downloaded at run time) is driven over its DevTools protocol by
``devtools/screenshots.py``, with no traffic but to 127.0.0.1: it logs in
with the dev account and captures the integration page, one device page per
meter kind of the demo, the add-integration menu (our flow's first step) and the
Energy dashboard (each tab, and its settings page).

A page fails the test when it shows an error text, a raw translation key, a bare
``snake_case`` identifier or a "None" (``screenshots.page_problems``), when it
never becomes ready (every expected text shown, no spinner, text held still:
awaited, bounded by generous timeouts), or when the Energy pages lack one of our
sensors' names. Screenshots, page texts, ``report.json`` and the logs go to
``artifacts/browser/`` (git-ignored), or to ``$EM_BROWSER_ARTIFACTS``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping, Sequence
import contextlib
from dataclasses import dataclass, field
import datetime as dt
import json
import os
from pathlib import Path
import shutil
import signal
import socket
import subprocess
import time
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from devtools import screenshots
from devtools.dev_meters import DEV_METERS
from devtools.hass_runner import REPO

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("socket_enabled")]

DOMAIN = "energy_meters"
EN = json.loads(
    (REPO / "custom_components" / DOMAIN / "translations" / "en.json").read_text(encoding="utf-8")
)

# The Energy dashboard's sources: the demo's entity IDs follow from the device names
# in devtools/dev_meters.py. Grid connections: (import, export or None).
GRID = (
    ("sensor.linky_total_energy_drawn", None),
    ("sensor.linky_producer_total_energy_drawn", "sensor.linky_producer_total_energy_injected"),
    ("sensor.landis_gyr_5678_energy_import", "sensor.landis_gyr_5678_energy_export"),
)
DEVICES = ("sensor.washing_machine_energy", "sensor.fridge_energy")
WATER = ("sensor.kitchen_water_total_volume", "sensor.garden_water_total_volume")
# gas: every sensor of ours with the gas device class (the demo has none yet)

# Statistics imported per source: one hour's increase (kWh or m³) for each of the last hours.
RATES = {"energy": 0.9, "volume": 0.04}
ENERGY_UNITS = {"Wh", "kWh", "MWh", "GJ", "MJ"}
IMPORTED_HOURS = 3

NO_VALUE = ("unknown", "unavailable")


def _artifacts() -> Path:
    return Path(os.environ.get("EM_BROWSER_ARTIFACTS") or REPO / "artifacts" / "browser")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _demo_ports() -> list[int]:
    """The TCP ports the demo's simulators listen on (``--tcp``/``--listen HOST:PORT``)."""
    ports = []
    for meter in DEV_METERS:
        args = list(meter.command)
        ports += [
            int(args[i + 1].rsplit(":", 1)[1])
            for i, a in enumerate(args)
            if a in ("--tcp", "--listen")
        ]
    return ports


def _port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _children(pid: int) -> list[int]:
    """PIDs of the processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError, ValueError, IndexError):
            if (
                entry.name.isdigit()
                and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid
            ):
                found.append(int(entry.name))
    return found


@dataclass
class Demo:
    """A running ``scripts/develop``."""

    url: str
    proc: subprocess.Popen[bytes]
    out: Path
    log: Path
    children: list[int] = field(default_factory=list)
    ready_after: float = 0.0  # seconds from start to "ready"

    def wait_until_ready(self, seconds: float) -> None:
        """Wait for its "ready" line (the first run also installs the frontend)."""
        started = time.monotonic()
        deadline = started + seconds
        while f"ready: {self.url}" not in self.out.read_text(errors="replace"):
            assert self.proc.poll() is None, f"scripts/develop exited: {self.output()}"
            assert time.monotonic() < deadline, f"not ready within {seconds:.0f} s: {self.output()}"
            time.sleep(0.2)
        self.children = _children(self.proc.pid)
        self.ready_after = round(time.monotonic() - started, 1)

    def output(self) -> str:
        """What it printed, and the end of Home Assistant's log."""
        text = self.out.read_text(errors="replace")
        if self.log.exists():
            text += "\n--- develop.log ---\n" + self.log.read_text(errors="replace")[-4000:]
        return text

    def stop(self) -> None:
        """SIGTERM, as a service manager stops it: it stops Home Assistant and the simulators."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(90)
        for pid in [*self.children, self.proc.pid]:  # only if it could not: each leads a group
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(10)


@pytest.fixture
def chromium() -> str:
    """Debian's headless Chromium (scripts/_env.sh installs it in the Debian root), or ``$EM_CHROMIUM``."""
    found = (
        os.environ.get("EM_CHROMIUM")
        or shutil.which("chromium-headless-shell")
        or shutil.which("chromium")
    )
    if found:
        return found
    if os.environ.get("CI") or os.environ.get("EM_IN_SYSROOT"):
        pytest.fail("no chromium-headless-shell: scripts/_env.sh installs it in the Debian root")
    pytest.skip(
        "no Chromium on this host: apt-get install chromium-headless-shell, or set EM_CHROMIUM"
    )


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    """``scripts/develop --config TMP --port FREE``, stopped whatever happens."""
    busy = [port for port in _demo_ports() if _port_in_use(port)]
    assert not busy, f"ports {busy} are taken (a scripts/develop running?): stop it first"
    port = _free_port()
    config = tmp_path / "config"
    out = tmp_path / "develop.out"
    env = {k: v for k, v in os.environ.items() if k != "EM_DEVELOP_SKIP_INSTALL"}
    with out.open("wb") as out_file:
        proc = subprocess.Popen(
            [str(REPO / "scripts" / "develop"), "--config", str(config), "--port", str(port)],
            cwd=REPO,
            stdout=out_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
        )
    run = Demo(f"http://127.0.0.1:{port}", proc, out, config / "develop.log")
    try:
        # a first run installs the frontend and the Assist requirements (about 2 min)
        run.wait_until_ready(900)
        yield run
    finally:
        run.stop()


# --- what the demo holds ---------------------------------------------------------------


@dataclass
class Facts:
    """The demo's entries, devices and states as the API reports them."""

    entries: list[dict[str, Any]]
    devices: list[dict[str, Any]]
    entities: list[dict[str, Any]]
    states: dict[str, dict[str, Any]]
    time_zone: str

    def name(self, entity_id: str) -> str:
        """The entity's name as the frontend shows it (its friendly name)."""
        return str(self.states[entity_id]["attributes"].get("friendly_name", entity_id))

    def our_sensors(self, device_id: str | None = None) -> list[dict[str, Any]]:
        """Our enabled entities (of one device), with their states."""
        return [
            self.states[e["entity_id"]]
            for e in self.entities
            if e["platform"] == DOMAIN
            and not e.get("disabled_by")
            and e["entity_id"] in self.states
            and (device_id is None or e.get("device_id") == device_id)
        ]


async def _facts(hass: screenshots.Hass) -> Facts:
    devices, entities = await hass.ws(
        {"type": "config/device_registry/list"}, {"type": "config/entity_registry/list"}
    )
    entries = await hass.get(f"/api/config/config_entries/entry?domain={DOMAIN}")
    states = {s["entity_id"]: s for s in await hass.get("/api/states")}
    config = await hass.get("/api/config")
    return Facts(
        sorted(entries, key=lambda e: e["created_at"]),
        devices,
        entities,
        states,
        config["time_zone"],
    )


def _is_counter(state: Mapping[str, Any]) -> bool:
    attributes = state["attributes"]
    return attributes.get("device_class") in ("energy", "water", "gas") and attributes.get(
        "state_class"
    ) in ("total", "total_increasing")


def device_per_kind(facts: Facts) -> dict[str, dict[str, Any] | None]:
    """
    Kind -> the device whose page is captured: the first meter (a device with a counter) of the kind's first entry.

    develop adds the entries in ``DEV_METERS`` order, one after the other, and
    each row's first answer picks its kind in the menu. ``None``: no meter of
    that entry is known yet (a declared meter's entities come with its first
    reading).
    """
    assert len(facts.entries) == len(DEV_METERS), [e["title"] for e in facts.entries]
    chosen: dict[str, dict[str, Any] | None] = {}
    for meter, entry in zip(DEV_METERS, facts.entries, strict=True):
        kind = meter.flow_steps[0]["next_step_id"]
        if kind in chosen:
            continue
        devices = [d for d in facts.devices if entry["entry_id"] in d["config_entries"]]
        meters = [d for d in devices if any(_is_counter(s) for s in facts.our_sensors(d["id"]))]
        chosen[kind] = meters[0] if meters else None
    return chosen


async def _meters_with_values(hass: screenshots.Hass) -> tuple[Facts, dict[str, dict[str, Any]]]:
    """
    Wait until each kind has a meter with a live value; return the facts and those meters.

    Its page then shows readings, not only "Unknown" (a counter itself may wait
    for a confirming second reading: a FRITZ!Box plug's comes with the second
    poll, 2 minutes later).
    """
    deadline = time.monotonic() + 180
    while True:
        facts = await _facts(hass)
        chosen = device_per_kind(facts)
        meters = {
            kind: device
            for kind, device in chosen.items()
            if device is not None
            and any(s["state"] not in NO_VALUE for s in facts.our_sensors(device["id"]))
        }
        if len(meters) == len(chosen):
            return facts, meters
        waiting = sorted(set(chosen) - set(meters))
        assert time.monotonic() < deadline, f"no meter with a value within 180 s: {waiting}"
        await asyncio.sleep(0.5)


# --- the Energy dashboard ----------------------------------------------------------------


def energy_prefs(facts: Facts) -> dict[str, Any]:
    """``energy/save_prefs``'s message: our grid meters, plugs, water and gas meters."""
    gas = [
        s["entity_id"]
        for s in facts.our_sensors()
        if _is_counter(s) and s["attributes"].get("device_class") == "gas"
    ]
    missing = [
        eid
        for eid in [*(i for pair in GRID for i in pair if i), *DEVICES, *WATER]
        if eid not in facts.states
    ]
    assert not missing, f"the demo has no {missing}: update the table in {__name__}"
    no_price = {"stat_cost": None, "entity_energy_price": None, "number_energy_price": None}
    sources: list[dict[str, Any]] = [
        {
            "type": "grid",
            "stat_energy_from": drawn,
            "stat_energy_to": injected,
            **no_price,
            "stat_compensation": None,
            "entity_energy_price_export": None,
            "number_energy_price_export": None,
            "cost_adjustment_day": 0,
        }
        for drawn, injected in GRID
    ]
    sources += [{"type": "water", "stat_energy_from": eid, **no_price} for eid in WATER]
    sources += [{"type": "gas", "stat_energy_from": eid, **no_price} for eid in gas]
    return {
        "type": "energy/save_prefs",
        "energy_sources": sources,
        "device_consumption": [{"stat_consumption": eid} for eid in DEVICES],
    }


def statistic_ids(prefs: Mapping[str, Any]) -> dict[str, list[str]]:
    """Dashboard tab -> the statistics (our entity IDs) it shows."""
    tabs: dict[str, list[str]] = {"electricity": [], "water": [], "gas": []}
    for source in prefs["energy_sources"]:
        tab = "electricity" if source["type"] == "grid" else source["type"]
        tabs[tab] += [source[k] for k in ("stat_energy_from", "stat_energy_to") if source.get(k)]
    tabs["electricity"] += [d["stat_consumption"] for d in prefs["device_consumption"]]
    return {tab: ids for tab, ids in tabs.items() if ids}


def hourly_statistics(
    state: Mapping[str, Any], now: dt.datetime, tz: ZoneInfo, hours: int = IMPORTED_HOURS
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """
    Metadata and rows for ``recorder/import_statistics``: the last ``hours`` hours up to now, of today.

    Each hour adds the kind's rate; the last row's state is the entity's own value
    (when it has one). Only hours of the local day, which the dashboard shows first.
    """
    unit = state["attributes"]["unit_of_measurement"]
    unit_class = "energy" if unit in ENERGY_UNITS else "volume"
    rate = RATES[unit_class]
    this_hour = now.astimezone(tz).replace(minute=0, second=0, microsecond=0)
    midnight = this_hour.replace(hour=0)
    starts = [this_hour - dt.timedelta(hours=k) for k in reversed(range(hours))]
    starts = [start for start in starts if start >= midnight]
    try:
        last = float(state["state"])
    except ValueError:
        last = rate * len(starts)
    rows = []
    for number, start in enumerate(starts, start=1):
        rows.append(
            {
                "start": start.isoformat(),
                "state": round(last - rate * (len(starts) - number), 3),
                "sum": round(rate * number, 3),
            }
        )
    metadata = {
        "source": "recorder",
        "statistic_id": state["entity_id"],
        "name": None,
        "unit_of_measurement": unit,
        "has_sum": True,
        "mean_type": 0,
        "unit_class": unit_class,
    }
    return metadata, rows


async def _configure_energy(hass: screenshots.Hass, facts: Facts) -> dict[str, list[str]]:
    """Save the Energy preferences, import the statistics, wait until the recorder has them."""
    prefs = energy_prefs(facts)
    await hass.ws(prefs)
    tabs = statistic_ids(prefs)
    tz = ZoneInfo(facts.time_zone)
    now = dt.datetime.now(dt.UTC)
    imports = [
        hourly_statistics(facts.states[eid], now, tz) for ids in tabs.values() for eid in ids
    ]
    await hass.ws(
        *(
            {"type": "recorder/import_statistics", "metadata": m, "stats": rows}
            for m, rows in imports
        )
    )
    # the import is queued in the recorder: wait until every row is readable
    wanted = {m["statistic_id"]: len(rows) for m, rows in imports}
    start = min(rows[0]["start"] for _, rows in imports)
    deadline = time.monotonic() + 60
    while True:
        (found,) = await hass.ws(
            {
                "type": "recorder/statistics_during_period",
                "start_time": start,
                "statistic_ids": sorted(wanted),
                "period": "hour",
                "types": ["sum"],
            }
        )
        short = {sid: n for sid, n in wanted.items() if len(found.get(sid, [])) < n}
        if not short:
            return tabs
        assert time.monotonic() < deadline, f"imported statistics not readable: {short}"
        await asyncio.sleep(0.2)


# --- the pages -------------------------------------------------------------------------


async def _capture(
    shooter: screenshots.Shooter,
    facts: Facts,
    devices: Mapping[str, Mapping[str, Any]],
    tabs: Mapping[str, Sequence[str]],
    menu: Sequence[str],
) -> None:
    print("integration page")
    await shooter.capture(
        "integration",
        f"/config/integrations/integration/{DOMAIN}",
        ready_text=[e["title"] for e in facts.entries],
    )
    for kind, device in devices.items():
        print(f"device page ({kind}): {device['name']}")
        counters = [s for s in facts.our_sensors(device["id"]) if _is_counter(s)]
        # the meter's counter, under its name within the device
        shown = [
            facts.name(s["entity_id"]).removeprefix(device["name"]).strip() for s in counters[:1]
        ]
        await shooter.capture(
            f"device_{kind}_{screenshots.slug(device['name'])}",
            f"/config/devices/device/{device['id']}",
            ready_text=[device["name"], *filter(None, [device.get("model")]), *shown],
        )
    print("Energy dashboard")
    names = {tab: [facts.name(eid) for eid in ids] for tab, ids in tabs.items()}
    await shooter.capture(
        "energy_summary", "/energy", ready_text=["Energy distribution", *names["electricity"][:1]]
    )
    for tab, shown in names.items():
        await shooter.capture(f"energy_{tab}", f"/energy/{tab}", ready_text=shown)
    for tab, shown in names.items():
        await shooter.capture(f"energy_settings_{tab}", f"/config/energy/{tab}", ready_text=shown)
    print("add-integration menu")
    await shooter.goto(
        f"/config/integrations/dashboard/add?domain={DOMAIN}",
        ready_text=["Do you want to set up Energy Meters?"],
        strict=True,
    )
    await shooter.shoot("add_confirm", full=False, strict=True)
    assert await shooter.click("OK"), "no OK button in the add dialog"
    await shooter.wait_ready(ready_text=menu)
    await shooter.shoot("add_menu", full=False, strict=True)


async def _menu_texts(hass: screenshots.Hass) -> list[str]:
    """Our flow's first step as the API returns it, in English: the title and each option."""
    flow = await hass.post("/api/config/config_entries/flow", {"handler": DOMAIN})
    await hass.delete(f"/api/config/config_entries/flow/{flow['flow_id']}")
    assert flow["type"] == "menu", flow
    step = EN["config"]["step"][flow["step_id"]]
    return [step["title"], *(step["menu_options"][o] for o in flow["menu_options"])]


async def _browse(demo: Demo, chromium: str, out: Path, profile: Path) -> dict[str, Any]:
    started = time.monotonic()
    browser = screenshots.start_chromium(chromium, profile, log=out / "chromium.log")
    report: dict[str, Any] = {
        "url": demo.url,
        "artifacts": str(out),
        "seconds_develop_ready": demo.ready_after,
    }
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
            hass = screenshots.Hass(session, demo.url)
            await hass.login()
            facts, devices = await _meters_with_values(hass)
            # a Python None that leaked into a state (the page would show "None")
            leaked = [s["entity_id"] for s in facts.our_sensors() if s["state"] == "None"]
            assert not leaked, f"states that are a Python None: {leaked}"
            report["seconds_to_live_meters"] = round(time.monotonic() - started, 1)
            tabs = await _configure_energy(hass, facts)
            menu = await _menu_texts(hass)
            report["seconds_to_energy_configured"] = round(time.monotonic() - started, 1)
            report["energy"] = tabs
            report["device_pages"] = {kind: d["name"] for kind, d in devices.items()}
            port = await screenshots.devtools_port(profile, browser)
            async with screenshots.browser_page(
                session, f"http://127.0.0.1:{port}", hass, out, timezone=facts.time_zone
            ) as shooter:
                try:
                    await _capture(shooter, facts, devices, tabs, menu)
                finally:
                    report["pages"] = shooter.pages
                    report["page_exceptions"] = shooter.exceptions
    finally:
        screenshots.stop_chromium(browser)
        report["seconds"] = round(time.monotonic() - started, 1)
        (out / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def test_browser_pages_show_no_error_and_no_raw_key(
    demo: Demo, chromium: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every captured page renders, with our sensors on the Energy pages, and shows nothing wrong."""
    out = _artifacts()
    out.mkdir(parents=True, exist_ok=True)
    for old in [*out.glob("[0-9][0-9]_*.png"), *out.glob("[0-9][0-9]_*.txt"), *out.glob("*.log")]:
        old.unlink()  # what an earlier run wrote
    try:
        report = asyncio.run(_browse(demo, chromium, out, tmp_path / "chromium-profile"))
    finally:
        with contextlib.suppress(OSError):
            shutil.copy(demo.log, out / "develop.log")
        shutil.copy(demo.out, out / "develop.out")
        with capsys.disabled():  # shown even when pytest captures the output
            print(f"\nbrowser test: screenshots, page texts, report.json and logs in {out}")
    problems = screenshots.page_problems(report["pages"])
    assert not problems, "\n".join(problems)
    assert report["pages"], report
