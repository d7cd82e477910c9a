"""``python -m bot sandbox``: start the sandbox, print its address, stop on Ctrl+C or SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import sys
import tempfile
import webbrowser
from datetime import UTC, datetime
from pathlib import Path

from bot.event import load_event
from bot.sandbox.server import EXAMPLE_EVENT, Sandbox, rehearsal_event


async def _serve(port: int, db_path: Path, shift: bool, open_browser: bool) -> None:
    event = load_event(EXAMPLE_EVENT)
    if shift:
        event = rehearsal_event(event, datetime.now(UTC))
    sandbox = Sandbox(db_path=db_path, event=event, port=port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await sandbox.start()
    try:
        print(f"Maillage sandbox: {sandbox.url}", flush=True)
        print(
            f"  event: {event.name.fr}, {', '.join(d.date.isoformat() for d in event.days)} ({event.timezone})\n"
            f"  data: {db_path}\n  Ctrl+C to stop.",
            flush=True,
        )
        if open_browser and sys.stdin.isatty():
            answer = await loop.run_in_executor(None, input, "Open it in your browser? [Y/n] ")
            if answer.strip().lower() in ("", "y", "yes", "o", "oui"):
                webbrowser.open(sandbox.url)
        await stop.wait()
    finally:
        await sandbox.stop()
    print("sandbox stopped", flush=True)


def run_sandbox(*, port: int, db: str | None, shift: bool, open_browser: bool) -> int:
    try:
        if db:
            asyncio.run(_serve(port, Path(db), shift, open_browser))
        else:
            with tempfile.TemporaryDirectory(prefix="maillage-sandbox-") as workdir:
                asyncio.run(_serve(port, Path(workdir) / "sandbox.db", shift, open_browser))
    except OSError as err:
        print(f"maillage: the sandbox cannot start: {err}", file=sys.stderr)
        return 1
    return 0
