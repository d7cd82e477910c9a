"""Registration and profile editing, as a state machine kept in the database.

Nothing is stored before the person accepts the privacy notice: the language and
the invitation they came with travel in the buttons until then. From consent on,
the conversation (step and answers so far) is a row in ``conversations``, so a
restart resumes it where it was. Registration ends with the participant created in
one transaction; profile editing writes each field as soon as it is valid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from bot.event import Event, Language
from bot.services.profile import COLUMN, SKIPPABLE, Field, InvalidAnswer, clean, validate_text
from storage.conversations import StoredConversation
from storage.db import utcnow
from storage.exhibitors import Exhibitor
from storage.participants import NewParticipant, OrgType, Participant, Role
from storage.repositories import Repositories

SUMMARY = "summary"
STEPS: dict[Role, tuple[Field, ...]] = {
    Role.ATTENDEE: (
        Field.NAME,
        Field.ORGANISATION,
        Field.ORG_TYPE,
        Field.JOB_TITLE,
        Field.THEMES,
        Field.LOOKING_FOR,
    ),
    Role.EXHIBITOR: (Field.NAME, Field.JOB_TITLE),
    Role.ORGANISER: (Field.NAME, Field.JOB_TITLE),
}


# What a registration collects, and what editing the profile starts from
PROFILE_FIELDS = {"role", "language", "full_name", "organisation", "org_type", "job_title", "looking_for", "themes"}


class Flow(StrEnum):
    REGISTER = "register"
    PROFILE = "profile"


class StaleAction(Exception):
    """A button from another step, or for a conversation that is over."""


class InvitationInvalid(Exception):
    """The invite link is unknown, revoked or already used."""


@dataclass(frozen=True)
class Invitation:
    """Where a new participant came from: an exhibitor's or an organiser's invite link."""

    kind: str  # "x" exhibitor representative, "o" organiser
    token: str

    @property
    def code(self) -> str:
        return f"{self.kind}{self.token}"

    @classmethod
    def from_code(cls, code: str) -> Invitation | None:
        """``x<token>`` or ``o<token>``; any other code (``a``, ``e<id>``) is no invitation."""
        if len(code) > 1 and code[0] in "xo":
            return cls(code[0], code[1:])
        return None


@dataclass(frozen=True)
class Revocation:
    """A representative removed from a stand: who is told what, and what was undone."""

    person: Participant  # as they are now: an attendee
    exhibitor: Exhibitor  # with its new invite token: the link the person had no longer works
    colleagues: list[Participant]  # the stand's other representatives
    cancelled_reminders: list[int]


class Draft(BaseModel):
    role: Role
    language: Language
    consent_at: datetime | None = None
    exhibitor_id: int | None = None
    exhibitor_token: str | None = None
    organiser_token: str | None = None
    telegram_name: str | None = None
    full_name: str | None = None
    organisation: str | None = None
    org_type: OrgType | None = None
    job_title: str | None = None
    looking_for: str | None = None
    themes: list[str] = []
    back_to_summary: bool = False
    prompt_message_id: int | None = None
    landing_exhibitor_id: int | None = None  # the stand whose QR code brought them


class Conversation(BaseModel):
    telegram_id: int
    flow: Flow
    step: str  # a Field value, or SUMMARY
    draft: Draft
    prompt_pending: bool = True

    @property
    def field(self) -> Field | None:
        return Field(self.step) if self.step != SUMMARY else None

    @property
    def steps(self) -> tuple[Field, ...]:
        return STEPS[self.draft.role]


def _to_stored(conversation: Conversation) -> StoredConversation:
    return StoredConversation(
        telegram_id=conversation.telegram_id,
        flow=conversation.flow.value,
        step=conversation.step,
        data=conversation.draft.model_dump(mode="json"),
        prompt_pending=conversation.prompt_pending,
    )


def _from_stored(stored: StoredConversation) -> Conversation:
    return Conversation(
        telegram_id=stored.telegram_id,
        flow=Flow(stored.flow),
        step=stored.step,
        draft=Draft.model_validate(stored.data),
        prompt_pending=stored.prompt_pending,
    )


class RegistrationService:
    def __init__(
        self,
        repos: Repositories,
        event: Event,
        organiser_ids: frozenset[int],
        *,
        organiser_invite_days: int = 7,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._db = repos.db
        self.event = event
        self.organiser_ids = organiser_ids
        self.organiser_invite_lifetime = timedelta(days=organiser_invite_days)
        self._clock = clock or utcnow
        self._participants = repos.participants
        self._exhibitors = repos.exhibitors
        self._organiser_invites = repos.organiser_invites
        self._conversations = repos.conversations
        self._reminders = repos.reminders
        self._bot_profile = repos.bot_profile

    # ------------------------------------------------------------------ who is who

    async def participant(self, telegram_id: int) -> Participant | None:
        return await self._participants.by_telegram_id(telegram_id)

    async def participant_by_id(self, participant_id: int) -> Participant | None:
        return await self._participants.by_id(participant_id)

    async def representatives(self) -> list[Participant]:
        """Every exhibitor's representatives, by name."""
        return await self._participants.representatives()

    async def set_reachable(self, telegram_id: int, reachable: bool) -> None:
        """Telegram said the user blocked the bot (or came back): sends to them stop (or resume)."""
        await self._participants.set_reachable(telegram_id, reachable)

    def is_organiser(self, telegram_id: int, participant: Participant | None) -> bool:
        return telegram_id in self.organiser_ids or (participant is not None and participant.role == Role.ORGANISER)

    async def conversation(self, telegram_id: int) -> Conversation | None:
        """A registration or a profile edit in progress (other flows, such as a meeting request, are not)."""
        stored = await self._conversations.get(telegram_id)
        if stored is None or stored.flow not in (Flow.REGISTER, Flow.PROFILE):
            return None
        return _from_stored(stored)

    async def invited_exhibitor(self, invitation: Invitation | None) -> Exhibitor | None:
        if invitation is None or invitation.kind != "x":
            return None
        return await self._exhibitors.by_invite_token(invitation.token)

    async def check_invitation(self, invitation: Invitation) -> Exhibitor | None:
        """The exhibitor an exhibitor invitation is for (None for an organiser one); raise if it is not valid."""
        if invitation.kind == "x":
            exhibitor = await self._exhibitors.by_invite_token(invitation.token)
            if exhibitor is None:
                raise InvitationInvalid
            return exhibitor
        if not await self._organiser_invites.is_open(invitation.token, self._invites_made_after()):
            raise InvitationInvalid
        return None

    def _invites_made_after(self) -> datetime:
        return self._clock() - self.organiser_invite_lifetime

    def role_for(self, telegram_id: int, invitation: Invitation | None) -> Role:
        if invitation is not None:
            return Role.EXHIBITOR if invitation.kind == "x" else Role.ORGANISER
        return Role.ORGANISER if telegram_id in self.organiser_ids else Role.ATTENDEE

    # ------------------------------------------------------------------ registration

    async def begin(
        self,
        telegram_id: int,
        language: Language,
        invitation: Invitation | None,
        telegram_name: str | None,
        landing_exhibitor_id: int | None = None,
    ) -> Conversation:
        """Consent accepted: the conversation starts, and from now on it is stored."""
        exhibitor = await self.check_invitation(invitation) if invitation else None
        name = clean(telegram_name or "")
        draft = Draft(
            role=self.role_for(telegram_id, invitation),
            language=language,
            consent_at=utcnow(),
            exhibitor_id=exhibitor.id if exhibitor else None,
            exhibitor_token=invitation.token if invitation and invitation.kind == "x" else None,
            organiser_token=invitation.token if invitation and invitation.kind == "o" else None,
            telegram_name=name if 2 <= len(name) <= 80 else None,
            landing_exhibitor_id=landing_exhibitor_id,
        )
        conversation = Conversation(telegram_id=telegram_id, flow=Flow.REGISTER, step=STEPS[draft.role][0], draft=draft)
        await self._conversations.save(_to_stored(conversation))
        return conversation

    async def _current(self, telegram_id: int, step: str | None) -> Conversation:
        conversation = await self.conversation(telegram_id)
        if conversation is None or (step is not None and conversation.step != step):
            raise StaleAction
        return conversation

    async def _save(self, conversation: Conversation) -> Conversation:
        conversation.prompt_pending = True
        await self._conversations.save(_to_stored(conversation))
        return conversation

    async def _accept(self, conversation: Conversation, field: Field, value: Any) -> Conversation | None:
        """Store a valid value; return the conversation at its next step, or None when it is over."""
        if conversation.flow == Flow.PROFILE:
            if field == Field.THEMES:
                await self._participants.set_themes(conversation.telegram_id, value)
            else:
                await self._participants.update_fields(conversation.telegram_id, **{COLUMN[field]: value})
            await self._conversations.delete(conversation.telegram_id)
            return None
        draft = conversation.draft
        if field == Field.THEMES:
            draft.themes = list(value)
        else:
            setattr(draft, COLUMN[field], value)
        steps = conversation.steps
        if draft.back_to_summary or field == steps[-1]:
            draft.back_to_summary = False
            conversation.step = SUMMARY
        else:
            conversation.step = steps[steps.index(field) + 1]
        return await self._save(conversation)

    async def answer_text(self, telegram_id: int, text: str) -> Conversation | None:
        conversation = await self._current(telegram_id, None)
        field = conversation.field
        if field is None or field not in (Field.NAME, Field.ORGANISATION, Field.JOB_TITLE, Field.LOOKING_FOR):
            raise InvalidAnswer("conversation.use_buttons")
        return await self._accept(conversation, field, validate_text(field, text))

    async def keep_telegram_name(self, telegram_id: int) -> Conversation | None:
        conversation = await self._current(telegram_id, Field.NAME)
        name = conversation.draft.telegram_name
        if name is None:
            raise StaleAction
        return await self._accept(conversation, Field.NAME, name)

    async def choose_org_type(self, telegram_id: int, value: str) -> Conversation | None:
        conversation = await self._current(telegram_id, Field.ORG_TYPE)
        try:
            org_type = OrgType(value)
        except ValueError:
            raise StaleAction from None
        return await self._accept(conversation, Field.ORG_TYPE, org_type)

    async def tick_theme(self, telegram_id: int, theme_id: str, ticked: bool | None = None) -> Conversation:
        """Tick or untick a theme (None: the other way round from now)."""
        conversation = await self._current(telegram_id, Field.THEMES)
        if self.event.theme(theme_id) is None:
            raise StaleAction
        themes = conversation.draft.themes
        if ticked is None:
            ticked = theme_id not in themes
        conversation.draft.themes = [*(t for t in themes if t != theme_id), *([theme_id] if ticked else [])]
        await self._conversations.save(_to_stored(conversation))
        return conversation

    async def finish_themes(self, telegram_id: int) -> Conversation | None:
        conversation = await self._current(telegram_id, Field.THEMES)
        if not conversation.draft.themes:
            raise InvalidAnswer("registration.themes.none")
        order = [t.id for t in self.event.themes]
        return await self._accept(conversation, Field.THEMES, sorted(conversation.draft.themes, key=order.index))

    async def skip(self, telegram_id: int, step: str) -> Conversation | None:
        conversation = await self._current(telegram_id, step)
        field = conversation.field
        if field not in SKIPPABLE:
            raise StaleAction
        return await self._accept(conversation, field, None)

    async def back(self, telegram_id: int, step: str) -> Conversation | None:
        """The previous step; None when going back past the first step (the conversation is dropped)."""
        conversation = await self._current(telegram_id, step)
        if conversation.flow == Flow.PROFILE:
            await self._conversations.delete(telegram_id)
            return None
        steps = conversation.steps
        if conversation.step == SUMMARY:
            conversation.step = steps[-1]
        elif conversation.field == steps[0]:
            await self._conversations.delete(telegram_id)
            return None
        else:
            assert conversation.field is not None
            conversation.step = steps[steps.index(conversation.field) - 1]
        conversation.draft.back_to_summary = False
        return await self._save(conversation)

    async def edit_from_summary(self, telegram_id: int, field: Field) -> Conversation:
        conversation = await self._current(telegram_id, SUMMARY)
        if field not in conversation.steps:
            raise StaleAction
        conversation.step = field
        conversation.draft.back_to_summary = True
        return await self._save(conversation)

    async def confirm(self, telegram_id: int) -> Participant:
        conversation = await self._current(telegram_id, SUMMARY)
        draft = conversation.draft
        assert draft.full_name is not None and draft.consent_at is not None
        if draft.role == Role.EXHIBITOR:
            # the link may have been revoked since the registration began
            exhibitor = await self._exhibitors.by_invite_token(draft.exhibitor_token or "")
            if exhibitor is None or exhibitor.id != draft.exhibitor_id:
                raise InvitationInvalid
        new = NewParticipant(
            telegram_id=telegram_id,
            exhibitor_id=draft.exhibitor_id,
            consent_at=draft.consent_at,
            **draft.model_dump(include=PROFILE_FIELDS),
        )
        async with self._db.transaction() as tx:
            participant_id = await self._participants.create(new, tx)
            if draft.organiser_token is not None and not await self._organiser_invites.claim(
                draft.organiser_token, participant_id, self._invites_made_after(), tx
            ):
                raise InvitationInvalid  # rolls the whole registration back
            await self._conversations.delete_in(tx, telegram_id)
        participant = await self._participants.by_id(participant_id)
        assert participant is not None
        return participant

    async def cancel(self, telegram_id: int) -> Conversation | None:
        """Leave whatever conversation is in progress; registration answers are dropped."""
        conversation = await self.conversation(telegram_id)
        if conversation is not None:
            await self._conversations.delete(telegram_id)
        return conversation

    async def drop_invalid_registration(self, telegram_id: int) -> None:
        await self._conversations.delete(telegram_id)

    # ------------------------------------------------------------------ prompts and restarts

    async def remember_prompt(self, conversation: Conversation, message_id: int) -> None:
        """The prompt for the current step reached the user."""
        conversation.draft.prompt_message_id = message_id
        conversation.prompt_pending = False
        current = await self.conversation(conversation.telegram_id)
        if current is not None and current.step == conversation.step:
            await self._conversations.save(_to_stored(conversation))

    async def unprompted(self, saved_before: datetime | None = None) -> list[Conversation]:
        """Conversations whose latest prompt may not have reached the user (a crash in between);
        ``saved_before``: only those left as they are since then."""
        pending = await self._conversations.pending_prompts(saved_before.isoformat() if saved_before else None)
        return [_from_stored(c) for c in pending if c.flow in (Flow.REGISTER, Flow.PROFILE)]

    async def claim_unprompted(self, conversation: Conversation, saved_before: datetime) -> bool:
        """This process asks that question again, no other one (several workers share the database)."""
        return await self._conversations.claim_prompt(
            conversation.telegram_id, conversation.step, saved_before.isoformat()
        )

    # ------------------------------------------------------------------ profile editing

    async def edit_profile(self, telegram_id: int, field: Field) -> Conversation:
        participant = await self._participants.by_telegram_id(telegram_id)
        if participant is None or field not in STEPS[participant.role]:
            raise StaleAction
        draft = Draft.model_validate(participant.model_dump(include=PROFILE_FIELDS))
        conversation = Conversation(telegram_id=telegram_id, flow=Flow.PROFILE, step=field, draft=draft)
        return await self._save(conversation)

    # ------------------------------------------------------------------ representatives

    async def join_exhibitor(self, telegram_id: int, token: str) -> Exhibitor:
        """A registered participant becomes a representative through an invite link."""
        exhibitor = await self._exhibitors.by_invite_token(token)
        if exhibitor is None:
            raise InvitationInvalid
        await self._participants.make_representative(telegram_id, exhibitor.id)
        return exhibitor

    async def revoke_representative(self, participant_id: int) -> Revocation | None:
        """Remove someone from their stand for good: their invite link is replaced (the colleagues get the
        new one), their reminders of the stand's meetings are dropped. None if they were no representative."""
        async with self._db.transaction() as tx:
            exhibitor_id = await self._participants.revoke_representative(participant_id, tx)
            if exhibitor_id is None:
                return None
            await self._exhibitors.rotate_invite(exhibitor_id, tx)
            cancelled = await self._reminders.cancel_for_stand(participant_id, exhibitor_id, tx)
        person = await self._participants.by_id(participant_id)
        exhibitor = await self._exhibitors.by_id(exhibitor_id)
        assert person is not None and exhibitor is not None
        colleagues = await self._participants.representatives(exhibitor_id)
        return Revocation(person, exhibitor, colleagues, cancelled)

    async def remember_bot_username(self, username: str) -> None:
        """Saved at every start: the command line prints invite and stand links with it, offline."""
        await self._bot_profile.remember_username(username)

    async def saved_bot_username(self) -> str | None:
        return await self._bot_profile.username()

    async def new_organiser_invite(self) -> str:
        """A single-use organiser invitation's token."""
        return await self._organiser_invites.create()

    async def new_stand_invite(self, exhibitor_id: int) -> str:
        """A new representatives' invitation for a stand; the previous link stops working."""
        return await self._exhibitors.rotate_invite(exhibitor_id)

    async def organisers(self) -> list[Participant]:
        """Organisers who joined through an invite link (those in ORGANISER_IDS are set by the deployment)."""
        return [p for p in await self._participants.organisers() if p.telegram_id not in self.organiser_ids]

    async def revoke_organiser(self, participant_id: int) -> Participant | None:
        """Back to attendee; None if they were no invited organiser."""
        person = await self._participants.by_id(participant_id)
        if person is None or person.telegram_id in self.organiser_ids:
            return None
        if not await self._participants.revoke_organiser(participant_id):
            return None
        return await self._participants.by_id(participant_id)

    async def join_organisers(self, telegram_id: int, token: str) -> None:
        """A registered participant becomes an organiser through a (single-use) invite link."""
        participant = await self._participants.by_telegram_id(telegram_id)
        if participant is None:
            raise InvitationInvalid
        async with self._db.transaction() as tx:
            if not await self._organiser_invites.claim(token, participant.id, self._invites_made_after(), tx):
                raise InvitationInvalid
            await self._participants.make_organiser(participant.id, tx)

    async def forget(self, telegram_id: int) -> None:
        await self._participants.delete(telegram_id)
