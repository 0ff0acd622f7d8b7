"""The protocol package and the simulators stay free of Home Assistant imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
HA_FREE = [
    *sorted((ROOT / "custom_components/energy_meters/protocol").rglob("*.py")),
    *sorted((ROOT / "simulators").rglob("*.py")),
    ROOT / "custom_components/energy_meters/update_policy.py",
]


@pytest.mark.parametrize("path", HA_FREE, ids=lambda p: str(p.relative_to(ROOT)))
def test_module_does_not_import_home_assistant(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            imported.append(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level >= 3:
            imported.append(f"{'.' * node.level}{node.module}")  # out of the package
    offending = [name for name in imported if name.split(".")[0] == "homeassistant"]
    assert not offending, f"{path} imports {offending}"
