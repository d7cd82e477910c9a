"""Regenerate bot/emulator/botapi_spec.json from the scraped Bot API description.

The emulator validates every call against the method list, parameter names, types
and required flags of the Bot API. This script keeps only those facts (no
descriptions) from the MIT-licensed scrape, so the project carries a small file
and needs nothing outside itself at run time.

    python scripts/gen_botapi_spec.py ../shared/telegram/botapi-10.1.min.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "bot" / "emulator" / "botapi_spec.json"
NOTICE = (
    "Facts-only subset (names, types, required flags) of the Bot API description "
    "scraped by Paul Larsen (MIT License, Copyright (c) 2020 Paul Larsen); "
    "see bot/emulator/LICENSE-botapi-spec.txt. Regenerate with scripts/gen_botapi_spec.py."
)


def _fields(entry: dict) -> list[dict]:
    return [
        {"name": f["name"], "types": f["types"], "required": bool(f.get("required"))} for f in entry.get("fields", [])
    ]


def subset(source: dict) -> dict:
    return {
        "notice": NOTICE,
        "version": source["version"],
        "methods": {
            name: {"fields": _fields(m), "returns": m.get("returns", [])}
            for name, m in sorted(source["methods"].items())
        },
        "types": {
            name: {"fields": _fields(t), "subtypes": t.get("subtypes", [])}
            for name, t in sorted(source["types"].items())
        },
    }


def main(argv: list[str]) -> int:
    src = Path(argv[1]) if len(argv) > 1 else Path("../shared/telegram/botapi-10.1.min.json")
    data = subset(json.loads(src.read_text(encoding="utf-8")))
    OUT.write_text(json.dumps(data, separators=(",", ":"), sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(data['methods'])} methods)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
