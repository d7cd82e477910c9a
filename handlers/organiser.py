"""Organisers' tools: the exhibitors' representatives, and revoking one."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, InputFile, Update

from bot.documents.import_report import invite_link, links_workbook, reason, render_report
from bot.event import Language
from bot.i18n import Html, clip_lines
from bot.runtime import Context
from bot.services.registration import Role
from handlers import buttons
from handlers.common import Callback, edit_or_send, is_organiser, notify, organiser_only, reply, user_language
from handlers.paging import Entry, markup, page_of, paged
from handlers.views import shorten

log = logging.getLogger(__name__)

MAX_IMPORT_BYTES = 2 * 1024 * 1024


async def _show_representatives(update: Update, context: Context, number: int) -> None:
    services = context.services
    language = await user_language(update, context)
    tr = services.tr
    exhibitors = {e.id: e for e in await services.directory.all_exhibitors()}
    reps = await services.registration.representatives()
    if not reps:
        await edit_or_send(update, context, tr(language, "reps.none"), None)
        return
    entries = []
    for rep in sorted(reps, key=lambda r: (exhibitors[r.exhibitor_id or 0].name, r.full_name)):
        exhibitor = exhibitors[rep.exhibitor_id or 0]
        line = tr(language, "reps.line", name=rep.full_name, exhibitor=exhibitor.name, job=rep.job_title or "")
        button = buttons.REVOKE_REPRESENTATIVE.button(
            tr(language, "reps.revoke_button", name=shorten(rep.full_name)), rep.id
        )
        entries.append(Entry(line, [[button]]))
    header = tr(language, "reps.header", count=len(reps))
    page = page_of(tr, language, header, entries, number, buttons.REPRESENTATIVES_PAGE.data)
    await edit_or_send(update, context, page.text, markup(page))


# /reps: every representative, by stand, a page at a time, each with a revoke button
representatives, representatives_page = paged(_show_representatives, is_organiser)


@organiser_only
async def revoke(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    services = context.services
    tr = services.tr
    language = await user_language(update, context)
    participant_id, answer = int(context.match.group(1)), context.match.group(2)
    rep = await services.registration.participant_by_id(participant_id)
    if rep is not None and rep.role != Role.EXHIBITOR and answer == "yes":
        return  # revoked already: by a tap a moment ago, whose answer the message shows
    exhibitor = await services.directory.exhibitor(rep.exhibitor_id) if rep and rep.exhibitor_id else None
    if rep is None or exhibitor is None:
        await query.edit_message_text(tr(language, "reps.gone"))
        return
    if answer is None:
        markup = InlineKeyboardMarkup(
            [
                [
                    buttons.REVOKE_REPRESENTATIVE.button(tr(language, "reps.revoke_yes"), rep.id, "yes"),
                    buttons.REVOKE_REPRESENTATIVE.button(tr(language, "button.no"), rep.id, "no"),
                ]
            ]
        )
        text = tr(language, "reps.revoke_confirm", name=rep.full_name, exhibitor=exhibitor.name)
        await query.edit_message_text(text, reply_markup=markup)
        return
    if answer == "no":
        await query.edit_message_text(tr(language, "reps.kept"))
        return
    revocation = await services.registration.revoke_representative(rep.id)
    if revocation is None:
        await query.edit_message_text(tr(language, "reps.gone"))
        return
    services.reminders.cancelled_elsewhere(revocation.cancelled_reminders)
    link = invite_link(context.bot.username, revocation.exhibitor)
    await query.edit_message_text(
        tr(language, "reps.revoked", name=rep.full_name, exhibitor=exhibitor.name, link=link),
    )
    person = revocation.person
    await notify(context, person, tr(person.language, "reps.revoked_notice", exhibitor=exhibitor.name))
    for colleague in revocation.colleagues:
        text = tr(colleague.language, "reps.colleague_revoked", name=rep.full_name, exhibitor=exhibitor.name, link=link)
        await notify(context, colleague, text)


async def _show_organisers(update: Update, context: Context, number: int) -> None:
    services = context.services
    tr = services.tr
    language = await user_language(update, context)
    invited = await services.registration.organisers()
    if not invited:
        await edit_or_send(update, context, tr(language, "orgs.none"), None)
        return
    entries = [
        Entry(
            tr(language, "orgs.line", name=person.full_name, organisation=person.organisation or "—"),
            [
                [
                    buttons.REVOKE_ORGANISER.button(
                        tr(language, "reps.revoke_button", name=shorten(person.full_name)), person.id
                    )
                ]
            ],
        )
        for person in invited
    ]
    page = page_of(
        tr, language, tr(language, "orgs.header", count=len(invited)), entries, number, buttons.ORGANISERS_PAGE.data
    )
    await edit_or_send(update, context, page.text, markup(page))


# /organisers: the organisers who joined by invite link, each with a revoke button
organisers, organisers_page = paged(_show_organisers, is_organiser)


@organiser_only
async def revoke_organiser(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    services = context.services
    tr = services.tr
    language = await user_language(update, context)
    participant_id, answer = int(context.match.group(1)), context.match.group(2)
    person = await services.registration.participant_by_id(participant_id)
    if person is not None and person.role != Role.ORGANISER and answer == "yes":
        return  # revoked already: by a tap a moment ago, whose answer the message shows
    if person is None or person.role != Role.ORGANISER or person.telegram_id in services.registration.organiser_ids:
        await query.edit_message_text(tr(language, "orgs.gone"))
        return
    if answer is None:
        choices = [
            buttons.REVOKE_ORGANISER.button(tr(language, "reps.revoke_yes"), person.id, "yes"),
            buttons.REVOKE_ORGANISER.button(tr(language, "button.no"), person.id, "no"),
        ]
        text = tr(language, "orgs.revoke_confirm", name=person.full_name)
        await query.edit_message_text(text, reply_markup=InlineKeyboardMarkup([choices]))
        return
    if answer == "no":
        await query.edit_message_text(tr(language, "reps.kept"))
        return
    revoked = await services.registration.revoke_organiser(person.id)
    if revoked is None:
        await query.edit_message_text(tr(language, "orgs.gone"))
        return
    await query.edit_message_text(tr(language, "orgs.revoked", name=person.full_name))
    await notify(context, revoked, tr(revoked.language, "orgs.revoked_notice"))


def document_import(otherwise: Callback) -> Callback:
    """An organiser sends the exhibitors' CSV; anyone else's file goes to ``otherwise``, as any message."""

    async def import_document(update: Update, context: Context) -> None:
        user = update.effective_user
        assert user is not None
        registration = context.services.registration
        if registration.is_organiser(user.id, await registration.participant(user.id)):
            await _import_document(update, context)
        else:
            await otherwise(update, context)

    return import_document


async def _import_document(update: Update, context: Context) -> None:
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None and message.document is not None
    services = context.services
    language = await user_language(update, context)
    document = message.document
    if document.file_size is not None and document.file_size > MAX_IMPORT_BYTES:
        await reply(update, context, services.tr(language, "import.too_big"))
        return
    file = await document.get_file()
    raw = bytes(await file.download_as_bytearray())
    if services.wishes.is_wish_file(raw):
        await _import_wishes(update, context, language, raw)
        return
    report = await services.directory.import_csv(raw)
    await reply(update, context, render_report(services.tr, language, report))
    if report.ok:
        username = context.bot.username
        exhibitors = await services.directory.all_exhibitors()
        await context.bot.send_document(
            user.id,
            InputFile(
                links_workbook(services.tr, language, username, exhibitors),
                filename="maillage-invite-links.xlsx",
                attach=False,
            ),
            caption=services.tr(language, "import.links_caption"),
        )


async def _import_wishes(update: Update, context: Context, language: Language, raw: bytes) -> None:
    """Wishes collected before the event (participant, exhibitor, rank): all or nothing, each bad line said."""
    services = context.services
    tr = services.tr
    result = await services.wishes.import_csv(raw)
    if result.ok:
        total = sum(len(w) for w in result.wishes.values())
        await reply(update, context, tr(language, "wishes.import.done", count=total, participants=len(result.wishes)))
        return
    lines = [
        tr(language, "wishes.import.error_line", line=e.line, problem=reason(tr, language, e.key, e.params))
        for e in result.errors
    ]
    header = tr(language, "wishes.import.failed", count=len(result.errors))
    await reply(update, context, Html(header + "\n" + clip_lines(tr, language, lines, budget=3000)))
