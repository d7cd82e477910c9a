"""Background work that the composition root starts: each module schedules its own jobs."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from bot.runtime import Context, MaillageApplication

# A run delayed by a busy loop catches up instead of being dropped, and never overlaps the previous one
CATCH_UP = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}


def every(
    application: MaillageApplication,
    callback: Callable[[Context], Coroutine[Any, Any, None]],
    interval: float | timedelta,
    name: str,
    *,
    first: float | timedelta | None = None,
) -> None:
    """``callback`` on PTB's JobQueue every ``interval`` (first after ``first``, else after one interval)."""
    assert application.job_queue is not None
    application.job_queue.run_repeating(
        callback, interval=interval, first=interval if first is None else first, name=name, job_kwargs=CATCH_UP
    )
