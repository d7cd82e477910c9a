"""The exhibitor directory: browsing by theme, searching, suggestions, importing."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.event import Event, Theme
from bot.services.exhibitor_import import ParsedImport, RowError, parse_exhibitors
from bot.services.programme import ProgrammeService
from bot.services.text import keywords, normalise
from storage.exhibitors import Exhibitor, TablesInUseError
from storage.participants import Participant
from storage.repositories import Repositories

PAGE_SIZE = 8
MAX_SEARCH_RESULTS = 8


@dataclass(frozen=True)
class Page:
    items: list[Exhibitor]
    number: int  # from 0
    pages: int
    total: int


@dataclass(frozen=True)
class Suggestion:
    exhibitor: Exhibitor
    shared_themes: list[Theme]
    shared_words: list[str]
    requested: bool

    @property
    def score(self) -> int:
        return 10 * len(self.shared_themes) + len(self.shared_words)


@dataclass
class ImportReport:
    created: list[Exhibitor] = field(default_factory=list)
    updated: list[Exhibitor] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class DirectoryService:
    def __init__(
        self,
        repos: Repositories,
        event: Event,
        clock: Callable[[], datetime] | None = None,
        programme: ProgrammeService | None = None,
    ) -> None:
        self.event = event
        self._exhibitors = repos.exhibitors
        self._blocks = repos.blocks
        self.programme = programme
        self._search_texts: dict[Exhibitor, tuple[str, str]] = {}
        self._clock = clock or (lambda: datetime.now(UTC))

    async def themes_with_counts(self) -> list[tuple[Theme, int]]:
        counts = await self._exhibitors.count_by_theme()
        return [(theme, counts.get(theme.id, 0)) for theme in self.event.themes]

    async def page(self, theme_id: str | None, number: int) -> Page:
        if theme_id is None:
            total = await self._exhibitors.count()
        else:
            total = (await self._exhibitors.count_by_theme()).get(theme_id, 0)
        pages = max(1, math.ceil(total / PAGE_SIZE))
        number = min(max(number, 0), pages - 1)
        offset = number * PAGE_SIZE
        if theme_id is None:
            items = await self._exhibitors.page(offset, PAGE_SIZE)
        else:
            items = await self._exhibitors.with_theme(theme_id, offset, PAGE_SIZE)
        return Page(items, number, pages, total)

    async def exhibitor(self, exhibitor_id: int) -> Exhibitor | None:
        return await self._exhibitors.by_id(exhibitor_id)

    async def by_slug(self, slug: str) -> Exhibitor | None:
        return await self._exhibitors.by_slug(slug)

    async def all_exhibitors(self) -> list[Exhibitor]:
        return await self._exhibitors.all()

    async def count(self) -> int:
        return await self._exhibitors.count()

    async def free_slots(self, exhibitor: Exhibitor) -> int:
        """Slots still ahead in which at least one of the exhibitor's tables is free."""
        now = self._clock()
        taken = await self._exhibitors.accepted_per_slot(exhibitor.id)
        blocked = await self._blocks.blocked_for(exhibitor.id)
        if self.programme is not None:
            blocked |= await self.programme.exhibitor_busy(exhibitor.slug)
        return sum(
            1
            for slot in self.event.slots
            if slot.start > now and slot.utc_iso not in blocked and taken.get(slot.utc_iso, 0) < exhibitor.tables
        )

    def _searchable(self, exhibitor: Exhibitor) -> tuple[str, str]:
        """The text a search looks in, and the name, both normalised; kept until the exhibitor changes."""
        cached = self._search_texts.get(exhibitor)
        if cached is None:
            labels = [f"{t.fr} {t.en}" for t in self.event.themes if t.id in exhibitor.themes]
            text = normalise(" ".join([exhibitor.name, exhibitor.description, exhibitor.stand, *labels]))
            cached = (text, normalise(exhibitor.name))
            if len(self._search_texts) > 5_000:
                self._search_texts.clear()
            self._search_texts[exhibitor] = cached
        return cached

    async def search(self, query: str) -> list[Exhibitor]:
        """Every word must match name, description or themes; matches in the name first."""
        terms = [t for t in normalise(query).split() if t]
        if not terms:
            return []
        found = []
        for exhibitor in await self._exhibitors.all():
            text, name = self._searchable(exhibitor)
            if all(term in text for term in terms):
                in_name = sum(term in name for term in terms)
                found.append((-in_name, name, exhibitor))
        found.sort(key=lambda item: (item[0], item[1]))
        return [exhibitor for _, _, exhibitor in found]

    async def suggestions(self, participant: Participant) -> list[Suggestion]:
        """Exhibitors ranked by shared themes, then shared words; already requested ones last."""
        requested = await self._exhibitors.requested_by(participant.id)
        wanted = keywords(participant.looking_for or "")
        ranked = []
        for exhibitor in await self._exhibitors.all():
            shared = [t for t in self.event.themes if t.id in exhibitor.themes and t.id in participant.themes]
            common = sorted(wanted & keywords(f"{exhibitor.name} {exhibitor.description}"))
            if not shared and not common:
                continue
            ranked.append(Suggestion(exhibitor, shared, common, exhibitor.id in requested))
        ranked.sort(key=lambda s: (s.requested, -s.score, normalise(s.exhibitor.name)))
        return ranked

    async def import_csv(self, raw: bytes) -> ImportReport:
        parsed: ParsedImport = parse_exhibitors(raw, self.event)
        report = ImportReport(errors=list(parsed.errors), ignored_columns=parsed.ignored_columns)
        if report.errors:
            return report
        if not parsed.exhibitors:
            report.errors.append(RowError(2, "import.error.no_rows"))
            return report
        try:
            report.created, report.updated = await self._exhibitors.upsert_all(parsed.exhibitors)
        except TablesInUseError as err:
            line = parsed.lines[[e.slug for e in parsed.exhibitors].index(err.slug)]
            report.errors.append(RowError(line, "import.error.tables_in_use", {"slug": err.slug, "count": err.in_use}))
        return report
