"""Message catalogs: complete in both languages, same placeholders, valid Telegram HTML."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bot.event import LANGUAGES
from bot.i18n import Html, Translator, forms, load_catalog, placeholders
from bot.telegram.html import parse_html

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = {language: load_catalog(language) for language in LANGUAGES}


def keys_used_in_code() -> tuple[set[str], set[str]]:
    """Keys passed to ``tr(language, key, ...)`` anywhere in the code: exact ones and f-string prefixes."""
    exact: set[str] = set()
    prefixes: set[str] = set()
    for folder in ("bot", "handlers"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call) or len(node.args) < 2:
                    continue
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                if name != "tr":
                    continue
                key = node.args[1]
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    exact.add(key.value)
                elif isinstance(key, ast.JoinedStr) and isinstance(key.values[0], ast.Constant):
                    prefixes.add(str(key.values[0].value))
    return exact, prefixes


def test_both_languages_have_the_same_messages() -> None:
    fr, en = set(CATALOGS["fr"]), set(CATALOGS["en"])
    assert fr - en == set(), f"only in French: {sorted(fr - en)}"
    assert en - fr == set(), f"only in English: {sorted(en - fr)}"


def test_no_message_is_empty() -> None:
    for language, catalog in CATALOGS.items():
        empty = [key for key, text in catalog.items() if not all(form.strip() for form in forms(text))]
        assert not empty, f"empty in {language}: {empty}"


def test_placeholders_are_the_same_in_both_languages_and_every_form() -> None:
    for key in CATALOGS["fr"]:
        found = {frozenset(placeholders(form)) for lang in LANGUAGES for form in forms(CATALOGS[lang][key])}
        assert len(found) == 1, (key, found)
        if isinstance(CATALOGS["fr"][key], tuple):
            assert isinstance(CATALOGS["en"][key], tuple) and "count" in next(iter(found)), key


def test_counts_use_plural_forms_never_a_parenthesised_plural() -> None:
    """ "1 créneau encore libre", "9 créneaux encore libres": no "créneau(x)" in any message with a count."""
    for language, catalog in CATALOGS.items():
        for key, template in catalog.items():
            for form in forms(template):
                assert not re.search(r"\w\((?:s|x|es)\)", form), (language, key, form)
    tr = Translator.load()
    assert tr("fr", "directory.card.free_slots", count=1) == "🗓 1 créneau encore libre"
    assert tr("fr", "directory.card.free_slots", count=0) == "🗓 0 créneau encore libre"  # French: 0 is singular
    assert tr("fr", "directory.card.free_slots", count=9) == "🗓 9 créneaux encore libres"
    assert tr("en", "directory.card.free_slots", count=1) == "🗓 1 slot still free"
    assert tr("en", "directory.card.free_slots", count=0) == "🗓 0 slots still free"
    assert tr("en", "directory.card.free_slots", count=9) == "🗓 9 slots still free"
    with pytest.raises(TypeError, match="needs an integer count"):
        tr("fr", "directory.card.free_slots")


def test_every_key_the_code_uses_exists() -> None:
    exact, prefixes = keys_used_in_code()
    assert exact, "the scan found no keys: it is broken"
    missing = sorted(k for k in exact if k not in CATALOGS["fr"])
    assert not missing, f"used in code, missing from the catalogs: {missing}"
    for prefix in prefixes:
        assert any(k.startswith(prefix) for k in CATALOGS["fr"]), prefix


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_html_telegram_accepts(language: str) -> None:
    tr = Translator.load()
    for key, template in CATALOGS[language].items():
        for count in (1, 7):
            values: dict[str, object] = {
                name: "Valeur <b>&</b>" for form in forms(template) for name in placeholders(form)
            }
            if "count" in values:
                values["count"] = count
            text = tr(language, key, **values)  # type: ignore[arg-type]
            parse_html(text)  # raises on anything Telegram would refuse
            assert len(text) <= 4096


def test_values_are_escaped_unless_already_html() -> None:
    tr = Translator.load()
    text = tr("fr", "fallback.unknown_command", command="<i>/x</i> & co")
    assert "&lt;i&gt;/x&lt;/i&gt; &amp; co" in text
    assert parse_html(text).text.startswith("Je ne connais pas la commande <i>/x</i> & co")
    assert "<b>" in tr("fr", "fallback.unknown_command", command=Html("<b>/x</b>"))


def test_a_missing_key_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match="'nope' is missing from the en catalog"):
        Translator.load()("en", "nope")


def test_dates_are_written_the_local_way() -> None:
    from datetime import date

    tr = Translator.load()
    assert tr.format_date("fr", date(2027, 3, 16)) == "mardi 16 mars 2027"
    assert tr.format_date("en", date(2027, 3, 16)) == "Tuesday, March 16, 2027"
