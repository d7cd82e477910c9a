"""Every benchmark's quick mode runs in CI, so that the benchmarks never rot.

Their figures are not asserted here (timings on a shared machine are not tests); what is
asserted is that each one ran to the end, measured what it claims and wrote its report.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests import pg_budget

ROOT = Path(__file__).resolve().parent.parent


# the PostgreSQL connections a benchmark's quick mode holds at most (tests/pg_budget.py): the workers'
# benchmarks run an ingress and four workers; the others one process on PostgreSQL
ON_POSTGRESQL = {"workers": 5 * pg_budget.PER_PROCESS + 4, "write_lock": 5 * pg_budget.PER_PROCESS + 4}
ON_POSTGRESQL_ONE_PROCESS = ("broadcast", "burst")


def run_quick(name: str) -> dict[str, Any]:
    needed = ON_POSTGRESQL.get(name, pg_budget.PER_PROCESS + 4 if name in ON_POSTGRESQL_ONE_PROCESS else 0)
    with pg_budget.connections(needed):
        return _run_quick(name)


def _run_quick(name: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{name}", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report: dict[str, Any] = json.loads((ROOT / "benchmarks" / "results" / f"{name}.json").read_text())
    assert report["machine"]["cores"] >= 1
    return report


@pytest.mark.timeout(300)
def test_throughput_quick() -> None:
    report = run_quick("throughput")
    ours = report["saturation"]["Maillage (real handlers, SQLite)"]
    assert ours["timeouts"] == 0 and ours["refused_calls"] == 0
    assert set(ours["mix"]) == {"directory", "card", "request", "accept/decline", "agenda", "search"}
    setup = "echo bot, PTB with Maillage's set-up (per-user concurrency, aiohttp)"
    assert {setup, "echo bot, PTB defaults", "echo bot, aiogram 3"} <= set(report["saturation"])
    assert all(r["updates_per_s"] > 0 for r in report["steady_load"].values())
    expected = 1000 * (1 / ours["updates_per_s"] - 1 / report["saturation"][setup]["updates_per_s"])
    assert report["own_ms_per_update"] == pytest.approx(expected, abs=0.01)


@pytest.mark.timeout(300)
def test_profile_quick() -> None:
    report = run_quick("profile")
    profile = report["profile"]
    assert report["run"]["updates"] > 0 and profile["samples"] > 0
    assert sum(profile["by_kind"].values()) == profile["samples"] == sum(profile["by_owner"].values())
    assert any(kind.startswith("handler handlers/directory.py") for kind in profile["by_kind"])
    assert {"ours", "PTB"} <= set(profile["by_owner"])
    versus = report["versus_echo"]  # the echo bot on Maillage's set-up, profiled the same way
    assert versus["all"]["echo"] > 0 and versus["all"]["maillage"] > versus["all"]["echo"]
    assert report["echo_run"]["bot_api_calls_per_update"]["sendMessage"] == pytest.approx(1.0, abs=0.05)
    assert report["run"]["bot_api_calls_per_update"]["answerCallbackQuery"] > 0


@pytest.mark.timeout(300)
def test_burst_quick() -> None:
    report = run_quick("burst")
    assert report["users"] == 100
    assert {
        "Maillage (real handlers, SQLite; budget 1,000/s)",
        "Maillage, 30 messages/s, every answer counted",
        "Maillage on PostgreSQL, one process (budget 1,000/s)",
        "Maillage on PostgreSQL, ingress + 2 workers (budget 1,000/s)",
        "echo bot, aiogram 3",
    } <= set(report["medians"])


@pytest.mark.timeout(300)
def test_write_lock_quick() -> None:
    report = run_quick("write_lock")
    from benchmarks.write_lock import DEPLOYMENTS

    for label, workers in DEPLOYMENTS:
        result = report["medians"][label]
        assert result["updates"] > 0 and result["timeouts"] == 0 and result["refused_calls"] == 0, label
        lock = result["write_lock"]  # every process logged its write transactions when it stopped
        assert lock["transactions"] > 0 and lock["held_s"] > 0, label
        assert result["ceiling_updates_per_s"] == pytest.approx(1000 / result["held_ms_per_update"], rel=0.02), label
        assert len(result["worker_shares_pct"]) == workers, label
        assert workers == 0 or sum(result["worker_shares_pct"]) == pytest.approx(100, abs=0.5), label


@pytest.mark.timeout(300)
def test_workers_quick() -> None:
    report = run_quick("workers")
    from benchmarks.workers import DEPLOYMENTS

    labels = [label for label, _, _ in DEPLOYMENTS]
    assert set(labels) < set(report["medians"])  # and the echo bot on Maillage's set-up
    for label in labels:
        result = report["medians"][label]
        assert result["updates"] > 0 and result["timeouts"] == 0 and result["refused_calls"] == 0, label
        assert {"postgresql", "emulator and users"} < set(result["cpu_seconds"]), label
    assert {"ingress", "worker 1", "worker 4"} < set(
        report["medians"]["PostgreSQL, ingress + 4 workers"]["cpu_seconds"]
    )


@pytest.mark.timeout(300)
def test_broadcast_quick() -> None:
    report = run_quick("broadcast")
    for phase in ("alone", "while_chatting", "two_workers"):
        assert report[phase]["delivered"] == report[phase]["recipients"]
        assert report[phase]["refused_calls"] == 0 and report[phase]["responses_429"] == 0
    assert report["two_workers"]["workers"] == 2
    assert report["while_chatting"]["answers"] > 0


@pytest.mark.timeout(300)
def test_reminders_quick() -> None:
    report = run_quick("reminders")
    assert report["result"]["arrived"] == report["result"]["due_in_run"] > 0
    assert report["result"]["pending_reminders"] > report["result"]["due_in_run"]


@pytest.mark.timeout(300)
def test_scale_quick() -> None:
    report = run_quick("scale")
    assert set(report["queries"]["big"]) == {"directory page", "card", "agenda", "free slots", "booking"}
    assert report["memory_maillage"]["peak_rss_mb"] > 0


@pytest.mark.timeout(300)
def test_planner_quick() -> None:
    report = run_quick("planner")
    [run] = report["runs"]
    assert (run["attendees"], run["exhibitors"], run["wishes"]) == (400, 70, 4000)
    assert run["proven"] and run["gap_pct"] == 0  # the reference size, proven optimal
    assert run["plan"]["no_meeting"] == 0 and run["plan"]["wishes_met"] >= run["fcfs"]["wishes_met"]
    assert [s["name"] for s in run["stages"]][:2] == ["at_least_1", "at_least_2"]
