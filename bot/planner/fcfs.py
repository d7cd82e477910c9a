"""The baseline the planner is measured against: requests answered in the order they arrive.

Each attendee sends their wishes in rank order; everyone's requests interleave at random. A request
is accepted in the earliest slot where the attendee is free and the stand has a table left, while the
attendee is under the cap; otherwise it is declined. That is what a stand answering "yes while there
is room" gives.
"""

from __future__ import annotations

import random
from collections import defaultdict

from bot.planner.model import Instance, Pair


def first_come_first_served(instance: Instance, seed: int = 0) -> list[tuple[int, int, int]]:
    rng = random.Random(seed)
    own: dict[int, list[tuple[int, Pair]]] = defaultdict(list)
    for pair, rank in instance.wishes.items():
        if pair not in instance.settled:
            own[pair[0]].append((rank, pair))
    # each attendee's requests leave in rank order, at moments spread at random among everyone's
    ordered: list[tuple[float, Pair]] = []
    for attendee in sorted(own):
        moments = sorted(rng.random() for _ in own[attendee])
        ordered += list(zip(moments, [pair for _, pair in sorted(own[attendee])], strict=True))
    ordered.sort()
    busy: dict[int, set[int]] = defaultdict(set)
    used: dict[tuple[int, int], int] = defaultdict(int)
    meetings: list[tuple[int, int, int]] = []
    for _, (a, e) in ordered:
        if len(busy[a]) >= instance.room(a):
            continue
        for s in instance.common((a, e)):
            if s not in busy[a] and used[e, s] < instance.free_tables[e][s]:
                meetings.append((a, e, s))
                busy[a].add(s)
                used[e, s] += 1
                break
    return meetings
