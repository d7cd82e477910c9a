"""The meetings' sweep: every few seconds, requests that expired, meetings to ask about, stands to nudge,
and the end-of-day messages once a day is over."""

from __future__ import annotations

from bot.jobs import every
from bot.runtime import Context, MaillageApplication
from handlers.notify import file_bulk, tell


async def sweep(context: Context) -> None:
    await tell(context, await context.services.meeting_actions.sweep())
    await sum_up_days(context)


async def sum_up_days(context: Context) -> None:
    """Once a day's meetings are over, each attendee's end-of-day message, filed once by whichever
    process claims the day first."""
    aftermath = context.services.aftermath
    for day in await aftermath.days_left_to_sum_up():
        notices = await aftermath.day_summaries(day)
        if not await file_bulk(context.services, notices, f"day:{day.isoformat()}", aftermath.day_claim(day)):
            await aftermath.mark_summed_up(day)  # nobody to tell, or filed by another process: done either way


def schedule(application: MaillageApplication) -> None:
    every(application, sweep, application.services.sweep_seconds, "meetings-sweep")
