"""The meetings' sweep: every few seconds, requests that expired, meetings to ask about, stands to nudge."""

from __future__ import annotations

from bot.jobs import every
from bot.runtime import Context, MaillageApplication
from handlers.notify import tell


async def sweep(context: Context) -> None:
    await tell(context, await context.services.meeting_actions.sweep())


def schedule(application: MaillageApplication) -> None:
    every(application, sweep, application.services.sweep_seconds, "meetings-sweep")
