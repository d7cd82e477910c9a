"""Announcements to a chosen audience, and notices, through the outbox."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, NamedTuple, Protocol

from bot.event import Event
from bot.i18n import escape
from bot.services.flows import FlowDraft
from bot.services.notices import Mention
from storage.outbox import Broadcast, Delivery, Outgoing, Progress
from storage.participants import Participant, Role
from storage.repositories import Repositories

MAX_TEXT = 4096
AUDIENCE_RE = re.compile(r"^(all|attendees|reps|theme:[a-z0-9_-]{1,32}|slots:\d{1,4}-\d{1,4})$")


class BroadcastDraft(FlowDraft):
    """An announcement being written: its text, then its audience (and how many it reaches), then when."""

    FLOW: ClassVar[str] = "broadcast"
    text: str | None = None
    audience: str | None = None
    count: int = 0
    send_at: datetime | None = None


class BroadcastError(Exception):
    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class Markup(Protocol):
    """The chat's formatting rules, as an announcement needs them: Telegram's HTML in the bot
    (bot/telegram/html.py, given by the composition root); the domain knows no Telegram."""

    def length(self, text: str) -> int:
        """The length of plain text as the chat counts it."""
        ...

    def visible_text(self, text: str) -> str:
        """What a reader sees of formatted ``text``; ValueError (its reason) when the chat would refuse it."""
        ...


def signature_reserve(markup: Markup, signatures: Mapping[str, str]) -> int:
    """Characters an announcement must leave for the longest signature and the blank line before it."""
    return max((markup.length(s) + 2 for s in signatures.values()), default=0)


def check_text(markup: Markup, text: str, reserve: int = 0) -> str:
    """The announcement as the chat will take it, or the reason it would refuse it (a BroadcastError
    the handler renders); ``reserve``: characters kept for what is added to it (the organisers' signature)."""
    try:
        visible = markup.visible_text(text).strip()
    except ValueError as err:
        raise BroadcastError(
            "broadcast.bad_html", detail=str(err).removeprefix("Bad Request: can't parse entities: ")
        ) from None
    if not visible:
        raise BroadcastError("broadcast.empty")
    if markup.length(visible) > MAX_TEXT - reserve:
        raise BroadcastError("broadcast.too_long", maximum=MAX_TEXT - reserve, length=markup.length(visible))
    return text


class Notice(NamedTuple):
    recipient: Participant
    text: str
    about: tuple[Mention, ...] = ()  # whom the text names: /forget takes them out of it


class BroadcastService:
    def __init__(
        self, repos: Repositories, event: Event, markup: Markup, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.event = event
        self.markup = markup
        self._outbox = repos.outbox
        self._participants = repos.participants
        self._meetings = repos.meetings
        self._db = repos.db
        self.clock = clock or (lambda: datetime.now(UTC))
        # Set whenever deliveries are queued: the outbox worker (bot/jobs/outbox.py) sends them at once
        self.queued = asyncio.Event()

    async def progress(self, broadcast_id: int) -> Progress:
        return await self._outbox.progress(broadcast_id)

    async def remember_progress_message(self, broadcast_id: int, chat_id: int, message_id: int) -> None:
        """The author's progress message, edited as deliveries go out."""
        await self._outbox.set_progress_message(broadcast_id, chat_id, message_id)

    async def recent(self, limit: int, offset: int) -> list[Broadcast]:
        return await self._outbox.recent(limit, offset)

    async def count_announcements(self) -> int:
        return await self._outbox.count_announcements()

    async def audience(self, code: str) -> list[Participant]:
        """Reachable participants of an audience code (all, attendees, reps, theme:<id>, slots:<i>-<j>)."""
        if not AUDIENCE_RE.match(code):
            raise BroadcastError("broadcast.bad_audience")
        everyone = [p for p in await self._participants.all() if p.reachable]
        if code == "all":
            return everyone
        if code == "attendees":
            return [p for p in everyone if p.role == Role.ATTENDEE]
        if code == "reps":
            return [p for p in everyone if p.role == Role.EXHIBITOR]
        if code.startswith("theme:"):
            theme = code.split(":", 1)[1]
            if self.event.theme(theme) is None:
                raise BroadcastError("broadcast.bad_audience")
            return [p for p in everyone if theme in p.themes]
        first, last = (int(x) for x in code.split(":", 1)[1].split("-"))
        slots = self.event.slots[first : last + 1]
        if not slots:
            raise BroadcastError("broadcast.bad_audience")
        meetings = await self._meetings.accepted_in([s.start for s in slots])
        people = {m.attendee_id for m in meetings if m.attendee_id is not None}
        for exhibitor_id in {m.exhibitor_id for m in meetings}:
            people.update(r.id for r in await self._participants.representatives(exhibitor_id))
        return [p for p in everyone if p.id in people]

    def check(self, text: str, signatures: Mapping[str, str]) -> str:
        """The announcement's text as the chat will take it with the longest signature under it."""
        return check_text(self.markup, text, reserve=signature_reserve(self.markup, signatures))

    async def announce(
        self,
        author: Participant,
        text: str,
        audience: str,
        send_at: datetime | None,
        signatures: Mapping[str, str] | None = None,
    ) -> Broadcast:
        """``signatures``: per language, who the announcement is from, added under it for each recipient."""
        signatures = signatures or {}
        self.check(text, signatures)
        recipients = await self.audience(audience)
        if not recipients:
            raise BroadcastError("broadcast.nobody")
        when = send_at or self.clock()

        def signed(language: str) -> str:
            signature = signatures.get(language)
            return f"{text}\n\n{signature}" if signature else text

        broadcast = await self._outbox.create(
            "announcement",
            audience,
            when,
            author.id,
            [Outgoing(p.id, p.telegram_id, signed(p.language)) for p in recipients],
        )
        assert broadcast is not None  # filed without a claim: always
        self.queued.set()
        return broadcast

    async def notify(
        self,
        messages: Sequence[Notice | Outgoing],
        audience: str = "notice",
        *,
        bulk: bool = False,
        claim: tuple[str, Sequence[Any]] | None = None,
    ) -> Broadcast | None:
        """Notices (a blocked slot, a reconciled event, a request to a stand): delivered by the
        outbox, crash or not, before announcements and in order within each chat."""
        outgoing = [m if isinstance(m, Outgoing) else _plain(m) for m in messages if _reachable(m)]
        if not outgoing:
            return None
        broadcast = await self._outbox.create("notice", audience, self.clock(), None, outgoing, bulk=bulk, claim=claim)
        self.queued.set()
        return broadcast

    # ------------------------------------------------------------------ deliveries, for the outbox worker

    async def claim_due(self, owner: str, lease: timedelta, limit: int) -> list[Delivery]:
        """Deliveries due now, leased to ``owner``: another worker takes them over once the lease lapses."""
        return await self._outbox.claim_due(self.clock(), owner, lease, limit)

    async def next_due(self) -> datetime | None:
        return await self._outbox.next_due()

    async def release(self, owner: str) -> int:
        """``owner``'s claims back to due now (a stopping process): how many there were."""
        return await self._outbox.release(owner, self.clock())

    async def delivered(self, delivery: Delivery, message_id: int | None = None) -> None:
        """Sent; a request copy's message is remembered with it."""
        if delivery.copy_of is not None and message_id is not None:
            await self._outbox.sent_request_copy(delivery, message_id)
        else:
            await self._outbox.mark(delivery.id, "sent")
        self.queued.set()  # the chat's next notice may go

    async def undeliverable(self, delivery: Delivery, state: str, error: str) -> None:
        """``unreachable`` (the person blocked the bot) or ``failed`` (Telegram refused it for good)."""
        await self._outbox.mark(delivery.id, state, error)
        self.queued.set()

    async def retry_later(self, delivery: Delivery, wait: timedelta, error: str, *, tried: bool = True) -> None:
        await self._outbox.retry_later(delivery.id, self.clock() + wait, error, tried=tried)
        self.queued.set()

    async def unfinished(self) -> list[Broadcast]:
        return await self._outbox.unfinished()

    async def finish(self, broadcast_id: int) -> None:
        await self._outbox.finish(broadcast_id)


def _reachable(message: Notice | Outgoing) -> bool:
    return message.recipient.reachable if isinstance(message, Notice) else True


def _plain(notice: Notice) -> Outgoing:
    return Outgoing(notice.recipient.id, notice.recipient.telegram_id, notice.text, mentioned(notice.about))


def mentioned(about: Sequence[Mention]) -> tuple[tuple[int, str], ...]:
    """Each person's phrases as they stand in an HTML text (escaped), for the outbox to keep."""
    return tuple((m.person_id, escape(phrase)) for m in about for phrase in m.phrases)
