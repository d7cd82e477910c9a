"""The speed-meeting planner against first-come-first-served, on generated events.

    python -m benchmarks.planner [--scale 1 10] [--time-limit 60] [--seeds 3] [--quick]

An event the size of the reference day: 400 attendees, 70 exhibitors with 2 or 3 tables, 24 slots,
10 ranked wishes each with the skew of real events (a few exhibitors wished by very many: Zipf),
some sessions followed (no meeting then), half the exhibitors on stage for one slot, each stand
wishing 5 attendees, at most 8 meetings per attendee; and the same at 10 times that size.
Reported per size: solve time, the gap to the proven bound, wishes met, mutual wishes met,
attendees with no meeting and with at least k wishes met, for the plan and for
first-come-first-served (requests accepted in arrival order while a table is free) in the same run.
"""

from __future__ import annotations

import random
import statistics
from collections import defaultdict
from typing import Any

from benchmarks.common import parser, print_table, write_report
from bot.planner import Instance, figures, first_come_first_served, plan


def generate(
    scale: int = 1, *, seed: int = 0, slots: int = 24, wishes: int = 10, cap: int = 8, skew: float = 1.0
) -> Instance:
    rng = random.Random(seed)
    attendees = list(range(1, 400 * scale + 1))
    exhibitors = list(range(1, 70 * scale + 1))
    popularity = [1 / (i + 1) ** skew for i in range(len(exhibitors))]
    rng.shuffle(popularity)
    free_tables: dict[int, tuple[int, ...]] = {}
    for e in exhibitors:
        tables = rng.choice((2, 3))
        row = [tables] * slots
        if rng.random() < 0.5:  # a pitch on stage: the stand has no meeting then
            row[rng.randrange(slots)] = 0
        free_tables[e] = tuple(row)
    attendee_free: dict[int, frozenset[int]] = {}
    wished: dict[tuple[int, int], int] = {}
    for a in attendees:
        following: set[int] = set()
        for _ in range(rng.randint(0, 3)):  # a session of two slots
            start = rng.randrange(slots - 1)
            following |= {start, start + 1}
        attendee_free[a] = frozenset(range(slots)) - following
        chosen: list[int] = []
        while len(chosen) < wishes:
            e = rng.choices(exhibitors, weights=popularity)[0]
            if e not in chosen:
                chosen.append(e)
        for rank, e in enumerate(chosen, start=1):
            wished[a, e] = rank
    stand_wishes = frozenset((a, e) for e in exhibitors for a in rng.sample(attendees, 5))
    return Instance(
        slot_days=(0,) * slots,
        cap=cap,
        rank_limit=wishes,
        attendee_free=attendee_free,
        booked={},
        free_tables=free_tables,
        wishes=wished,
        stand_wishes=stand_wishes,
    )


def measure(scale: int, seed: int, time_limit: float) -> dict[str, Any]:
    instance = generate(scale, seed=seed)
    planned = plan(instance, time_limit=time_limit)
    ours = figures(instance, planned.meetings)
    baseline = figures(instance, first_come_first_served(instance, seed=seed))
    demand: dict[int, int] = defaultdict(int)
    for _, e in instance.wishes:
        demand[e] += 1

    def side(f: Any) -> dict[str, Any]:
        return {
            "wishes_met": f.wishes_met,
            "wishes_met_pct": round(100 * f.wishes_met / f.wishes, 1),
            "mutual_met": f.mutual_met,
            "no_meeting": f.no_meeting,
            "at_least": list(f.at_least),
            "idle_gaps": f.idle_gaps,
        }

    return {
        "scale": scale,
        "seed": seed,
        "attendees": len(instance.attendees),
        "exhibitors": len(instance.free_tables),
        "wishes": len(instance.wishes),
        "mutual": ours.mutual,
        "most_wished": max(demand.values()),
        "solve_s": round(planned.seconds, 2),
        "settled_s": round(planned.settled_seconds, 2),
        "method": planned.method,
        "proven": planned.proven,
        "gap_pct": round(100 * planned.gap, 3),
        "stages": [{"name": s.name, "value": s.value, "bound": s.bound} for s in planned.stages],
        "plan": side(ours),
        "fcfs": side(baseline),
    }


def main() -> None:
    args_parser = parser(__doc__)
    args_parser.add_argument("--scale", type=int, nargs="+", default=[1, 10])
    args_parser.add_argument("--time-limit", type=float, default=None, help="seconds per solve (60, 300 at 10x)")
    args_parser.add_argument("--seeds", type=int, default=3)
    args = args_parser.parse_args()
    scales = [1] if args.quick else args.scale
    seeds = 1 if args.quick else args.seeds
    runs = []
    for scale in scales:
        limit = args.time_limit or (25.0 if args.quick else 60.0 if scale == 1 else 300.0)
        for seed in range(seeds):
            runs.append(measure(scale, seed, limit))
            print(f"scale {scale} seed {seed}: {runs[-1]['solve_s']} s, gap {runs[-1]['gap_pct']} %", flush=True)
    rows = []
    for r in runs:
        for who in ("plan", "fcfs"):
            f = r[who]
            rows.append(
                (
                    f"{r['scale']}x seed {r['seed']} {'planner' if who == 'plan' else 'first come, first served'}",
                    r["solve_s"] if who == "plan" else "",
                    f"{r['gap_pct']} %" if who == "plan" else "",
                    f"{f['wishes_met']} ({f['wishes_met_pct']} %)",
                    f"{f['mutual_met']}/{r['mutual']}",
                    f["no_meeting"],
                    " ".join(str(n) for n in f["at_least"][:5]),
                )
            )
    print_table(
        "Speed-meeting planner against first-come-first-served",
        ("event", "solve s", "gap", "wishes met", "mutual met", "no meeting", "at least 1..5 met"),
        rows,
    )
    by_scale = {}
    for scale in scales:
        mine = [r for r in runs if r["scale"] == scale]
        by_scale[f"{scale}x"] = {
            "solve_s_median": round(statistics.median(r["solve_s"] for r in mine), 2),
            "solve_s_max": max(r["solve_s"] for r in mine),
            "all_proven": all(r["proven"] for r in mine),
            "gap_pct_max": max(r["gap_pct"] for r in mine),
        }
    out = write_report("planner", {"summary": by_scale, "runs": runs})
    print(f"\nreport: {out}")


if __name__ == "__main__":
    main()
