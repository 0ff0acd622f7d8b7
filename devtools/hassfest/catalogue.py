"""Entity translation keys computed from data, read from ``all_entity_descriptions()``."""

import ast
import importlib
from pathlib import Path
from typing import Any

from homeassistant.components.sensor import SensorDeviceClass

from .ast_tools import parse_file
from .common import python_files
from .entity_keys import CodeKeys


def add_catalogue_keys(
    found: CodeKeys, module_name: str | None, integration_dir: Path | None = None
) -> list[str]:
    """
    Add keys from ``all_entity_descriptions()`` (platform, description) pairs.

    The function is looked up in ``module_name`` first, then in any module of the
    integration that defines it at top level. ``module_name=None`` disables this.
    """
    if module_name is None:
        return []
    candidates = [module_name]
    if integration_dir is not None:
        package = module_name.rsplit(".", 1)[0]
        for path in python_files(integration_dir):
            tree = parse_file(path)
            if any(
                isinstance(node, ast.FunctionDef) and node.name == "all_entity_descriptions"
                for node in tree.body
            ):
                rel = path.relative_to(integration_dir).with_suffix("")
                parts = [p for p in rel.parts if p != "__init__"]
                candidates.append(".".join([package, *parts]))
    problems: list[str] = []
    for candidate in dict.fromkeys(candidates):
        try:
            module = importlib.import_module(candidate)
        except ModuleNotFoundError as err:
            if err.name and candidate.startswith(err.name):
                continue  # the module does not exist (yet)
            problems.append(f"importing {candidate} failed: {err!r}")
            continue
        catalogue = getattr(module, "all_entity_descriptions", None)
        if catalogue is not None:
            return problems + _catalogue_keys(found, candidate, catalogue)
    return problems


def _catalogue_keys(found: CodeKeys, module_name: str, catalogue: Any) -> list[str]:
    found.catalogue_loaded = True
    problems = []
    for item in catalogue():
        try:
            platform, description = item
        except TypeError, ValueError:
            problems.append(
                f"all_entity_descriptions() yielded {item!r}, not (platform, description)"
            )
            continue
        key = getattr(description, "translation_key", None)
        where = f"{module_name}.all_entity_descriptions() [{getattr(description, 'key', '?')}]"
        if key is None:
            continue
        found.entity.setdefault((str(platform), key), where)
        if getattr(description, "device_class", None) == SensorDeviceClass.ENUM:
            options = getattr(description, "options", None) or []
            found.enum_states[(str(platform), key)].update(str(o) for o in options)
    return problems
