"""Telegram's HTML parse mode, as strictly as Telegram applies it (used by the emulator, and to check announcements).

``parse_html`` turns a message written with ``parse_mode=HTML`` into the plain text
the user sees and its entities, or raises :class:`EntityParseError` with Telegram's
wording when Telegram would answer 400 "can't parse entities".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# tag -> entity type; attributes are checked in _entity_for
SUPPORTED_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
    "tg-time": "date_time",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}

_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_TAG_NAME_RE = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*")
_ATTR_RE = re.compile(r"\s*([a-zA-Z_:][a-zA-Z0-9_:.-]*)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?")


class EntityParseError(ValueError):
    """Telegram's 400 "can't parse entities"."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"Bad Request: can't parse entities: {detail}")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Open:
    tag: str
    attrs: dict[str, str]
    offset: int  # UTF-16 offset in the output where the entity starts
    byte_offset: int


@dataclass
class ParsedText:
    text: str
    entities: list[dict[str, object]] = field(default_factory=list)


def _unescape_attr(value: str) -> str:
    if value[:1] in "\"'":
        value = value[1:-1]
    return _ENTITY_RE.sub(_entity_char, value)


def _entity_char(match: re.Match[str]) -> str:
    named, dec, hexa = match.groups()
    if named:
        return _NAMED_ENTITIES[named]
    return chr(int(dec) if dec else int(hexa, 16))


def _entity_for(opened: _Open, length: int) -> dict[str, object] | None:
    kind = SUPPORTED_TAGS[opened.tag]
    entity: dict[str, object] = {"type": kind, "offset": opened.offset, "length": length}
    if opened.tag == "span":
        if opened.attrs.get("class") != "tg-spoiler":
            raise EntityParseError('Tag "span" must have class "tg-spoiler"')
    elif opened.tag == "a":
        href = opened.attrs.get("href", "")
        if href.startswith("tg://user?id="):
            entity = {"type": "text_mention", "offset": opened.offset, "length": length}
        else:
            entity["url"] = href
    elif opened.tag == "tg-emoji":
        if "emoji-id" not in opened.attrs:
            raise EntityParseError('Tag "tg-emoji" must have attribute "emoji-id"')
        entity["custom_emoji_id"] = opened.attrs["emoji-id"]
    elif opened.tag == "tg-time":
        if not opened.attrs.get("unix", "").isdigit():
            raise EntityParseError('Tag "tg-time" must have attribute "unix"')
        entity["unix_time"] = int(opened.attrs["unix"])
    elif opened.tag == "blockquote" and "expandable" in opened.attrs:
        entity["type"] = "expandable_blockquote"
    elif opened.tag == "code" and opened.attrs.get("class", "").startswith("language-"):
        entity["language"] = opened.attrs["class"][len("language-") :]
    if length == 0:
        return None
    return entity


def parse_html(source: str) -> ParsedText:
    out: list[str] = []
    out_len = 0  # UTF-16 units written so far
    stack: list[_Open] = []
    entities: list[dict[str, object]] = []
    i = 0
    n = len(source)
    while i < n:
        char = source[i]
        if char == "<":
            byte_offset = len(source[:i].encode())
            end = source.find(">", i)
            closing = source.startswith("</", i)
            name_match = _TAG_NAME_RE.match(source, i + (2 if closing else 1))
            if name_match is None or end == -1:
                raise EntityParseError(
                    f"Unsupported start tag at byte offset {byte_offset}"
                    if not closing
                    else f"Can't find end of tag at byte offset {byte_offset}"
                )
            tag = name_match.group(0).lower()
            if closing:
                if source[name_match.end() : end].strip():
                    raise EntityParseError(f"Unexpected end tag at byte offset {byte_offset}")
                if not stack or stack[-1].tag != tag:
                    raise EntityParseError(
                        f'Unmatched end tag at byte offset {byte_offset}, expected "</'
                        f'{stack[-1].tag if stack else ""}>", found "</{tag}>"'
                    )
                opened = stack.pop()
                entity = _entity_for(opened, out_len - opened.offset)
                if entity is not None:
                    entities.append(entity)
                i = end + 1
                continue
            if tag not in SUPPORTED_TAGS:
                raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {byte_offset}')
            attrs: dict[str, str] = {}
            rest = source[name_match.end() : end].rstrip().rstrip("/")
            pos = 0
            while pos < len(rest):
                attr = _ATTR_RE.match(rest, pos)
                if attr is None or attr.end() == pos:
                    raise EntityParseError(f"Can't parse attributes of tag at byte offset {byte_offset}")
                attrs[attr.group(1).lower()] = _unescape_attr(attr.group(2) or "")
                pos = attr.end()
            stack.append(_Open(tag, attrs, out_len, byte_offset))
            i = end + 1
        elif char == "&":
            match = _ENTITY_RE.match(source, i)
            if match is None:
                raise EntityParseError(
                    f'Unsupported HTML entity or unescaped "&" at byte offset {len(source[:i].encode())}'
                )
            decoded = _entity_char(match)
            out.append(decoded)
            out_len += utf16_len(decoded)
            i = match.end()
        elif char == ">":
            # Telegram accepts a bare ">" in text
            out.append(char)
            out_len += 1
            i += 1
        else:
            out.append(char)
            out_len += utf16_len(char)
            i += 1
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    entities.sort(key=lambda e: (e["offset"], -int(e["length"])))  # type: ignore[call-overload]
    return ParsedText("".join(out), entities)


class TelegramHtml:
    """Telegram's HTML rules as the domain asks for them (bot.services.broadcasts.Markup)."""

    def length(self, text: str) -> int:
        return utf16_len(text)

    def visible_text(self, text: str) -> str:
        return parse_html(text).text
