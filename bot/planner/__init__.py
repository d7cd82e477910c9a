"""The speed-meeting planner: wishes turned into a schedule, optimal or with its gap stated.

The solver (OR-Tools, which brings pandas) is imported by the first plan, not at the bot's start-up:
it took 0.4 s of every start for a command organisers run a few times an event."""

from __future__ import annotations

from typing import Any

from bot.planner.fcfs import first_come_first_served
from bot.planner.model import Figures, Instance, Pair, Plan, Stage, figures, idle_gaps


def plan(instance: Instance, **options: Any) -> Plan:
    """``bot.planner.solve.plan``: the best schedule it can prove (``time_limit``, ``workers``)."""
    from bot.planner.solve import plan as solve

    return solve(instance, **options)


__all__ = ["Figures", "Instance", "Pair", "Plan", "Stage", "figures", "first_come_first_served", "idle_gaps", "plan"]
