"""
The protocol package, the simulators and the update policy stay free of Home Assistant.

Two checks, one static and one at run time:

* the real import graph: every module of the HA-free set is parsed, its imports of
  any form (``import a.b``, ``from a import b``, ``from ... import x`` any number of
  levels up) are resolved to absolute module names, importing ``a.b.c`` also counts
  as importing the packages ``a`` and ``a.b`` (their ``__init__`` runs), and
  project-internal imports are followed transitively, so a module outside the set
  that imports Home Assistant taints everything that imports it. Imports under
  ``if TYPE_CHECKING:`` never run and are left out;
* a fresh interpreter where any ``homeassistant`` import raises imports every module
  of the set: this proves the graph as Python actually runs it, including lazy
  imports such as the ones in ``custom_components/energy_meters/__init__.py``.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterable, Iterator
import json
from pathlib import Path
import subprocess
import sys
import textwrap

import pytest

ROOT = Path(__file__).parents[2]
HA_FREE_FILES = [
    *sorted((ROOT / "custom_components/energy_meters/protocol").rglob("*.py")),
    *sorted((ROOT / "simulators").rglob("*.py")),
    ROOT / "custom_components/energy_meters/update_policy.py",
]
FORBIDDEN = "homeassistant"


def module_name(path: Path, root: Path) -> str:
    """Dotted name of the module in ``path`` (a package for ``__init__.py``)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


HA_FREE = sorted(module_name(path, ROOT) for path in HA_FREE_FILES)


def module_file(name: str, root: Path) -> Path | None:
    """The project file defining module ``name``, or None when it is not a project module."""
    base = root.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def is_project_module(name: str, root: Path) -> bool:
    """Whether ``name`` is a module or package (namespace packages included) under ``root``."""
    return module_file(name, root) is not None or root.joinpath(*name.split(".")).is_dir()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_nodes(nodes: Iterable[ast.AST]) -> Iterator[ast.AST]:
    """Every node that may run: all of them, except the bodies of ``if TYPE_CHECKING:``."""
    stack = list(nodes)
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def resolve_relative(module: str, level: int, target: str | None, *, is_package: bool) -> str:
    """
    Absolute name of ``from <level dots><target> import …`` written in ``module``.

    One dot is the module's own package, each further dot one package up.
    """
    package = module if is_package else module.rpartition(".")[0]
    parts = package.split(".") if package else []
    if level - 1 > len(parts) - 1:
        raise ImportError(f"{module}: relative import beyond the top-level package")
    base = parts[: len(parts) - (level - 1)]
    return ".".join([*base, *([target] if target else [])])


def imports_of(path: Path, module: str, root: Path) -> set[str]:
    """Absolute names of every module importing ``module`` (in ``path``) may load."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in _runtime_nodes(tree.body):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                target = resolve_relative(module, node.level, node.module, is_package=is_package)
            else:
                target = node.module or ""
            found.add(target)
            for alias in node.names:  # ``from pkg import sub`` loads the submodule pkg.sub
                candidate = f"{target}.{alias.name}" if target else alias.name
                if alias.name != "*" and is_project_module(candidate, root):
                    found.add(candidate)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
            == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and not node.args[0].value.startswith(".")
        ):
            found.add(node.args[0].value)
    found.discard("")
    # Importing a.b.c first runs a/__init__.py and a/b/__init__.py.
    return {prefix for name in found for prefix in _with_parents(name)}


def _with_parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def forbidden_chains(
    start: Iterable[str], root: Path, forbidden: str = FORBIDDEN
) -> dict[str, list[str]]:
    """
    For each start module that reaches ``forbidden``, one import chain leading there.

    The walk follows project modules (files under ``root``) transitively; anything
    else (stdlib, third-party) is a leaf.
    """
    chains: dict[str, list[str]] = {}
    cache: dict[str, set[str]] = {}
    for first in start:
        parent: dict[str, str | None] = {}
        queue: deque[str] = deque()
        for name in _with_parents(first):
            parent[name] = None
            queue.append(name)
        while queue:
            name = queue.popleft()
            if name.split(".")[0] == forbidden:
                chain = [name]
                while (up := parent[chain[-1]]) is not None:
                    chain.append(up)
                chains[first] = chain[::-1]
                break
            path = module_file(name, root)
            if path is None:
                continue  # namespace package, stdlib or third party
            if name not in cache:
                cache[name] = imports_of(path, name, root)
            for imported in sorted(cache[name]):
                if imported not in parent:
                    parent[imported] = name
                    queue.append(imported)
    return chains


# --- the project -------------------------------------------------------------------------


def test_the_ha_free_set_is_what_it_says() -> None:
    assert "custom_components.energy_meters.protocol.tic.framing" in HA_FREE
    assert "custom_components.energy_meters.update_policy" in HA_FREE
    assert "simulators.tic" in HA_FREE
    assert len(HA_FREE) >= 15


@pytest.mark.parametrize("module", HA_FREE)
def test_import_graph_never_reaches_home_assistant(module: str) -> None:
    chains = forbidden_chains([module], ROOT)
    assert module not in chains, " -> ".join(chains.get(module, []))


def test_import_graph_reaches_what_it_should() -> None:
    """The walker follows real edges: relative, absolute, parent packages, second hand."""
    reached: set[str] = set()
    seen: set[str] = set()
    todo = ["simulators.tic"]
    while todo:
        name = todo.pop()
        path = module_file(name, ROOT)
        if name in seen or path is None:
            continue
        seen.add(name)
        found = imports_of(path, name, ROOT)
        reached |= found
        todo += found
    assert {
        "simulators.tic_model",
        "custom_components.energy_meters",  # parent package: its __init__ runs
        "custom_components.energy_meters.protocol.tic.encoder",  # via simulators.tic_model
        "custom_components.energy_meters.protocol.tic.checksum",  # via `from .checksum`
    } <= reached


BLOCKER = textwrap.dedent(
    """
    import importlib, json, sys

    sys.path.insert(0, sys.argv[1])
    attempts = []

    class NoHomeAssistant:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] == "homeassistant":
                attempts.append(name)
                raise ImportError(f"Home Assistant import blocked: {name}")
            return None

    sys.meta_path.insert(0, NoHomeAssistant())
    failures = {}
    for module in sys.argv[2:]:
        try:
            importlib.import_module(module)
        except Exception as err:
            failures[module] = repr(err)
    loaded = sorted(m for m in sys.modules if m.split(".")[0] == "homeassistant")
    print(json.dumps({"attempts": attempts, "failures": failures, "loaded": loaded}))
    """
)


def run_without_home_assistant(root: Path, modules: list[str]) -> dict[str, object]:
    completed = subprocess.run(
        [sys.executable, "-I", "-c", BLOCKER, str(root), *modules],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
        timeout=120,
    )
    result: dict[str, object] = json.loads(completed.stdout.splitlines()[-1])
    return result


def test_every_ha_free_module_imports_with_home_assistant_blocked() -> None:
    modules = ["custom_components.energy_meters", *HA_FREE]
    result = run_without_home_assistant(ROOT, modules)
    assert result == {"attempts": [], "failures": {}, "loaded": []}


# --- the walker and the blocker on a synthetic package -------------------------------------


@pytest.fixture
def synthetic(tmp_path: Path) -> Path:
    """
    A tiny package with every way to reach Home Assistant, and clean modules.

    ``pkg.sub.deep.leaf`` imports ``from ... import helper`` (two levels above its
    package); ``pkg.helper`` imports ``pkg.bridge``, which imports Home Assistant.
    ``pkg.tainted.mod`` imports nothing, but its package ``__init__`` does.
    ``pkg.typed`` imports Home Assistant only under TYPE_CHECKING.
    """
    files = {
        "pkg/__init__.py": "",
        "pkg/sub/__init__.py": "",
        "pkg/sub/deep/__init__.py": "",
        "pkg/sub/deep/leaf.py": "from ... import helper\n",
        "pkg/sub/deep/absolute.py": "from pkg import helper\n",
        "pkg/sub/deep/lazy.py": "def later():\n    from ...bridge import thing\n",
        "pkg/helper.py": "from .bridge import thing\n",
        "pkg/bridge.py": "import homeassistant.core\n\nthing = 1\n",
        "pkg/tainted/__init__.py": "from homeassistant.const import Platform\n",
        "pkg/tainted/mod.py": "",
        "pkg/typed.py": (
            "from typing import TYPE_CHECKING\n\n"
            "if TYPE_CHECKING:\n    import homeassistant\nelse:\n    import json\n"
        ),
        "pkg/clean.py": "import asyncio\n\nfrom . import typed\nfrom .sub import deep\n",
    }
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def test_walker_resolves_relative_imports_of_any_level() -> None:
    assert resolve_relative("a.b.c.d", 1, "x", is_package=False) == "a.b.c.x"
    assert resolve_relative("a.b.c.d", 3, None, is_package=False) == "a"
    assert resolve_relative("a.b.c", 1, "x", is_package=True) == "a.b.c.x"  # a package's own `.`
    assert resolve_relative("a.b.c", 3, "x", is_package=True) == "a.x"
    with pytest.raises(ImportError):
        resolve_relative("a.b", 3, "x", is_package=False)


def test_walker_catches_two_levels_up_and_indirect_imports(synthetic: Path) -> None:
    chains = forbidden_chains(
        [
            "pkg.sub.deep.leaf",
            "pkg.sub.deep.absolute",
            "pkg.sub.deep.lazy",
            "pkg.tainted.mod",
            "pkg.typed",
            "pkg.clean",
        ],
        synthetic,
    )
    assert chains == {
        "pkg.sub.deep.leaf": [
            "pkg.sub.deep.leaf",
            "pkg.helper",
            "pkg.bridge",
            "homeassistant",
        ],
        "pkg.sub.deep.absolute": [
            "pkg.sub.deep.absolute",
            "pkg.helper",
            "pkg.bridge",
            "homeassistant",
        ],
        "pkg.sub.deep.lazy": ["pkg.sub.deep.lazy", "pkg.bridge", "homeassistant"],
        "pkg.tainted.mod": ["pkg.tainted", "homeassistant"],
    }


def test_blocker_catches_what_the_walker_catches(synthetic: Path) -> None:
    """The subprocess check fails on the same package (a lazy import only when it runs)."""
    result = run_without_home_assistant(
        synthetic, ["pkg.clean", "pkg.typed", "pkg.sub.deep.lazy", "pkg.sub.deep.leaf"]
    )
    assert result["attempts"] == ["homeassistant"]
    assert result["failures"] == {
        "pkg.sub.deep.leaf": "ImportError('Home Assistant import blocked: homeassistant')"
    }
    assert result["loaded"] == []
