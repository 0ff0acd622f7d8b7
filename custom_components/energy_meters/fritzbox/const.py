"""FRITZ!Box kind constants."""

from __future__ import annotations

from typing import Final

KIND: Final = "fritzbox"
CONF_UDN: Final = "udn"
"""The box's UPnP UDN (without ``uuid:``), kept from a discovery to recognise it at a new address."""
SSDP_MATCHERS: Final = ({"st": "urn:schemas-upnp-org:device:fritzbox:1"},)
"""What the box announces (core ``fritzbox`` and ``fritz`` match the same); also in the manifest."""
CONF_POLL_INTERVAL: Final = "poll_interval"
DEFAULT_POLL_INTERVAL: Final = 120
"""Seconds: plugs measure about every 2 minutes; polling faster reads the same values."""
MIN_POLL_INTERVAL: Final = 10
PLUG_MAX_POWER_W: Final = 3680.0
"""16 A at 230 V: the most a FRITZ!DECT plug can pass."""
METER_MAX_POWER_W: Final = 43_500.0
"""63 A on three phases: the most a meter read by a Smart Energy 250 can show."""
