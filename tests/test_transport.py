"""bot/telegram/transport.py against servers on loopback: each status code's exception, each timeout on its own
(pool, connect, write, read), a slow but steady download, and error texts with their cause and
without the token."""

from __future__ import annotations

import ast
import asyncio
import json
import logging
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
from aiohttp import web
from telegram import InputFile
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.request import RequestData

from bot.emulator import TelegramEmulator
from bot.telegram.transport import AiohttpRequest, NotSent, without_token
from tests.conftest import ROOT, BotRunner
from tests.test_broadcast_load import TEXT, broadcasts_received, populate

TOKEN = "123456789:SECRET-token-part-0123456789abcdef"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@asynccontextmanager
async def serving(handler: Handler) -> AsyncIterator[str]:
    """An HTTP server on loopback answering every path with ``handler``; yields a bot URL on it."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/bot{TOKEN}/sendMessage"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def transport(**options: float) -> AsyncIterator[AiohttpRequest]:
    request = AiohttpRequest(**options)  # type: ignore[arg-type]
    await request.initialize()
    try:
        yield request
    finally:
        await request.shutdown()


def telegram_error(code: int, description: str, **parameters: int) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        body: dict[str, object] = {"ok": False, "error_code": code, "description": description}
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=code)

    return handler


MESSAGE = RequestData()


@pytest.mark.parametrize(
    ("code", "description", "parameters", "expected"),
    [
        (400, "Bad Request: chat not found", {}, BadRequest),
        (401, "Unauthorized", {}, InvalidToken),
        (403, "Forbidden: bot was blocked by the user", {}, Forbidden),
        (404, "Not Found", {}, InvalidToken),
        (409, "Conflict: terminated by other getUpdates request", {}, Conflict),
        (429, "Too Many Requests: retry after 7", {"retry_after": 7}, RetryAfter),
        (400, "Bad Request: group chat was upgraded", {"migrate_to_chat_id": -1001}, ChatMigrated),
        (502, "Bad Gateway", {}, NetworkError),
        (500, "Internal Server Error", {}, NetworkError),
    ],
)
async def test_each_status_becomes_ptbs_exception(
    code: int, description: str, parameters: dict[str, int], expected: type[Exception]
) -> None:
    async with serving(telegram_error(code, description, **parameters)) as url, transport() as request:
        with pytest.raises(expected) as caught:
            await request.post(url, MESSAGE)
    if expected is RetryAfter:
        assert caught.value.retry_after in (7, 7.0) or caught.value.retry_after.total_seconds() == 7  # type: ignore[attr-defined]
    if expected is ChatMigrated:
        assert caught.value.new_chat_id == -1001  # type: ignore[attr-defined]
    assert TOKEN not in str(caught.value)


async def test_a_call_that_waits_too_long_for_a_connection_is_not_sent() -> None:
    received: list[float] = []

    async def slow(request: web.Request) -> web.Response:
        received.append(time.monotonic())
        await asyncio.sleep(1.0)
        return web.json_response({"ok": True, "result": True})

    async with serving(slow) as url, transport(connection_limit=1, pool_timeout=0.1) as request:
        first = asyncio.create_task(request.post(url, MESSAGE))
        await asyncio.sleep(0.1)
        started = time.monotonic()
        with pytest.raises(NotSent, match="not sent") as caught:
            await request.post(url, MESSAGE)
        assert isinstance(caught.value, TimedOut)
        assert 0.08 < time.monotonic() - started < 0.6
        assert len(received) == 1  # nothing of the second call reached the server
        assert await first is True
        assert await request.post(url, MESSAGE) is True  # once a connection is free, it goes
        assert len(received) == 2


async def test_the_read_timeout_applies_between_chunks_not_to_the_whole_answer() -> None:
    """3.6 s of an answer arriving steadily, every timeout at 1 s: it completes."""

    async def steady(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        body = json.dumps({"ok": True, "result": "x" * 1200}).encode()
        pieces = [body[i : i + 100] for i in range(0, len(body), 100)]
        for piece in pieces:
            await asyncio.sleep(3.6 / len(pieces))
            await response.write(piece)
        await response.write_eof()
        return response

    async with serving(steady) as url, transport(read_timeout=1, write_timeout=1, connect_timeout=1) as request:
        started = time.monotonic()
        assert await request.post(url, MESSAGE) == "x" * 1200
        assert time.monotonic() - started > 3.5


async def test_a_silent_server_is_a_read_timeout() -> None:
    async def silent(request: web.Request) -> web.Response:
        await asyncio.sleep(10)
        raise AssertionError("unreachable")

    async with serving(silent) as url, transport(read_timeout=0.3, write_timeout=5, connect_timeout=5) as request:
        started = time.monotonic()
        with pytest.raises(TimedOut, match="read timeout") as caught:
            await request.post(url, MESSAGE)
        assert not isinstance(caught.value, NotSent)  # it was sent: it may have been delivered
        assert time.monotonic() - started < 2


@pytest.mark.parametrize("per_call", [True, False], ids=["the call's write timeout", "the default"])
@pytest.mark.parametrize("body", ["an upload", "a JSON body"])
async def test_a_stalled_request_body_is_a_write_timeout(body: str, per_call: bool) -> None:
    """A server that takes the connection and never reads: a 32 MB upload, or a JSON call as large,
    stalls once the buffers fill. The write timeout bounds every body, files or not (as PTB's
    BaseRequest documents it): the one given to the call, or else the transport's own."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    accepted: list[socket.socket] = []

    async def accept() -> None:
        loop = asyncio.get_running_loop()
        while True:
            connection, _ = await loop.sock_accept(listener)
            accepted.append(connection)  # held open, never read

    acceptor = asyncio.create_task(accept())
    port = listener.getsockname()[1]
    if body == "an upload":
        big = InputFile(b"\0" * (32 * 1024 * 1024), filename="big.bin", attach=True)
        method, data = "sendDocument", _with_file(big)
    else:
        method, data = "sendMessage", _json_call(chat_id=1, text="x" * (32 * 1024 * 1024))
    timeouts = {"write_timeout": 0.5} if per_call else {}
    try:
        async with transport(
            read_timeout=5, write_timeout=5 if per_call else 0.5, connect_timeout=5, media_write_timeout=0.5
        ) as request:
            started = time.monotonic()
            with pytest.raises(TimedOut, match="write timeout"):
                await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/{method}", data, **timeouts)
            assert time.monotonic() - started < 4
    finally:
        acceptor.cancel()
        for connection in accepted:
            connection.close()
        listener.close()


def _json_call(**parameters: object) -> RequestData:
    from telegram.request._requestparameter import RequestParameter  # test-only: PTB's own request data

    return RequestData([RequestParameter.from_input(name, value) for name, value in parameters.items()])


def _with_file(file: InputFile) -> RequestData:
    from telegram.request._requestparameter import RequestParameter  # test-only: builds PTB's own upload

    return RequestData([RequestParameter.from_input("chat_id", 1), RequestParameter.from_input("document", file)])


async def test_a_server_that_never_accepts_is_a_connect_timeout() -> None:
    """A listening socket whose accept queue is full: the kernel drops further connection attempts."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(4):  # fill the accept queue (Linux keeps backlog + 1)
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    await asyncio.sleep(0.2)
    try:
        async with transport(read_timeout=5, write_timeout=5, connect_timeout=0.5) as request:
            started = time.monotonic()
            with pytest.raises(TimedOut, match="connect timeout"):
                await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/sendMessage", MESSAGE)
            assert time.monotonic() - started < 3
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


async def test_a_refused_connection_says_so_without_the_token() -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there any more
    async with transport() as request:
        with pytest.raises(NetworkError) as caught:
            await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/sendMessage", MESSAGE)
    text = str(caught.value)
    assert "ClientConnectorError" in text and f"127.0.0.1:{port}" in text and "onnect" in text.split(":", 1)[1]
    assert TOKEN not in text and "SECRET" not in text


def test_an_error_text_that_quotes_the_url_loses_the_token() -> None:
    url = f"https://api.telegram.org/bot{TOKEN}/sendDocument"
    text = without_token(f"Can not write request body for {url}", url)
    assert text == "Can not write request body for https://api.telegram.org/bot<token>/sendDocument"
    file_url = f"https://api.telegram.org/file/bot{TOKEN}/documents/file_1.csv"
    assert TOKEN not in without_token(f"failed: {file_url}", file_url)


def test_the_transport_imports_nothing_private_from_ptb_at_run_time() -> None:
    tree = ast.parse((ROOT / "bot" / "telegram" / "transport.py").read_text())
    guarded = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
        for statement in block.body
        for node in ast.walk(statement)
    }
    private = [
        ast.unparse(node)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and "._" in (node.module or "") and id(node) not in guarded
    ]
    assert private == []


async def test_a_broadcast_short_of_connections_retries_what_was_not_sent_and_sends_nothing_twice(
    emulator: TelegramEmulator, runner: BotRunner, caplog: pytest.LogCaptureFixture
) -> None:
    """Two connections, each call taking 0.3 s, the outbox keeping four on their way: calls wait too
    long for a connection and give up unsent; the outbox sends them again, and everyone gets one."""
    caplog.set_level(logging.INFO, logger="bot.jobs.outbox")
    services = await runner.start(telegram_connections=2, telegram_pool_timeout=0.05)
    recipients = await populate(services.db, emulator, 100_000, 24)
    emulator.latency = 0.3
    author = await services.registration.participant(100_000)
    assert author is not None
    await services.broadcasts.announce(author, TEXT, "all", None)
    await emulator.wait_for(lambda: all(broadcasts_received(p) >= 1 for p in recipients), timeout=30)
    await asyncio.sleep(1.0)  # a duplicate would show by now
    assert [broadcasts_received(p) for p in recipients] == [1] * len(recipients)
    assert sum("not sent: again shortly" in r.getMessage() for r in caplog.records) >= 3
    progress = await services.broadcasts.progress(1)
    assert progress.sent == len(recipients) and progress.failed == 0
