"""
Optical config-flow steps: the port, what was found on it, the key if the data is ciphered.

``optical`` asks for the port and probes it (``protocol/optical/sniff.py``: 2400 8E1,
9600 8N1, then the IEC sign-on), bounded in time. ``optical_found`` shows what answered
(protocol, meter identity) and creates the entry; for ciphered DLMS, ``optical_key``
asks for the key and checks it by deciphering the frames captured during the probe, so
a wrong key is said while the user is still in the flow. The meter identity (C.1.0,
0.0.0, the logical device name or system title, the SML server id) is the unique ID.
"""

from __future__ import annotations

from dataclasses import dataclass
import re
from typing import Any, Final

from homeassistant.config_entries import ConfigFlowResult
from homeassistant.helpers.selector import SerialPortSelector, TextSelector
import probatio as vol  # HA 2026 ships probatio; `import voluptuous` resolves to its shim

from ..const import CONF_BAUDRATE, CONF_DEVICE, CONF_KIND, LOGGER
from ..errors import transport_error_key
from ..kind import KindFlowHost
from ..protocol.dlms import DlmsError
from ..protocol.dlms.apdu import decode_push
from ..protocol.iec62056.session import SessionOptions
from ..protocol.optical.sml import SML_AVAILABLE, SmlDecoder
from ..protocol.optical.sniff import LineKind, SniffResult, sniff
from ..protocol.optical.values import (
    dlms_identity,
    dlms_readings,
    iec_identity,
    iec_readings,
    system_title_text,
)
from ..protocol.serial_link import SerialLinkError
from .const import (
    CONF_AUTH_KEY,
    CONF_BYTESIZE,
    CONF_IDENTITY,
    CONF_KEY,
    CONF_PARITY,
    CONF_PROTOCOL,
    CONF_SWITCH_BAUDRATE,
    KIND,
    Protocol,
)
from .coordinator import PROTOCOL_NAMES

STEP_FOUND: Final = "optical_found"
STEP_KEY: Final = "optical_key"
STEP_RECONFIGURE: Final = "optical_reconfigure"
PORT_SCHEMA = vol.Schema({vol.Required(CONF_DEVICE): SerialPortSelector()})
KEY_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_KEY): TextSelector(),
        vol.Optional(CONF_AUTH_KEY): TextSelector(),
    }
)
RECONFIGURE_SCHEMA = vol.Schema(
    {vol.Required(CONF_DEVICE): SerialPortSelector(), vol.Optional(CONF_KEY): TextSelector()}
)
_KEY_RE: Final = re.compile(r"^[0-9A-Fa-f]{32}$")
SNIFF_ERRORS: Final = {
    LineKind.SILENT: "optical_silent",
    LineKind.GARBAGE: "optical_garbage",
    LineKind.ASCII: "optical_ascii",
    LineKind.IEC_PUSH: "optical_unsupported",
}

# probe bounds (tests shorten them)
LISTEN_SECONDS = 6.0
IEC_OPTIONS = SessionOptions()


class OpticalFlowError(Exception):
    """A form error (``key`` is the translation key)."""

    def __init__(self, key: str) -> None:
        """Store the key."""
        super().__init__(key)
        self.key = key


@dataclass(frozen=True, slots=True)
class Found:
    """A meter found on a port: how to read it and who it is."""

    protocol: Protocol
    identity: str | None  # None: ciphered DLMS, known once the key deciphers a frame
    details: str
    data: dict[str, Any]


def _found(port: str, result: SniffResult) -> Found:
    """Turn a probe result into what the entry needs; raise OpticalFlowError otherwise."""
    if (error := SNIFF_ERRORS.get(result.kind)) is not None:
        raise OpticalFlowError(error)
    data: dict[str, Any] = {CONF_KIND: KIND, CONF_DEVICE: port}
    if result.setting is not None:
        data |= {
            CONF_BAUDRATE: result.setting.baudrate,
            CONF_BYTESIZE: result.setting.bytesize,
            CONF_PARITY: result.setting.parity,
        }
    if result.kind is LineKind.IEC:
        if result.readout is None:
            raise OpticalFlowError("optical_readout_failed")
        readings, _ = iec_readings(result.readout)
        identity = iec_identity(readings, result.identification)
        data[CONF_SWITCH_BAUDRATE] = result.iec_baudrate != 300 or (
            result.identification is not None and result.identification.max_baudrate == 300
        )
        details = f"{result.identification}, {result.iec_baudrate} Bd"
        return Found(Protocol.IEC, identity, details, data | {CONF_PROTOCOL: Protocol.IEC})
    data[CONF_PROTOCOL] = Protocol.DLMS if result.kind is not LineKind.SML else Protocol.SML
    assert result.classified is not None
    if result.kind is LineKind.SML:
        if not SML_AVAILABLE:  # pragma: no cover - smllib is a requirement
            raise OpticalFlowError("optical_unsupported")
        files = SmlDecoder().feed(b"".join(result.classified.sml_files))
        if not files:
            raise OpticalFlowError("optical_garbage")
        return Found(Protocol.SML, files[0].server_id, "SML", data)
    apdu = result.classified.apdus[0]
    if result.kind is LineKind.DLMS_ENCRYPTED:
        title = _system_title(apdu)
        return Found(Protocol.DLMS, None, f"{system_title_text(title)} (encrypted)", data)
    try:
        notification = decode_push(apdu)
    except DlmsError as err:
        raise OpticalFlowError("optical_garbage") from err
    readings, _ = dlms_readings(notification)
    return Found(Protocol.DLMS, dlms_identity(readings, None), "DLMS/COSEM", data)


def _system_title(apdu: bytes) -> bytes:
    """System title of a general-glo-ciphering APDU (general-ciphering: after the id)."""
    if apdu[0] == 0xDB:
        return apdu[2 : 2 + apdu[1]]
    pos = 2 + apdu[1]  # transaction id
    return apdu[pos + 1 : pos + 1 + apdu[pos]]


async def _probe(port: str, errors: dict[str, str]) -> tuple[Found, SniffResult] | None:
    try:
        result = await sniff(port, listen_seconds=LISTEN_SECONDS, iec_options=IEC_OPTIONS)
        return _found(port, result), result
    except SerialLinkError as err:
        errors["base"] = transport_error_key(err)
    except OpticalFlowError as err:
        errors["base"] = err.key
    except Exception:  # noqa: BLE001 - shown as "unknown", details in the log
        LOGGER.exception("Unexpected error while probing %s", port)
        errors["base"] = "unknown"
    return None


def check_key(
    result: SniffResult, key_text: str, auth_text: str | None
) -> tuple[str, dict[str, Any]]:
    """Check the keys on the captured frames; return the identity and entry data for them."""
    key_text = key_text.strip().replace(" ", "")
    auth_text = (auth_text or "").strip().replace(" ", "") or None
    if not _KEY_RE.match(key_text) or (auth_text is not None and not _KEY_RE.match(auth_text)):
        raise OpticalFlowError("optical_invalid_key")
    key, auth = bytes.fromhex(key_text), bytes.fromhex(auth_text) if auth_text else None
    assert result.classified is not None
    try:
        notification = decode_push(result.classified.apdus[0], key, auth)
    except DlmsError as err:
        raise OpticalFlowError("optical_wrong_key") from err
    readings, _ = dlms_readings(notification)
    identity = dlms_identity(readings, notification.system_title)
    if identity is None:  # pragma: no cover - a ciphered APDU always has a system title
        raise OpticalFlowError("optical_wrong_key")
    data: dict[str, Any] = {CONF_KEY: key_text.upper()}
    if auth_text:
        data[CONF_AUTH_KEY] = auth_text.upper()
    return identity, data


def _title(found: Found, identity: str) -> str:
    """
    Name the entry by protocol and the identity's last four characters (as Linky does).

    Titles reach logs and diagnostics; the full identity stays in the entry's data.
    """
    return f"{PROTOCOL_NAMES[found.protocol]} {identity[-4:]}"


async def _create(
    flow: KindFlowHost, found: Found, identity: str, extra: dict[str, Any]
) -> ConfigFlowResult:
    data = found.data | extra | {CONF_IDENTITY: identity}
    await flow.async_claim_meter(identity, _title(found, identity), updates=data)
    return flow.async_create_entry(title=_title(found, identity), data=data)


async def async_step_optical(
    flow: KindFlowHost, user_input: dict[str, Any] | None
) -> ConfigFlowResult:
    """Pick the port; what is on the line is detected."""
    errors: dict[str, str] = {}
    if user_input is not None:
        port = user_input[CONF_DEVICE].strip()
        flow.abort_if_port_used(port, CONF_DEVICE)
        probed = await _probe(port, errors)
        if probed is not None:
            found, flow.kind_state["sniff"] = probed
            flow.kind_state["found"] = found
            if found.identity is None:
                return await async_step_optical_key(flow, None)
            return await async_step_optical_found(flow, None)
    return flow.async_show_form(
        step_id=KIND,
        data_schema=flow.add_suggested_values_to_schema(PORT_SCHEMA, user_input),
        errors=errors,
    )


async def async_step_optical_found(
    flow: KindFlowHost, user_input: dict[str, Any] | None
) -> ConfigFlowResult:
    """Show what answered; add it."""
    found: Found = flow.kind_state["found"]
    assert found.identity is not None
    if user_input is not None:
        return await _create(flow, found, found.identity, {})
    return flow.async_show_form(
        step_id=STEP_FOUND,
        description_placeholders={
            "port": found.data[CONF_DEVICE],
            "protocol": PROTOCOL_NAMES[found.protocol],
            "meter": found.identity,
            "details": found.details,
        },
    )


async def async_step_optical_key(
    flow: KindFlowHost, user_input: dict[str, Any] | None
) -> ConfigFlowResult:
    """Ask for the key of a ciphering meter; check it on the captured frames."""
    found: Found = flow.kind_state["found"]
    errors: dict[str, str] = {}
    if user_input is not None:
        try:
            identity, extra = check_key(
                flow.kind_state["sniff"], user_input[CONF_KEY], user_input.get(CONF_AUTH_KEY)
            )
        except OpticalFlowError as err:
            errors["base"] = err.key
        else:
            return await _create(flow, found, identity, extra)
    return flow.async_show_form(
        step_id=STEP_KEY,
        data_schema=flow.add_suggested_values_to_schema(KEY_SCHEMA, user_input),
        errors=errors,
        description_placeholders={"port": found.data[CONF_DEVICE], "details": found.details},
    )


async def async_step_optical_reconfigure(
    flow: KindFlowHost, user_input: dict[str, Any] | None
) -> ConfigFlowResult:
    """Move the meter to another port, or give it a new key: the same meter only."""
    entry = flow.reconfigure_entry()
    errors: dict[str, str] = {}
    if user_input is not None:
        port = user_input[CONF_DEVICE].strip()
        probed = await _probe(port, errors)
        if probed is not None:
            found, result = probed
            identity, extra = found.identity, dict[str, Any]()
            if identity is None:
                try:
                    identity, extra = check_key(
                        result, user_input.get(CONF_KEY) or entry.data.get(CONF_KEY, ""), None
                    )
                except OpticalFlowError as err:
                    errors["base"] = err.key
            if identity is not None and identity != entry.unique_id:
                errors["base"] = "wrong_meter"
            elif identity is not None:
                return flow.async_update_entry_and_finish(
                    entry, data_updates=found.data | extra | {CONF_IDENTITY: identity}
                )
    return flow.async_show_form(
        step_id=STEP_RECONFIGURE,
        data_schema=flow.add_suggested_values_to_schema(
            RECONFIGURE_SCHEMA, user_input or {CONF_DEVICE: entry.data[CONF_DEVICE]}
        ),
        errors=errors,
        description_placeholders={"meter": entry.unique_id or "", "title": entry.title},
    )
