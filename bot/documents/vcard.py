"""Contact cards as vCard 3.0 (RFC 2426), the format phones and address books import: a few lines
per card, each value escaped."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol


class Details(Protocol):
    """The details a person chose to share, as the services hand them over (their ContactCard)."""

    @property
    def email(self) -> str | None: ...

    @property
    def phone(self) -> str | None: ...

    @property
    def website(self) -> str | None: ...


def _escape(value: str) -> str:
    """RFC 2426 escapes; any line break a reader may split on (U+2028, U+0085...) is a folded ``\\n``."""
    value = value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    return "\\n".join(value.splitlines())


def vcards(cards: Iterable[tuple[str, str | None, Details]]) -> bytes:
    lines: list[str] = []
    for name, organisation, card in cards:
        lines += ["BEGIN:VCARD", "VERSION:3.0", f"FN:{_escape(name)}", f"N:{_escape(name)};;;;"]
        if organisation:
            lines.append(f"ORG:{_escape(organisation)}")
        if card.email:
            lines.append(f"EMAIL;TYPE=INTERNET:{_escape(card.email)}")
        if card.phone:
            lines.append(f"TEL;TYPE=WORK,VOICE:{_escape(card.phone)}")
        if card.website:
            lines.append(f"URL:{_escape(card.website)}")
        lines.append("END:VCARD")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")
