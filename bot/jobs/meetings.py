"""The meetings' sweep: every few seconds, requests that expired, meetings to ask about, stands to nudge."""

from __future__ import annotations

from bot.runtime import Context, MaillageApplication
from handlers.notify import tell


async def sweep(context: Context) -> None:
    await tell(context, await context.services.meeting_actions.sweep())


def schedule(application: MaillageApplication) -> None:
    """The sweep runs on PTB's JobQueue; a late run catches up instead of being dropped."""
    assert application.job_queue is not None
    interval = application.services.sweep_seconds
    application.job_queue.run_repeating(
        sweep,
        interval=interval,
        first=interval,
        name="meetings-sweep",
        job_kwargs={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
    )
