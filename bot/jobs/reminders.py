"""Reminders on PTB's JobQueue: one job per reminder row due within the hour, rebuilt from the database
at start-up and kept in step with every change the reminder and programme services announce."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import Forbidden, NetworkError, RetryAfter, TimedOut

from bot.i18n import MESSAGE_TEXT, Html, clip_lines
from bot.runtime import Context, MaillageApplication, Services
from bot.services.registration import Role
from bot.services.reminders import DueReminder, Reminder, ReminderState
from bot.telegram.pacing import retry_seconds
from bot.telegram.transport import NotSent
from handlers import buttons

log = logging.getLogger(__name__)
NOT_SENT_AGAIN = timedelta(seconds=0.2)  # no connection came free: nothing went out

# A reminder delayed by a busy loop or a restart must still go out: APScheduler's
# default grace of one second would drop it silently. Whether it is still worth sending
# (the meeting has not begun) is decided when it is claimed.
JOB_OPTIONS = {"misfire_grace_time": None, "coalesce": True, "replace_existing": True}


# Jobs exist only for reminders due within the horizon, topped up every few minutes: a
# big event's tens of thousands of reminders would otherwise all sit in memory from the start
HORIZON = timedelta(hours=1)
TOP_UP_EVERY = timedelta(minutes=5)
# Beside other workers (PostgreSQL), reminders another worker planned get a job here too, soon enough
# to go out if that worker dies: whoever claims first sends, the others find it claimed
TOP_UP_EVERY_SHARED = timedelta(seconds=15)


def _job_name(reminder_id: int) -> str:
    return f"reminder-{reminder_id}"


def schedule_job(application: MaillageApplication, reminder_id: int, when: datetime) -> None:
    assert application.job_queue is not None
    name = _job_name(reminder_id)
    application.job_queue.run_once(
        fire, when=max(when, datetime.now(UTC)), data=reminder_id, name=name, job_kwargs={"id": name, **JOB_OPTIONS}
    )


def unschedule_job(application: MaillageApplication, reminder_id: int) -> None:
    assert application.job_queue is not None
    for job in application.job_queue.get_jobs_by_name(_job_name(reminder_id)):
        job.schedule_removal()


def _when(services: Services, reminder: Reminder) -> datetime:
    if reminder.state == ReminderState.CLAIMED and reminder.claimed_at is not None:
        return reminder.claimed_at + services.reminders.lease  # someone else's claim: after its lease
    return reminder.due_at


async def start(application: MaillageApplication) -> int:
    """Follow every change of the rows, then build a job for every reminder due within the horizon."""
    services = application.services

    def follow(scheduled: list[Reminder], cancelled: list[int]) -> None:
        for reminder in scheduled:
            schedule_job(application, reminder.id, _when(services, reminder))
        for reminder_id in cancelled:
            unschedule_job(application, reminder_id)

    services.reminders.subscribe(follow)
    services.programme.subscribe(follow)
    await services.reminders.rebuild()
    count = await schedule_upcoming(application)
    assert application.job_queue is not None
    every_ = TOP_UP_EVERY_SHARED if services.db.backend == "postgresql" else TOP_UP_EVERY
    application.job_queue.run_repeating(top_up, interval=every_, first=every_, name="reminders-top-up")
    log.info("%d reminders scheduled", count)
    return count


async def schedule_upcoming(application: MaillageApplication) -> int:
    """Jobs for the reminders due within the horizon that have none yet; returns how many were added."""
    services = application.services
    assert application.job_queue is not None
    scheduler = application.job_queue.scheduler
    added = 0
    for reminder in await services.reminders.upcoming(datetime.now(UTC) + HORIZON):
        if scheduler.get_job(_job_name(reminder.id)) is None:
            schedule_job(application, reminder.id, _when(services, reminder))
            added += 1
    return added


async def top_up(context: Context) -> None:
    await schedule_upcoming(context.app)


async def fire(context: Context) -> None:
    assert context.job is not None
    reminder_id = int(context.job.data)  # type: ignore[call-overload]
    services = context.services
    due = await services.reminders.claim(reminder_id)
    if due is None:
        current = await services.reminders.reminder(reminder_id)
        if current is not None and current.state == ReminderState.CLAIMED:  # another sender's live claim
            schedule_job(context.app, reminder_id, _when(services, current) + timedelta(seconds=0.5))
        return
    text, markup = render(services, due)
    try:
        await context.bot.send_message(due.participant.telegram_id, text, reply_markup=markup)
    except RetryAfter as err:
        await services.reminders.release(reminder_id)
        schedule_job(context.app, reminder_id, datetime.now(UTC) + timedelta(seconds=retry_seconds(err)))
    except Forbidden:
        await services.registration.set_reachable(due.participant.telegram_id, False)
        await services.reminders.skipped(reminder_id)
    except NotSent:  # nothing went out: again shortly
        await services.reminders.release(reminder_id)
        log.info("reminder %s waited too long for a connection, not sent: again shortly", reminder_id)
        schedule_job(context.app, reminder_id, datetime.now(UTC) + NOT_SENT_AGAIN)
    except (TimedOut, NetworkError) as err:  # it may have reached Telegram: sent again, a duplicate at worst
        await services.reminders.release(reminder_id)
        backoff = min(60.0, 2.0**due.reminder.attempts)
        log.warning("reminder %s not sent (%s): again in %.0f s", reminder_id, err, backoff)
        schedule_job(context.app, reminder_id, datetime.now(UTC) + timedelta(seconds=backoff))
    else:
        await services.reminders.sent(reminder_id)


def render(services: Services, due: DueReminder) -> tuple[Html, InlineKeyboardMarkup | None]:
    participant = due.participant
    language = participant.language
    tr = services.tr
    tz = services.event.tz
    if due.session is not None:
        session = due.session
        minutes = max(1, round((session.start - services.reminders.clock()).total_seconds() / 60))
        text = tr(
            language,
            "reminder.session",
            minutes=minutes,
            time=tr.format_time(language, session.start),
            title=session.title(language),
            room=session.room,
        )
        return text, InlineKeyboardMarkup(
            [[buttons.PROGRAMME.button(tr(language, "menu.programme"), f"s:{session.id}")]]
        )
    if due.meeting is None:
        return _digest(services, due), InlineKeyboardMarkup(
            [[buttons.MENU.button(tr(language, "menu.agenda"), "agenda")]]
        )
    meeting = due.meeting
    remaining = meeting.slot_start - services.reminders.clock()
    minutes = max(1, round(remaining.total_seconds() / 60))
    other = due.counterpart or "—"
    text = tr(
        language,
        "reminder.meeting",
        minutes=minutes,
        time=tr.format_time(language, meeting.slot_start.astimezone(tz)),
        other=other,
        stand=due.stand or "—",
        table=meeting.table_no or "—",
    )
    markup = InlineKeyboardMarkup(
        [
            [buttons.MENU.button(tr(language, "menu.agenda"), "agenda")],
            [InlineKeyboardButton(tr(language, "reminder.late"), callback_data=buttons.LATE.data(meeting.id))],
            [buttons.CANCEL.button(tr(language, "reminder.cancel"), meeting.id)],
        ]
    )
    return text, markup


def _digest(services: Services, due: DueReminder) -> Html:
    """The day's meetings and followed sessions, in time order."""
    language = due.participant.language
    tr = services.tr
    tz = services.event.tz
    entries: list[tuple[datetime, str]] = []
    key = "reminder.digest_stand_line" if due.participant.role == Role.EXHIBITOR else "reminder.digest_line"
    for entry in due.day:
        start = entry.start.astimezone(tz)
        text = tr(
            language,
            key,
            time=tr.format_time(language, start),
            exhibitor=entry.exhibitor,
            stand=entry.stand or "—",
            table=entry.table or "—",
            attendee=entry.attendee or "—",
        )
        entries.append((start, text))
    for session in due.sessions:
        text = tr(
            language,
            "reminder.digest_session",
            time=tr.format_time(language, session.start),
            title=session.title(language),
            room=session.room,
        )
        entries.append((session.start, text))
    entries.sort(key=lambda e: e[0])
    day = entries[0][0].date()
    title = tr(language, "reminder.digest_title", day=tr.format_date(language, day))
    return Html(title + "\n" + clip_lines(tr, language, [t for _, t in entries], budget=MESSAGE_TEXT - 300))
