"""Where the bot's time goes under the throughput benchmark's mix, per kind of update.

    python -m benchmarks.profile [--users 500] [--rate 250] [--quick] [--raw FILE]

Runs the throughput benchmark's saturation phase once with py-spy sampling the bot's process
(``--nonblocking``, so the bot is not paused), then sorts every sample two ways:

- by the handler it ran under (the first frame in ``handlers/``), or what the framework was doing
  when no handler was on the stack (fetching updates, sending, the event loop itself);
- by who asked for the work: the nearest frame that is not the standard library, so that
  ``json.loads`` called by PTB counts as PTB's and ``sqlite3`` called through aiosqlite counts as
  storage. "ours" is ``bot/``, ``handlers/`` and ``storage/``; "event loop" is asyncio's own
  work (selecting, waking up, running callbacks) with none of ours on the stack.

Samples are CPU time (py-spy leaves out idle threads; a worker thread waiting on its queue is
left out here too, which py-spy does not always see as idle). The report gives the shares, the top
functions of our own code by inclusive time, and milliseconds per update (samples ÷ rate ÷ updates).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import signal
import sys
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.common import BotProcess, parser, print_table, setup_echo, write_report
from benchmarks.throughput import run_echo, run_maillage

ROOT = Path(__file__).resolve().parent.parent
OURS = tuple(f"{ROOT / package}/" for package in ("bot", "handlers", "storage"))
ENTRY = (f"{ROOT}/bot/__main__.py", f"{ROOT}/bot/cli.py")
FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


@dataclass(frozen=True)
class Frame:
    function: str
    file: str

    @property
    def owner(self) -> str:
        if self.file.startswith(ENTRY):
            return "event loop"  # what runs under ``asyncio.run`` and no other frame of ours
        if self.file.startswith(OURS):
            return "ours"
        for marker, owner in (
            ("/telegram/", "PTB"),
            ("/aiohttp/", "aiohttp"),
            ("/yarl/", "aiohttp"),
            ("/multidict/", "aiohttp"),
            ("/aiosqlite/", "sqlite"),
            ("/pydantic", "pydantic"),
            ("/apscheduler/", "APScheduler"),
        ):
            if marker in self.file:
                return owner
        if "site-packages" in self.file:
            return "other libraries"
        return "stdlib"

    @property
    def short(self) -> str:
        path = self.file
        for prefix in (f"{ROOT}/", "site-packages/"):
            if prefix in path:
                path = path.split(prefix, 1)[1]
        return f"{path}:{self.function}"


def parse_frame(text: str) -> Frame:
    match = FRAME.match(text)
    if not match:
        return Frame(text, "")
    return Frame(match["function"], match["file"])


@dataclass
class Profile:
    rate: float
    updates: int
    samples: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    by_owner: Counter[str] = field(default_factory=Counter)
    by_kind_owner: Counter[tuple[str, str]] = field(default_factory=Counter)
    ours_inclusive: Counter[str] = field(default_factory=Counter)
    self_time: Counter[str] = field(default_factory=Counter)

    def ms_per_update(self, samples: int) -> float:
        return 1000 * samples / self.rate / max(1, self.updates)


# Where a worker thread waits for work: py-spy does not always see such a thread as idle
WAITING = (("_connection_worker_thread", "/aiosqlite/"), ("_worker", "/concurrent/futures/thread.py"))


def is_waiting(leaf: Frame) -> bool:
    return any(leaf.function == function and marker in leaf.file for function, marker in WAITING)


def kind_of(stack: list[Frame]) -> str:
    """The handler a sample ran under, or what the framework was doing without one."""
    for frame in stack:
        if frame.file.startswith(f"{ROOT}/handlers/"):
            return f"handler {frame.short}"
    functions = " ".join(f"{f.function}" for f in stack)
    files = " ".join(f.file for f in stack)
    if "get_updates" in functions or "_start_polling" in functions:
        return "framework: fetching updates"
    if "/bot/jobs/" in files:
        return "background jobs"
    if "process_update" in functions or "_process_update" in functions:
        return "framework: dispatching (no handler yet)"
    if "_post" in functions or "/aiohttp/" in files:
        return "framework: HTTP"
    return "event loop and other"


def who_asked(stack: list[Frame]) -> str:
    for frame in reversed(stack):
        if frame.owner != "stdlib":
            return frame.owner
    return "stdlib"


def nearest_asker(stack: list[Frame]) -> Frame:
    for frame in reversed(stack):
        if frame.owner != "stdlib":
            return frame
    return stack[-1]


def analyse(lines: Iterable[str], rate: float, updates: int) -> Profile:
    profile = Profile(rate, updates)
    for line in lines:
        line = line.rstrip("\n")
        if not line:
            continue
        text, _, count_text = line.rpartition(" ")
        count = int(count_text)
        parts = text.split(";")
        thread, frames = parts[0], [parse_frame(p) for p in parts[1:]]
        if not frames or is_waiting(frames[-1]):
            continue
        in_main = "MainThread" in thread
        kind = kind_of(frames) if in_main else "other threads (aiosqlite's, the sqlite3 calls)"
        owner = who_asked(frames) if in_main else "sqlite"
        profile.samples += count
        profile.by_kind[kind] += count
        profile.by_owner[owner] += count
        profile.by_kind_owner[(kind, owner)] += count
        profile.self_time[nearest_asker(frames).short] += count
        for name in {f.short for f in frames if f.owner == "ours"}:
            profile.ours_inclusive[name] += count
    return profile


def report(profile: Profile, top: int = 25) -> dict[str, Any]:
    def rows(counter: Counter[Any], limit: int | None = None) -> list[list[Any]]:
        return [
            [name, count, f"{100 * count / profile.samples:.1f}", f"{profile.ms_per_update(count):.3f}"]
            for name, count in counter.most_common(limit)
        ]

    headers = ["", "samples", "%", "ms/update"]
    print_table(
        f"By kind of update ({profile.updates} updates, {profile.samples} samples)", headers, rows(profile.by_kind)
    )
    print_table("By who asked for the work", headers, rows(profile.by_owner))
    kind_owner = Counter({f"{k} · {o}": n for (k, o), n in profile.by_kind_owner.items()})
    print_table("By kind and by who asked", headers, rows(kind_owner, 30))
    print_table(f"Our own functions, inclusive (top {top})", headers, rows(profile.ours_inclusive, top))
    print_table(f"Nearest non-stdlib frame, self (top {top})", headers, rows(profile.self_time, top))
    total_ms = profile.ms_per_update(profile.samples)
    print(f"\nCPU per update, all threads: {total_ms:.3f} ms")
    return {
        "updates": profile.updates,
        "samples": profile.samples,
        "rate": profile.rate,
        "ms_per_update": round(total_ms, 4),
        "by_kind": dict(profile.by_kind.most_common()),
        "by_owner": dict(profile.by_owner.most_common()),
        "by_kind_owner": {f"{k} · {o}": n for (k, o), n in profile.by_kind_owner.most_common()},
        "ours_inclusive": dict(profile.ours_inclusive.most_common(top)),
        "self_time": dict(profile.self_time.most_common(top)),
    }


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise SystemExit("py-spy is needed: pip install -e '.[test]'")
    return found


@contextlib.asynccontextmanager
async def sampled(bot: BotProcess, out: Path, rate: int) -> AsyncIterator[None]:
    spy = await asyncio.create_subprocess_exec(
        *(py_spy(), "record", "--pid", str(bot.process.pid), "--format", "raw", "--rate", str(rate)),
        *("--nonblocking", "--threads", "--full-filenames", "--output", str(out)),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    await asyncio.sleep(0.5)  # attached before the first tap
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        _, err = await spy.communicate()
        if not await asyncio.to_thread(out.exists):
            raise RuntimeError(f"py-spy wrote nothing: {err.decode(errors='replace')[-2000:]}")


def compare(ours: Profile, echo: Profile, ours_calls: dict[str, float], echo_calls: dict[str, float]) -> dict[str, Any]:
    """Milliseconds of CPU per update, by who asked, for Maillage and the echo bot on its set-up."""
    owners = sorted(set(ours.by_owner) | set(echo.by_owner), key=lambda o: -ours.by_owner.get(o, 0))
    rows = []
    table: dict[str, dict[str, float]] = {}
    for owner in [*owners, "all"]:
        mine = ours.ms_per_update(ours.samples if owner == "all" else ours.by_owner.get(owner, 0))
        theirs = echo.ms_per_update(echo.samples if owner == "all" else echo.by_owner.get(owner, 0))
        table[owner] = {"maillage": round(mine, 4), "echo": round(theirs, 4), "difference": round(mine - theirs, 4)}
        rows.append([owner, f"{mine:.3f}", f"{theirs:.3f}", f"{mine - theirs:+.3f}"])
    print_table(
        "CPU per update (ms), by who asked: Maillage and the echo bot on Maillage's set-up",
        ["", "Maillage", "echo bot", "difference"],
        rows,
    )
    methods = sorted(set(ours_calls) | set(echo_calls), key=lambda m: -ours_calls.get(m, 0))
    print_table(
        "Bot API calls per update",
        ["method", "Maillage", "echo bot"],
        [[m, ours_calls.get(m, 0), echo_calls.get(m, 0)] for m in methods],
    )
    return table


async def profiled(run: Any, raw: Path, rate: int) -> tuple[dict[str, Any], Profile]:
    result = await run(lambda bot: sampled(bot, raw, rate))
    text = await asyncio.to_thread(raw.read_text)
    return result, analyse(text.splitlines(), rate, result["updates"])


async def main() -> None:
    p = parser(__doc__)
    p.add_argument("--users", type=int, default=500)
    p.add_argument("--rate", type=int, default=250, help="samples per second")
    p.add_argument("--raw", type=Path, help="also keep py-spy's raw (collapsed) stacks of Maillage here")
    args = p.parse_args()
    users = 40 if args.quick else args.users
    with tempfile.TemporaryDirectory() as tmp:
        raw = args.raw or Path(tmp) / "profile.raw"
        result, profile = await profiled(lambda observe: run_maillage(users, seed=0, observe=observe), raw, args.rate)
        per_user = max(1, round(result["updates"] / users))
        echo_result, echo_profile = await profiled(
            lambda observe: run_echo(setup_echo(), users, per_user, observe=observe), Path(tmp) / "echo.raw", args.rate
        )
    print(f"Maillage: {result['updates']} updates, {result['updates_per_s']} updates/s under the profiler")
    summary = report(profile)
    versus = compare(profile, echo_profile, result["bot_api_calls_per_update"], echo_result["bot_api_calls_per_update"])
    write_report(
        "profile",
        {
            "run": result,
            "profile": summary,
            "echo_run": echo_result,
            "echo_profile": report_quietly(echo_profile),
            "versus_echo": versus,
        },
    )


def report_quietly(profile: Profile) -> dict[str, Any]:
    return {
        "updates": profile.updates,
        "samples": profile.samples,
        "ms_per_update": round(profile.ms_per_update(profile.samples), 4),
        "by_owner": dict(profile.by_owner.most_common()),
        "by_kind": dict(profile.by_kind.most_common()),
    }


if __name__ == "__main__":
    asyncio.run(main())
