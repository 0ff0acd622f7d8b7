"""
Registry of meter kinds: one :class:`~.kind.MeterKind` record per kind.

Adding a kind = a protocol module under ``protocol/``, a subpackage with its hub,
coordinator, catalogue and flow steps, its record in ``<kind>/kind.py``, and
one line here.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from .const import CONF_KIND
from .fritzbox.kind import FRITZBOX
from .kind import MeterKind
from .linky.kind import LINKY
from .optical.kind import OPTICAL
from .wmbus.kind import WMBUS

if TYPE_CHECKING:
    from collections.abc import Mapping

    from homeassistant.config_entries import ConfigEntry

_KINDS: dict[str, MeterKind] = {kind.key: kind for kind in (LINKY, WMBUS, FRITZBOX, OPTICAL)}
KINDS: Final[Mapping[str, MeterKind]] = MappingProxyType(_KINDS)


def register_kind(kind: MeterKind) -> None:
    """Add a kind at run time (tests and extensions; built-in kinds are listed above)."""
    _KINDS[kind.key] = kind


def unregister_kind(key: str) -> None:
    """Remove a kind added with :func:`register_kind`."""
    _KINDS.pop(key, None)


def kind_of(entry: ConfigEntry[Any]) -> MeterKind:
    """Return the kind serving a config entry."""
    return _KINDS[entry.data[CONF_KIND]]
