"""
The shared reader loop of every push meter (Linky TIC, DLMS push, SML push).

A push meter talks without being asked. :class:`PushCoordinator` owns the loop
once for all of them: open the link, feed every chunk to the kind's parser,
publish what it completes, mark the entities unavailable when nothing valid
arrives for :meth:`stale_after` seconds, reopen a lost link with backoff, and
close the link through ``async_shutdown`` when the entry unloads. The first
refresh opens the link and waits for the first reading, so a dead port becomes
a translated ``ConfigEntryNotReady``.

A kind implements :meth:`open_link`, :meth:`feed` (bytes -> published data) and
:meth:`stale_after`.
"""

from __future__ import annotations

from abc import abstractmethod
import asyncio
import time
from typing import Any, Final, Protocol

from homeassistant.helpers.update_coordinator import UpdateFailed

from .const import DOMAIN, LOGGER
from .coordinator import MeterCoordinator, MeterData, translated_failure
from .errors import CONNECTION_LOST, transport_error_key
from .protocol.serial_link import SerialLinkError

BACKOFF: Final = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
"""Seconds between two attempts to reopen a lost link."""
STALE_MARGIN: Final = 0.05
"""Seconds past the staleness deadline at which a silent read gives up (then it is stale)."""
FIRST_DATA_TIMEOUT: Final = 15.0
"""Seconds to wait for the first valid reading at setup."""


class ByteLink(Protocol):
    """What the loop needs from a link (``SerialLink`` or a session's push stream)."""

    async def read(self, max_bytes: int = 4096) -> bytes:
        """Return the next bytes; raise SerialLinkError when the link is lost."""

    async def close(self) -> None:
        """Close the link (idempotent)."""


class PushCoordinator[DataT: MeterData](MeterCoordinator[DataT]):
    """A meter that pushes readings on a byte link."""

    backoff: tuple[float, ...] = BACKOFF
    first_data_timeout: float = FIRST_DATA_TIMEOUT
    #: translation key (``exceptions``) of "nothing valid arrived", with a ``{port}``
    no_data_key: str = "no_data"

    def __init__(self, *args: Any, port: str, **kwargs: Any) -> None:
        """Remember the port; the link opens at the first refresh."""
        super().__init__(*args, **kwargs)
        self.port = port
        self._link: ByteLink | None = None
        self._reader_started = False
        self._last_data_at: float | None = None

    # --- what each push kind provides ------------------------------------------------
    @abstractmethod
    async def open_link(self) -> ByteLink:
        """Open the meter's link (raise SerialLinkError)."""

    @abstractmethod
    def feed(self, chunk: bytes) -> list[DataT]:
        """Parse received bytes; return the data to publish, oldest first."""

    @abstractmethod
    def stale_after(self) -> float:
        """Seconds without a valid reading before the entities go unavailable."""

    def on_link_opened(self) -> None:
        """Reset parsers after (re)opening the link."""

    # --- the loop --------------------------------------------------------------------
    def _failure(self, err: SerialLinkError, *, lost: bool = False) -> UpdateFailed:
        key = CONNECTION_LOST if lost else transport_error_key(err)
        return translated_failure(key, port=self.port, error=str(err))

    async def _open(self) -> None:
        try:
            self._link = await self.open_link()
        except SerialLinkError as err:
            raise self._failure(err) from err
        self.on_link_opened()

    async def _close(self) -> None:
        link, self._link = self._link, None
        if link is not None:
            await link.close()

    async def _read(self, wait: float) -> list[DataT]:
        """Read once, waiting at most ``wait`` seconds; return the data completed."""
        assert self._link is not None
        try:
            async with asyncio.timeout(wait):
                chunk = await self._link.read()
        except TimeoutError:
            return []
        except SerialLinkError as err:
            await self._close()
            raise self._failure(err, lost=True) from err
        published = self.feed(chunk)
        if published:
            self._last_data_at = time.monotonic()
        return published

    async def _async_update_data(self) -> DataT:
        """Open the link and wait for the first valid reading (setup only)."""
        if self._reader_started and self.data is not None:
            return self.data  # push coordinator: nothing to poll
        await self._open()
        deadline = time.monotonic() + self.first_data_timeout
        try:
            while (remaining := deadline - time.monotonic()) > 0:
                if published := await self._read(remaining):
                    return published[-1]
        except UpdateFailed:
            await self._close()
            raise
        await self._close()
        raise translated_failure(self.no_data_key, port=self.port)

    async def async_start(self) -> None:
        """Start the reader as a config-entry background task."""
        self._reader_started = True
        self.config_entry.async_create_background_task(
            self.hass, self._reader(), f"{DOMAIN} reader {self.name}"
        )

    async def async_shutdown(self) -> None:
        """Stop and close the link (the entry unloads, or HA stops)."""
        await super().async_shutdown()
        await self._close()

    async def _reader(self) -> None:
        """Read forever: publish readings, detect silence, reconnect with backoff."""
        attempt = 0
        while True:
            try:
                if self._link is None:
                    await self._open()
                    LOGGER.debug("%s: port %s reopened", self.name, self.port)
                published = await self._read(self._until_stale())
            except UpdateFailed as failure:
                await self._close()
                self.async_set_unavailable(failure)
                await asyncio.sleep(self.backoff[min(attempt, len(self.backoff) - 1)])
                attempt += 1
                continue
            for data in published:
                attempt = 0
                self.async_set_updated_data(data)
            if self._is_stale():
                self.async_set_unavailable(translated_failure(self.no_data_key, port=self.port))

    def _until_stale(self) -> float:
        """Seconds left before the data is stale: the read wakes up just in time to say so."""
        if self._last_data_at is None:
            return self.stale_after()
        left = self._last_data_at + self.stale_after() - time.monotonic()
        return max(left, 0.0) + STALE_MARGIN

    def _is_stale(self) -> bool:
        return (
            self._last_data_at is None or time.monotonic() - self._last_data_at > self.stale_after()
        )
