"""The inbox: every update is kept from the moment it arrives until it has been handled, so that a
crash loses none. Written before Telegram is told the update was received (long polling: before the
next getUpdates moves the offset past it; webhook: before the HTTP 200); deleted once its handlers
are done, so that no one's messages stay there; at start-up, whatever was not handled runs again, in
order. An update being handled when the process died may so be handled twice; none is lost."""

from __future__ import annotations

from collections.abc import Sequence

from storage.inbox import Arrival
from storage.repositories import Repositories

__all__ = ["Arrival", "InboxService"]


class InboxService:
    def __init__(self, repos: Repositories) -> None:
        self._inbox = repos.inbox

    async def receive(self, arrivals: Sequence[Arrival]) -> set[int]:
        """Keep these updates before they are acknowledged; returns the ids never seen before."""
        return await self._inbox.receive(arrivals)

    async def handled(self, update_id: int) -> None:
        await self._inbox.handled(update_id)

    async def unhandled(self) -> list[Arrival]:
        """What arrived and was not handled, oldest first: what a crash interrupted."""
        return await self._inbox.unhandled()
