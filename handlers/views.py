"""Texts and keyboards shared by several features: profile, step prompts, the main menu."""

from __future__ import annotations

from collections.abc import Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.event import LANGUAGES, Event, Language
from bot.i18n import Html, Translator
from bot.services.profile import SKIPPABLE, Field
from bot.services.registration import SUMMARY, Conversation, Draft, Flow, OrgType, Participant, Role
from handlers import buttons

MAX_LABEL = 40  # characters of user text shown inside a button


def shorten(text: str, limit: int = MAX_LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def language_buttons(
    tr: Translator, data: Callable[[str], str], current: Language | None = None
) -> list[InlineKeyboardButton]:
    """One button per language; ``data(language)`` is its callback data."""
    return [
        InlineKeyboardButton(
            ("✓ " if lang == current else "") + tr(lang, f"language.name.{lang}"), callback_data=data(lang)
        )
        for lang in LANGUAGES
    ]


def theme_labels(event: Event, language: Language, themes: tuple[str, ...] | list[str]) -> str:
    labels = [theme.label(language) for theme in event.themes if theme.id in themes]
    return ", ".join(labels)


def profile_lines(
    tr: Translator,
    event: Event,
    language: Language,
    values: Draft | Participant,
    exhibitor_name: str | None = None,
) -> Html:
    """The profile as others will see it, field by field (values escaped)."""
    empty = tr(language, "profile.empty")
    rows: list[tuple[str, str | None]] = [("name", values.full_name)]
    if values.role == Role.ATTENDEE:
        org_type = tr(language, f"orgtype.{values.org_type.value}") if values.org_type else None
        rows += [("organisation", values.organisation), ("orgtype", org_type)]
    if values.role == Role.EXHIBITOR and exhibitor_name:
        rows.append(("exhibitor", exhibitor_name))
    rows.append(("jobtitle", values.job_title))
    if values.role == Role.ATTENDEE:
        rows += [("themes", theme_labels(event, language, values.themes)), ("lookingfor", values.looking_for)]
    rows.append(("role", tr(language, f"role.{values.role.value}")))
    return Html(
        "\n".join(
            tr(language, "profile.line", label=tr(language, f"profile.label.{key}"), value=value or empty)
            for key, value in rows
        )
    )


def edit_buttons(
    tr: Translator, language: Language, fields: tuple[Field, ...], data: Callable[[str], str]
) -> list[list[InlineKeyboardButton]]:
    """Two edit buttons a row; ``data(field)`` is each one's callback data."""
    choices = [
        InlineKeyboardButton("✏️ " + tr(language, f"profile.label.{field.value}"), callback_data=data(field.value))
        for field in fields
    ]
    return [choices[i : i + 2] for i in range(0, len(choices), 2)]


def step_prompt(
    tr: Translator, event: Event, conversation: Conversation, exhibitor_name: str | None
) -> tuple[Html, InlineKeyboardMarkup]:
    """The question of the current step and its buttons (registration and profile editing alike)."""
    draft = conversation.draft
    language = draft.language
    step = conversation.step

    def answer(value: str) -> str:
        return buttons.STEP.data(step, value)

    rows: list[list[InlineKeyboardButton]] = []
    if step == SUMMARY:
        text = tr(language, "registration.summary", profile=profile_lines(tr, event, language, draft, exhibitor_name))
        rows = edit_buttons(tr, language, conversation.steps, lambda field: answer(f"e:{field}"))
        rows.append([InlineKeyboardButton(tr(language, "button.confirm"), callback_data=answer("confirm"))])
        rows.append([InlineKeyboardButton(tr(language, "button.back"), callback_data=answer("back"))])
        return text, InlineKeyboardMarkup(rows)
    field = Field(step)
    text = tr(language, f"registration.ask.{field.value}")
    if field == Field.NAME and draft.telegram_name and conversation.flow == Flow.REGISTER:
        rows.append(
            [
                InlineKeyboardButton(
                    tr(language, "button.keep", value=shorten(draft.telegram_name)), callback_data=answer("keep")
                )
            ]
        )
    elif field == Field.ORG_TYPE:
        for org_type in OrgType:
            mark = "✓ " if draft.org_type == org_type else ""
            rows.append(
                [
                    InlineKeyboardButton(
                        mark + tr(language, f"orgtype.{org_type.value}"), callback_data=answer(f"o:{org_type.value}")
                    )
                ]
            )
    elif field == Field.THEMES:
        for theme in event.themes:
            ticked = theme.id in draft.themes
            mark = "✅ " if ticked else "▫️ "
            # the button says which way (tick or untick), so a press handled twice is harmless
            data = answer(f"t:{theme.id}:{int(not ticked)}")
            rows.append([InlineKeyboardButton(mark + theme.label(language), callback_data=data)])
        rows.append([InlineKeyboardButton(tr(language, "button.done"), callback_data=answer("done"))])
    if field in SKIPPABLE:
        rows.append([InlineKeyboardButton(tr(language, "button.skip"), callback_data=answer("skip"))])
    if conversation.flow == Flow.PROFILE:
        current = _current_value(tr, event, draft, field)
        if current:
            text = Html(text + "\n\n" + tr(language, "profile.current", value=current))
        rows.append([InlineKeyboardButton(tr(language, "button.cancel"), callback_data=answer("back"))])
    else:
        rows.append([InlineKeyboardButton(tr(language, "button.back"), callback_data=answer("back"))])
    return text, InlineKeyboardMarkup(rows)


def _current_value(tr: Translator, event: Event, draft: Draft, field: Field) -> str | None:
    if field == Field.THEMES:
        return None  # the ticks show it
    if field == Field.ORG_TYPE:
        return tr(draft.language, f"orgtype.{draft.org_type.value}") if draft.org_type else None
    return {
        Field.NAME: draft.full_name,
        Field.ORGANISATION: draft.organisation,
        Field.JOB_TITLE: draft.job_title,
        Field.LOOKING_FOR: draft.looking_for,
    }[field]


def main_menu(tr: Translator, language: Language, organiser: bool) -> InlineKeyboardMarkup:
    rows = [
        [
            buttons.MENU.button(tr(language, "menu.exhibitors"), "exhibitors"),
            buttons.MENU.button(tr(language, "menu.suggestions"), "suggestions"),
        ],
        [
            buttons.MENU.button(tr(language, "menu.agenda"), "agenda"),
            buttons.MENU.button(tr(language, "menu.programme"), "programme"),
        ],
        [buttons.MENU.button(tr(language, "menu.search"), "search")],
        [buttons.MENU.button(tr(language, "menu.profile"), "profile")],
        [
            buttons.MENU.button(tr(language, "menu.language"), "language"),
            buttons.MENU.button(tr(language, "menu.help"), "help"),
        ],
    ]
    if organiser:
        rows.append([buttons.MENU.button(tr(language, "menu.representatives"), "reps")])
    return InlineKeyboardMarkup(rows)
