"""End to end: ``scripts/develop`` stops everything on SIGINT or SIGTERM to its own PID.

A service manager or an IDE stops the demo by signalling the PID it started,
not the terminal's process group. The script must *become* the Python
orchestrator (exec all the way down), and the orchestrator must stop Home
Assistant and every simulator whatever it is doing: waiting for Home Assistant
to start, or ready. Home Assistant gets a small configuration (no frontend)
on a free port; ``EM_DEVELOP_SKIP_INSTALL`` skips the web-UI requirements.

Timeouts are upper bounds only: nothing waits for a fixed time.
"""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
from dataclasses import dataclass
import os
from pathlib import Path
import signal
import socket
import subprocess
import time

import pytest

from devtools.dev_meters import DEV_METERS
from devtools.hass_runner import REPO, prepare_config

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("socket_enabled")]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace")


def _children(pid: int) -> dict[int, str]:
    """PID -> command line of the processes whose parent is ``pid`` (zombies included)."""
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may contain spaces, so split after ")"
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found[int(entry.name)] = _cmdline(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@dataclass
class Develop:
    """A running ``scripts/develop`` and what it was started with."""

    proc: subprocess.Popen[bytes]
    out: Path
    log: Path
    seen: dict[int, str]  # every child seen so far: PID -> command line

    def children_once_hass_started(self, timeout: float = 120) -> dict[int, str]:
        """Wait until the orchestrator has started the simulators and ``hass``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"scripts/develop exited early: {self.output()}"
            if "devtools.develop" in _cmdline(self.proc.pid):  # past the shell's own forks
                self.seen.update(_children(self.proc.pid))
            if any("homeassistant" in cmd for cmd in self.seen.values()):
                return dict(self.seen)
            time.sleep(0.05)
        raise AssertionError(f"hass was not started within {timeout:.0f} s: {self.output()}")

    def wait_for_output(self, text: str, timeout: float = 300) -> None:
        """Wait until the script prints ``text``."""
        deadline = time.monotonic() + timeout
        while text not in self.out.read_text(errors="replace"):
            assert self.proc.poll() is None, f"scripts/develop exited early: {self.output()}"
            assert time.monotonic() < deadline, (
                f"no {text!r} within {timeout:.0f} s: {self.output()}"
            )
            time.sleep(0.1)

    def output(self) -> str:
        """What the script printed, and the end of Home Assistant's log."""
        text = self.out.read_text(errors="replace")
        if self.log.exists():
            text += "\n--- develop.log ---\n" + self.log.read_text(errors="replace")[-3000:]
        return text


@pytest.fixture
def develop(tmp_path: Path) -> Iterator[Develop]:
    """``scripts/develop`` on a small config and a free port, cleaned up whatever happens."""
    config_dir = tmp_path / "config"
    port = _free_port()
    # configuration.yaml exists, so scripts/develop keeps it (no frontend needed)
    prepare_config(config_dir, components=("api", "config", "onboarding"), http_port=port)
    out = tmp_path / "develop.out"
    with out.open("wb") as out_file:
        proc = subprocess.Popen(
            [str(REPO / "scripts" / "develop"), "--config", str(config_dir), "--port", str(port)],
            cwd=REPO,
            stdout=out_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # never reached by a Ctrl-C meant for pytest
            env={**os.environ, "EM_DEVELOP_SKIP_INSTALL": "1"},
        )
    run = Develop(proc, out, config_dir / "develop.log", {})
    try:
        yield run
    finally:
        for pid in [*run.seen, proc.pid]:  # each child leads its own process group
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)


def _assert_stops_everything(
    run: Develop, signum: signal.Signals, children: dict[int, str]
) -> None:
    # the script's own PID is the orchestrator: no wrapper holds the signal
    assert "devtools.develop" in _cmdline(run.proc.pid), _cmdline(run.proc.pid)
    assert len(children) == len(DEV_METERS) + 1, children

    os.kill(run.proc.pid, signum)
    try:
        code = run.proc.wait(90)  # hass gets 30 s to stop before SIGKILL
    except subprocess.TimeoutExpired:
        pytest.fail(f"scripts/develop still runs after {signum.name}")
    output = run.output()
    assert code == 0, output
    assert f"stopped on {signum.name}" in output, output
    # stopped and reaped: an orphan would still be alive under another parent
    left = {pid: cmd for pid, cmd in children.items() if _alive(pid)}
    assert not left, left


def test_sigint_while_home_assistant_starts(develop: Develop) -> None:
    """SIGINT to the script's PID while it waits for Home Assistant stops everything."""
    children = develop.children_once_hass_started()
    _assert_stops_everything(develop, signal.SIGINT, children)


def test_sigterm_once_ready(develop: Develop) -> None:
    """SIGTERM to the script's PID once the demo is ready stops everything."""
    children = develop.children_once_hass_started()
    develop.wait_for_output("ready: http://127.0.0.1:")
    _assert_stops_everything(develop, signal.SIGTERM, children)
