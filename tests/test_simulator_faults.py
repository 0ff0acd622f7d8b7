"""The simulators' campaign hooks: one-shot glitches with valid checks, and the oracle.

Each glitch must reach the wire as a well-formed frame (valid TIC checksum, BCC, CRC,
FCS), so only the integration's counter guard stands between it and the statistics; the
oracle (``--truth-log``) must record the true value and the glitched one apart.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
import random
import re

import aiohttp
import pytest

from custom_components.energy_meters.protocol.fritzbox.login import pbkdf2_response
from custom_components.energy_meters.protocol.obis import parse_obis
from custom_components.energy_meters.protocol.optical.sml import SmlDecoder
from custom_components.energy_meters.protocol.tic.framing import TicParser
from simulators.dlms import DlmsMeterModel, DlmsPushSimulator
from simulators.fritzbox import FakeFritzBoxServer, ManualClock, demo_devices
from simulators.fritzbox_faults import FaultyFritzBox, parse_args as box_args
from simulators.iec62056 import IecMeterModel, handle_command as iec_command
from simulators.oracle import TruthLog, one_digit_changed, read_truth, wrong_value
from simulators.sml import SmlMeterModel, SmlPushSimulator
from simulators.tic import TicSimulator, handle_command as tic_command
from simulators.wmbus import (
    SPIKE_LITRES,
    SimulatedWaterMeter,
    parse_meter,
    simulation_lines,
    write_simulation,
)


def test_wrong_values() -> None:
    rng = random.Random(1)
    assert wrong_value("spike", 1_000_000, rng) == 1_900_000
    assert wrong_value("drop", 1_000_000, rng) == 999_000
    for _ in range(200):
        value = rng.randrange(10**6, 10**8)
        changed = one_digit_changed(value, rng)
        diff = [a != b for a, b in zip(f"{value:09d}", f"{changed:09d}", strict=True)]
        assert sum(diff) == 1
        assert diff.index(True) in range(4, 8)  # tens to ten-thousands
    with pytest.raises(ValueError, match="unknown glitch"):
        wrong_value("typo", 1, rng)


def test_truth_log_records_changes_and_every_glitch(tmp_path: Path) -> None:
    log = TruthLog(tmp_path / "truth.jsonl", clock=lambda: 12.0)
    log.true("m", "c", 1)
    log.true("m", "c", 1)
    log.true("m", "c", 2)
    log.glitch("m", "c", 9, "spike")
    log.glitch("m", "c", 9, "spike")
    log.close()
    records = read_truth(tmp_path / "truth.jsonl")
    assert [(r["value"], r["glitch"]) for r in records] == [
        (1, None),
        (2, None),
        (9, "spike"),
        (9, "spike"),
    ]
    TruthLog(None).true("m", "c", 1)  # no file: nothing to do


def test_tic_digit_glitch_has_a_valid_checksum(tmp_path: Path) -> None:
    truth = TruthLog(tmp_path / "tic.jsonl")
    sim = TicSimulator("standard-mono", truth=truth)
    parser = TicParser(sim.mode)
    true_frame = parser.feed(sim.next_emission().data)
    assert tic_command(sim, "glitch digit") == "ok"
    assert tic_command(sim, "garbage 2") == "ok"
    assert (tic_command(sim, "glitch typo") or "").startswith("error")
    emission = sim.next_emission()
    assert emission.glitch is not None and emission.glitch.kind == "digit"
    assert emission.garbage  # forced garbage after the frame
    (frame,) = TicParser(sim.mode).feed(emission.data.removesuffix(emission.garbage))
    label = emission.glitch.label
    assert frame.groups[label].data == f"{emission.glitch.sent_value:09d}"  # checksum passed
    assert sim.next_emission().garbage
    assert not sim.next_emission().garbage
    truth.close()
    glitches = [r for r in read_truth(tmp_path / "tic.jsonl") if r["glitch"]]
    assert glitches == [
        {**glitches[0], "counter": label, "value": emission.glitch.sent_value, "glitch": "digit"}
    ]
    assert true_frame


def test_iec_one_shot_faults(tmp_path: Path) -> None:
    model = IecMeterModel(truth=TruthLog(tmp_path / "iec.jsonl"))
    assert iec_command(model, "glitch spike") == "ok"
    assert iec_command(model, "bad_bcc") == "ok"
    assert iec_command(model, "") is None
    assert (iec_command(model, "glitch typo") or "").startswith("error")
    assert (iec_command(model, "explode") or "").startswith("error")
    block = model.data_block().decode()
    sent = Decimal(re.search(r"1\.8\.0\((\d+\.\d+)\*kWh\)", block)[1])  # type: ignore[index]
    assert sent == model.import_kwh + 900
    assert model.oneshot == {"bad_bcc"}
    model.truth.close()
    records = read_truth(tmp_path / "iec.jsonl")
    true_import = [r["value"] for r in records if r["counter"] == "1.8.0" and not r["glitch"]]
    assert true_import == [int(model.import_kwh * 1000)]
    assert [r["value"] for r in records if r["glitch"]] == [int(sent * 1000)]


def test_dlms_glitch_and_one_shot_faults(tmp_path: Path) -> None:
    model = DlmsMeterModel(truth=TruthLog(tmp_path / "dlms.jsonl"))
    sim = DlmsPushSimulator(model, key=None)
    normal = sim.next_push()
    assert sim.handle_command("glitch drop") == "ok"
    glitched = sim.next_push()
    wrong = (model.import_wh - 1000).to_bytes(4, "big")
    assert b"\x06" + wrong in glitched
    assert len(glitched) == len(normal)
    assert sim.handle_command("garbage") == "ok"
    assert b"\x7e" + b"\xa0" not in sim.next_push()[:2]
    assert (sim.handle_command("glitch typo") or "").startswith("error")
    assert (sim.handle_command("explode") or "").startswith("error")
    assert sim.handle_command(" ") is None
    assert parse_obis("1-0:1.8.0")


def test_sml_glitch_passes_the_crc(tmp_path: Path) -> None:
    model = SmlMeterModel(truth=TruthLog(tmp_path / "sml.jsonl"))
    sim = SmlPushSimulator(model)
    assert sim.handle_command("glitch spike") == "ok"
    decoder = SmlDecoder()
    (readout,) = decoder.feed(sim.next_push())
    value = readout.readings[parse_obis("1-0:1.8.0")].value
    assert value == Decimal(model.import_dwh + 900_000) / 10_000  # kWh
    assert sim.handle_command("bad_crc") == "ok"
    assert decoder.feed(sim.next_push()) == []
    assert decoder.stats.crc_errors == 1
    assert (sim.handle_command("glitch typo") or "").startswith("error")
    assert (sim.handle_command("explode") or "").startswith("error")
    assert sim.handle_command("") is None


def test_wmbus_glitch_lines_and_truth(tmp_path: Path) -> None:
    meter = parse_meter("33225544:1000:7:10")
    assert meter == SimulatedWaterMeter("33225544", 1000, 7, 10)
    truth = TruthLog(tmp_path / "wmbus.jsonl")
    lines = simulation_lines([meter], 240, neighbours=False, glitches=True, truth=truth)
    truth.close()
    volumes = [line.split("|")[1] for line in lines]
    assert len(volumes) == 24 + 6  # a telegram every 10 s, three glitches every 2 minutes
    short = [v for v in volumes if v.startswith("12")]
    assert len(short) == 2
    records = read_truth(tmp_path / "wmbus.jsonl")
    assert sorted({r["glitch"] for r in records if r["glitch"]}) == ["spike", "zero"]
    assert {r["value"] for r in records if r["glitch"]} == {0, SPIKE_LITRES}
    assert [r["value"] for r in records if not r["glitch"]] == [1000 + 7 * n for n in range(24)]
    path = write_simulation(tmp_path / "simulation_x.txt", lines)
    assert path.read_text().count("telegram=") == len(lines)
    assert not list(tmp_path.glob(".*.tmp"))
    with pytest.raises(ValueError, match="8 digits"):
        parse_meter("123:1:1:1")


@pytest.mark.usefixtures("socket_enabled")
async def test_fritzbox_one_shot_faults(tmp_path: Path) -> None:
    clock = ManualClock()
    truth = TruthLog(tmp_path / "box.jsonl", clock=clock)
    devices = [d for d in demo_devices() if d.present]
    box = FaultyFritzBox(
        username="u", password="p", clock=clock, truth=truth, devices=devices,
        pbkdf2_iterations=(10, 10),
    )  # fmt: skip
    server = await FakeFritzBoxServer(box).start()
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{server.url}/login_sid.lua?version=2") as resp:
                challenge = re.search(r"<Challenge>(.*)</Challenge>", await resp.text())[1]  # type: ignore[index]
            params = {"username": "u", "response": pbkdf2_response(challenge, "p")}
            async with session.get(f"{server.url}/login_sid.lua", params=params) as resp:
                sid = re.search(r"<SID>(.*)</SID>", await resp.text())[1]  # type: ignore[index]

            async def energies() -> list[str]:
                url = f"{server.url}/webservices/homeautoswitch.lua"
                query = {"sid": sid, "switchcmd": "getdevicelistinfos"}
                async with session.get(url, params=query) as resp:
                    return re.findall(r"<energy>(\d*)</energy>", await resp.text())

            assert box.handle_command("energy_glitch 116570067315") == "ok"
            assert box.handle_command("radio_loss 087610000434 2") == "ok"
            assert await energies() == ["2139092", "0"]
            assert await energies() == ["1239092", "0"]
            assert await energies() == ["1239092", "402118"]
            assert (box.handle_command("radio_loss 999") or "").startswith("error")
            assert (box.handle_command("explode") or "").startswith("error")
            assert box.handle_command("reboot 0.05") == "ok"
            assert box.offline
            assert (box.handle_command("reboot") or "").startswith("error")
            while box.offline:
                await asyncio.sleep(0.01)
            assert not box.sessions
    finally:
        await server.close()
    truth.close()
    records = read_truth(tmp_path / "box.jsonl")
    assert [(r["meter"], r["value"], r["glitch"]) for r in records if r["glitch"]] == [
        ("116570067315", 2139092, "spike"),
        ("087610000434", 0, "radio_loss"),
        ("087610000434", 0, "radio_loss"),
    ]
    args = box_args(["--present-only", "--truth-log", "x.jsonl", "--commands", "--password", "q"])
    assert (args.present_only, args.commands, args.password) == (True, True, "q")
