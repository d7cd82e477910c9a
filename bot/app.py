"""The composition root: builds the Application and lists every handler in one place."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import cast

from telegram import BotCommand, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.event import LANGUAGES, Event
from bot.i18n import Translator
from bot.jobs import conversations, outbox, purge
from bot.jobs import meetings as meeting_sweep
from bot.jobs import reminders as reminder_jobs
from bot.runtime import Context, MaillageApplication, RuntimeState, Services
from bot.services.aftermath import AftermathService, CommentDraft, ContactDraft, LeadNoteDraft
from bot.services.broadcasts import BroadcastDraft, BroadcastService
from bot.services.directory import DirectoryService
from bot.services.flows import FlowService
from bot.services.inbox import InboxService, SenderService, process_name
from bot.services.languages import LanguageService
from bot.services.meeting_actions import MeetingActions
from bot.services.meetings import MeetingDraft, MeetingService
from bot.services.planning import PlanningService
from bot.services.privacy import PrivacyService
from bot.services.programme import ProgrammeService, SessionChangeDraft
from bot.services.registration import RegistrationService
from bot.services.reminders import ReminderService
from bot.services.reports import ReportService
from bot.services.wishes import WishService
from bot.settings import Settings
from bot.telegram.bot import MaillageBot
from bot.telegram.concurrency import PerUserUpdateProcessor
from bot.telegram.html import TelegramHtml
from bot.telegram.inbox import InboxQueue
from bot.telegram.pacing import PacedRateLimiter
from bot.telegram.transport import AiohttpRequest
from handlers import (
    aftermath,
    broadcasts,
    buttons,
    common,
    directory,
    errors,
    fallback,
    language,
    membership,
    menu,
    organiser,
    paging,
    planning,
    profile,
    programme,
    registration,
    reminders,
    reports,
    start,
    wishes,
)
from handlers.flows import FlowRouter, dropping
from handlers.meetings import agenda as meeting_agenda
from handlers.meetings import answer as meeting_answer
from handlers.meetings import request as meeting_request
from storage.db import Database
from storage.repositories import Repositories

ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]
PUBLISHED_COMMANDS = (
    "start",
    "agenda",
    "wishes",
    "contact",
    "exhibitors",
    "search",
    "programme",
    "now",
    "me",
    "language",
    "mydata",
    "forget",
    "cancel",
    "help",
)


def build_services(
    settings: Settings,
    event: Event,
    db: Database,
    *,
    clock: Callable[[], datetime] | None = None,
    sweep_seconds: float = 20.0,
) -> Services:
    """Every service of one deployment, on one set of repositories: the bot, the command line, the
    sandbox and the benchmarks all build them here. ``clock`` and ``sweep_seconds`` let tests compress time."""
    repos = Repositories.on(db)
    name = process_name()
    registration = RegistrationService(
        repos, event, settings.organiser_ids, organiser_invite_days=settings.organiser_invite_days, clock=clock
    )
    programme = ProgrammeService(repos, event, clock)
    reminders = ReminderService(repos, event, clock)
    reminders.programme = programme
    meetings = MeetingService(repos, event, reminders, programme, clock)
    translator = Translator.load()
    return Services(
        settings=settings,
        event=event,
        db=db,
        tr=translator,
        languages=LanguageService(repos.participants, repos.conversations, settings.default_language),
        flows=FlowService(repos),
        registration=registration,
        privacy=PrivacyService(repos, registration, event, clock),
        directory=DirectoryService(repos, event, clock, programme),
        meetings=meetings,
        meeting_actions=MeetingActions(meetings, event),
        reminders=reminders,
        broadcasts=BroadcastService(repos, event, TelegramHtml(), clock),
        reports=ReportService(repos, event, translator),
        programme=programme,
        inbox=InboxService(repos, name, timedelta(seconds=settings.inbox_lease_seconds)),
        senders=SenderService(repos, name),
        wishes=WishService(repos, event),
        aftermath=AftermathService(repos, event, clock),
        planning=PlanningService(repos, event, reminders, programme, clock),
        sweep_seconds=sweep_seconds,
    )


def build_application(services: Services, *, handle_here: bool = True) -> MaillageApplication:
    """The bot; ``handle_here=False`` for an ingress, which only keeps updates for the workers."""
    settings = services.settings
    inbox = InboxQueue(services.inbox, handle_here=handle_here, shared=services.db.backend == "postgresql")
    bot = MaillageBot(
        settings.token,
        base_url=settings.api_base_url,
        base_file_url=settings.api_base_file_url,
        request=AiohttpRequest(settings.telegram_connections, pool_timeout=settings.telegram_pool_timeout),
        get_updates_request=AiohttpRequest(connection_limit=2),
        # One budget for all sends: answers go first, broadcasts take what is left; 429s honoured
        rate_limiter=PacedRateLimiter(settings.telegram_messages_per_second),
        # Every text the bot sends is catalog HTML, user text escaped (bot/i18n.py's Html)
        defaults=Defaults(parse_mode=ParseMode.HTML),
        before_get_updates=functools.partial(inbox.kept, retry=True),
    )
    application = cast(
        MaillageApplication,
        Application.builder()
        .application_class(MaillageApplication)
        .bot(bot)
        # every update is in the database before Telegram is told it arrived (bot/telegram/inbox.py)
        .update_queue(inbox)
        .concurrent_updates(PerUserUpdateProcessor(handled=inbox.handled))
        .context_types(ContextTypes(context=Context))
        .build(),
    )
    application.services = services
    application.state = RuntimeState()
    register_handlers(application)
    return application


def flow_router() -> FlowRouter:
    """Where free text and /cancel go: a search answer first, else the conversation the user is in."""
    flows = FlowRouter(otherwise=fallback.stray_message)
    flows.intercept(directory.search_answer)
    flows.add(registration.FLOWS, registration.on_text, registration.cancel)
    flows.add([MeetingDraft.FLOW], meeting_request.on_note, dropping("meeting.request_dropped"))
    flows.add([BroadcastDraft.FLOW], broadcasts.on_text, dropping("broadcast.cancelled"))
    flows.add([SessionChangeDraft.FLOW], programme.on_text, dropping("conversation.cancelled"))
    flows.add([ContactDraft.FLOW], aftermath.on_detail, dropping("conversation.cancelled"))
    flows.add([LeadNoteDraft.FLOW], aftermath.on_lead_note, dropping("conversation.cancelled"))
    flows.add([CommentDraft.FLOW], aftermath.on_comment, dropping("conversation.cancelled"))
    return flows


def register_handlers(application: MaillageApplication) -> None:
    # Commands and messages in private chats; an edit of an old message is not a new request
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    flows = flow_router()

    # Before anything else: replies to this user do not count towards the bulk budget
    application.add_handler(TypeHandler(Update, common.note_user_activity), group=-1)

    # Welcome, registration, invite links
    application.add_handler(CommandHandler("start", registration.start, filters=private))
    application.add_handler(
        CallbackQueryHandler(registration.choose_language, pattern=buttons.REGISTRATION_LANGUAGE.pattern)
    )
    application.add_handler(CallbackQueryHandler(registration.consent, pattern=buttons.CONSENT.pattern))
    application.add_handler(CallbackQueryHandler(registration.step_button, pattern=buttons.STEP.pattern))
    application.add_handler(CallbackQueryHandler(registration.join, pattern=buttons.JOIN.pattern))
    application.add_handler(CommandHandler("cancel", flows.cancel, filters=private))

    # Main menu and help; the page number between ‹ and › of any paged list does nothing
    application.add_handler(CallbackQueryHandler(menu.open_entry, pattern=buttons.MENU.pattern))
    application.add_handler(CallbackQueryHandler(paging.noop, pattern=buttons.NOOP_PAGE.pattern))
    application.add_handler(CommandHandler("help", start.help_command, filters=private))

    # Exhibitor directory
    application.add_handler(CommandHandler("exhibitors", directory.themes, filters=private))
    application.add_handler(CommandHandler("search", directory.search_command, filters=private))
    application.add_handler(CallbackQueryHandler(directory.themes_button, pattern=buttons.THEMES.pattern))
    application.add_handler(CallbackQueryHandler(directory.exhibitor_list, pattern=buttons.EXHIBITORS.pattern))
    application.add_handler(CallbackQueryHandler(directory.card, pattern=buttons.CARD.pattern))
    application.add_handler(CallbackQueryHandler(directory.suggestions_button, pattern=buttons.SUGGESTIONS.pattern))
    application.add_handler(CallbackQueryHandler(directory.search_button, pattern=buttons.SEARCH.pattern))

    # Programme
    application.add_handler(CommandHandler("now", programme.now, filters=private))
    application.add_handler(CommandHandler("programme", programme.home, filters=private))
    application.add_handler(CallbackQueryHandler(programme.button, pattern=buttons.PROGRAMME.pattern))
    application.add_handler(CommandHandler("session", programme.changes, filters=private))
    application.add_handler(CallbackQueryHandler(programme.changes_page, pattern=buttons.SESSIONS_PAGE.pattern))
    application.add_handler(CallbackQueryHandler(programme.change_button, pattern=buttons.CHANGE_SESSION.pattern))

    # Meetings: asking for one, answering and changing it, the agenda
    application.add_handler(CommandHandler("agenda", meeting_agenda.agenda, filters=private))
    for family, callback in (
        (buttons.AGENDA_PAGE, meeting_agenda.agenda_page),
        (buttons.REQUEST, meeting_request.start_request),
        (buttons.PICK_DAY, meeting_request.pick_day),
        (buttons.SLOT, meeting_request.choose_slot),
        (buttons.SLOT_DESPITE_CLASH, meeting_request.choose_slot),
        (buttons.DRAFT, meeting_request.draft_button),
        (buttons.NOOP, meeting_request.noop),
        (buttons.ACCEPT, meeting_answer.accept),
        (buttons.DECLINE, meeting_answer.ask_decline_reason),
        (buttons.DECLINE_REASON, meeting_answer.decline_with_reason),
        (buttons.SHOW_REQUEST, meeting_answer.show_request),
        (buttons.PROPOSE, meeting_answer.propose_pick),
        (buttons.PROPOSED_SLOT, meeting_answer.propose_slot),
        (buttons.PROPOSAL, meeting_answer.proposal_answer),
        (buttons.MOVE, meeting_answer.move_answer),
        (buttons.WITHDRAW, meeting_answer.withdraw),
        (buttons.CANCEL, meeting_answer.ask_cancel_reason),
        (buttons.CANCEL_REASON, meeting_answer.cancel_with_reason),
        (buttons.ATTENDANCE, meeting_answer.attendance),
    ):
        application.add_handler(CallbackQueryHandler(callback, pattern=family.pattern))

    # Wishes for the speed-meeting planner, and the organisers' plan
    application.add_handler(CommandHandler("wishes", wishes.wishes, filters=private))
    application.add_handler(CommandHandler("plan", planning.plan_command, filters=private))
    application.add_handler(CallbackQueryHandler(wishes.toggle_from_card, pattern=buttons.WISH.pattern))
    application.add_handler(CallbackQueryHandler(wishes.wishes_button, pattern=buttons.WISHES.pattern))
    application.add_handler(CallbackQueryHandler(wishes.wishes_page, pattern=buttons.WISHES_PAGE.pattern))
    application.add_handler(CallbackQueryHandler(wishes.stand_home, pattern=buttons.SW_HOME.pattern))
    application.add_handler(CallbackQueryHandler(wishes.stand_drop, pattern=buttons.SW_DROP.pattern))
    application.add_handler(CallbackQueryHandler(wishes.stand_themes, pattern=buttons.SW_THEMES.pattern))
    application.add_handler(CallbackQueryHandler(wishes.stand_org, pattern=buttons.SW_ORG.pattern))
    application.add_handler(CallbackQueryHandler(wishes.stand_list, pattern=buttons.SW_LIST.pattern))
    application.add_handler(CallbackQueryHandler(wishes.stand_toggle, pattern=buttons.SW_TOGGLE.pattern))
    application.add_handler(CallbackQueryHandler(planning.plan_button, pattern=buttons.PLAN.pattern))

    # After the meeting: ratings, contact details shared, the stand's leads
    application.add_handler(CommandHandler("contact", aftermath.contact, filters=private))
    application.add_handler(CommandHandler("leads", aftermath.leads, filters=private))
    application.add_handler(CallbackQueryHandler(aftermath.rate, pattern=buttons.RATE.pattern))
    application.add_handler(CallbackQueryHandler(aftermath.share, pattern=buttons.SHARE.pattern))
    application.add_handler(CallbackQueryHandler(aftermath.share_go, pattern=buttons.SHARE_GO.pattern))
    application.add_handler(CallbackQueryHandler(aftermath.contact_button, pattern=buttons.CONTACT.pattern))
    application.add_handler(CallbackQueryHandler(aftermath.lead_button, pattern=buttons.LEAD.pattern))
    application.add_handler(CallbackQueryHandler(aftermath.leads_page, pattern=buttons.LEADS_PAGE.pattern))
    application.add_handler(CallbackQueryHandler(aftermath.leads_export, pattern=buttons.LEADS_EXPORT.pattern))

    # Reminders
    application.add_handler(CallbackQueryHandler(reminders.late, pattern=buttons.LATE.pattern))

    # Profile and personal data
    application.add_handler(CommandHandler("me", profile.me, filters=private))
    application.add_handler(CallbackQueryHandler(profile.edit_field, pattern=buttons.EDIT_PROFILE.pattern))
    application.add_handler(CommandHandler("mydata", profile.my_data, filters=private))
    application.add_handler(CommandHandler("forget", profile.forget, filters=private))
    application.add_handler(CallbackQueryHandler(profile.forget_answer, pattern=buttons.FORGET.pattern))

    # Language
    application.add_handler(CommandHandler("language", language.ask_language, filters=private))
    application.add_handler(CallbackQueryHandler(language.choose_language, pattern=buttons.CHOOSE_LANGUAGE.pattern))

    # Organisers
    application.add_handler(CommandHandler("broadcast", broadcasts.start, filters=private))
    application.add_handler(CommandHandler("broadcasts", broadcasts.history, filters=private))
    application.add_handler(CallbackQueryHandler(broadcasts.history_page, pattern=buttons.BROADCASTS_PAGE.pattern))
    application.add_handler(CallbackQueryHandler(broadcasts.button, pattern=buttons.BROADCAST.pattern))
    application.add_handler(CommandHandler("stats", reports.stats, filters=private))
    application.add_handler(CommandHandler("export", reports.export, filters=private))
    application.add_handler(CommandHandler("block", reports.block, filters=private))
    application.add_handler(CallbackQueryHandler(reports.block_button, pattern=buttons.BLOCK.pattern))
    application.add_handler(CommandHandler("reps", organiser.representatives, filters=private))
    application.add_handler(
        CallbackQueryHandler(organiser.representatives_page, pattern=buttons.REPRESENTATIVES_PAGE.pattern)
    )
    application.add_handler(CallbackQueryHandler(organiser.revoke, pattern=buttons.REVOKE_REPRESENTATIVE.pattern))
    application.add_handler(CommandHandler("organisers", organiser.organisers, filters=private))
    application.add_handler(CallbackQueryHandler(organiser.organisers_page, pattern=buttons.ORGANISERS_PAGE.pattern))
    application.add_handler(CallbackQueryHandler(organiser.revoke_organiser, pattern=buttons.REVOKE_ORGANISER.pattern))

    # Blocked and unblocked
    application.add_handler(ChatMemberHandler(membership.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))

    # Anything else: files, answers to the current question, or a hint. Keep these last.
    application.add_handler(MessageHandler(private & filters.COMMAND, fallback.unknown_command))
    application.add_handler(
        MessageHandler(private & filters.Document.ALL, organiser.document_import(otherwise=flows.on_message))
    )
    application.add_handler(MessageHandler(private, flows.on_message))
    application.add_handler(CallbackQueryHandler(fallback.stale_button))

    application.add_error_handler(errors.on_error)


async def on_startup(application: MaillageApplication, *, jobs: bool = True) -> None:
    """What the bot does as it starts; ``jobs=False`` for an ingress, which handles and sends nothing."""
    services = application.services
    await services.registration.remember_bot_username(application.bot.username)
    await publish_commands(application)
    if not jobs:
        return
    if services.db.backend == "postgresql":
        await conversations.resume(application, datetime.now(UTC) - services.inbox.lease)
        conversations.schedule(application)
    else:
        await conversations.resume(application)
    meeting_sweep.schedule(application)
    await reminder_jobs.start(application)
    outbox.start(application)
    purge.schedule(application)


async def on_shutdown(application: MaillageApplication) -> None:
    if application.job_queue is not None and application.job_queue.scheduler.running:
        # no job starts once the bot is stopping: PTB waits for the jobs running, then shuts the
        # scheduler down, which cancels mid-way one that started in between (a reminder falling due
        # at that moment); what it would have done is in the database for the next start
        application.job_queue.scheduler.pause()
    await outbox.stop(application)


async def publish_commands(application: MaillageApplication) -> None:
    services = application.services
    tr = services.tr
    for lang in LANGUAGES:
        commands = [BotCommand(name, tr(lang, f"command.{name}")) for name in PUBLISHED_COMMANDS]
        await application.bot.set_my_commands(commands, language_code=lang)
    default = services.settings.default_language
    await application.bot.set_my_commands(
        [BotCommand(name, tr(default, f"command.{name}")) for name in PUBLISHED_COMMANDS]
    )
