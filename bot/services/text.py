"""Text helpers for matching what people type: accents and case do not matter."""

from __future__ import annotations

import re
import unicodedata

_WHOLE_NUMBER_RE = re.compile(r"[0-9]{1,18}")


def whole_number(text: str) -> int | None:
    """A whole number as people write it in a file or a chat: ASCII digits only, at most 18 of them.
    ``str.isdigit()`` also says yes to ``²`` or Arabic-Indic digits, and ``int()`` refuses 4,300 digits
    or more; None for anything that is not such a number, never an exception."""
    return int(text) if _WHOLE_NUMBER_RE.fullmatch(text) else None


_WORD_RE = re.compile(r"[a-z0-9]+")
# Words too common to say anything about a match
STOPWORDS = frozenset(
    [
        "les",
        "des",
        "une",
        "pour",
        "dans",
        "avec",
        "sur",
        "par",
        "aux",
        "est",
        "sont",
        "qui",
        "que",
        "quoi",
        "nos",
        "vos",
        "leur",
        "leurs",
        "cette",
        "ces",
        "ses",
        "son",
        "sa",
        "the",
        "and",
        "for",
        "with",
        "from",
        "that",
        "this",
        "are",
        "our",
        "your",
        "their",
        "into",
        "about",
        "des",
        "du",
        "de",
        "la",
        "le",
        "un",
        "et",
        "en",
        "au",
        "ou",
    ]
)


def normalise(text: str) -> str:
    """Lowercase, without accents: ``Énergie`` and ``energie`` compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    return _WORD_RE.findall(normalise(text))


def keywords(text: str) -> set[str]:
    """Words that carry meaning: four letters or more, not a stopword."""
    return {w for w in words(text) if len(w) >= 4 and w not in STOPWORDS}


def slugify(name: str) -> str:
    return "-".join(words(name))[:48].strip("-")
