"""
The wmbusmeters supervisor against the real binary (Debian 2.0.0) and fake processes.

Real telegrams from the wmbusmeters test corpus are piped in on ``stdin:hex``:
plain, AES with the right key, with a wrong key, and truncated. Crashes
(SIGKILL), hangs (SIGSTOP) and silence are provoked on the real process.
Timeouts are upper bounds only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import json
import os
from pathlib import Path
import shutil
import signal
import stat

import pytest

from custom_components.energy_meters.protocol.wmbus.config import MeterConfig, write_config_dir
from custom_components.energy_meters.protocol.wmbus.output import Problem, Telegram, classify
from custom_components.energy_meters.protocol.wmbus.supervisor import (
    ExitReason,
    RunEnded,
    State,
    Supervisor,
    process_stopped,
)
from simulators.wmbus import iperl_telegram

FIXTURES = Path(__file__).parents[1] / "fixtures" / "wmbus"
TELEGRAMS = json.loads((FIXTURES / "telegrams.json").read_text())
BINARY = shutil.which("wmbusmeters")
needs_binary = pytest.mark.skipif(BINARY is None, reason="wmbusmeters is not installed")
UPPER_BOUND = 20.0


class Recorder:
    """Collects what the supervisor reports."""

    def __init__(self) -> None:
        self.telegrams: list[Telegram] = []
        self.stderr: list[str] = []
        self.diagnostics: list[str] = []
        self.ended: list[RunEnded] = []
        self.started = 0

    def supervisor(self, binary: str, config_dir: Path, **kwargs: object) -> Supervisor:
        return Supervisor(
            binary,
            config_dir,
            on_telegram=self.telegrams.append,
            on_stderr=self.stderr.append,
            on_diagnostic=self.diagnostics.append,
            on_started=self._started,
            on_ended=self.ended.append,
            **kwargs,  # type: ignore[arg-type]
        )

    def _started(self) -> None:
        self.started += 1


async def until(predicate: Callable[[], bool]) -> None:
    async with asyncio.timeout(UPPER_BOUND):
        while not predicate():
            await asyncio.sleep(0.01)


def meter(name: str, key: str | None = None) -> MeterConfig:
    case = TELEGRAMS[name]
    return MeterConfig(case["id"], case["driver"], case["key"] if key is None else key)


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@needs_binary
async def test_real_telegrams_plain_and_encrypted(tmp_path: Path) -> None:
    assert BINARY is not None
    write_config_dir(
        tmp_path,
        "stdin:hex",
        [meter("iperl_plain"), meter("multical21_aes"), meter("sharky_heat")],
        ignore_duplicates=False,
    )
    rec = Recorder()
    sup = rec.supervisor(BINARY, tmp_path, use_stdin=True, backoff=(0.05,))
    assert f"--useconfig={tmp_path}" in sup.argv
    keys = [c["key"] for c in TELEGRAMS.values() if isinstance(c, dict) and c["key"]]
    assert keys and all(key not in " ".join(sup.argv) for key in keys)
    sup.start()
    await until(lambda: sup.running)
    for name in ("iperl_plain", "multical21_aes", "sharky_heat"):
        await sup.write_stdin(TELEGRAMS[name]["hex"].encode() + b"\n")
    await sup.write_stdin(iperl_telegram("33225544", 123_600).encode() + b"\n")
    # a truncated copy of a valid telegram
    await sup.write_stdin(TELEGRAMS["iperl_plain"]["hex"][:30].encode() + b"\n")
    await sup.write_stdin(iperl_telegram("33225544", 123_700).encode() + b"\n")
    await sup.write_stdin(iperl_telegram("33225544", 123_800).encode() + b"\n")
    await until(lambda: bool(rec.telegrams) and rec.telegrams[-1].values.get("total_m3") == 123.8)
    by_id = {t.meter_id: t for t in rec.telegrams[:3]}
    for name in ("iperl_plain", "multical21_aes", "sharky_heat"):
        case = TELEGRAMS[name]
        telegram = by_id[case["id"]]
        assert telegram.name == f"em_{case['id']}"
        for field, expected in case["expected"].items():
            if field == "media":
                assert telegram.media == expected
            elif field == "meter":
                assert telegram.driver == expected
            else:
                assert telegram.values[field] == expected, field
    # the truncated telegram swallowed the start of the next one (stdin:hex splits by the
    # length byte): that reading is lost and wmbusmeters repeats the meter's last state,
    # but no value that the meter did not send ever comes out
    totals = [t.values["total_m3"] for t in rec.telegrams[3:]]
    assert set(totals) <= {123.6, 123.7, 123.8}
    assert totals[0] == 123.6
    assert sup.telegrams == len(rec.telegrams)
    await sup.stop()
    assert sup.state is State.STOPPED
    assert rec.ended == []  # a requested stop is not a crash


@needs_binary
async def test_wrong_key_reported_on_stderr(tmp_path: Path) -> None:
    assert BINARY is not None
    wrong = "28F64A24988064A079AA2C807D6102AF"
    write_config_dir(tmp_path, "stdin:hex", [meter("multical21_aes", wrong)])
    rec = Recorder()
    sup = rec.supervisor(BINARY, tmp_path, use_stdin=True)
    sup.start()
    await until(lambda: sup.running)
    await sup.write_stdin(TELEGRAMS["multical21_aes"]["hex"].encode() + b"\n")
    await until(lambda: any("decryption key" in line for line in rec.stderr))
    messages = [m for line in rec.stderr if (m := classify(line)) is not None]
    assert messages[0].problem is Problem.WRONG_KEY
    assert messages[0].subject == "76348799"
    assert rec.telegrams == []
    # the key is fixed in the file; SIGHUP makes wmbusmeters reread it in-process
    write_config_dir(tmp_path, "stdin:hex", [meter("multical21_aes")])
    pid = sup.process.pid if sup.process else 0
    assert sup.reload()
    await until(
        lambda: any(
            "HUP" in line or "reload" in line.lower() for line in rec.stderr + rec.diagnostics
        )
    )
    assert sup.process is not None and sup.process.pid == pid
    await sup.stop()
    assert not sup.reload()


@needs_binary
async def test_unknown_driver_is_a_diagnostic_and_restarts(tmp_path: Path) -> None:
    assert BINARY is not None
    write_config_dir(tmp_path, "stdin:hex", [MeterConfig("33225544", "nosuchdriver")])
    rec = Recorder()
    sup = rec.supervisor(BINARY, tmp_path, use_stdin=True, backoff=(0.05, 0.1))
    sup.start()
    await until(lambda: len(rec.ended) >= 2)
    ended = rec.ended[0]
    assert ended.reason is ExitReason.EXITED
    assert ended.returncode == 1
    problems = [classify(line) for line in ended.diagnostics]
    assert any(p is not None and p.problem is Problem.UNKNOWN_DRIVER for p in problems)
    assert "No such driver nosuchdriver" in " ".join(rec.diagnostics)
    assert sup.restarts >= 2
    await sup.stop()


@needs_binary
async def test_killed_process_restarts(tmp_path: Path) -> None:
    assert BINARY is not None
    write_config_dir(tmp_path, "stdin:hex", [meter("iperl_plain")])
    rec = Recorder()
    sup = rec.supervisor(BINARY, tmp_path, use_stdin=True, backoff=(0.05,))
    sup.start()
    await until(lambda: sup.running)
    first = sup.process
    assert first is not None
    os.kill(first.pid, signal.SIGKILL)
    await until(lambda: sup.runs == 2 and sup.running)
    assert rec.ended[0].returncode == -signal.SIGKILL
    assert gone(first.pid)
    await sup.write_stdin(TELEGRAMS["iperl_plain"]["hex"].encode() + b"\n")
    await until(lambda: len(rec.telegrams) == 1)
    await sup.stop()


@needs_binary
async def test_stopped_process_detected_as_hung(tmp_path: Path) -> None:
    assert BINARY is not None
    write_config_dir(tmp_path, "stdin:hex", [meter("iperl_plain")])
    rec = Recorder()
    sup = rec.supervisor(
        BINARY, tmp_path, use_stdin=True, backoff=(0.05,), hang_check_interval=0.05
    )
    sup.start()
    await until(lambda: sup.running)
    first = sup.process
    assert first is not None
    os.kill(first.pid, signal.SIGSTOP)
    await until(lambda: bool(rec.ended))
    assert rec.ended[0].reason is ExitReason.HUNG
    assert gone(first.pid)
    await until(lambda: sup.running)
    await sup.write_stdin(TELEGRAMS["iperl_plain"]["hex"].encode() + b"\n")
    await until(lambda: len(rec.telegrams) == 1)
    await sup.stop()


@needs_binary
async def test_silence_restarts(tmp_path: Path) -> None:
    assert BINARY is not None
    write_config_dir(tmp_path, "stdin:hex", [meter("iperl_plain")])
    rec = Recorder()
    sup = rec.supervisor(
        BINARY,
        tmp_path,
        use_stdin=True,
        backoff=(0.05,),
        hang_check_interval=0.05,
        silence_timeout=0.2,
    )
    sup.start()
    await until(lambda: bool(rec.ended))
    assert rec.ended[0].reason is ExitReason.SILENT
    await sup.stop()


@needs_binary
async def test_stop_leaves_nothing_running(tmp_path: Path) -> None:
    assert BINARY is not None
    write_config_dir(tmp_path, "stdin:hex", [meter("iperl_plain")])
    sup = Recorder().supervisor(BINARY, tmp_path, use_stdin=True)
    sup.start()
    sup.start()  # idempotent
    await until(lambda: sup.running)
    assert sup.process is not None
    pid = sup.process.pid
    await sup.stop()
    assert gone(pid)
    assert sup.process is None
    with pytest.raises(ConnectionError):
        await sup.write_stdin(b"00\n")


def _script(tmp_path: Path, body: str) -> str:
    path = tmp_path / "fake-wmbusmeters"
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


async def test_fake_process_rc0_exit_restarts_with_backoff(tmp_path: Path) -> None:
    fake = _script(
        tmp_path,
        'echo "not json"\n'
        'echo \'{"_":"telegram","id":"33225544","total_m3":1}\'\n'
        "echo 'warning' >&2\nexit 0\n",
    )
    rec = Recorder()
    sup = rec.supervisor(fake, tmp_path, backoff=(0.01, 0.02))
    sup.start()
    await until(lambda: len(rec.ended) >= 3)
    assert all(e.reason is ExitReason.EXITED and e.returncode == 0 for e in rec.ended)
    assert rec.ended[0].diagnostics == ("not json", "warning")
    assert rec.diagnostics[0] == "not json"
    assert rec.telegrams[0].values == {"total_m3": 1}
    assert rec.started >= 3
    await sup.stop()


async def test_fake_process_ignoring_term_is_killed(tmp_path: Path) -> None:
    fake = _script(tmp_path, "trap '' TERM\nwhile true; do sleep 0.05; done\n")
    rec = Recorder()
    sup = rec.supervisor(fake, tmp_path, stop_timeout=0.2)
    sup.start()
    await until(lambda: sup.running)
    assert sup.process is not None
    pid = sup.process.pid
    await asyncio.sleep(0.1)  # let the shell install its trap
    await sup.stop()
    assert gone(pid)


async def test_restart_request_and_missing_binary(tmp_path: Path) -> None:
    fake = _script(tmp_path, "exec sleep 30\n")
    rec = Recorder()
    sup = rec.supervisor(fake, tmp_path, backoff=(30.0,))
    sup.start()
    await until(lambda: sup.running)
    sup.restart()  # ends the run, then skips the backoff
    await until(lambda: sup.runs == 2 and sup.running)
    await sup.stop()
    missing = Recorder()
    sup = missing.supervisor(str(tmp_path / "nope"), tmp_path, backoff=(0.01,))
    sup.start()
    await until(lambda: len(missing.ended) >= 2)
    assert missing.ended[0].reason is ExitReason.SPAWN_FAILED
    await sup.stop()


def test_process_stopped_reads_proc() -> None:
    assert not process_stopped(os.getpid())
    assert not process_stopped(2**22 + 12345)
