"""What handlers reach through ``context``: the services of this deployment, and the bot's own
runtime state, typed, on the application (not under string keys in ``bot_data``)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, cast

from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from bot.event import Event
from bot.i18n import Translator
from bot.services.aftermath import AftermathService
from bot.services.broadcasts import BroadcastService
from bot.services.directory import DirectoryService
from bot.services.flows import FlowService
from bot.services.inbox import InboxService, SenderService
from bot.services.languages import LanguageService
from bot.services.meeting_actions import MeetingActions
from bot.services.meetings import MeetingService
from bot.services.planning import PlanningService
from bot.services.privacy import PrivacyService
from bot.services.programme import ProgrammeService
from bot.services.registration import RegistrationService
from bot.services.reminders import ReminderService
from bot.services.reports import ReportService
from bot.services.wishes import WishService
from bot.settings import Settings
from storage.db import Database


@dataclass(frozen=True)
class Services:
    settings: Settings
    event: Event
    db: Database
    tr: Translator
    languages: LanguageService
    flows: FlowService
    registration: RegistrationService
    privacy: PrivacyService
    directory: DirectoryService
    meetings: MeetingService
    meeting_actions: MeetingActions
    reminders: ReminderService
    broadcasts: BroadcastService
    reports: ReportService
    programme: ProgrammeService
    inbox: InboxService
    senders: SenderService
    wishes: WishService
    planning: PlanningService
    aftermath: AftermathService
    sweep_seconds: float = 20.0


@dataclass
class RuntimeState:
    """What the running bot keeps in memory beside the database."""

    outbox_task: asyncio.Task[None] | None = None
    outbox_stopping: asyncio.Event = field(default_factory=asyncio.Event)  # set: claim nothing more
    progress_shown: dict[int, str] = field(default_factory=dict)  # broadcast id: the text last shown


class MaillageApplication(
    Application[ExtBot[Any], "Context", dict[Any, Any], dict[Any, Any], dict[Any, Any], JobQueue["Context"]]
):
    """PTB's application with the deployment's services and runtime state as typed attributes
    (built by ``Application.builder().application_class(MaillageApplication)``)."""

    services: Services
    state: RuntimeState


class Context(CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB's context with typed access to the services."""

    @property
    def app(self) -> MaillageApplication:
        return cast(MaillageApplication, self.application)

    @property
    def services(self) -> Services:
        return self.app.services
