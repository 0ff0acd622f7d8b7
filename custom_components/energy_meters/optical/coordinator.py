"""
Coordinators of the optical kind: an IEC 62056-21 poll, DLMS and SML push readers.

- :class:`IecCoordinator` polls: one readout per refresh, inside one exclusive
  exchange of the port's :class:`SerialSession`, so a refresh that is asked while a
  readout runs waits for it (two readouts never overlap). The default interval
  follows the measured readout time (twice it, at least :data:`MIN_POLL`); a meter
  that refused the baud switch once is read at 300 Bd from then on.
- :class:`DlmsCoordinator` and :class:`SmlCoordinator` are push readers on the shared
  loop (``push_reader.py``): HDLC + decode_push, or smllib's stream reader.

Every fault (silence, bad BCC/FCS/CRC, truncated data, wrong key) leaves the
entities unavailable, never zero, and the next good reading brings them back.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
import time
from typing import Any, Final

from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.device_registry import DeviceInfo

from ..const import CONF_BAUDRATE, CONF_DEVICE, DOMAIN, LOGGER, short_id
from ..coordinator import MeterCoordinator, translated_failure
from ..counters import CounterGuards
from ..errors import transport_error_key
from ..hub import EnergyMetersConfigEntry
from ..protocol.dlms import ApduError, DecryptionError, DlmsError
from ..protocol.dlms.apdu import BlockAssembler, decode_push
from ..protocol.dlms.hdlc import HdlcParser
from ..protocol.iec62056 import BccError, Iec62056Error
from ..protocol.iec62056.messages import SIGN_ON_BAUDRATE
from ..protocol.iec62056.session import SessionOptions
from ..protocol.optical.sml import SmlDecoder
from ..protocol.optical.sniff import IEC_LINE, LineSetting
from ..protocol.optical.transport import ChannelTransport, read_out_with_fallback
from ..protocol.optical.values import dlms_identity, dlms_readings, iec_identity, iec_readings
from ..protocol.serial_link import SerialLink, SerialLinkError, open_serial
from ..protocol.serial_session import SerialSession
from ..push_reader import PushCoordinator
from .const import (
    CONF_AUTH_KEY,
    CONF_BYTESIZE,
    CONF_IDENTITY,
    CONF_KEY,
    CONF_PARITY,
    CONF_POLL_INTERVAL,
    CONF_PROTOCOL,
    CONF_SWITCH_BAUDRATE,
    Protocol,
)
from .data import OpticalData
from .processing import ReadingProcessor

MIN_POLL: Final = 10.0
"""Seconds between two readouts at least (automatic interval)."""
MAX_POLL: Final = 900.0
FIRST_POLL: Final = 30.0
"""Seconds before the second readout, while no readout time is measured yet."""
PUSH_PERIOD: Final = 5.0
"""Seconds between two pushes assumed before one is measured."""
WRONG_KEY_BEFORE_REPAIR: Final = 3

MANUFACTURERS: Final = {
    "LGZ": "Landis+Gyr",
    "ISK": "Iskraemeco",
    "EMH": "EMH metering",
    "ITF": "Itron",
    "ELS": "Elster",
    "KFM": "Kaifa",
    "ESY": "EasyMeter",
    "HLY": "Holley",
    "DZG": "DZG",
    "SAG": "Sagemcom",
    "KAM": "Kamstrup",
}
PROTOCOL_NAMES: Final = {
    Protocol.IEC: "IEC 62056-21",
    Protocol.DLMS: "DLMS/COSEM",
    Protocol.SML: "SML",
}


def manufacturer_of(flag: str | None) -> str | None:
    """Name of a FLAG manufacturer id (LGZ -> Landis+Gyr)."""
    if not flag:
        return None
    return MANUFACTURERS.get(flag.upper(), flag.upper())


def _hex_key(value: Any) -> bytes | None:
    return bytes.fromhex(value) if isinstance(value, str) and value else None


class _OpticalDevice:
    """Device info shared by the three coordinators."""

    protocol: Protocol
    device_key: str
    manufacturer_flag: str | None = None

    def meter_device_info(self) -> DeviceInfo:
        """Return the meter as a device: identity, manufacturer, protocol."""
        manufacturer = manufacturer_of(self.manufacturer_flag)
        return DeviceInfo(
            identifiers={(DOMAIN, self.device_key)},
            # the last four characters, as Linky: names become entity IDs, logs, diagnostics
            name=f"{manufacturer or 'Meter'} {self.device_key[-4:]}",
            manufacturer=manufacturer,
            model=PROTOCOL_NAMES[self.protocol],
            serial_number=self.device_key,
        )


class IecCoordinator(_OpticalDevice, MeterCoordinator[OpticalData]):
    """Reads an IEC 62056-21 meter out, one exclusive session at a time."""

    protocol = Protocol.IEC
    #: readout timeouts (tests shorten them); the baud switch comes from the entry
    session_options: SessionOptions = SessionOptions()

    def __init__(
        self, hass: Any, entry: EnergyMetersConfigEntry, guards: CounterGuards | None = None
    ) -> None:
        """Set up from the entry: port, identity, whether the baud switch works."""
        data = entry.data
        identity: str = data[CONF_IDENTITY]
        self._fixed_interval = float(entry.options.get(CONF_POLL_INTERVAL, 0) or 0)
        super().__init__(
            hass,
            entry,
            name=f"IEC 62056-21 {short_id(identity)}",
            device_key=identity,
            guards=guards,
            update_interval=timedelta(seconds=self._fixed_interval or FIRST_POLL),
        )
        self.port: str = data[CONF_DEVICE]
        self.session = SerialSession(self.port, IEC_LINE.serial())
        self.options = replace(
            self.session_options, switch_baudrate=data.get(CONF_SWITCH_BAUDRATE, True)
        )
        self.processor = ReadingProcessor(self, self.port)
        self.monotonic = time.monotonic
        self.readout_seconds: float | None = None
        self.readouts = 0
        self._read_now: asyncio.Task[None] | None = None

    def _interval(self, seconds: float) -> timedelta:
        if self._fixed_interval:
            return timedelta(seconds=self._fixed_interval)
        return timedelta(seconds=min(max(MIN_POLL, 2.0 * seconds), MAX_POLL))

    async def _async_update_data(self) -> OpticalData:
        """One readout (waits for a running one to finish first)."""
        try:
            await self.session.open()
            async with self.session.exclusive() as channel:
                transport = ChannelTransport(channel)
                started = self.monotonic()
                result = await read_out_with_fallback(transport, self.options)
                elapsed = self.monotonic() - started
        except SerialLinkError as err:
            await self.session.close()
            raise translated_failure(
                transport_error_key(err), port=self.port, error=str(err)
            ) from err
        except BccError as err:
            self.link.checksum_errors += 1
            self.link.frames_failed += 1
            raise translated_failure("optical_bad_readout", port=self.port, error=str(err)) from err
        except (Iec62056Error, TimeoutError) as err:
            self.link.frames_failed += 1
            raise translated_failure(
                "optical_no_readout", port=self.port, error=str(err) or "timeout"
            ) from err
        self.readouts += 1
        self.readout_seconds = elapsed
        self.update_interval = self._interval(elapsed)
        if (
            result.baudrate == SIGN_ON_BAUDRATE
            and self.options.switch_baudrate
            and result.identification.max_baudrate > SIGN_ON_BAUDRATE
            and self.session.can_change_baud
        ):
            LOGGER.info(
                "%s: the meter did not follow the baud switch; reading at 300 Bd", self.name
            )
            self.options = replace(self.options, switch_baudrate=False)
        self.manufacturer_flag = result.identification.manufacturer
        readings, _unusable = iec_readings(result.readout)
        if self.processor.is_foreign(iec_identity(readings, result.identification)):
            raise translated_failure("optical_other_meter", port=self.port)
        return self.processor.publish(readings, elapsed)

    async def async_read_now(self) -> None:
        """
        Read the meter out now ("Read now"); presses during a readout share it.

        A 300-Bd readout takes seconds: a second press while one runs waits for
        that readout instead of queueing another session behind it.
        """
        running = self._read_now
        if running is None or running.done():
            running = self._read_now = self.hass.async_create_task(
                self.async_refresh(), f"{self.name} read now"
            )
        await asyncio.shield(running)

    async def async_shutdown(self) -> None:
        """Close the port."""
        await super().async_shutdown()
        await self.session.close()

    def diagnostics(self) -> dict[str, Any]:
        """Readout timing and session options."""
        return {
            "readouts": self.readouts,
            "readout_seconds": self.readout_seconds,
            "interval_s": self.update_interval.total_seconds() if self.update_interval else None,
            "switch_baudrate": self.options.switch_baudrate,
            "unknown_codes": dict(self.processor.unknown),
            "counter_guards": self.guards.diagnostics(),
        }


class _OpticalPush(_OpticalDevice, PushCoordinator[OpticalData]):
    """A push meter on a line with the settings the probe found."""

    no_data_key = "optical_no_data"

    def __init__(
        self, hass: Any, entry: EnergyMetersConfigEntry, guards: CounterGuards | None = None
    ) -> None:
        data = entry.data
        identity: str = data[CONF_IDENTITY]
        super().__init__(
            hass,
            entry,
            name=f"{PROTOCOL_NAMES[self.protocol]} {short_id(identity)}",
            device_key=identity,
            guards=guards,
            port=data[CONF_DEVICE],
        )
        self.setting = LineSetting(
            int(data[CONF_BAUDRATE]), int(data[CONF_BYTESIZE]), str(data[CONF_PARITY])
        )
        self.processor = ReadingProcessor(self, self.port)
        self.monotonic = time.monotonic
        self._period = PUSH_PERIOD
        self._last_push: float | None = None

    async def open_link(self) -> SerialLink:
        """Open the port with the settings found by the probe."""
        return await open_serial(self.port, self.setting.serial())

    def stale_after(self) -> float:
        """Three push periods (measured) and some slack."""
        return 3 * self._period + 1.0

    def _pushed(self) -> None:
        now = self.monotonic()
        if self._last_push is not None and self.last_update_success:
            # the gap of an outage is not a push period (it would delay the next staleness)
            self._period = 0.8 * self._period + 0.2 * min(now - self._last_push, 60.0)
        self._last_push = now

    def diagnostics(self) -> dict[str, Any]:
        """Push period and unknown codes."""
        return {
            "push_period_s": round(self._period, 3),
            "unknown_codes": dict(self.processor.unknown),
            "counter_guards": self.guards.diagnostics(),
        }


class DlmsCoordinator(_OpticalPush):
    """DLMS/COSEM push: HDLC frames, optionally ciphered DataNotifications."""

    protocol = Protocol.DLMS

    def __init__(
        self, hass: Any, entry: EnergyMetersConfigEntry, guards: CounterGuards | None = None
    ) -> None:
        """Keys from the entry (None: plaintext pushes)."""
        super().__init__(hass, entry, guards)
        self.key = _hex_key(entry.data.get(CONF_KEY))
        self.authentication_key = _hex_key(entry.data.get(CONF_AUTH_KEY))
        self.hdlc = HdlcParser()
        self.blocks = BlockAssembler()
        self.wrong_key = 0

    def on_link_opened(self) -> None:
        """Start parsing afresh."""
        self.hdlc = HdlcParser()
        self.blocks = BlockAssembler()

    def feed(self, chunk: bytes) -> list[OpticalData]:
        """HDLC bytes in, one data per decoded notification out."""
        before = self.hdlc.frame_errors
        messages = self.hdlc.feed(chunk)
        if self.hdlc.frame_errors > before:
            self.link.checksum_errors += self.hdlc.frame_errors - before
            self.link.frames_failed += 1
        published: list[OpticalData] = []
        for message in messages:
            try:
                apdu = self.blocks.feed(message)
                if apdu is None:
                    continue
                notification = decode_push(apdu, self.key, self.authentication_key)
            except DecryptionError:
                self.link.frames_failed += 1
                self._wrong_key()
                continue
            except ApduError, DlmsError:
                self.link.frames_failed += 1
                continue
            self._key_ok()
            readings, _unusable = dlms_readings(notification)
            title = notification.system_title
            if title:
                self.manufacturer_flag = title[:3].decode("ascii", "replace")
            if self.processor.is_foreign(dlms_identity(readings, title)):
                continue
            self._pushed()
            published.append(self.processor.publish(readings))
        return published

    def _issue_id(self) -> str:
        return f"wrong_key_{self.config_entry.entry_id}"

    def _wrong_key(self) -> None:
        self.wrong_key += 1
        if self.wrong_key == WRONG_KEY_BEFORE_REPAIR:
            LOGGER.warning("%s: pushes do not decrypt with the configured key", self.name)
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                self._issue_id(),
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key="optical_wrong_key",
                translation_placeholders={"title": self.config_entry.title, "port": self.port},
            )

    def _key_ok(self) -> None:
        if self.wrong_key >= WRONG_KEY_BEFORE_REPAIR:
            ir.async_delete_issue(self.hass, DOMAIN, self._issue_id())
        self.wrong_key = 0


class SmlCoordinator(_OpticalPush):
    """SML push (smllib stream reader fed by our link)."""

    protocol = Protocol.SML

    def __init__(
        self, hass: Any, entry: EnergyMetersConfigEntry, guards: CounterGuards | None = None
    ) -> None:
        """Build the decoder."""
        super().__init__(hass, entry, guards)
        self.decoder = SmlDecoder()
        self._crc_seen = 0
        self._errors_seen = 0

    def on_link_opened(self) -> None:
        """Start parsing afresh."""
        self.decoder.reset()

    def feed(self, chunk: bytes) -> list[OpticalData]:
        """SML bytes in, one data per file of this meter out."""
        files = self.decoder.feed(chunk)
        stats = self.decoder.stats
        if stats.crc_errors + stats.errors > self._crc_seen + self._errors_seen:
            self.link.frames_failed += (
                stats.crc_errors + stats.errors - (self._crc_seen + self._errors_seen)
            )
            self.link.checksum_errors = stats.crc_errors
        self._crc_seen, self._errors_seen = stats.crc_errors, stats.errors
        published: list[OpticalData] = []
        for file in files:
            identity = file.server_id
            try:
                self.manufacturer_flag = bytes.fromhex(identity)[2:5].decode("ascii")
            except ValueError, UnicodeDecodeError:
                self.manufacturer_flag = None
            if self.processor.is_foreign(identity):
                continue
            self._pushed()
            published.append(self.processor.publish(file.readings))
        return published


def coordinator_for(
    hass: Any, entry: EnergyMetersConfigEntry, guards: CounterGuards
) -> MeterCoordinator[OpticalData]:
    """Return the coordinator of the entry's protocol."""
    protocol = Protocol(entry.data[CONF_PROTOCOL])
    if protocol is Protocol.IEC:
        return IecCoordinator(hass, entry, guards)
    if protocol is Protocol.DLMS:
        return DlmsCoordinator(hass, entry, guards)
    return SmlCoordinator(hass, entry, guards)
