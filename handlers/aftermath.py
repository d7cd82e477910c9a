"""After the meeting, from both phones: rate it, share contact details (only those ticked), the stand's
/leads (note, follow-up state, export), and /contact to set the details one may share."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardMarkup, InputFile, Update

from bot.documents.spreadsheet import sheet_csv, xlsx_bytes
from bot.event import Language
from bot.i18n import Html
from bot.runtime import Context, Services
from bot.services.aftermath import (
    FIELDS,
    AftermathError,
    CommentDraft,
    ContactDraft,
    LeadNoteDraft,
    LeadView,
    MeetingGone,
)
from bot.services.flows import DraftT
from bot.services.registration import Participant
from handlers import buttons
from handlers.common import edit_or_send, reply, user_language
from handlers.meetings.common import me_of, say
from handlers.notify import tell
from handlers.paging import Entry, markup, page_of

LETTERS = {"email": "e", "phone": "p", "website": "w"}
STATES = ("to_contact", "contacted", "not_relevant")


async def _me(update: Update, context: Context) -> Participant | None:
    me = await me_of(update, context)
    if me is None:
        await say(update, context, context.services.tr(await user_language(update, context), "me.not_registered"))
    return me


async def _pressed(update: Update, context: Context) -> tuple[re.Match[str], Participant] | None:
    """A button of these flows: answered first, then who pressed it (None: not registered, told so)."""
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    me = await _me(update, context)
    return (context.match, me) if me is not None else None


async def _refuse(update: Update, context: Context, language: Language, error: AftermathError) -> None:
    await say(update, context, context.services.tr(language, error.key, **error.params))


async def _take_text(
    update: Update,
    context: Context,
    draft_type: type[DraftT],
    save: Callable[[Participant, DraftT, str], Awaitable[None]],
) -> tuple[Participant, DraftT] | None:
    """The text a one-question flow waited for, saved by ``save``; the flow ends once it is. A bad
    answer is told and the question stays open."""
    services = context.services
    message = update.effective_message
    assert message is not None and update.effective_user is not None
    ongoing = await services.flows.load(update.effective_user.id, draft_type)
    me = await me_of(update, context)
    if ongoing is None or me is None:
        return None  # done or cancelled a moment ago
    language = ongoing.draft.language
    if not message.text:
        await reply(update, context, services.tr(language, "conversation.text_expected"))
        return None
    try:
        await save(me, ongoing.draft, message.text)
    except AftermathError as error:
        if isinstance(error, MeetingGone):  # nothing left to answer about: the question closes
            await services.flows.drop(me.telegram_id)
        await reply(update, context, services.tr(language, error.key, **error.params))
        return None
    await services.flows.drop(me.telegram_id)
    return me, ongoing.draft


def after_met_markup(services: Services, language: Language, meeting_id: int) -> InlineKeyboardMarkup:
    """Under "thanks, noted that it took place": the stars, and sharing one's contact details."""
    stars = [buttons.RATE.button("★" * n, meeting_id, n) for n in range(1, 6)]
    share = [buttons.SHARE.button(services.tr(language, "aftermath.share_button"), meeting_id, "")]
    return InlineKeyboardMarkup([stars[:3], stars[3:], share])


# ---------------------------------------------------------------------------------------------- ratings


async def rate(update: Update, context: Context) -> None:
    if (pressed := await _pressed(update, context)) is None:
        return
    match, me = pressed
    services, language = context.services, me.language
    meeting_id, stars = int(match.group(1)), int(match.group(2))
    try:
        first = await services.aftermath.rate(me, meeting_id, stars)
    except AftermathError as error:
        await _refuse(update, context, language, error)
        return
    if not first:
        await say(update, context, services.tr(language, "rating.already"))
        return
    await services.flows.begin(me.telegram_id, "comment", CommentDraft(language=language, meeting_id=meeting_id))
    await say(update, context, services.tr(language, "rating.thanks", stars="★" * stars))


async def on_comment(update: Update, context: Context) -> None:
    services = context.services
    if taken := await _take_text(update, context, CommentDraft, services.aftermath.comment_for):
        await reply(update, context, services.tr(taken[1].language, "rating.comment_saved"))


# ---------------------------------------------------------------------------------------------- sharing


def _mask(chosen: set[str]) -> str:
    return "".join(LETTERS[f] for f in FIELDS if f in chosen)


async def share(update: Update, context: Context) -> None:
    """The share screen: the details they set, each ticked or not (none at first), and Send."""
    if (pressed := await _pressed(update, context)) is None:
        return
    match, me = pressed
    services, language, tr = context.services, me.language, context.services.tr
    meeting_id, mask = int(match.group(1)), match.group(2) or ""
    try:
        _, card = await services.aftermath.share_options(me, meeting_id)
    except AftermathError as error:
        await _refuse(update, context, language, error)
        return
    if not card.fields:
        await say(update, context, tr(language, "aftermath.no_details"))
        return
    chosen = {f for f in FIELDS if LETTERS[f] in mask and f in card.fields}
    rows = []
    for name in card.fields:
        toggled = chosen ^ {name}
        mark = "☑" if name in chosen else "☐"
        label = f"{mark} {tr(language, f'contact.field.{name}')} : {getattr(card, name)}"
        rows.append([buttons.SHARE.button(label[:60], meeting_id, _mask(toggled))])
    if chosen:
        rows.append([buttons.SHARE_GO.button(tr(language, "aftermath.send_button"), meeting_id, _mask(chosen))])
    await edit_or_send(update, context, tr(language, "aftermath.choose"), InlineKeyboardMarkup(rows))


async def share_go(update: Update, context: Context) -> None:
    if (pressed := await _pressed(update, context)) is None:
        return
    match, me = pressed
    services, language = context.services, me.language
    chosen = {f for f in FIELDS if LETTERS[f] in match.group(2)}
    try:
        shared = await services.aftermath.share(me, int(match.group(1)), chosen)
    except AftermathError as error:
        await _refuse(update, context, language, error)
        return
    if shared.again:
        await edit_or_send(update, context, services.tr(language, "aftermath.already_shared"), None)
        return
    await tell(context, shared.notices)
    await edit_or_send(update, context, services.tr(language, "aftermath.sent", count=len(shared.notices)), None)


# ---------------------------------------------------------------------------------------------- /contact


async def contact(update: Update, context: Context) -> None:
    if (me := await _me(update, context)) is not None:
        await _show_card(update, context, me, edit=False)


async def _show_card(update: Update, context: Context, me: Participant, *, edit: bool) -> None:
    services, language, tr = context.services, me.language, context.services.tr
    card = await services.aftermath.card(me)
    lines = [
        tr(language, "contact.line", field=tr(language, f"contact.field.{f}"), value=getattr(card, f) or "—")
        for f in FIELDS
    ]
    rows = [
        [
            buttons.CONTACT.button(tr(language, f"contact.set.{f}"), f, "set"),
            *([buttons.CONTACT.button(tr(language, "contact.clear"), f, "clear")] if getattr(card, f) else []),
        ]
        for f in FIELDS
    ]
    text = Html(tr(language, "contact.header") + "\n" + "\n".join(lines))
    await edit_or_send(update, context, text, InlineKeyboardMarkup(rows), edit=edit)


async def contact_button(update: Update, context: Context) -> None:
    if (pressed := await _pressed(update, context)) is None:
        return
    match, me = pressed
    services, language = context.services, me.language
    name, action = match.group(1), match.group(2)
    if action == "clear":
        await services.aftermath.set_detail(me, name, None)
        await _show_card(update, context, me, edit=True)
        return
    await services.flows.begin(me.telegram_id, "detail", ContactDraft(language=language, field=name))
    await say(update, context, services.tr(language, f"contact.ask.{name}"))


async def on_detail(update: Update, context: Context) -> None:
    if taken := await _take_text(update, context, ContactDraft, context.services.aftermath.detail_for):
        await _show_card(update, context, taken[0], edit=False)


# ---------------------------------------------------------------------------------------------- /leads


def _lead_entry(services: Services, language: Language, view: LeadView, page: int) -> Entry:
    tr = services.tr
    a = view.attendee
    when = tr.format_slot(language, view.meeting.slot_start.astimezone(services.event.tz))
    state = view.lead.state if view.lead else "to_contact"
    card = view.shared
    details = ", ".join(v for v in (card.email, card.phone, card.website) if v) if card else ""
    text = tr(
        language,
        "leads.entry",
        when=when,
        name=a.full_name if a else "—",
        organisation=(a.organisation or "—") if a else "—",
        contact=details or tr(language, "leads.no_contact"),
        state=tr(language, f"leads.state.{state}"),
        note=(view.lead.note if view.lead and view.lead.note else "—"),
    )
    mid = view.meeting.id
    row = [buttons.LEAD.button(tr(language, "leads.note_button"), mid, "note", page)]
    row += [buttons.LEAD.button(tr(language, f"leads.to.{s}"), mid, s, page) for s in STATES if s != state]
    return Entry(text, [row])


async def leads(update: Update, context: Context) -> None:
    await _show_leads(update, context, 0, edit=False)


async def leads_page(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    await _show_leads(update, context, int(context.match.group(1)), edit=True)


async def _show_leads(update: Update, context: Context, number: int, *, edit: bool) -> None:
    if (me := await _me(update, context)) is None:
        return
    services, language, tr = context.services, me.language, context.services.tr
    try:
        views = await services.aftermath.leads(me)
    except AftermathError as error:
        await _refuse(update, context, language, error)
        return
    if not views:
        await edit_or_send(update, context, tr(language, "leads.none"), None, edit=edit)
        return
    export = [
        [
            buttons.LEADS_EXPORT.button(tr(language, "leads.export_xlsx"), "xlsx"),
            buttons.LEADS_EXPORT.button(tr(language, "leads.export_csv"), "csv"),
            buttons.LEADS_EXPORT.button(tr(language, "leads.export_plain"), "plain"),
        ]
    ]
    entries = [_lead_entry(services, language, v, number) for v in views]
    header = tr(language, "leads.header", count=len(views))
    page = page_of(tr, language, header, entries, number, buttons.LEADS_PAGE.data, footer=export)
    await edit_or_send(update, context, page.text, markup(page), edit=edit)


async def lead_button(update: Update, context: Context) -> None:
    if (pressed := await _pressed(update, context)) is None:
        return
    match, me = pressed
    services, language = context.services, me.language
    meeting_id, action, page = int(match.group(1)), match.group(2), int(match.group(3))
    try:
        if action == "note":
            await services.aftermath.lead_meeting(me, meeting_id)
            await services.flows.begin(me.telegram_id, "note", LeadNoteDraft(language=language, meeting_id=meeting_id))
            await say(update, context, services.tr(language, "leads.ask_note"))
            return
        await services.aftermath.set_lead_state(me, meeting_id, action)
    except AftermathError as error:
        await _refuse(update, context, language, error)
        return
    await _show_leads(update, context, page, edit=True)


async def on_lead_note(update: Update, context: Context) -> None:
    services = context.services
    if taken := await _take_text(update, context, LeadNoteDraft, services.aftermath.note_for):
        await reply(update, context, services.tr(taken[1].language, "leads.note_saved"))
        await _show_leads(update, context, 0, edit=False)


async def leads_export(update: Update, context: Context) -> None:
    """The stand's leads as a file: an Excel workbook, CSV for French Excel, or plain CSV."""
    if (pressed := await _pressed(update, context)) is None:
        return
    match, me = pressed
    services, language = context.services, me.language
    try:
        sheet = await services.aftermath.leads_sheet(me, lambda key: str(services.tr(language, key)))
    except AftermathError as error:
        await _refuse(update, context, language, error)
        return
    form = match.group(1)
    content = xlsx_bytes([sheet]) if form == "xlsx" else sheet_csv(sheet, excel=form == "csv")
    name = "maillage-leads." + ("xlsx" if form == "xlsx" else "csv")
    chat = update.effective_chat
    assert chat is not None
    caption = services.tr(language, "leads.export_caption", count=len(sheet.rows))
    await context.bot.send_document(chat.id, InputFile(content, filename=name, attach=False), caption=caption)
