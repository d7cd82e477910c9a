"""The composition root: builds the Application and lists every handler in one place."""

from __future__ import annotations

from telegram import BotCommand, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.concurrency import PerUserUpdateProcessor
from bot.event import LANGUAGES, Event
from bot.i18n import Translator
from bot.runtime import SERVICES_KEY, Context, MaillageApplication, Services
from bot.services.languages import LanguageService
from bot.settings import Settings
from bot.transport import AiohttpRequest
from handlers import errors, fallback, language, start
from storage.db import Database
from storage.participants import ParticipantRepository

ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]
PUBLISHED_COMMANDS = ("start", "help", "language")


def build_services(settings: Settings, event: Event, db: Database) -> Services:
    participants = ParticipantRepository(db)
    return Services(
        settings=settings,
        event=event,
        db=db,
        tr=Translator.load(),
        languages=LanguageService(participants, settings.default_language),
    )


def build_application(services: Services) -> MaillageApplication:
    settings = services.settings
    application = (
        Application.builder()
        .token(settings.token)
        .base_url(settings.api_base_url)
        .base_file_url(settings.api_base_file_url)
        .request(AiohttpRequest())
        .get_updates_request(AiohttpRequest(connection_limit=2))
        .concurrent_updates(PerUserUpdateProcessor())
        # No overall pace for answers (a crowd must be answered at once); retries honour 429
        .rate_limiter(AIORateLimiter(overall_max_rate=0, max_retries=3))
        .context_types(ContextTypes(context=Context))
        .build()
    )
    application.bot_data[SERVICES_KEY] = services
    register_handlers(application)
    return application


def register_handlers(application: MaillageApplication) -> None:
    only_new_messages = filters.UpdateType.MESSAGE

    # Welcome and help
    application.add_handler(CommandHandler("start", start.start))
    application.add_handler(CommandHandler("help", start.help_command))

    # Language
    application.add_handler(CommandHandler("language", language.ask_language))
    application.add_handler(CallbackQueryHandler(language.choose_language, pattern=language.CHOOSE_PATTERN))

    # Anything no feature handled: keep these last
    application.add_handler(MessageHandler(only_new_messages & filters.COMMAND, fallback.unknown_command))
    application.add_handler(MessageHandler(only_new_messages, fallback.stray_message))
    application.add_handler(CallbackQueryHandler(fallback.stale_button))

    application.add_error_handler(errors.on_error)


async def publish_commands(application: MaillageApplication) -> None:
    services: Services = application.bot_data[SERVICES_KEY]
    tr = services.tr
    for lang in LANGUAGES:
        commands = [BotCommand(name, tr(lang, f"command.{name}")) for name in PUBLISHED_COMMANDS]
        await application.bot.set_my_commands(commands, language_code=lang)
    default = services.settings.default_language
    await application.bot.set_my_commands(
        [BotCommand(name, tr(default, f"command.{name}")) for name in PUBLISHED_COMMANDS]
    )
