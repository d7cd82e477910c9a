"""The speed-meeting planner: wishes turned into a schedule, optimal or with its gap stated."""

from bot.planner.fcfs import first_come_first_served
from bot.planner.model import Figures, Instance, Pair, Plan, Stage, figures, idle_gaps
from bot.planner.solve import plan

__all__ = ["Figures", "Instance", "Pair", "Plan", "Stage", "figures", "first_come_first_served", "idle_gaps", "plan"]
