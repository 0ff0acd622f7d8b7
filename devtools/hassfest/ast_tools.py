"""AST helpers and the resolution of module-level string constants."""

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from homeassistant import const as ha_const


def parse_file(path: Path) -> ast.Module:
    """Parse a Python file."""
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def call_name(call: ast.Call) -> str | None:
    """Return the called name: ``f`` for ``f(...)`` and ``obj.f(...)``."""
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def keyword_value(call: ast.Call, name: str) -> ast.expr | None:
    """Return the value passed as keyword argument ``name``, or None."""
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return None


def base_name(node: ast.expr) -> str | None:
    """Return the last name of ``a.b.c`` / ``x`` / ``x[...]``, or None."""
    if isinstance(node, ast.Subscript):
        node = node.value
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


@dataclass
class Constants:
    """Module-level string and string-list constants of the integration's modules."""

    strings: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    # string enums: class name -> {member: value}
    enums: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def collect(cls, files: Iterable[Path]) -> Constants:
        """Collect the constants of ``files`` (enums first, then strings and lists)."""
        consts = cls()
        trees = [parse_file(path) for path in files]
        for tree in trees:
            for stmt in tree.body:
                if isinstance(stmt, ast.ClassDef) and any(
                    (base_name(base) or "").endswith("Enum") for base in stmt.bases
                ):
                    consts.enums[stmt.name] = {
                        item.targets[0].id: item.value.value
                        for item in stmt.body
                        if isinstance(item, ast.Assign)
                        and len(item.targets) == 1
                        and isinstance(item.targets[0], ast.Name)
                        and isinstance(item.value, ast.Constant)
                        and isinstance(item.value.value, str)
                    }
        # Two passes so that lists may reference string constants from other modules.
        for _ in range(2):
            for tree in trees:
                for stmt in tree.body:
                    target: ast.expr | None = None
                    value: ast.expr | None = None
                    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                        target, value = stmt.targets[0], stmt.value
                    elif isinstance(stmt, ast.AnnAssign):
                        target, value = stmt.target, stmt.value
                    if not isinstance(target, ast.Name) or value is None:
                        continue
                    if (text := consts.string(value)) is not None:
                        consts.strings[target.id] = text
                    elif (items := consts.string_list(value)) is not None:
                        consts.lists[target.id] = items
        return consts

    def string(self, node: ast.expr | None) -> str | None:
        """Resolve a string literal or a (possibly dotted) name of a string constant."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Attribute) and node.attr == "value":
            node = node.value  # MeterKind.LINKY.value
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in self.enums
        ):
            return self.enums[node.value.id].get(node.attr)
        name = node.id if isinstance(node, ast.Name) else None
        if isinstance(node, ast.Attribute):
            name = node.attr
        if name is None:
            return None
        if name in self.strings:
            return self.strings[name]
        value = getattr(ha_const, name, None)
        return value if isinstance(value, str) and name.isupper() else None

    def choices(self, node: ast.expr | None) -> list[str] | None:
        """Resolve a string, or every branch of ``"a" if cond else "b"`` / ``x or "b"``."""
        if isinstance(node, ast.IfExp):
            branches = [self.choices(node.body), self.choices(node.orelse)]
        elif isinstance(node, ast.BoolOp):
            branches = [self.choices(value) for value in node.values]
        else:
            text = self.string(node)
            return None if text is None else [text]
        if any(branch is None for branch in branches):
            return None
        return [text for branch in branches if branch for text in branch]

    def string_list(self, node: ast.expr | None) -> list[str] | None:
        """Resolve a list/tuple/set literal of strings, or the name of one."""
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            items = [self.string(elt) for elt in node.elts]
            if all(item is not None for item in items):
                return [item for item in items if item is not None]
            return None
        if isinstance(node, ast.Name) and node.id in self.lists:
            return self.lists[node.id]
        # [kind.value for kind in MeterKind], list(MeterKind), sorted(MeterKind)
        if (
            isinstance(node, ast.Call)
            and call_name(node) in {"list", "tuple", "sorted"}
            and len(node.args) == 1
        ):
            return self.string_list(node.args[0])
        if isinstance(node, ast.Name) and node.id in self.enums:
            return list(self.enums[node.id].values())
        if isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.SetComp)):
            (gen,) = node.generators if len(node.generators) == 1 else (None,)
            if (
                gen is not None
                and not gen.ifs
                and isinstance(gen.target, ast.Name)
                and isinstance(gen.iter, ast.Name)
                and gen.iter.id in self.enums
            ):
                var = gen.target.id
                elt = node.elt
                if isinstance(elt, ast.Attribute) and elt.attr == "value":
                    elt = elt.value
                if isinstance(elt, ast.Name) and elt.id == var:
                    return list(self.enums[gen.iter.id].values())
        return None

    def string_keys(self, node: ast.expr | None) -> set[str] | None:
        """Resolve the keys of a dict literal (``dict(a=...)`` too), or None."""
        if isinstance(node, ast.Dict):
            keys = [self.string(key) if key is not None else None for key in node.keys]
            if all(key is not None for key in keys):
                return {key for key in keys if key is not None}
            return None
        if (
            isinstance(node, ast.Call)
            and call_name(node) == "dict"
            and not node.args
            and all(kw.arg is not None for kw in node.keywords)
        ):
            return {kw.arg for kw in node.keywords if kw.arg is not None}
        return None
