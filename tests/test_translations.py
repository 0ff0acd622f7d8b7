"""
The translation files, edited by hand as JSON: same keys and placeholders in every
language, and Linky entity names unchanged by the family keys.

Labels that differ only by a phase or an index (IRMS1-3, EASF01-10...) share one
translation key and pass the number as a placeholder. ``fixtures/linky_entity_names.json``
holds every Linky label entity's name in en/fr/de as it was before the families
were introduced (one key per label; DATE, no longer an entity, left out); the
rendered names must still be those.
"""

from __future__ import annotations

from collections import Counter
import json
from pathlib import Path
from typing import Any

import pytest

from custom_components.energy_meters.linky.entities import LINKY_SENSORS
from custom_components.energy_meters.protocol.tic.labels import LABELS
from tests.translations_check import flatten_strings, placeholder_names

INTEGRATION = Path(__file__).parents[1] / "custom_components" / "energy_meters"
LANGUAGES = ("en", "fr", "de")
NAMES_BEFORE = Path(__file__).parent / "fixtures" / "linky_entity_names.json"


def load(lang: str) -> dict[str, Any]:
    tree: dict[str, Any] = json.loads(
        (INTEGRATION / "translations" / f"{lang}.json").read_text(encoding="utf-8")
    )
    return tree


def test_only_the_three_languages() -> None:
    assert sorted(p.stem for p in (INTEGRATION / "translations").glob("*.json")) == sorted(
        LANGUAGES
    )


@pytest.mark.parametrize("lang", ["fr", "de"])
def test_same_keys_and_placeholders_as_english(lang: str) -> None:
    en, other = flatten_strings(load("en")), flatten_strings(load(lang))
    assert sorted(set(en) - set(other)) == [], f"missing from {lang}.json"
    assert sorted(set(other) - set(en)) == [], f"only in {lang}.json"
    different = {
        key: (sorted(placeholder_names(en[key])), sorted(placeholder_names(other[key])))
        for key in en
        if placeholder_names(en[key]) != placeholder_names(other[key])
    }
    assert different == {}, f"placeholders differ between en.json and {lang}.json"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_linky_names_unchanged_by_families(lang: str) -> None:
    before = json.loads(NAMES_BEFORE.read_text(encoding="utf-8"))
    sensor = load(lang)["entity"]["sensor"]
    rendered = {
        description.key: sensor[description.translation_key]["name"].format(
            **(description.translation_placeholders or {})
        )
        for description in LINKY_SENSORS
        if description.key in before
    }
    assert rendered == {key: names[lang] for key, names in before.items()}


def test_families_share_keys_and_keep_unique_ids() -> None:
    labels = {row.label.lower(): row for row in LABELS.values() if row.alias_of is None}
    descriptions = [d for d in LINKY_SENSORS if d.key in labels]
    # description keys (hence unique IDs) are still the lowercase labels
    assert {d.key for d in descriptions} == set(json.loads(NAMES_BEFORE.read_text("utf-8")))
    by_key = {d.key: d for d in descriptions}
    assert by_key["irms2"].translation_key == "current_phase"
    assert by_key["irms2"].translation_placeholders == {"phase": "2"}
    assert by_key["easf10"].translation_key == "index_supplier"
    assert by_key["easf10"].translation_placeholders == {"index": "10"}
    assert by_key["erq3"].translation_placeholders == {"quadrant": "3"}
    assert by_key["east"].translation_placeholders is None
    # within a mode, no two entities end up with the same name
    for mode in ("historic", "standard"):
        names = Counter(
            load("en")["entity"]["sensor"][d.translation_key]["name"].format(
                **(d.translation_placeholders or {})
            )
            for d in descriptions
            if getattr(labels[d.key], mode)
        )
        assert [name for name, n in names.items() if n > 1] == [], mode
    shared = Counter(d.translation_key for d in descriptions)
    assert shared["current_phase"] == 6  # IINST1-3 and IRMS1-3
    assert shared["index_supplier"] == 10
