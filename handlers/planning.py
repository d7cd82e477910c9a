"""/plan for the organisers: compute the speed meetings from everyone's wishes, look at the preview,
publish it (or plan again, or set it aside)."""

from __future__ import annotations

import logging
from datetime import date, datetime

from telegram import InlineKeyboardMarkup, Message, Update

from bot.event import Language
from bot.i18n import Html, clip_text
from bot.runtime import Context, Services
from bot.services.meetings import Meeting
from bot.services.planning import PLAN_AUDIENCE, Publication, StoredPlan
from handlers import buttons
from handlers.common import organiser_only, reply, user_language
from handlers.notify import file_bulk

log = logging.getLogger(__name__)

MAX_TABLE_USE = 1500  # characters of the preview's table use per slot


def planned_why(services: Services, language: Language, meeting: Meeting) -> Html:
    """Why the planner made this meeting: the attendee's wish (its rank), both sides', or the stand's."""
    tr = services.tr
    if meeting.plan_reason == "mutual":
        return tr(language, "planning.why.mutual", rank=meeting.plan_rank or 0)
    if meeting.plan_reason == "wish":
        return tr(language, "planning.why.wish", rank=meeting.plan_rank or 0)
    return tr(language, "planning.why.stand")


def preview_text(services: Services, language: Language, plan: StoredPlan) -> Html:
    tr = services.tr
    s = plan.summary
    percent = round(100 * s["wishes_met"] / s["wishes"]) if s["wishes"] else 0
    levels = ", ".join(
        tr(language, "planning.preview.level", k=k, count=n) for k, n in enumerate(s["at_least"][:5], start=1)
    )
    uses = [(datetime.fromisoformat(start).astimezone(services.event.tz), use) for start, use in s["table_use"]]
    several_days = len({when.date() for when, _ in uses}) > 1
    label = tr.format_slot if several_days else tr.format_time
    table_use = ", ".join(f"{label(language, when)} {round(100 * use)} %" for when, use in uses) or "—"
    table_use = clip_text(table_use, MAX_TABLE_USE)  # an event of many days stays within one message
    quality = (
        tr(language, "planning.preview.proven")
        if s["proven"]
        else tr(language, "planning.preview.gap", gap=f"{100 * s['gap']:.2f}")
    )
    return tr(
        language,
        "planning.preview",
        count=s["meetings"],
        met=s["wishes_met"],
        wishes=s["wishes"],
        percent=percent,
        no_meeting=s["no_meeting"],
        attendees=s["attendees"],
        mutual_met=s["mutual_met"],
        mutual=s["mutual"],
        levels=levels or "—",
        table_use=table_use,
        seconds=f"{s['seconds']:.1f}",
        quality=quality,
        idle_gaps=s["idle_gaps"],
    )


def _preview_buttons(services: Services, language: Language, plan: StoredPlan, day: str) -> InlineKeyboardMarkup:
    tr = services.tr
    return InlineKeyboardMarkup(
        [
            [buttons.PLAN.button(tr(language, "planning.publish_button"), f"pub:{plan.id}")],
            [buttons.PLAN.button(tr(language, "planning.again_button"), f"run:{day}")],
            [buttons.PLAN.button(tr(language, "planning.drop_button"), f"drop:{plan.id}")],
        ]
    )


@organiser_only
async def plan_command(update: Update, context: Context) -> None:
    """/plan: pick the day (when the event has several), then the plan is computed."""
    services = context.services
    language = await user_language(update, context)
    await _resume_interrupted(context)
    days = services.planning.days()
    if len(days) == 1:
        await _run(update, context, language, "all", None)
        return
    rows = [[buttons.PLAN.button(services.tr.format_date(language, d), f"run:{i}")] for i, d in enumerate(days)] + [
        [buttons.PLAN.button(services.tr(language, "planning.every_day"), "run:all")]
    ]
    await reply(update, context, services.tr(language, "planning.pick_day"), InlineKeyboardMarkup(rows))


@organiser_only
async def plan_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    services = context.services
    language = await user_language(update, context)
    action, _, value = context.match.group(1).partition(":")
    if action == "run":
        days = services.planning.days()
        day = days[int(value)] if value != "all" and int(value) < len(days) else None
        if isinstance(query.message, Message):
            await query.edit_message_reply_markup(None)
        await _run(update, context, language, value, day)
    elif action == "pub":
        publication = await services.planning.publish(int(value))
        await _told(update, context, language, publication)
    else:
        dropped = await services.planning.discard(int(value))
        key = "planning.dropped" if dropped else "planning.not_a_preview"
        await query.edit_message_reply_markup(None)
        await reply(update, context, services.tr(language, key))


async def _run(update: Update, context: Context, language: Language, day_key: str, day: date | None) -> None:
    """Computing takes up to PLANNER_SECONDS: it runs beside the bot, and the preview comes when ready."""
    services = context.services
    seconds = services.settings.planner_seconds
    await reply(update, context, services.tr(language, "planning.running", seconds=round(seconds)))
    organiser = await services.registration.participant(update.effective_user.id) if update.effective_user else None
    chat = update.effective_chat
    assert chat is not None

    async def compute() -> None:
        try:
            plan = await services.planning.compute(organiser, day, seconds)
        except Exception:
            log.exception("the planner failed")
            await context.bot.send_message(chat.id, services.tr(language, "planning.failed"))
            return
        text = preview_text(services, language, plan)
        await context.bot.send_message(chat.id, text, reply_markup=_preview_buttons(services, language, plan, day_key))

    context.application.create_task(compute(), name="planner")


async def _told(update: Update, context: Context, language: Language, publication: Publication) -> None:
    services = context.services
    query = update.callback_query
    if publication.outcome in ("gone", "already"):
        await reply(update, context, services.tr(language, f"planning.{publication.outcome}"))
        return
    await file_messages(context, publication)
    if query is not None and isinstance(query.message, Message):
        await query.edit_message_reply_markup(None)
    text = services.tr(
        language,
        "planning.published",
        count=publication.made,
        left_out=publication.left_out,
        people=len(publication.notices),
    )
    await reply(update, context, text)


async def file_messages(context: Context, publication: Publication) -> None:
    """Everyone's message into the outbox in one transaction: all filed, or none (a crash before makes
    Publish file them again)."""
    assert publication.plan is not None
    audience = PLAN_AUDIENCE.format(id=publication.plan.id)
    await file_bulk(context.services, publication.notices, audience)


async def _resume_interrupted(context: Context) -> None:
    """A publication cut short (a crash) before its messages were filed: they are filed now."""
    for stored in await context.services.planning.unannounced():
        publication = await context.services.planning.publish(stored.id)
        if publication.notices:
            await file_messages(context, publication)
