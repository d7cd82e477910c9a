"""Profile fields: how answers are cleaned and validated."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

# Format characters that keep emoji and scripts intact; other format characters
# (such as right-to-left overrides) can disguise a name and are removed.
_KEPT_FORMAT = {"\u200c", "\u200d"}  # zero-width non-joiner and joiner
_SPACES = re.compile(r"[ \t]+")


class Field(StrEnum):
    """A profile field, as a step of the registration and of profile editing."""

    NAME = "name"
    ORGANISATION = "organisation"
    ORG_TYPE = "orgtype"
    JOB_TITLE = "jobtitle"
    THEMES = "themes"
    LOOKING_FOR = "lookingfor"


# Field -> participants column
COLUMN = {
    Field.NAME: "full_name",
    Field.ORGANISATION: "organisation",
    Field.ORG_TYPE: "org_type",
    Field.JOB_TITLE: "job_title",
    Field.LOOKING_FOR: "looking_for",
}
SKIPPABLE = frozenset({Field.JOB_TITLE, Field.LOOKING_FOR})


@dataclass(frozen=True)
class Limits:
    min: int
    max: int
    multiline: bool = False


LIMITS = {
    Field.NAME: Limits(2, 80),
    Field.ORGANISATION: Limits(2, 120),
    Field.JOB_TITLE: Limits(2, 80),
    Field.LOOKING_FOR: Limits(1, 500, multiline=True),
}


class InvalidAnswer(Exception):
    """An answer the user must correct; ``key`` and ``params`` make the message."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


# What str.splitlines() breaks a line on, besides "\n": a reader of a file we write may do the same
_LINE_BREAKS = frozenset("\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")


def _drop_invisible(text: str) -> str:
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if char == "\n" or char in _LINE_BREAKS - {"\r", "\v", "\f"}:
            kept.append("\n")
        elif char in "\t\r\v\f":
            kept.append(" ")
        elif category == "Cc" or (category in ("Cf", "Cs", "Co", "Cn") and char not in _KEPT_FORMAT):
            continue
        else:
            kept.append(char)
    return "".join(kept)


def clean(text: str, *, multiline: bool = False) -> str:
    """Strip control characters, fold spaces; keep emoji, accents and any script."""
    text = unicodedata.normalize("NFC", _drop_invisible(text))
    if not multiline:
        return _SPACES.sub(" ", text.replace("\n", " ")).strip()
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# Letters that render as nothing: Hangul fillers, the braille blank, the halfwidth filler
_BLANK_LOOKING = frozenset("\u115f\u1160\u3164\u2800\uffa0")


def visible_length(text: str) -> int:
    """Characters one can see: joiners, combining marks alone, spaces and blank-looking letters do not count."""
    return sum(1 for char in text if unicodedata.category(char)[0] in "LNPS" and char not in _BLANK_LOOKING)


def validate_text(field: Field, raw: str) -> str:
    limits = LIMITS[field]
    value = clean(raw, multiline=limits.multiline)
    if len(value) < limits.min or (limits.min > 0 and visible_length(value) == 0):
        raise InvalidAnswer("profile.invalid.too_short", minimum=limits.min)
    if len(value) > limits.max:
        raise InvalidAnswer("profile.invalid.too_long", maximum=limits.max, length=len(value))
    return value
