"""Hassfest's translation checks, plus identical key trees and placeholders per language."""

from collections import defaultdict
import contextlib
import json
from pathlib import Path
import re
from typing import Any

from .common import REQUIRED_LANGUAGES, dotted, flatten, placeholders

# From core script/hassfest/translations.py.
RE_TRANSLATION_KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
RE_SLUG = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")
RE_HTML = re.compile(r"<[a-z].*?>", re.IGNORECASE)
RE_COMBINED_REFERENCE = re.compile(r"(.+\[%)|(%\].+)")
RE_PLACEHOLDER_IN_SINGLE_QUOTES = re.compile(r"'{\w+}'")
RE_URL = re.compile(
    r"(((ftp|ftps|scp|http|https|mqtt|mqtts|socket|socks5):\/\/|www\.)"
    r"[a-z0-9]+([\-\.]{1}[a-z0-9]+)*\.[a-z]{2,5}(:[0-9]{1,5})?(\/.*)?)",
    re.IGNORECASE,
)
TRANSLATION_TOP_KEYS = frozenset(
    {
        "title",
        "config",
        "config_subentries",
        "options",
        "preview_features",
        "selector",
        "device_automation",
        "system_health",
        "config_panel",
        "application_credentials",
        "issues",
        "entity_component",
        "device",
        "entity",
        "exceptions",
        "services",
        "conditions",
        "triggers",
        "conversation",
        "common",
    }
)
DATA_ENTRY_KEYS = frozenset(
    {"flow_title", "step", "error", "abort", "progress", "create_entry", "initiate_flow"}
)
STEP_KEYS = frozenset(
    {
        "title",
        "description",
        "data",
        "data_description",
        "menu_options",
        "menu_option_descriptions",
        "submit",
        "sections",
    }
)
SECTION_KEYS = frozenset({"name", "description", "data", "data_description"})
ENTITY_KEYS = frozenset({"name", "state", "state_attributes", "unit_of_measurement"})


def load_translations(integration_dir: Path) -> tuple[dict[str, Any], list[str]]:
    """Return ``({language: tree}, problems)`` for every translations/*.json."""
    folder = integration_dir / "translations"
    trees: dict[str, Any] = {}
    problems = [
        f"translations/{lang}.json is missing"
        for lang in REQUIRED_LANGUAGES
        if not (folder / f"{lang}.json").is_file()
    ]
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            tree = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as err:
            problems.append(f"translations/{path.name} is not valid JSON: {err}")
            continue
        if not isinstance(tree, dict):
            problems.append(f"translations/{path.name} must contain a JSON object")
            continue
        trees[path.stem] = tree
    return trees, problems


def compare_trees(reference: Any, other: Any) -> tuple[list[str], list[str]]:
    """Return (key paths missing from ``other``, key paths only in ``other``)."""
    ref_paths = {path for path in flatten(reference) if path}
    other_paths = {path for path in flatten(other) if path}
    # A path that is a leaf on one side and a branch on the other shows up as both.
    return (
        sorted(dotted(p) for p in ref_paths - other_paths),
        sorted(dotted(p) for p in other_paths - ref_paths),
    )


def check_translation_trees(trees: dict[str, Any]) -> list[str]:
    """Every language must have exactly the key tree of ``en.json``."""
    if "en" not in trees:
        return ["translations/en.json is missing, nothing to compare against"]
    problems = []
    for lang, tree in sorted(trees.items()):
        if lang == "en":
            continue
        missing, extra = compare_trees(trees["en"], tree)
        problems += [f"{lang}.json lacks {path} (present in en.json)" for path in missing]
        problems += [f"{lang}.json has {path} (absent from en.json)" for path in extra]
    return problems


def string_value_problems(value: Any) -> list[str]:
    """Hassfest's ``translation_value_validator`` rules, plus non-empty and no references."""
    if not isinstance(value, str):
        return [f"must be a string, got {type(value).__name__}"]
    problems = []
    if not value.strip():
        problems.append("is empty")
    elif value != value.strip():
        problems.append("has leading or trailing whitespace")
    if "[%key:" in value:
        problems.append("uses a [%key:...%] reference (custom integrations cannot)")
    elif RE_COMBINED_REFERENCE.search(value):
        problems.append("contains a combined translation reference")
    if RE_HTML.search(value):
        problems.append("contains HTML")
    if RE_URL.search(value):
        problems.append("contains a URL (use a description placeholder instead)")
    if RE_PLACEHOLDER_IN_SINGLE_QUOTES.search(value):
        problems.append("has a placeholder inside single quotes")
    try:
        names = placeholders(value)
    except ValueError as err:
        problems.append(f"has malformed placeholders: {err}")
    else:
        if bad := sorted(n for n in names if not n.isidentifier()):
            problems.append(f"has placeholders that are not identifiers: {bad}")
    return problems


def check_translation_strings(trees: dict[str, Any]) -> list[str]:
    """Check every string value, and that languages use the same placeholders per string."""
    problems = []
    by_path: dict[tuple[str, ...], dict[str, set[str]]] = defaultdict(dict)
    for lang, tree in sorted(trees.items()):
        for path, value in flatten(tree).items():
            where = f"{lang}.json {dotted(path) or '<root>'}"
            if isinstance(value, dict):
                problems.append(f"{where} is an empty object")
                continue
            problems += [f"{where} {p}" for p in string_value_problems(value)]
            if isinstance(value, str):
                with contextlib.suppress(ValueError):
                    by_path[path][lang] = placeholders(value)
    for path, per_lang in sorted(by_path.items()):
        if len({frozenset(names) for names in per_lang.values()}) > 1:
            detail = ", ".join(
                f"{lang}={sorted(names)}" for lang, names in sorted(per_lang.items())
            )
            problems.append(f"{dotted(path)} uses different placeholders per language: {detail}")
    return problems


def check_keys(node: Any, allowed: frozenset[str], where: str, problems: list[str]) -> bool:
    """Report unless ``node`` is a dict of ``allowed`` keys; return whether it is a dict."""
    if not isinstance(node, dict):
        problems.append(f"{where} must be an object")
        return False
    if unknown := sorted(set(node) - allowed):
        problems.append(f"{where} has unknown keys {unknown}")
    return True


def _check_slug_keys(node: Any, where: str, problems: list[str], *, slug: bool = False) -> None:
    if not isinstance(node, dict):
        problems.append(f"{where} must be an object")
        return
    pattern = RE_SLUG if slug else RE_TRANSLATION_KEY
    problems.extend(
        f"{where}.{key}: invalid key (must match {pattern.pattern})"
        for key in node
        if not pattern.match(key)
    )


def _no_placeholders(node: Any, where: str, problems: list[str]) -> None:
    for path, value in flatten(node).items():
        if isinstance(value, str) and "{" in value:
            problems.append(f"{dotted((where, *path))} must not contain placeholders")


def _check_data_entry(node: Any, where: str, problems: list[str], *, subentry: bool) -> None:
    allowed = DATA_ENTRY_KEYS | ({"entry_type"} if subentry else set())
    if not check_keys(node, frozenset(allowed), where, problems):
        return
    if "title" in node:
        problems.append(f"{where}.title was removed from Home Assistant, use the root title")
    steps = node.get("step")
    if steps is None:
        if not subentry and node.get("abort") is None and node.get("error") is None:
            problems.append(f"{where}.step is missing")
        steps = {}
    if not isinstance(steps, dict):
        problems.append(f"{where}.step must be an object")
        return
    for step_id, step in steps.items():
        step_where = f"{where}.step.{step_id}"
        if not check_keys(step, STEP_KEYS, step_where, problems):
            continue
        _check_descriptions(step, step_where, problems)
        for section_id, section in (step.get("sections") or {}).items():
            section_where = f"{step_where}.sections.{section_id}"
            if check_keys(section, SECTION_KEYS, section_where, problems):
                _check_descriptions(section, section_where, problems)
    problems.extend(
        f"{where}.{key} must be an object"
        for key in ("error", "abort", "progress", "create_entry")
        if key in node and not isinstance(node[key], dict)
    )


def _check_descriptions(step: dict[str, Any], where: str, problems: list[str]) -> None:
    """data_description keys must be data keys (hassfest), and vice versa (IQS config-flow)."""
    data = step.get("data") or {}
    described = step.get("data_description") or {}
    if not isinstance(data, dict) or not isinstance(described, dict):
        problems.append(f"{where}.data / data_description must be objects")
        return
    problems += [
        f"{where}.data_description.{key} has no matching data.{key}"
        for key in sorted(set(described) - set(data))
    ]
    problems += [
        f"{where}.data.{key} has no data_description.{key} (IQS config-flow rule)"
        for key in sorted(set(data) - set(described))
    ]


def check_translation_schema(tree: Any, lang: str = "en") -> list[str]:
    """Structural schema of a translation file, after hassfest's ``gen_strings_schema``."""
    problems: list[str] = []
    root = f"{lang}.json"
    if not check_keys(tree, TRANSLATION_TOP_KEYS, root, problems):
        return problems
    if "config" in tree:
        _check_data_entry(tree["config"], f"{root} config", problems, subentry=False)
    if "options" in tree:
        _check_data_entry(tree["options"], f"{root} options", problems, subentry=False)
    for sub_type, sub in (tree.get("config_subentries") or {}).items():
        _check_data_entry(sub, f"{root} config_subentries.{sub_type}", problems, subentry=True)

    entity = tree.get("entity", {})
    _check_slug_keys(entity, f"{root} entity", problems, slug=True)
    for platform, keys in entity.items() if isinstance(entity, dict) else []:
        _check_slug_keys(keys, f"{root} entity.{platform}", problems)
        for key, spec in keys.items() if isinstance(keys, dict) else []:
            where = f"{root} entity.{platform}.{key}"
            if not check_keys(spec, ENTITY_KEYS, where, problems):
                continue
            if "state" in spec:
                _check_slug_keys(spec["state"], f"{where}.state", problems)
                _no_placeholders(spec["state"], f"{where}.state", problems)
            if "unit_of_measurement" in spec:
                _no_placeholders(
                    spec["unit_of_measurement"], f"{where}.unit_of_measurement", problems
                )
            for attr, attr_spec in (spec.get("state_attributes") or {}).items():
                attr_where = f"{where}.state_attributes.{attr}"
                if not RE_TRANSLATION_KEY.match(attr):
                    problems.append(f"{attr_where}: invalid key")
                if check_keys(attr_spec, frozenset({"name", "state"}), attr_where, problems):
                    _no_placeholders(attr_spec, attr_where, problems)

    device = tree.get("device", {})
    _check_slug_keys(device, f"{root} device", problems)
    for key, spec in device.items() if isinstance(device, dict) else []:
        check_keys(spec, frozenset({"name"}), f"{root} device.{key}", problems)

    exceptions = tree.get("exceptions", {})
    _check_slug_keys(exceptions, f"{root} exceptions", problems, slug=True)
    for key, spec in exceptions.items() if isinstance(exceptions, dict) else []:
        check_keys(spec, frozenset({"message"}), f"{root} exceptions.{key}", problems)

    issues = tree.get("issues", {})
    if not isinstance(issues, dict):
        problems.append(f"{root} issues must be an object")
        issues = {}
    for key, spec in issues.items():
        where = f"{root} issues.{key}"
        if not check_keys(spec, frozenset({"title", "description", "fix_flow"}), where, problems):
            continue
        if "title" not in spec:
            problems.append(f"{where}.title is required")
        if ("description" in spec) == ("fix_flow" in spec):
            problems.append(f"{where} needs exactly one of description / fix_flow")
        if "fix_flow" in spec:
            _check_data_entry(spec["fix_flow"], f"{where}.fix_flow", problems, subentry=False)

    services = tree.get("services", {})
    _check_slug_keys(services, f"{root} services", problems)
    for key, spec in services.items() if isinstance(services, dict) else []:
        where = f"{root} services.{key}"
        if check_keys(
            spec, frozenset({"name", "description", "fields", "sections"}), where, problems
        ):
            problems += [
                f"{where}.{k} is required" for k in ("name", "description") if k not in spec
            ]
    return problems
