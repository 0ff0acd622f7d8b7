"""Hassfest's dependencies check: imported ``homeassistant.components`` must be declared."""

import ast
from collections import defaultdict
from pathlib import Path
from typing import Any

from homeassistant.requirements import DISCOVERY_INTEGRATIONS

from .common import entity_platforms, parse_file, python_files, rel

# Small, explicit subset of hassfest's ALLOWED_USED_COMPONENTS: core internals that
# are always set up, so importing them needs no manifest entry.
ALWAYS_ALLOWED_COMPONENTS = frozenset(
    {"homeassistant", "persistent_notification", "system_health", "websocket_api"}
)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def referenced_components(integration_dir: Path) -> dict[str, set[str]]:
    """
    Return ``{component: {file:line, ...}}`` for ``homeassistant.components.X`` imports.

    Imports inside ``if TYPE_CHECKING:`` are ignored, like hassfest does.
    """
    found: dict[str, set[str]] = defaultdict(set)

    class Collector(ast.NodeVisitor):
        def __init__(self, path: Path) -> None:
            self.path = path

        def _add(self, component: str, node: ast.stmt) -> None:
            found[component].add(f"{rel(self.path, integration_dir.parent.parent)}:{node.lineno}")

        def visit_If(self, node: ast.If) -> None:
            if not _is_type_checking(node.test):
                self.generic_visit(node)

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            if node.module is None or node.level:
                return
            if node.module.startswith("homeassistant.components."):
                self._add(node.module.split(".")[2], node)
            elif node.module == "homeassistant.components":
                for alias in node.names:
                    self._add(alias.name, node)

        def visit_Import(self, node: ast.Import) -> None:
            for alias in node.names:
                if alias.name.startswith("homeassistant.components."):
                    self._add(alias.name.split(".")[2], node)

    for path in python_files(integration_dir):
        Collector(path).visit(parse_file(path))
    return dict(found)


def check_dependencies(manifest: dict[str, Any], integration_dir: Path) -> list[str]:
    """Report imported components that the manifest does not allow (see the package doc)."""
    allowed = (
        set(entity_platforms())
        | ALWAYS_ALLOWED_COMPONENTS
        | set(manifest.get("dependencies", []))
        | set(manifest.get("after_dependencies", []))
        | {integration_dir.name}
    )
    for domain, matcher_keys in DISCOVERY_INTEGRATIONS.items():
        if any(key in manifest for key in matcher_keys):
            allowed.add(domain)
    problems = []
    for component, where in sorted(referenced_components(integration_dir).items()):
        if component in allowed:
            continue
        if (integration_dir / f"{component}.py").is_file() or (
            integration_dir / component
        ).is_dir():
            continue
        problems.append(
            f"imports homeassistant.components.{component} ({', '.join(sorted(where))}) "
            "but it is not in manifest dependencies/after_dependencies"
        )
    return problems
