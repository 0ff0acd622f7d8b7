"""
``scripts/develop``: Home Assistant with this integration and simulated meters.

Starts every simulator of :mod:`devtools.dev_meters`, then ``hass`` on
http://127.0.0.1:8123 with ``config/`` as its configuration directory. On the
first start it completes onboarding with the dev account and adds one config
entry per simulator through our config flow, over the REST API. Ctrl-C,
SIGINT or SIGTERM (at any point, also while starting) stops Home Assistant and
every simulator, then exits 0.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
import contextlib
import os
from pathlib import Path
import signal
import subprocess
import sys
import time

from devtools.dev_meters import DEV_METERS
from devtools.hass_runner import (
    DEV_PASSWORD,
    DEV_USER,
    REPO,
    HassClient,
    HassError,
    prepare_config,
    start_hass,
    stop_process,
)

DEFAULT_PORT = 8123
DEV_COMPONENTS = (
    "frontend",
    "config",
    "onboarding",
    "recorder",
    "history",
    "logbook",
    "energy",
    "system_health",
    "diagnostics",
    "repairs",
)


def _say(text: str) -> None:
    print(f"\033[1;34m[develop]\033[0m {text}", flush=True)


def _add_missing_entries(client: HassClient) -> None:
    for meter in DEV_METERS:
        result = client.run_flow("energy_meters", meter.flow_steps)
        kind = result.get("type")
        if kind == "create_entry":
            _say(f"added {meter.name}: {result.get('title')}")
            entry_id = result["result"]["entry_id"]
            for subentry_type, answers in meter.subentries:
                added = client.run_subentry_flow(entry_id, subentry_type, [answers])
                _say(f"  declared {answers.get('name')}: {added.get('type')}")
        elif kind == "abort" and result.get("reason") in (
            "already_configured",
            "port_already_used",
        ):
            _say(f"{meter.name}: already configured")
        else:
            _say(f"could not add {meter.name}: {result}")


class _StopRequestedError(BaseException):
    """
    SIGINT or SIGTERM arrived: unwind to the cleanup in :func:`main`.

    A ``BaseException``, like ``KeyboardInterrupt``: no ``except Exception`` on
    the way (such as the cleanup's own) may swallow it.
    """


class _StopSignals:
    """
    The first SIGINT or SIGTERM raises :class:`_StopRequestedError`, once; later ones are only noted.

    Raising from the handler interrupts whatever is waiting (Home Assistant's
    first start, an HTTP call, a sleep). Inside :meth:`deferred` the signal is
    only noted and raised on leaving the block, so a process just started is
    always in the list the cleanup stops. As it is raised at most once, the
    cleanup that follows cannot itself be interrupted.
    """

    def __init__(self) -> None:
        self.received: int | None = None
        self._deferring = False
        self._raised = False

    def install(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._handle)

    def _raise_once(self) -> None:
        if self.received is not None and not self._raised:
            self._raised = True
            raise _StopRequestedError

    def _handle(self, signum: int, _frame: object) -> None:
        if self.received is None:
            self.received = signum
        if not self._deferring:
            self._raise_once()

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        self._deferring = True
        try:
            yield
        finally:
            self._deferring = False
        self._raise_once()


def _stop_all(children: list[subprocess.Popen[bytes]]) -> None:
    """Stop Home Assistant (started last) first, then the simulators."""
    for child in reversed(children):
        with contextlib.suppress(Exception):
            stop_process(child)


def _run(
    args: argparse.Namespace, signals: _StopSignals, children: list[subprocess.Popen[bytes]]
) -> int:
    config_dir: Path = args.config.resolve()
    url = f"http://127.0.0.1:{args.port}"
    prepare_config(
        config_dir,
        components=DEV_COMPONENTS,
        http_port=None if args.port == DEFAULT_PORT else args.port,
    )
    for meter in DEV_METERS:
        _say(f"starting simulator: {meter.name}")
        with signals.deferred():
            children.append(
                subprocess.Popen(  # noqa: S603 - our own simulators
                    list(meter.command),
                    cwd=REPO,
                    start_new_session=True,
                    env={**os.environ, **meter.env},
                )
            )
    _say(f"starting Home Assistant with config {config_dir}")
    with signals.deferred():
        hass = start_hass(config_dir, log_file=config_dir / "develop.log")
        children.append(hass)
    client = HassClient(url)
    _say("waiting for Home Assistant (the first start installs the frontend)")
    client.wait_until_up(timeout=600, proc=hass)
    client.onboard_or_login(config_dir / ".dev_onboarded")  # also confirms the http: port
    _add_missing_entries(client)
    _say(
        f"ready: {url}  user {DEV_USER!r}  password {DEV_PASSWORD!r}"
        f"  (log: {config_dir / 'develop.log'})"
    )
    if args.exit_after_setup:
        for _ in range(60):
            live = [
                s
                for s in client.states()
                if s["entity_id"].startswith("sensor.linky")
                and s["state"] not in ("unavailable", "unknown")
            ]
            if live:
                _say(
                    f"{len(live)} live Linky sensors, e.g. {live[0]['entity_id']} = {live[0]['state']}"
                )
                return 0
            time.sleep(1)
        return 1
    while hass.poll() is None:
        time.sleep(0.5)
    _say(f"Home Assistant exited ({hass.returncode})")
    return 1


def main() -> int:
    """Run until Ctrl-C, SIGINT or SIGTERM."""
    signals = _StopSignals()
    signals.install()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, default=REPO / "config")
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help="HTTP port of Home Assistant (written into a new config dir only)",
    )
    parser.add_argument(
        "--exit-after-setup",
        action="store_true",
        help="stop once the meters are added and a state is live (for checks)",
    )
    children: list[subprocess.Popen[bytes]] = []
    try:
        try:
            return _run(parser.parse_args(), signals, children)
        except HassError as err:
            _say(f"error: {err}")
            return 1
        finally:
            _stop_all(children)
    except _StopRequestedError:
        # raised once at most: if it cut the cleanup above short, this one completes
        _stop_all(children)
        name = signal.Signals(signals.received or signal.SIGTERM).name
        _say(f"stopped on {name}: Home Assistant and the simulators are down")
        return 0


if __name__ == "__main__":
    sys.exit(main())
