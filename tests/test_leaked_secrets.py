"""``devtools.hass_runner.leaked_secrets``: the scan the end-to-end tests run on logs and diagnostics."""

from __future__ import annotations

from devtools.hass_runner import leaked_secrets

KEY = "000102030405060708090A0B0C0D0E0F"


def test_finds_secrets_in_any_case_and_hex_keys_with_separators() -> None:
    texts = {
        "log": "wmbusmeters key 00:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f accepted",
        "diagnostics": '{"password": "**REDACTED**", "serial": "lgz1030655933512"}',
        "clean": "nothing here, short ids like 7315 are fine",
    }
    found = leaked_secrets(texts, [KEY, "LGZ1030655933512", "7315", "dev-fritz"])
    assert found == ["log: " + KEY, "diagnostics: LGZ1030655933512"]


def test_short_secrets_and_clean_texts_give_nothing() -> None:
    assert leaked_secrets({"a": "abc 12345 xyz"}, ["12345", "abc"]) == []
    assert leaked_secrets({}, [KEY]) == []
