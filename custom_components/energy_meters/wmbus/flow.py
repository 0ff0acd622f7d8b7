"""
Config-flow steps of the Wireless M-Bus kind.

``wmbus`` (menu entry): the receiver, i.e. the wmbusmeters device spec (a
dongle with its link modes, ``auto:c1,t1``, an RTL-SDR, ``stdin:hex`` or a
``simulation_*.txt`` file; commands are refused) and the binary, which must be
present and answer ``--version``. Meters are config subentries
(:class:`WmbusMeterSubentryFlow`): id, driver (from ``--listmeters``), key,
each validated with its own error; reconfigure changes driver or key only.
The id field lists the meters the receiver heard but nobody added (newest and
strongest first; any other id can be typed); a heard meter brings its
detected driver, an encrypted one asks for its key (step ``key``), and a key is
checked with the real wmbusmeters against a telegram already heard before the
meter is saved.
"""

from __future__ import annotations

import asyncio
import shutil
from typing import Any, Final

from homeassistant.config_entries import ConfigFlowResult, ConfigSubentryFlow, SubentryFlowResult
from homeassistant.helpers.selector import (
    SelectOptionDict,
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
    MeterConfig,
    validate_device,
    validate_driver,
    validate_key,
    validate_meter_id,
)
from ..protocol.wmbus.heard import HeardMeter
from ..protocol.wmbus.keycheck import KeyCheck, check_key
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
    KEY_REJECTED,
    KIND,
)
from .hub import WmbusHub

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
                # a replay file's folder says nothing: its name is enough
                title=f"wM-Bus {device.rsplit('/', 1)[-1] if device.endswith('.txt') else device}",
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

    _name: str = ""
    _pending: dict[str, Any]

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

    def _hub(self) -> WmbusHub | None:
        hub = getattr(self._get_entry(), "runtime_data", None)
        return hub if isinstance(hub, WmbusHub) else None

    def _id_selector(self, heard: list[HeardMeter]) -> SelectSelector:
        return SelectSelector(
            SelectSelectorConfig(
                options=[SelectOptionDict(value=m.meter_id, label=m.label) for m in heard],
                custom_value=True,
                mode=SelectSelectorMode.DROPDOWN,
                sort=False,
            )
        )

    async def _key_error(self, data: dict[str, Any]) -> str | None:
        """Check a key against a telegram already heard: the error key, or None."""
        hub = self._hub()
        if hub is None or not data.get(CONF_KEY):
            return None
        meter_id = data[CONF_METER_ID]
        telegrams = await hub.heard_telegrams(meter_id)
        meter = MeterConfig(meter_id, data[CONF_DRIVER], data[CONF_KEY])
        result = await check_key(hub.supervisor.binary, meter, telegrams)
        return KEY_REJECTED if result is KeyCheck.WRONG else None

    async def _create(self, data: dict[str, Any]) -> SubentryFlowResult:
        meter_id = data[CONF_METER_ID]
        name = self._name or f"wM-Bus {meter_id}"
        return self.async_create_entry(title=name, data=data, unique_id=meter_id)

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Ask for the meter: one heard (or any id), its driver and key."""
        errors: dict[str, str] = {}
        selector = await self._driver_selector()
        hub = self._hub()
        heard = hub.heard_meters() if hub is not None else []
        if user_input is not None:
            data = self._validate(user_input, errors)
            if not errors:
                meter_id = data[CONF_METER_ID]
                for subentry in self._get_entry().subentries.values():
                    if subentry.unique_id == meter_id:
                        return self.async_abort(reason="already_configured")
                self._name = (user_input.get(CONF_NAME) or "").strip()
                known = hub.heard.get(meter_id) if hub is not None else None
                if known is not None and known.driver and data[CONF_DRIVER] == AUTO_DRIVER:
                    data[CONF_DRIVER] = known.driver
                if known is not None and known.encrypted and not data[CONF_KEY]:
                    self._pending = data
                    return await self.async_step_key()
                if (error := await self._key_error(data)) is not None:
                    errors[CONF_KEY] = error
                else:
                    return await self._create(data)
        schema = vol.Schema(
            {
                vol.Optional(CONF_NAME): str,
                vol.Required(CONF_METER_ID): self._id_selector(heard),
                vol.Required(CONF_DRIVER, default=AUTO_DRIVER): selector,
                vol.Optional(CONF_KEY): _key_selector(),
            }
        )
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or {}),
            errors=errors,
            description_placeholders={"heard": str(len(heard))},
        )

    async def async_step_key(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Ask for the key of an encrypted meter; check it on a telegram already heard."""
        errors: dict[str, str] = {}
        data = self._pending
        if user_input is not None:
            try:
                key = validate_key(user_input.get(CONF_KEY, ""))
            except InvalidSpecError as err:
                errors[CONF_KEY] = err.reason
            else:
                data = {**data, CONF_KEY: key}
                if not key:
                    errors[CONF_KEY] = "invalid_key"
                elif (error := await self._key_error(data)) is not None:
                    errors[CONF_KEY] = error
                else:
                    return await self._create(data)
        hub = self._hub()
        known = hub.heard.get(data[CONF_METER_ID]) if hub is not None else None
        return self.async_show_form(
            step_id="key",
            data_schema=vol.Schema({vol.Required(CONF_KEY): _key_selector()}),
            errors=errors,
            description_placeholders={
                "meter_id": data[CONF_METER_ID],
                "meter": known.label if known is not None else data[CONF_METER_ID],
            },
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
