"""Printable QR codes for the stands: scanning one opens the exhibitor's card in Telegram.

segno makes the code (pure Python, well kept); Pillow writes the exhibitor's name under it.
"""

from __future__ import annotations

import html
import io
import textwrap
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont

SCALE = 12
LABEL_FONT_SIZE = 30


def stand_qr_png(url: str, label: str) -> bytes:
    """A QR code of ``url`` with ``label`` (the exhibitor's name) written under it."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=SCALE, border=4)
    code = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    font = ImageFont.load_default(size=LABEL_FONT_SIZE)
    lines = textwrap.wrap(label, width=28)[:3] or [""]
    line_height = LABEL_FONT_SIZE + 8
    canvas = Image.new("RGB", (code.width, code.height + line_height * len(lines) + 24), "white")
    canvas.paste(code, (0, 0))
    draw = ImageDraw.Draw(canvas)
    for index, line in enumerate(lines):
        width = draw.textlength(line, font=font)
        draw.text(((code.width - width) / 2, code.height + index * line_height), line, fill="black", font=font)
    out = io.BytesIO()
    canvas.save(out, format="PNG")
    return out.getvalue()


def write_sheet(out_dir: Path, stands: list[tuple[str, str, str, str]], title: str) -> list[Path]:
    """One PNG per (slug, name, stand, url), and an index.html to print them all."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    cells = []
    for slug, name, stand, url in stands:
        path = out_dir / f"{slug}.png"
        path.write_bytes(stand_qr_png(url, name))
        written.append(path)
        caption = html.escape(f"{name} · {stand}" if stand else name)
        cells.append(
            f'<figure><img src="{html.escape(path.name)}" alt="{html.escape(name)}">'
            f"<figcaption>{caption}</figcaption></figure>"
        )
    page = f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: sans-serif; margin: 1cm; }}
main {{ display: grid; grid-template-columns: repeat(3, 1fr); gap: 1cm; }}
figure {{ margin: 0; text-align: center; break-inside: avoid; }}
img {{ width: 100%; max-width: 6cm; }}
figcaption {{ font-size: 11pt; }}
@media print {{ h1 {{ display: none; }} }}
</style></head>
<body><h1>{html.escape(title)}</h1><main>
{chr(10).join(cells)}
</main></body></html>
"""
    index = out_dir / "index.html"
    index.write_text(page, encoding="utf-8")
    written.append(index)
    return written
