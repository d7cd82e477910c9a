"""The purge the consent text promises: personal data goes ``purge_after_days`` after the event."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.jobs import every
from bot.runtime import Context, MaillageApplication

log = logging.getLogger(__name__)

EVERY = timedelta(hours=6)  # "daily" with margin: a restart never pushes it a day later
FIRST = timedelta(seconds=1)


async def purge_if_due(context: Context) -> None:
    figures = await context.services.privacy.purge_if_due()
    if figures is not None:
        log.info(
            "personal data purged as the event file says: %d participants, %d messages",
            figures.participants,
            figures.deliveries,
        )


def schedule(application: MaillageApplication) -> None:
    every(application, purge_if_due, EVERY, "privacy-purge", first=FIRST)
