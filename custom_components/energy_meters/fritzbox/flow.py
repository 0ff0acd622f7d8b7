"""
FRITZ!Box config-flow steps: address and account, validated by logging in.

The step ids are global to the shared flow: the menu entry is ``fritzbox``; the
reconfigure and reauth forms are ``fritzbox_reconfigure`` and
``fritzbox_reauth_confirm`` (the shared entry points call :func:`async_reconfigure`
and :func:`async_reauth`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from homeassistant.config_entries import ConfigFlowResult
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME, CONF_VERIFY_SSL
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    BooleanSelector,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio as vol  # HA 2026 ships probatio; `import voluptuous` resolves to its shim

from ..const import CONF_KIND, LOGGER
from ..kind import KindFlowHost
from ..protocol.fritzbox.client import (
    AhaAuthError,
    AhaBlockedError,
    AhaClient,
    AhaConnectionError,
    AhaError,
    AhaNotFritzBoxError,
    AhaRightsError,
)
from .const import KIND

STEP_RECONFIGURE: Final = f"{KIND}_reconfigure"
STEP_REAUTH: Final = f"{KIND}_reauth_confirm"
DEFAULT_HOST: Final = "fritz.box"

_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
BOX_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_HOST, default=DEFAULT_HOST): TextSelector(),
        vol.Required(CONF_USERNAME): TextSelector(),
        vol.Required(CONF_PASSWORD): _PASSWORD,
        vol.Required(CONF_VERIFY_SSL, default=False): BooleanSelector(),
    }
)
REAUTH_SCHEMA = vol.Schema(
    {vol.Required(CONF_USERNAME): TextSelector(), vol.Required(CONF_PASSWORD): _PASSWORD}
)


@dataclass(frozen=True, slots=True)
class BoxProbe:
    """A box that accepted the account: its identity and how many devices it has."""

    unique_id: str
    url: str
    devices: int


class BoxProbeError(Exception):
    """Validation failed: ``key`` is the form error, ``block_time`` its placeholder."""

    def __init__(self, key: str, block_time: int = 0) -> None:
        """Keep the error key and the box's block time."""
        super().__init__(key)
        self.key = key
        self.block_time = block_time


async def probe_box(flow: KindFlowHost, data: dict[str, Any]) -> BoxProbe:
    """Log in, read the device list once, log out; identify the box."""
    verify = bool(data.get(CONF_VERIFY_SSL, False))
    try:
        client = AhaClient(
            async_get_clientsession(flow.hass, verify_ssl=verify),
            data[CONF_HOST],
            data[CONF_USERNAME],
            data[CONF_PASSWORD],
            verify_ssl=verify,
        )
    except ValueError as err:
        raise BoxProbeError("fritzbox_invalid_host") from err
    try:
        devices = await client.device_list()
        serial = await client.box_serial()
    except AhaBlockedError as err:
        raise BoxProbeError("fritzbox_login_blocked", err.block_time) from err
    except AhaAuthError as err:
        raise BoxProbeError("invalid_auth", err.block_time) from err
    except AhaRightsError as err:
        raise BoxProbeError("fritzbox_missing_right") from err
    except AhaNotFritzBoxError as err:
        raise BoxProbeError("fritzbox_not_a_box") from err
    except AhaConnectionError as err:
        raise BoxProbeError("fritzbox_cannot_connect") from err
    except AhaError as err:
        raise BoxProbeError("fritzbox_not_a_box") from err
    finally:
        await client.logout()
    host = client.url.host or ""
    return BoxProbe(unique_id=serial or host.lower(), url=str(client.url), devices=len(devices))


async def _probe(
    flow: KindFlowHost, data: dict[str, Any], errors: dict[str, str], placeholders: dict[str, str]
) -> BoxProbe | None:
    try:
        return await probe_box(flow, data)
    except BoxProbeError as err:
        errors["base"] = err.key
        placeholders["block_time"] = str(err.block_time)
    except Exception:  # noqa: BLE001 - shown as "unknown", details in the log
        LOGGER.exception("Unexpected error while logging in to %s", data.get(CONF_HOST))
        errors["base"] = "unknown"
    return None


def _clean(user_input: dict[str, Any]) -> dict[str, Any]:
    return {**user_input, CONF_HOST: str(user_input[CONF_HOST]).strip()}


async def async_step_fritzbox(
    flow: KindFlowHost, user_input: dict[str, Any] | None
) -> ConfigFlowResult:
    """Address and account of the box (the account needs the Smart Home right)."""
    errors: dict[str, str] = {}
    placeholders = {"block_time": "0"}
    if user_input is not None:
        data = _clean(user_input)
        if probe := await _probe(flow, data, errors, placeholders):
            await flow.async_claim_meter(
                probe.unique_id, f"FRITZ!Box {data[CONF_HOST]}", updates={CONF_HOST: probe.url}
            )
            return flow.async_create_entry(
                title=f"FRITZ!Box {data[CONF_HOST]}",
                data={CONF_KIND: KIND, **data, CONF_HOST: probe.url},
            )
    return flow.async_show_form(
        step_id=KIND,
        data_schema=flow.add_suggested_values_to_schema(
            BOX_SCHEMA, {k: v for k, v in (user_input or {}).items() if k != CONF_PASSWORD}
        ),
        errors=errors,
        description_placeholders=placeholders,
    )


async def async_reconfigure(
    flow: KindFlowHost, user_input: dict[str, Any] | None
) -> ConfigFlowResult:
    """Give the same box a new address or account."""
    entry = flow.reconfigure_entry()
    errors: dict[str, str] = {}
    placeholders = {"block_time": "0", "title": entry.title}
    if user_input is not None:
        data = _clean(user_input)
        probe = await _probe(flow, data, errors, placeholders)
        if probe is not None and probe.unique_id != entry.unique_id and _has_serial(entry):
            errors["base"] = "fritzbox_wrong_box"
        elif probe is not None:
            return flow.async_update_entry_and_finish(
                entry, unique_id=probe.unique_id, data_updates={**data, CONF_HOST: probe.url}
            )
    current = {k: v for k, v in entry.data.items() if k in (CONF_HOST, CONF_USERNAME)}
    return flow.async_show_form(
        step_id=STEP_RECONFIGURE,
        data_schema=flow.add_suggested_values_to_schema(
            BOX_SCHEMA,
            {
                CONF_VERIFY_SSL: entry.data.get(CONF_VERIFY_SSL, False),
                **current,
                **(user_input or {}),
            },
        ),
        errors=errors,
        description_placeholders=placeholders,
    )


def _has_serial(entry: Any) -> bool:
    """Whether the entry's unique ID is the box serial (not the host fallback)."""
    unique_id = str(entry.unique_id or "")
    return len(unique_id) == 12 and all(c in "0123456789ABCDEF" for c in unique_id)


async def async_reauth(flow: KindFlowHost, entry_data: dict[str, Any] | None) -> ConfigFlowResult:
    """Ask for the account again: the box refused it (password changed, right removed)."""
    return await async_step_reauth_confirm(flow, None)


async def async_step_reauth_confirm(
    flow: KindFlowHost, user_input: dict[str, Any] | None
) -> ConfigFlowResult:
    """Ask for the account again."""
    entry = flow.reauth_entry()
    errors: dict[str, str] = {}
    placeholders = {"block_time": "0", "title": entry.title}
    if user_input is not None:
        data = {**entry.data, **user_input}
        if await _probe(flow, data, errors, placeholders):
            return flow.async_update_entry_and_finish(entry, data_updates=user_input)
    return flow.async_show_form(
        step_id=STEP_REAUTH,
        data_schema=flow.add_suggested_values_to_schema(
            REAUTH_SCHEMA, {CONF_USERNAME: entry.data.get(CONF_USERNAME)}
        ),
        errors=errors,
        description_placeholders=placeholders,
    )
