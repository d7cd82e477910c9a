"""Driving the bot the way a person does: shared steps of end-to-end tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.emulator import ChatMessage, Phone
from bot.event import Event
from bot.runtime import Services
from storage.db import Database

LABELS = {
    "fr": {
        "lang": "🇫🇷 Français",
        "accept": "✅ J'accepte",
        "skip": "Passer",
        "done": "Valider",
        "confirm": "✅ Confirmer",
    },
    "en": {"lang": "🇬🇧 English", "accept": "✅ I accept", "skip": "Skip", "done": "Done", "confirm": "✅ Confirm"},
}


def labels(phone: Phone) -> dict[str, str]:
    return LABELS["en" if (phone.language_code or "").startswith("en") else "fr"]


async def accept_consent(phone: Phone, payload: str | None = None, *, timeout: float = 5.0) -> ChatMessage:
    """/start (or a deep link), keep the prefilled language, accept the notice; returns the first question."""
    words = labels(phone)
    await (phone.open_deep_link(payload) if payload else phone.send("/start"))
    welcome = await phone.next_reply(timeout)
    await phone.press("✓ " + words["lang"], welcome)  # the prefilled language
    await phone.emulator.wait_for(lambda: words["accept"] in welcome.button_labels, timeout)  # edited into the notice
    await phone.press(words["accept"], welcome)
    return await phone.next_reply(timeout)


async def register_attendee(
    phone: Phone,
    *,
    name: str | None = None,
    organisation: str = "Ville de Roubaix",
    org_type: str | None = None,
    job_title: str | None = "Cheffe de projet",
    themes: tuple[str, ...] = ("Agriculture urbaine",),
    looking_for: str | None = "Des solutions contre le gaspillage alimentaire",
    timeout: float = 5.0,
) -> ChatMessage:
    """The whole attendee registration; returns the final message (with the main menu).

    ``timeout``: how long each answer may take (a crowd registering at once on a busy machine)."""
    words = labels(phone)
    english = words is LABELS["en"]
    question = await accept_consent(phone, timeout=timeout)
    if name is None:
        await phone.press(question.button_labels[0], question)  # keep the Telegram name
    else:
        await phone.send(name)
    await phone.next_reply(timeout)
    await phone.send(organisation)
    await phone.next_reply(timeout)
    await phone.press(org_type or ("Local authority" if english else "Collectivité locale"))
    await phone.next_reply(timeout)
    await (phone.send(job_title) if job_title else phone.press(words["skip"]))
    prompt = await phone.next_reply(timeout)
    for theme in themes:
        await phone.press("▫️ " + theme, prompt)
    await _wait_ticked(phone, prompt, themes, timeout)
    await phone.press(words["done"], prompt)
    await phone.next_reply(timeout)
    await (phone.send(looking_for) if looking_for else phone.press(words["skip"]))
    await phone.next_reply(timeout)  # the summary
    await phone.press(words["confirm"])
    return await phone.next_reply(timeout)


async def _wait_ticked(phone: Phone, prompt: ChatMessage, themes: tuple[str, ...], timeout: float = 5.0) -> None:
    await phone.emulator.wait_for(lambda: all(f"✅ {t}" in prompt.button_labels for t in themes), timeout)


async def register_representative(
    phone: Phone, invite_token: str, *, job_title: str | None = "Chargée de projets"
) -> ChatMessage:
    return await _short_registration(phone, f"x-{invite_token}", job_title)


async def register_organiser(phone: Phone, payload: str | None = None, *, job_title: str | None = None) -> ChatMessage:
    """An organiser by ORGANISER_IDS (no payload) or by an organiser invite (``o-...``)."""
    return await _short_registration(phone, payload, job_title)


async def _short_registration(phone: Phone, payload: str | None, job_title: str | None) -> ChatMessage:
    words = labels(phone)
    question = await accept_consent(phone, payload)
    await phone.press(question.button_labels[0], question)  # keep the Telegram name
    await phone.next_reply()
    await (phone.send(job_title) if job_title else phone.press(words["skip"]))
    await phone.next_reply()  # the summary
    await phone.press(words["confirm"])
    return await phone.next_reply()


async def next_with(phone: Phone, fragment: str, timeout: float = 5.0) -> ChatMessage:
    """The next new bot message containing ``fragment`` (older ones, even matching, are passed over)."""
    while True:
        message = await phone.next_reply(timeout=timeout)
        if fragment in message.content:
            return message


def services_on(db: Database, event: Event, *, clock: Callable[[], datetime] | None = None) -> Services:
    """The bot's own services on a database, built as the bot builds them (no bot running)."""
    from bot.app import build_services
    from bot.settings import load_settings

    return build_services(load_settings(require_token=False), event, db, clock=clock)
