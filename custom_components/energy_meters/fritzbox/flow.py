"""
FRITZ!Box config-flow steps: address and account, validated by logging in.

The step ids are global to the shared flow: the menu entry is ``fritzbox``; the
reconfigure and reauth forms are ``fritzbox_reconfigure`` and
``fritzbox_reauth_confirm`` (the shared entry points call :func:`async_reconfigure`
and :func:`async_reauth`); a box found by SSDP (:func:`async_fritzbox_ssdp`) asks for
its account in ``fritzbox_confirm``.

An entry's unique ID is the box serial from ``jason_boxinfo.xml`` (the host when a box
does not serve it), whether it was added by hand or discovered: the user step and the
confirm step identify a box the same way. A discovery flow starts with the UPnP UDN as
its unique ID (so an ignored discovery stays ignored) and recognises a configured box by
the UDN an earlier discovery saved in its entry, else by its address (the same host, or
a name that resolves to the announced IP); the entry then learns the UDN.
"""

from __future__ import annotations

from dataclasses import dataclass
import ipaddress
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry, ConfigFlowResult
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    BooleanSelector,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.service_info.ssdp import (
    ATTR_UPNP_FRIENDLY_NAME,
    ATTR_UPNP_UDN,
    SsdpServiceInfo,
)
import probatio as vol  # HA 2026 ships probatio; `import voluptuous` resolves to its shim
from yarl import URL

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
from .const import CONF_UDN, KIND

STEP_RECONFIGURE: Final = f"{KIND}_reconfigure"
STEP_REAUTH: Final = f"{KIND}_reauth_confirm"
STEP_CONFIRM: Final = f"{KIND}_confirm"
DEFAULT_HOST: Final = "fritz.box"
AHA_HTTP_PORT: Final = 80
"""A discovered box's web interface (its SSDP location is TR-064, on port 49000)."""

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


# --- SSDP discovery --------------------------------------------------------------------
def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


async def _resolves_to(hass: HomeAssistant, host: str, ip: str) -> bool:
    """Tell whether ``host`` resolves to ``ip`` (no answer: it does not)."""
    try:
        addresses = await hass.loop.getaddrinfo(host, None)
    except OSError:
        return False
    return any(address[4][0] == ip for address in addresses)


async def _same_box(hass: HomeAssistant, entry_host: str, host: str) -> bool:
    """Tell whether the entry's host is the announced one, or a name for it, or its IP."""
    if entry_host == host:
        return True
    # one name and one address: does the name resolve to it (two addresses differ)
    name, address = (entry_host, host) if _ip(host) is not None else (host, entry_host)
    return (
        _ip(name) is None and _ip(address) is not None and await _resolves_to(hass, name, address)
    )


def _updates(entry: ConfigEntry[Any], host: str, udn: str) -> dict[str, Any]:
    """
    Return what a discovery teaches a configured box's entry: its UDN, its new IP address.

    Only an IP address moves (scheme and port kept): a name the user typed (``fritz.box``)
    still names the box, as core keeps it.
    """
    updates: dict[str, Any] = {CONF_UDN: udn} if udn and entry.data.get(CONF_UDN) != udn else {}
    url = URL(entry.data[CONF_HOST])
    if url.host != host and _ip(url.host or "") is not None and _ip(host) is not None:
        updates[CONF_HOST] = str(url.with_host(host))
    return updates


async def async_fritzbox_ssdp(
    flow: KindFlowHost, discovery_info: SsdpServiceInfo
) -> ConfigFlowResult:
    """Take a box that announced itself: recognise a configured one, else ask its account."""
    host = URL(discovery_info.ssdp_location or "").host
    if not host:
        return flow.async_abort(reason="not_supported")
    if (ip := _ip(host)) is not None and ip.version == 6 and ip.is_link_local:
        return flow.async_abort(reason="fritzbox_ipv6_link_local")
    udn = str(discovery_info.upnp.get(ATTR_UPNP_UDN) or "").removeprefix("uuid:")
    name = str(discovery_info.upnp.get(ATTR_UPNP_FRIENDLY_NAME) or f"FRITZ!Box {host}")
    if udn:
        await flow.async_claim_discovery(udn)
    entries = flow.kind_entries(KIND)
    for entry in entries:  # the UDN first: the box may have a new address
        if udn and entry.data.get(CONF_UDN) == udn:
            flow.abort_configured(entry, name, _updates(entry, host, udn))
    for entry in entries:
        if await _same_box(flow.hass, URL(entry.data[CONF_HOST]).host or "", host):
            flow.abort_configured(entry, name, _updates(entry, host, udn))
    flow.abort_if_discovered_elsewhere(KIND, host)
    flow.kind_state.update(
        host=host,
        url=str(URL.build(scheme="http", host=host, port=AHA_HTTP_PORT)),
        udn=udn,
        name=name,
    )
    flow.context["title_placeholders"] = {"name": name}
    return await async_step_fritzbox_confirm(flow, None)


async def async_step_fritzbox_confirm(
    flow: KindFlowHost, user_input: dict[str, Any] | None
) -> ConfigFlowResult:
    """Ask the account of a discovered box: the user step's checks, errors and messages."""
    found = flow.kind_state
    errors: dict[str, str] = {}
    placeholders = {"block_time": "0", "name": found["name"], "host": found["host"]}
    if user_input is not None:
        data = {CONF_HOST: found["url"], CONF_VERIFY_SSL: False, **user_input}
        if probe := await _probe(flow, data, errors, placeholders):
            entry = flow.hass.config_entries.async_entry_for_domain_unique_id(
                flow.handler, probe.unique_id
            )
            await flow.async_claim_meter(
                probe.unique_id,
                found["name"],
                # the box under another address, or under one that did not resolve
                updates=_updates(entry, found["host"], found["udn"]) if entry else None,
            )
            udn = {CONF_UDN: found["udn"]} if found["udn"] else {}
            return flow.async_create_entry(
                title=found["name"], data={CONF_KIND: KIND, **data, CONF_HOST: probe.url, **udn}
            )
    return flow.async_show_form(
        step_id=STEP_CONFIRM,
        data_schema=flow.add_suggested_values_to_schema(
            REAUTH_SCHEMA, {k: v for k, v in (user_input or {}).items() if k != CONF_PASSWORD}
        ),
        errors=errors,
        description_placeholders=placeholders,
    )
