"""The command line: ``python -m bot run | check``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Coroutine, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from telegram.error import InvalidToken, NetworkError

from bot.documents.files import write_private
from bot.event import Event, EventError, Language, load_event
from bot.logs import setup_logging
from bot.settings import ConfigError, Settings, load_settings
from storage.backends import check_url, is_postgres, open_database, sqlite_path
from storage.backends import describe as describe_database
from storage.db import DatabaseUnavailable, SchemaTooNewError

if TYPE_CHECKING:
    from bot.runtime import Services

EXIT_CONFIG = 2
CLI_LANGUAGE: Language = "en"


def _fail(message: str, status: int = EXIT_CONFIG) -> int:
    print(f"maillage: {message}", file=sys.stderr)
    return status


def cmd_run(args: argparse.Namespace) -> int:
    from bot.runner import Role, run

    settings = load_settings()
    secrets = [settings.token, settings.token.split(":", 1)[1]]
    if settings.webhook_secret is not None:
        secrets.append(settings.webhook_secret.get_secret_value())
    setup_logging(settings.log_level, secrets)
    try:
        stray = asyncio.run(_outside_grid(settings, load_event(settings.event_file)))
    except (SchemaTooNewError, DatabaseUnavailable) as err:
        return _fail(str(err))
    if stray:
        return _fail(
            f"{len(stray)} meetings fall outside the event's slots since the event file changed; "
            "run python -m bot reconcile (cancels them with notice to both sides) or restore the file"
        )
    role: Role = getattr(args, "role", "all")
    if role != "all" and not settings.uses_postgres:
        return _fail(
            f"python -m bot {role} shares a PostgreSQL database with other processes: set "
            "DATABASE_URL=postgresql://user@host/db (with SQLite, python -m bot run does everything)"
        )
    return _run_async(settings, run(settings, role))


def _run_async(settings: Settings, main: Coroutine[Any, Any, int | None]) -> int:
    """Run a command that reaches the database and the Bot API; its failures as one line."""
    try:
        return asyncio.run(main) or 0
    except InvalidToken:
        return _fail(f"TELEGRAM_BOT_TOKEN was refused by the Bot API server at {settings.telegram_api_base_url}")
    except NetworkError as err:
        return _fail(f"cannot reach the Bot API server at {settings.telegram_api_base_url} ({err})", 1)
    except (SchemaTooNewError, DatabaseUnavailable) as err:
        return _fail(str(err))


def describe_event(event: Event) -> list[str]:
    lines = [f"Event: {event.name.fr} / {event.name.en}", f"  venue: {event.venue}", f"  timezone: {event.timezone}"]
    for day in event.days:
        slots = event.slots_on(day.date)
        windows = ", ".join(f"{w.start:%H:%M}-{w.end:%H:%M}" for w in day.windows)
        lines.append(f"  {day.date.isoformat()}: {len(slots)} slots of {event.slot_minutes} min in {windows}")
    lines.append(f"  {len(event.slots)} slots in all")
    lines.append(f"Themes ({len(event.themes)}): " + ", ".join(t.id for t in event.themes))
    leads = ", ".join(str(m) for m in event.reminders.lead_minutes)
    lines.append(
        f"Reminders: {leads} min before each meeting; "
        f"day agenda {event.reminders.day_digest_minutes_before} min before the first slot"
    )
    lines.append(
        f"Limits: {event.limits.open_requests_per_attendee} open requests per attendee, "
        f"{event.limits.default_tables_per_exhibitor} tables per exhibitor by default"
    )
    return lines


def describe_settings(settings: Settings) -> list[str]:
    mode = f"webhook {settings.webhook_url}" if settings.webhook_url else "long polling"
    return [
        f"Settings: OK ({mode})",
        f"  Bot API: {settings.telegram_api_base_url}",
        f"  database: {describe_database(settings.database_url)}",
        "  token: " + ("set" if settings.telegram_bot_token else "not set (only python -m bot run needs it)"),
        f"  bot username for links: {settings.bot_username or '(saved by the bot at its first start)'}",
        f"  organisers: {len(settings.organiser_ids)}",
        f"  default language: {settings.default_language}",
    ]


@contextlib.asynccontextmanager
async def _services(settings: Settings, event: Event | None = None) -> AsyncIterator[Services]:
    """The services the bot itself runs (``build_services``), on the configured database."""
    from bot.app import build_services

    async with open_database(settings.database_url) as db:
        yield build_services(settings, event or load_event(settings.event_file), db)


async def _outside_grid(settings: Settings, event: Event) -> list[str]:
    """Open meetings the event file no longer has a slot for, one line each."""
    if not _has_database(settings):
        return []
    async with _services(settings, event) as services:
        service = services.meetings
        lines = []
        for meeting in await service.outside_grid():
            view = await service.view(meeting)
            who = view.attendee.full_name if view.attendee else "?"
            when = meeting.slot_start.astimezone(event.tz)
            lines.append(
                f"  meeting {meeting.id}: {when:%Y-%m-%d %H:%M} {view.exhibitor.name} / {who} ({meeting.status})"
            )
        return lines


def cmd_check(args: argparse.Namespace) -> int:
    settings = load_settings(require_token=False)
    event = load_event(settings.event_file)
    print("\n".join(describe_settings(settings) + describe_event(event)))
    try:
        stray = asyncio.run(_outside_grid(settings, event))
    except (SchemaTooNewError, DatabaseUnavailable) as err:
        return _fail(str(err))
    if stray:
        print(
            f"{len(stray)} meetings fall outside the event's slots (python -m bot reconcile cancels them, with notice):"
        )
        print("\n".join(stray))
        return EXIT_CONFIG
    return 0


async def _reconcile(settings: Settings) -> int:
    from bot.services.cancellations import cancellation_notices

    async with _services(settings) as services:
        cancelled = await services.meetings.reconcile()
        notices = await cancellation_notices(
            services.tr, services.event, services.meetings, cancelled, "reconcile.notice"
        )
        await services.broadcasts.notify(notices, audience="reconcile")
    print(f"{len(cancelled)} meetings cancelled; {len(notices)} notices will go out when the bot runs")
    return 0


def cmd_reconcile(args: argparse.Namespace) -> int:
    settings = load_settings(require_token=False)
    return _run_async(settings, _reconcile(settings))


async def _export(settings: Settings, args: argparse.Namespace) -> bytes:
    from bot.services.reports import EXPORTS

    whats = list(EXPORTS) if args.what == "all" else [args.what]
    async with _services(settings) as services:
        if not (args.csv or args.plain):
            return await services.reports.workbook(whats, args.lang, raw=args.raw)
        return await services.reports.export(args.what, excel=args.csv, language=args.lang, raw=args.raw)


def _export_format(args: argparse.Namespace) -> str | None:
    """The file's extension chooses the format (.csv: French Excel's CSV, or commas with --plain;
    .xlsx: the workbook), so that no file is named for another format; None when it is settled,
    else why not. Another extension takes the flags as they are (the workbook by default)."""
    suffix = Path(args.out).suffix.lower()
    if suffix == ".csv" and not args.plain:
        args.csv = True
    elif suffix == ".xlsx" and (args.csv or args.plain):
        flag = "--csv" if args.csv else "--plain"
        return f"{args.out} is named as a workbook (.xlsx) but {flag} asks for CSV: name it .csv"
    if args.what == "all" and (args.csv or args.plain):
        return "export all makes one workbook: for CSV, export participants, exhibitors and meetings one by one"
    return None


def cmd_export(args: argparse.Namespace) -> int:
    settings = load_settings(require_token=False)
    if (mismatch := _export_format(args)) is not None:
        return _fail(mismatch)
    if (missing := _no_database(settings)) is not None:
        return missing
    content = asyncio.run(_export(settings, args))
    out = Path(args.out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_private(out, content)
    except OSError as err:
        return _fail(f"cannot write {out}: {err.strerror}")
    kind = (
        "CSV, comma-separated UTF-8"
        if args.plain
        else "CSV for French Excel: UTF-8 with BOM, ;"
        if args.csv
        else "Excel workbook"
    )
    language = "the database's codes" if args.raw else {"fr": "French", "en": "English"}[args.lang]
    print(f"{args.what} written to {args.out} ({kind}, {language})")
    return 0


async def _purge(settings: Settings, dry_run: bool) -> int:
    event = load_event(settings.event_file)
    async with _services(settings, event) as services:
        privacy = services.privacy
        due = privacy.purge_due().astimezone(event.tz)
        figures = await privacy.purge_preview()
        what = (
            f"{figures.participants} participants, {figures.conversations} conversations in progress, "
            f"{figures.deliveries} messages, {figures.meeting_notes} meeting notes, {figures.reminders} reminders"
        )
        if dry_run:
            print(f"would delete {what} (purge due on {due:%Y-%m-%d %H:%M %Z}); nothing deleted")
            return 0
        done = await privacy.purge_if_due()
    if done is None:
        print(f"not yet: personal data is kept until {due:%Y-%m-%d %H:%M %Z} ([privacy] purge_after_days)")
        return 0
    print(f"deleted {what}; anonymous counts kept for the statistics")
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    settings = load_settings(require_token=False)
    return _run_async(settings, _purge(settings, args.dry_run))


async def _bot_username(settings: Settings, services: Services) -> str | None:
    """The bot's @username for links: BOT_USERNAME, or the one the bot saved at its last start."""
    return settings.bot_username or await services.registration.saved_bot_username()


LINKS_NEED_USERNAME = (
    "the links need the bot's username: set BOT_USERNAME (the bot's @name, without the @), "
    "or start the bot once (python -m bot run), then print them with {command}"
)


def _has_database(settings: Settings) -> bool:
    """A SQLite file that exists; a PostgreSQL database always does (the connection says otherwise)."""
    return settings.uses_postgres or settings.database_path.exists()


def _no_database(settings: Settings) -> int | None:
    """A command that reads the event's data says so when there is none, instead of making an empty file."""
    if _has_database(settings):
        return None
    return _fail(
        f"no database at {describe_database(settings.database_url)}: check DATABASE_URL, "
        "or import the exhibitors first (python -m bot import-exhibitors FILE.csv)"
    )


async def _invite(settings: Settings, args: argparse.Namespace) -> int:
    # the first organiser is invited on a fresh setup, before anything else: that creates the database
    if args.kind != "organiser" and (missing := _no_database(settings)) is not None:
        return missing
    async with _services(settings) as services:
        username = await _bot_username(settings, services)
        if args.kind == "organiser":
            token = await services.registration.new_organiser_invite()
            payload, what = f"o-{token}", "Organiser invitation (single use)"
        else:
            if not args.slug:
                return _fail("invite exhibitor needs the exhibitor's slug")
            exhibitor = await services.directory.by_slug(args.slug)
            if exhibitor is None:
                return _fail(f"no exhibitor with slug {args.slug!r}")
            token = (
                await services.registration.new_stand_invite(exhibitor.id) if args.revoke else exhibitor.invite_token
            )
            what = f"Representatives' invitation for {exhibitor.name}" + (
                " (previous link revoked)" if args.revoke else ""
            )
            payload = f"x-{token}"
    print(f"{what}:\nhttps://t.me/{username or '<bot username>'}?start={payload}")
    if username is None:
        note = "put the bot's @name (without the @) in place of <bot username>; "
        print("maillage: " + note + LINKS_NEED_USERNAME.format(command="this command"), file=sys.stderr)
    return 0


async def _import_exhibitors(settings: Settings, raw: bytes) -> int:
    from bot.documents.import_report import invite_link, render_report
    from bot.i18n import Translator, to_plain

    async with _services(settings) as services:
        report = await services.directory.import_csv(raw)
        username = await _bot_username(settings, services)
    tr = Translator.load()
    # the command line speaks one language, English, like the logs and the configuration and
    # event-file errors it shares a console with; the chat speaks each person's language
    print(to_plain(render_report(tr, CLI_LANGUAGE, report)))
    if not report.ok:
        return EXIT_CONFIG
    if username is None:
        command = "python -m bot invite exhibitor SLUG (and python -m bot qr --out DIR)"
        print("maillage: " + LINKS_NEED_USERNAME.format(command=command), file=sys.stderr)
        return 0
    for exhibitor in [*report.created, *report.updated]:
        print(f"{exhibitor.slug}: {invite_link(username, exhibitor)}")
    return 0


def cmd_import_exhibitors(args: argparse.Namespace) -> int:
    settings = load_settings(require_token=False)
    try:
        raw = Path(args.file).read_bytes()
    except OSError as err:
        return _fail(f"cannot read {args.file}: {err.strerror}")
    return _run_async(settings, _import_exhibitors(settings, raw))


async def _plan(settings: Settings, args: argparse.Namespace) -> int:
    import json
    from datetime import date

    from handlers.notify import outgoing

    day = None
    async with _services(settings) as services:
        if args.day:
            try:
                day = date.fromisoformat(args.day)
            except ValueError:
                return _fail(f"--day {args.day}: a date such as 2026-06-12")
            if day not in services.planning.days():
                days = ", ".join(d.isoformat() for d in services.planning.days())
                return _fail(f"--day {args.day} is not a day of the event ({days})")
        seconds = args.time_limit or settings.planner_seconds
        plan = await services.planning.compute(None, day, seconds)
        s = plan.summary
        print(
            f"plan {plan.id}: {s['meetings']} meetings; wishes met {s['wishes_met']}/{s['wishes']}; "
            f"attendees with no meeting {s['no_meeting']}/{s['attendees']}; mutual wishes met "
            f"{s['mutual_met']}/{s['mutual']}; at least k met (k=1..): {' '.join(map(str, s['at_least']))}; "
            f"idle gaps {s['idle_gaps']}; {s['seconds']} s, "
            + ("proven optimal" if s["proven"] else f"gap {100 * s['gap']:.2f} %")
        )
        if args.json:
            planned = await services.planning.planned(plan.id)
            document = {
                "plan": plan.id,
                "summary": s,
                "meetings": [
                    {
                        "attendee": m.attendee_id,
                        "exhibitor": m.exhibitor_id,
                        "slot_start": m.slot_start.isoformat(),
                        "reason": m.reason,
                        "rank": m.rank,
                    }
                    for m in planned
                ],
            }
            write_private(Path(args.json), json.dumps(document, indent=2).encode())
            print(f"written: {args.json}")
        if args.dry_run:
            await services.planning.discard(plan.id)
            print("dry run: nothing published")
            return 0
        publication = await services.planning.publish(plan.id)
        outs = [out for notice in publication.notices if notice.to.reachable for out in outgoing(services, notice)]
        await services.broadcasts.notify(outs, audience=f"plan:{plan.id}", bulk=True)
    print(
        f"published: {publication.made} meetings made ({publication.left_out} left out: taken since the preview); "
        f"{len(publication.notices)} messages will go out when the bot runs"
    )
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    settings = load_settings(require_token=False)
    if (missing := _no_database(settings)) is not None:
        return missing
    return _run_async(settings, _plan(settings, args))


async def _import_wishes(settings: Settings, raw: bytes) -> int:
    from bot.documents.import_report import reason
    from bot.i18n import Translator, to_plain

    async with _services(settings) as services:
        result = await services.wishes.import_csv(raw)
    tr = Translator.load()
    if not result.ok:
        count = len(result.errors)
        print(f"nothing imported: {count} problem{'' if count == 1 else 's'} to fix", file=sys.stderr)
        for error in result.errors:
            print(
                f"  line {error.line}: {to_plain(reason(tr, CLI_LANGUAGE, error.key, error.params))}", file=sys.stderr
            )
        return EXIT_CONFIG
    wishes = sum(len(w) for w in result.wishes.values())
    print(f"{wishes} wishes imported for {len(result.wishes)} participants")
    return 0


def cmd_import_wishes(args: argparse.Namespace) -> int:
    settings = load_settings(require_token=False)
    if (missing := _no_database(settings)) is not None:
        return missing
    try:
        raw = Path(args.file).read_bytes()
    except OSError as err:
        return _fail(f"cannot read {args.file}: {err.strerror}")
    return _run_async(settings, _import_wishes(settings, raw))


async def _report(settings: Settings, args: argparse.Namespace) -> int:
    from bot.documents.event_report import render_report

    async with _services(settings) as services:
        figures = await services.reports.event_report()
        page = render_report(services.tr, args.lang, services.event, figures)
    out = Path(args.out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_private(out, page.encode("utf-8"))
    except OSError as err:
        return _fail(f"cannot write {out}: {err.strerror}")
    print(f"report written to {args.out}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    settings = load_settings(require_token=False)
    if (missing := _no_database(settings)) is not None:
        return missing
    return _run_async(settings, _report(settings, args))


async def _qr(settings: Settings, args: argparse.Namespace) -> int:
    from bot.documents.import_report import stand_link
    from bot.documents.qr import write_sheet

    event = load_event(settings.event_file)
    if (missing := _no_database(settings)) is not None:
        return missing
    async with _services(settings, event) as services:
        exhibitors = await services.directory.all_exhibitors()
        username = await _bot_username(settings, services)
    if not exhibitors:
        return _fail("no exhibitors yet: import them first (python -m bot import-exhibitors FILE.csv)")
    if username is None:  # a stand's QR code is its link: nothing to draw without the username
        return _fail(LINKS_NEED_USERNAME.format(command="python -m bot qr --out DIR"))
    stands = [(e.slug, e.name, e.stand, stand_link(username, e)) for e in exhibitors]
    written = write_sheet(Path(args.out), stands, event.name(settings.default_language))
    print(f"{len(exhibitors)} QR codes and index.html written to {args.out}")
    return 0 if written else 1


def cmd_migrate_db(args: argparse.Namespace) -> int:
    settings = load_settings(require_token=False)
    target = args.to or settings.database_url
    for url in (args.source, target):
        try:
            check_url(url)
        except ValueError as err:
            return _fail(f"{url}: {err}")
    if args.source == target:
        return _fail("--from and --to name the same database")
    if not is_postgres(args.source) and not sqlite_path(args.source).exists():
        return _fail(f"no database at {describe_database(args.source)}")
    return _run_async(settings, _migrate_db(args.source, target))


async def _migrate_db(source_url: str, target_url: str) -> int:
    from storage.transfer import TargetNotEmpty, copy_database

    async with open_database(source_url) as source, open_database(target_url) as target:
        try:
            copied = await copy_database(source, target)
        except TargetNotEmpty as err:
            return _fail(f"{err}: nothing copied; point --to at an empty database")
    print(f"copied {copied.total} rows from {describe_database(source_url)} to {describe_database(target_url)}")
    for table, count in copied.rows.items():
        if count:
            print(f"  {table}: {count}")
    return 0


def cmd_qr(args: argparse.Namespace) -> int:
    settings = load_settings(require_token=False)
    return _run_async(settings, _qr(settings, args))


def cmd_invite(args: argparse.Namespace) -> int:
    settings = load_settings(require_token=False)
    return _run_async(settings, _invite(settings, args))


def cmd_sandbox(args: argparse.Namespace) -> int:
    from bot.sandbox.cli import run_sandbox

    setup_logging("WARNING", [])
    return run_sandbox(port=args.port, db=args.db, shift=not args.no_shift, open_browser=not args.no_browser)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Maillage, the networking bot of an in-person event."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("run", help="run the bot (long polling, or webhook when WEBHOOK_URL is set)").set_defaults(
        func=cmd_run
    )
    commands.add_parser(
        "ingress", help="only receive updates and keep them for the workers (PostgreSQL; long polling or webhook)"
    ).set_defaults(func=cmd_run, role="ingress")
    commands.add_parser(
        "worker", help="only handle the updates an ingress kept, send, run the jobs (PostgreSQL; as many as needed)"
    ).set_defaults(func=cmd_run, role="worker")
    commands.add_parser("check", help="validate the settings and the event file, print a summary").set_defaults(
        func=cmd_check
    )
    invite = commands.add_parser("invite", help="print an invite link: organiser (single use) or exhibitor SLUG")
    invite.add_argument("kind", choices=["organiser", "exhibitor"])
    invite.add_argument("slug", nargs="?", help="the exhibitor's slug")
    invite.add_argument("--revoke", action="store_true", help="exhibitor: revoke the current link and print a new one")
    invite.set_defaults(func=cmd_invite)
    importer = commands.add_parser("import-exhibitors", help="create or update exhibitors from a CSV file")
    importer.add_argument("file", help="CSV: name, slug, description, themes, stand, tables, website, contact email")
    importer.set_defaults(func=cmd_import_exhibitors)
    planner = commands.add_parser("plan", help="plan the speed meetings from everyone's wishes, and publish them")
    planner.add_argument("--day", help="only this day of the event (YYYY-MM-DD); default: every day")
    planner.add_argument("--dry-run", action="store_true", help="compute and report, publish nothing")
    planner.add_argument("--json", metavar="OUT", help="also write the plan (figures, meetings, reasons) as JSON")
    planner.add_argument("--time-limit", type=float, help="seconds for the solver (default: PLANNER_SECONDS)")
    planner.set_defaults(func=cmd_plan)
    wishes = commands.add_parser("import-wishes", help="import wishes collected before the event from a CSV file")
    wishes.add_argument("file", help="CSV: participant (id from export participants), exhibitor slug, rank")
    wishes.set_defaults(func=cmd_import_wishes)
    qr = commands.add_parser("qr", help="write a printable QR code per exhibitor's stand")
    qr.add_argument("--out", required=True, help="folder for the PNG files and index.html")
    qr.set_defaults(func=cmd_qr)
    exporter = commands.add_parser(
        "export", help="write participants, exhibitors, meetings (or all three) as an Excel workbook, or CSV"
    )
    exporter.add_argument("what", choices=["participants", "exhibitors", "meetings", "all"])
    exporter.add_argument(
        "--out", required=True, help="the file to write: .xlsx a workbook, .csv French Excel's CSV (--plain: commas)"
    )
    form = exporter.add_mutually_exclusive_group()
    form.add_argument("--csv", action="store_true", help="CSV for French Excel (UTF-8 with BOM, ;) instead of .xlsx")
    form.add_argument("--plain", action="store_true", help="CSV, comma-separated UTF-8, instead of .xlsx")
    exporter.add_argument("--raw", action="store_true", help="the database's column names and codes")
    exporter.add_argument("--lang", choices=["fr", "en"], default="fr", help="headers and values (default fr)")
    exporter.set_defaults(func=cmd_export)
    report = commands.add_parser("report", help="the organisers' report of the event, as one HTML page")
    report.add_argument("--out", required=True, help="the HTML file to write (print it to PDF from a browser)")
    report.add_argument("--lang", choices=["fr", "en"], default="fr", help="the report's language (default fr)")
    report.set_defaults(func=cmd_report)
    reconcile = commands.add_parser("reconcile", help="cancel, with notice, meetings the event file no longer has")
    reconcile.set_defaults(func=cmd_reconcile)
    purge = commands.add_parser("purge", help="delete personal data once [privacy] purge_after_days have passed")
    purge.add_argument("--dry-run", action="store_true", help="say what would be deleted, delete nothing")
    purge.set_defaults(func=cmd_purge)
    migrate_db = commands.add_parser(
        "migrate-db", help="copy an event's data to another database, e.g. from SQLite to PostgreSQL"
    )
    migrate_db.add_argument(
        "--from", dest="source", required=True, metavar="URL", help="sqlite:///... or postgresql://..."
    )
    migrate_db.add_argument("--to", metavar="URL", help="an empty database (default: DATABASE_URL)")
    migrate_db.set_defaults(func=cmd_migrate_db)
    sandbox = commands.add_parser(
        "sandbox", help="rehearse offline: the bot on a simulated Telegram, phones side by side in a browser"
    )
    sandbox.add_argument("--port", type=int, default=8080, help="the web page's port (default 8080)")
    sandbox.add_argument("--db", help="keep the data in this SQLite file (default: a fresh temporary one)")
    sandbox.add_argument("--no-shift", action="store_true", help="keep the event's real dates")
    sandbox.add_argument("--no-browser", action="store_true", help="do not offer to open a browser")
    sandbox.set_defaults(func=cmd_sandbox)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        status: int = args.func(args)
    except ConfigError as err:
        return _fail(f"configuration error: {err}")
    except EventError as err:
        return _fail(f"event file error: {err}")
    except KeyboardInterrupt:
        return 130
    return status
