"""Shared fixtures.

``custom_components`` must be imported before the ``hass`` fixture mounts the
test plugin's own ``testing_config/custom_components``; otherwise Home Assistant
reports "Integration not found".

``check_translations`` (autouse, ``tests/translations_check.py``) fails any test in
which the code asks for a translation key that ``translations/en.json`` lacks.
"""

from __future__ import annotations

from collections.abc import Generator
from unittest.mock import patch

import pytest

import custom_components.energy_meters  # noqa: F401 - see the module docstring
from tests.translations_check import (  # noqa: F401 - fixtures: every test checks its strings
    check_translations,
    ignore_missing_translations,
)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load our integration in every test."""


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Create entities that are disabled by default as enabled."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
    ):
        yield
