"""The webhook endpoint: Telegram's POSTs, checked before anything is read.

PTB's own webhook server reads the whole body before looking at it, answers malformed
JSON with a 500 and logs every update in full at DEBUG. This one checks the secret
header first, refuses a body over 1 MB without reading it, answers malformed JSON
with a 400, and hands each update to the application's queue.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.telegram.inbox import InboxQueue

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024  # Telegram's updates are a few kilobytes


class WebhookServer:
    def __init__(
        self, application: Application[Any, Any, Any, Any, Any, Any], path: str, secret: str, listen: str, port: int
    ) -> None:
        self._application = application
        self._path = "/" + path.strip("/")
        self._secret = secret.encode()
        self._listen = listen
        self._port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post(self._path, self._receive)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._listen, self._port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        # the header's bytes as they came: aiohttp keeps bytes that are not UTF-8 as surrogates
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, self._secret):
            return _refuse(403, "wrong secret token")
        if request.content_length is not None and request.content_length > MAX_BODY:
            return _refuse(413, "body too large")
        try:
            body = await _read_at_most(request, MAX_BODY)
        except ValueError:
            return _refuse(413, "body too large")
        try:
            data = json.loads(body)
            update = Update.de_json(data, self._application.bot) if isinstance(data, dict) else None
        except Exception:  # malformed JSON or not an update: the sender's mistake
            update = None
        if update is None:
            log.warning("webhook: a request with the right secret but no update in it (%d bytes)", len(body))
            return web.json_response({"ok": False, "description": "not a Telegram update"}, status=400)
        queue = self._application.update_queue
        await queue.put(update)
        if isinstance(queue, InboxQueue):
            await queue.kept()  # in the database before the 200; if not, Telegram sends it again
        return web.json_response({"ok": True})


async def _read_at_most(request: web.Request, limit: int) -> bytes:
    """The body, in chunks; ValueError as soon as it passes ``limit`` (chunked bodies have no length)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise ValueError("body too large")
        chunks.append(chunk)
    return b"".join(chunks)


def _refuse(status: int, reason: str) -> web.Response:
    response = web.json_response({"ok": False, "description": reason}, status=status)
    response.force_close()  # whatever body was announced stays unread
    return response
