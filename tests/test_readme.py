"""The README is exactly true: its layout names every folder, its performance figures are in committed files."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def layout_section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("## Layout", 1)[1].split("\n## ", 1)[0]


def test_the_layout_names_every_top_level_folder_and_bot_sub_package() -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    folders = {line.split("/", 1)[0] for line in tracked.splitlines() if "/" in line}
    section = layout_section()
    missing = sorted(f for f in folders if f"`{f}/`" not in section)
    assert not missing, f"top-level folders the README's layout does not describe: {missing}"
    packages = sorted(p.parent.name for p in (ROOT / "bot").glob("*/__init__.py"))
    assert packages, "bot/ has sub-packages"
    missing = [p for p in packages if f"`bot/{p}/`" not in section]
    assert not missing, f"sub-packages of bot/ the README's layout does not name: {missing}"


# Quoted in the performance table but not measured: Telegram's 30 messages a second, its 429 status
# code, and the burst's floor that follows from them (400 answers / 30 a second)
NOT_MEASURED = {"30", "429", "13.3"}


def numeric_leaves(data: object) -> list[float]:
    if isinstance(data, dict):
        return [v for value in data.values() for v in numeric_leaves(value)]
    if isinstance(data, list):
        return [v for value in data for v in numeric_leaves(value)]
    if isinstance(data, int | float) and not isinstance(data, bool):
        return [float(data)]
    return []


def test_every_figure_of_the_performance_table_is_in_a_committed_result_file() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Performance", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    assert len(rows) >= 6, "the performance table has a row per benchmark"
    files: dict[str, list[Path]] = {}
    for path in (ROOT / "docs" / "results").glob("*.json"):
        files.setdefault(json.loads(path.read_text())["benchmark"], []).append(path)
    unfound = []
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        match = re.match(r"`(\w+)`", cells[0])
        assert match and match.group(1) in files, f"no result file in docs/results/ for: {cells[0]}"
        values = [v for path in files[match.group(1)] for v in numeric_leaves(json.loads(path.read_text()))]
        quoted = re.sub(r"`[^`]*`", "", cells[1])  # options such as `--against REV` are not figures
        for number in re.findall(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)", quoted):
            text = number.replace(",", "")
            if text in NOT_MEASURED:
                continue
            decimals = len(text.partition(".")[2])
            tolerance = 0.5 * 10**-decimals + 1e-9  # the file's value, rounded as the README quotes it
            scales = (1, 1000, 0.001, 100)  # seconds quoted as ms and back, ratios as percentages
            if not any(abs(v * k - float(text)) <= tolerance for v in values for k in scales):
                unfound.append(f"{match.group(1)}: {text}")
    assert not unfound, f"figures the README quotes that no committed result file holds: {unfound}"


def test_the_benchmarks_and_their_quick_runs_write_where_git_ignores() -> None:
    from benchmarks.common import RESULTS

    assert RESULTS.resolve() != (ROOT / "docs" / "results").resolve()
    probe = RESULTS / "throughput.json"
    ignored = subprocess.run(["git", "check-ignore", "-q", str(probe)], cwd=ROOT, check=False)
    assert ignored.returncode == 0, f"{probe} would be committed: the quick runs could overwrite quoted results"
