"""Throughput on PostgreSQL with 1, 2 and 4 workers, against one SQLite process, in the same run.

    python -m benchmarks.workers [--users 500] [--runs 3] [--quick]

The saturation phase of ``benchmarks.throughput`` (registered users tapping through the bot as fast
as it answers), for: Maillage in one process on SQLite (the default), in one process on PostgreSQL,
and as an ingress with 1, 2 and 4 workers on PostgreSQL; the bare echo bot on Maillage's set-up as
the framework's baseline. The rows are the same in every database (generated once, copied to
PostgreSQL as ``migrate-db`` does). Reported per contender: updates per second, the ratio to one
SQLite process, answer times, and the CPU seconds each process used (the bot's processes, PostgreSQL's
server processes, and this one, which runs the emulator and the users): on a machine with fewer cores
than processes, they share the cores, and these say where the time went.
"""

from __future__ import annotations

import asyncio
from typing import Any

from benchmarks.common import median_report, parser, print_table, setup_echo, write_report
from benchmarks.throughput import run_echo, run_maillage

DEPLOYMENTS = (  # (label, on PostgreSQL, workers)
    ("SQLite, one process", False, 0),
    ("PostgreSQL, one process", True, 0),
    ("PostgreSQL, ingress + 1 worker", True, 1),
    ("PostgreSQL, ingress + 2 workers", True, 2),
    ("PostgreSQL, ingress + 4 workers", True, 4),
)


async def main() -> None:
    p = parser(__doc__)
    p.add_argument("--users", type=int, default=500)
    args = p.parse_args()
    users = 40 if args.quick else args.users
    runs = args.runs or (1 if args.quick else 3)
    results: dict[str, list[dict[str, Any]]] = {}
    for n in range(runs):
        for label, postgres, workers in DEPLOYMENTS:
            result = await run_maillage(users, seed=n, postgres=postgres, workers=workers)
            result["label"] = label
            results.setdefault(label, []).append(result)
        per_user = max(1, round(results[DEPLOYMENTS[0][0]][-1]["updates"] / users))
        echo = await run_echo(setup_echo(), users, per_user)
        results.setdefault(echo["label"], []).append(echo)
    medians = {label: median_report(r) for label, r in results.items()}
    for label, r in medians.items():  # the median run's CPU breakdown (median_report keeps numbers only)
        runs_of = sorted(results[label], key=lambda x: x["updates_per_s"])
        r["cpu_seconds"] = runs_of[len(runs_of) // 2].get("cpu_seconds", {})
    sqlite = medians[DEPLOYMENTS[0][0]]["updates_per_s"]
    one_worker = medians[DEPLOYMENTS[2][0]]["updates_per_s"]
    rows = []
    for label, r in medians.items():
        r["ratio_to_sqlite"] = round(r["updates_per_s"] / sqlite, 2)
        r["ratio_to_one_worker"] = round(r["updates_per_s"] / one_worker, 2)
        cpu = ", ".join(f"{k} {v:g}" for k, v in r["cpu_seconds"].items())
        rows.append([label, r["updates"], r["updates_per_s"], r["ratio_to_sqlite"], r["p50_ms"], r["p95_ms"], cpu])
    print_table(
        f"Throughput at saturation, {users} users, median of {runs} run(s)",
        ["deployment", "updates", "updates/s", "÷ SQLite", "p50 ms", "p95 ms", "CPU seconds by process"],
        rows,
    )
    out = write_report("workers", {"users": users, "runs": runs, "medians": medians, "all_runs": results})
    print(f"written to {out}")


if __name__ == "__main__":
    asyncio.run(main())
