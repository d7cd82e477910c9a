"""A user with Telegram on their phone, as tests (and the sandbox) drive them.

A phone sends text and commands, opens deep links, presses inline buttons by their
label, answers reply keyboards, uploads documents, blocks and unblocks the bot, and
reads its chat as the user sees it: bot messages rendered, edits applied in place,
deleted messages gone.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.emulator.server import StoredFile, TelegramEmulator


@dataclass
class ChatMessage:
    message_id: int
    chat_id: int
    from_bot: bool
    date: int
    text: str | None = None
    html: str | None = None  # what the bot sent, before parsing
    caption: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    document: StoredFile | None = None
    photo: StoredFile | None = None
    sticker: bool = False
    edit_date: int | None = None
    deleted: bool = False
    received_at: float = field(default_factory=time.monotonic)  # when the server got it

    @property
    def content(self) -> str:
        """What the user reads: the text, or a file's caption."""
        return self.text if self.text is not None else (self.caption or "")

    @property
    def buttons(self) -> list[list[dict[str, Any]]]:
        if not self.reply_markup or "inline_keyboard" not in self.reply_markup:
            return []
        return self.reply_markup["inline_keyboard"]

    @property
    def button_labels(self) -> list[str]:
        return [b["text"] for row in self.buttons for b in row]

    def button(self, label: str) -> dict[str, Any] | None:
        for row in self.buttons:
            for button in row:
                if button["text"] == label:
                    return button
        return None

    def __str__(self) -> str:
        who = "bot" if self.from_bot else "user"
        labels = f" {self.button_labels}" if self.button_labels else ""
        return f"[{who} #{self.message_id}] {self.content}{labels}"


class Phone:
    def __init__(
        self,
        emulator: TelegramEmulator,
        user_id: int,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
    ) -> None:
        self.emulator = emulator
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self._messages: list[ChatMessage] = []
        self._reply_keyboard: list[list[str]] | None = None
        self._cursor = 0  # index in _messages of the first bot message not yet read
        self.toasts: list[str] = []  # what the bot answered to button presses, as toasts or alerts
        self.bot_version = 0  # bumped whenever the bot changes what this chat shows
        self._bot_changed = asyncio.Event()

    def __repr__(self) -> str:
        return f"Phone({self.first_name!r}, id={self.id})"

    # ------------------------------------------------------------------ reading

    @property
    def messages(self) -> list[ChatMessage]:
        """The chat as the user sees it, oldest first."""
        return [m for m in self._messages if not m.deleted]

    @property
    def bot_messages(self) -> list[ChatMessage]:
        return [m for m in self.messages if m.from_bot]

    @property
    def last_bot_message(self) -> ChatMessage | None:
        bot = self.bot_messages
        return bot[-1] if bot else None

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        return self._reply_keyboard

    @property
    def is_blocked(self) -> bool:
        return self.emulator.is_blocked(self.id)

    @property
    def has_started(self) -> bool:
        return self.emulator.has_started(self.id)

    def transcript(self) -> str:
        return "\n".join(str(m) for m in self.messages)

    async def next_reply(self, timeout: float = 5.0) -> ChatMessage:
        """The next bot message this test has not read yet, waiting for it if needed."""

        def unread() -> ChatMessage | None:
            while self._cursor < len(self._messages):
                msg = self._messages[self._cursor]
                if msg.from_bot:
                    return msg
                self._cursor += 1
            return None

        try:
            await self.emulator.wait_for(lambda: unread() is not None, timeout)
        except TimeoutError:
            raise AssertionError(
                f"{self.first_name} got no reply within {timeout}s; chat so far:\n{self.transcript()}"
            ) from None
        msg = unread()
        assert msg is not None
        self._cursor += 1
        return msg

    async def wait_for_text(self, fragment: str, timeout: float = 5.0) -> ChatMessage:
        """Wait until a visible bot message (new or edited) contains ``fragment``."""

        def found() -> ChatMessage | None:
            for msg in reversed(self.bot_messages):
                if fragment in msg.content:
                    return msg
            return None

        try:
            await self.emulator.wait_for(lambda: found() is not None, timeout)
        except TimeoutError:
            raise AssertionError(f"{self.first_name} never saw {fragment!r}; chat:\n{self.transcript()}") from None
        msg = found()
        assert msg is not None
        return msg

    async def wait_bot_change(self, since: int, timeout: float = 5.0) -> None:
        """Wait until the bot has changed this chat (a message, an edit, a deletion) after ``since``."""
        async with asyncio.timeout(timeout):
            while self.bot_version <= since:
                await self._bot_changed.wait()

    def skip_unread(self) -> None:
        self._cursor = len(self._messages)

    # ------------------------------------------------------------------ acting

    async def send(self, text: str, reply_to: ChatMessage | None = None) -> dict[str, Any]:
        """Type ``text`` and press send (commands included), optionally as a reply to a message."""
        msg = ChatMessage(0, self.id, False, 0, text=text)
        message = self.emulator._user_text_message(text)
        if reply_to is not None:
            message["reply_to_message"] = self.emulator._message_json(reply_to)
        return await self.emulator._user_sends(self, message, msg)

    async def edit(self, message: ChatMessage, text: str) -> dict[str, Any]:
        """Edit one of the user's own messages."""
        if message.from_bot:
            raise ValueError("a user can only edit their own messages")
        return await self.emulator._user_edits(self, message, text)

    async def open_deep_link(self, payload: str) -> dict[str, Any]:
        """Open ``https://t.me/<bot>?start=<payload>``: the app sends ``/start payload``."""
        return await self.send(f"/start {payload}")

    async def tap_keyboard(self, label: str) -> dict[str, Any]:
        """Tap a button of the reply keyboard shown under the text box."""
        keyboard = self._reply_keyboard or []
        if not any(label in row for row in keyboard):
            raise LookupError(f"{self.first_name} has no keyboard button {label!r}; keyboard: {keyboard}")
        return await self.send(label)

    async def press(self, label: str, message: ChatMessage | None = None) -> str:
        """Press the inline button labelled ``label`` (on ``message``, or the newest that has it)."""
        candidates = [message] if message is not None else list(reversed(self.bot_messages))
        for msg in candidates:
            button = msg.button(label)
            if button is None:
                continue
            if "callback_data" not in button:
                raise LookupError(f"button {label!r} is not a callback button: {button}")
            return await self.emulator._user_presses(self, msg, button["callback_data"])
        visible = [m.button_labels for m in candidates if m.button_labels]
        raise LookupError(f"{self.first_name} sees no button {label!r}; buttons: {visible}")

    async def press_raw(self, data: str, message: ChatMessage | None = None) -> str:
        """Send callback data of one's own making, as a modified client could."""
        target = message if message is not None else self.last_bot_message
        return await self.emulator._user_presses(self, target, data)

    async def callback_answer(self, query_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """What the bot answered to a button press (the toast), once it has."""
        await self.emulator.wait_for(lambda: self.emulator.callback_answer(query_id) is not None, timeout)
        answer = self.emulator.callback_answer(query_id)
        assert answer is not None
        return answer

    async def upload(
        self, file_name: str, content: bytes, mime_type: str = "text/csv", caption: str | None = None
    ) -> dict[str, Any]:
        stored = self.emulator._store_file(content, file_name, mime_type)
        message: dict[str, Any] = {
            "document": {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_name": file_name,
                "mime_type": mime_type,
                "file_size": stored.size,
            }
        }
        if caption:
            message["caption"] = caption
        record = ChatMessage(0, self.id, False, 0, caption=caption, document=stored)
        return await self.emulator._user_sends(self, message, record)

    async def send_sticker(self, emoji: str = "👍") -> dict[str, Any]:
        message = {
            "sticker": {
                "file_id": "CAACAgIAAxkBAAEBsticker",
                "file_unique_id": "AgADsticker",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": emoji,
            }
        }
        record = ChatMessage(0, self.id, False, 0, sticker=True, text=None, caption=emoji)
        return await self.emulator._user_sends(self, message, record)

    async def send_photo(self, content: bytes, caption: str | None = None) -> dict[str, Any]:
        stored = self.emulator._store_file(content, None, "image/jpeg")
        message: dict[str, Any] = {
            "photo": [
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "width": 1,
                    "height": 1,
                    "file_size": stored.size,
                }
            ]
        }
        if caption:
            message["caption"] = caption
        record = ChatMessage(0, self.id, False, 0, photo=stored, caption=caption)
        return await self.emulator._user_sends(self, message, record)

    async def send_voice(self, seconds: int = 3) -> dict[str, Any]:
        stored = self.emulator._store_file(b"OggS" + bytes(60), None, "audio/ogg")
        message = {
            "voice": {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "duration": seconds,
                "mime_type": "audio/ogg",
                "file_size": stored.size,
            }
        }
        return await self.emulator._user_sends(self, message, ChatMessage(0, self.id, False, 0, caption="🎤"))

    async def block(self) -> None:
        await self.emulator._user_sets_blocked(self, True)

    async def unblock(self) -> None:
        await self.emulator._user_sets_blocked(self, False)

    # ------------------------------------------------------------------ emulator side

    def _append(self, msg: ChatMessage) -> None:
        self._messages.append(msg)
        if msg.from_bot:
            self._bot_touched()
        else:
            self.emulator._chat_changed(self, "user")

    def _bot_touched(self) -> None:
        self.bot_version += 1
        event, self._bot_changed = self._bot_changed, asyncio.Event()
        event.set()
        self.emulator._chat_changed(self, "bot")

    def _find(self, message_id: int) -> ChatMessage | None:
        for msg in self._messages:
            if msg.message_id == message_id and not msg.deleted:
                return msg
        return None

    def _apply_reply_keyboard(self, markup: dict[str, Any] | None) -> None:
        if not markup:
            return
        if "keyboard" in markup:
            self._reply_keyboard = [[b["text"] for b in row] for row in markup["keyboard"]]
        elif markup.get("remove_keyboard"):
            self._reply_keyboard = None
