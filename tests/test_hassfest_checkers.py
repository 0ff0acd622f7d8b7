"""Self-tests of the ``devtools.hassfest`` checkers.

The checkers run on small in-memory or ``tmp_path`` inputs here: a valid sample
integration (``make_sample``) that every real-file test of
``tests/test_hassfest_rules.py`` must accept, and broken variants whose problems
must be reported.
"""

import json
from pathlib import Path
import struct
from typing import Any
import zlib

import pytest

from devtools.hassfest.brand import PNG_SIGNATURE, check_brand, png_size
from devtools.hassfest.common import REQUIRED_LANGUAGES
from devtools.hassfest.hacs import check_hacs, check_single_integration
from devtools.hassfest.icons import check_icons
from devtools.hassfest.imports import check_dependencies
from devtools.hassfest.manifest import (
    check_manifest,
    check_with_ha_loader,
    manifest_key_order_problems,
    usb_problems,
)
from devtools.hassfest.quality_scale import check_quality_scale
from devtools.hassfest.translations import (
    check_translation_schema,
    check_translation_strings,
    check_translation_trees,
    compare_trees,
)
from tests import test_hassfest_rules as rules


def png_bytes(width: int, height: int) -> bytes:
    """Return a minimal transparent RGBA PNG (no Pillow needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + b"\x00" * (4 * width) for _ in range(height))
    return (
        PNG_SIGNATURE
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


SAMPLE_FLOW = """
from enum import StrEnum

from homeassistant.components import usb
from homeassistant.config_entries import ConfigFlow, OptionsFlowWithReload
from homeassistant.const import CONF_PORT
from homeassistant.data_entry_flow import section
import voluptuous as vol

from .const import DOMAIN

STEP_MENU = "user"
ERR_TIMEOUT = "timeout"


class Kind(StrEnum):
    TIC = "tic"
    RECONFIGURE = "reconfigure"


class ProbeError(Exception):
    def __init__(self, key):
        self.key = key


async def _validate(port):
    if not port:
        return {"base": "cannot_connect"}
    if port == "busy":
        raise ProbeError("port_busy")
    if port.startswith("x"):
        raise ProbeError("not_tic" if port else "no_data")
    return {}


class SampleFlow(ConfigFlow, domain=DOMAIN):
    async def async_step_user(self, user_input=None):
        return self.async_show_menu(step_id=STEP_MENU, menu_options=[k.value for k in Kind])

    async def async_step_tic(self, user_input=None):
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                errors = await _validate(user_input[CONF_PORT])
            except ProbeError as err:
                errors["base"] = err.key
            if not errors:
                await self.async_set_unique_id("x")
                self._abort_if_unique_id_configured()
                return self.async_create_entry(title="x", data=user_input)
            errors[CONF_PORT] = ERR_TIMEOUT
        return self.async_show_form(
            step_id="tic",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_PORT): str,
                    vol.Optional("advanced"): section(vol.Schema({vol.Optional("baud"): int})),
                }
            ),
            errors=errors,
            description_placeholders={"model": "Linky"},
        )

    async def async_step_usb(self, discovery_info):
        self.context["title_placeholders"] = {"name": discovery_info.device}
        return await self.async_step_tic()

    async def async_step_reconfigure(self, user_input=None):
        if user_input is None:
            return self.async_show_form(step_id="reconfigure")
        if user_input.get("bad"):
            return self.async_abort(reason="wrong_device")
        return self.async_update_reload_and_abort(self._get_reconfigure_entry())

    @staticmethod
    def async_get_options_flow(config_entry):
        return SampleOptions()


class SampleOptions(OptionsFlowWithReload):
    async def async_step_init(self, user_input=None):
        errors = {}
        if user_input is not None and user_input["interval"] < 1:
            errors["base"] = "interval_too_short"
        return self.async_show_form(
            step_id="init", data_schema=vol.Schema({vol.Required("interval"): int}), errors=errors
        )
"""

SAMPLE_SENSOR = """
from dataclasses import dataclass

from homeassistant.components.sensor import SensorDeviceClass, SensorEntity, SensorEntityDescription
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.device_registry import DeviceInfo

from .const import DOMAIN

PERIODS = ["hp", "hc"]


@dataclass(frozen=True, kw_only=True)
class MeterSensorDescription(SensorEntityDescription):
    scale: int = 1


DESCRIPTIONS = (
    MeterSensorDescription(key="index", translation_key="index"),
    SensorEntityDescription(
        key="period", translation_key="period", device_class=SensorDeviceClass.ENUM, options=PERIODS
    ),
)


class Status(SensorEntity):
    _attr_translation_key = "status"

    def __init__(self):
        self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, "x")}, translation_key="meter")


def _flag(name):
    return SensorEntityDescription(key=name, translation_key=f"flag_{name}")


FLAGS = (_flag("alarm"),)


class Coordinator:
    def failure(self, key, **placeholders):
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders=placeholders or None,
        )

    def run(self):
        raise self.failure("link_lost", port="x")


def fail(port):
    ir.async_create_issue(None, DOMAIN, "id", is_fixable=False, translation_key="port_gone",
                          translation_placeholders={"port": port})
    raise HomeAssistantError(translation_domain=DOMAIN, translation_key="read_failed",
                             translation_placeholders={"port": port})
"""

SAMPLE_EN: dict[str, Any] = {
    "config": {
        "abort": {"already_configured": "Already configured", "wrong_device": "Wrong device"},
        "error": {
            "cannot_connect": "Cannot connect",
            "timeout": "Timed out",
            "port_busy": "Port busy",
            "not_tic": "Not a TIC stream",
            "no_data": "No data",
        },
        "flow_title": "{name}",
        "step": {
            "user": {"menu_options": {"tic": "Linky TIC", "reconfigure": "Reconfigure"}},
            "tic": {
                "description": "Set up a {model} meter",
                "data": {"port": "Port"},
                "data_description": {"port": "Serial port of the meter"},
                "sections": {
                    "advanced": {
                        "name": "Advanced",
                        "data": {"baud": "Baud rate"},
                        "data_description": {"baud": "Line speed"},
                    }
                },
            },
            "reconfigure": {"title": "Reconfigure"},
        },
    },
    "options": {
        "error": {"interval_too_short": "Too short"},
        "step": {
            "init": {
                "data": {"interval": "Interval"},
                "data_description": {"interval": "Seconds between polls"},
            }
        },
    },
    "device": {"meter": {"name": "Meter"}},
    "entity": {
        "sensor": {
            "index": {"name": "Index"},
            "period": {"name": "Period", "state": {"hp": "Peak", "hc": "Off-peak"}},
            "status": {"name": "Status"},
            "flag_alarm": {"name": "Alarm"},
        }
    },
    "exceptions": {
        "read_failed": {"message": "Reading {port} failed"},
        "link_lost": {"message": "Lost the link on {port}"},
    },
    "issues": {"port_gone": {"title": "Port {port} gone", "description": "Replug {port}"}},
}

SAMPLE_MANIFEST: dict[str, Any] = {
    "domain": "sample_meters",
    "name": "Sample Meters",
    "codeowners": ["@someone"],
    "config_flow": True,
    "dependencies": ["usb"],
    "documentation": "https://github.com/someone/sample_meters",
    "integration_type": "device",
    "iot_class": "local_push",
    "issue_tracker": "https://github.com/someone/sample_meters/issues",
    "requirements": ["serialx>=1.11"],
    "usb": [{"vid": "0403", "pid": "6015", "description": "*teleinfo*"}],
    "version": "0.1.0",
}


def _translate(tree: Any, suffix: str) -> Any:
    """Return a copy of ``tree`` with every string tagged (a fake translation)."""
    if isinstance(tree, dict):
        return {key: _translate(value, suffix) for key, value in tree.items()}
    return f"{tree} {suffix}"


def make_sample(root: Path) -> Path:
    """Write a small, valid integration repository under ``root``; return the domain dir."""
    domain_dir = root / "custom_components" / "sample_meters"
    (domain_dir / "translations").mkdir(parents=True)
    (domain_dir / "brand").mkdir()
    (root / "custom_components" / "__init__.py").write_text("")
    (root / "hacs.json").write_text(json.dumps({"name": "Sample", "homeassistant": "2026.10.0"}))
    (domain_dir / "manifest.json").write_text(json.dumps(SAMPLE_MANIFEST, indent=2))
    (domain_dir / "__init__.py").write_text('"""Sample."""\n')
    (domain_dir / "const.py").write_text('DOMAIN = "sample_meters"\n')
    (domain_dir / "config_flow.py").write_text(SAMPLE_FLOW)
    (domain_dir / "sensor.py").write_text(SAMPLE_SENSOR)
    (domain_dir / "diagnostics.py").write_text(
        "from homeassistant.components.diagnostics import async_redact_data\n"
    )
    for lang in REQUIRED_LANGUAGES:
        tree = SAMPLE_EN if lang == "en" else _translate(SAMPLE_EN, f"({lang})")
        (domain_dir / "translations" / f"{lang}.json").write_text(json.dumps(tree))
    (domain_dir / "icons.json").write_text(
        json.dumps(
            {
                "entity": {
                    "sensor": {
                        "period": {
                            "default": "mdi:clock",
                            "state": {"hc": "mdi:moon-waning-crescent"},
                        }
                    }
                }
            }
        )
    )
    (domain_dir / "quality_scale.yaml").write_text(
        "rules:\n  brands: done\n  action-setup:\n    status: exempt\n    comment: No actions.\n"
    )
    (domain_dir / "brand" / "icon.png").write_bytes(png_bytes(256, 256))
    (domain_dir / "brand" / "icon@2x.png").write_bytes(png_bytes(512, 512))
    return domain_dir


@pytest.fixture
def sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    domain_dir = make_sample(tmp_path)
    monkeypatch.setattr(rules, "INTEGRATION_DIR", domain_dir)
    return domain_dir


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data))


REAL_FILE_TESTS = [
    rules.test_manifest_is_valid,
    rules.test_manifest_accepted_by_home_assistant_loader,
    rules.test_component_imports_are_declared,
    rules.test_hacs_json_is_valid,
    rules.test_exactly_one_integration,
    rules.test_no_strings_json,
    rules.test_translation_trees_are_identical,
    rules.test_translation_strings,
    rules.test_translation_schema,
    rules.test_icons_json,
    rules.test_brand_images,
    rules.test_quality_scale_yaml,
]


@pytest.mark.parametrize("check", REAL_FILE_TESTS, ids=lambda f: f.__name__)
def test_checker_accepts_valid_sample(sample: Path, check: Any) -> None:
    check()


def test_checker_rejects_misordered_manifest() -> None:
    assert manifest_key_order_problems(["domain", "name", "codeowners", "version"]) == []
    assert manifest_key_order_problems(["name", "domain", "version"])
    assert manifest_key_order_problems(["domain", "name", "version", "codeowners"])


def test_checker_manifest_rules(tmp_path: Path) -> None:
    domain_dir = make_sample(tmp_path)
    assert check_manifest(dict(SAMPLE_MANIFEST), domain_dir) == []
    bad = dict(SAMPLE_MANIFEST)
    bad.update(
        domain="other",
        documentation="https://www.home-assistant.io/integrations/other",
        codeowners=["someone"],
        version="not a version",
        iot_class="local_pull",
        dependencies=[],
        requirements=["serialx==1.15.1", "not a requirement!", "pyserial-asyncio>=0.6"],
        usb=[{"vid": "0403", "pid": "6001"}, {"vid": "10c4", "pid": "EA60", "product": "x"}],
        homepage="https://example.org",
    )
    problems = "\n".join(check_manifest(bad, domain_dir))
    for needle in (
        "unknown keys ['homepage']",
        "does not match directory",
        "www.home-assistant.io/integrations",
        "codeowners",
        "not a valid AwesomeVersion",
        "iot_class 'local_pull'",
        '"usb" must be in dependencies',
        "conflicts with Home Assistant's constraint serialx==",
        "'not a requirement!' is not valid PEP 508",
        "pyserial-asyncio>=0.6' is deprecated",
        "usb[0] matches the generic USB-serial bridge 0403:6001",
        "usb[1] has unknown keys ['product']",
        "usb[1].vid must be 4 uppercase hex digits",
    ):
        assert needle in problems, f"{needle!r} not reported in:\n{problems}"
    (domain_dir / "config_flow.py").unlink()
    assert "config_flow.py does not exist" in "\n".join(check_manifest(SAMPLE_MANIFEST, domain_dir))


def test_checker_ha_loader_rejects_bad_version(tmp_path: Path) -> None:
    domain_dir = make_sample(tmp_path)
    assert check_with_ha_loader(domain_dir) == []
    _write_json(domain_dir / "manifest.json", {**SAMPLE_MANIFEST, "version": "banana"})
    assert "refused" in "\n".join(check_with_ha_loader(domain_dir))


def test_checker_dependencies(tmp_path: Path) -> None:
    domain_dir = make_sample(tmp_path)
    (domain_dir / "stats.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "from homeassistant.components.recorder import get_instance\n"
        "from homeassistant.components import energy, usb, repairs\n"
        "import homeassistant.components.binary_sensor\n"
        "if TYPE_CHECKING:\n"
        "    from homeassistant.components.zha import x\n"
    )
    problems = check_dependencies(SAMPLE_MANIFEST, domain_dir)
    flagged = {p.split()[1] for p in problems}
    assert flagged == {
        "homeassistant.components.recorder",
        "homeassistant.components.energy",
        "homeassistant.components.repairs",
    }, problems
    (domain_dir / "repairs.py").write_text("")
    manifest = {
        **SAMPLE_MANIFEST,
        "dependencies": ["usb", "recorder"],
        "after_dependencies": ["energy"],
    }
    assert check_dependencies(manifest, domain_dir) == []


def test_checker_hacs_and_layout(tmp_path: Path) -> None:
    assert check_hacs({"name": "x", "homeassistant": "2026.10.0", "hacs": "2.0.5"}) == []
    problems = "\n".join(
        check_hacs({"homeassistant": "2027.1.0", "iot_class": "x", "zip_release": True})
    )
    assert "unknown keys ['iot_class']" in problems
    assert "name is required" in problems
    assert "newer than the supported" in problems
    assert "zip_release requires filename" in problems
    domain_dir = make_sample(tmp_path)
    assert check_single_integration(domain_dir.parent, "sample_meters") == []
    (domain_dir.parent / "__pycache__").mkdir()
    assert check_single_integration(domain_dir.parent, "sample_meters") == []
    (domain_dir.parent / "second").mkdir()
    assert check_single_integration(domain_dir.parent, "sample_meters")


def test_checker_tree_comparer_reports_paths() -> None:
    en = {"config": {"step": {"user": {"title": "A", "data": {"port": "P"}}}}, "x": "y"}
    fr = {"config": {"step": {"user": {"title": "A", "data": {"host": "H"}}}}, "x": {"z": "y"}}
    missing, extra = compare_trees(en, fr)
    assert missing == ["config.step.user.data.port", "x"]
    assert extra == ["config.step.user.data.host", "x.z"]
    problems = check_translation_trees({"en": en, "fr": fr, "de": en})
    assert "fr.json lacks config.step.user.data.port (present in en.json)" in problems
    assert "fr.json has config.step.user.data.host (absent from en.json)" in problems
    assert not [p for p in problems if p.startswith("de.json")]


def test_checker_translation_strings() -> None:
    trees = {
        "en": {"a": "Port {port}", "b": "[%key:common::config_flow::data::port%]", "c": " pad"},
        "fr": {"a": "Port {device}", "b": "", "c": "see https://example.com/docs"},
        "de": {"a": "Port {port}", "b": "<b>bold</b>", "c": "x '{y}'"},
    }
    problems = "\n".join(check_translation_strings(trees))
    for needle in (
        "a uses different placeholders per language",
        "en.json b uses a [%key:",
        "en.json c has leading or trailing whitespace",
        "fr.json b is empty",
        "fr.json c contains a URL",
        "de.json b contains HTML",
        "de.json c has a placeholder inside single quotes",
    ):
        assert needle in problems, f"{needle!r} not reported in:\n{problems}"


def test_checker_translation_schema() -> None:
    assert check_translation_schema(SAMPLE_EN) == []
    bad = json.loads(json.dumps(SAMPLE_EN))
    bad["config"]["step"]["tic"]["data_description"]["extra"] = "x"
    bad["config"]["step"]["tic"]["data"]["new"] = "y"
    bad["entity"]["sensor"]["Bad_Key"] = {"name": "x", "icon": "mdi:x"}
    bad["entity"]["sensor"]["period"]["state"]["hp"] = "Peak {x}"
    bad["issues"]["port_gone"]["fix_flow"] = {"step": {}}
    bad["exceptions"]["read_failed"]["text"] = "x"
    bad["unknown_top"] = {}
    problems = "\n".join(check_translation_schema(bad))
    for needle in (
        "has unknown keys ['unknown_top']",
        "data_description.extra has no matching data.extra",
        "data.new has no data_description.new",
        "entity.sensor.Bad_Key: invalid key",
        "entity.sensor.Bad_Key has unknown keys ['icon']",
        "period.state.hp must not contain placeholders",
        "issues.port_gone needs exactly one of description / fix_flow",
        "exceptions.read_failed has unknown keys ['text']",
    ):
        assert needle in problems, f"{needle!r} not reported in:\n{problems}"


def test_checker_icons() -> None:
    icons = {
        "entity": {
            "sensor": {
                "period": {"default": "mdi:clock", "state": {"hp": "mdi:sun", "xx": "mdi:a"}},
                "ghost": {"default": "mdi:ghost"},
                "index": {"default": "clock", "colour": "mdi:x"},
            },
            "binary_sensor": {"alarm": {"state": {"on": "mdi:bell-ring", "off": "mdi:bell"}}},
        }
    }
    en = {**SAMPLE_EN, "entity": {**SAMPLE_EN["entity"], "binary_sensor": {"alarm": {"name": "A"}}}}
    problems = "\n".join(check_icons(icons, en))
    assert "binary_sensor" not in problems  # on/off are built-in binary sensor states
    for needle in (
        "entity.sensor.ghost: no entity.sensor.ghost in en.json",
        "entity.sensor.period.state.xx: not a state in en.json",
        "entity.sensor.index.default must be an 'mdi:<name>' string",
        "entity.sensor.index has unknown keys ['colour']",
    ):
        assert needle in problems, f"{needle!r} not reported in:\n{problems}"


def test_checker_brand(tmp_path: Path) -> None:
    brand = tmp_path / "brand"
    brand.mkdir()
    assert len(check_brand(brand)) == 2
    (brand / "icon.png").write_bytes(png_bytes(256, 256))
    (brand / "icon@2x.png").write_bytes(png_bytes(256, 256))
    (brand / "logo.png").write_bytes(png_bytes(600, 100))
    (brand / "logo@2x.png").write_bytes(b"GIF89a")
    (brand / "banner.png").write_bytes(png_bytes(10, 10))
    assert png_size(brand / "icon.png") == (256, 256)
    problems = "\n".join(check_brand(brand))
    for needle in (
        "icon@2x.png is 256x256",
        "logo.png is 600x100: shortest side must be 128-256",
        "logo@2x.png: not a PNG file",
        "banner.png is not a recognised",
    ):
        assert needle in problems, f"{needle!r} not reported in:\n{problems}"


def test_checker_quality_scale() -> None:
    assert check_quality_scale({"rules": {"brands": "done", "diagnostics": "todo"}}) == []
    problems = "\n".join(
        check_quality_scale(
            {
                "rules": {
                    "brands": "yes",
                    "made-up": "done",
                    "diagnostics": {"status": "exempt"},
                    "devices": {"status": "skipped", "comment": "x"},
                }
            }
        )
    )
    for needle in (
        "rules.brands: must be done, todo",
        "rules.made-up: unknown quality scale rule",
        "rules.diagnostics: exempt rules need a comment",
        "rules.devices.status must be done, todo or exempt",
    ):
        assert needle in problems, f"{needle!r} not reported in:\n{problems}"
    assert check_quality_scale({"rule": {}})


def test_checker_real_file_tests_fail_when_files_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "custom_components" / "energy_meters"
    empty.mkdir(parents=True)
    monkeypatch.setattr(rules, "INTEGRATION_DIR", empty)
    for check in (
        rules.test_manifest_is_valid,
        rules.test_hacs_json_is_valid,
        rules.test_icons_json,
    ):
        with pytest.raises(pytest.fail.Exception, match="is missing"):
            check()
    with pytest.raises(AssertionError, match="missing"):
        rules.test_brand_images()


def test_checker_usb_narrowing() -> None:
    ok = [
        {"vid": "0403", "pid": "6001", "manufacturer": "*cartelectronic*"},
        {"vid": "0403", "pid": "6015", "description": "*tinfo*"},
        {"vid": "1234", "pid": "ABCD"},  # not a generic bridge
    ]
    assert usb_problems(ok) == []
    bad = [
        {"vid": "0403", "pid": "6001", "manufacturer": "*ftdi*"},
        {"vid": "10C4", "pid": "EA60", "description": "cp2102 usb to uart"},
        {"vid": "1A86", "pid": "7523", "description": "*"},
    ]
    assert len(usb_problems(bad)) == 3
