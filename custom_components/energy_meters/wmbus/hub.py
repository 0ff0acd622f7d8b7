"""
A wM-Bus receiver: one supervised wmbusmeters process, one coordinator per meter.

The hub writes the ``--useconfig`` directory from the entry (the device spec)
and its subentries (one meter file each, keys with mode 0600, never on the
command line), runs the :class:`~..protocol.wmbus.supervisor.Supervisor` and
routes each JSON telegram to its meter's coordinator by meter id. What
wmbusmeters says on stderr becomes visible in HA: a wrong or missing key is a
repair issue naming the meter (and that meter is unavailable), an unknown
driver or a missing dongle is a repair issue on the receiver. Meters nobody
declared are kept as *heard* (id, manufacturer, medium, suggested driver,
encrypted or not, rssi, last heard; see :mod:`..protocol.wmbus.heard`), saved
across reloads, for diagnostics and the add-meter step; raw telegrams the hub
sees (``stdin:hex`` feeds, replay files) are kept to check a key against.
"""

from __future__ import annotations

from pathlib import Path
import shutil
import time
from typing import Any, Final

from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CALLBACK_TYPE, Event, callback
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.storage import Store

from ..const import CONF_DEVICE, DOMAIN, LOGGER, short_id
from ..hub import Hub
from ..protocol.wmbus.config import MeterConfig, uses_stdin, write_config_dir
from ..protocol.wmbus.heard import HeardMeter, HeardMeters, replay_telegrams, split_hex
from ..protocol.wmbus.output import Problem, Telegram, classify, mask_meter_ids
from ..protocol.wmbus.supervisor import RunEnded, Supervisor
from .const import (
    BINARY_NOT_FOUND,
    CONF_BINARY,
    CONF_DRIVER,
    CONF_KEY,
    CONF_METER_ID,
    CONF_SILENCE_MINUTES,
    DEFAULT_BINARY,
    DEFAULT_SILENCE_MINUTES,
    DEVICE_NOT_FOUND,
    NO_KEY,
    UNKNOWN_DRIVER,
    WRONG_KEY,
)
from .coordinator import WmbusMeterCoordinator, WmbusReceiverCoordinator, device_key_of
from .entities import SENSORS

HEARD_MAX: Final = 50
_METER_PROBLEMS: Final = {
    Problem.WRONG_KEY: WRONG_KEY,
    Problem.NO_KEY: NO_KEY,
    Problem.NOT_ENCRYPTED: WRONG_KEY,
}


def _id_field(meter_id: str) -> str:
    """Return the A field of a telegram header for an id (bytes reversed), upper-case hex."""
    return bytes.fromhex(meter_id)[::-1].hex().upper()


def config_root(hass_config_dir: str, entry_id: str) -> Path:
    """Return the entry's ``--useconfig`` directory (private: it holds the keys)."""
    return Path(hass_config_dir) / ".storage" / f"{DOMAIN}_wmbus" / entry_id


class WmbusHub(Hub):
    """One wmbusmeters receiver and the meters declared behind it."""

    supervisor: Supervisor
    receiver: WmbusReceiverCoordinator

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Prepare the hub; nothing runs before setup."""
        super().__init__(*args, **kwargs)
        self.device: str = self.entry.data[CONF_DEVICE]
        self.binary: str = self.entry.data.get(CONF_BINARY, DEFAULT_BINARY)
        self.meters: dict[str, WmbusMeterCoordinator] = {}
        self.heard = HeardMeters(HEARD_MAX)
        self._heard_store: Store[list[dict[str, Any]]] = Store(
            self.hass, 1, f"{DOMAIN}.{self.entry.entry_id}.wmbus_heard", private=True
        )
        self._last_store: Store[dict[str, dict[str, Any]]] = Store(
            self.hass, 1, f"{DOMAIN}.{self.entry.entry_id}.wmbus_last", private=True
        )
        self.root = config_root(self.hass.config.config_dir, self.entry.entry_id)

    def hub_device_info(self) -> DeviceInfo:
        """Describe the receiver: a dongle (or SDR) read by wmbusmeters."""
        return DeviceInfo(
            identifiers={(DOMAIN, f"wmbus_receiver_{self.entry.entry_id}")},
            name=self.entry.title,
            manufacturer="wmbusmeters",
            model=self.device,
        )

    # --- setup -------------------------------------------------------------------------
    async def async_setup_devices(self) -> None:
        """Check the binary, write the config directory, create the coordinators."""
        binary = await self.hass.async_add_executor_job(shutil.which, self.binary)
        issue_id = f"{BINARY_NOT_FOUND}_{self.entry.entry_id}"
        if binary is None:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key=BINARY_NOT_FOUND,
                translation_placeholders={"binary": self.binary},
            )
            raise ConfigEntryNotReady(
                translation_domain=DOMAIN,
                translation_key=BINARY_NOT_FOUND,
                translation_placeholders={"binary": self.binary},
            )
        ir.async_delete_issue(self.hass, DOMAIN, issue_id)
        saved = await self._last_store.async_load() or {}
        self.heard.load(await self._heard_store.async_load() or [])
        meters = []
        for subentry in self.entry.subentries.values():
            meter_id = subentry.data[CONF_METER_ID]
            key = device_key_of(meter_id)
            coordinator = WmbusMeterCoordinator(
                self, subentry, self.counters.guards_for(key), saved.get(key)
            )
            coordinator.before_publish = SENSORS.learn
            await coordinator.async_config_entry_first_refresh()
            SENSORS.learn(coordinator.data)
            self.meters[meter_id] = coordinator
            self.heard.forget(meter_id)
            self.add_coordinator(coordinator)
            meters.append(
                MeterConfig(meter_id, subentry.data[CONF_DRIVER], subentry.data.get(CONF_KEY, ""))
            )
        await self.hass.async_add_executor_job(write_config_dir, self.root, self.device, meters)
        self.receiver = WmbusReceiverCoordinator(self)
        await self.receiver.async_config_entry_first_refresh()
        self.add_coordinator(self.receiver)
        silence = float(self.entry.options.get(CONF_SILENCE_MINUTES, DEFAULT_SILENCE_MINUTES))
        self.supervisor = Supervisor(
            binary,
            self.root,
            on_telegram=self._on_telegram,
            on_stderr=self._on_message,
            on_diagnostic=self._on_message,
            on_started=self._on_started,
            on_ended=self._on_ended,
            use_stdin=uses_stdin(self.device),
            silence_timeout=silence * 60 if silence > 0 else None,
        )

    async def async_start(self) -> None:
        """Start the meters' timers and the process."""
        await super().async_start()
        self.supervisor.start()
        self._stop_listener: CALLBACK_TYPE | None = self.hass.bus.async_listen_once(
            EVENT_HOMEASSISTANT_STOP, self._on_stop
        )
        self.entry.async_on_unload(self._forget_stop_listener)

    async def _on_stop(self, _event: Event) -> None:
        self._stop_listener = None  # fired: HA removed it already
        await self.supervisor.stop()

    @callback
    def _forget_stop_listener(self) -> None:
        if self._stop_listener is not None:
            self._stop_listener()
            self._stop_listener = None

    async def async_shutdown(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL), save the last telegrams and guards."""
        await self.supervisor.stop()
        for coordinator in self.coordinators.values():
            await coordinator.async_shutdown()
        await self._last_store.async_save({c.device_key: c.saved() for c in self.meters.values()})
        await self._heard_store.async_save(self.heard.as_list())
        await super().async_shutdown()

    async def async_feed(self, hex_telegrams: str) -> None:
        """Feed telegrams to a ``stdin:hex`` receiver (tests, remote receivers)."""
        for telegram in split_hex(hex_telegrams):
            if (meter_id := self.heard.from_raw(telegram)) in self.meters:
                self.heard.forget(meter_id)
        await self.supervisor.write_stdin(hex_telegrams.encode("ascii") + b"\n")

    @staticmethod
    def now() -> float:
        """Wall-clock seconds (last heard); tests replace it."""
        return time.time()

    def heard_meters(self) -> list[HeardMeter]:
        """Meters heard but not configured: newest and strongest first."""
        return self.heard.ordered(exclude=set(self.meters))

    async def heard_telegrams(self, meter_id: str) -> list[str]:
        """Raw telegrams of a meter: those seen on the feed, else those of a replay file."""
        meter = self.heard.get(meter_id)
        if meter is not None and meter.telegrams:
            return list(meter.telegrams)
        path = self.device.rsplit(":", 1)[0] if self.device.endswith(":hex") else self.device
        if not path.startswith("/"):
            return []
        try:
            text = await self.hass.async_add_executor_job(Path(path).read_text, "ascii")
        except OSError, UnicodeDecodeError:
            return []
        found = [t for t in replay_telegrams(text) if t[8:16] == _id_field(meter_id)]
        return found[-3:]

    # --- what the process says -----------------------------------------------------------
    @callback
    def _on_started(self) -> None:
        self.receiver.publish(running=True)

    @callback
    def _on_ended(self, ended: RunEnded) -> None:
        LOGGER.warning(
            "%s: wmbusmeters stopped (%s, rc %s), restarting: %s",
            self.entry.title,
            ended.reason,
            ended.returncode,
            mask_meter_ids(" | ".join(ended.diagnostics[-3:])),
        )
        self.receiver.publish(running=False, restarts=self.supervisor.restarts)

    @callback
    def _on_telegram(self, telegram: Telegram) -> None:
        coordinator = self.meters.get(telegram.meter_id)
        if coordinator is None:
            self.heard.from_telegram(telegram, self.now())
            return
        if coordinator.problem is not None:
            ir.async_delete_issue(self.hass, DOMAIN, self._meter_issue(telegram.meter_id))
        coordinator.handle_telegram(telegram)
        self.receiver.publish(telegrams=self.supervisor.telegrams, problem=None)

    @staticmethod
    def _meter_issue(meter_id: str) -> str:
        return f"wmbus_meter_{meter_id}"

    @callback
    def _on_message(self, line: str) -> None:
        message = classify(line)
        heard = self.heard.from_stderr(line, self.now())
        if heard is not None and heard.meter_id in self.meters:
            self.heard.forget(heard.meter_id)
        elif heard is not None:
            LOGGER.debug("%s: heard %s", self.entry.title, mask_meter_ids(heard.label))
            return
        if message is None or (
            message.problem is Problem.NO_DRIVER_FOUND and message.subject not in self.meters
        ):  # a neighbour no driver knows is not ours to report
            LOGGER.debug("%s: wmbusmeters: %s", self.entry.title, mask_meter_ids(line))
            return
        LOGGER.warning("%s: wmbusmeters: %s", self.entry.title, mask_meter_ids(message.text))
        if (key := _METER_PROBLEMS.get(message.problem)) is not None:
            coordinator = self.meters.get(message.subject)
            if coordinator is None:
                return
            # the failure is logged when the meter goes unavailable: its id shortened
            coordinator.set_problem(key, meter_id=short_id(message.subject))
            self._issue(
                self._meter_issue(message.subject), key, coordinator.subentry.title, message.subject
            )
        elif message.problem is Problem.UNKNOWN_DRIVER:
            self._issue(
                f"{UNKNOWN_DRIVER}_{self.entry.entry_id}", UNKNOWN_DRIVER, message.subject, ""
            )
            self.receiver.publish(problem=UNKNOWN_DRIVER)
        elif message.problem in {Problem.DEVICE_NOT_FOUND, Problem.DEVICE_IGNORED}:
            self._issue(
                f"{DEVICE_NOT_FOUND}_{self.entry.entry_id}", DEVICE_NOT_FOUND, self.device, ""
            )
            self.receiver.publish(problem=DEVICE_NOT_FOUND)

    def _issue(self, issue_id: str, key: str, name: str, meter_id: str) -> None:
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=key,
            translation_placeholders={
                "name": name,
                "meter_id": meter_id,
                "receiver": self.entry.title,
                "device": self.device,
            },
        )

    def diagnostics(self) -> dict[str, Any]:
        """Process state, argv (no key on it), heard meters."""
        sup = self.supervisor
        return {
            "argv": sup.argv,
            "state": str(sup.state),
            "runs": sup.runs,
            "restarts": sup.restarts,
            "telegrams": sup.telegrams,
            "last_ended": repr(sup.last_ended),
            "heard": self.heard.as_list(),
        }
