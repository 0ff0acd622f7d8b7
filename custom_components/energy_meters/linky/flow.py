"""
Linky config-flow steps: pick the port (and a name), probe it, create the entry.

The shared flow (``config_flow.py``) routes the menu, USB discovery and
reconfigure here; this module knows how to validate a Linky port by reading
the real meter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from homeassistant.config_entries import ConfigFlowResult
from homeassistant.const import CONF_NAME
from homeassistant.helpers.selector import SerialPortSelector, TextSelector
import probatio as vol  # HA 2026 ships probatio; `import voluptuous` resolves to its shim

from ..const import CONF_BAUDRATE, CONF_DEVICE, CONF_KIND, CONF_SERIAL, CONF_TIC_MODE, LOGGER
from ..errors import transport_error_key
from ..kind import KindFlowHost
from ..protocol.serial_link import SerialLinkError
from ..protocol.tic.detect import detect_tic_mode
from ..protocol.tic.framing import TicMode
from ..protocol.tic.meter import TicMeterInfo, describe_meter

KIND: Final = "linky"

LINKY_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_DEVICE): SerialPortSelector(),
        vol.Optional(CONF_NAME): TextSelector(),
    }
)
RECONFIGURE_SCHEMA = vol.Schema({vol.Required(CONF_DEVICE): SerialPortSelector()})


class LinkyProbeError(Exception):
    """The port does not deliver a usable TIC stream; ``key`` is the form error."""

    def __init__(self, key: str) -> None:
        """Store the translation key of the error."""
        super().__init__(key)
        self.key = key


@dataclass(frozen=True, slots=True)
class LinkyProbe:
    """The meter found on a port, and the speed its frames arrived at."""

    port: str
    meter: TicMeterInfo
    baudrate: int

    def connection(self) -> dict[str, Any]:
        """Entry data that says how to read this meter."""
        return {
            CONF_DEVICE: self.port,
            CONF_TIC_MODE: self.meter.mode.value,
            CONF_BAUDRATE: self.baudrate,
        }


async def probe_linky(port: str) -> LinkyProbe:
    """
    Listen to ``port`` at both TIC speeds and describe the meter found.

    The speed is usually the mode's (1200 historique, 9600 standard); some
    dongles re-emit historic frames at 9600 Bd, which detection reports.
    """
    port = port.strip()
    try:
        result = await detect_tic_mode(port)
    except SerialLinkError as err:
        raise LinkyProbeError(transport_error_key(err)) from err
    if result.mode is None or result.frame is None:
        raise LinkyProbeError("not_tic" if any(result.bytes_seen.values()) else "no_data")
    meter = describe_meter(result.frame)
    if meter is None:  # pragma: no cover - detection only stops on a frame with an address
        raise LinkyProbeError("no_data")
    return LinkyProbe(port, meter, result.baudrate or meter.mode.baudrate)


def linky_title(meter: TicMeterInfo) -> str:
    """Entry title: mode and serial."""
    mode = "historique" if meter.mode is TicMode.HISTORIC else "standard"
    return f"Linky {meter.address} ({mode})"


def linky_device_name(serial: str, name: str | None) -> str:
    """Device name: the user's, else "Linky" and the serial's last four digits."""
    if name and name.strip():
        return name.strip()
    return f"Linky {serial[-4:]}"


async def _probe(port: str, errors: dict[str, str]) -> LinkyProbe | None:
    try:
        return await probe_linky(port)
    except LinkyProbeError as err:
        errors["base"] = err.key
    except Exception:  # noqa: BLE001 - shown as "unknown", details in the log
        LOGGER.exception("Unexpected error while probing %s", port)
        errors["base"] = "unknown"
    return None


async def _add_linky(
    flow: KindFlowHost, port: str, name: str | None, errors: dict[str, str]
) -> ConfigFlowResult | None:
    """Probe ``port``; create the entry (or abort for a known meter), else fill ``errors``."""
    flow.abort_if_port_used(port, CONF_DEVICE)  # ours, and busy reading
    probe = await _probe(port, errors)
    if probe is None:
        return None
    serial = probe.meter.address
    await flow.async_claim_meter(serial, f"Linky {serial}", updates=probe.connection())
    data: dict[str, Any] = {CONF_KIND: KIND, CONF_SERIAL: serial, **probe.connection()}
    if name and name.strip():
        data[CONF_NAME] = name.strip()
    return flow.async_create_entry(
        title=name.strip() if name else linky_title(probe.meter), data=data
    )


async def async_step_linky(
    flow: KindFlowHost, user_input: dict[str, Any] | None
) -> ConfigFlowResult:
    """Pick the TIC port; the mode and the meter are detected."""
    errors: dict[str, str] = {}
    if user_input is not None and (
        result := await _add_linky(flow, user_input[CONF_DEVICE], user_input.get(CONF_NAME), errors)
    ):
        return result
    return flow.async_show_form(
        step_id=KIND,
        data_schema=flow.add_suggested_values_to_schema(LINKY_SCHEMA, user_input),
        errors=errors,
    )


async def async_linky_usb(flow: KindFlowHost, port: str) -> ConfigFlowResult:
    """Ask before reading a known TIC dongle that was plugged in."""
    flow.abort_if_port_used(port, CONF_DEVICE)
    flow.kind_state["usb_port"] = port
    return await async_step_usb_confirm(flow, None)


async def async_step_usb_confirm(
    flow: KindFlowHost, user_input: dict[str, Any] | None
) -> ConfigFlowResult:
    """Confirm the discovered dongle, then read the meter behind it."""
    port: str = flow.kind_state["usb_port"]
    errors: dict[str, str] = {}
    if user_input is not None and (result := await _add_linky(flow, port, None, errors)):
        return result
    flow.set_confirm_only()
    return flow.async_show_form(
        step_id="usb_confirm", errors=errors, description_placeholders={"port": port}
    )


async def async_step_reconfigure(
    flow: KindFlowHost, user_input: dict[str, Any] | None
) -> ConfigFlowResult:
    """Move a meter to another port (the same meter only)."""
    entry = flow.reconfigure_entry()
    errors: dict[str, str] = {}
    if user_input is not None:
        probe = await _probe(user_input[CONF_DEVICE], errors)
        if probe is not None and probe.meter.address != entry.unique_id:
            errors["base"] = "wrong_meter"
        elif probe is not None:
            return flow.async_update_entry_and_finish(entry, data_updates=probe.connection())
    return flow.async_show_form(
        step_id="reconfigure",
        data_schema=flow.add_suggested_values_to_schema(
            RECONFIGURE_SCHEMA, user_input or {CONF_DEVICE: entry.data[CONF_DEVICE]}
        ),
        errors=errors,
        description_placeholders={"serial": entry.unique_id or "", "title": entry.title},
    )
