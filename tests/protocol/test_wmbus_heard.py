"""
Heard meters and the key check, through the real wmbusmeters 2.0.0.

The catch-all meter file of the generated config directory makes wmbusmeters
report the meters nobody configured: plain ones as JSON (detected driver, full
identity), encrypted ones on stderr (id, manufacturer, type, suggested driver),
while configured meters keep their own driver's output. Proven on ``stdin:hex``
and on a ``simulation_*.txt`` replay file; a key is checked by decoding a heard
telegram in a temporary config directory.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
import shutil
import stat

import pytest

from custom_components.energy_meters.protocol.wmbus.config import MeterConfig, write_config_dir
from custom_components.energy_meters.protocol.wmbus.heard import (
    HeardMeters,
    header,
    manufacturer_code,
    medium_of,
    replay_telegrams,
    split_hex,
)
from custom_components.energy_meters.protocol.wmbus.keycheck import KeyCheck, check_key
from custom_components.energy_meters.protocol.wmbus.output import Telegram, parse_line
from simulators.wmbus import iperl_telegram

FIXTURES = Path(__file__).parents[1] / "fixtures" / "wmbus"
TELEGRAMS = json.loads((FIXTURES / "telegrams.json").read_text())
BINARY = shutil.which("wmbusmeters")
needs_binary = pytest.mark.skipif(BINARY is None, reason="wmbusmeters is not installed")
IPERL = TELEGRAMS["iperl_plain"]
KAM = TELEGRAMS["multical21_aes"]
SHARKY = TELEGRAMS["sharky_heat"]
UPPER_BOUND = 20.0


async def _run(root: Path, stdin: bytes = b"") -> tuple[list[str], list[str]]:
    assert BINARY is not None
    process = await asyncio.create_subprocess_exec(
        BINARY,
        f"--useconfig={root}",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(UPPER_BOUND):
        out, err = await process.communicate(stdin)
    return out.decode().splitlines(), err.decode().splitlines()


def _hear(heard: HeardMeters, out: list[str], err: list[str]) -> list[Telegram]:
    mine = []
    for now, line in enumerate(out):
        telegram = parse_line(line)
        assert telegram is not None, line
        if telegram.name == "heard":
            heard.from_telegram(telegram, float(now))
        else:
            mine.append(telegram)
    for line in err:
        heard.from_stderr(line, 100.0)
    return mine


def _check(heard: HeardMeters, mine: list[Telegram]) -> None:
    # the configured meter: its own driver's output, once (excluded from the catch-all)
    assert [(t.name, t.driver) for t in mine] == [("em_33225544", "iperl")]
    assert "33225544" not in heard
    plain = heard.get("68926025")
    assert plain is not None
    assert (plain.manufacturer, plain.medium, plain.driver) == ("HYD", "heat", "sharky")
    assert (plain.version, plain.encrypted) == ("20", False)
    secret = heard.get("76348799")
    assert secret is not None
    assert (secret.manufacturer, secret.medium, secret.driver) == (
        "KAM",
        "cold water",
        "multical21",
    )
    assert secret.encrypted and secret.version == "1b"
    assert secret.label == "76348799 · KAM · cold water · multical21 · encrypted"
    assert [m.meter_id for m in heard.ordered()] == ["76348799", "68926025"]


@needs_binary
async def test_catch_all_reports_unconfigured_meters_on_stdin_hex(tmp_path: Path) -> None:
    write_config_dir(tmp_path, "stdin:hex", [MeterConfig("33225544", "iperl")])
    feed = "\n".join((IPERL["hex"], KAM["hex"], SHARKY["hex"])) + "\n"
    out, err = await _run(tmp_path, feed.encode())
    heard = HeardMeters()
    _check(heard, _hear(heard, out, err))


@needs_binary
async def test_catch_all_reports_unconfigured_meters_from_a_simulation_file(
    tmp_path: Path,
) -> None:
    replay = tmp_path / "simulation_heard.txt"
    replay.write_text(
        "# three meters\n" + "".join(f"telegram=|{case['hex']}|\n" for case in (IPERL, KAM, SHARKY))
    )
    write_config_dir(tmp_path, str(replay), [MeterConfig("33225544", "iperl")])
    out, err = await _run(tmp_path)
    heard = HeardMeters()
    _check(heard, _hear(heard, out, err))
    # Diehl (sharky) swaps the address field: a raw header id is not always the meter id
    ids = [head.meter_id for t in replay_telegrams(replay.read_text()) if (head := header(t))]
    assert ids == ["33225544", "76348799", "60250420"]


@needs_binary
async def test_without_exclusion_a_configured_meter_is_printed_twice(tmp_path: Path) -> None:
    """Why the catch-all excludes the configured ids."""
    write_config_dir(tmp_path, "stdin:hex", [], ignore_duplicates=False)
    (tmp_path / "etc" / "wmbusmeters.d" / "em_33225544").write_text(
        MeterConfig("33225544", "iperl").file_text()
    )
    out, _ = await _run(tmp_path, IPERL["hex"].encode() + b"\n")
    names = sorted(t.name for line in out if (t := parse_line(line)) is not None)
    assert names == ["em_33225544", "heard"]


@needs_binary
async def test_key_checked_against_a_heard_telegram() -> None:
    assert BINARY is not None
    right = MeterConfig(KAM["id"], "multical21", KAM["key"])
    wrong = MeterConfig(KAM["id"], "multical21", "28F64A24988064A079AA2C807D6102AF")
    assert await check_key(BINARY, right, [KAM["hex"]]) is KeyCheck.OK
    assert await check_key(BINARY, MeterConfig(KAM["id"], "auto", KAM["key"]), [KAM["hex"]]) is (
        KeyCheck.OK
    )
    assert await check_key(BINARY, wrong, [KAM["hex"]]) is KeyCheck.WRONG
    # a telegram of another meter decodes nothing for this one
    assert await check_key(BINARY, right, [IPERL["hex"]]) is KeyCheck.WRONG
    assert await check_key(BINARY, right, []) is KeyCheck.UNCHECKED


async def test_key_check_that_hangs_is_unchecked(tmp_path: Path) -> None:
    fake = tmp_path / "fake-wmbusmeters"
    fake.write_text("#!/bin/sh\nexec sleep 30\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    meter = MeterConfig(KAM["id"], "multical21", KAM["key"])
    assert await check_key(str(fake), meter, [KAM["hex"]], limit=0.2) is KeyCheck.UNCHECKED


def test_headers_and_splitting() -> None:
    head = header(KAM["hex"])
    assert head is not None
    assert (head.meter_id, head.manufacturer, head.version, head.device_type) == (
        "76348799",
        "KAM",
        0x1B,
        0x16,
    )
    assert header("12") is None
    assert header("zz") is None
    assert manufacturer_code(0x4CAE) == "SEN"
    assert medium_of(0x07) == "water"
    assert medium_of(0x7F) == ""
    assert medium_of(None) == ""
    # several telegrams on one line are split by their length byte, as wmbusmeters does
    assert split_hex(f"{IPERL['hex']}{KAM['hex'].lower()}") == [IPERL["hex"], KAM["hex"]]
    assert split_hex(IPERL["hex"] + "00") == [IPERL["hex"] + "00"]  # lengths do not add up
    assert split_hex("ABC") == []
    assert split_hex("") == []
    text = f"telegram=|{IPERL['hex'][:30]}_{IPERL['hex'][30:]}|+5\n{{}}\n{KAM['hex']}\n"
    assert replay_telegrams(text) == [IPERL["hex"], KAM["hex"]]


def test_heard_list_order_limit_and_store() -> None:
    heard = HeardMeters(max_size=3)
    weak = Telegram("11111111", "heard", "iperl", "water", "", rssi_dbm=-90, identity="11111111")
    strong = Telegram("22222222", "heard", "auto", "Unknown", "", rssi_dbm=-50, identity="x")
    # raw telegrams wait for wmbusmeters to report their meter
    assert heard.from_raw(IPERL["hex"]) == "33225544"
    assert heard.from_raw(IPERL["hex"]) == "33225544"
    assert "33225544" not in heard
    plain = Telegram("33225544", "heard", "iperl", "water", "", identity="33225544.M=SEN.V=68.T=07")
    older = heard.from_telegram(plain, 900.0)
    assert older.telegrams == [IPERL["hex"]]
    assert (older.manufacturer, older.medium) == ("SEN", "water")
    heard.from_telegram(weak, 1000.0)
    heard.from_telegram(strong, 1010.0)
    # same minute: strongest first; older minutes after
    assert [m.meter_id for m in heard.ordered()] == ["22222222", "11111111", "33225544"]
    assert heard.ordered(exclude={"22222222"})[0].meter_id == "11111111"
    assert heard.get("22222222").driver == ""  # type: ignore[union-attr]
    assert heard.get("22222222").medium == ""  # type: ignore[union-attr]
    assert heard.get("11111111").label == "11111111 · water · iperl · -90 dBm"  # type: ignore[union-attr]
    second = iperl_telegram("33225544", 5)
    heard.from_raw(second)
    assert heard.get("33225544").telegrams == [IPERL["hex"], second]  # type: ignore[union-attr]
    assert heard.from_raw("1234") is None
    for n in range(5):
        heard.from_raw(iperl_telegram(f"4000000{n}", n))
    assert len(heard._raw) == 3
    heard.from_stderr(
        "(meter) newly created meter (heard *,!1,R76348799.M=KAM.V=1b.T=16 multical21) did not "
        "handle telegram!",
        1100.0,
    )
    assert len(heard) == 3 and "33225544" not in heard  # the oldest one goes
    assert heard.from_stderr("Started config hextty on stdin", 1.0) is None
    copy = HeardMeters()
    copy.load([*heard.as_list(), {"bogus": 1}])
    assert [m.meter_id for m in copy.ordered()] == [m.meter_id for m in heard.ordered()]
    copy.forget("76348799")
    assert "76348799" not in copy


@needs_binary
async def test_heard_meter_carries_the_receivers_rssi(tmp_path: Path) -> None:
    """With a receiver that reports levels (rtl_wmbus lines), a heard meter has its rssi."""
    write_config_dir(tmp_path, "stdin:rtlwmbus", [MeterConfig("33225544", "iperl")])
    line = f"C1;1;1;2026-04-03 19:00:42.000;97;148;68926025;0x{SHARKY['hex']}\n"
    out, err = await _run(tmp_path, line.encode())
    heard = HeardMeters()
    assert _hear(heard, out, err) == []
    meter = heard.get("68926025")
    assert meter is not None and meter.rssi_dbm == 97
    assert meter.label == "68926025 · HYD · heat · sharky · 97 dBm"
