"""End to end: a glitch campaign through every simulator, checked against their own oracle.

A real ``hass`` (recorder, history, energy) reads every kind at once: a Linky historique
on a socat pty and a Linky standard producer over TCP, an IEC 62056-21 readout meter, a
DLMS/COSEM push and an SML push meter (TCP), a wM-Bus receiver (the real wmbusmeters
replaying a file) with three water meters, and the fake FRITZ!Box with two plugs. It is
driven only through Home Assistant's REST and websocket APIs. Each simulator logs every
true counter value it emitted and every glitch it sent instead (``--truth-log``).

The campaign spans two statistics compiles (wall-clock 5-minute boundaries, waited for
from the clock, wherever in the hour the test starts) with a graceful Home Assistant
restart between them, the simulators running on. In each half: counter spikes, drops and
one-digit corruptions with valid checksums/CRCs/BCCs, bad checksums, garbage, truncated
frames, reader restarts (pty removed and recreated, TCP server restarted), wmbusmeters
killed, wM-Bus zeros and short telegrams, a FRITZ!Box radio loss, energy glitches and a
reboot. Then, per energy and water entity:

(a) every recorded state is a true value its simulator emitted, never a glitch, never
    backwards, never ahead of the meter;
(b) between consecutive 5-minute statistics rows the sum grows exactly as the state
    (0.1 Wh / 0.1 L resolution, after conversion to Wh and L by HA), and ``change`` is that
    growth; hourly rows agree with the 5-minute row that ends their hour;
(c) the last sum minus the first equals the true consumption between the two states, with
    rows before and after the restart; the first sum counts from the first state written,
    so the whole run's consumption is counted once (FRITZ!Box plugs: their history
    backfill may shift every sum by a constant);
(d) every one of them is an Energy dashboard source (``energy/save_prefs``) and
    ``energy/validate`` reports no issue for any, after each compile.

Takes 9 to 16 minutes (the compiles follow the wall clock).
"""

from __future__ import annotations

from collections import Counter as Tally, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
import itertools
import json
import math
from pathlib import Path
import re
import time
from typing import Any

import pytest

from custom_components.energy_meters.const import DEFAULT_COUNTER_INTERVAL
from devtools.hass_runner import HassClient, leaked_secrets
from simulators.dlms import TEST_KEY as DLMS_KEY, DlmsMeterModel
from simulators.iec62056 import IecMeterModel
from simulators.sml import SERVER_ID as SML_SERVER_ID
from simulators.tic_model import PRM, PROFILES
from simulators.wmbus import DEMO_EPOCH
from tests.e2e.campaign_rig import (
    BOX_PASSWORD,
    PLUGS,
    STAT_UNITS,
    UNAVAILABLE,
    WATER_METERS,
    Counter,
    Hass,
    Simulator,
    add_entries,
    free_port,
    make_simulators,
    our_counters,
    say,
    set_options,
    wait_for,
    wait_until_serving,
)

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("socket_enabled")]

FIVE_MINUTES = 300
COMPILE_DELAY = 10  # the recorder compiles at second 10 after each 5-minute boundary
PHASE_SECONDS = 110  # each half's fault schedule; the campaign spans two compiles
FRITZ_POLL = 20
#: a state may lag its meter by at most the default write interval of counters, a poll,
#: a confirming reading and the recorder's commit
STALE_BOUND = DEFAULT_COUNTER_INTERVAL + 2 * FRITZ_POLL + 20.0
EXPORTS = ("EAIT", "2.8.0")
RESOLUTION = 10  # compare in 0.1 Wh / 0.1 L
#: how Home Assistant logs an exception nobody handled (failed readouts are handled: their
#: traceback is only the coordinator's debug-level "Full error")
UNHANDLED = re.compile(
    r"Error doing job|Exception in |Task exception was never retrieved|Unexpected error"
    r"|Error setting up entry|Error while setting up|Uncaught"
)


def units(value: float) -> int:
    """A value in Wh or L as an integer number of 0.1 Wh / 0.1 L."""
    return round(value * RESOLUTION)


# --- the fault schedule ------------------------------------------------------------------
Step = tuple[float, str]  # (seconds after the phase start, command)


def _spaced(commands: list[str], every: float, start: float = 2.0) -> list[Step]:
    return [(start + i * every, command) for i, command in enumerate(commands)]


LINKY_FAULTS = [
    "glitch spike",
    "glitch drop",
    "glitch digit",
    "garbage 3",
    "glitch digit",
    "glitch spike",
    "glitch digit",
    "glitch drop",
    "glitch digit",
]


def schedule(phase: int) -> dict[str, list[Step]]:
    """Commands per simulator for one half of the campaign."""
    box_faults = [
        f"energy_glitch {PLUGS[0]}",
        f"radio_loss {PLUGS[1]}",
        f"energy_glitch {PLUGS[1]} -1000",
        f"radio_loss {PLUGS[0]}",
    ]
    if phase == 2:
        box_faults.append("reboot 15")
    return {
        "linky_historic": [*_spaced(LINKY_FAULTS, 4.0), (45.0, "unplug 8"), (70.0, "glitch digit")],
        "linky_standard": [*_spaced(LINKY_FAULTS, 3.0), (40.0, "unplug 8"), (60.0, "glitch spike")],
        "iec": _spaced(
            ["glitch spike", "bad_bcc", "glitch drop", "garbage", "glitch digit", "truncated"]
            + ["glitch digit"],
            15.0,
        ),
        "dlms": _spaced(
            ["glitch spike", "glitch drop", "bad_fcs", "glitch digit", "garbage", "truncated"]
            + ["glitch digit", "glitch spike"],
            6.0,
        ),
        "sml": _spaced(
            ["glitch spike", "glitch drop", "bad_crc", "glitch digit", "garbage", "truncated"]
            + ["glitch digit", "glitch drop"],
            3.0,
        ),
        "fritzbox": _spaced(box_faults, 25.0, start=5.0),
    }


def run_phase(phase: int, sims: dict[str, Simulator], hass: Hass, log: Tally[str]) -> None:
    """Play one half's schedule on every simulator at once; kill wmbusmeters once."""
    plan = schedule(phase)
    start = time.monotonic()

    def play(name: str, steps: list[Step]) -> None:
        for at, command in steps:
            time.sleep(max(0.0, start + at - time.monotonic()))
            sims[name].send(command)
            log[f"{name}: {command.split()[0]}"] += 1

    def kill_wmbusmeters() -> None:
        time.sleep(30.0)
        hass.kill_child("wmbusmeters")
        log["wmbus: wmbusmeters killed"] += 1

    with ThreadPoolExecutor(len(plan) + 1) as pool:
        futures = [pool.submit(play, name, steps) for name, steps in plan.items()]
        futures.append(pool.submit(kill_wmbusmeters))
        for future in futures:
            future.result()
    time.sleep(max(0.0, start + PHASE_SECONDS - time.monotonic()))


# --- clock, compiles ---------------------------------------------------------------------
def next_boundary(after: float) -> float:
    """The first 5-minute wall-clock boundary at or after ``after`` (epoch seconds)."""
    return math.ceil(after / FIVE_MINUTES) * FIVE_MINUTES


def iso(epoch: float) -> str:
    """An epoch as an ISO date-time (UTC)."""
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def statistics(
    client: HassClient, ids: list[str], start: float, end: float, period: str
) -> dict[str, list[dict[str, Any]]]:
    """``recorder/statistics_during_period``: state, sum, change in Wh and L."""
    result: dict[str, list[dict[str, Any]]] = client.websocket(
        {
            "type": "recorder/statistics_during_period",
            "start_time": iso(start),
            "end_time": iso(end),
            "statistic_ids": ids,
            "period": period,
            "types": ["state", "sum", "change"],
            "units": STAT_UNITS,
        },
        timeout=60,
    )
    return result


def wait_for_compile(client: HassClient, counters: list[Counter], boundary: float) -> None:
    """Sleep until the compile of the period ending at ``boundary``, then wait for its rows."""
    time.sleep(max(0.0, boundary + COMPILE_DELAY - time.time()))
    ids = [c.entity_id for c in counters]

    def compiled() -> bool:
        rows = statistics(client, ids, boundary - FIVE_MINUTES, boundary, "5minute")
        starts = {i: {r["start"] / 1000 for r in rows.get(i, [])} for i in ids}
        return all(boundary - FIVE_MINUTES in s for s in starts.values())

    wait_for(f"the statistics of {iso(boundary - FIVE_MINUTES)}", compiled, 120, every=2)
    say(f"compiled the period ending {iso(boundary)}")


# --- Energy dashboard ----------------------------------------------------------------------
def energy_prefs(counters: list[Counter]) -> dict[str, Any]:
    """Every counter as a source: grid import/export, water, plugs as device consumption."""
    sources: list[dict[str, Any]] = []
    devices: list[dict[str, Any]] = []
    by_sim: dict[str, list[Counter]] = defaultdict(list)
    for counter in counters:
        by_sim[counter.sim].append(counter)
    for sim, items in by_sim.items():
        if sim == "fritzbox":
            devices += [{"stat_consumption": c.entity_id} for c in items]
            continue
        if sim == "wmbus":
            sources += [
                {
                    "type": "water",
                    "stat_energy_from": c.entity_id,
                    "stat_cost": None,
                    "entity_energy_price": None,
                    "number_energy_price": None,
                }
                for c in items
            ]
            continue
        imports = [c.entity_id for c in items if c.counter not in EXPORTS]
        exports = [c.entity_id for c in items if c.counter in EXPORTS]
        for i, stat_from in enumerate(imports):
            sources.append(
                {
                    "type": "grid",
                    "stat_energy_from": stat_from,
                    "stat_energy_to": exports[i] if i < len(exports) else None,
                    "stat_cost": None,
                    "entity_energy_price": None,
                    "number_energy_price": None,
                    "stat_compensation": None,
                    "entity_energy_price_export": None,
                    "number_energy_price_export": None,
                    "cost_adjustment_day": 0,
                }
            )
        assert len(exports) <= len(imports), items
    return {"energy_sources": sources, "device_consumption": devices}


def energy_issues(client: HassClient) -> list[dict[str, Any]]:
    """Every issue ``energy/validate`` reports, for any source or device."""
    result = client.websocket({"type": "energy/validate"})
    return [
        issue
        for key in ("energy_sources", "device_consumption", "device_consumption_water")
        for source in result.get(key, [])
        for issue in source
    ]


def wait_all_live(client: HassClient, counters: list[Counter], timeout: float = 150) -> None:
    """Wait until every counter has a number (after a restart, a reboot...)."""

    def live() -> bool:
        states = {s["entity_id"]: s["state"] for s in client.states()}
        return all(states.get(c.entity_id) not in (None, *UNAVAILABLE) for c in counters)

    wait_for("every counter live", live, timeout, every=1)


# --- the oracle ----------------------------------------------------------------------------
@dataclass
class Truth:
    """What one meter's counter really was: value (0.1 units) -> first time it was sent."""

    first_sent: dict[int, float] = field(default_factory=dict)
    glitches: dict[int, str] = field(default_factory=dict)
    sent: Tally[str] = field(default_factory=Tally)  # glitch kind -> how many were sent
    timeline: list[tuple[float, int]] = field(default_factory=list)

    def value_at(self, when: float) -> int | None:
        """The highest true value sent at or before ``when``."""
        best = None
        for at, value in self.timeline:
            if at <= when:
                best = value if best is None else max(best, value)
        return best


def load_truth(sims: dict[str, Simulator]) -> dict[tuple[str, str, str], Truth]:
    """(simulator, meter, counter) -> its truth, from every oracle file."""
    truths: dict[tuple[str, str, str], Truth] = defaultdict(Truth)
    for sim in sims.values():
        for record in sim.records():
            truth = truths[sim.name, str(record["meter"]).lower(), record["counter"]]
            value = units(record["value"])
            if record["glitch"] is None:
                truth.first_sent.setdefault(value, record["t"])
                truth.timeline.append((record["t"], value))
            else:
                truth.glitches.setdefault(value, record["glitch"])
                truth.sent[record["glitch"]] += 1
    return truths


def water_litres_at(meter_id: str, when: float) -> int:
    """The true volume (0.1 L) of a simulated water meter at ``when`` (its file's formula)."""
    for meter, start, step, every in WATER_METERS:
        if meter == meter_id:
            return units(start + (int(when - DEMO_EPOCH) // every) * step)
    raise KeyError(meter_id)


def history(
    client: HassClient, ids: list[str], start: float, end: float
) -> dict[str, list[tuple[float, str]]]:
    """``history/history_during_period``: entity -> (time, state) in order."""
    result = client.websocket(
        {
            "type": "history/history_during_period",
            "start_time": iso(start),
            "end_time": iso(end),
            "entity_ids": ids,
            "minimal_response": True,
            "no_attributes": True,
            "significant_changes_only": False,
        },
        timeout=60,
    )
    return {
        entity_id: [(float(row.get("lu") or row.get("lc")), str(row["s"])) for row in rows]
        for entity_id, rows in result.items()
    }


def numbers(rows: list[tuple[float, str]], factor: float) -> list[tuple[float, int]]:
    """(time, value in 0.1 Wh / 0.1 L) of the numeric states."""
    out = []
    for at, state in rows:
        if state in UNAVAILABLE:
            continue
        out.append((at, units(float(state) * factor)))
    return out


@dataclass
class Verdict:
    """Problems found, per check, and what was checked."""

    problems: list[str] = field(default_factory=list)
    checked: Tally[str] = field(default_factory=Tally)

    def expect(self, ok: bool, check: str, text: Callable[[], str]) -> None:
        self.checked[check] += 1
        if not ok:
            self.problems.append(f"{check}: {text()}")


def check_states(
    verdict: Verdict, counter: Counter, truth: Truth, states: list[tuple[float, int]]
) -> None:
    """(a) every state true, never a glitch, never backwards, never ahead of the meter."""
    name = counter.entity_id
    previous: int | None = None
    for at, value in states:
        verdict.expect(
            # a glitch that happens to equal a true value (a drop to an earlier reading) is
            # judged by "never backwards" and "never ahead" instead
            value not in truth.glitches or value in truth.first_sent,
            "a: no glitch",
            lambda v=value, t=at: (
                f"{name} = {v / RESOLUTION} at {iso(t)}: a {truth.glitches[v]} glitch"
            ),
        )
        verdict.expect(
            value in truth.first_sent,
            "a: true value",
            lambda v=value, t=at: f"{name} = {v / RESOLUTION} at {iso(t)}: never sent as true",
        )
        verdict.expect(
            previous is None or value >= previous,
            "a: never backwards",
            lambda v=value, p=previous, t=at: f"{name}: {p} -> {v} at {iso(t)}",
        )
        if counter.sim == "wmbus":
            ahead = value > water_litres_at(counter.meter, at + 2)
        else:
            ahead = value in truth.first_sent and truth.first_sent[value] > at + 1
        verdict.expect(
            not ahead,
            "a: never ahead",
            lambda v=value, t=at: f"{name} = {v / RESOLUTION} at {iso(t)} before the meter",
        )
        previous = value if previous is None else max(previous, value)


def check_statistics(
    verdict: Verdict,
    counter: Counter,
    truth: Truth,
    rows: list[dict[str, Any]],
    hours: list[dict[str, Any]],
    states: list[tuple[float, int]],
    restart: tuple[float, float],
) -> None:
    """(b) and (c) on the 5-minute rows (and the hourly ones that exist)."""
    name = counter.entity_id
    rows = [r for r in rows if r.get("state") is not None and r.get("sum") is not None]
    verdict.expect(
        len(rows) >= 2, "c: rows", lambda: f"{name}: {len(rows)} statistics rows: {rows}"
    )
    if len(rows) < 2:
        return
    for row in rows:
        verdict.expect(
            units(row["state"]) in truth.first_sent,
            "b: row state true",
            lambda r=row: f"{name}: row {iso(r['start'] / 1000)} state {r['state']}",
        )
    for before, after in itertools.pairwise(rows):
        d_sum = units(after["sum"]) - units(before["sum"])
        d_state = units(after["state"]) - units(before["state"])
        verdict.expect(
            d_sum == d_state,
            "b: sum grows as the state",
            lambda b=before, a=after: (
                f"{name}: {iso(b['start'] / 1000)} -> "
                f"{iso(a['start'] / 1000)}: sum {b['sum']} -> {a['sum']}, "
                f"state {b['state']} -> {a['state']}"
            ),
        )
        verdict.expect(
            after.get("change") is None or units(after["change"]) == d_sum,
            "b: change is the growth",
            lambda a=after, d=d_sum: (
                f"{name}: {iso(a['start'] / 1000)} change {a['change']} != {d / RESOLUTION}"
            ),
        )
    first, last = rows[0], rows[-1]
    verdict.expect(
        units(last["sum"]) - units(first["sum"]) == units(last["state"]) - units(first["state"]),
        "c: total = true consumption",
        lambda: (
            f"{name}: sums {first['sum']} -> {last['sum']}, "
            f"states {first['state']} -> {last['state']}"
        ),
    )
    stopped, back = restart
    verdict.expect(
        first["start"] / 1000 < stopped and last["end"] / 1000 > back,
        "c: rows across the restart",
        lambda: f"{name}: rows from {iso(first['start'] / 1000)} to {iso(last['end'] / 1000)}",
    )
    if counter.sim != "fritzbox" and states:
        # the first row counts from the first state ever written: nothing before is lost
        start_value = states[0][1]
        verdict.expect(
            units(first["sum"]) == units(first["state"]) - start_value,
            "c: first sum from the first state",
            lambda: (
                f"{name}: first row sum {first['sum']}, state {first['state']}, "
                f"first state {start_value / RESOLUTION}"
            ),
        )
    by_start = {r["start"]: r for r in rows}
    for hour in hours:
        if hour.get("sum") is None:
            continue
        five = by_start.get(hour["start"] + 55 * 60 * 1000)
        if five is None:
            continue
        verdict.expect(
            units(five["sum"]) == units(hour["sum"])
            and units(five["state"]) == units(hour["state"]),
            "b: hour row = its last 5-minute row",
            lambda h=hour, f=five: f"{name}: hour {iso(h['start'] / 1000)} {h} vs {f}",
        )


def check_fresh(
    verdict: Verdict, counter: Counter, truth: Truth, states: list[tuple[float, int]], end: float
) -> None:
    """Nothing locked out: the last state is at least what the meter sent a while before."""
    if counter.sim == "wmbus":
        floor: int | None = water_litres_at(counter.meter, end - STALE_BOUND)
    else:
        floor = truth.value_at(end - STALE_BOUND)
    last = states[-1][1] if states else None
    verdict.expect(
        floor is None or (last is not None and last >= floor),
        "fresh: not locked out",
        lambda: (
            f"{counter.entity_id}: last state {last} below the meter's {floor} "
            f"of {STALE_BOUND:.0f} s before the end"
        ),
    )


# --- the test ------------------------------------------------------------------------------
@pytest.fixture
def rig(tmp_path: Path) -> Iterator[tuple[dict[str, Simulator], Hass]]:
    """Every simulator and a hass, stopped whatever happens."""
    sims = make_simulators(tmp_path / "sims")
    hass = Hass(tmp_path / "config", free_port(), tmp_path / "hass.log")
    try:
        yield sims, hass
    finally:
        hass.stop()
        for sim in sims.values():
            sim.stop()


def test_glitch_campaign_keeps_statistics_exact(
    rig: tuple[dict[str, Simulator], Hass],
) -> None:
    sims, hass = rig
    injected: Tally[str] = Tally()
    try:
        for sim in sims.values():
            sim.start()
        wait_until_serving(sims.values())
        client = hass.start()
        setup_start = time.time()
        entries = add_entries(client, sims)
        options = set_options(client, entries["fritzbox"], {"poll_interval": FRITZ_POLL})
        assert options.get("type") == "create_entry", options

        counters = wait_for(
            "our counters",
            lambda: (
                (found := our_counters(client, entries))
                and {c.sim for c in found} == set(sims)
                and len(found) >= 20
                and found
            ),
            120,
            every=2,
        )
        wait_all_live(client, counters)
        say(f"{len(counters)} counters: {', '.join(c.entity_id for c in counters)}")
        client.websocket({"type": "energy/save_prefs", **energy_prefs(counters)})
        early = energy_issues(client)
        assert {issue["type"] for issue in early} <= {"statistics_not_defined"}, early

        # first half, then the first compile
        campaign_start = time.time()
        say("phase 1")
        run_phase(1, sims, hass, injected)
        first = next_boundary(time.time() + 5)
        say(f"waiting for the compile at {iso(first)}")
        wait_for_compile(client, counters, first)
        wait_all_live(client, counters)
        issues = energy_issues(client)
        assert not issues, issues

        # a graceful restart on the same config dir, the simulators running on
        stopped = time.time()
        hass.stop()
        client = hass.start()
        back = time.time()
        injected["hass restarted"] += 1
        wait_all_live(client, counters)
        say(f"hass back after {back - stopped:.0f} s")

        say("phase 2")
        run_phase(2, sims, hass, injected)
        second = next_boundary(time.time() + 5)
        say(f"waiting for the compile at {iso(second)}")
        wait_for_compile(client, counters, second)
        wait_all_live(client, counters)
        issues = energy_issues(client)
        assert not issues, issues
        end = time.time()
        assert end - campaign_start > DEFAULT_COUNTER_INTERVAL  # longer than any write interval

        # the checks
        ids = [c.entity_id for c in counters]
        window = (next_boundary(setup_start) - FIVE_MINUTES, end)
        five = statistics(client, ids, *window, "5minute")
        hourly = statistics(client, ids, window[0], end, "hour")
        recorded = history(client, ids, setup_start - 60, end)
        truths = load_truth(sims)
        verdict = Verdict()
        for counter in counters:
            truth = truths.get((counter.sim, counter.meter.lower(), counter.counter))
            assert truth is not None and truth.first_sent, (counter, sorted(truths))
            states = numbers(recorded.get(counter.entity_id, []), counter.factor)
            check_states(verdict, counter, truth, states)
            check_statistics(
                verdict,
                counter,
                truth,
                five.get(counter.entity_id, []),
                hourly.get(counter.entity_id, []),
                states,
                (stopped, back),
            )
            check_fresh(verdict, counter, truth, states, end)
        report(counters, truths, injected, verdict, recorded)
        assert not verdict.problems, "\n".join(verdict.problems)
        unhandled = [line for line in hass.log.read_text().splitlines() if UNHANDLED.search(line)]
        assert not unhandled, unhandled
        # secrets: every entry's diagnostics (downloaded over the API, as the UI button does)
        # and the log (our logger at debug level) hold no password, PRM or full serial
        texts = {"log": hass.log.read_text(errors="replace")}
        for name, entry_id in entries.items():
            texts[f"diagnostics of {name}"] = json.dumps(client.diagnostics(entry_id))
        assert leaked_secrets(texts, campaign_secrets()) == []
    except BaseException:
        if hass.log.exists():
            print(hass.log.read_text(errors="replace")[-6000:])
        raise


def campaign_secrets() -> list[str]:
    """The run's secrets, from the simulators' own definitions (not from our code)."""
    return [
        BOX_PASSWORD,
        DLMS_KEY.hex(),
        PRM,
        *(PROFILES[name].serial for name in ("historic-mono-tempo", "standard-producer")),
        IecMeterModel().serial,
        DlmsMeterModel().name,
        SML_SERVER_ID.hex(),
        *(meter_id for meter_id, *_ in WATER_METERS),
    ]


def report(
    counters: list[Counter],
    truths: dict[tuple[str, str, str], Truth],
    injected: Tally[str],
    verdict: Verdict,
    recorded: dict[str, list[tuple[float, str]]],
) -> None:
    """What was injected, what the oracle logged, what was checked (printed with -s)."""
    glitches: Tally[str] = Tally()
    for (sim, _meter, _counter), truth in truths.items():
        for kind, count in truth.sent.items():
            glitches[f"{sim}: {kind}"] += count
    say("commands sent: " + ", ".join(f"{k} x{n}" for k, n in sorted(injected.items())))
    say("glitched values sent: " + ", ".join(f"{k} x{n}" for k, n in sorted(glitches.items())))
    say("checks: " + ", ".join(f"{k} x{n}" for k, n in sorted(verdict.checked.items())))
    say(
        f"{len(counters)} counters, "
        f"{sum(len(recorded.get(c.entity_id, [])) for c in counters)} states recorded, "
        f"{len(verdict.problems)} problems"
    )
