"""The PostgreSQL write lock's measured ceiling, and how the workers share the work.

    python -m benchmarks.write_lock [--users 300] [--runs 3] [--quick] [--against REV]

Every write transaction of every process takes one advisory lock (storage/postgres.py), so the
cluster's writes run one at a time: however many workers and cores there are, it cannot pass
1 ÷ (lock held per update) updates a second. On a 2-core machine more workers cannot show that by
running faster, so this measures what decides it: the saturation phase of ``benchmarks.throughput``
on PostgreSQL, in one process and as an ingress with 1, 2 and 4 workers, and for each every process's
write transactions (each logs them when it stops): the time from asking for the lock to having it
(waited) and from having it to COMMIT's end (held). Reported per deployment:

- held per update (all processes' held time ÷ updates handled) and the ceiling it gives;
- the serial share s = held ÷ the CPU time an update costs (bot processes and PostgreSQL), and the
  Amdahl bound 1 ÷ (held + (cpu - held) ÷ N) for N = 8 and 32 workers on machines with a core each;
- each worker's share of the updates it handled;
- the bare echo bot on Maillage's set-up, in the same run, as the framework's baseline.

``--against REV`` runs Maillage as it was at a git revision too, each deployment right after the
current one (the revision must log its write lock: 8ecc082 or later).
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from benchmarks.common import (
    Contender,
    against,
    maillage,
    median_report,
    parser,
    print_table,
    setup_echo,
    write_report,
)
from benchmarks.throughput import run_echo, run_maillage

DEPLOYMENTS = (("one process", 0), ("ingress + 1 worker", 1), ("ingress + 2 workers", 2), ("ingress + 4 workers", 4))
AMDAHL_WORKERS = (8, 32)


def lock_figures(run: dict[str, Any]) -> dict[str, Any]:
    """What one run's write transactions say (see the module's docstring)."""
    updates = max(1, run["updates"])
    lock = run["write_lock"]
    held = lock["held_s"] / updates
    cpu = sum(v for k, v in run["cpu_seconds"].items() if k != "emulator and users") / updates
    handled = run["handled_by_worker"]
    figures: dict[str, Any] = {
        "transactions_per_update": round(lock["transactions"] / updates, 2),
        "waited_ms_per_update": round(1000 * lock["waited_s"] / updates, 3),
        "held_ms_per_update": round(1000 * held, 3),
        "held_ms_per_transaction": round(1000 * lock["held_s"] / max(1, lock["transactions"]), 3),
        "committing_ms_per_update": round(1000 * lock.get("committing_s", 0.0) / updates, 3),
        "ceiling_updates_per_s": round(1 / held) if held else None,
        "cpu_ms_per_update": round(1000 * cpu, 3),
        "serial_share": round(min(1.0, held / cpu), 3) if cpu else None,
        "worker_shares_pct": [round(100 * h / max(1, sum(handled)), 1) for h in handled],
    }
    for n in AMDAHL_WORKERS:
        figures[f"amdahl_{n}_workers_updates_per_s"] = round(1 / (held + max(0.0, cpu - held) / n)) if cpu else None
    return figures


async def main() -> None:
    p = parser(__doc__)
    p.add_argument("--users", type=int, default=300)
    p.add_argument("--against", metavar="REV", help="also run Maillage as it was at this git revision")
    args = p.parse_args()
    await against(args.against, functools.partial(measure, args))


async def measure(args: Any, earlier: Contender | None) -> None:
    users = 40 if args.quick else args.users
    runs = args.runs or (1 if args.quick else 3)
    contenders = [(maillage(), "")] + ([(earlier, f" (at {args.against})")] if earlier else [])
    results: dict[str, list[dict[str, Any]]] = {}
    for n in range(runs):
        for label, workers in DEPLOYMENTS:
            for contender, suffix in contenders:
                result = await run_maillage(users, seed=n, contender=contender, postgres=True, workers=workers)
                result.update(lock_figures(result))
                result["label"] = label + suffix
                results.setdefault(label + suffix, []).append(result)
        per_user = max(1, round(results[DEPLOYMENTS[0][0]][-1]["updates"] / users))
        echo = await run_echo(setup_echo(), users, per_user)
        results.setdefault(echo["label"], []).append(echo)
    medians = {label: median_report(r) for label, r in results.items()}
    rows = []
    for label, r in medians.items():
        shares = "/".join(f"{s:g}" for s in r.get("worker_shares_pct", [])) or "-"
        rows.append(
            [
                label,
                r["updates_per_s"],
                r.get("transactions_per_update", "-"),
                r.get("held_ms_per_update", "-"),
                r.get("waited_ms_per_update", "-"),
                r.get("ceiling_updates_per_s", "-"),
                r.get("serial_share", "-"),
                r.get("amdahl_8_workers_updates_per_s", "-"),
                r.get("amdahl_32_workers_updates_per_s", "-"),
                shares,
            ]
        )
    print_table(
        f"Write lock at saturation, {users} users, median of {runs} run(s)",
        [
            "deployment",
            "updates/s",
            "tx/update",
            "held ms",
            "waited ms",
            "ceiling/s",
            "serial",
            "N=8",
            "N=32",
            "shares %",
        ],
        rows,
    )
    out = write_report("write_lock", {"users": users, "runs": runs, "medians": medians, "all_runs": results})
    print(f"written to {out}")


if __name__ == "__main__":
    asyncio.run(main())
