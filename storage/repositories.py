"""Every repository of one database, built once by the composition root and handed to the services."""

from __future__ import annotations

from dataclasses import dataclass

from storage.aftermath import AftermathRepository
from storage.blocks import BlockRepository
from storage.bot_profile import BotProfileRepository
from storage.conversations import ConversationRepository
from storage.db import Database
from storage.exhibitors import ExhibitorRepository
from storage.inbox import InboxRepository
from storage.meetings import MeetingRepository
from storage.organiser_invites import OrganiserInviteRepository
from storage.outbox import OutboxRepository
from storage.participants import ParticipantRepository
from storage.plans import PlanRepository
from storage.programme import ProgrammeRepository
from storage.purge import PurgeRepository
from storage.reminders import ReminderRepository
from storage.senders import SenderRepository
from storage.stats import StatsRepository
from storage.wishes import WishRepository


@dataclass(frozen=True)
class Repositories:
    db: Database
    participants: ParticipantRepository
    exhibitors: ExhibitorRepository
    meetings: MeetingRepository
    conversations: ConversationRepository
    reminders: ReminderRepository
    outbox: OutboxRepository
    programme: ProgrammeRepository
    blocks: BlockRepository
    organiser_invites: OrganiserInviteRepository
    bot_profile: BotProfileRepository
    purges: PurgeRepository
    stats: StatsRepository
    inbox: InboxRepository
    senders: SenderRepository
    wishes: WishRepository
    plans: PlanRepository
    aftermath: AftermathRepository

    @classmethod
    def on(cls, db: Database) -> Repositories:
        return cls(
            db=db,
            participants=ParticipantRepository(db),
            exhibitors=ExhibitorRepository(db),
            meetings=MeetingRepository(db),
            conversations=ConversationRepository(db),
            reminders=ReminderRepository(db),
            outbox=OutboxRepository(db),
            programme=ProgrammeRepository(db),
            blocks=BlockRepository(db),
            organiser_invites=OrganiserInviteRepository(db),
            bot_profile=BotProfileRepository(db),
            purges=PurgeRepository(db),
            stats=StatsRepository(db),
            inbox=InboxRepository(db),
            senders=SenderRepository(db),
            wishes=WishRepository(db),
            plans=PlanRepository(db),
            aftermath=AftermathRepository(db),
        )
