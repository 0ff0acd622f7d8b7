"""Offline stand-ins for the hassfest and HACS checks, run on this repository.

Neither hassfest nor the HACS action can run in our registry-only CI, so the
checkers in ``devtools.hassfest`` re-implement what they check (see that
package's docstring for the rules and their sources). Each test here runs one
checker on the real files, found through the module-level ``INTEGRATION_DIR``
(``tests/test_hassfest_checkers.py`` monkeypatches it to run these tests on a
sample integration). A missing real file is a failure, never a skip. Whether the
code's translation keys exist is checked at run time (``tests/translations_check.py``).
"""

from collections.abc import Iterable
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from devtools.hassfest.brand import check_brand
from devtools.hassfest.common import REPO_ROOT, rel
from devtools.hassfest.hacs import check_hacs, check_single_integration
from devtools.hassfest.icons import check_icons
from devtools.hassfest.imports import check_dependencies
from devtools.hassfest.manifest import check_manifest, check_with_ha_loader
from devtools.hassfest.quality_scale import check_quality_scale
from devtools.hassfest.translations import (
    check_translation_schema,
    check_translation_strings,
    check_translation_trees,
    load_translations,
)

INTEGRATION_DIR = REPO_ROOT / "custom_components" / "energy_meters"


def _rel(path: Path) -> str:
    return rel(path, INTEGRATION_DIR.parents[1])


def read_json(path: Path) -> Any:
    """Load JSON, failing the calling test with a clear message when unusable."""
    if not path.is_file():
        pytest.fail(f"{_rel(path)} is missing")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as err:
        pytest.fail(f"{_rel(path)} is not valid JSON: {err}")


def _fmt(problems: Iterable[str]) -> str:
    return "\n  - " + "\n  - ".join(problems)


def _assert_clean(problems: list[str], what: str) -> None:
    assert not problems, f"{what}: {len(problems)} problem(s){_fmt(problems)}"


def _integration_dir() -> Path:
    return INTEGRATION_DIR


def _manifest() -> dict[str, Any]:
    manifest = read_json(_integration_dir() / "manifest.json")
    if not isinstance(manifest, dict):
        pytest.fail("manifest.json must contain a JSON object")
    return manifest


def _translations() -> dict[str, Any]:
    trees, problems = load_translations(_integration_dir())
    if problems:
        pytest.fail(f"translations unusable:{_fmt(problems)}")
    return trees


def _domain() -> str:
    return _integration_dir().name


def test_manifest_is_valid() -> None:
    _assert_clean(check_manifest(_manifest(), _integration_dir()), "manifest.json")


def test_manifest_accepted_by_home_assistant_loader() -> None:
    _manifest()  # clear failure first when the file is missing or broken
    _assert_clean(check_with_ha_loader(_integration_dir()), "homeassistant.loader")


def test_component_imports_are_declared() -> None:
    _assert_clean(check_dependencies(_manifest(), _integration_dir()), "dependencies")


def test_hacs_json_is_valid() -> None:
    hacs = read_json(_integration_dir().parents[1] / "hacs.json")
    _assert_clean(check_hacs(hacs), "hacs.json")


def test_exactly_one_integration() -> None:
    _assert_clean(
        check_single_integration(_integration_dir().parent, _domain()), "custom_components/"
    )


def test_no_strings_json() -> None:
    path = _integration_dir() / "strings.json"
    assert not path.exists(), (
        "custom integrations must not ship strings.json; write translations/en.json"
    )


def test_translation_trees_are_identical() -> None:
    _assert_clean(check_translation_trees(_translations()), "translation key trees")


def test_translation_strings() -> None:
    _assert_clean(check_translation_strings(_translations()), "translation strings")


def test_translation_schema() -> None:
    trees = _translations()
    problems = [p for lang in sorted(trees) for p in check_translation_schema(trees[lang], lang)]
    _assert_clean(problems, "translation schema")


def test_icons_json() -> None:
    icons = read_json(_integration_dir() / "icons.json")
    en = read_json(_integration_dir() / "translations" / "en.json")
    _assert_clean(check_icons(icons, en), "icons.json")


def test_brand_images() -> None:
    _assert_clean(check_brand(_integration_dir() / "brand"), "brand images")


def test_quality_scale_yaml() -> None:
    path = _integration_dir() / "quality_scale.yaml"
    assert path.is_file(), f"{_rel(path)} is missing"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        pytest.fail(f"quality_scale.yaml does not parse: {err}")
    _assert_clean(check_quality_scale(data), "quality_scale.yaml")
