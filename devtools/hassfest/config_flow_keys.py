"""Translation keys a config flow needs (steps, menus, errors, aborts, fields), via ``ast``."""

import ast
from collections import defaultdict
from collections.abc import Iterable
import contextlib
from dataclasses import dataclass, field
import functools
from pathlib import Path
from typing import Any

from .ast_tools import Constants, base_name, call_name, keyword_value, parse_file
from .common import REQUIRED_LANGUAGES, dotted, get_node, placeholders, rel

# Flow helpers whose abort reason Home Assistant translates itself when not given.
HA_TRANSLATED_DEFAULT_ABORTS = frozenset(
    {"async_update_reload_and_abort", "async_update_and_abort"}
)
SCHEMA_MARKERS = frozenset({"Required", "Optional", "Exclusive", "Inclusive"})


@dataclass
class FlowKeys:
    """Translation keys a config/options/subentry flow needs, per translation section."""

    steps: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    menu_options: dict[str, set[tuple[str, str]]] = field(default_factory=lambda: defaultdict(set))
    errors: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    aborts: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    step_methods: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    # (section, step id, provided placeholder names or None when not passed, location)
    shown: list[tuple[str, str, set[str] | None, str]] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    form_sections: dict[str, str] = field(default_factory=dict)
    unresolved: list[str] = field(default_factory=list)
    # ids of schema-marker calls that name a section(...) rather than a field
    section_markers: set[int] = field(default_factory=set)
    title_placeholders: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


def _flow_kind(
    name: str, bases: dict[str, list[str]], seen: frozenset[str] = frozenset()
) -> str | None:
    for base in bases.get(name, []):
        if "OptionsFlow" in base:
            return "options"
        if "SubentryFlow" in base:
            return "subentry"
        if base.endswith("ConfigFlow") and base not in bases:
            return "config"
        if base in bases and base not in seen and (kind := _flow_kind(base, bases, seen | {name})):
            return kind
    return None


def collect_flow_keys(
    path: Path, consts: Constants, domain: str, helpers: Iterable[Path] = ()
) -> FlowKeys:
    """
    Collect step ids, menu options, errors, aborts and fields used by the flows in ``path``.

    ``helpers`` are modules the flow calls into (a meter kind's ``flow.py``): errors
    they raise through an exception the flow stores as a form error count too.
    """
    tree = parse_file(path)
    keys = FlowKeys()
    classes = {node.name: node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}
    bases = {
        name: [b for b in (base_name(base) for base in node.bases) if b]
        for name, node in classes.items()
    }
    subentry_types: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and (
            node.name == "async_get_supported_subentry_types"
        ):
            for ret in ast.walk(node):
                if isinstance(ret, ast.Return) and isinstance(ret.value, ast.Dict):
                    for key, value in zip(ret.value.keys, ret.value.values, strict=True):
                        sub_type = consts.string(key)
                        if sub_type and (cls := base_name(value)):
                            subentry_types[cls] = sub_type

    def section_for(class_name: str | None) -> str | None:
        if class_name is None:
            return "config"
        kind = _flow_kind(class_name, bases)
        if kind == "subentry":
            if class_name in subentry_types:
                return f"config_subentries.{subentry_types[class_name]}"
            keys.unresolved.append(f"subentry flow {class_name}: subentry type not found")
            return None
        return kind

    def scan(nodes: Iterable[ast.AST], section: str) -> None:
        for node in nodes:
            for sub in ast.walk(node):
                _scan_node(sub, section, keys, consts, domain, path)

    module_level = [stmt for stmt in tree.body if not isinstance(stmt, ast.ClassDef)]
    scan(module_level, "config")
    carriers: dict[str, set[str]] = defaultdict(set)
    carriers["config"] |= _error_carriers(module_level)
    for name, node in classes.items():
        if any(node in ast.walk(other) for other in classes.values() if other is not node):
            continue  # nested classes are scanned with their outer class
        section = section_for(name) if _flow_kind(name, bases) else None
        if section is None:
            if _flow_kind(name, bases) is None:
                scan([node], "config")
                carriers["config"] |= _error_carriers([node])
            continue
        for item in node.body:
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name.startswith(
                "async_step_"
            ):
                keys.step_methods[section].add(item.name.removeprefix("async_step_"))
        scan([node], section)
        carriers[section] |= _error_carriers([node])
    # raise ProbeError("port_busy") ... except ProbeError as err: errors["base"] = err.key
    for source in (path, *helpers):
        source_tree = tree if source == path else parse_file(source)
        for call in (n for n in ast.walk(source_tree) if isinstance(n, ast.Call)):
            if not call.args or (carried := consts.choices(call.args[0])) is None:
                continue
            for section, names in carriers.items():
                if call_name(call) in names:
                    for error_key in carried:
                        keys.errors[section].setdefault(
                            error_key, f"{rel(source, path.parent.parent.parent)}:{call.lineno}"
                        )
    return keys


def _error_carriers(nodes: Iterable[ast.AST]) -> set[str]:
    """
    Exception classes whose caught instance is stored as a form error.

    ``except ProbeError as err: errors["base"] = err.key`` (or ``= str(err)``) makes
    the first argument of every ``ProbeError("...")`` call an error key.
    """
    found: set[str] = set()
    for node in nodes:
        for handler in (n for n in ast.walk(node) if isinstance(n, ast.ExceptHandler)):
            if handler.name is None or handler.type is None:
                continue
            types_ = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
            for stmt in (n for body in handler.body for n in ast.walk(body)):
                if not isinstance(stmt, ast.Assign) or not any(
                    isinstance(t, ast.Subscript) and "error" in (base_name(t.value) or "").lower()
                    for t in stmt.targets
                ):
                    continue
                value = stmt.value
                if isinstance(value, ast.Call) and call_name(value) == "str" and value.args:
                    value = value.args[0]
                if isinstance(value, ast.Attribute):
                    value = value.value
                if isinstance(value, ast.Name) and value.id == handler.name:
                    found.update(n for n in (base_name(t) for t in types_) if n)
    return found


def _scan_node(
    node: ast.AST, section: str, keys: FlowKeys, consts: Constants, domain: str, path: Path
) -> None:
    where = f"{rel(path, path.parent.parent.parent)}:{getattr(node, 'lineno', '?')}"
    # errors["base"] = "cannot_connect" / errors = {"base": "..."} / errors: dict = {...}
    if isinstance(node, ast.Assign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if (
                isinstance(target, ast.Subscript)
                and "error" in (base_name(target.value) or "").lower()
            ):
                for key in consts.choices(node.value) or []:
                    keys.errors[section].setdefault(key, where)
            elif (
                isinstance(target, ast.Name | ast.Attribute)
                and "error" in (base_name(target) or "").lower()
                and isinstance(node.value, ast.Dict)
            ):
                for value in node.value.values:
                    for key in consts.choices(value) or []:
                        keys.errors[section].setdefault(key, where)
            # self.context["title_placeholders"] = {"name": ...}
            if (
                isinstance(target, ast.Subscript)
                and consts.string(target.slice) == "title_placeholders"
                and (names := consts.string_keys(node.value)) is not None
            ):
                keys.title_placeholders[section] |= names
    if isinstance(node, ast.Dict):
        for key_node, value in zip(node.keys, node.values, strict=True):
            # {"base": "unknown"} returned by a validation helper
            if key_node is not None and consts.string(key_node) == "base":
                for key in consts.choices(value) or []:
                    keys.errors[section].setdefault(key, where)
            # vol.Optional("advanced"): section(vol.Schema({...}))
            if (
                isinstance(key_node, ast.Call)
                and call_name(key_node) in SCHEMA_MARKERS
                and key_node.args
                and isinstance(value, ast.Call)
                and call_name(value) == "section"
            ):
                keys.section_markers.add(id(key_node))
                if (name := consts.string(key_node.args[0])) is not None:
                    keys.form_sections.setdefault(name, where)
    if not isinstance(node, ast.Call):
        return
    name = call_name(node)
    if (errors := keyword_value(node, "errors")) is not None and isinstance(errors, ast.Dict):
        for value in errors.values:
            for error_key in consts.choices(value) or []:
                keys.errors[section].setdefault(error_key, where)

    step_node = keyword_value(node, "step_id")
    if step_node is not None:
        step_id = consts.string(step_node)
        if step_id is None:
            keys.unresolved.append(f"{where}: step_id is not a constant")
        else:
            keys.steps[section].setdefault(step_id, where)
            if name in {"async_show_form", "async_show_menu", "async_show_progress"}:
                ph = keyword_value(node, "description_placeholders")
                provided = set() if ph is None else consts.string_keys(ph)
                if ph is None or provided is not None:
                    keys.shown.append((section, step_id, provided, where))
            if name == "async_show_menu":
                options = keyword_value(node, "menu_options")
                items = consts.string_list(options)
                if items is not None:
                    keys.menu_options[section].update((step_id, item) for item in items)
                elif not isinstance(options, ast.Dict):  # dict menus carry their own labels
                    keys.unresolved.append(f"{where}: menu_options is not a constant list")

    domain_node = keyword_value(node, "translation_domain")
    foreign = domain_node is not None and consts.string(domain_node) not in (None, domain)
    reason_node = keyword_value(node, "reason")
    if reason_node is not None and not foreign:
        if (reasons := consts.choices(reason_node)) is not None:
            for reason in reasons:
                keys.aborts[section].setdefault(reason, where)
        else:
            keys.unresolved.append(f"{where}: abort reason is not a constant")
    elif name == "_abort_if_unique_id_configured":
        reason = consts.string(keyword_value(node, "error")) or "already_configured"
        keys.aborts[section].setdefault(reason, where)
    elif name == "_async_abort_entries_match":
        keys.aborts[section].setdefault("already_configured", where)
    elif name == "_abort_if_unique_id_mismatch":
        keys.aborts[section].setdefault("unique_id_mismatch", where)
    elif name == "AbortFlow" and node.args and (flow_reason := consts.string(node.args[0])):
        keys.aborts[section].setdefault(flow_reason, where)
    # HA_TRANSLATED_DEFAULT_ABORTS without reason=: Home Assistant supplies the string.

    if (
        name in SCHEMA_MARKERS
        and id(node) not in keys.section_markers
        and node.args
        and (field_key := consts.string(node.args[0]))
    ):
        keys.fields.setdefault(field_key, where)


def check_flow_translations(keys: FlowKeys, trees: dict[str, Any]) -> list[str]:
    """Check that every key the flows need exists in each required language."""
    problems: list[str] = []

    def need_in(tree: Any, prefix: str, path: list[str], why: str) -> None:
        if not isinstance(get_node(tree, path), str | dict):
            problems.append(f"{prefix} lacks {dotted(path)} ({why})")

    for lang, tree in sorted(trees.items()):
        if lang not in REQUIRED_LANGUAGES:
            continue
        prefix = f"{lang}.json"
        need = functools.partial(need_in, tree, prefix)

        for section, steps in sorted(keys.steps.items()):
            base = section.split(".")
            for step_id, where in sorted(steps.items()):
                need([*base, "step", step_id], f"step shown at {where}")
            for step_id, option in sorted(keys.menu_options.get(section, ())):
                need([*base, "step", step_id, "menu_options", option], f"menu option of {step_id}")
            for key, where in sorted(keys.errors.get(section, {}).items()):
                need([*base, "error", key], f"error set at {where}")
            for key, where in sorted(keys.aborts.get(section, {}).items()):
                need([*base, "abort", key], f"abort at {where}")
        for section in set(keys.errors) | set(keys.aborts):
            if section in keys.steps:
                continue
            base = section.split(".")
            for kind, found in (("error", keys.errors), ("abort", keys.aborts)):
                for key, where in sorted(found.get(section, {}).items()):
                    need([*base, kind, key], f"{kind} at {where}")

        all_data: set[str] = set()
        all_sections: set[str] = set()
        for section in ("config", "options"):
            for step in (get_node(tree, [section, "step"]) or {}).values():
                if isinstance(step, dict):
                    all_data |= set(step.get("data") or {})
                    for section_id, sec in (step.get("sections") or {}).items():
                        all_sections.add(section_id)
                        if isinstance(sec, dict):
                            all_data |= set(sec.get("data") or {})
        for sub in (tree.get("config_subentries") or {}).values():
            for step in (get_node(sub, ["step"]) or {}).values():
                if isinstance(step, dict):
                    all_data |= set(step.get("data") or {})
        problems += [
            f"{prefix}: form field {key!r} (schema at {where}) has no label in any step's data"
            for key, where in sorted(keys.fields.items())
            if key not in all_data
        ]
        problems += [
            f"{prefix}: form section {key!r} (at {where}) has no entry in any step's sections"
            for key, where in sorted(keys.form_sections.items())
            if key not in all_sections
        ]

        for section in keys.steps:
            flow_title = get_node(tree, [*section.split("."), "flow_title"])
            if isinstance(flow_title, str):
                with contextlib.suppress(ValueError):
                    if missing := sorted(
                        placeholders(flow_title) - keys.title_placeholders.get(section, set())
                    ):
                        problems.append(
                            f"{prefix} {section}.flow_title uses {missing}, never set in "
                            'context["title_placeholders"]'
                        )
        for section, step_id, provided, where in keys.shown:
            step = get_node(tree, [*section.split("."), "step", step_id])
            if not isinstance(step, dict):
                continue
            texts = [step.get("title"), step.get("description")]
            texts += list((step.get("data_description") or {}).values())
            used: set[str] = set()
            for text in texts:
                if isinstance(text, str):
                    try:
                        used |= placeholders(text)
                    except ValueError:
                        continue
            if missing := sorted(used - (provided or set())):
                problems.append(
                    f"{prefix} {section}.step.{step_id} uses placeholders {missing} that the "
                    f"call at {where} does not pass in description_placeholders"
                )

    for section, options in sorted(keys.menu_options.items()):
        methods = keys.step_methods.get(section, set())
        problems += [
            f"menu option {option!r} of step {step_id!r} ({section}) has no async_step_{option}"
            for step_id, option in sorted(options)
            if option not in methods
        ]
    return problems
