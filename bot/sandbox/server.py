"""The rehearsal sandbox: emulator, the unmodified bot, and a web page of phones, in one process.

The bot runs exactly as in production (same composition root, same services); only its
Bot API base URL points at the project's emulator. The page talks to this server, which
acts on the emulator's phones and streams every change of a chat as server-sent events.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.app import build_services
from bot.emulator import Phone, TelegramEmulator
from bot.emulator.phone import ChatMessage
from bot.event import Event
from bot.runner import serve
from bot.runtime import Services
from bot.settings import load_settings
from storage.db import SqliteDatabase
from storage.participants import NewParticipant, ParticipantRepository, Role

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLE_EVENT = ROOT / "examples" / "event.toml"
EXAMPLE_EXHIBITORS = ROOT / "examples" / "exhibitors.csv"
# Zones tried, in order, for a rehearsal late in the day: one of them has the day still ahead
ZONES = (
    "Europe/Paris",
    "America/Sao_Paulo",
    "America/New_York",
    "America/Los_Angeles",
    "Pacific/Honolulu",
    "Pacific/Auckland",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Asia/Dubai",
)
ATTENDEE_ID, REPRESENTATIVE_ID, ORGANISER_ID = 7_000_001, 7_000_002, 7_000_003
FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#17324d"/>'
    '<path d="M7 24V9l9 9 9-9v15" fill="none" stroke="#fff" stroke-width="3" stroke-linejoin="round"/></svg>'
)


def rehearsal_event(event: Event, now: datetime) -> Event:
    """The event moved to today, in a zone where most of the day's slots are still ahead.

    The event's own zone is kept when its day has at least two hours of slots left; else
    the first of ZONES where it is not yet past the first window's start (or, failing that,
    two hours before the last window's end) is used, and the page says so.
    """
    first_day = event.days[0]
    opening = first_day.windows[0].start
    closing = first_day.windows[-1].end

    def ahead(zone: str, margin: timedelta) -> bool:
        local = now.astimezone(ZoneInfo(zone))
        limit = datetime.combine(local.date(), closing, tzinfo=local.tzinfo) - margin
        return local < limit

    def before_opening(zone: str) -> bool:
        local = now.astimezone(ZoneInfo(zone))
        return local.time() < opening

    zone = event.timezone
    if not ahead(zone, timedelta(hours=2)):
        zone = next((z for z in ZONES if before_opening(z)), None) or next(
            (z for z in ZONES if ahead(z, timedelta(hours=2))), event.timezone
        )
    today = now.astimezone(ZoneInfo(zone)).date()
    shift = today - first_day.date
    old = ZoneInfo(event.timezone)

    def moved(moment: datetime) -> datetime:
        naive = moment.astimezone(old).replace(tzinfo=None) if moment.tzinfo else moment
        return naive + shift

    data = event.model_dump()
    data["timezone"] = zone
    for day in data["days"]:
        day["date"] = day["date"] + shift
    for session in data["sessions"]:
        session["start"], session["end"] = moved(session["start"]), moved(session["end"])
    return Event.model_validate(data)


@dataclass
class Persona:
    key: str
    phone: Phone
    role: str  # attendee, representative, organiser


def message_json(msg: ChatMessage) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": msg.message_id,
        "from_bot": msg.from_bot,
        "text": msg.content,
        "entities": msg.entities,
        "edited": msg.edit_date is not None,
        "sticker": msg.sticker,
        "buttons": [
            [
                {
                    "text": b["text"],
                    **({"data": b["callback_data"]} if "callback_data" in b else {}),
                    **({"url": b["url"]} if "url" in b else {}),
                }
                for b in row
            ]
            for row in msg.buttons
        ],
    }
    if msg.document is not None:
        data["document"] = {
            "name": msg.document.file_name or "file",
            "url": f"/files/{msg.document.file_id}",
            "size": msg.document.size,
        }
    if msg.photo is not None:
        data["photo"] = {"url": f"/files/{msg.photo.file_id}"}
    return data


class Sandbox:
    def __init__(self, *, db_path: Path, event: Event, port: int = 8080, host: str = "127.0.0.1") -> None:
        self.db_path = db_path
        self.event = event
        self.host = host
        self.port = port
        self.emulator = TelegramEmulator(bot_username="maillage_sandbox_bot")
        self.personas: dict[str, Persona] = {}
        self._clients: set[asyncio.Queue[str]] = set()
        self._stop = asyncio.Event()
        self._bot_task: asyncio.Task[None] | None = None
        self._runner: web.AppRunner | None = None
        self._db: SqliteDatabase | None = None
        self.services: Services | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        await self.emulator.start()
        self.emulator.listeners.append(self._on_change)
        settings = load_settings(
            telegram_bot_token=self.emulator.token,
            telegram_api_base_url=self.emulator.root_url,
            database_url=f"sqlite:///{self.db_path}",
            event_file=EXAMPLE_EVENT,
            organiser_ids=frozenset({ORGANISER_ID}),
            default_language="fr",
        )
        self._db = SqliteDatabase(self.db_path)
        await self._db.connect()
        self.services = build_services(settings, self.event, self._db)
        await self._load_sample_data()
        self._bot_task = asyncio.create_task(serve(self.services, self._stop))
        for _ in range(600):
            if self.emulator.polling or self._bot_task.done():
                break
            await asyncio.sleep(0.05)
        if self._bot_task.done():
            self._bot_task.result()  # raises what stopped the bot
        app = web.Application(middlewares=[self._same_origin_only])
        app.router.add_get("/", self._page)
        app.router.add_get("/favicon.svg", self._favicon)
        app.router.add_get("/favicon.ico", self._favicon)
        app.router.add_get("/api/state", self._state)
        app.router.add_get("/api/events", self._events)
        app.router.add_post("/api/personas", self._add_persona)
        app.router.add_get("/api/personas/{key}", self._persona)
        app.router.add_post("/api/personas/{key}/{action}", self._act)
        app.router.add_get("/files/{file_id}", self._file)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    @web.middleware
    async def _same_origin_only(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Only the sandbox's own address is answered (a site that points its own name at 127.0.0.1 can
        neither read the chats nor download a file), and the page's actions come from the page itself:
        another site open in the same browser cannot drive the phones. A cross-site form cannot send
        ``application/json`` without a CORS preflight, which this server never grants."""
        own = {f"{name}:{self.port}" for name in ("127.0.0.1", "localhost", "[::1]", self.host)}
        if request.host not in own:  # every request: a page reading the chats is as bad as one driving them
            raise web.HTTPForbidden(text="this page answers on its own address only")
        if request.method != "GET":
            if request.headers.get("Origin") not in {f"http://{name}" for name in own}:
                raise web.HTTPForbidden(text="actions are accepted from the sandbox's own page only")
            if request.content_type != "application/json":
                raise web.HTTPUnsupportedMediaType(text="a JSON body (application/json) is expected")
        return await handler(request)

    async def stop(self) -> None:
        self._stop.set()
        for queue in self._clients:
            queue.put_nowait("")  # ends each event stream
        if self._bot_task is not None:
            with contextlib.suppress(Exception):
                await self._bot_task
        if self._runner is not None:
            await self._runner.cleanup()
        await self.emulator.stop()
        if self._db is not None:
            await self._db.close()

    async def _load_sample_data(self) -> None:
        assert self.services is not None
        directory = self.services.directory
        if not await directory.all_exhibitors():
            report = await directory.import_csv(EXAMPLE_EXHIBITORS.read_bytes())
            if report.errors:
                raise RuntimeError(f"the sample exhibitors did not import: {report.errors}")
        disco = await directory.by_slug("disco-soupe")
        assert disco is not None, "the sample exhibitors have a disco-soupe"
        people = ParticipantRepository(self.services.db)
        ready = [
            (REPRESENTATIVE_ID, "Inès", "Benali", Role.EXHIBITOR, disco.id, disco.name, "Coordinatrice"),
            (ORGANISER_ID, "Hélène", "Dufour", Role.ORGANISER, None, "Organisation de la journée", "Organisatrice"),
        ]
        for telegram_id, first, last, role, exhibitor_id, organisation, job in ready:
            if await people.by_telegram_id(telegram_id) is None:
                new = NewParticipant(
                    telegram_id=telegram_id,
                    role=role,
                    exhibitor_id=exhibitor_id,
                    language="fr",
                    full_name=f"{first} {last}",
                    organisation=organisation,
                    job_title=job,
                    consent_at=datetime.now(UTC),
                )
                async with self.services.db.transaction() as tx:
                    await people.create(new, tx)
        self._add("attendee", self.emulator.user("Camille", last_name="Martin", user_id=ATTENDEE_ID))
        self._add(
            "representative",
            self.emulator.user("Inès", last_name="Benali", user_id=REPRESENTATIVE_ID, started=True),
        )
        self._add(
            "organiser",
            self.emulator.user("Hélène", last_name="Dufour", user_id=ORGANISER_ID, started=True),
        )

    def _add(self, role: str, phone: Phone) -> Persona:
        key = f"p{phone.id}"
        persona = Persona(key, phone, role)
        self.personas[key] = persona
        return persona

    def _on_change(self, phone: Phone, kind: str) -> None:
        key = f"p{phone.id}"
        if key in self.personas:
            for queue in self._clients:
                queue.put_nowait(key)

    # ------------------------------------------------------------------ HTTP

    async def _page(self, request: web.Request) -> web.Response:
        html = resources.files("bot.sandbox").joinpath("page.html").read_text(encoding="utf-8")
        return web.Response(text=html, content_type="text/html", charset="utf-8")

    async def _favicon(self, request: web.Request) -> web.Response:
        return web.Response(text=FAVICON, content_type="image/svg+xml")

    async def _standing(self, persona: Persona) -> dict[str, Any]:
        """Where the persona stands in the bot right now, read from its database: the page words it
        in its own language, so a header never says "not registered yet" after registration."""
        assert self.services is not None
        person = await self.services.registration.participant(persona.phone.id)
        if person is None:
            return {"registered": False}
        exhibitor = None
        if person.exhibitor_id is not None:
            found = await self.services.directory.exhibitor(person.exhibitor_id)
            exhibitor = found.name if found is not None else None
        return {
            "registered": True,
            "role": person.role.value,
            "job_title": person.job_title,
            "organisation": person.organisation,
            "exhibitor": exhibitor,
            "language": person.language,
        }

    async def _persona_json(self, persona: Persona) -> dict[str, Any]:
        phone = persona.phone
        name = " ".join(p for p in (phone.first_name, phone.last_name) if p)
        return {
            "key": persona.key,
            "name": name,
            "role": persona.role,
            "language": phone.language_code,
            "standing": await self._standing(persona),
            "started": phone.has_started,
            "blocked": phone.is_blocked,
            "messages": [message_json(m) for m in phone.messages],
            "keyboard": phone.reply_keyboard or [],
            "toasts": phone.toasts,
        }

    async def _state(self, request: web.Request) -> web.Response:
        assert self.services is not None
        exhibitors = await self.services.directory.all_exhibitors()
        return web.json_response(
            {
                "event": {
                    "name": {"fr": self.event.name.fr, "en": self.event.name.en},
                    "timezone": self.event.timezone,
                    "days": [d.date.isoformat() for d in self.event.days],
                    "bot": self.emulator.bot_username,
                },
                "personas": [await self._persona_json(p) for p in self.personas.values()],
                "exhibitors": [{"slug": e.slug, "name": e.name} for e in exhibitors],
            }
        )

    async def _persona(self, request: web.Request) -> web.Response:
        persona = self.personas.get(request.match_info["key"])
        if persona is None:
            raise web.HTTPNotFound(text="no such persona")
        return web.json_response(await self._persona_json(persona))

    async def _events(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await response.prepare(request)
        queue: asyncio.Queue[str] = asyncio.Queue()
        self._clients.add(queue)
        try:
            await response.write(b": connected\n\n")
            while not self._stop.is_set():
                try:
                    key = await asyncio.wait_for(queue.get(), 15)
                except TimeoutError:
                    await response.write(b": keep-alive\n\n")
                    continue
                if not key:
                    break
                keys = {key}
                while not queue.empty():  # a burst of changes: one event per persona
                    keys.add(queue.get_nowait())
                for k in sorted(k for k in keys if k):
                    await response.write(f"data: {k}\n\n".encode())
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self._clients.discard(queue)
        return response

    async def _act(self, request: web.Request) -> web.Response:
        persona = self.personas.get(request.match_info["key"])
        if persona is None:
            raise web.HTTPNotFound(text="no such persona")
        body = await _json_body(request)
        phone = persona.phone
        action = request.match_info["action"]
        try:
            if action == "send":
                text = str(body.get("text", "")).strip()
                if not text:
                    raise web.HTTPBadRequest(text="nothing to send")
                await phone.send(text[:4096])
            elif action == "press":
                message = next((m for m in phone.bot_messages if m.message_id == body.get("message_id")), None)
                if message is None:
                    raise web.HTTPNotFound(text="that message is gone")
                await phone.press_raw(str(body.get("data", "")), message)
            elif action == "link":
                await phone.open_deep_link(str(body.get("payload", ""))[:64])
            elif action == "block":
                await (phone.block() if body.get("blocked") else phone.unblock())
            else:
                raise web.HTTPNotFound(text="unknown action")
        except RuntimeError as err:  # a blocked bot: unblock it first
            raise web.HTTPConflict(text=str(err)) from None
        return web.json_response({"ok": True})

    async def _add_persona(self, request: web.Request) -> web.Response:
        assert self.services is not None
        body = await _json_body(request)
        name = " ".join(str(body.get("name", "")).split())[:60]
        language = str(body.get("language")) if body.get("language") in ("fr", "en") else "fr"
        role = str(body.get("role")) if body.get("role") in ("attendee", "representative", "organiser") else "attendee"
        if len(name) < 2:
            raise web.HTTPBadRequest(text="a name of two letters or more, please")
        first, _, last = name.partition(" ")
        phone = self.emulator.user(first, last_name=last or None, language_code=language)
        payload = None
        if role == "representative":
            exhibitor = await self.services.directory.by_slug(str(body.get("exhibitor", "")))
            if exhibitor is None:
                raise web.HTTPBadRequest(text="choose the exhibitor they represent")
            payload = f"x-{exhibitor.invite_token}"
        elif role == "organiser":
            payload = f"o-{await self.services.registration.new_organiser_invite()}"
        persona = self._add(role, phone)
        if payload is not None:  # they open the invitation link they were sent
            await phone.open_deep_link(payload)
        for queue in self._clients:
            queue.put_nowait("+" + persona.key)
        return web.json_response(await self._persona_json(persona))

    async def _file(self, request: web.Request) -> web.Response:
        stored = self.emulator.files.get(request.match_info["file_id"])
        if stored is None:
            raise web.HTTPNotFound(text="no such file")
        headers = {}
        if stored.file_name:
            disposition = "inline" if (stored.mime_type or "").startswith("image/") else "attachment"
            headers["Content-Disposition"] = f'{disposition}; filename="{stored.file_name}"'
        mime = stored.mime_type or (
            "image/png" if stored.content.startswith(b"\x89PNG") else "application/octet-stream"
        )
        return web.Response(body=stored.content, content_type=mime, headers=headers)


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except json.JSONDecodeError:
        raise web.HTTPBadRequest(text="a JSON object is expected") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="a JSON object is expected")
    return body
