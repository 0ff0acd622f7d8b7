"""End to end: a real ``hass`` process, onboarded and configured over HTTP.

The same machinery as ``scripts/develop`` (``devtools.hass_runner``): a
temporary config dir, onboarding with the dev account, our config flow run over
``/api/config/config_entries/flow`` against the TIC simulator on a real pty, and
a live entity state read back from ``/api/states``.
"""

from __future__ import annotations

from collections.abc import Iterator
import json
from pathlib import Path
import socket
import subprocess
import sys
import time

import pytest

from devtools.hass_runner import (
    HassClient,
    leaked_secrets,
    prepare_config,
    start_hass,
    stop_process,
)

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("socket_enabled")]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def tic_pty(tmp_path: Path) -> Iterator[Path]:
    """A standard-mode single-phase Linky simulator behind a socat pty."""
    link = tmp_path / "linky"
    sim = subprocess.Popen(
        [sys.executable, "-m", "simulators.tic", "--profile", "standard-mono", "--pty", str(link)],
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 10
        while not link.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert link.exists(), "the simulator did not create its pty"
        yield link
    finally:
        stop_process(sim, timeout=5)


def _wait_for_live_linky(client: HassClient) -> dict[str, str]:
    """Device class -> state of the live Linky sensors, once power and energy are live."""
    live: dict[str, str] = {}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not {"apparent_power", "energy"} <= live.keys():
        for state in client.states():
            if state["entity_id"].startswith("sensor.linky") and state["state"] not in (
                "unavailable",
                "unknown",
            ):
                live[state["attributes"].get("device_class") or state["entity_id"]] = state["state"]
        time.sleep(0.5)
    return live


TEST_KIND_INTEGRATION = Path(__file__).parent / "energy_meters_testkind"


def _wait_for_state(client: HassClient, entity_id: str, value: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(s["entity_id"] == entity_id and s["state"] == value for s in client.states()):
            return True
        time.sleep(0.5)
    print([s for s in client.states() if s["entity_id"] == entity_id])
    return False


def _add_and_reconfigure_a_declared_meter(client: HassClient) -> None:
    """Add a meter as a config subentry over REST, see it live, then reconfigure it."""
    (hub,) = [entry for entry in client.entries() if entry["title"] == "Test hub"]
    assert hub["supported_subentry_types"] == {"test_meter": {"supports_reconfigure": True}}, hub
    added = client.run_subentry_flow(
        hub["entry_id"], "test_meter", [{"meter_id": "E2E1", "name": "Garden water"}]
    )
    assert added["type"] == "create_entry", added
    # polled every 5 s; the first reading waits for a confirming second one
    assert _wait_for_state(client, "sensor.garden_water_volume", "1.0", timeout=30)
    again = client.run_subentry_flow(hub["entry_id"], "test_meter", [{"meter_id": "E2E1"}])
    assert again == {**again, "type": "abort", "reason": "already_configured"}
    subentry_id = _subentry_id(client, hub["entry_id"])
    changed = client.run_subentry_flow(
        hub["entry_id"], "test_meter", [{"reading": 2.0}], subentry_id=subentry_id
    )
    assert changed == {**changed, "type": "abort", "reason": "reconfigure_successful"}
    assert _wait_for_state(client, "sensor.garden_water_volume", "2.0", timeout=30)


def _energy_dashboard_accepts(client: HassClient) -> None:
    """Configure a Linky index and the water meter as sources; ``energy/validate`` is clean."""
    energy = next(
        s["entity_id"]
        for s in client.states()
        if s["entity_id"].startswith("sensor.linky")
        and s["attributes"].get("device_class") == "energy"
        and s["attributes"].get("state_class") == "total"
        and s["state"] not in ("unknown", "unavailable")
    )
    grid = {
        "type": "grid",
        "stat_energy_from": energy,
        "stat_energy_to": None,
        "stat_cost": None,
        "entity_energy_price": None,
        "number_energy_price": None,
        "stat_compensation": None,
        "entity_energy_price_export": None,
        "number_energy_price_export": None,
        "cost_adjustment_day": 0,
    }
    water = {
        "type": "water",
        "stat_energy_from": "sensor.garden_water_volume",
        "stat_cost": None,
        "entity_energy_price": None,
        "number_energy_price": None,
    }
    client.websocket({"type": "energy/save_prefs", "energy_sources": [grid, water]})
    result = client.websocket({"type": "energy/validate"})
    # device class, unit and state class are accepted; before the recorder's first 5-minute
    # compile the only possible remark is that no statistics exist yet
    issues = [issue["type"] for source in result["energy_sources"] for issue in source]
    assert len(result["energy_sources"]) == 2, result
    assert set(issues) <= {"statistics_not_defined"}, result


def _subentry_id(client: HassClient, entry_id: str) -> str:
    """The id of the entry's only subentry (websocket: there is no REST listing)."""
    (subentry,) = client.websocket({"type": "config_entries/subentries/list", "entry_id": entry_id})
    assert subentry["title"] == "Garden water", subentry
    return str(subentry["subentry_id"])


def test_config_flow_over_rest_creates_live_entities(tmp_path: Path, tic_pty: Path) -> None:
    """Onboard, add the simulated Linky through the flow API, see a live sensor."""
    config_dir = tmp_path / "config"
    port = _free_port()
    prepare_config(
        config_dir,
        components=("api", "config", "onboarding", "recorder", "energy", "energy_meters_testkind"),
        http_port=port,
        extra_integrations=(TEST_KIND_INTEGRATION,),
    )
    log = tmp_path / "hass.log"
    hass = start_hass(config_dir, log_file=log)
    try:
        client = HassClient(f"http://127.0.0.1:{port}")
        client.wait_until_up(timeout=120, proc=hass)
        client.onboard_or_login(config_dir / ".onboarded")

        result = client.run_flow(
            "energy_meters", [{"next_step_id": "linky"}, {"device": str(tic_pty)}]
        )
        assert result["type"] == "create_entry", result
        assert result["title"].startswith("Linky ")

        live = _wait_for_live_linky(client)
        assert float(live["apparent_power"]) >= 0
        assert float(live["energy"]) > 0

        # a second attempt on the same meter is refused
        again = client.run_flow(
            "energy_meters", [{"next_step_id": "linky"}, {"device": str(tic_pty)}]
        )
        assert again == {**again, "type": "abort", "reason": "port_already_used"}

        # a hub whose meters are config subentries, driven over the subentry REST API
        _add_and_reconfigure_a_declared_meter(client)

        # the Energy dashboard accepts our counters: HA's own validation finds no issue
        _energy_dashboard_accepts(client)

        # restart: the dev account logs in (onboarding is over) and the meter comes back
        stop_process(hass)
        hass = start_hass(config_dir, log_file=log)
        client = HassClient(f"http://127.0.0.1:{port}")
        client.wait_until_up(timeout=120, proc=hass)
        client.onboard_or_login(config_dir / ".onboarded")
        assert sorted(entry["title"] for entry in client.entries())[0].startswith("Linky ")
        assert len(client.entries()) == 2  # the Linky and the test hub
        assert float(_wait_for_live_linky(client)["energy"]) > 0
        # the declared meter is back at once: its guard was restored, no second reading needed
        assert _wait_for_state(client, "sensor.garden_water_volume", "2.0", timeout=5)

        ours = [
            line
            for line in log.read_text(encoding="utf-8").splitlines()
            if "custom_components.energy_meters" in line
            and (" ERROR " in line or " WARNING " in line)
        ]
        assert not ours, ours
        # logs at debug level (our logger is at debug in this config) carry no full serial
        # and no delivery point (the simulator's standard-mono profile)
        text = log.read_text(encoding="utf-8")
        assert "DEBUG" in text
        secrets = ("041875097317", "01234567890123")
        # nor does any entry's diagnostics, downloaded as the UI's button does
        texts = {"log": text}
        for entry in client.entries():
            diagnostics = client.diagnostics(entry["entry_id"])
            assert diagnostics["data"], entry["title"]
            texts[f"diagnostics of {entry['title']}"] = json.dumps(diagnostics)
        assert leaked_secrets(texts, secrets) == []
    except BaseException:
        print(log.read_text(encoding="utf-8", errors="replace")[-5000:])
        raise
    finally:
        stop_process(hass)
