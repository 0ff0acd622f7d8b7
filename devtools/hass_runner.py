"""
Run a real Home Assistant and drive it over its HTTP API.

Shared by ``scripts/develop`` (the live demo) and the end-to-end test, so the
demo's machinery is what the test suite exercises: prepare a config dir with
this integration linked in, start ``hass``, complete onboarding with the dev
account, and add config entries through our own config flow over
``/api/config/config_entries/flow``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
import json
import os
from pathlib import Path
import signal
import subprocess
import sys
import time
from typing import Any
import urllib.error
import urllib.parse
import urllib.request

import aiohttp
from homeassistant.components.onboarding import STORAGE_KEY, STORAGE_VERSION
from homeassistant.components.onboarding.const import STEP_USER, STEPS

REPO = Path(__file__).resolve().parents[1]
INTEGRATION = REPO / "custom_components" / "energy_meters"
CLIENT_ID = "http://127.0.0.1:8123/"

DEV_USER = "dev"
DEV_PASSWORD = "dev-energy-meters"  # noqa: S105 - documented local demo account
DEV_NAME = "Energy Meters developer"

BASE_CONFIG = """\
homeassistant:
  name: Energy Meters (dev)
  latitude: 48.8566
  longitude: 2.3522
  elevation: 35
  unit_system: metric
  currency: EUR
  country: FR
  language: en
  time_zone: Europe/Paris

logger:
  default: warning
  logs:
    custom_components.energy_meters: debug
    # HA always loads its camera and TTS platforms, which look for an ffmpeg
    # binary: this environment has none (about 230 MB) and the demo uses neither
    haffmpeg: critical
"""


def prepare_config(
    config_dir: Path,
    *,
    components: Iterable[str],
    http_port: int | None = None,
    extra_integrations: Iterable[Path] = (),
) -> None:
    """
    Write configuration.yaml (only if missing) and link the integration in.

    ``extra_integrations`` are more custom integration folders to link (tests use
    a test-only kind); list their domains in ``components`` to load them.
    """
    config_dir.mkdir(parents=True, exist_ok=True)
    custom = config_dir / "custom_components"
    custom.mkdir(exist_ok=True)
    for source in (INTEGRATION, *extra_integrations):
        link = custom / source.name
        if (link.is_symlink() or link.exists()) and link.resolve() != source.resolve():
            link.unlink()
        if not link.exists():
            link.symlink_to(source.resolve(), target_is_directory=True)
    config_file = config_dir / "configuration.yaml"
    if config_file.exists():
        return
    text = BASE_CONFIG + "".join(f"\n{name}:\n" for name in components)
    if http_port is not None:
        text += f"\nhttp:\n  server_host: 127.0.0.1\n  server_port: {http_port}\n"
    config_file.write_text(text, encoding="utf-8")
    _skip_onboarding_steps_after_user(config_dir)


def _skip_onboarding_steps_after_user(config_dir: Path) -> None:
    """
    Mark every onboarding step but the user step done in a new config dir.

    Finishing the ``core_config`` step makes Home Assistant add Google Translate,
    Met.no, Radio Browser and Shopping list entries, whose network errors (no
    internet here) read as ours. Location, units and language
    come from ``configuration.yaml`` and the dev account is created through the
    ``user`` step as before; the other steps only ask what YAML already says.
    """
    store = config_dir / ".storage" / STORAGE_KEY
    if store.exists():
        return
    store.parent.mkdir(exist_ok=True)
    done = [step for step in STEPS if step != STEP_USER]
    data = {
        "version": STORAGE_VERSION,
        "minor_version": 1,
        "key": STORAGE_KEY,
        "data": {"done": done},
    }
    store.write_text(json.dumps(data), encoding="utf-8")


def start_hass(config_dir: Path, *, log_file: Path | None = None) -> subprocess.Popen[bytes]:
    """Start ``hass`` on ``config_dir`` (its own process group)."""
    out = log_file.open("ab") if log_file is not None else None
    return subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "homeassistant", "--config", str(config_dir)],
        stdout=out or None,
        stderr=subprocess.STDOUT if out else None,
        start_new_session=True,
        # not the repository: its own custom_components/ would shadow the config's
        cwd=config_dir,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """SIGTERM a process group, then SIGKILL it if it lingers."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


class HassError(RuntimeError):
    """An API call failed (``status`` is the HTTP status, if any)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        """Keep the HTTP status."""
        super().__init__(message)
        self.status = status


@dataclass
class HassClient:
    """Minimal synchronous client for the REST API (stdlib only)."""

    base_url: str
    token: str | None = None

    def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        form: Mapping[str, str] | None = None,
        timeout: float = 30.0,
    ) -> Any:
        """Call the API; return decoded JSON."""
        headers = {}
        data: bytes | None = None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
            self.base_url + path, data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
                raw = resp.read()
        except urllib.error.HTTPError as err:
            raise HassError(f"{method} {path}: {err.code} {err.read()[:300]!r}", err.code) from err
        return json.loads(raw) if raw else None

    def wait_until_up(
        self, timeout: float = 180.0, proc: subprocess.Popen[bytes] | None = None
    ) -> None:
        """Wait until the HTTP server answers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise HassError(f"hass exited with code {proc.returncode}")
            try:
                # needs no token; answers 400 until onboarding is done: either way, up
                self.request("GET", "/auth/providers", timeout=3)
            except HassError as err:
                if err.status is not None:
                    return
            except OSError:
                pass
            else:
                return
            time.sleep(0.5)
        raise HassError(f"Home Assistant did not answer within {timeout:.0f} s")

    # --- authentication -----------------------------------------------------------
    def onboard_or_login(self, state_file: Path) -> None:
        """Onboard with the dev account on first start, else log in with it."""
        try:
            steps = self.request("GET", "/api/onboarding")
        except HassError as err:
            if err.status != 404:
                raise
            steps = []  # onboarding finished: its API is gone
        pending = {step["step"] for step in steps if not step["done"]}
        if "user" in pending:
            result = self.request(
                "POST",
                "/api/onboarding/users",
                {
                    "client_id": CLIENT_ID,
                    "name": DEV_NAME,
                    "username": DEV_USER,
                    "password": DEV_PASSWORD,
                    "language": "en",
                },
            )
            self._exchange_code(result["auth_code"])
        else:
            self._login()
        if "core_config" in pending:
            self.request("POST", "/api/onboarding/core_config")
        if "analytics" in pending:
            self.request("POST", "/api/onboarding/analytics")
        if "integration" in pending:
            self.request(
                "POST",
                "/api/onboarding/integration",
                {"client_id": CLIENT_ID, "redirect_uri": CLIENT_ID},
            )
        state_file.write_text(json.dumps({"user": DEV_USER}), encoding="utf-8")
        self.promote_http_config()

    def promote_http_config(self) -> bool:
        """
        Confirm a pending HTTP configuration; False if there was none to confirm.

        HA 2026.10 keeps the YAML ``http:`` block (our port) as a *pending* configuration
        and, unless it is confirmed, reverts it with a restart five minutes after each
        start: a run longer than that would lose its Home Assistant midway.
        """
        try:
            self.websocket({"type": "http/config/promote"})
        except HassError:
            return False
        return True

    def _exchange_code(self, code: str) -> None:
        tokens = self.request(
            "POST",
            "/auth/token",
            form={"grant_type": "authorization_code", "code": code, "client_id": CLIENT_ID},
        )
        self.token = tokens["access_token"]

    def _login(self) -> None:
        flow = self.request(
            "POST",
            "/auth/login_flow",
            {"client_id": CLIENT_ID, "handler": ["homeassistant", None], "redirect_uri": CLIENT_ID},
        )
        result = self.request(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            {"client_id": CLIENT_ID, "username": DEV_USER, "password": DEV_PASSWORD},
        )
        if result.get("type") != "create_entry":
            raise HassError(f"login with the dev account failed: {result}")
        self._exchange_code(result["result"])

    # --- config entries -------------------------------------------------------------
    def entries(self, domain: str = "energy_meters") -> list[dict[str, Any]]:
        """Config entries of ``domain``."""
        entries: list[dict[str, Any]] = self.request(
            "GET", f"/api/config/config_entries/entry?domain={domain}"
        )
        return entries

    def run_flow(self, handler: str, steps: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
        """Start a config flow and answer its steps in order; return the last result."""
        result: dict[str, Any] = self.request(
            "POST", "/api/config/config_entries/flow", {"handler": handler}
        )
        for answer in steps:
            if result.get("type") not in ("form", "menu"):
                break
            result = self.request(
                "POST", f"/api/config/config_entries/flow/{result['flow_id']}", answer, timeout=60
            )
        return result

    def run_subentry_flow(
        self,
        entry_id: str,
        subentry_type: str,
        steps: Iterable[Mapping[str, Any]],
        *,
        subentry_id: str | None = None,
    ) -> dict[str, Any]:
        """Start a config subentry flow (add, or reconfigure ``subentry_id``) and answer it."""
        body: dict[str, Any] = {"handler": [entry_id, subentry_type]}
        if subentry_id is not None:
            body["subentry_id"] = subentry_id
        result: dict[str, Any] = self.request(
            "POST", "/api/config/config_entries/subentries/flow", body
        )
        for answer in steps:
            if result.get("type") != "form":
                break
            result = self.request(
                "POST",
                f"/api/config/config_entries/subentries/flow/{result['flow_id']}",
                answer,
                timeout=60,
            )
        return result

    def websocket(self, message: Mapping[str, Any], timeout: float = 30.0) -> Any:
        """Send one websocket command (``{"type": ...}``) and return its result."""
        return asyncio.run(self._websocket(dict(message), timeout))

    async def _websocket(self, message: dict[str, Any], seconds: float) -> Any:
        url = self.base_url.replace("http://", "ws://", 1) + "/api/websocket"
        async with (
            asyncio.timeout(seconds),
            aiohttp.ClientSession() as session,
            session.ws_connect(url) as ws,
        ):
            await ws.receive_json()  # auth_required
            await ws.send_json({"type": "auth", "access_token": self.token})
            auth = await ws.receive_json()
            if auth.get("type") != "auth_ok":
                raise HassError(f"websocket auth failed: {auth}")
            await ws.send_json({"id": 1, **message})
            while True:
                reply = await ws.receive_json()
                if reply.get("id") == 1 and reply.get("type") == "result":
                    if not reply.get("success"):
                        raise HassError(f"{message['type']}: {reply.get('error')}")
                    return reply.get("result")

    def states(self) -> list[dict[str, Any]]:
        """All entity states."""
        states: list[dict[str, Any]] = self.request("GET", "/api/states")
        return states

    def diagnostics(self, entry_id: str) -> Any:
        """Download an entry's diagnostics, as the *Download diagnostics* button does."""
        return self.request("GET", f"/api/diagnostics/config_entry/{entry_id}")


def leaked_secrets(texts: Mapping[str, str], secrets: Iterable[str]) -> list[str]:
    """
    Return ``"<where>: <secret>"`` for each secret found in one of the texts.

    A secret counts in any case and, for hex keys, with or without separators;
    secrets shorter than 6 characters are skipped (they would match by chance).
    """
    found: list[str] = []
    for where, text in texts.items():
        folded = text.lower()
        squeezed = "".join(ch for ch in folded if ch.isalnum())
        for secret in secrets:
            needle = secret.lower()
            if len(needle) < 6:
                continue
            plain = "".join(ch for ch in needle if ch.isalnum())
            if needle in folded or (len(plain) >= 16 and plain in squeezed):
                found.append(f"{where}: {secret}")
    return found
