"""The benchmarks' quick modes run in CI so that they never rot (their figures are not asserted here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_transport_burst_quick_mode_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.transport_burst", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads((ROOT / "benchmarks" / "results" / "transport_burst.json").read_text())
    assert report["users"] == 100
    assert {r["label"] for r in report["results"]} >= {"Maillage answering /start (real handlers, SQLite)"}
    assert all(r["max_s"] > 0 for r in report["results"])
