"""
The simulated meters ``scripts/develop`` starts, and how each is added.

One row per simulator: the command that runs it and the answers our config
flow needs to add it. Each meter kind adds its own rows here.

The demo Linkys follow the wall clock and draw along the realistic daily curve
(``simulators.tic_model.DailyCurve``); tests never rely on that: they give the
simulator an explicit load and clock (``--load-va``, ``--start``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
import sys
import tempfile
from typing import Any


@dataclass(frozen=True)
class DevMeter:
    """A simulator process and the config-flow answers that add it."""

    name: str
    command: Sequence[str]
    flow_steps: Sequence[Mapping[str, Any]]
    title_contains: str = ""  # how to recognise its config entry on later starts
    env: Mapping[str, str] = field(default_factory=dict)
    #: devices declared once the entry exists: (subentry type, answers of its flow)
    subentries: Sequence[tuple[str, Mapping[str, Any]]] = ()


WMBUS_SIMULATION = Path(tempfile.gettempdir()) / "energy-meters-dev" / "simulation_wmbus.txt"


def _tic(profile: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "simulators.tic",
        "--profile",
        profile,
        "--tcp",
        f"127.0.0.1:{port}",
    ]


DEV_METERS: tuple[DevMeter, ...] = (
    # Device names make the entity IDs the README's examples use:
    # sensor.linky_tempo_colour_tomorrow, binary_sensor.linky_reference_power_exceeded…
    DevMeter(
        name="Linky standard, single-phase, Tempo",
        command=_tic("standard-tempo", 7101),
        flow_steps=(
            {"next_step_id": "linky"},
            {"device": "socket://127.0.0.1:7101", "name": "Linky"},
        ),
    ),
    DevMeter(
        name="Linky historique, Tempo",
        command=_tic("historic-mono-tempo", 7102),
        flow_steps=(
            {"next_step_id": "linky"},
            {"device": "socket://127.0.0.1:7102", "name": "Linky historique"},
        ),
    ),
    DevMeter(
        name="Linky standard, three-phase producer",
        command=_tic("standard-tri-producer", 7103),
        flow_steps=(
            {"next_step_id": "linky"},
            {"device": "socket://127.0.0.1:7103", "name": "Linky producer"},
        ),
    ),
    DevMeter(
        name="FRITZ!Box (fake): plugs, thermostat, contact",
        command=[
            sys.executable,
            "-m",
            "simulators.fritzbox",
            "--listen",
            "127.0.0.1:7201",
            "--username",
            "dev",
            "--password",
            "dev-fritz",
        ],
        flow_steps=(
            {"next_step_id": "fritzbox"},
            {
                "host": "http://127.0.0.1:7201",
                "username": "dev",
                "password": "dev-fritz",
                "verify_ssl": False,
            },
        ),
        title_contains="FRITZ!Box",
    ),
    DevMeter(
        # over TCP the readout stays at the sign-on speed (raw TCP cannot switch baud)
        name="IEC 62056-21 readout meter (L+G E350-like)",
        command=[sys.executable, "-m", "simulators.iec62056", "--tcp", "127.0.0.1:7202"],
        flow_steps=(
            {"next_step_id": "optical"},
            {"device": "socket://127.0.0.1:7202"},
            {},  # "Meter found": add it
        ),
        title_contains="IEC 62056-21",
    ),
    DevMeter(
        name="wM-Bus receiver (wmbusmeters replaying telegrams): two water meters",
        command=[
            sys.executable,
            "-m",
            "simulators.wmbus",
            "--out",
            str(WMBUS_SIMULATION),
        ],
        flow_steps=(
            {"next_step_id": "wmbus"},
            {"device": str(WMBUS_SIMULATION), "binary": "wmbusmeters"},
        ),
        subentries=(
            ("wmbus_meter", {"name": "Kitchen water", "meter_id": "33225544", "driver": "iperl"}),
            ("wmbus_meter", {"name": "Garden water", "meter_id": "12345670", "driver": "iperl"}),
        ),
    ),
)
