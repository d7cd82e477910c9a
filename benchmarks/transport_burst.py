"""Opening burst: N users write within one second, every Bot API call costs 50 ms.

Compares PTB's defaults, PTB with concurrent updates over httpx, and Maillage's
set-up (per-user ordered concurrency over aiohttp) on bare echo bots, and Maillage
itself answering /start, all against the project's emulator in this process, each
bot in its own process. Reports the time from the first message to the last
answer and the p95 wait, and the ratio of each baseline to Maillage's set-up.

    python -m benchmarks.transport_burst [--users 400] [--latency 0.05] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.echo_bot import VARIANTS
from bot.emulator import TelegramEmulator

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


async def start_process(args: list[str], emulator: TelegramEmulator, workdir: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WEBHOOK_", "DATABASE_URL"))}
    env.update(
        TELEGRAM_BOT_TOKEN=emulator.token,
        TELEGRAM_API_BASE_URL=emulator.root_url,
        DATABASE_URL=f"sqlite:///{workdir / 'bench.db'}",
        EVENT_FILE=str(ROOT / "examples" / "event.toml"),
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    return await asyncio.create_subprocess_exec(sys.executable, "-m", *args, cwd=workdir, env=env)


async def burst(
    label: str, args: list[str], users: int, latency: float, spread: float, text: str
) -> dict[str, float | str]:
    async with TelegramEmulator(latency=latency) as emulator:
        with tempfile.TemporaryDirectory() as workdir:
            process = await start_process(args, emulator, Path(workdir))
            try:
                deadline = time.monotonic() + 30
                while not emulator.polling:
                    if time.monotonic() > deadline or process.returncode is not None:
                        raise RuntimeError(f"{label} did not start polling")
                    await asyncio.sleep(0.02)
                phones = [emulator.user(f"U{i}") for i in range(users)]
                sent: dict[int, float] = {}
                first = time.monotonic()
                for phone in phones:
                    sent[phone.id] = time.monotonic()
                    await phone.send(text)
                    if spread:
                        await asyncio.sleep(spread / users)
                await emulator.wait_for(lambda: all(p.bot_messages for p in phones), timeout=120)
                waits = sorted(p.bot_messages[0].received_at - sent[p.id] for p in phones)
                last = max(p.bot_messages[0].received_at for p in phones)
            finally:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
                await process.wait()
    return {
        "label": label,
        "drain_s": round(last - first, 3),
        "p50_s": round(statistics.median(waits), 3),
        "p95_s": round(waits[int(0.95 * (len(waits) - 1))], 3),
        "max_s": round(waits[-1], 3),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=400)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--spread", type=float, default=1.0, help="seconds over which the users write (0: all at once)")
    parser.add_argument("--quick", action="store_true", help="100 users: a smoke run for CI")
    args = parser.parse_args()
    users = 100 if args.quick else args.users
    runs = [(VARIANTS[v], ["benchmarks.echo_bot", v], "hello") for v in VARIANTS]
    runs.append(("Maillage answering /start (real handlers, SQLite)", ["bot", "run"], "/start"))
    results = [await burst(label, cmd, users, args.latency, args.spread, text) for label, cmd, text in runs]
    reference = results[2]["drain_s"]
    print(f"\nOpening burst: {users} users within {args.spread} s, {args.latency * 1000:.0f} ms per Bot API call")
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}\n")
    print(f"{'set-up':<70} {'drain':>7} {'p50':>7} {'p95':>7} {'max':>7} {'x ours':>7}")
    for r in results:
        ratio = float(r["drain_s"]) / float(reference)
        r["ratio_to_peruser_aiohttp"] = round(ratio, 2)
        print(f"{r['label']:<70} {r['drain_s']:>6}s {r['p50_s']:>6}s {r['p95_s']:>6}s {r['max_s']:>6}s {ratio:>6.1f}x")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "transport_burst.json"
    summary = {"users": users, "latency_s": args.latency, "spread_s": args.spread, "results": results}
    out.write_text(json.dumps(summary, indent=2))
    print(f"\nwritten to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    asyncio.run(main())
