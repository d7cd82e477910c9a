"""A strict, local Telegram Bot API server for tests, benchmarks and the sandbox.

The real bot talks to it over HTTP exactly as it talks to Telegram (``base_url``).
Tests talk to it through :class:`~bot.emulator.phone.Phone` objects that act as users
on their phones. Wherever Telegram refuses a call, the emulator refuses it the same
way, so a green test means Telegram would have accepted the bot's calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import itertools
import json
import logging
import math
import re
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from aiohttp import BodyPartReader, ClientSession, ClientTimeout, web

from bot.emulator.phone import ChatMessage, Phone
from bot.emulator.spec import BotApiSpec, SpecError, UploadedFile, load_spec
from bot.telegram.html import EntityParseError, parse_html, utf16_len

log = logging.getLogger(__name__)
_current_request: contextvars.ContextVar[web.Request] = contextvars.ContextVar("emulator_request")

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_BUTTONS_PER_ROW = 8
MAX_INLINE_BUTTONS = 100
MAX_PLACEHOLDER = 64  # input_field_placeholder of ForceReply and reply keyboards
MAX_CALLBACK_ANSWER = 200
DEFAULT_ALLOWED_UPDATES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "callback_query",
        "inline_query",
        "chosen_inline_result",
        "my_chat_member",
        "pre_checkout_query",
        "shipping_query",
        "poll",
        "poll_answer",
        "chat_join_request",
    }
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
# Methods that count towards Telegram's flood limits
SENDING_METHODS = frozenset(
    {"sendMessage", "sendDocument", "sendPhoto", "sendMediaGroup", "sendSticker", "copyMessage", "forwardMessage"}
)
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)
_COMMAND_NAME_RE = re.compile(r"[a-z0-9_]{1,32}")
_SECRET_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
_USER_COMMAND_RE = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{5,32})?")


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


def bad_request(description: str) -> ApiError:
    if not description.startswith("Bad Request"):
        description = f"Bad Request: {description}"
    return ApiError(400, description)


@dataclass
class FloodLimits:
    """Telegram's rate limits; ``None`` switches a limit off."""

    global_per_second: int | None = None
    per_chat_per_second: int | None = None
    # Telegram's FAQ puts its limits on bulk notifications (and allows short bursts in a chat):
    # with this set, a message to a user who wrote to the bot (message or button) within these
    # seconds is a reply, and neither limit applies to it nor counts it
    replies_exempt_for: float | None = None
    # the strict reading: replies are exempt from the per-chat limit only, and count towards the
    # global one like every other message (Telegram does not say which reading it applies)
    replies_count: bool = False


# Telegram's limits as its FAQ describes them: about 30 bulk messages a second, one a second
# per chat; replies in a conversation are not bulk
TELEGRAM_LIMITS = FloodLimits(global_per_second=30, per_chat_per_second=1, replies_exempt_for=10)
# Every message counts towards the 30 a second, replies included: the bot must hold under both readings
TELEGRAM_LIMITS_STRICT = FloodLimits(
    global_per_second=30, per_chat_per_second=1, replies_exempt_for=10, replies_count=True
)


@dataclass
class ApiCall:
    method: str
    params: dict[str, Any]
    ok: bool
    error_code: int | None
    description: str | None
    received_at: float  # time.monotonic()


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    content: bytes
    file_name: str | None
    mime_type: str | None

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass
class _Callback:
    query_id: str
    user_id: int
    message: ChatMessage | None
    data: str
    answered: bool = False
    answer: dict[str, Any] | None = None


@dataclass
class _UserState:
    phone: Phone
    started: bool = False
    blocked: bool = False


@dataclass
class _Webhook:
    url: str
    secret_token: str | None
    allowed_updates: frozenset[str]


@dataclass
class _Poll:
    request: web.Request
    future: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())

    def abandoned(self) -> bool:
        transport = self.request.transport
        return transport is None or transport.is_closing()


class TelegramEmulator:
    """A Bot API server on loopback.

    >>> async with TelegramEmulator() as emu:   # doctest: +SKIP
    ...     app = Application.builder().token(emu.token).base_url(emu.base_url).build()
    ...     alice = emu.user(first_name="Alice", language_code="fr")
    ...     await alice.send("/start")
    ...     reply = await alice.next_reply()
    """

    def __init__(
        self,
        *,
        token: str = "123456789:EMULATOR-test-token-0123456789abcdef",
        bot_username: str = "maillage_test_bot",
        bot_first_name: str = "Maillage",
        latency: float = 0.0,
        flood: FloodLimits | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        spec: BotApiSpec | None = None,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.latency = latency
        self.flood = flood or FloodLimits()
        self.host = host
        self.port = port
        self.spec = spec or load_spec()
        self.calls: list[ApiCall] = []
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self._users: dict[int, _UserState] = {}
        self._updates: deque[dict[str, Any]] = deque()
        self._next_update_id = 1
        self._allowed_updates = DEFAULT_ALLOWED_UPDATES
        self._callbacks: dict[str, _Callback] = {}
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._user_ids = itertools.count(1_000_001)
        self._changed = asyncio.Condition()
        self._new_update = asyncio.Event()
        self._poll: _Poll | None = None
        self._webhook: _Webhook | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._webhook_wakeup = asyncio.Event()
        self._global_sends: deque[float] = deque()
        self._chat_sends: dict[int, deque[float]] = {}
        self._last_heard: dict[int, float] = {}  # user id -> when they last wrote or pressed
        self._runner: web.AppRunner | None = None
        # called with (phone, "bot" | "user" | "blocked") whenever what a user sees changes
        self.listeners: list[Callable[[Phone, str], None]] = []
        # awaited after a call succeeded, before the bot hears so: a test holds Telegram's answer there
        # (the message is on the phone, the bot does not know it yet)
        self.before_answering: Callable[[str, dict[str, Any]], Awaitable[None]] | None = None
        self._closing = False
        self._methods: dict[str, Callable[[dict[str, Any]], Awaitable[Any]]] = {
            "getMe": self._get_me,
            "logOut": self._ok_true,
            "close": self._ok_true,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "sendChatAction": self._send_chat_action,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getFile": self._get_file,
        }

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> str:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, backlog=1024)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self.base_url

    async def stop(self) -> None:
        self._closing = True
        if self._poll is not None and not self._poll.future.done():
            self._poll.future.set_result(None)
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> TelegramEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def root_url(self) -> str:
        """What ``TELEGRAM_API_BASE_URL`` should be set to."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """PTB's ``base_url`` (the token is appended to it)."""
        return f"{self.root_url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.root_url}/file/bot"

    # ------------------------------------------------------------------ test-facing side

    def user(
        self,
        first_name: str = "Camille",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "fr",
        user_id: int | None = None,
        started: bool = False,
    ) -> Phone:
        """A new user with Telegram on their phone; ``started``: they opened a chat with the bot earlier."""
        uid = user_id if user_id is not None else next(self._user_ids)
        if uid in self._users:
            raise ValueError(f"user {uid} already exists")
        phone = Phone(self, uid, first_name, last_name, username, language_code)
        self._users[uid] = _UserState(phone, started=started)
        return phone

    def errors(self, *, expected: tuple[int, ...] = (403, 429)) -> list[ApiCall]:
        """Refused calls other than the normal states (blocked users, flood control): bugs in the bot."""
        return [c for c in self.calls if not c.ok and c.error_code not in expected]

    def calls_to(self, method: str) -> list[ApiCall]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    @property
    def phones(self) -> list[Phone]:
        """Every user the emulator knows, in the order they were made."""
        return [state.phone for state in self._users.values()]

    @property
    def polling(self) -> bool:
        """Whether a bot is waiting in a long poll right now."""
        return self._poll is not None and not self._poll.future.done() and not self._poll.abandoned()

    def is_blocked(self, user_id: int) -> bool:
        return self._users[user_id].blocked

    def has_started(self, user_id: int) -> bool:
        """Whether the user ever opened the chat (pressed Start, wrote, or followed a link)."""
        return self._users[user_id].started

    # Called by Phone ---------------------------------------------------------

    def _user_dict(self, phone: Phone) -> dict[str, Any]:
        user: dict[str, Any] = {"id": phone.id, "is_bot": False, "first_name": phone.first_name}
        if phone.last_name:
            user["last_name"] = phone.last_name
        if phone.username:
            user["username"] = phone.username
        if phone.language_code:
            user["language_code"] = phone.language_code
        return user

    def _chat_dict(self, phone: Phone) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": phone.id, "type": "private", "first_name": phone.first_name}
        if phone.last_name:
            chat["last_name"] = phone.last_name
        if phone.username:
            chat["username"] = phone.username
        return chat

    def _bot_user(self) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": self.bot_first_name, "username": self.bot_username}

    def _next_message_id(self, chat_id: int) -> int:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        return next(counter)

    async def _user_sends(self, phone: Phone, message: dict[str, Any], record: ChatMessage) -> dict[str, Any]:
        state = self._users[phone.id]
        self._last_heard[phone.id] = time.monotonic()
        if state.blocked:
            raise RuntimeError(f"{phone.first_name} blocked the bot: unblock it before writing to it")
        state.started = True
        message_id = self._next_message_id(phone.id)
        message = {
            "message_id": message_id,
            "from": self._user_dict(phone),
            "chat": self._chat_dict(phone),
            "date": int(time.time()),
            **message,
        }
        record.message_id = message_id
        record.date = message["date"]
        phone._append(record)
        return await self._push_update({"message": message})

    async def _user_edits(self, phone: Phone, record: ChatMessage, text: str) -> dict[str, Any]:
        """The user edits one of their own messages: Telegram sends an ``edited_message``."""
        record.text = text
        record.edit_date = int(time.time())
        message = {
            "message_id": record.message_id,
            "from": self._user_dict(phone),
            "chat": self._chat_dict(phone),
            "date": record.date,
            "edit_date": record.edit_date,
            **self._user_text_message(text),
        }
        return await self._push_update({"edited_message": message})

    def _user_text_message(self, text: str) -> dict[str, Any]:
        message: dict[str, Any] = {"text": text}
        entities = [
            {"type": "bot_command", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m.group(0))}
            for m in _USER_COMMAND_RE.finditer(text)
        ]
        if entities:
            message["entities"] = entities
        return message

    def _store_file(self, content: bytes, file_name: str | None, mime_type: str | None) -> StoredFile:
        unique = secrets.token_hex(8)
        stored = StoredFile(f"F{secrets.token_urlsafe(24)}", unique, content, file_name, mime_type)
        self.files[stored.file_id] = stored
        return stored

    async def _user_presses(self, phone: Phone, message: ChatMessage | None, data: str) -> str:
        state = self._users[phone.id]
        self._last_heard[phone.id] = time.monotonic()
        if state.blocked:
            raise RuntimeError(f"{phone.first_name} blocked the bot: unblock it before pressing buttons")
        query_id = str(secrets.randbits(63))
        self._callbacks[query_id] = _Callback(query_id, phone.id, message, data)
        query: dict[str, Any] = {
            "id": query_id,
            "from": self._user_dict(phone),
            "chat_instance": str(phone.id * 7919),
            "data": data,
        }
        if message is not None:
            query["message"] = self._message_json(message)
        await self._push_update({"callback_query": query})
        return query_id

    def callback_answer(self, query_id: str) -> dict[str, Any] | None:
        cb = self._callbacks[query_id]
        return cb.answer if cb.answered else None

    async def _user_sets_blocked(self, phone: Phone, blocked: bool) -> None:
        state = self._users[phone.id]
        if state.blocked == blocked:
            return
        state.blocked = blocked
        self._chat_changed(phone, "blocked")
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        bot_member: dict[str, Any] = {"user": self._bot_user()}
        update = {
            "my_chat_member": {
                "chat": self._chat_dict(phone),
                "from": self._user_dict(phone),
                "date": int(time.time()),
                "old_chat_member": {**bot_member, "status": old, **({"until_date": 0} if old == "kicked" else {})},
                "new_chat_member": {**bot_member, "status": new, **({"until_date": 0} if new == "kicked" else {})},
            }
        }
        await self._push_update(update)

    def _chat_changed(self, phone: Phone, kind: str) -> None:
        for listener in self.listeners:
            listener(phone, kind)

    async def _push_update(self, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": self._next_update_id, **payload}
        self._next_update_id += 1
        kind = next(iter(payload))
        allowed = self._webhook.allowed_updates if self._webhook else self._allowed_updates
        if kind in allowed:
            self._updates.append(update)
            self._new_update.set()
            self._webhook_wakeup.set()
        await self._notify()
        return update

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # ------------------------------------------------------------------ HTTP side

    async def _handle_api(self, request: web.Request) -> web.Response:
        received = time.monotonic()
        method_in_url = request.match_info["method"]
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            params, files = await self._read_params(request)
            if self.latency:
                await asyncio.sleep(self.latency)
            method = self.spec.method_name(method_in_url)
            if method is None:
                raise ApiError(404, "Not Found")
            handler = self._methods.get(method)
            if handler is None:
                raise ApiError(501, f"emulator: method {method} is not emulated; add it to the emulator")
            try:
                coerced = self.spec.validate_call(method, params, files)
            except SpecError as err:
                raise bad_request(str(err)) from err
            if method in SENDING_METHODS:
                self._check_flood(coerced)
            _current_request.set(request)
            result = await handler(coerced)
        except ApiError as err:
            self.calls.append(
                ApiCall(
                    method_in_url,
                    _loggable(params if "params" in locals() else {}),
                    False,
                    err.code,
                    err.description,
                    received,
                )
            )
            body: dict[str, Any] = {"ok": False, "error_code": err.code, "description": err.description}
            if err.retry_after is not None:
                body["parameters"] = {"retry_after": err.retry_after}
            if err.code not in (403, 429):
                log.warning("emulator refused %s: %s", method_in_url, err.description)
            await self._notify()
            return web.json_response(body, status=err.code)
        self.calls.append(ApiCall(method, _loggable(params), True, None, None, received))
        await self._notify()
        if self.before_answering is not None:
            await self.before_answering(method, coerced)
        return web.json_response({"ok": True, "result": result})

    async def _read_params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
        params: dict[str, Any] = dict(request.query)
        files: dict[str, UploadedFile] = {}
        if request.method == "POST" and request.can_read_body:
            ctype = request.content_type
            if ctype == "application/json":
                try:
                    body = await request.json()
                except json.JSONDecodeError as err:
                    raise bad_request("can't parse JSON body") from err
                if not isinstance(body, dict):
                    raise bad_request("JSON body must be an object")
                params.update(body)
            elif ctype == "multipart/form-data":
                reader = await request.multipart()
                async for part in reader:
                    if not isinstance(part, BodyPartReader) or part.name is None:
                        continue
                    if part.filename is not None:
                        content = await part.read()
                        mime = part.headers.get("Content-Type", "application/octet-stream")
                        files[part.name] = UploadedFile(part.name, part.filename, bytes(content), mime)
                    else:
                        params[part.name] = await part.text()
            else:
                form = await request.post()
                params.update({k: v for k, v in form.items() if isinstance(v, str)})
        return params, files

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            raise web.HTTPUnauthorized()
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        stored = self.files.get(file_id)
        if stored is None:
            raise web.HTTPNotFound()
        return web.Response(body=stored.content, content_type=stored.mime_type or "application/octet-stream")

    def _check_flood(self, params: dict[str, Any]) -> None:
        now = time.monotonic()
        limits = self.flood
        chat_id = params.get("chat_id")
        last_heard = self._last_heard.get(chat_id) if isinstance(chat_id, int) else None
        is_reply = (
            limits.replies_exempt_for is not None
            and last_heard is not None
            and now - last_heard <= limits.replies_exempt_for
        )
        if is_reply and not limits.replies_count:
            return
        if limits.global_per_second is not None:
            _expire(self._global_sends, now)
            if len(self._global_sends) >= limits.global_per_second:
                raise ApiError(
                    429, "Too Many Requests: retry after 1", retry_after=_retry_after(self._global_sends, now)
                )
        if limits.per_chat_per_second is not None and isinstance(chat_id, int) and not is_reply:
            window = self._chat_sends.setdefault(chat_id, deque())
            _expire(window, now)
            if len(window) >= limits.per_chat_per_second:
                raise ApiError(429, "Too Many Requests: retry after 1", retry_after=_retry_after(window, now))
            window.append(now)
        if limits.global_per_second is not None:
            self._global_sends.append(now)

    # ------------------------------------------------------------------ methods

    async def _ok_true(self, params: dict[str, Any]) -> bool:
        return True

    async def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self._bot_user(),
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        request = _current_request.get()
        if self._webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset", 0)
        limit = params.get("limit", 100)
        timeout = params.get("timeout", 0)
        if not 1 <= limit <= 100:
            limit = 100
        if "allowed_updates" in params:
            allowed = params["allowed_updates"]
            self._allowed_updates = frozenset(allowed) if allowed else DEFAULT_ALLOWED_UPDATES
        if self._poll is not None and not self._poll.future.done():
            if self._poll.abandoned():  # its client went away (a stopped bot): nobody to tell
                self._poll.future.set_result(None)
            else:
                self._poll.future.set_exception(
                    ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; "
                        "make sure that only one bot instance is running",
                    )
                )
        if offset:
            while self._updates and self._updates[0]["update_id"] < offset:
                self._updates.popleft()
        if not self._updates and timeout > 0 and not self._closing:
            poll = self._poll = _Poll(request)
            self._new_update.clear()
            await self._notify()
            waiter: asyncio.Future[Any] = asyncio.ensure_future(self._new_update.wait())
            pending: set[asyncio.Future[Any]] = {waiter, poll.future}
            try:
                await asyncio.wait(pending, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()
                if self._poll is poll:
                    self._poll = None
            if poll.future.done() and poll.future.exception() is not None:
                raise poll.future.exception()  # type: ignore[misc]
        return list(itertools.islice(self._updates, limit))

    async def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = params["url"]
        if not url:
            return await self._delete_webhook(params)
        parts = urlsplit(url)
        loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
        # Telegram itself needs HTTPS on ports 443, 80, 88 or 8443; like a local Bot API
        # server, the emulator also takes plain HTTP on loopback.
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if not loopback and (parts.port or 443) not in (443, 80, 88, 8443):
            raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_TOKEN_RE.fullmatch(secret):
            raise bad_request("bad webhook: secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        allowed = params.get("allowed_updates")
        self._webhook = _Webhook(url, secret, frozenset(allowed) if allowed else DEFAULT_ALLOWED_UPDATES)
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.create_task(self._deliver_webhooks())
        self._webhook_wakeup.set()
        return True

    async def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self._webhook = None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": self._webhook.url if self._webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _deliver_webhooks(self) -> None:
        async with ClientSession(timeout=ClientTimeout(total=10)) as session:
            while True:
                hook = self._webhook
                if hook is None or not self._updates:
                    self._webhook_wakeup.clear()
                    await self._webhook_wakeup.wait()
                    continue
                update = self._updates[0]
                headers = {"X-Telegram-Bot-Api-Secret-Token": hook.secret_token} if hook.secret_token else {}
                try:
                    async with session.post(hook.url, json=update, headers=headers) as resp:
                        delivered = 200 <= resp.status < 300
                except (TimeoutError, OSError):
                    delivered = False
                if delivered:
                    if self._updates and self._updates[0] is update:
                        self._updates.popleft()
                else:
                    await asyncio.sleep(0.2)

    def _state_for_chat(self, chat_id: Any) -> _UserState:
        if not isinstance(chat_id, int):
            raise bad_request("chat not found")
        state = self._users.get(chat_id)
        if state is None:
            raise bad_request("chat not found")
        if state.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if not state.started:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return state

    def _parse_text(
        self, text: str, parse_mode: str | None, entities: list[Any] | None, limit: int, what: str
    ) -> tuple[str, list[dict[str, Any]]]:
        if parse_mode is not None and entities is not None:
            raise bad_request(f"{what} entities and parse_mode can't be used together")
        if parse_mode is None or parse_mode == "":
            plain, parsed = text, list(entities or [])
        elif parse_mode.lower() == "html":
            try:
                result = parse_html(text)
            except EntityParseError as err:
                raise bad_request(str(err)) from err
            plain, parsed = result.text, result.entities
        else:
            raise bad_request(f"emulator: parse_mode {parse_mode!r} is not emulated; use HTML")
        stripped = plain.strip()
        if not stripped:
            raise bad_request(f"{what} is empty")
        lead = utf16_len(plain) - utf16_len(plain.lstrip())
        if lead:
            parsed = [{**e, "offset": max(0, int(e["offset"]) - lead)} for e in parsed]
        if utf16_len(stripped) > limit:
            raise bad_request("message is too long" if what == "message text" else "message caption is too long")
        return stripped, parsed

    def _check_reply_markup(self, markup: dict[str, Any] | None) -> None:
        if markup is None:
            return
        placeholder = markup.get("input_field_placeholder")
        if placeholder is not None and not 1 <= utf16_len(placeholder) <= MAX_PLACEHOLDER:
            raise bad_request("input field placeholder must be 1-64 characters long")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            total = 0
            for row in rows:
                if len(row) > MAX_BUTTONS_PER_ROW:
                    raise bad_request("too many buttons in a row")
                for button in row:
                    total += 1
                    if not button.get("text"):
                        raise bad_request("text buttons are unallowed in the inline keyboard")
                    kinds = [k for k in button if k not in ("text", "icon_custom_emoji_id", "style")]
                    if len(kinds) != 1:
                        raise bad_request(
                            "can't parse inline keyboard button: exactly one of the optional fields must be used"
                        )
                    if "callback_data" in button:
                        size = len(button["callback_data"].encode())
                        if not 1 <= size <= MAX_CALLBACK_DATA:
                            raise bad_request("BUTTON_DATA_INVALID")
                    if "url" in button and not re.match(r"^(https?|tg)://\S+$", button["url"]):
                        raise bad_request("BUTTON_URL_INVALID")
            if total > MAX_INLINE_BUTTONS:
                raise bad_request("reply markup is too long")
        elif "keyboard" in markup:
            rows = markup["keyboard"]
            if not rows or not any(rows):
                raise bad_request("keyboard must be non-empty")
            for row in rows:
                if len(row) > 12:
                    raise bad_request("too many buttons in a row")
                for button in row:
                    if not button.get("text"):
                        raise bad_request("keyboard button text must be non-empty")

    def _message_json(self, msg: ChatMessage) -> dict[str, Any]:
        phone = self._users[msg.chat_id].phone
        data: dict[str, Any] = {
            "message_id": msg.message_id,
            "from": self._bot_user() if msg.from_bot else self._user_dict(phone),
            "chat": self._chat_dict(phone),
            "date": msg.date,
        }
        if msg.edit_date:
            data["edit_date"] = msg.edit_date
        if msg.text is not None:
            data["text"] = msg.text
            if msg.entities:
                data["entities"] = msg.entities
        if msg.caption is not None:
            data["caption"] = msg.caption
            if msg.entities:
                data["caption_entities"] = msg.entities
        if msg.document is not None:
            data["document"] = _document_json(msg.document)
        if msg.photo is not None:
            data["photo"] = [_photo_json(msg.photo)]
        if msg.reply_markup and "inline_keyboard" in msg.reply_markup:
            data["reply_markup"] = msg.reply_markup
        return data

    def _bot_message(self, state: _UserState, **fields: Any) -> ChatMessage:
        msg = ChatMessage(
            message_id=self._next_message_id(state.phone.id),
            chat_id=state.phone.id,
            from_bot=True,
            date=int(time.time()),
            **fields,
        )
        state.phone._append(msg)
        return msg

    async def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        state = self._state_for_chat(params["chat_id"])
        text, entities = self._parse_text(
            params["text"], params.get("parse_mode"), params.get("entities"), MAX_TEXT, "message text"
        )
        markup = params.get("reply_markup")
        self._check_reply_markup(markup)
        msg = self._bot_message(state, text=text, html=params["text"], entities=entities, reply_markup=markup)
        state.phone._apply_reply_keyboard(markup)
        return self._message_json(msg)

    def _find_bot_message(self, params: dict[str, Any], action: str) -> tuple[_UserState, ChatMessage]:
        if "inline_message_id" in params:
            raise bad_request("emulator: inline messages are not emulated")
        if "chat_id" not in params or "message_id" not in params:
            raise bad_request("message identifier is not specified")
        state = self._state_for_chat(params["chat_id"])
        msg = state.phone._find(params["message_id"])
        if msg is None:
            raise bad_request(f"message to {action} not found")
        if not msg.from_bot:
            raise bad_request(f"message can't be {action}ed" if action == "edit" else f"message can't be {action}d")
        return state, msg

    async def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        if "text" not in params:
            raise bad_request("text is empty")
        state, msg = self._find_bot_message(params, "edit")
        if msg.text is None:
            raise bad_request("there is no text in the message to edit")
        text, entities = self._parse_text(
            params["text"], params.get("parse_mode"), params.get("entities"), MAX_TEXT, "message text"
        )
        markup = params.get("reply_markup")
        self._check_reply_markup(markup)
        if text == msg.text and entities == msg.entities and _inline(markup) == _inline(msg.reply_markup):
            raise bad_request(NOT_MODIFIED)
        msg.text, msg.html, msg.entities, msg.reply_markup = text, params["text"], entities, markup
        msg.edit_date = int(time.time())
        state.phone._bot_touched()
        return self._message_json(msg)

    async def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        state, msg = self._find_bot_message(params, "edit")
        markup = params.get("reply_markup")
        self._check_reply_markup(markup)
        if _inline(markup) == _inline(msg.reply_markup):
            raise bad_request(NOT_MODIFIED)
        msg.reply_markup = markup
        msg.edit_date = int(time.time())
        state.phone._bot_touched()
        return self._message_json(msg)

    async def _delete_message(self, params: dict[str, Any]) -> bool:
        state = self._state_for_chat(params["chat_id"])
        msg = state.phone._find(params["message_id"])
        if msg is None:
            raise bad_request("message to delete not found")
        msg.deleted = True
        state.phone._bot_touched()
        return True

    async def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        cb = self._callbacks.get(params["callback_query_id"])
        if cb is None or cb.answered:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        text = params.get("text")
        if text is not None and len(text) > MAX_CALLBACK_ANSWER:
            raise bad_request("MESSAGE_TOO_LONG")
        cb.answered = True
        cb.answer = {k: v for k, v in params.items() if k != "callback_query_id"}
        if text:  # a toast or an alert: something the user sees
            phone = self._users[cb.user_id].phone
            phone.toasts.append(text)
            phone._bot_touched()
        return True

    def _input_file(self, value: Any) -> StoredFile:
        if isinstance(value, UploadedFile):
            if not value.content:
                raise bad_request("file must be non-empty")
            return self._store_file(value.content, value.file_name, value.mime_type)
        if isinstance(value, str) and value in self.files:
            return self.files[value]
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            raise bad_request("emulator: sending files by URL is not emulated")
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _caption(self, params: dict[str, Any]) -> tuple[str | None, list[dict[str, Any]]]:
        if "caption" not in params or params["caption"] == "":
            return None, []
        return self._parse_text(
            params["caption"], params.get("parse_mode"), params.get("caption_entities"), MAX_CAPTION, "message caption"
        )

    async def _send_document(self, params: dict[str, Any]) -> dict[str, Any]:
        state = self._state_for_chat(params["chat_id"])
        stored = self._input_file(params["document"])
        if stored.size > 50 * 1024 * 1024:
            raise bad_request("file is too big")
        caption, entities = self._caption(params)
        markup = params.get("reply_markup")
        self._check_reply_markup(markup)
        msg = self._bot_message(state, caption=caption, entities=entities, document=stored, reply_markup=markup)
        return self._message_json(msg)

    async def _send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        state = self._state_for_chat(params["chat_id"])
        stored = self._input_file(params["photo"])
        if image_size(stored.content) is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        if stored.size > 10 * 1024 * 1024:
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        caption, entities = self._caption(params)
        markup = params.get("reply_markup")
        self._check_reply_markup(markup)
        msg = self._bot_message(state, caption=caption, entities=entities, photo=stored, reply_markup=markup)
        return self._message_json(msg)

    async def _send_chat_action(self, params: dict[str, Any]) -> bool:
        self._state_for_chat(params["chat_id"])
        if params["action"] not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), params.get("language_code") or ""

    async def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params["commands"]
        if len(commands) > 100:
            raise bad_request("too many commands")
        for command in commands:
            if not _COMMAND_NAME_RE.fullmatch(command["command"]):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(command["description"]) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        language = params.get("language_code")
        if language is not None and language != "" and not re.fullmatch(r"[a-z]{2}", language):
            raise bad_request("LANG_CODE_INVALID")
        self.commands[self._commands_key(params)] = commands
        return True

    async def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, str]]:
        return self.commands.get(self._commands_key(params), [])

    async def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    async def _get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self.files.get(params["file_id"])
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.size > 20 * 1024 * 1024:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": f"documents/{stored.file_id}",
        }


def _expire(window: deque[float], now: float) -> None:
    while window and now - window[0] >= 1.0:
        window.popleft()


def _retry_after(window: deque[float], now: float) -> int:
    return max(1, math.ceil(1.0 - (now - window[0])))


def _inline(markup: dict[str, Any] | None) -> Any:
    if not markup or "inline_keyboard" not in markup or not markup["inline_keyboard"]:
        return None
    return markup["inline_keyboard"]


def _loggable(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items()}


def _document_json(stored: StoredFile) -> dict[str, Any]:
    data: dict[str, Any] = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
    }
    if stored.file_name:
        data["file_name"] = stored.file_name
    if stored.mime_type:
        data["mime_type"] = stored.mime_type
    return data


def _photo_json(stored: StoredFile) -> dict[str, Any]:
    width, height = image_size(stored.content) or (0, 0)
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
        "width": width,
        "height": height,
    }


def image_size(content: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG or JPEG, or None when it is neither."""
    if content.startswith(b"\x89PNG\r\n\x1a\n") and len(content) >= 24:
        return int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")
    if content.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(content):
            if content[i] != 0xFF:
                return None
            marker = content[i + 1]
            length = int.from_bytes(content[i + 2 : i + 4], "big")
            if marker in (0xC0, 0xC1, 0xC2):
                return int.from_bytes(content[i + 7 : i + 9], "big"), int.from_bytes(content[i + 5 : i + 7], "big")
            i += 2 + length
    return None
