"""The kind records agree with the manifest and with each other."""

from __future__ import annotations

import json
from pathlib import Path

from custom_components.energy_meters.kinds import KINDS

MANIFEST = json.loads(
    (Path(__file__).parents[1] / "custom_components/energy_meters/manifest.json").read_text()
)


def test_manifest_usb_matchers_are_the_kinds_matchers() -> None:
    """USB discovery routes to the kind whose matcher fired: both lists must agree."""
    in_manifest = [
        {key: value for key, value in matcher.items() if key != "known_devices"}
        for matcher in MANIFEST["usb"]
    ]
    in_kinds = [dict(matcher) for kind in KINDS.values() for matcher in kind.usb_matchers]
    assert in_manifest == in_kinds


def test_manifest_ssdp_matchers_are_the_kinds_matchers() -> None:
    """SSDP discovery routes to the kind whose matcher fired: both lists must agree."""
    assert MANIFEST["ssdp"] == [{"st": "urn:schemas-upnp-org:device:fritzbox:1"}]
    in_kinds = [dict(matcher) for kind in KINDS.values() for matcher in kind.ssdp_matchers]
    assert MANIFEST["ssdp"] == in_kinds


def test_step_ids_are_unique_across_kinds() -> None:
    """Step ids are global to the flow: two kinds may not own the same one."""
    seen: dict[str, str] = {}
    for kind in KINDS.values():
        assert kind.key in kind.steps or not kind.in_menu, kind.key
        for step_id in kind.steps:
            assert step_id not in seen, f"{step_id} owned by {seen[step_id]} and {kind.key}"
            seen[step_id] = kind.key


def test_manifest_type_and_class() -> None:
    """Each entry is a hub (a port, a receiver, a box) serving one or more devices."""
    assert MANIFEST["integration_type"] == "hub"
    assert MANIFEST["iot_class"] == "local_push"
