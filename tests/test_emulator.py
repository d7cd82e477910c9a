"""The emulator is strict where Telegram is strict: each rule, tested on its own."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.emulator import FloodLimits, TelegramEmulator
from bot.telegram.html import parse_html


@pytest.fixture
async def emu() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator() as emulator:
        yield emulator


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def call(
    http: aiohttp.ClientSession, emu: TelegramEmulator, method: str, **params: Any
) -> tuple[int, dict[str, Any]]:
    async with http.post(f"{emu.base_url}{emu.token}/{method}", json=params) as resp:
        return resp.status, await resp.json()


async def started_user(emu: TelegramEmulator, language: str = "fr") -> Any:
    user = emu.user("Camille", language_code=language)
    await user.send("/start")
    return user


# ---------------------------------------------------------------- method list and parameters


async def test_get_me_describes_the_bot(emu: TelegramEmulator, http: aiohttp.ClientSession) -> None:
    status, body = await call(http, emu, "getMe")
    assert status == 200 and body["ok"] is True
    assert body["result"]["is_bot"] is True and body["result"]["username"] == emu.bot_username


async def test_a_wrong_token_is_unauthorized(emu: TelegramEmulator, http: aiohttp.ClientSession) -> None:
    async with http.post(f"{emu.base_url}123:wrong/getMe") as resp:
        assert resp.status == 401
        assert (await resp.json())["description"] == "Unauthorized"


async def test_an_unknown_method_is_not_found(emu: TelegramEmulator, http: aiohttp.ClientSession) -> None:
    status, body = await call(http, emu, "sendTelepathy", chat_id=1)
    assert status == 404 and body["ok"] is False


async def test_a_real_method_the_emulator_lacks_fails_loudly(
    emu: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    status, body = await call(http, emu, "sendPoll", chat_id=1, question="?", options=[])
    assert status == 501
    assert "not emulated" in body["description"]
    assert [c.error_code for c in emu.errors()] == [501]  # fails the test that triggered it


async def test_method_names_are_case_insensitive(emu: TelegramEmulator, http: aiohttp.ClientSession) -> None:
    status, _ = await call(http, emu, "getme")
    assert status == 200


async def test_a_missing_required_parameter_is_refused(emu: TelegramEmulator, http: aiohttp.ClientSession) -> None:
    user = await started_user(emu)
    status, body = await call(http, emu, "sendMessage", chat_id=user.id)
    assert status == 400 and "'text' is required" in body["description"]


async def test_an_unknown_parameter_is_refused(emu: TelegramEmulator, http: aiohttp.ClientSession) -> None:
    user = await started_user(emu)
    status, body = await call(http, emu, "sendMessage", chat_id=user.id, text="hi", parse_mod="HTML")
    assert status == 400 and "unknown parameter 'parse_mod'" in body["description"]


async def test_a_parameter_of_the_wrong_type_is_refused(emu: TelegramEmulator, http: aiohttp.ClientSession) -> None:
    user = await started_user(emu)
    status, body = await call(http, emu, "sendMessage", chat_id=user.id, text="hi", disable_notification="maybe")
    assert status == 400 and "Boolean" in body["description"]
    status, body = await call(http, emu, "sendMessage", chat_id=[1], text="hi")
    assert status == 400


async def test_nested_objects_are_checked_against_their_type(
    emu: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = await started_user(emu)
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a", "colour": "red"}]]}
    status, body = await call(http, emu, "sendMessage", chat_id=user.id, text="hi", reply_markup=markup)
    assert status == 400 and "colour" in body["description"]


async def test_form_encoded_values_are_coerced_like_telegram_does(
    emu: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = await started_user(emu)
    markup = json.dumps({"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]})
    data = {"chat_id": str(user.id), "text": "hi", "reply_markup": markup, "disable_notification": "true"}
    async with http.post(f"{emu.base_url}{emu.token}/sendMessage", data=data) as resp:
        assert resp.status == 200
    assert user.last_bot_message.button_labels == ["A"]


# ---------------------------------------------------------------- texts


async def test_text_of_4096_characters_passes_and_4097_is_refused(
    emu: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = await started_user(emu)
    status, _ = await call(http, emu, "sendMessage", chat_id=user.id, text="a" * 4096)
    assert status == 200
    status, body = await call(http, emu, "sendMessage", chat_id=user.id, text="a" * 4097)
    assert status == 400 and body["description"] == "Bad Request: message is too long"


async def test_length_counts_after_entity_parsing(emu: TelegramEmulator, http: aiohttp.ClientSession) -> None:
    user = await started_user(emu)
    text = "<b>" + "a" * 4090 + "</b>&amp;"
    status, _ = await call(http, emu, "sendMessage", chat_id=user.id, text=text, parse_mode="HTML")
    assert status == 200
    assert user.last_bot_message.text == "a" * 4090 + "&"


async def test_empty_text_is_refused(emu: TelegramEmulator, http: aiohttp.ClientSession) -> None:
    user = await started_user(emu)
    for text in ("", "   \n", "<b></b>"):
        status, body = await call(http, emu, "sendMessage", chat_id=user.id, text=text, parse_mode="HTML")
        assert status == 400 and "text is empty" in body["description"], text


async def test_caption_over_1024_is_refused(emu: TelegramEmulator, http: aiohttp.ClientSession) -> None:
    user = await started_user(emu)
    form = aiohttp.FormData()
    form.add_field("chat_id", str(user.id))
    form.add_field("caption", "c" * 1025)
    form.add_field("document", b"a;b\n1;2\n", filename="x.csv", content_type="text/csv")
    async with http.post(f"{emu.base_url}{emu.token}/sendDocument", data=form) as resp:
        assert resp.status == 400
        assert "caption is too long" in (await resp.json())["description"]


@pytest.mark.parametrize(
    "text",
    [
        "<marquee>hi</marquee>",  # a tag Telegram does not support
        "<b>unclosed",
        "<b>crossed <i>tags</b></i>",
        "1 < 2",  # a bare <
        "Fish & chips",  # a bare &
        "&nbsp;",  # an entity Telegram does not know
        '<span class="red">x</span>',
    ],
)
async def test_bad_html_cannot_be_parsed(emu: TelegramEmulator, http: aiohttp.ClientSession, text: str) -> None:
    user = await started_user(emu)
    status, body = await call(http, emu, "sendMessage", chat_id=user.id, text=text, parse_mode="HTML")
    assert status == 400
    assert body["description"].startswith("Bad Request: can't parse entities")


async def test_supported_html_is_rendered_with_entities() -> None:
    parsed = parse_html('<b>Bold</b> &lt;3 <a href="https://example.org/?a=1&amp;b=2">link</a> 🌱<i>x</i>')
    assert parsed.text == "Bold <3 link 🌱x"
    assert {"type": "bold", "offset": 0, "length": 4} in parsed.entities
    assert {"type": "text_link", "offset": 8, "length": 4, "url": "https://example.org/?a=1&b=2"} in parsed.entities
    # offsets are in UTF-16 code units: the emoji counts for two
    assert {"type": "italic", "offset": 15, "length": 1} in parsed.entities


async def test_without_parse_mode_html_is_plain_text(emu: TelegramEmulator, http: aiohttp.ClientSession) -> None:
    user = await started_user(emu)
    status, _ = await call(http, emu, "sendMessage", chat_id=user.id, text="1 < 2 & <b>")
    assert status == 200
    assert user.last_bot_message.text == "1 < 2 & <b>"


# ---------------------------------------------------------------- keyboards


def keyboard(*rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"inline_keyboard": list(rows)}


async def test_callback_data_is_limited_to_64_bytes(emu: TelegramEmulator, http: aiohttp.ClientSession) -> None:
    user = await started_user(emu)
    ok = keyboard([{"text": "ok", "callback_data": "é" * 32}])  # 64 bytes
    status, _ = await call(http, emu, "sendMessage", chat_id=user.id, text="x", reply_markup=ok)
    assert status == 200
    too_long = keyboard([{"text": "no", "callback_data": "é" * 32 + "a"}])  # 65 bytes
    status, body = await call(http, emu, "sendMessage", chat_id=user.id, text="x", reply_markup=too_long)
    assert status == 400 and body["description"] == "Bad Request: BUTTON_DATA_INVALID"


@pytest.mark.parametrize(
    "markup",
    [
        keyboard([{"text": "two kinds", "callback_data": "a", "url": "https://example.org"}]),
        keyboard([{"text": "no kind"}]),
        keyboard([{"text": "", "callback_data": "a"}]),
        keyboard([{"text": str(i), "callback_data": str(i)} for i in range(9)]),
        keyboard(*[[{"text": str(i), "callback_data": str(i)}] for i in range(101)]),
        keyboard([{"text": "bad url", "url": "javascript:alert(1)"}]),
        {"inline_keyboard": [{"text": "row is not a list", "callback_data": "a"}]},
    ],
)
async def test_keyboard_shapes_telegram_refuses(
    emu: TelegramEmulator, http: aiohttp.ClientSession, markup: dict[str, Any]
) -> None:
    user = await started_user(emu)
    status, _ = await call(http, emu, "sendMessage", chat_id=user.id, text="x", reply_markup=markup)
    assert status == 400


# ---------------------------------------------------------------- edits, callbacks


async def test_an_edit_to_identical_content_is_not_modified(emu: TelegramEmulator, http: aiohttp.ClientSession) -> None:
    user = await started_user(emu)
    _, sent = await call(http, emu, "sendMessage", chat_id=user.id, text="<b>Hi</b>", parse_mode="HTML")
    message_id = sent["result"]["message_id"]
    status, body = await call(
        http, emu, "editMessageText", chat_id=user.id, message_id=message_id, text="<b>Hi</b>", parse_mode="HTML"
    )
    assert status == 400 and body["description"].startswith("Bad Request: message is not modified")
    status, _ = await call(http, emu, "editMessageText", chat_id=user.id, message_id=message_id, text="Hi")
    assert status == 200  # the same letters without bold is a change
    assert user.last_bot_message.text == "Hi" and user.last_bot_message.entities == []
    status, _ = await call(
        http, emu, "editMessageReplyMarkup", chat_id=user.id, message_id=message_id, reply_markup=keyboard()
    )
    assert status == 400  # no keyboard before, none after


async def test_editing_a_missing_message_is_refused(emu: TelegramEmulator, http: aiohttp.ClientSession) -> None:
    user = await started_user(emu)
    status, body = await call(http, emu, "editMessageText", chat_id=user.id, message_id=999, text="x")
    assert status == 400 and "message to edit not found" in body["description"]
    # the user's own /start message is not the bot's to edit
    status, _ = await call(http, emu, "editMessageText", chat_id=user.id, message_id=1, text="x")
    assert status == 400


async def test_a_callback_query_can_be_answered_once(emu: TelegramEmulator, http: aiohttp.ClientSession) -> None:
    user = await started_user(emu)
    await call(
        http,
        emu,
        "sendMessage",
        chat_id=user.id,
        text="x",
        reply_markup=keyboard([{"text": "Go", "callback_data": "go"}]),
    )
    query_id = await user.press("Go")
    status, _ = await call(http, emu, "answerCallbackQuery", callback_query_id=query_id, text="done")
    assert status == 200
    assert await user.callback_answer(query_id) == {"text": "done"}
    status, body = await call(http, emu, "answerCallbackQuery", callback_query_id=query_id)
    assert status == 400 and "query is too old" in body["description"]


async def test_deleted_messages_disappear_from_the_chat(emu: TelegramEmulator, http: aiohttp.ClientSession) -> None:
    user = await started_user(emu)
    _, sent = await call(http, emu, "sendMessage", chat_id=user.id, text="soon gone")
    status, _ = await call(http, emu, "deleteMessage", chat_id=user.id, message_id=sent["result"]["message_id"])
    assert status == 200
    assert all(m.content != "soon gone" for m in user.messages)
    status, _ = await call(http, emu, "deleteMessage", chat_id=user.id, message_id=sent["result"]["message_id"])
    assert status == 400


# ---------------------------------------------------------------- users who cannot be reached


async def test_a_user_who_blocked_the_bot_is_forbidden(emu: TelegramEmulator, http: aiohttp.ClientSession) -> None:
    user = await started_user(emu)
    await user.block()
    status, body = await call(http, emu, "sendMessage", chat_id=user.id, text="hello?")
    assert status == 403 and body["description"] == "Forbidden: bot was blocked by the user"
    await user.unblock()
    status, _ = await call(http, emu, "sendMessage", chat_id=user.id, text="hello again")
    assert status == 200


async def test_a_user_who_never_started_the_bot_cannot_be_written_to(
    emu: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    stranger = emu.user("Stranger")
    status, body = await call(http, emu, "sendMessage", chat_id=stranger.id, text="hi")
    assert status == 403 and body["description"] == "Forbidden: bot can't initiate conversation with a user"
    status, body = await call(http, emu, "sendMessage", chat_id=424242, text="hi")
    assert status == 400 and body["description"] == "Bad Request: chat not found"


async def test_block_and_unblock_emit_my_chat_member(emu: TelegramEmulator, http: aiohttp.ClientSession) -> None:
    user = await started_user(emu)
    await user.block()
    await user.unblock()
    _, body = await call(http, emu, "getUpdates", offset=0)
    changes = [u["my_chat_member"] for u in body["result"] if "my_chat_member" in u]
    assert [(c["old_chat_member"]["status"], c["new_chat_member"]["status"]) for c in changes] == [
        ("member", "kicked"),
        ("kicked", "member"),
    ]
    assert changes[0]["new_chat_member"]["user"]["id"] == emu.bot_id


# ---------------------------------------------------------------- flood control and latency


async def test_per_chat_flood_limit_answers_429_with_retry_after(http: aiohttp.ClientSession) -> None:
    async with TelegramEmulator(flood=FloodLimits(per_chat_per_second=1)) as emu:
        user = await started_user(emu)
        other = emu.user("Other")
        await other.send("/start")
        status, _ = await call(http, emu, "sendMessage", chat_id=user.id, text="1")
        assert status == 200
        status, body = await call(http, emu, "sendMessage", chat_id=user.id, text="2")
        assert status == 429 and body["parameters"]["retry_after"] >= 1
        status, _ = await call(http, emu, "sendMessage", chat_id=other.id, text="1")
        assert status == 200  # another chat is not affected


async def test_global_flood_limit(http: aiohttp.ClientSession) -> None:
    async with TelegramEmulator(flood=FloodLimits(global_per_second=30)) as emu:
        users = [emu.user(f"U{i}") for i in range(31)]
        for user in users:
            await user.send("/start")
        statuses = [(await call(http, emu, "sendMessage", chat_id=u.id, text="hi"))[0] for u in users]
        assert statuses[:30] == [200] * 30
        assert statuses[30] == 429


async def test_replies_in_a_conversation_are_not_bulk(http: aiohttp.ClientSession) -> None:
    async with TelegramEmulator(
        flood=FloodLimits(global_per_second=2, per_chat_per_second=1, replies_exempt_for=10)
    ) as emu:
        talking = emu.user("Talking")
        await talking.send("/start")
        quiet = [emu.user(f"Quiet{i}", started=True) for i in range(3)]
        statuses = [(await call(http, emu, "sendMessage", chat_id=u.id, text="news"))[0] for u in quiet]
        assert statuses == [200, 200, 429]  # the bulk budget is spent...
        replies = [(await call(http, emu, "sendMessage", chat_id=talking.id, text=f"{n}"))[0] for n in range(3)]
        assert replies == [200, 200, 200]  # ...but someone who just wrote is answered, in a burst


async def test_keyboards_telegram_would_refuse_are_refused(emu: TelegramEmulator, http: aiohttp.ClientSession) -> None:
    user = await started_user(emu)
    button = {"text": "x", "callback_data": "x"}
    cases = [
        {"inline_keyboard": [[button]] * 101},  # more than 100 buttons
        {"inline_keyboard": [[button] * 9]},  # more than 8 in a row
        {"force_reply": True, "input_field_placeholder": "p" * 65},
        {"keyboard": [[{"text": "a"}]], "input_field_placeholder": ""},
    ]
    for markup in cases:
        status, _ = await call(http, emu, "sendMessage", chat_id=user.id, text="hi", reply_markup=json.dumps(markup))
        assert status == 400, markup
    status, _ = await call(
        http,
        emu,
        "sendMessage",
        chat_id=user.id,
        text="hi",
        reply_markup=json.dumps({"force_reply": True, "input_field_placeholder": "p" * 64}),
    )
    assert status == 200


async def test_the_strict_reading_counts_replies_towards_the_global_limit(http: aiohttp.ClientSession) -> None:
    async with TelegramEmulator(
        flood=FloodLimits(global_per_second=2, per_chat_per_second=1, replies_exempt_for=10, replies_count=True)
    ) as emu:
        talking = emu.user("Talking")
        await talking.send("/start")
        replies = [(await call(http, emu, "sendMessage", chat_id=talking.id, text=f"{n}"))[0] for n in range(3)]
        assert replies == [200, 200, 429]  # answers in a burst in one chat, but within the 2 a second
        quiet = emu.user("Quiet", started=True)
        status, body = await call(http, emu, "sendMessage", chat_id=quiet.id, text="news")
        assert status == 429 and body["parameters"]["retry_after"] >= 1  # the answers used the budget


async def test_latency_is_added_to_every_call(http: aiohttp.ClientSession) -> None:
    async with TelegramEmulator(latency=0.05) as emu:
        start = time.perf_counter()
        await asyncio.gather(*(call(http, emu, "getMe") for _ in range(20)))
        elapsed = time.perf_counter() - start
        assert 0.05 <= elapsed < 1.0  # concurrent calls overlap; each waits its round trip


# ---------------------------------------------------------------- updates


async def test_get_updates_long_polls_and_confirms_with_offset(
    emu: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = emu.user("Camille")
    poll = asyncio.create_task(call(http, emu, "getUpdates", timeout=5))
    await asyncio.sleep(0.1)
    assert not poll.done()
    await user.send("/start")
    _, body = await asyncio.wait_for(poll, 2)
    [update] = body["result"]
    assert update["message"]["text"] == "/start"
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    _, again = await call(http, emu, "getUpdates")
    assert again["result"] == [update]  # not confirmed yet
    _, after = await call(http, emu, "getUpdates", offset=update["update_id"] + 1)
    assert after["result"] == []


async def test_two_concurrent_pollers_conflict(emu: TelegramEmulator, http: aiohttp.ClientSession) -> None:
    first = asyncio.create_task(call(http, emu, "getUpdates", timeout=5))
    await asyncio.sleep(0.1)
    second = asyncio.create_task(call(http, emu, "getUpdates", timeout=1))
    status, body = await asyncio.wait_for(first, 2)
    assert status == 409 and "terminated by other getUpdates request" in body["description"]
    second.cancel()


async def test_deep_links_arrive_as_start_with_a_payload(emu: TelegramEmulator, http: aiohttp.ClientSession) -> None:
    user = emu.user("Camille")
    await user.open_deep_link("e-disco-soupe")
    _, body = await call(http, emu, "getUpdates")
    assert body["result"][0]["message"]["text"] == "/start e-disco-soupe"


async def test_press_finds_buttons_by_label_and_refuses_missing_ones(
    emu: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = await started_user(emu)
    await call(
        http,
        emu,
        "sendMessage",
        chat_id=user.id,
        text="x",
        reply_markup=keyboard([{"text": "Yes", "callback_data": "y"}]),
    )
    with pytest.raises(LookupError):
        await user.press("No")
    await user.press("Yes")
    _, body = await call(http, emu, "getUpdates")
    [query] = [u["callback_query"] for u in body["result"] if "callback_query" in u]
    assert query["data"] == "y" and query["message"]["text"] == "x"


async def test_reply_keyboards_can_be_tapped(emu: TelegramEmulator, http: aiohttp.ClientSession) -> None:
    user = await started_user(emu)
    markup = {"keyboard": [[{"text": "Ville"}, {"text": "Bailleur"}]], "one_time_keyboard": True}
    await call(http, emu, "sendMessage", chat_id=user.id, text="Type ?", reply_markup=markup)
    assert user.reply_keyboard == [["Ville", "Bailleur"]]
    await user.tap_keyboard("Bailleur")
    with pytest.raises(LookupError):
        await user.tap_keyboard("Entreprise")
    await call(http, emu, "sendMessage", chat_id=user.id, text="ok", reply_markup={"remove_keyboard": True})
    assert user.reply_keyboard is None


async def test_uploaded_documents_can_be_downloaded_by_the_bot(
    emu: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = await started_user(emu)
    content = "nom;thèmes\nDisco Soupe;circular-economy\n".encode("cp1252")
    await user.upload("exposants.csv", content)
    _, body = await call(http, emu, "getUpdates")
    document = body["result"][-1]["message"]["document"]
    _, file_info = await call(http, emu, "getFile", file_id=document["file_id"])
    async with http.get(f"{emu.base_file_url}{emu.token}/{file_info['result']['file_path']}") as resp:
        assert await resp.read() == content


async def test_sent_documents_and_photos_reach_the_chat(emu: TelegramEmulator, http: aiohttp.ClientSession) -> None:
    user = await started_user(emu)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + (64).to_bytes(4, "big") + (32).to_bytes(4, "big") + b"\x08\x02"
    form = aiohttp.FormData()
    form.add_field("chat_id", str(user.id))
    form.add_field("photo", png, filename="chart.png", content_type="image/png")
    async with http.post(f"{emu.base_url}{emu.token}/sendPhoto", data=form) as resp:
        body = await resp.json()
    assert body["result"]["photo"][0]["width"] == 64
    assert user.last_bot_message.photo.content == png
    form = aiohttp.FormData()
    form.add_field("chat_id", str(user.id))
    form.add_field("photo", b"not an image", filename="x.png", content_type="image/png")
    async with http.post(f"{emu.base_url}{emu.token}/sendPhoto", data=form) as resp:
        assert resp.status == 400


async def test_bot_commands_are_validated(emu: TelegramEmulator, http: aiohttp.ClientSession) -> None:
    good = [{"command": "start", "description": "Accueil"}]
    status, _ = await call(http, emu, "setMyCommands", commands=good, language_code="fr")
    assert status == 200
    status, _ = await call(http, emu, "setMyCommands", commands=[{"command": "Start!", "description": "x"}])
    assert status == 400
    _, body = await call(http, emu, "getMyCommands", language_code="fr")
    assert body["result"] == good


async def test_chat_actions_are_validated(emu: TelegramEmulator, http: aiohttp.ClientSession) -> None:
    user = await started_user(emu)
    assert (await call(http, emu, "sendChatAction", chat_id=user.id, action="typing"))[0] == 200
    assert (await call(http, emu, "sendChatAction", chat_id=user.id, action="dancing"))[0] == 400


async def test_webhooks_are_delivered_with_the_secret_token(emu: TelegramEmulator, http: aiohttp.ClientSession) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        status, body = await call(http, emu, "setWebhook", url="http://example.org/hook", secret_token="s3cret")
        assert status == 400 and "HTTPS" in body["description"]
        status, _ = await call(http, emu, "setWebhook", url=f"http://127.0.0.1:{port}/hook", secret_token="s3cret")
        assert status == 200
        status, _ = await call(http, emu, "getUpdates")
        assert status == 409  # no polling while a webhook is set
        user = emu.user("Camille")
        await user.send("/start")
        for _ in range(50):
            if received:
                break
            await asyncio.sleep(0.02)
        assert received[0][0] == "s3cret"
        assert received[0][1]["message"]["text"] == "/start"
    finally:
        await call(http, emu, "deleteWebhook")
        await runner.cleanup()
