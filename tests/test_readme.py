"""The README is exactly true about the layout: every top-level folder, every sub-package of bot/."""

from __future__ import annotations

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
