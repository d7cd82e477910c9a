"""The planner: wishes in, the best schedule it can prove out.

Two models, both solved with OR-Tools CP-SAT:

1. The relaxation, without slots: which wished pairs meet, each attendee within their cap and free
   slots, each exhibitor within its tables × free slots. Its stages (attendees with at least 1 wish
   met, then at least 2..., then the weight of the wishes met) are solved one after the other, each
   fixing the ones before. No schedule can do better, so its values are the bounds of every stage.
2. The schedule: the chosen pairs put into slots (one meeting per attendee per slot, the exhibitor's
   free tables per slot), with as few idle gaps in the attendees' days as the time allows. When every
   chosen pair fits, the plan reaches every bound: it is proven optimal. When some do not, the
   schedule keeps the most it can (fairness first), the free places are filled, and the plan reports
   its gap to the bounds.

One model with a variable per (attendee, exhibitor, slot) solved stage by stage proves the reference
size too but runs out of time at ten times that size; the relaxation answers each stage in seconds.
"""

from __future__ import annotations

import time
from collections import defaultdict

from ortools.graph.python import max_flow, min_cost_flow
from ortools.sat.python import cp_model

from bot.planner.model import Instance, Pair, Plan, Stage, idle_gaps

Meetings = list[tuple[int, int, int]]


def plan(instance: Instance, *, time_limit: float = 60.0, workers: int = 2) -> Plan:
    started = time.perf_counter()
    deadline = started + time_limit
    chosen, bounds = _relaxation(instance)
    meetings = _schedule_all(instance, chosen, started + 0.6 * time_limit, workers)
    method = "relaxation"
    if meetings is None:  # the relaxation's pairs do not all fit in the slots: the full model decides
        method = "full model"
        try:
            meetings, found = _exact(instance, bounds, started + 0.85 * time_limit, workers)
            bounds = [Stage(b.name, b.value, bound) for b, (_, bound) in zip(bounds, found, strict=True)]
        except RuntimeError:  # no schedule found in time: place what fits, the bounds stay the relaxation's
            meetings = []
        meetings = _fill(instance, meetings)
    settled = time.perf_counter() - started
    meetings, gaps, gaps_bound = _fewer_gaps(instance, meetings, deadline, workers)
    values = _stage_values(instance, meetings, len(bounds) - 1)
    stages = tuple(Stage(b.name, v, b.bound) for b, v in zip(bounds, values, strict=True))
    stages += (Stage("idle_gaps", gaps, gaps_bound),)
    return Plan(
        tuple(sorted(meetings, key=lambda m: (m[2], m[1], m[0]))),
        stages,
        time.perf_counter() - started,
        settled,
        method,
    )


def _solver(deadline: float, workers: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.5, deadline - time.perf_counter())
    solver.parameters.num_workers = workers
    return solver


def _met_counts(instance: Instance, pairs: list[Pair] | set[Pair]) -> dict[int, int]:
    counts = {a: instance.already_met.get(a, 0) for a in instance.attendees}
    for a, e in pairs:
        if (a, e) in instance.wishes:
            counts[a] += 1
    return counts


def _stage_values(instance: Instance, meetings: Meetings, depth: int) -> list[int]:
    pairs = {(a, e) for a, e, _ in meetings}
    counts = _met_counts(instance, pairs)
    values = [sum(1 for c in counts.values() if c >= k) for k in range(1, depth + 1)]
    return [*values, sum(instance.weight(p) for p in pairs)]


# ---------------------------------------------------------------------------------------------- relaxation


def _relaxation(instance: Instance) -> tuple[set[Pair], list[Stage]]:
    """The pairs of the best relaxed plan, and each stage's best value (a bound for any schedule).

    The relaxation is a flow: source → attendee (their room) → exhibitor (tables × free slots) → sink.
    F_k, the most that sum over attendees of min(wishes met, k) can be, is a maximum flow with each
    attendee's wish flow capped at k; any plan's first k stages add up to at most F_k. One min-cost
    flow, whose gain for an attendee's j-th wish met falls as j grows (by more than all the weights
    together), reaches every F_k at once when a plan can; then the n_k = F_k - F_(k-1) are the
    lexicographic optimum and, among those plans, it has the most weight.
    """
    pairs = instance.candidates
    depth = max((instance.already_met.get(a, 0) + instance.room(a) for a in instance.attendees), default=0)
    chosen = _fairest_flow(instance, pairs, depth)
    reached = _stage_values(instance, [(a, e, 0) for a, e in chosen], depth)
    stages: list[Stage] = []
    previous = 0
    for k in range(1, depth + 1):
        most = _most_met_up_to(instance, pairs, k)
        stages.append(Stage(f"at_least_{k}", reached[k - 1], most - previous))
        previous = most
    total = sum(instance.weight(p) for p in chosen)
    # the weight bound holds among plans that reach every fairness bound; if the flow missed one,
    # the weight stage is not comparable and its bound is the flow's own value
    stages.append(Stage("weight", total, total))
    return chosen, stages


def _network(instance: Instance, pairs: tuple[Pair, ...]) -> tuple[dict[int, int], dict[int, int], int]:
    """Node numbers: attendees from 2, then exhibitors; 0 is the source, 1 the sink."""
    attendee_node = {a: 2 + i for i, a in enumerate(instance.attendees)}
    exhibitors = sorted({e for _, e in pairs})
    exhibitor_node = {e: 2 + len(attendee_node) + i for i, e in enumerate(exhibitors)}
    return attendee_node, exhibitor_node, 2 + len(attendee_node) + len(exhibitor_node)


def _exhibitor_capacity(instance: Instance, pairs: tuple[Pair, ...]) -> dict[int, int]:
    by_exhibitor: dict[int, list[Pair]] = defaultdict(list)
    for p in pairs:
        by_exhibitor[p[1]].append(p)
    return {e: sum(instance.free_tables[e][s] for s in _union_common(instance, own)) for e, own in by_exhibitor.items()}


def _most_met_up_to(instance: Instance, pairs: tuple[Pair, ...], k: int) -> int:
    """F_k: the most that the sum over attendees of min(wishes met, k) can be."""
    flow = max_flow.SimpleMaxFlow()
    attendee_node, exhibitor_node, _ = _network(instance, pairs)
    fixed = 0
    for a, node in attendee_node.items():
        met = instance.already_met.get(a, 0)
        fixed += min(met, k)
        if k > met and instance.room(a):
            flow.add_arc_with_capacity(0, node, min(k - met, instance.room(a)))
    for a, e in pairs:
        if (a, e) in instance.wishes:
            flow.add_arc_with_capacity(attendee_node[a], exhibitor_node[e], 1)
    for e, capacity in _exhibitor_capacity(instance, pairs).items():
        flow.add_arc_with_capacity(exhibitor_node[e], 1, capacity)
    if flow.num_arcs() == 0:
        return fixed
    if flow.solve(0, 1) != flow.OPTIMAL:
        raise RuntimeError("the planner's flow could not be solved")
    return fixed + flow.optimal_flow()


def _fairest_flow(instance: Instance, pairs: tuple[Pair, ...], depth: int) -> set[Pair]:
    attendee_node, exhibitor_node, count = _network(instance, pairs)
    counted = {a: count + i for i, a in enumerate(instance.attendees)}  # an attendee's wishes (not the stands')
    flow = min_cost_flow.SimpleMinCostFlow()
    big = 1 + sum(instance.weight(p) for p in pairs)
    supply = 0
    for a, node in attendee_node.items():
        room = instance.room(a)
        if not room:
            continue
        supply += room
        flow.add_arc_with_capacity_and_unit_cost(0, node, room, 0)
        met = instance.already_met.get(a, 0)
        for j in range(met + 1, met + room + 1):  # the j-th wish met gains depth + 1 - j
            flow.add_arc_with_capacity_and_unit_cost(node, counted[a], 1, -big * (depth + 1 - j))
    arcs: dict[int, Pair] = {}
    for p in pairs:
        a, e = p
        tail = counted[a] if p in instance.wishes else attendee_node[a]
        arcs[flow.add_arc_with_capacity_and_unit_cost(tail, exhibitor_node[e], 1, -instance.weight(p))] = p
    for e, capacity in _exhibitor_capacity(instance, pairs).items():
        flow.add_arc_with_capacity_and_unit_cost(exhibitor_node[e], 1, capacity, 0)
    if not supply:
        return set()
    flow.add_arc_with_capacity_and_unit_cost(0, 1, supply, 0)  # what is not met goes straight to the sink
    flow.set_node_supply(0, supply)
    flow.set_node_supply(1, -supply)
    if flow.solve() != flow.OPTIMAL:
        raise RuntimeError("the planner's flow could not be solved")
    return {p for arc, p in arcs.items() if flow.flow(arc)}


def _union_common(instance: Instance, pairs: list[Pair]) -> set[int]:
    return {s for p in pairs for s in instance.common(p)}


def _maximise(
    model: cp_model.CpModel, solver: cp_model.CpSolver, objective: cp_model.LinearExprT, deadline: float
) -> tuple[int, int]:
    if isinstance(objective, int):
        return objective, objective
    model.maximize(objective)
    solver.parameters.max_time_in_seconds = max(0.5, deadline - time.perf_counter())
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise RuntimeError(f"the planner's model could not be solved: {solver.status_name(status)}")
    value = round(solver.objective_value)
    bound = value if status == cp_model.OPTIMAL else int(solver.best_objective_bound)
    return value, bound


# ---------------------------------------------------------------------------------------------- schedule


def _slot_model(
    instance: Instance, pairs: set[Pair], *, each_exactly_once: bool
) -> tuple[cp_model.CpModel, dict[tuple[Pair, int], cp_model.IntVar]]:
    model = cp_model.CpModel()
    x = {(p, s): model.new_bool_var(f"x{p},{s}") for p in sorted(pairs) for s in instance.common(p)}
    per_pair: dict[Pair, list[cp_model.IntVar]] = defaultdict(list)
    per_attendee_slot: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    per_exhibitor_slot: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    for (p, s), var in x.items():
        per_pair[p].append(var)
        per_attendee_slot[p[0], s].append(var)
        per_exhibitor_slot[p[1], s].append(var)
    for own in per_pair.values():
        model.add(sum(own) == 1) if each_exactly_once else model.add(sum(own) <= 1)
    for own in per_attendee_slot.values():
        model.add_at_most_one(own)
    for (e, s), own in per_exhibitor_slot.items():
        model.add(sum(own) <= instance.free_tables[e][s])
    return model, x


def _read(solver: cp_model.CpSolver, x: dict[tuple[Pair, int], cp_model.IntVar]) -> Meetings:
    return [(p[0], p[1], s) for (p, s), var in x.items() if solver.value(var)]


def _schedule_all(instance: Instance, pairs: set[Pair], deadline: float, workers: int) -> Meetings | None:
    """Every chosen pair in a slot, or None when they do not all fit (or that was not found in time)."""
    if not pairs:
        return []
    model, x = _slot_model(instance, pairs, each_exactly_once=True)
    solver = _solver(deadline, workers)
    status = solver.solve(model)
    return _read(solver, x) if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None


def _exact(
    instance: Instance, bounds: list[Stage], deadline: float, workers: int
) -> tuple[Meetings, list[tuple[int, int]]]:
    """The full model, one variable per (pair, slot), solved stage by stage under the time left:
    the meetings, and per stage (value, bound). Used when the relaxation's pairs do not all fit."""
    pairs = set(instance.candidates)
    model, x = _slot_model(instance, pairs, each_exactly_once=False)
    meet: dict[Pair, list[cp_model.IntVar]] = defaultdict(list)
    for (p, _), var in x.items():
        meet[p].append(var)
    by_attendee: dict[int, list[Pair]] = defaultdict(list)
    for p in pairs:
        by_attendee[p[0]].append(p)
    for a, theirs in by_attendee.items():
        model.add(sum(sum(meet[p]) for p in theirs) <= instance.room(a))
    levels: list[list[cp_model.IntVar | int]] = []
    for a in instance.attendees:
        wished = [p for p in by_attendee.get(a, []) if p in instance.wishes]
        fixed = instance.already_met.get(a, 0)
        most = fixed + min(len(wished), instance.room(a))
        own: list[cp_model.IntVar | int] = [1] * fixed + [model.new_bool_var(f"l{a},{k}") for k in range(fixed, most)]
        for before, after in zip(own[fixed:], own[fixed + 1 :], strict=False):
            model.add(after <= before)
        if most > fixed:
            model.add(sum(own[fixed:]) <= sum(sum(meet[p]) for p in wished))
        levels.append(own)
    solver = _solver(deadline, workers)
    found: list[tuple[int, int]] = []
    relaxed_holds = True  # the relaxation's bound of a stage holds while every stage before reached its own
    for k, stage in enumerate(bounds[:-1], start=1):
        reached = sum(own[k - 1] for own in levels if len(own) >= k)
        if relaxed_holds:
            model.add(reached <= stage.bound)
        value, bound = _maximise(model, solver, reached, deadline)
        found.append((value, min(bound, stage.bound) if relaxed_holds else bound))
        relaxed_holds = relaxed_holds and value == stage.bound
        model.add(reached >= value)
        _hint_from(model, solver, x)
    weight = sum(instance.weight(p) * var for (p, _), var in x.items())
    value, bound = _maximise(model, solver, weight, deadline)
    found.append((value, bound))
    return _read(solver, x), found


def _hint_from(model: cp_model.CpModel, solver: cp_model.CpSolver, x: dict[tuple[Pair, int], cp_model.IntVar]) -> None:
    model.clear_hints()
    for var in x.values():
        model.add_hint(var, solver.value(var))


def _fill(instance: Instance, meetings: Meetings) -> Meetings:
    """Wished pairs left out, put wherever both still have room: those with fewest wishes met first."""
    busy: dict[int, set[int]] = defaultdict(set)
    used: dict[tuple[int, int], int] = defaultdict(int)
    planned = {(a, e) for a, e, _ in meetings}
    for a, e, s in meetings:
        busy[a].add(s)
        used[e, s] += 1
    counts = _met_counts(instance, planned)
    left = [p for p in instance.candidates if p not in planned]
    left.sort(key=lambda p: (counts.get(p[0], 0), -instance.weight(p), p))
    out = list(meetings)
    for a, e in left:
        if len(busy[a]) >= instance.room(a):
            continue
        slot = next(
            (s for s in instance.common((a, e)) if s not in busy[a] and used[e, s] < instance.free_tables[e][s]), None
        )
        if slot is not None:
            out.append((a, e, slot))
            busy[a].add(slot)
            used[e, slot] += 1
    return out


# a model that moves more meetings than this at once gets too big (10x the reference size: 3.8 GB);
# larger plans are improved a few stands at a time, the other meetings staying where they are
MOVABLE_AT_ONCE = 3000


def _fewer_gaps(instance: Instance, meetings: Meetings, deadline: float, workers: int) -> tuple[Meetings, int, int]:
    """The same meetings moved between slots to leave fewer idle gaps in the attendees' days:
    the meetings, their idle gaps, and a lower bound of what moving them could reach."""
    gaps = _gaps_of(instance, meetings)
    if gaps == 0 or time.perf_counter() >= deadline - 0.5:
        return meetings, gaps, 0
    if len(meetings) <= MOVABLE_AT_ONCE:
        moved, bound = _regap(instance, meetings, {e for _, e, _ in meetings}, deadline, workers)
        after = _gaps_of(instance, moved)
        return (moved, after, bound) if after <= gaps else (meetings, gaps, 0)
    per_stand: dict[int, int] = defaultdict(int)
    for _, e, _ in meetings:
        per_stand[e] += 1
    chunks: list[set[int]] = [set()]
    size = 0
    for e in sorted(per_stand, key=lambda e: (-per_stand[e], e)):
        if size + per_stand[e] > MOVABLE_AT_ONCE and chunks[-1]:
            chunks.append(set())
            size = 0
        chunks[-1].add(e)
        size += per_stand[e]
    while time.perf_counter() < deadline - 0.5:
        start_of_round = gaps
        for chunk in chunks:
            left = deadline - time.perf_counter()
            if left < 0.5:
                break
            moved, _ = _regap(instance, meetings, chunk, time.perf_counter() + min(left, 20.0), workers)
            after = _gaps_of(instance, moved)
            if after < gaps:
                meetings, gaps = moved, after
        if gaps == start_of_round:
            break
    return meetings, gaps, 0  # no global bound is known when moving a few stands at a time


def _regap(
    instance: Instance, meetings: Meetings, movable: set[int], deadline: float, workers: int
) -> tuple[Meetings, int]:
    """The meetings of the ``movable`` stands moved to leave the fewest idle gaps the time allows."""
    fixed = [m for m in meetings if m[1] not in movable]
    moving = [m for m in meetings if m[1] in movable]
    taken: dict[int, set[int]] = defaultdict(set)
    for a, slots in instance.booked.items():
        taken[a] |= set(slots)
    for a, _, s in fixed:
        taken[a].add(s)
    model = cp_model.CpModel()
    x: dict[tuple[Pair, int], cp_model.IntVar] = {}
    for a, e, now in moving:
        options = [s for s in instance.common((a, e)) if s not in taken[a]]
        for s in options:
            x[(a, e), s] = model.new_bool_var(f"x{a},{e},{s}")
            model.add_hint(x[(a, e), s], s == now)
        model.add_exactly_one(x[(a, e), s] for s in options)
    per_attendee_slot: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    per_exhibitor_slot: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    for ((a, e), s), var in x.items():
        per_attendee_slot[a, s].append(var)
        per_exhibitor_slot[e, s].append(var)
    for own in per_attendee_slot.values():
        model.add_at_most_one(own)
    for (e, s), own in per_exhibitor_slot.items():
        model.add(sum(own) <= instance.free_tables[e][s])
    by_day: dict[int, list[int]] = defaultdict(list)
    for s in range(instance.slots):
        by_day[instance.slot_days[s]].append(s)
    terms: list[cp_model.LinearExprT] = []
    for a in sorted({m[0] for m in moving}):
        for day, day_slots in by_day.items():
            busy: dict[int, cp_model.LinearExprT] = {
                s: 1 if s in taken[a] else sum(per_attendee_slot.get((a, s), [])) for s in day_slots
            }
            if all(isinstance(b, int) and b == 0 for b in busy.values()):
                continue
            active = model.new_bool_var(f"active{a},{day}")
            model.add(active <= sum(busy.values()))
            for s in day_slots:
                model.add(active >= busy[s])
            for previous, s in zip([None, *day_slots], day_slots, strict=False):
                if isinstance(busy[s], int) and busy[s] == 0:
                    continue
                start = model.new_bool_var(f"start{a},{s}")
                before: cp_model.LinearExprT = busy[previous] if previous is not None else 0
                model.add(start >= busy[s] - before)  # type: ignore[operator]
                terms.append(start)
            terms.append(-active)
    model.minimize(sum(terms))
    solver = _solver(deadline, workers)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return meetings, 0
    moved = fixed + [(p[0], p[1], s) for (p, s), var in x.items() if solver.value(var)]
    # the objective counts the moving attendees' gaps; the others' did not change
    movers = {a for a, _, _ in moving}
    still: dict[int, set[int]] = defaultdict(set)
    for a, slots in instance.booked.items():
        if a not in movers:
            still[a] |= set(slots)
    for a, _, s in meetings:
        if a not in movers:
            still[a].add(s)
    others = idle_gaps(instance.slot_days, still)
    bound = round(solver.best_objective_bound) if status != cp_model.OPTIMAL else round(solver.objective_value)
    return moved, max(0, bound) + others


def _gaps_of(instance: Instance, meetings: Meetings) -> int:
    busy: dict[int, set[int]] = defaultdict(set)
    for a, slots in instance.booked.items():
        busy[a] |= set(slots)
    for a, _, s in meetings:
        busy[a].add(s)
    return idle_gaps(instance.slot_days, busy)
