"""
Linky config-flow helpers: probe a port, describe what was found.

The config flow (``config_flow.py``) owns the steps; this module knows how to
validate a Linky port by reading the real meter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from homeassistant.helpers.selector import SerialPortSelector
import probatio as vol  # HA 2026 ships probatio; `import voluptuous` resolves to its shim

from ..const import CONF_BAUDRATE, CONF_DEVICE, CONF_TIC_MODE
from ..protocol.serial_link import (
    InvalidPortUrlError,
    PortAccessError,
    PortNotFoundError,
    SerialLinkError,
)
from ..protocol.tic.detect import detect_tic_mode
from ..protocol.tic.framing import TicMode
from ..protocol.tic.meter import TicMeterInfo, describe_meter

LINKY_SCHEMA = vol.Schema({vol.Required(CONF_DEVICE): SerialPortSelector()})


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
    except InvalidPortUrlError as err:
        raise LinkyProbeError("invalid_port") from err
    except PortNotFoundError as err:
        raise LinkyProbeError("port_not_found") from err
    except PortAccessError as err:
        raise LinkyProbeError("port_busy") from err
    except SerialLinkError as err:
        raise LinkyProbeError("cannot_connect") from err
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
