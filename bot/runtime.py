"""What handlers reach through ``context``: the services of this deployment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.event import Event
from bot.i18n import Translator
from bot.services.broadcasts import BroadcastService
from bot.services.directory import DirectoryService
from bot.services.languages import LanguageService
from bot.services.meetings import MeetingService
from bot.services.privacy import PrivacyService
from bot.services.programme import ProgrammeService
from bot.services.registration import RegistrationService
from bot.services.reminders import ReminderService
from bot.services.reports import ReportService
from bot.settings import Settings
from storage.db import Database

SERVICES_KEY = "services"


@dataclass(frozen=True)
class Services:
    settings: Settings
    event: Event
    db: Database
    tr: Translator
    languages: LanguageService
    registration: RegistrationService
    privacy: PrivacyService
    directory: DirectoryService
    meetings: MeetingService
    reminders: ReminderService
    broadcasts: BroadcastService
    reports: ReportService
    programme: ProgrammeService
    sweep_seconds: float = 20.0


class Context(CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB's context with typed access to the services."""

    @property
    def services(self) -> Services:
        services: Services = self.bot_data[SERVICES_KEY]
        return services


MaillageApplication = Application[ExtBot[Any], Context, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any]
