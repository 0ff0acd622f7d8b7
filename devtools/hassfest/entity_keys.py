"""Entity, device, exception and issue translation keys used in the code, via ``ast``."""

import ast
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .ast_tools import Constants, base_name, call_name, keyword_value, parse_file
from .common import REQUIRED_LANGUAGES, entity_platforms, get_node, placeholders, python_files, rel

ISSUE_FUNCS = frozenset({"async_create_issue", "create_issue"})


def _camel(platform: str) -> str:
    return "".join(part.capitalize() for part in platform.split("_"))


@dataclass
class CodeKeys:
    """Translation keys referenced from Python code."""

    entity: dict[tuple[str, str], str] = field(default_factory=dict)
    enum_states: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    device: dict[str, str] = field(default_factory=dict)
    # key -> list of (placeholders provided or None if not literal, location)
    exceptions: dict[str, list[tuple[set[str] | None, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    issues: dict[str, list[tuple[bool | None, set[str] | None, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    unclassified: dict[str, str] = field(default_factory=dict)
    unresolved: list[str] = field(default_factory=list)
    # entity translation keys computed at runtime (only the catalogue can check them)
    dynamic_entity: list[str] = field(default_factory=list)
    catalogue_loaded: bool = False


def _platform_from_names(names: Iterable[str], suffix: str) -> str | None:
    best: str | None = None
    for name in names:
        if not name.endswith(suffix):
            continue
        prefix = name.removesuffix(suffix)
        for platform in entity_platforms():
            camel = _camel(platform)
            if prefix.endswith(camel) and (best is None or len(camel) > len(_camel(best))):
                best = platform
        if best:
            return best
    return best


def _ancestors(name: str, bases: dict[str, list[str]]) -> list[str]:
    out, todo = [name], [name]
    while todo:
        for base in bases.get(todo.pop(), []):
            if base not in out:
                out.append(base)
                todo.append(base)
    return out


@dataclass
class _Wrapper:
    """A function that passes (a template of) its parameters on as ``translation_key``."""

    func: ast.FunctionDef | ast.AsyncFunctionDef
    parts: list[tuple[bool, str]]  # (is_param, literal text or parameter name)
    placeholders: str | set[str] | None  # "kwargs", a fixed set, or None (unknown)
    kind: str
    platform: str | None
    fixable: bool | None


def _key_template(node: ast.expr, params: set[str]) -> list[tuple[bool, str]] | None:
    """``key`` or ``f"stge_{field}"`` over the function's parameters, as parts."""
    if isinstance(node, ast.Name) and node.id in params:
        return [(True, node.id)]
    if not isinstance(node, ast.JoinedStr):
        return None
    parts: list[tuple[bool, str]] = []
    for value in node.values:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            parts.append((False, value.value))
        elif (
            isinstance(value, ast.FormattedValue)
            and isinstance(value.value, ast.Name)
            and value.value.id in params
            and value.conversion == -1
            and value.format_spec is None
        ):
            parts.append((True, value.value.id))
        else:
            return None
    return parts


def _params(func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    args = func.args
    return [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]


def collect_code_keys(integration_dir: Path, consts: Constants, domain: str) -> CodeKeys:
    """
    Collect translation keys from entity classes, descriptions, errors and issues.

    Keys built by a helper from its parameters (``def failure(self, key, **ph):
    return UpdateFailed(translation_domain=DOMAIN, translation_key=key, ...)`` or
    ``translation_key=f"stge_{field}"``) are resolved at the helper's call sites.
    """
    files = python_files(integration_dir)
    trees = {path: parse_file(path) for path in files}
    bases: dict[str, list[str]] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = [b for b in (base_name(x) for x in node.bases) if b]
    description_classes = {
        name
        for name in bases
        if any(a.endswith("EntityDescription") for a in _ancestors(name, bases))
    }
    platforms = entity_platforms()
    found = CodeKeys()

    def classify(call: ast.Call, stem_platform: str | None) -> tuple[str, str | None]:
        name = call_name(call) or ""
        if name in ISSUE_FUNCS:
            return "issue", None
        if (domain_node := keyword_value(call, "translation_domain")) is not None:
            foreign = consts.string(domain_node) not in (None, domain)
            return ("foreign" if foreign else "exception"), None
        if name == "DeviceInfo":
            return "device", None
        if name.endswith("EntityDescription") or name in description_classes:
            platform = _platform_from_names(_ancestors(name, bases), "EntityDescription")
            return "entity", platform or stem_platform
        return "unclassified", None

    def record(
        kind: str,
        platform: str | None,
        key: str,
        provided: set[str] | None,
        fixable: bool | None,
        where: str,
    ) -> None:
        if kind == "issue":
            found.issues[key].append((fixable, provided, where))
        elif kind == "exception":
            found.exceptions[key].append((provided, where))
        elif kind == "device":
            found.device.setdefault(key, where)
        elif kind == "entity" and platform is not None:
            found.entity.setdefault((platform, key), where)
        elif kind != "foreign":
            found.unclassified.setdefault(key, where)

    def fixable_of(call: ast.Call) -> bool | None:
        node = keyword_value(call, "is_fixable")
        return (
            node.value if isinstance(node, ast.Constant) and isinstance(node.value, bool) else None
        )

    wrappers: dict[str, _Wrapper] = {}
    for path, tree in trees.items():
        stem_platform = path.stem if path.stem in platforms else None
        enclosing: dict[int, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        for fn_node in ast.walk(tree):
            if isinstance(fn_node, ast.FunctionDef | ast.AsyncFunctionDef):
                for inner in ast.walk(fn_node):
                    enclosing[id(inner)] = fn_node  # inner functions overwrite outer ones

        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            platform = _platform_from_names(_ancestors(cls.name, bases), "Entity") or stem_platform
            for node in ast.walk(cls):
                target_value: tuple[ast.expr, ast.expr] | None = None
                if isinstance(node, ast.Assign) and len(node.targets) == 1:
                    target_value = (node.targets[0], node.value)
                elif isinstance(node, ast.AnnAssign) and node.value is not None:
                    target_value = (node.target, node.value)
                if target_value is None:
                    continue
                target, value = target_value
                if base_name(target) != "_attr_translation_key" or isinstance(
                    target, ast.Subscript
                ):
                    continue
                key = consts.string(value)
                where = f"{rel(path, integration_dir.parent.parent)}:{getattr(node, 'lineno', '?')}"
                if key is not None:
                    record(
                        "entity" if platform else "unclassified", platform, key, None, None, where
                    )
                elif not (isinstance(value, ast.Constant) and value.value is None):
                    found.dynamic_entity.append(where)

        for node in ast.walk(tree):
            if (
                not isinstance(node, ast.Call)
                or (key_node := keyword_value(node, "translation_key")) is None
            ):
                continue
            if isinstance(key_node, ast.Constant) and key_node.value is None:
                continue
            where = f"{rel(path, integration_dir.parent.parent)}:{node.lineno}"
            kind, platform = classify(node, stem_platform)
            ph_node = keyword_value(node, "translation_placeholders")
            provided = set() if ph_node is None else consts.string_keys(ph_node)
            if (key := consts.string(key_node)) is not None:
                record(kind, platform, key, provided, fixable_of(node), where)
                device_class = keyword_value(node, "device_class")
                if (
                    kind == "entity"
                    and platform is not None
                    and isinstance(device_class, ast.Attribute)
                    and device_class.attr == "ENUM"
                    and (options := consts.string_list(keyword_value(node, "options"))) is not None
                ):
                    found.enum_states[(platform, key)].update(options)
                continue
            func = enclosing.get(id(node))
            parts = _key_template(key_node, set(_params(func))) if func else None
            if func is None or parts is None:
                if kind == "entity":
                    found.dynamic_entity.append(where)
                elif kind != "foreign":
                    found.unresolved.append(f"{where}: translation_key is not a constant")
                continue
            mode: str | set[str] | None = provided
            kwarg = func.args.kwarg.arg if func.args.kwarg else None
            ph_name = ph_node.values[0] if isinstance(ph_node, ast.BoolOp) else ph_node
            if kwarg and isinstance(ph_name, ast.Name) and ph_name.id == kwarg:
                mode = "kwargs"
            wrappers[func.name] = _Wrapper(func, parts, mode, kind, platform, fixable_of(node))

    for path, tree in trees.items():
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            wrapper = wrappers.get(call_name(call) or "")
            if wrapper is None:
                continue
            where = f"{rel(path, integration_dir.parent.parent)}:{call.lineno}"
            params = _params(wrapper.func)
            positional = [a.arg for a in (*wrapper.func.args.posonlyargs, *wrapper.func.args.args)]
            if (
                positional
                and positional[0] in {"self", "cls"}
                and isinstance(call.func, ast.Attribute)
            ):
                positional = positional[1:]
            binding: dict[str, ast.expr] = dict(zip(positional, call.args, strict=False))
            binding.update({kw.arg: kw.value for kw in call.keywords if kw.arg in params})
            pieces = [
                consts.string(binding.get(text)) if is_param else text
                for is_param, text in wrapper.parts
            ]
            if any(piece is None for piece in pieces):
                if wrapper.kind == "entity":
                    found.dynamic_entity.append(where)
                elif wrapper.kind != "foreign":
                    found.unresolved.append(
                        f"{where}: {wrapper.func.name}() is called with a non-constant key"
                    )
                continue
            key = "".join(piece for piece in pieces if piece is not None)
            passed: set[str] | None
            if wrapper.placeholders == "kwargs":
                passed = {kw.arg for kw in call.keywords if kw.arg and kw.arg not in params}
            else:
                passed = wrapper.placeholders if isinstance(wrapper.placeholders, set) else None
            record(wrapper.kind, wrapper.platform, key, passed, wrapper.fixable, where)
    return found


def _message_placeholder_problem(
    text: Any, provided: set[str] | None, what: str, where: str
) -> str | None:
    if provided is None or not isinstance(text, str):
        return None
    try:
        used = placeholders(text)
    except ValueError:
        return None
    if missing := sorted(used - provided):
        return (
            f"{what} uses placeholders {missing} not passed in translation_placeholders at {where}"
        )
    return None


def check_code_translations(found: CodeKeys, trees: dict[str, Any]) -> list[str]:
    """Check that every key used in the code exists in each required language."""
    problems = list(found.unresolved)
    if found.dynamic_entity and not found.catalogue_loaded:
        problems.append(
            "entity translation keys computed at runtime cannot be checked without a "
            "catalogue: expose all_entity_descriptions() -> [(platform, description), ...] "
            f"(see CATALOGUE_MODULE); computed at {', '.join(found.dynamic_entity)}"
        )
    for lang in REQUIRED_LANGUAGES:
        tree = trees.get(lang)
        if tree is None:
            problems.append(f"{lang}.json is missing")
            continue
        prefix = f"{lang}.json"
        for (platform, key), where in sorted(found.entity.items()):
            if not isinstance(get_node(tree, ["entity", platform, key, "name"]), str):
                problems.append(f"{prefix} lacks entity.{platform}.{key}.name (used at {where})")
        for (platform, key), options in sorted(found.enum_states.items()):
            states = get_node(tree, ["entity", platform, key, "state"]) or {}
            problems += [
                f"{prefix} lacks entity.{platform}.{key}.state.{option} (ENUM option)"
                for option in sorted(options)
                if option not in states
            ]
        for key, where in sorted(found.device.items()):
            if not isinstance(get_node(tree, ["device", key, "name"]), str):
                problems.append(f"{prefix} lacks device.{key}.name (used at {where})")
        for key, uses in sorted(found.exceptions.items()):
            message = get_node(tree, ["exceptions", key, "message"])
            if not isinstance(message, str):
                problems.append(f"{prefix} lacks exceptions.{key}.message (raised at {uses[0][1]})")
                continue
            for provided, where in uses:
                what = f"{prefix} exceptions.{key}.message"
                if problem := _message_placeholder_problem(message, provided, what, where):
                    problems.append(problem)
        for key, issue_uses in sorted(found.issues.items()):
            issue = get_node(tree, ["issues", key])
            where = issue_uses[0][2]
            if not isinstance(issue, dict) or not isinstance(issue.get("title"), str):
                problems.append(f"{prefix} lacks issues.{key}.title (created at {where})")
                continue
            for fixable, provided, use_where in issue_uses:
                if fixable is True and "fix_flow" not in issue:
                    problems.append(f"{prefix} issues.{key} is fixable but has no fix_flow")
                if fixable is not True and "description" not in issue and fixable is not None:
                    problems.append(f"{prefix} lacks issues.{key}.description")
                for part in ("title", "description"):
                    what = f"{prefix} issues.{key}.{part}"
                    if problem := _message_placeholder_problem(
                        issue.get(part), provided, what, use_where
                    ):
                        problems.append(problem)
        for key, where in sorted(found.unclassified.items()):
            homes = [
                *(["entity", p, key] for p in (tree.get("entity") or {})),
                ["exceptions", key],
                ["issues", key],
                ["device", key],
            ]
            if not any(get_node(tree, home) is not None for home in homes):
                problems.append(
                    f"{prefix}: translation_key {key!r} (at {where}) is defined nowhere"
                )
    return problems
