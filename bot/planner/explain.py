"""Why: each planned meeting (whose wish, at what rank) and each wish the plan could not meet."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from bot.planner.model import Instance, Pair

# why a wish was not met, from the attendee's side
CAP = "cap"  # they reached the most meetings a person may have (or have no free slot left)
YOU_BUSY = "you_busy"  # in every slot where the stand had a table, they already had a meeting
STAND_FULL = "stand_full"  # in every slot where they were free, the stand's tables were full
FULL_OR_BUSY = "full_or_busy"  # each shared slot was taken on one side or the other
NEVER_BOTH_FREE = "never_both_free"  # no slot where they were free and the stand had a table
REASONS = (CAP, YOU_BUSY, STAND_FULL, FULL_OR_BUSY, NEVER_BOTH_FREE)


def why_planned(instance: Instance, pair: Pair) -> tuple[str, int | None]:
    """('mutual' | 'wish' | 'stand', the attendee's rank of the wish or None)."""
    rank = instance.wishes.get(pair)
    if rank is not None and pair in instance.stand_wishes:
        return "mutual", rank
    return ("wish", rank) if rank is not None else ("stand", None)


def why_not(instance: Instance, meetings: Iterable[tuple[int, int, int]]) -> dict[Pair, str]:
    """The reason of every attendee wish left unmet (pairs that already had a meeting are not wishes left)."""
    busy: dict[int, set[int]] = defaultdict(set)
    used: dict[tuple[int, int], int] = defaultdict(int)
    planned: set[Pair] = set()
    for a, e, s in meetings:
        busy[a].add(s)
        used[e, s] += 1
        planned.add((a, e))
    reasons: dict[Pair, str] = {}
    for pair in instance.wishes:
        if pair in planned or pair in instance.settled:
            continue
        a, e = pair
        shared = instance.common(pair)
        if not shared:
            reasons[pair] = NEVER_BOTH_FREE
        elif len(busy[a]) >= instance.room(a):
            reasons[pair] = CAP
        else:
            full = {s for s in shared if used[e, s] >= instance.free_tables[e][s]}
            taken = {s for s in shared if s in busy[a]}
            if full == set(shared):
                reasons[pair] = STAND_FULL
            elif taken == set(shared):
                reasons[pair] = YOU_BUSY
            else:
                reasons[pair] = FULL_OR_BUSY
    return reasons
