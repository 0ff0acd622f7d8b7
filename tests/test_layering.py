"""Imports only go down: protocol <- coordinator <- hub <- kind <- kinds <- platforms and flow.

The base coordinator must not know the entity platforms (not even under
TYPE_CHECKING), and no shared module may import a kind: kinds plug in through
their record in ``kinds.py`` only.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "custom_components/energy_meters"
# module -> modules of the package it must never import (at any place in the file)
FORBIDDEN = {
    "coordinator.py": {"sensor", "binary_sensor", "entity", "hub", "kind", "kinds", "config_flow"},
    "counters.py": {"sensor", "binary_sensor", "entity", "hub", "kind", "kinds", "coordinator"},
    "push_reader.py": {"sensor", "binary_sensor", "entity", "hub", "kind", "kinds"},
    "hub.py": {"sensor", "binary_sensor", "entity", "kind", "kinds", "config_flow"},
    "descriptions.py": {"sensor", "binary_sensor", "entity", "hub", "kind", "kinds"},
    "entity.py": {"sensor", "binary_sensor", "kind", "kinds", "config_flow"},
    "kind.py": {"sensor", "binary_sensor", "kinds", "config_flow"},
    "errors.py": {"sensor", "binary_sensor", "entity", "hub", "kind", "kinds", "coordinator"},
}
KIND_PACKAGES = {path.name for path in PACKAGE.iterdir() if (path / "kind.py").exists()}


def _imported(path: Path) -> set[str]:
    """First-level package modules a file imports (relative or absolute)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 1:
                names.add(module.split(".")[0] if module else "")
                names.update(alias.name for alias in node.names if not module)
            elif module.startswith("custom_components.energy_meters."):
                names.add(module.split(".")[2])
    return names


@pytest.mark.parametrize("module", sorted(FORBIDDEN))
def test_shared_modules_import_only_downwards(module: str) -> None:
    imported = _imported(PACKAGE / module)
    assert not imported & FORBIDDEN[module], imported & FORBIDDEN[module]
    assert not imported & KIND_PACKAGES, imported & KIND_PACKAGES


def test_the_walker_sees_relative_and_absolute_imports(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "from .coordinator import X\n"
        "from . import sensor\n"
        "if TYPE_CHECKING:\n"
        "    from custom_components.energy_meters.kinds import KINDS\n"
    )
    assert {"coordinator", "sensor", "kinds"} <= _imported(source)
