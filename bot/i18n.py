"""Messages in French and English, from gettext catalogs read with Babel.

Catalogs live in ``bot/locales/<lang>/LC_MESSAGES/messages.po``; each msgid is a
stable key, each msgstr Telegram HTML with ``{placeholders}``. Every value passed in
is HTML-escaped unless wrapped in :class:`Html`, so user text can never inject markup.

A message that depends on a number has plural forms (``msgid_plural``, ``msgstr[n]``);
the ``count`` value chooses the form by the language's CLDR plural rules, through Babel:
"1 créneau encore libre", "9 créneaux encore libres", never "créneau(x)".
"""

from __future__ import annotations

import functools
import html
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from importlib import resources

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.messages.pofile import read_po

from bot.event import LANGUAGES, Language

MESSAGE_TEXT = 4096  # Telegram's limit on a message's text, once entities are parsed


class Html(str):
    """Text that is already valid Telegram HTML (built from catalog messages)."""


def escape(value: object) -> str:
    if isinstance(value, Html):
        return value
    return html.escape(str(value), quote=False)


def to_plain(text: str) -> str:
    """What a user reads of a Telegram HTML text: tags gone, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


Template = str | tuple[str, ...]  # one text, or its plural forms (singular first)


def load_catalog(language: str) -> dict[str, Template]:
    path = resources.files("bot").joinpath("locales", language, "LC_MESSAGES", "messages.po")
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    messages: dict[str, Template] = {}
    for m in catalog:
        if not m.id:
            continue
        if isinstance(m.id, str):
            messages[m.id] = str(m.string)
        else:
            assert isinstance(m.string, tuple | list), m.id
            messages[str(m.id[0])] = tuple(str(form) for form in m.string)
    return messages


def forms(template: Template) -> tuple[str, ...]:
    return template if isinstance(template, tuple) else (template,)


@functools.cache
def _locale(language: str) -> Locale:
    return Locale.parse(language)


def plural_index(language: Language, count: int) -> int:
    """Which gettext form (0: singular, 1: plural; French and English have two) ``count`` takes."""
    return 0 if _locale(language).plural_form(abs(count)) == "one" else 1


class Translator:
    def __init__(self, catalogs: Mapping[Language, Mapping[str, Template]]) -> None:
        self.catalogs = catalogs

    @classmethod
    def load(cls) -> Translator:
        return cls({language: load_catalog(language) for language in LANGUAGES})

    def __call__(self, language: Language, key: str, **params: object) -> Html:
        try:
            template = self.catalogs[language][key]
        except KeyError:
            raise KeyError(f"message {key!r} is missing from the {language} catalog") from None
        if isinstance(template, tuple):
            count = params.get("count")
            if not isinstance(count, int):
                raise TypeError(f"message {key!r} has plural forms: it needs an integer count")
            template = template[min(plural_index(language, count), len(template) - 1)]
        return Html(template.format(**{name: escape(value) for name, value in params.items()}))

    def format_date(self, language: Language, value: date) -> str:
        return format_date(value, format="full", locale=language)

    def format_dates(self, language: Language, values: Iterable[date]) -> str:
        return ", ".join(self.format_date(language, v) for v in values)

    def format_time(self, language: Language, value: datetime) -> str:
        """``10:30``: the caller gives a datetime in the event's timezone."""
        return format_time(value, format="HH:mm", tzinfo=value.tzinfo, locale=language)

    def format_slot(self, language: Language, value: datetime) -> str:
        """``mardi 16 mars, 10:30`` / ``Tuesday 16 March, 10:30``, in the zone of ``value``."""
        pattern = "EEEE d MMMM, HH:mm"
        return format_datetime(value, pattern, tzinfo=value.tzinfo, locale=language)


def telegram_length(text: str) -> int:
    """Characters Telegram counts in a text once its tags are parsed (UTF-16 code units)."""
    return len(to_plain(text).encode("utf-16-le")) // 2


def clip_lines(
    tr: Translator, language: Language, lines: Sequence[str], *, budget: int = MESSAGE_TEXT - 200, joiner: str = "\n"
) -> Html:
    """As many of ``lines`` as fit in one message, then "…and N more" for the rest."""
    kept: list[str] = []
    used = 0
    for n, line in enumerate(lines):
        size = telegram_length(line) + len(joiner)
        if used + size > budget:
            kept.append(tr(language, "paging.more", count=len(lines) - n))
            break
        kept.append(line)
        used += size
    return Html(joiner.join(kept))


def clip_text(text: str, limit: int) -> str:
    """Plain user text cut to ``limit`` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
