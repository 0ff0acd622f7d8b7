"""
The wmbusmeters process, supervised: started, watched, restarted, stopped.

* Started with ``asyncio.create_subprocess_exec`` (an argument list, never a
  shell) as ``wmbusmeters --useconfig=DIR`` in a session of its own, so a stop
  also ends what it spawned (``rtl_sdr | rtl_wmbus``).
* stdout and stderr are read concurrently, line by line, and handed to
  callbacks at once: the pipes never fill, so the process never blocks on a
  slow consumer. stdout lines that are not telegrams are diagnostics.
* Restarted with exponential backoff whenever it exits without being asked,
  rc 0 included (``--nodeviceexit`` exits 0 when the dongle is gone); the
  backoff resets once a run has delivered a telegram.
* A hang is detected two ways: the process is stopped (``T`` in
  ``/proc/<pid>/stat``, e.g. SIGSTOP), or nothing arrived on stdout for
  ``silence_timeout`` seconds. Both restart it (SIGTERM, then SIGKILL).
* ``reload()`` sends SIGHUP: with ``--useconfig`` wmbusmeters rereads its
  files in-process, which also clears the "permanently ignoring" state of a
  meter after its key was fixed.
* ``stop()``: SIGTERM to the process group, SIGKILL after ``stop_timeout``,
  then the process is reaped: no zombie, nothing left running.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
import contextlib
from dataclasses import dataclass
from enum import StrEnum
import logging
import os
from pathlib import Path
import signal
from typing import Final

from .output import Telegram, mask_meter_ids, parse_line

LOGGER: Final = logging.getLogger(__name__)
BACKOFF: Final = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
STOP_TIMEOUT: Final = 5.0
HANG_CHECK_INTERVAL: Final = 2.0
MAX_LINE: Final = 1 << 20


class State(StrEnum):
    """What the supervisor is doing."""

    STARTING = "starting"
    RUNNING = "running"
    RESTARTING = "restarting"
    STOPPED = "stopped"


class ExitReason(StrEnum):
    """Why a run ended."""

    EXITED = "exited"
    HUNG = "hung"
    SILENT = "silent"
    SPAWN_FAILED = "spawn_failed"


@dataclass(frozen=True, slots=True)
class RunEnded:
    """How a run ended: the reason, the exit code, the last diagnostic lines."""

    reason: ExitReason
    returncode: int | None
    diagnostics: tuple[str, ...]


type LineCallback = Callable[[str], None]
type TelegramCallback = Callable[[Telegram], None]
type EndedCallback = Callable[[RunEnded], None]
type StartedCallback = Callable[[], None]


def _noop(*_args: object) -> None:
    return None


def process_stopped(pid: int) -> bool:
    """Tell whether a process is stopped (``T``/``t`` in /proc): it cannot make progress."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] in {"T", "t"}


class Supervisor:
    """One long-running wmbusmeters process."""

    def __init__(
        self,
        binary: str,
        config_dir: Path,
        *,
        on_telegram: TelegramCallback,
        on_stderr: LineCallback = _noop,
        on_diagnostic: LineCallback = _noop,
        on_started: StartedCallback = _noop,
        on_ended: EndedCallback = _noop,
        use_stdin: bool = False,
        silence_timeout: float | None = None,
        backoff: Sequence[float] = BACKOFF,
        stop_timeout: float = STOP_TIMEOUT,
        hang_check_interval: float = HANG_CHECK_INTERVAL,
        extra_args: Sequence[str] = (),
    ) -> None:
        """Prepare; nothing runs before :meth:`start`."""
        self.binary = binary
        self.config_dir = config_dir
        self._on_telegram = on_telegram
        self._on_stderr = on_stderr
        self._on_diagnostic = on_diagnostic
        self._on_started = on_started
        self._on_ended = on_ended
        self.use_stdin = use_stdin
        self.silence_timeout = silence_timeout
        self.backoff = tuple(backoff)
        self.stop_timeout = stop_timeout
        self.hang_check_interval = hang_check_interval
        self.extra_args = tuple(extra_args)
        self.state = State.STOPPED
        self.process: asyncio.subprocess.Process | None = None
        self.runs = 0
        self.telegrams = 0
        self.restarts = 0
        self.last_ended: RunEnded | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._kick = asyncio.Event()
        self._delivered = False
        self._skip_backoff = False
        self._last_output = 0.0

    @property
    def argv(self) -> list[str]:
        """The command line (no key on it: keys live in the meter files)."""
        return [self.binary, *self.extra_args, f"--useconfig={self.config_dir}"]

    @property
    def running(self) -> bool:
        """Tell whether a process is up."""
        return self.state is State.RUNNING

    def start(self) -> None:
        """Start supervising (idempotent)."""
        if self._task is None or self._task.done():
            self._stopping = False
            self._task = asyncio.get_running_loop().create_task(self._supervise())

    async def stop(self) -> None:
        """Stop the process and the supervision; wait until both are gone."""
        self._stopping = True
        self._kick.set()
        task, self._task = self._task, None
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.state = State.STOPPED

    def reload(self) -> bool:
        """Ask the process to reread its configuration (SIGHUP); False if none runs."""
        process = self.process
        if process is None or process.returncode is not None:
            return False
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGHUP)
            return True
        return False  # pragma: no cover - exited between the check and the signal

    def restart(self) -> None:
        """End the current run now; it is started again without waiting for the backoff."""
        self._skip_backoff = True
        self._kick.set()

    async def write_stdin(self, data: bytes) -> None:
        """Feed bytes to the process's stdin (``stdin:hex`` receivers, tests)."""
        process = self.process
        if process is None or process.stdin is None:
            raise ConnectionError("wmbusmeters is not running")
        process.stdin.write(data)
        await process.stdin.drain()

    def stop_requested(self) -> bool:
        """Tell whether :meth:`stop` was called (the run that ends is not a crash)."""
        return self._stopping

    # --- the loop --------------------------------------------------------------------
    async def _supervise(self) -> None:
        attempt = 0
        try:
            while not self._stopping:
                self.state = State.STARTING
                ended = await self._run_once()
                self.last_ended = ended
                if self.stop_requested():
                    break
                if ended.reason is not ExitReason.SPAWN_FAILED and self._delivered:
                    attempt = 0
                LOGGER.debug("wmbusmeters run ended: %s", mask_meter_ids(str(ended)))
                self.restarts += 1
                self.state = State.RESTARTING
                self._on_ended(ended)
                delay = self.backoff[min(attempt, len(self.backoff) - 1)] if self.backoff else 0.0
                attempt += 1
                if self._skip_backoff:
                    self._skip_backoff, delay = False, 0.0
                self._kick.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._kick.wait()
        finally:
            self.state = State.STOPPED

    async def _run_once(self) -> RunEnded:
        self._delivered = False
        self._kick.clear()
        try:
            process = await asyncio.create_subprocess_exec(
                *self.argv,
                stdin=asyncio.subprocess.PIPE if self.use_stdin else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
                limit=MAX_LINE,
            )
        except OSError as err:
            return RunEnded(ExitReason.SPAWN_FAILED, None, (str(err),))
        self.process = process
        self.runs += 1
        self.state = State.RUNNING
        self._last_output = asyncio.get_running_loop().time()
        diagnostics: list[str] = []
        assert process.stdout is not None
        assert process.stderr is not None
        readers = [
            asyncio.create_task(self._read_stdout(process.stdout, diagnostics)),
            asyncio.create_task(self._read_stderr(process.stderr, diagnostics)),
        ]
        self._on_started()
        reason = ExitReason.EXITED
        try:
            reason = await self._watch(process)
        finally:
            if process.returncode is None:
                await self._terminate(process)
            else:
                await process.wait()
            for reader in readers:
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(reader, self.stop_timeout)
            if process.stdin is not None:
                process.stdin.close()
            self.process = None
        return RunEnded(reason, process.returncode, tuple(diagnostics[-10:]))

    async def _watch(self, process: asyncio.subprocess.Process) -> ExitReason:
        """Wait for the exit, a stop or restart request, a hang or silence."""
        loop = asyncio.get_running_loop()
        waiter = asyncio.ensure_future(process.wait())
        kick = asyncio.ensure_future(self._kick.wait())
        try:
            while True:
                done, _ = await asyncio.wait(
                    {waiter, kick},
                    timeout=self.hang_check_interval,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if done:
                    return ExitReason.EXITED
                if process_stopped(process.pid):
                    LOGGER.warning("wmbusmeters (pid %s) is stopped: restarting it", process.pid)
                    return ExitReason.HUNG
                if (
                    self.silence_timeout is not None
                    and loop.time() - self._last_output > self.silence_timeout
                ):
                    LOGGER.info(
                        "wmbusmeters said nothing for %.0f s: restarting it", self.silence_timeout
                    )
                    return ExitReason.SILENT
        finally:
            for future in (waiter, kick):
                future.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await future

    async def _terminate(self, process: asyncio.subprocess.Process) -> None:
        """SIGTERM the process group (and CONT it: a stopped process ignores TERM), then KILL."""
        for sig in (signal.SIGTERM, signal.SIGCONT):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, sig)
        try:
            async with asyncio.timeout(self.stop_timeout):
                await process.wait()
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
        # what it spawned in its session (rtl_sdr…) goes too
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)

    async def _read_stdout(self, stream: asyncio.StreamReader, diagnostics: list[str]) -> None:
        async for raw in stream:
            self._last_output = asyncio.get_running_loop().time()
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            telegram = parse_line(line)
            if telegram is None:
                if line.strip():
                    diagnostics.append(line)
                    self._on_diagnostic(line)
                continue
            self.telegrams += 1
            self._delivered = True
            self._on_telegram(telegram)

    async def _read_stderr(self, stream: asyncio.StreamReader, diagnostics: list[str]) -> None:
        async for raw in stream:
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            if line.strip():
                diagnostics.append(line)
                self._on_stderr(line)
