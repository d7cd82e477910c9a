"""/stats and /export for the organisers; /block to close a slot."""

from __future__ import annotations

from babel.numbers import format_decimal
from telegram import InlineKeyboardMarkup, InputFile, Update

from bot.documents.charts import meetings_per_slot_png
from bot.event import Language
from bot.i18n import Html, Translator, clip_lines, clip_text, escape
from bot.runtime import Context
from bot.services.cancellations import cancellation_notices
from bot.services.reports import EXPORTS, Statistics
from handlers import buttons
from handlers.common import organiser_only, reply, user_language
from handlers.paging import paged_rows

STATUSES = ("accepted", "pending", "declined", "cancelled", "expired")


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{round(100 * value)} %"


def stats_text(context: Context, language: Language, stats: Statistics) -> Html:
    tr = context.services.tr
    event = context.services.event

    roles = (
        ", ".join(
            f"{tr(language, f'role.{k}')} : {v}" if language == "fr" else f"{tr(language, f'role.{k}')}: {v}"
            for k, v in stats.by_role.items()
        )
        or "—"
    )
    types = (
        ", ".join(
            f"{tr(language, f'orgtype.{k}') if k != 'unknown' else '?'} {v}" for k, v in stats.by_org_type.items()
        )
        or "—"
    )
    statuses = ", ".join(f"{tr(language, f'stats.status.{s}')} {stats.by_status.get(s, 0)}" for s in STATUSES)
    unanswered_lines = [
        f"  • {escape(clip_text(name, 60))} : {n}" if language == "fr" else f"  • {escape(clip_text(name, 60))}: {n}"
        for name, n in stats.unanswered
    ]
    # the stands keeping most people waiting first; the rest as a count, whatever the size of the event
    unanswered = Html(clip_lines(tr, language, unanswered_lines, budget=1200) or "  —")
    themes = ", ".join(f"{t.label(language)} {stats.per_theme.get(t.id, 0)}" for t in event.themes)
    busiest = sorted(stats.per_slot.items(), key=lambda kv: -kv[1].get("accepted", 0))[:3]
    slots = ", ".join(f"{s:%H:%M} ({c.get('accepted', 0)})" for s, c in busiest if c.get("accepted", 0)) or "—"
    return tr(
        language,
        "stats.text",
        roles=roles,
        types=types,
        statuses=statuses,
        acceptance=_percent(stats.acceptance_rate),
        unanswered=unanswered,
        slots=slots,
        themes=themes,
        met=stats.attendance.get("met", 0),
        no_show=stats.attendance.get("no_show", 0),
        no_show_rate=_percent(stats.no_show_rate),
    )


@organiser_only
async def stats(update: Update, context: Context) -> None:
    services = context.services
    language = await user_language(update, context)
    figures = await services.reports.statistics()
    await reply(update, context, stats_text(context, language, figures))
    await reply(update, context, ratings_text(context, language, figures))
    labels: dict[str, str] = {s: str(services.tr(language, f"stats.status.{s}")) for s in STATUSES}
    chart = meetings_per_slot_png(figures.per_slot, labels, services.tr(language, "stats.chart_title"))
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_photo(chat.id, InputFile(chart, filename="meetings-per-slot.png", attach=False))


def stars_line(tr: Translator, language: Language, label: str, counts: dict[int, int]) -> str:
    """ "Économie circulaire : 4,3 ★ (12) — ★5 7 · ★4 3 · ★3 1 · ★2 1 · ★1 0"."""
    total = sum(counts.values())
    average = sum(stars * n for stars, n in counts.items()) / total if total else 0.0
    spread = " · ".join(f"★{stars} {counts.get(stars, 0)}" for stars in range(5, 0, -1))
    return tr(
        language,
        "stats.rating_line",
        label=label,
        average=format_decimal(average, "0.0", locale=language),
        count=total,
        spread=spread,
    )


def ratings_text(context: Context, language: Language, stats: Statistics) -> Html:
    """The ratings both sides gave: by the exhibitor's theme, then the exhibitors most rated."""
    tr, event = context.services.tr, context.services.event
    themes = [
        stars_line(tr, language, t.label(language), stats.ratings_by_theme[t.id])
        for t in event.themes
        if t.id in stats.ratings_by_theme
    ]
    ranked = sorted(stats.ratings_by_exhibitor.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    exhibitors = [stars_line(tr, language, clip_text(name, 60), counts) for name, counts in ranked]
    return tr(
        language,
        "stats.ratings",
        themes=Html(clip_lines(tr, language, themes, budget=1200) or "  —"),
        exhibitors=Html(clip_lines(tr, language, exhibitors, budget=1800) or "  —"),
    )


@organiser_only
async def export(update: Update, context: Context) -> None:
    """/export: one Excel workbook, a sheet per export, in the organiser's language. Words after it:
    ``csv`` (CSV for French Excel), ``plain`` (comma-separated), ``raw`` (the database's codes),
    ``fr`` or ``en`` (the language of headers and values)."""
    services = context.services
    words = {word.lower() for word in context.args or []}
    language: Language = "en" if "en" in words else "fr" if "fr" in words else await user_language(update, context)
    raw = bool(words & {"raw", "brut"})
    chat = update.effective_chat
    assert chat is not None
    if not words & {"csv", "plain", "virgule", "comma"}:
        content = await services.reports.workbook(EXPORTS, language, raw=raw)
        name = "maillage-export-raw.xlsx" if raw else "maillage-export.xlsx"
        caption = services.tr(language, "export.workbook")
        await context.bot.send_document(chat.id, InputFile(content, filename=name, attach=False), caption=caption)
        return
    excel = "csv" in words and not words & {"plain", "virgule", "comma"}
    for what in EXPORTS:
        content = await services.reports.export(what, excel=excel, language=language, raw=raw)
        await context.bot.send_document(
            chat.id,
            InputFile(content, filename=f"maillage-{what}.csv", attach=False),
            caption=services.tr(language, f"export.{what}"),
        )


# ---------------------------------------------------------------------- blocking a slot


@organiser_only
async def block(update: Update, context: Context) -> None:
    """/block: pick the slot, then everyone or one exhibitor, then confirm."""
    services = context.services
    language = await user_language(update, context)
    choices = [
        buttons.BLOCK.button(services.tr.format_time(language, s.start.astimezone(services.event.tz)), i)
        for i, s in enumerate(services.event.slots)
    ][:96]
    rows = [choices[i : i + 4] for i in range(0, len(choices), 4)]
    await reply(update, context, services.tr(language, "block.ask_slot"), InlineKeyboardMarkup(rows))


@organiser_only
async def block_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    services = context.services
    language = await user_language(update, context)
    index, choice = int(context.match.group(1)), context.match.group(2)
    slot = services.meetings.slot_by_index(index)
    if slot is None:
        await reply(update, context, services.tr(language, "fallback.stale_button"))
        return
    when = services.tr.format_slot(language, slot.start.astimezone(services.event.tz))
    if choice is None or choice.startswith("p:"):
        everyone = [buttons.BLOCK.button(services.tr(language, "block.everyone"), index, "all")]
        stands = [[buttons.BLOCK.button(e.name[:40], index, e.id)] for e in await services.directory.all_exhibitors()]
        number = int(choice[2:]) if choice else 0
        rows = [
            everyone,
            *paged_rows(services.tr, language, stands, number, lambda page: buttons.BLOCK.data(index, f"p:{page}")),
        ]
        await query.edit_message_text(
            services.tr(language, "block.ask_scope", when=when),
            reply_markup=InlineKeyboardMarkup(rows),
        )
        return
    if not choice.startswith("ok:"):
        who = (
            services.tr(language, "block.everyone")
            if choice == "all"
            else (await _exhibitor_name(context, int(choice)))
        )
        markup = InlineKeyboardMarkup(
            [[buttons.BLOCK.button(services.tr(language, "block.confirm"), index, f"ok:{choice}")]]
        )
        await query.edit_message_text(
            services.tr(language, "block.ask_confirm", when=when, who=who),
            reply_markup=markup,
        )
        return
    target = choice[3:]
    exhibitor_id = None if target == "all" else int(target)
    cancelled = await services.meetings.block_slot(slot, exhibitor_id)
    await query.edit_message_reply_markup(reply_markup=None)
    if cancelled is None:
        await reply(update, context, services.tr(language, "block.already", when=when))
        return
    notices = await cancellation_notices(services.tr, services.event, services.meetings, cancelled, "block.notice")
    await services.broadcasts.notify(notices, audience="block")
    await reply(update, context, services.tr(language, "block.done", when=when, count=len(cancelled)))


async def _exhibitor_name(context: Context, exhibitor_id: int) -> str:
    exhibitor = await context.services.directory.exhibitor(exhibitor_id)
    return exhibitor.name if exhibitor else "—"
