"""
Self-tests of the run-time translation check (``tests/translations_check.py``).

Tiny fake flows, issues, exceptions and entities ask for keys that the strings
lack (or leave placeholders out); the autouse ``check_translations`` fixture must
report each of them. The tests swap its strings for ``FAKE_EN`` (so they do not
change when ``en.json`` does), and ``take_problems()`` hands the findings to the
test and clears them, so the deliberate mistakes do not fail these tests at
teardown. The last test runs pytest on a throw-away test file to prove that the
fixture fails a test, against the real ``en.json``.
"""

from __future__ import annotations

from collections.abc import Generator
import os
from pathlib import Path
import subprocess
import sys
from typing import Any
from unittest.mock import patch

from homeassistant import config_entries
from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.config_entries import (
    SOURCE_USB,
    SOURCE_USER,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType, section
from homeassistant.exceptions import ConfigEntryNotReady, HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import UpdateFailed
import probatio as vol
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockEntityPlatform

import custom_components.energy_meters.config_flow  # noqa: F401 - registers the real handler first
from custom_components.energy_meters.const import DOMAIN
from tests.translations_check import TranslationChecker, flatten_strings, placeholder_names

REPO_ROOT = Path(__file__).parents[1]
K = f"component.{DOMAIN}"

FAKE_EN: dict[str, Any] = {
    "config": {
        "flow_title": "{name}",
        "step": {
            "user": {"title": "Add a meter", "menu_options": {"form": "A form"}},
            "form": {
                "description": "No placeholder here",
                "data": {"device": "Port"},
                "data_description": {"device": "The port"},
            },
            "usb_confirm": {"description": "Dongle on {port}"},
        },
    },
    "options": {"step": {"init": {"title": "Options"}}},
    "issues": {
        "meter_replaced": {
            "title": "Other meter on {title}",
            "description": "{port} has {found}, not {expected}",
        }
    },
    "exceptions": {"no_data": {"message": "No frame from {port}"}},
    "entity": {
        "sensor": {
            "current_phase": {"name": "Current phase {phase}"},
            "base": {"name": "Energy base"},
            "ptec": {"name": "Period", "state": {"hp": "Peak"}},
        }
    },
}


@pytest.fixture(autouse=True)
def fake_strings(check_translations: TranslationChecker) -> Generator[None]:
    """Check this module's fakes against ``FAKE_EN`` instead of the real en.json."""
    real = check_translations.strings
    check_translations.strings = flatten_strings(FAKE_EN)
    yield
    check_translations.strings = real


def assert_reported(checker: TranslationChecker, *keys: str) -> list[str]:
    """Assert that exactly ``keys`` (without ``component.<domain>.``) were reported."""
    found = {key.removeprefix(f"{K}."): text for key, text in checker.errors.items()}
    problems = checker.take_problems()
    assert set(found) == set(keys), "\n".join(problems)
    return problems


# --- fake flows ----------------------------------------------------------------------

BOGUS_SCHEMA = vol.Schema(
    {
        vol.Required("device"): str,  # translated
        vol.Required("bogus_field"): str,
        vol.Required("advanced"): section(vol.Schema({vol.Optional("bogus_baud"): int})),
    }
)


class FakeSubentryFlow(ConfigSubentryFlow):
    """A subentry flow with one form and one abort, all keys missing."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        if user_input is None:
            return self.async_show_form(step_id="user", errors={"base": "bogus_sub_error"})
        return self.async_abort(reason="bogus_sub_abort")


class FakeOptionsFlow(OptionsFlow):
    """An options flow showing a menu with a missing option."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        return self.async_show_menu(step_id="init", menu_options=["bogus_option"])


class FakeFlow(ConfigFlow):  # no domain=: registered only while a test patches HANDLERS
    """Config flow whose steps each show one deliberately wrong key."""

    VERSION = 1

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        return self.async_show_menu(step_id="user", menu_options=["form", "bogus_kind"])

    async def async_step_form(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        if user_input is None:
            return self.async_show_form(
                step_id="form", data_schema=BOGUS_SCHEMA, errors={"base": "bogus_error"}
            )
        return self.async_abort(reason="bogus_abort")

    async def async_step_usb_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        # the description uses {port}: not giving it is a problem
        return self.async_show_form(step_id="usb_confirm", description_placeholders={})

    async def async_step_usb(self, discovery_info: Any) -> ConfigFlowResult:
        return self.async_abort(reason="bogus_discovery_abort")

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> OptionsFlow:
        return FakeOptionsFlow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        return {"meter": FakeSubentryFlow}


@pytest.fixture
def fake_flow() -> Generator[None]:
    with patch.dict(config_entries.HANDLERS, {DOMAIN: FakeFlow}):
        yield


@pytest.mark.usefixtures("fake_flow")
async def test_config_flow_keys_are_checked(
    hass: HomeAssistant, check_translations: TranslationChecker
) -> None:
    flow = hass.config_entries.flow
    result = await flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert_reported(check_translations, "config.step.user.menu_options.bogus_kind")

    result = await flow.async_configure(result["flow_id"], {"next_step_id": "form"})
    assert result["type"] is FlowResultType.FORM
    assert_reported(
        check_translations,
        "config.step.form.data.bogus_field",
        "config.step.form.data_description.bogus_field",
        "config.step.form.sections.advanced.data.bogus_baud",
        "config.step.form.sections.advanced.data_description.bogus_baud",
        "config.error.bogus_error",
    )

    result = await flow.async_configure(
        result["flow_id"], {"device": "x", "bogus_field": "y", "advanced": {}}
    )
    assert result["type"] is FlowResultType.ABORT
    assert_reported(check_translations, "config.abort.bogus_abort")


@pytest.mark.usefixtures("fake_flow")
async def test_step_placeholders_and_discovery_aborts(
    hass: HomeAssistant, check_translations: TranslationChecker
) -> None:
    # A discovery flow aborting at once is never shown: its reason needs no string.
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USB})
    assert result["type"] is FlowResultType.ABORT
    assert check_translations.take_problems() == []

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": "usb_confirm", "title_placeholders": {"nom": "dongle"}}
    )
    assert result["type"] is FlowResultType.FORM
    problems = assert_reported(
        check_translations, "config.step.usb_confirm.description", "config.flow_title"
    )
    assert any("['port']" in p for p in problems)
    assert any("['name']" in p for p in problems)


@pytest.mark.usefixtures("fake_flow")
async def test_options_and_subentry_flow_keys_are_checked(
    hass: HomeAssistant, check_translations: TranslationChecker
) -> None:
    entry = MockConfigEntry(domain=DOMAIN, unique_id="123")
    entry.add_to_hass(hass)

    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert_reported(check_translations, "options.step.init.menu_options.bogus_option")

    subentries = hass.config_entries.subentries
    sub = await subentries.async_init((entry.entry_id, "meter"), context={"source": "user"})
    assert sub["type"] is FlowResultType.FORM
    assert_reported(check_translations, "config_subentries.meter.error.bogus_sub_error")
    sub = await subentries.async_configure(sub["flow_id"], {})
    assert sub["type"] is FlowResultType.ABORT
    assert_reported(check_translations, "config_subentries.meter.abort.bogus_sub_abort")


# --- issues, exceptions --------------------------------------------------------------


async def test_issue_keys_are_checked(
    hass: HomeAssistant, check_translations: TranslationChecker
) -> None:
    def create(issue_id: str, key: str, *, fixable: bool, **placeholders: str) -> None:
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=fixable,
            severity=ir.IssueSeverity.WARNING,
            translation_key=key,
            translation_placeholders=placeholders or None,
        )

    create("a", "bogus_issue", fixable=False)
    assert_reported(
        check_translations, "issues.bogus_issue.title", "issues.bogus_issue.description"
    )
    create("b", "bogus_fixable", fixable=True)  # a fixable issue has a fix flow, not a text
    assert_reported(check_translations, "issues.bogus_fixable.title")
    create("c", "meter_replaced", fixable=False, title="t", port="p")  # no found / expected
    problems = assert_reported(check_translations, "issues.meter_replaced.description")
    assert "['expected', 'found']" in problems[0]
    create("d", "meter_replaced", fixable=False, title="t", port="p", found="1", expected="2")
    assert check_translations.take_problems() == []


def test_exception_keys_are_checked(check_translations: TranslationChecker) -> None:
    UpdateFailed(translation_domain=DOMAIN, translation_key="bogus_failure")
    assert_reported(check_translations, "exceptions.bogus_failure.message")
    ConfigEntryNotReady(translation_domain=DOMAIN, translation_key="no_data")  # {port} missing
    assert_reported(check_translations, "exceptions.no_data.message")
    HomeAssistantError(
        translation_domain=DOMAIN, translation_key="no_data", translation_placeholders={"port": "x"}
    )
    HomeAssistantError(translation_domain="other_domain", translation_key="bogus")  # not ours
    HomeAssistantError("plain message")
    assert check_translations.take_problems() == []


# --- entities ------------------------------------------------------------------------


class FakeSensor(SensorEntity):
    _attr_has_entity_name = True

    def __init__(self, description: SensorEntityDescription) -> None:
        self.entity_description = description
        self._attr_unique_id = f"fake_{description.key}"


async def test_entity_keys_are_checked(
    hass: HomeAssistant, check_translations: TranslationChecker
) -> None:
    platform = MockEntityPlatform(hass, domain="sensor", platform_name=DOMAIN)
    descriptions = [
        SensorEntityDescription(key="a", translation_key="bogus_entity"),
        # a family key without its placeholder: every phase would read "phase {phase}"
        SensorEntityDescription(key="b", translation_key="current_phase"),
        # a placeholder the name does not use: every member would get the same name
        SensorEntityDescription(
            key="c", translation_key="base", translation_placeholders={"phase": "1"}
        ),
        SensorEntityDescription(
            key="d",
            translation_key="ptec",
            device_class=SensorDeviceClass.ENUM,
            options=["hp", "bogus_state"],
        ),
        # fine: family member with its placeholder, explicit name, no translation key
        SensorEntityDescription(
            key="e", translation_key="current_phase", translation_placeholders={"phase": "2"}
        ),
        SensorEntityDescription(key="f", translation_key="bogus_but_named", name="Named"),
        SensorEntityDescription(key="g", device_class=SensorDeviceClass.POWER),
    ]
    await platform.async_add_entities([FakeSensor(d) for d in descriptions])
    problems = assert_reported(
        check_translations,
        "entity.sensor.bogus_entity.name",
        "entity.sensor.current_phase.name",
        "entity.sensor.base.name",
        "entity.sensor.ptec.state.bogus_state",
    )
    assert any("does not use the given placeholder(s) ['phase']" in p for p in problems)

    other = MockEntityPlatform(hass, domain="sensor", platform_name="other_integration")
    await other.async_add_entities([FakeSensor(descriptions[0])])
    assert check_translations.take_problems() == []


# --- the fixture itself --------------------------------------------------------------


@pytest.mark.parametrize("ignore_missing_translations", [[f"{K}.exceptions.bogus_ignored.message"]])
def test_ignore_missing_translations(check_translations: TranslationChecker) -> None:
    HomeAssistantError(translation_domain=DOMAIN, translation_key="bogus_ignored")
    assert check_translations.problems() == []


def test_unused_ignore_is_a_problem() -> None:
    checker = TranslationChecker(ignore=[f"{K}.config.error.never_asked"])
    assert checker.problems() == [
        f"{K}.config.error.never_asked is in ignore_missing_translations but was never missing"
    ]


def test_placeholder_names() -> None:
    assert placeholder_names("Current phase {phase} of {title}") == {"phase", "title"}
    assert placeholder_names("No placeholder") == set()


def test_fixture_fails_a_test_that_asks_for_a_missing_key(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text(  # our settings (pyproject.toml), for the HA plugin
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["tests.translations_check"]\n')
    (tmp_path / "test_sample.py").write_text(
        "from homeassistant.exceptions import HomeAssistantError\n"
        "\n"
        "def test_wrong_key():\n"
        f"    HomeAssistantError(translation_domain={DOMAIN!r}, translation_key='no_such_key')\n"
        "\n"
        "def test_right_key():\n"
        f"    HomeAssistantError(translation_domain={DOMAIN!r}, translation_key='no_data',\n"
        "                       translation_placeholders={'port': '/dev/ttyUSB0'})\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "--rootdir",
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    out = run.stdout
    assert run.returncode == 1, out + run.stderr
    assert "2 passed, 1 error" in out, out
    assert "ERROR at teardown of test_wrong_key" in out, out
    assert "`exceptions.no_such_key.message` is missing from translations/en.json" in out, out
