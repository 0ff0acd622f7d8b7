"""
``scripts/develop``: Home Assistant with this integration and simulated meters.

Starts every simulator of :mod:`devtools.dev_meters`, then ``hass`` on
http://127.0.0.1:8123 with ``config/`` as its configuration directory. On the
first start it completes onboarding with the dev account and adds one config
entry per simulator through our config flow, over the REST API. Ctrl-C stops
Home Assistant and every simulator.
"""

from __future__ import annotations

import argparse
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
        elif kind == "abort" and result.get("reason") == "already_configured":
            _say(f"{meter.name}: already configured")
        else:
            _say(f"could not add {meter.name}: {result}")


def main() -> int:
    """Run until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, default=REPO / "config")
    parser.add_argument(
        "--exit-after-setup",
        action="store_true",
        help="stop once the meters are added and a state is live (for checks)",
    )
    args = parser.parse_args()
    config_dir: Path = args.config.resolve()
    prepare_config(config_dir, components=DEV_COMPONENTS)

    sims: list[subprocess.Popen[bytes]] = []
    hass: subprocess.Popen[bytes] | None = None
    stopping = False

    def _stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        for meter in DEV_METERS:
            _say(f"starting simulator: {meter.name}")
            sims.append(
                subprocess.Popen(  # noqa: S603 - our own simulators
                    list(meter.command),
                    cwd=REPO,
                    start_new_session=True,
                    env={**os.environ, **meter.env},
                )
            )
        _say(f"starting Home Assistant with config {config_dir}")
        hass = start_hass(config_dir, log_file=config_dir / "develop.log")
        client = HassClient("http://127.0.0.1:8123")
        _say("waiting for Home Assistant (the first start installs the frontend)")
        client.wait_until_up(timeout=600, proc=hass)
        client.onboard_or_login(config_dir / ".dev_onboarded")
        _add_missing_entries(client)
        _say(
            f"ready: http://127.0.0.1:8123  user {DEV_USER!r}  password {DEV_PASSWORD!r}"
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
        while not stopping:
            if hass.poll() is not None:
                _say(f"Home Assistant exited ({hass.returncode})")
                return 1
            time.sleep(0.5)
        _say("stopping")
        return 0
    except HassError as err:
        _say(f"error: {err}")
        return 1
    finally:
        if hass is not None:
            stop_process(hass)
        for sim in sims:
            with contextlib.suppress(Exception):
                stop_process(sim, timeout=5)


if __name__ == "__main__":
    sys.exit(main())
