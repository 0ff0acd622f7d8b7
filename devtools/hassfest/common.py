"""Helpers shared by the checkers: paths, nested translation trees, placeholders."""

import ast
from collections.abc import Iterable
from pathlib import Path
import string
from typing import Any

from homeassistant.const import Platform

REPO_ROOT = Path(__file__).parents[2]
REQUIRED_LANGUAGES = ("en", "fr", "de")
HA_VERSION = "2026.10.4"


def entity_platforms() -> frozenset[str]:
    """Return the entity platform names (``sensor``, ``binary_sensor``, ...)."""
    return frozenset(p.value for p in Platform)


def rel(path: Path, root: Path | None = None) -> str:
    """
    Return ``path`` relative to this repository or to ``root``, else unchanged.

    ``root`` is the checkout holding the checked integration (the parent of its
    ``custom_components`` folder), so messages stay short for other checkouts too.
    """
    for base in (REPO_ROOT, root):
        if base is None:
            continue
        try:
            return str(path.relative_to(base))
        except ValueError:
            continue
    return str(path)


def get_node(tree: Any, path: Iterable[str]) -> Any:
    """Return the node at ``path`` (keys) in nested dicts, or None."""
    node = tree
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def flatten(tree: Any, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    """Return ``{key path: leaf}`` for a nested dict (empty dicts are leaves)."""
    if not isinstance(tree, dict) or not tree:
        return {prefix: tree}
    out: dict[tuple[str, ...], Any] = {}
    for key, value in tree.items():
        out.update(flatten(value, (*prefix, str(key))))
    return out


def dotted(path: Iterable[str]) -> str:
    """Join a key path with dots."""
    return ".".join(path)


def placeholders(value: str) -> set[str]:
    """Return the ``{name}`` placeholders of a string (str.format syntax, like hassfest)."""
    return {name for _, name, _, _ in string.Formatter().parse(value) if name}


def python_files(root: Path) -> list[Path]:
    """Return the ``*.py`` files under ``root`` (sorted, without ``__pycache__``)."""
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def parse_file(path: Path) -> ast.Module:
    """Parse a Python file."""
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
