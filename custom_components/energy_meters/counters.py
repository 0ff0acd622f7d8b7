"""
Counter guards per device and value, restored after a restart.

Every energy, volume or heat register passes a
:class:`~.protocol.plausibility.CounterGuard` before it may become a state. The
last accepted value and its time are kept in a ``Store`` per config entry
(``.storage/energy_meters.<entry_id>.counters``), so after a restart a meter
that sends one telegram every few hours is judged against its real history at
once, and a glitch right after the restart cannot become the new baseline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import STORAGE_DIR, Store

from .const import DOMAIN
from .protocol.plausibility import CounterGuard

STORE_VERSION: Final = 1
SAVE_DELAY: Final = 30.0
"""Seconds a changed guard waits before it is written (also written on unload and stop)."""

type Snapshots = dict[str, dict[str, dict[str, Any]]]


async def async_remove_entry_stores(hass: HomeAssistant, entry_id: str) -> None:
    """Delete every store of an entry (guards, and what its kind kept: heard meters, backfill…)."""
    prefix = f"{DOMAIN}.{entry_id}."
    folder = Path(hass.config.path(STORAGE_DIR))

    def _ours() -> list[str]:
        return sorted(path.name for path in folder.glob(f"{prefix}*")) if folder.is_dir() else []

    for key in sorted({f"{prefix}counters", *await hass.async_add_executor_job(_ours)}):
        await Store[Any](hass, STORE_VERSION, key).async_remove()


class CounterStore:
    """The guards' snapshots of one config entry: ``{device key: {value key: snapshot}}``."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Bind the store to its entry."""
        self._store: Store[Snapshots] = Store(
            hass, STORE_VERSION, f"{DOMAIN}.{entry_id}.counters", private=True
        )
        self.snapshots: Snapshots = {}

    async def async_load(self) -> None:
        """Read the saved snapshots (none on a first start)."""
        self.snapshots = await self._store.async_load() or {}

    def schedule_save(self) -> None:
        """Write the snapshots soon (coalesced)."""
        self._store.async_delay_save(lambda: self.snapshots, SAVE_DELAY)

    async def async_save(self) -> None:
        """Write the snapshots now (unload)."""
        await self._store.async_save(self.snapshots)

    async def async_remove(self) -> None:
        """Delete the file (entry removed)."""
        await self._store.async_remove()

    def guards_for(self, device_key: str) -> CounterGuards:
        """Return the guards of one device, restored from its snapshots."""
        return CounterGuards(device_key, self)


class CounterGuards:
    """The guards of one device, by value key."""

    def __init__(self, device_key: str, store: CounterStore | None = None) -> None:
        """Restore the device's guards from ``store`` (lazily, per value)."""
        self.device_key = device_key
        self._store = store
        self._guards: dict[str, CounterGuard] = {}

    def guard(self, key: str, max_rate: float) -> CounterGuard:
        """Return the guard of value ``key``, created or restored on first use."""
        guard = self._guards.get(key)
        if guard is None:
            saved = self._saved().get(key)
            guard = (
                CounterGuard.from_snapshot(saved, max_rate=max_rate)
                if saved is not None
                else CounterGuard(max_rate=max_rate)
            )
            self._guards[key] = guard
        guard.max_rate = max_rate
        return guard

    def check(
        self, key: str, value: float | None, max_rate: float, now: float
    ) -> tuple[float | None, bool]:
        """Judge one reading; return (value to publish, whether it was rejected)."""
        guard = self.guard(key, max_rate)
        before, rejected_before = guard.snapshot(), guard.rejected
        guard.check(value, now)
        if self._store is not None and guard.snapshot() != before:
            self._saved()[key] = guard.snapshot()
            self._store.schedule_save()
        # counts this reading, and a held candidate this reading contradicted
        return guard.value, guard.rejected > rejected_before

    def last(self, key: str) -> tuple[float, float] | None:
        """Return the last accepted reading of ``key`` and its time (restored too), if any."""
        guard = self._guards.get(key)
        snapshot = guard.snapshot() if guard is not None else self._saved().get(key, {})
        value, at = snapshot.get("value"), snapshot.get("accepted_at")
        if isinstance(value, int | float) and isinstance(at, int | float):
            return float(value), float(at)
        return None

    def _saved(self) -> dict[str, dict[str, Any]]:
        if self._store is None:
            return {}
        return self._store.snapshots.setdefault(self.device_key, {})

    def diagnostics(self) -> dict[str, Any]:
        """Each guard's state (values are readings, not secrets)."""
        return {key: guard.snapshot() for key, guard in self._guards.items()}
