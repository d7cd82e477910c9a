"""Button families: each one's callback data matches the pattern its handler is registered with."""

from __future__ import annotations

import re

import pytest
from telegram.ext import CallbackQueryHandler

from bot.app import build_application, build_services
from bot.event import load_event
from bot.settings import load_settings
from handlers import buttons
from tests.conftest import ROOT
from tests.stores import TestStore

FAMILIES = {name: f for name, f in vars(buttons).items() if isinstance(f, buttons.Family)}


def test_a_button_that_its_handler_would_never_see_cannot_be_built() -> None:
    assert buttons.CARD.data(7) == "dir:e:7"
    assert buttons.CARD.data(7, "food", 2) == "dir:e:7:food:2"
    assert buttons.BLOCK.data(3, "ok:all") == "blk:3:ok:all"
    for bad in (
        lambda: buttons.CARD.data(7, "food"),
        lambda: buttons.ACCEPT.data("x"),
        lambda: buttons.MENU.data("bar"),
    ):
        with pytest.raises(ValueError):
            bad()


async def test_every_family_has_a_handler_and_every_handler_an_anchored_pattern(store: TestStore) -> None:
    settings = load_settings(telegram_bot_token="123456:" + "A" * 35, database_url=store.url, _env_file=None)
    async with store.open() as db:
        application = build_application(build_services(settings, load_event(ROOT / "examples" / "event.toml"), db))
    patterns = {
        h.pattern.pattern
        for group in application.handlers.values()
        for h in group
        if isinstance(h, CallbackQueryHandler) and isinstance(h.pattern, re.Pattern)
    }
    assert all(p.startswith("^") and p.endswith("$") for p in patterns), patterns
    orphans = [name for name, f in FAMILIES.items() if f.pattern not in patterns]
    assert not orphans, f"button families no handler answers: {orphans}"
    assert len({f.prefix for f in FAMILIES.values()}) >= len(FAMILIES) - 2  # prefixes are not reused by accident
