"""
Config-flow steps of the Wireless M-Bus kind.

``wmbus`` (menu entry): the receiver, i.e. the wmbusmeters device spec (a
dongle with its link modes, ``auto:c1,t1``, an RTL-SDR, ``stdin:hex`` or a
``simulation_*.txt`` file; commands are refused) and the binary, which must be
present and answer ``--version``. Meters are config subentries
(:class:`WmbusMeterSubentryFlow`): id, driver (from ``--listmeters``), key,
each validated with its own error; reconfigure changes driver or key only.
"""

from __future__ import annotations

import asyncio
import shutil
from typing import Any, Final

from homeassistant.config_entries import ConfigFlowResult, ConfigSubentryFlow, SubentryFlowResult
from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio as vol  # HA 2026 ships probatio; `import voluptuous` resolves to its shim

from ..const import CONF_DEVICE, CONF_KIND
from ..kind import KindFlowHost
from ..protocol.wmbus.config import (
    AUTO_DRIVER,
    InvalidSpecError,
    validate_device,
    validate_driver,
    validate_key,
    validate_meter_id,
)
from .const import (
    BINARY_NOT_FOUND,
    BINARY_NOT_WORKING,
    CONF_BINARY,
    CONF_DRIVER,
    CONF_KEY,
    CONF_METER_ID,
    CONF_NAME,
    DEFAULT_BINARY,
    DEFAULT_DEVICE,
    KIND,
)

PROBE_TIMEOUT: Final = 10.0


async def _run(binary: str, *args: str) -> tuple[int, str]:
    """Run the binary with ``args`` (no shell); return rc and stdout."""
    process = await asyncio.create_subprocess_exec(
        binary,
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with asyncio.timeout(PROBE_TIMEOUT):
            out, _ = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        return -1, ""
    return process.returncode or 0, out.decode("utf-8", errors="replace")


async def check_binary(binary: str) -> str:
    """Return the binary's full path; raise InvalidSpecError when it is missing or broken."""
    path = shutil.which(binary)
    if path is None:
        raise InvalidSpecError(BINARY_NOT_FOUND, binary)
    try:
        rc, out = await _run(path, "--version")
    except OSError as err:
        raise InvalidSpecError(BINARY_NOT_WORKING, str(err)) from err
    if rc != 0 or "wmbusmeters" not in out:
        raise InvalidSpecError(BINARY_NOT_WORKING, out.strip()[:200])
    return path


async def list_drivers(binary: str) -> list[str]:
    """Driver names from ``--listmeters`` (empty when the binary cannot tell)."""
    path = shutil.which(binary)
    if path is None:
        return []
    try:
        rc, out = await _run(path, "--listmeters")
    except OSError:
        return []
    if rc != 0:
        return []
    return sorted({line.split()[0] for line in out.splitlines() if line.strip()})


def _receiver_schema(defaults: dict[str, Any]) -> vol.Schema:
    return vol.Schema(
        {
            vol.Required(CONF_DEVICE, default=defaults.get(CONF_DEVICE, DEFAULT_DEVICE)): str,
            vol.Required(CONF_BINARY, default=defaults.get(CONF_BINARY, DEFAULT_BINARY)): str,
        }
    )


async def async_step_wmbus(
    flow: KindFlowHost, user_input: dict[str, Any] | None
) -> ConfigFlowResult:
    """Ask for the receiver: a device spec and the wmbusmeters binary."""
    errors: dict[str, str] = {}
    if user_input is not None:
        try:
            device = validate_device(user_input[CONF_DEVICE])
        except InvalidSpecError as err:
            errors[CONF_DEVICE] = err.reason
        try:
            await check_binary(user_input[CONF_BINARY].strip())
        except InvalidSpecError as err:
            errors[CONF_BINARY] = err.reason
        if not errors:
            await flow.async_claim_meter(f"{KIND}_{device}", device)
            return flow.async_create_entry(
                title=f"wM-Bus {device}",
                data={
                    CONF_KIND: KIND,
                    CONF_DEVICE: device,
                    CONF_BINARY: user_input[CONF_BINARY].strip(),
                },
            )
    return flow.async_show_form(
        step_id=KIND, data_schema=_receiver_schema(user_input or {}), errors=errors
    )


def _key_selector() -> TextSelector:
    return TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))


class WmbusMeterSubentryFlow(ConfigSubentryFlow):
    """Declare a meter behind a receiver: id, driver, key."""

    async def _driver_selector(self) -> SelectSelector:
        binary = self._get_entry().data.get(CONF_BINARY, DEFAULT_BINARY)
        self._drivers = await list_drivers(binary)
        return SelectSelector(
            SelectSelectorConfig(
                options=[AUTO_DRIVER, *self._drivers],
                custom_value=True,
                mode=SelectSelectorMode.DROPDOWN,
                sort=False,
            )
        )

    def _validate(self, user_input: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for conf, check in (
            (CONF_METER_ID, validate_meter_id),
            (CONF_KEY, validate_key),
            (CONF_DRIVER, lambda d: validate_driver(d, self._drivers or None)),
        ):
            if conf not in user_input and conf != CONF_KEY:
                continue
            try:
                data[conf] = check(user_input.get(conf, ""))
            except InvalidSpecError as err:
                errors[conf] = err.reason
        return data

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Ask for the meter's id, driver and key."""
        errors: dict[str, str] = {}
        selector = await self._driver_selector()
        if user_input is not None:
            data = self._validate(user_input, errors)
            if not errors:
                meter_id = data[CONF_METER_ID]
                for subentry in self._get_entry().subentries.values():
                    if subentry.unique_id == meter_id:
                        return self.async_abort(reason="already_configured")
                name = (user_input.get(CONF_NAME) or "").strip() or f"wM-Bus {meter_id}"
                return self.async_create_entry(title=name, data=data, unique_id=meter_id)
        schema = vol.Schema(
            {
                vol.Optional(CONF_NAME): str,
                vol.Required(CONF_METER_ID): str,
                vol.Required(CONF_DRIVER, default=AUTO_DRIVER): selector,
                vol.Optional(CONF_KEY): _key_selector(),
            }
        )
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or {}),
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change the driver or the key of a meter (its id stays)."""
        subentry = self._get_reconfigure_subentry()
        errors: dict[str, str] = {}
        selector = await self._driver_selector()
        if user_input is not None:
            data = self._validate(user_input, errors)
            if not errors:
                return self.async_update_and_abort(self._get_entry(), subentry, data_updates=data)
        schema = vol.Schema(
            {
                vol.Required(CONF_DRIVER, default=subentry.data[CONF_DRIVER]): selector,
                vol.Optional(CONF_KEY): _key_selector(),
            }
        )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=schema,
            errors=errors,
            description_placeholders={"meter_id": subentry.data[CONF_METER_ID]},
        )
