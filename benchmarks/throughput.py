"""Throughput: registered users drive the bot as fast as it answers them.

    python -m benchmarks.throughput [--users 500] [--runs 3] [--quick] [--against REV]

Each simulated attendee walks the bot the way a phone does, waiting for each answer
before the next tap: opens the directory, a theme, a card, goes back, requests a
meeting (slot, no note, send), looks at the agenda, searches. Representatives (one per
exhibitor) accept or decline, with a reason, every request they get. The mix, counted
in updates, is printed with the figures.

Baselines on the same emulator, in the same run, with the same number of users each
sending as many messages: a bare echo bot on Maillage's own set-up (PTB, per-user ordered
concurrency, the aiohttp transport), one on PTB with its defaults, and one on aiogram 3.
Reported: updates per second, the ratio of Maillage to each, Maillage's own work per update
(1/Maillage's rate - 1/the rate of the echo bot on its set-up), and the time from an update
to its answer (p50/p95/p99). Runs alternate between the bots and
the report gives medians. ``--against REV`` adds Maillage as it was at a git revision,
run alternately with today's: a before/after comparison in the same run.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from benchmarks.common import (
    BotProcess,
    Contender,
    against,
    aiogram_echo,
    cpu_seconds,
    has_button,
    latency_summary,
    maillage,
    median_report,
    newest_buttons,
    parser,
    postgres_pids,
    postgres_schema,
    press_matching,
    print_table,
    ptb_echo,
    setup_echo,
    start_maillage,
    timed,
    wait_button,
    wait_for_buttons,
    write_report,
)
from benchmarks.generate import WORDS, generate
from bot.emulator import Phone, TelegramEmulator

USERS_PER_EXHIBITOR = 12  # 500 users: 40 exhibitors, each with one representative


class Over(Exception):
    """The paced phase's time is up."""


class Recorder:
    """Times every update; in the paced phase, a person's think time comes before each tap."""

    def __init__(self, rng: random.Random, think: float | None = None, until: float | None = None) -> None:
        self.rng = rng
        self.think = think
        self.until = until
        self.latencies: list[float] = []
        self.mix: Counter[str] = Counter()
        self.timeouts = 0
        self.missing: Counter[str] = Counter()  # buttons that never came
        self.requested: Counter[int] = Counter()  # exhibitor id -> meeting requests sent to its stand

    async def step(self, phone: Phone, category: str, action: Callable[[], Awaitable[Any]]) -> bool:
        pause = self.rng.expovariate(1 / self.think) if self.think else 0.0
        if self.until is not None and time.monotonic() + pause > self.until:
            await asyncio.sleep(max(0.0, self.until - time.monotonic()))
            raise Over
        if pause:
            await asyncio.sleep(pause)
        try:
            self.latencies.append(await timed(phone, action))
        except TimeoutError:
            self.timeouts += 1
            return False
        self.mix[category] += 1
        return True

    async def press(
        self, phone: Phone, category: str, prefix: str, choose: Callable[[list[str]], str] | None = None, among: int = 3
    ) -> bool:
        if not await wait_button(phone, prefix, among=among):
            self.missing[prefix] += 1
            return False
        return await self.step(phone, category, lambda: press_matching(phone, prefix, choose))


async def attendee(phone: Phone, rng: random.Random, rec: Recorder) -> None:
    choose = rng.choice

    async def browse() -> None:
        """The directory screen, edited in place as the user taps through it."""
        await rec.step(phone, "directory", lambda: phone.send("/exhibitors"))
        if not await wait_button(phone, "dir:l:", among=1):
            rec.missing["dir:l:"] += 1
            return
        screen = phone.bot_messages[-1]
        for category, prefix in (
            ("directory", "dir:l:"),
            ("card", "dir:e:"),
            ("directory", "dir:themes"),
            ("directory", "dir:l:"),
            ("card", "dir:e:"),
        ):
            options = await wait_for_buttons(phone, screen, prefix)
            if not options:
                rec.missing[prefix] += 1
                return
            data = choose(options)
            await rec.step(phone, category, functools.partial(phone.press_raw, data, screen))

    async def request_meeting() -> None:
        if not await wait_button(phone, "mt:new:"):
            rec.missing["mt:new:"] += 1
            return
        found = newest_buttons(phone, "mt:new:", among=None)
        stand = int(found[1][0].split(":")[2]) if found else 0
        if not await rec.press(phone, "request", "mt:new:"):
            return
        if not has_button(phone, "mt:slot:"):
            return  # no free slot, or a request is already open with this exhibitor: the bot said so
        await rec.press(phone, "request", "mt:slot:", choose)
        if has_button(phone, "mt:slotok:"):  # the slot clashes with a session: confirm
            await rec.press(phone, "request", "mt:slotok:")
        await rec.press(phone, "request", "mt:draft:skip")
        if await rec.press(phone, "request", "mt:draft:send"):
            rec.requested[stand] += 1

    await browse()
    await request_meeting()
    await rec.step(phone, "agenda", lambda: phone.send("/agenda"))
    await browse()
    await rec.step(phone, "search", lambda: phone.send(f"/search {choose(WORDS)}"))
    await browse()
    await rec.step(phone, "agenda", lambda: phone.send("/agenda"))
    await rec.step(phone, "search", lambda: phone.send(f"/search {choose(WORDS)}"))


async def representative(
    phone: Phone, stand: int, rng: random.Random, rec: Recorder, attendees_done: asyncio.Event
) -> None:
    """Answers every request the stand gets: once the attendees are done, until it has had as many
    as they sent (a chat takes the bot's own messages at one a second, so the last come later)."""
    handled: set[int] = set()
    last_new = time.monotonic()
    while True:
        todo = [m for m in phone.bot_messages if m.message_id not in handled and m.button_labels]
        todo = [m for m in todo if any(b.get("callback_data", "").startswith("mt:acc:") for r in m.buttons for b in r)]
        if not todo:
            if attendees_done.is_set() and (len(handled) >= rec.requested[stand] or rec.until is not None):
                return
            if attendees_done.is_set() and time.monotonic() - last_new > 10:
                rec.missing["mt:acc:"] += rec.requested[stand] - len(handled)  # never came
                return
            with contextlib.suppress(TimeoutError):
                await phone.wait_bot_change(phone.bot_version, timeout=0.5)
            continue
        last_new = time.monotonic()
        msg = todo[0]
        handled.add(msg.message_id)
        data = {
            b["callback_data"].split(":")[1]: b["callback_data"] for r in msg.buttons for b in r if "callback_data" in b
        }
        if rng.random() < 0.5:
            await rec.step(phone, "accept/decline", functools.partial(phone.press_raw, data["acc"], msg))
        else:
            await rec.step(phone, "accept/decline", functools.partial(phone.press_raw, data["dec"], msg))
            await rec.press(phone, "accept/decline", "mt:decr:", among=5)


async def echo_user(phone: Phone, messages: int, rec: Recorder) -> None:
    for n in range(messages):
        await rec.step(phone, "echo", functools.partial(phone.send, f"bonjour {n}"))


async def until_over(script: Awaitable[None], repeat: Callable[[], Awaitable[None]] | None) -> None:
    try:
        await script
        while repeat is not None:
            await repeat()
    except Over:
        pass


def remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


async def generate_in(tree: Path, path: Path, sizes: dict[str, int]) -> None:
    """The benchmark database as the Maillage in ``tree`` makes it (its own schema; same seed, same rows)."""
    remove_database(path)  # the one today's generator made goes first
    code = (
        "import asyncio, sys; from pathlib import Path; from benchmarks.generate import generate; "
        f"asyncio.run(generate(Path(sys.argv[1]), **{sizes!r}))"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, str(path), cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)}
    )
    if await process.wait() != 0:
        raise RuntimeError(f"the database generator of {tree} failed")


async def run_maillage(
    users: int,
    seed: int,
    think: float | None = None,
    duration: float | None = None,
    contender: Contender | None = None,
    observe: Callable[[BotProcess], contextlib.AbstractAsyncContextManager[Any]] | None = None,
    postgres: bool = False,
    workers: int = 0,
) -> dict[str, Any]:
    """Saturation (no think time, each user's script once) or paced (think time, for ``duration`` seconds).

    ``observe`` wraps the users' part of the run, the bot's process given (``benchmarks.profile``
    attaches a sampling profiler with it). ``postgres``: on a PostgreSQL schema of its own, holding the
    same rows; ``workers``: as an ingress and that many workers (PostgreSQL only). The report gives the
    CPU each process used while the users were at it."""
    contender = contender or maillage()
    exhibitors = max(2, users // USERS_PER_EXHIBITOR)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        sizes = {"participants": users, "exhibitors": exhibitors, "meetings": 0, "reps_per_exhibitor": 1, "tables": 3}
        generated = await generate(workdir / "bench.db", **sizes)  # type: ignore[arg-type]
        tree = dict(contender.env).get("PYTHONPATH")
        if tree:  # an earlier Maillage refuses a newer schema: its own generator makes the same rows
            await generate_in(Path(tree), workdir / "bench.db", sizes)
        database: dict[str, str] = {}
        async with contextlib.AsyncExitStack() as stack:
            if postgres:
                database["DATABASE_URL"] = await stack.enter_async_context(postgres_schema(workdir / "bench.db"))
            result = await _saturate(
                contender, workdir, generated, users, seed, think, duration, observe, workers, database
            )
    return result


async def _saturate(
    contender: Contender,
    workdir: Path,
    generated: Any,
    users: int,
    seed: int,
    think: float | None,
    duration: float | None,
    observe: Callable[[BotProcess], contextlib.AbstractAsyncContextManager[Any]] | None,
    workers: int,
    database: dict[str, str],
) -> dict[str, Any]:
    async with TelegramEmulator() as emulator:
        attendees = [emulator.user(f"A{i}", user_id=t, started=True) for i, t in enumerate(generated.attendee_ids)]
        reps = {
            e: emulator.user(f"R{e}", user_id=ids[0], started=True) for e, ids in generated.representative_ids.items()
        }
        # The emulator enforces no flood limit here and the echo bots pace nothing: Maillage's own
        # pacing is lifted too, so that the three are measured on their work alone
        logging = {"LOG_LEVEL": "INFO"} if database else {}  # what the processes say of the write lock
        processes = await start_maillage(
            contender, emulator, workdir, workers, TELEGRAM_MESSAGES_PER_SECOND="100000", **logging, **database
        )
        bot = processes[-1]
        rng = random.Random(seed)
        started = time.monotonic()
        until = started + duration if duration else None
        rec = Recorder(random.Random(seed), think, until)
        done = asyncio.Event()
        rep_tasks = [
            asyncio.create_task(until_over(representative(p, e, random.Random(rng.random()), rec, done), None))
            for e, p in reps.items()
        ]

        def script(phone: Phone) -> Callable[[], Awaitable[None]]:
            own = random.Random(rng.random())
            return lambda: attendee(phone, own, rec)

        scripts = [script(p) for p in attendees]
        cpu_before = _cpu(processes)
        async with observe(bot) if observe else contextlib.nullcontext():
            await asyncio.gather(*(until_over(s(), s if duration else None) for s in scripts))
            done.set()
            await asyncio.gather(*rep_tasks)
        elapsed = duration or time.monotonic() - started
        cpu = {k: round(v - cpu_before.get(k, 0.0), 2) for k, v in _cpu(processes).items()}
        for process in processes:
            await process.stop()
        said = [p.log.read_text(errors="replace") for p in processes]
        refused = emulator.errors(expected=())
        calls = Counter(c.method for c in emulator.calls)
    updates = len(rec.latencies)
    label = contender.label
    if database:
        label += f", PostgreSQL, {f'ingress + {workers} workers' if workers else 'one process'}"
    return {
        "label": label,
        "cpu_seconds": cpu,
        "users": users,
        "updates": updates,
        "seconds": round(elapsed, 3),
        "updates_per_s": round(updates / elapsed, 1),
        **latency_summary(rec.latencies),
        "timeouts": rec.timeouts,
        "buttons_missing": sum(rec.missing.values()),
        "refused_calls": len(refused),
        "mix": {k: round(v / updates, 3) for k, v in sorted(rec.mix.items())},
        "bot_api_calls_per_update": per_update(calls, updates),
        **({"write_lock": write_lock(said), "handled_by_worker": handled_by_worker(said[1:])} if database else {}),
    }


LOCK_LINE = re.compile(r"write lock: (\d+) transactions, waited ([\d.]+) s, held ([\d.]+) s")
COMMITTING = re.compile(r"write lock: .* committing ([\d.]+) s")
HANDLED_LINE = re.compile(r"this worker handled (\d+) updates")


def write_lock(logs: list[str]) -> dict[str, float]:
    """Every process's write transactions, from the line each logs when it stops (storage/postgres.py)."""
    found = [m.groups() for text in logs for m in LOCK_LINE.finditer(text)]
    return {
        "transactions": sum(int(n) for n, _, _ in found),
        "waited_s": round(sum(float(w) for _, w, _ in found), 4),
        "held_s": round(sum(float(h) for _, _, h in found), 4),
        "committing_s": round(sum(float(m.group(1)) for text in logs for m in COMMITTING.finditer(text)), 4),
    }


def handled_by_worker(logs: list[str]) -> list[int]:
    return [int(m.group(1)) for text in logs if (m := HANDLED_LINE.search(text))]


def _cpu(processes: list[BotProcess]) -> dict[str, float]:
    """CPU seconds used so far: each bot process, PostgreSQL's, and this one (the emulator and the users)."""
    names = ["bot"] if len(processes) == 1 else ["ingress"] + [f"worker {n + 1}" for n in range(len(processes) - 1)]
    used = {name: cpu_seconds(p.process.pid) for name, p in zip(names, processes, strict=True)}
    used["postgresql"] = sum(cpu_seconds(pid) for pid in postgres_pids())
    used["emulator and users"] = sum(os.times()[:2])
    return used


def per_update(calls: Counter[str], updates: int) -> dict[str, float]:
    """Bot API calls of each kind per update handled (getUpdates included)."""
    return {method: round(n / max(1, updates), 3) for method, n in calls.most_common()}


async def run_echo(
    contender: Contender,
    users: int,
    messages: int,
    think: float | None = None,
    duration: float | None = None,
    observe: Callable[[BotProcess], contextlib.AbstractAsyncContextManager[Any]] | None = None,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        async with TelegramEmulator() as emulator:
            phones = [emulator.user(f"U{i}", started=True) for i in range(users)]
            bot = await BotProcess.start(contender, emulator, Path(tmp))
            started = time.monotonic()
            rec = Recorder(random.Random(0), think, started + duration if duration else None)

            def script(phone: Phone) -> Callable[[], Awaitable[None]]:
                return lambda: echo_user(phone, messages, rec)

            async with observe(bot) if observe else contextlib.nullcontext():
                await asyncio.gather(*(until_over(s(), s if duration else None) for s in (script(p) for p in phones)))
            elapsed = duration or time.monotonic() - started
            await bot.stop()
            calls = Counter(c.method for c in emulator.calls)
    updates = len(rec.latencies)
    return {
        "label": contender.label,
        "users": users,
        "updates": updates,
        "seconds": round(elapsed, 3),
        "updates_per_s": round(updates / elapsed, 1),
        **latency_summary(rec.latencies),
        "timeouts": rec.timeouts,
        "bot_api_calls_per_update": per_update(calls, updates),
    }


async def main() -> None:
    p = parser(__doc__)
    p.add_argument("--users", type=int, default=500)
    p.add_argument("--think", type=float, default=3.0, help="mean seconds between a person's taps, paced phase")
    p.add_argument("--duration", type=float, default=20.0, help="seconds of the paced phase")
    p.add_argument("--against", metavar="REV", help="also run Maillage as it was at this git revision")
    args = p.parse_args()
    await against(args.against, functools.partial(measure, args))


async def measure(args: Any, earlier: Contender | None) -> None:
    users = 40 if args.quick else args.users
    duration = 3.0 if args.quick else args.duration
    runs = args.runs or (1 if args.quick else 3)
    contenders = [setup_echo(), ptb_echo(), aiogram_echo()]
    saturated: dict[str, list[dict[str, Any]]] = {}
    paced: dict[str, list[dict[str, Any]]] = {}
    for n in range(runs):
        ours = await run_maillage(users, seed=n)
        saturated.setdefault(ours["label"], []).append(ours)
        if earlier:
            saturated.setdefault(earlier.label, []).append(await run_maillage(users, seed=n, contender=earlier))
        per_user = max(1, round(ours["updates"] / users))
        for contender in contenders:
            saturated.setdefault(contender.label, []).append(await run_echo(contender, users, per_user))
        ours = await run_maillage(users, seed=n, think=args.think, duration=duration)
        paced.setdefault(ours["label"], []).append(ours)
        if earlier:
            result = await run_maillage(users, seed=n, think=args.think, duration=duration, contender=earlier)
            paced.setdefault(earlier.label, []).append(result)
        for contender in contenders:
            result = await run_echo(contender, users, per_user, think=args.think, duration=duration)
            paced.setdefault(contender.label, []).append(result)
    medians = {label: median_report(r) for label, r in saturated.items()}
    paced_medians = {label: median_report(r) for label, r in paced.items()}
    ours = medians[maillage().label]
    rows = []
    for label, r in medians.items():
        ratio = ours["updates_per_s"] / r["updates_per_s"]
        r["maillage_ratio"] = round(ratio, 2)
        rows.append([label, r["updates"], r["updates_per_s"], f"{ratio:.2f}", r["p50_ms"], r["p95_ms"], r["p99_ms"]])
    print_table(
        f"Throughput at saturation: {users} users tapping without pause, median of {runs} run(s)",
        ["bot", "updates", "updates/s", "Maillage ÷ this", "p50 ms", "p95 ms", "p99 ms"],
        rows,
    )
    print(f"\nMaillage's mix (share of updates): {ours['mix']}")
    setup = medians[setup_echo().label]
    own_ms = round(1000 * (1 / ours["updates_per_s"] - 1 / setup["updates_per_s"]), 2)
    print(
        f"Maillage's own work per update: {own_ms} ms "
        f"(1/{ours['updates_per_s']} s for Maillage - 1/{setup['updates_per_s']} s for the echo bot on its set-up)"
    )
    print_table(
        f"Answer times at a steady load: {users} users, one tap every {args.think:g} s on average, {duration:g} s",
        ["bot", "updates", "updates/s", "p50 ms", "p95 ms", "p99 ms", "max ms"],
        [
            [k, r["updates"], r["updates_per_s"], r["p50_ms"], r["p95_ms"], r["p99_ms"], r["max_ms"]]
            for k, r in paced_medians.items()
        ],
    )
    out = write_report(
        "throughput",
        {
            "users": users,
            "runs": runs,
            "think_s": args.think,
            "paced_duration_s": duration,
            "saturation": medians,
            "own_ms_per_update": own_ms,
            "steady_load": paced_medians,
            "all_runs": {"saturation": saturated, "steady_load": paced},
        },
    )
    print(f"written to {out}")


if __name__ == "__main__":
    asyncio.run(main())
