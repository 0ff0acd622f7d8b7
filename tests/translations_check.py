"""
Run-time translation checks: fail a test whenever the code asks for a missing string.

A port of Home Assistant core's autouse ``check_translations`` fixture
(``tests/components/conftest.py``), adapted to a custom integration: instead of
parsing our code, it watches what the code really asks Home Assistant to show
while the tests run, and looks every key up in ``translations/en.json``. It wraps

* data entry flow steps (``FlowManager._async_handle_step``): config, options,
  config-subentry (``config_subentries.<type>.…``) and repair (``issues.<key>.fix_flow.…``)
  flows. A form needs ``step.<id>.data.<field>`` and ``data_description.<field>``
  for every schema field, sections included (our quality scale has ``config-flow:
  done``, which is when core requires them), and ``error.<key>`` for every error;
  a menu needs ``step.<id>.menu_options.<option>``; progress needs
  ``progress.<action>``; an abort needs ``abort.<reason>``, except a discovery flow
  aborting at its first step (nobody sees it, as in core) and reasons Home
  Assistant translates itself (``translation_domain`` set to another domain).
  Step titles and descriptions are optional, but their placeholders must be given,
  and so must those of ``flow_title`` when the flow sets ``title_placeholders``;
* ``IssueRegistry.async_get_or_create``: ``issues.<key>.title``, and ``.description``
  unless the issue is fixable;
* ``HomeAssistantError.__init__``: every exception built with our translation
  domain (``UpdateFailed``, ``ConfigEntryNotReady``, ``ServiceValidationError``…)
  needs ``exceptions.<key>.message``. Core wraps service calls only; building the
  exception is where the code asks for the key, raised or not;
* ``Entity.add_to_platform_start``: an entity of ours with a translation key and no
  explicit name needs ``entity.<platform>.<key>.name``, whose placeholders must be
  exactly the entity's ``translation_placeholders`` (an unused one means every
  member of a family gets the same name); an enum sensor needs
  ``entity.sensor.<key>.state.<option>`` for every option; a device translation key
  needs ``device.<key>.name``.

Only our own domain is checked: other domains' strings are Home Assistant's.
Placeholders are checked the way core does it: every ``{name}`` in the string must
be provided. The fixtures are imported by ``tests/conftest.py``; a test that
expects a missing key lists it (``component.energy_meters.<category>.<key>``) in an
overridden ``ignore_missing_translations`` fixture, and an unused entry fails too.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from functools import cache
import json
from pathlib import Path
import string
from typing import Any
from unittest.mock import patch

from homeassistant.components.repairs import RepairsFlowManager
from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.config_entries import (
    DISCOVERY_SOURCES,
    ConfigEntriesFlowManager,
    ConfigSubentryFlowManager,
    OptionsFlowManager,
)
from homeassistant.data_entry_flow import FlowHandler, FlowManager, FlowResultType, section
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import EntityPlatform
from homeassistant.helpers.typing import UNDEFINED
import pytest

DOMAIN = "energy_meters"
EN_JSON = Path(__file__).parents[1] / "custom_components" / DOMAIN / "translations" / "en.json"


def flatten_strings(tree: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Return ``{dotted key: string}`` of a nested translation tree."""
    out: dict[str, str] = {}
    for key, value in tree.items():
        if isinstance(value, Mapping):
            out.update(flatten_strings(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


@cache
def load_strings(path: Path = EN_JSON) -> Mapping[str, str]:
    """Return ``{dotted key: string}`` of a translation file (read once per session)."""
    return flatten_strings(json.loads(path.read_text(encoding="utf-8")))


def placeholder_names(text: str) -> set[str]:
    """Return the ``{name}`` placeholders of a string (str.format syntax, like core)."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _field_name(marker: Any) -> str:
    return str(getattr(marker, "schema", marker))


class TranslationChecker:
    """Collect the translation keys the code asks for that ``en.json`` lacks."""

    def __init__(
        self,
        strings: Mapping[str, str] | None = None,
        *,
        domain: str = DOMAIN,
        ignore: Iterable[str] = (),
    ) -> None:
        """Check against ``strings`` (default: our en.json), ignoring the ``ignore`` keys."""
        self.strings = load_strings() if strings is None else strings
        self.domain = domain
        self.errors: dict[str, str] = {}
        self.ignored: dict[str, bool] = dict.fromkeys(ignore, False)  # full key -> used
        self._seen_flows: set[str] = set()

    # --- results ---------------------------------------------------------------------

    def problems(self) -> list[str]:
        """Return every problem found so far, plus ignore entries that were never needed."""
        unused = [
            f"{key} is in ignore_missing_translations but was never missing"
            for key, used in self.ignored.items()
            if not used
        ]
        return [*self.errors.values(), *unused]

    def take_problems(self) -> list[str]:
        """Return the problems found so far and forget them (for tests of the checker)."""
        problems = list(self.errors.values())
        self.errors.clear()
        return problems

    def validate(
        self,
        key: str,
        placeholders: Mapping[str, Any] | None,
        where: str,
        *,
        required: bool = True,
        exact: bool = False,
    ) -> None:
        """
        Check one key (``config.step.user.title``) of our domain.

        Missing: a problem when ``required``. Present: every placeholder of the string
        must be in ``placeholders``; with ``exact``, every given one must be used too.
        """
        full_key = f"component.{self.domain}.{key}"
        text = self.strings.get(key)
        if text is None:
            if not required:
                return
            if full_key in self.ignored:
                self.ignored[full_key] = True
                return
            self.errors.setdefault(
                full_key, f"{where}: `{key}` is missing from translations/en.json"
            )
            return
        used = placeholder_names(text)
        given = set(placeholders or {})
        if missing := sorted(used - given):
            self.errors.setdefault(
                full_key,
                f"{where}: `{key}` ({text!r}) uses placeholder(s) {missing} that are not given",
            )
        elif exact and (unused := sorted(given - used)):
            self.errors.setdefault(
                full_key,
                f"{where}: `{key}` ({text!r}) does not use the given placeholder(s) {unused}",
            )

    # --- data entry flows ------------------------------------------------------------

    def _flow_prefix(self, manager: FlowManager[Any, Any, Any], flow: FlowHandler) -> str | None:
        """Return ``config.`` / ``options.`` / ... for a flow of our domain, else None."""
        hass = flow.hass
        if isinstance(manager, ConfigEntriesFlowManager):
            return "config." if flow.handler == self.domain else None
        if isinstance(manager, OptionsFlowManager):
            entry = hass.config_entries.async_get_entry(flow.handler)
            return "options." if entry is not None and entry.domain == self.domain else None
        if isinstance(manager, ConfigSubentryFlowManager):
            handler: tuple[str, str] = flow.handler  # type: ignore[assignment]
            entry_id, subentry_type = handler
            entry = hass.config_entries.async_get_entry(entry_id)
            if entry is None or entry.domain != self.domain:
                return None
            return f"config_subentries.{subentry_type}."
        if isinstance(manager, RepairsFlowManager) and flow.handler == self.domain:
            issue_id = getattr(flow, "issue_id", None)
            issue = ir.async_get(hass).async_get_issue(flow.handler, issue_id or "")
            if issue is None or issue.translation_key is None:
                return None
            return f"issues.{issue.translation_key}.fix_flow."
        return None

    def check_flow_result(
        self, manager: FlowManager[Any, Any, Any], flow: FlowHandler, result: Mapping[str, Any]
    ) -> None:
        """Check the strings a flow step result shows."""
        if result["type"] is FlowResultType.CREATE_ENTRY:
            return
        prefix = self._flow_prefix(manager, flow)
        if prefix is None:
            return
        seen_before = flow.flow_id in self._seen_flows
        self._seen_flows.add(flow.flow_id)
        where = f"{type(flow).__name__} ({prefix.rstrip('.')})"
        placeholders = result.get("description_placeholders")
        kind = result["type"]
        context: Mapping[str, Any] = flow.context
        if prefix == "config." and "title_placeholders" in context:
            self.validate(
                "config.flow_title",
                context["title_placeholders"],
                f"{where} title_placeholders",
                required=False,
            )
        if kind in (FlowResultType.FORM, FlowResultType.MENU):
            step = f"{prefix}step.{result['step_id']}"
            for header in ("title", "description"):
                self.validate(f"{step}.{header}", placeholders, where, required=False)
        if kind is FlowResultType.FORM:
            step = f"{prefix}step.{result['step_id']}"
            if (schema := result.get("data_schema")) is not None:
                self._check_fields(step, schema, placeholders, where)
            for error in (result.get("errors") or {}).values():
                self.validate(f"{prefix}error.{error}", placeholders, where)
        elif kind is FlowResultType.MENU:
            options = result["menu_options"]
            if not isinstance(options, Mapping):  # a mapping carries its own labels
                for option in options:
                    self.validate(
                        f"{prefix}step.{result['step_id']}.menu_options.{option}",
                        placeholders,
                        where,
                    )
        elif kind is FlowResultType.SHOW_PROGRESS:
            self.validate(f"{prefix}progress.{result['progress_action']}", placeholders, where)
        elif kind is FlowResultType.ABORT:
            if not seen_before and flow.source in DISCOVERY_SOURCES:
                return  # a discovery flow that aborts at once is never shown
            if result.get("translation_domain", self.domain) != self.domain:
                return  # Home Assistant's own reason (already_in_progress, ...)
            self.validate(f"{prefix}abort.{result['reason']}", placeholders, where)

    def _check_fields(
        self, step: str, schema: Any, placeholders: Mapping[str, Any] | None, where: str
    ) -> None:
        for marker, value in schema.schema.items():
            name = _field_name(marker)
            if isinstance(value, section):
                self.validate(f"{step}.sections.{name}.name", placeholders, where, required=False)
                self._check_fields(f"{step}.sections.{name}", value.schema, placeholders, where)
                continue
            for header in ("data", "data_description"):
                self.validate(f"{step}.{header}.{name}", placeholders, where)

    # --- issues, exceptions, entities ------------------------------------------------

    def check_issue(self, issue: ir.IssueEntry) -> None:
        """Check a repair issue's title and (unless fixable) description."""
        if issue.domain != self.domain or issue.translation_key is None:
            return  # translation_key is None only for dismissed issues
        where = f"issue {issue.issue_id}"
        key = f"issues.{issue.translation_key}"
        self.validate(f"{key}.title", issue.translation_placeholders, where)
        if not issue.is_fixable:
            self.validate(f"{key}.description", issue.translation_placeholders, where)

    def check_exception(self, err: HomeAssistantError) -> None:
        """Check the message of an exception built with our translation domain."""
        if err.translation_domain != self.domain or err.translation_key is None:
            return
        self.validate(
            f"exceptions.{err.translation_key}.message",
            err.translation_placeholders,
            type(err).__name__,
        )

    def check_entity(self, entity: Entity, platform: EntityPlatform) -> None:
        """Check the name, states and device name of an entity being added."""
        if platform.platform_name != self.domain:
            return
        description = getattr(entity, "entity_description", None)
        where = f"{type(entity).__name__} {getattr(description, 'key', entity.unique_id)}"
        device_info = entity.device_info or {}
        if (device_key := device_info.get("translation_key")) is not None:
            self.validate(
                f"device.{device_key}.name",
                device_info.get("translation_placeholders"),
                f"{where} device",
            )
        if (key := entity.translation_key) is None:
            return
        prefix = f"entity.{platform.domain}.{key}"
        named = hasattr(entity, "_attr_name") or (
            description is not None and description.name is not UNDEFINED
        )
        if entity.has_entity_name and not named:
            self.validate(f"{prefix}.name", entity.translation_placeholders, where, exact=True)
        if getattr(entity, "device_class", None) == SensorDeviceClass.ENUM:
            for option in getattr(entity, "options", None) or ():
                self.validate(f"{prefix}.state.{option}", None, where)

    # --- wiring ----------------------------------------------------------------------

    @contextmanager
    def patched(self) -> Iterator[TranslationChecker]:
        """Watch flows, issues, exceptions and entities while the context is active."""
        checker = self
        handle_step = FlowManager._async_handle_step
        get_or_create = ir.IssueRegistry.async_get_or_create
        error_init = HomeAssistantError.__init__
        add_start = Entity.add_to_platform_start

        async def _handle_step(
            manager: FlowManager[Any, Any, Any], flow: FlowHandler, *args: Any
        ) -> Any:
            result = await handle_step(manager, flow, *args)
            checker.check_flow_result(manager, flow, result)
            return result

        def _get_or_create(registry: ir.IssueRegistry, *args: Any, **kwargs: Any) -> ir.IssueEntry:
            issue = get_or_create(registry, *args, **kwargs)
            checker.check_issue(issue)
            return issue

        def _error_init(err: HomeAssistantError, *args: Any, **kwargs: Any) -> None:
            error_init(err, *args, **kwargs)
            checker.check_exception(err)

        def _add_start(entity: Entity, hass: Any, platform: EntityPlatform, *args: Any) -> None:
            add_start(entity, hass, platform, *args)
            checker.check_entity(entity, platform)

        with ExitStack() as stack:
            stack.enter_context(patch.object(FlowManager, "_async_handle_step", _handle_step))
            stack.enter_context(
                patch.object(ir.IssueRegistry, "async_get_or_create", _get_or_create)
            )
            stack.enter_context(patch.object(HomeAssistantError, "__init__", _error_init))
            stack.enter_context(patch.object(Entity, "add_to_platform_start", _add_start))
            yield self


@pytest.fixture
def ignore_missing_translations() -> str | list[str]:
    """
    Translation keys a test expects to be missing (none by default).

    Override or parametrize with full keys such as
    ``component.energy_meters.config.error.bogus``; an entry that is never missing
    fails the test.
    """
    return []


@pytest.fixture(autouse=True)
def check_translations(
    ignore_missing_translations: str | list[str],
) -> Generator[TranslationChecker]:
    """Fail the test if the code asked for a translation ``en.json`` does not have."""
    ignore = (
        [ignore_missing_translations]
        if isinstance(ignore_missing_translations, str)
        else ignore_missing_translations
    )
    checker = TranslationChecker(ignore=ignore)
    with checker.patched():
        yield checker
    if problems := checker.problems():
        pytest.fail(
            "Translations missing or incomplete:\n  - " + "\n  - ".join(problems),
            pytrace=False,
        )
