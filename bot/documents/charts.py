"""The statistics chart: meetings per slot and their status (matplotlib, drawn off-screen).

matplotlib is imported by the first chart, not at start-up: importing it took 0.5 s of the bot's
1.2 s of imports (``python -X importtime``), on every start for a chart organisers ask for rarely.
Its object API (a Figure on an Agg canvas) needs no pyplot, no global state and no display.
"""

from __future__ import annotations

import io
from datetime import datetime

COLOURS = {
    "accepted": "#2e7d32",
    "pending": "#f9a825",
    "declined": "#c62828",
    "cancelled": "#757575",
    "expired": "#8d6e63",
}


def meetings_per_slot_png(per_slot: dict[datetime, dict[str, int]], labels: dict[str, str], title: str) -> bytes:
    """Stacked bars, one per slot; ``labels`` names each status in the reader's language."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    slots = list(per_slot)
    figure = Figure(figsize=(max(6.0, 0.4 * len(slots) + 2), 4), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    bottom = [0] * len(slots)
    positions = list(range(len(slots)))
    for status, colour in COLOURS.items():
        values = [per_slot[s].get(status, 0) for s in slots]
        if any(values):
            axes.bar(positions, values, bottom=bottom, color=colour, label=labels.get(status, status))
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axes.set_xticks(positions, [s.strftime("%H:%M") for s in slots], rotation=90, fontsize=8)
    axes.set_title(title)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    if any(bottom):
        axes.legend(fontsize=8)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def grouped_bars_png(categories: list[str], series: dict[str, list[int]], title: str) -> bytes:
    """Horizontal bars, a group per category (a theme...), a bar per series (requested, held...)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(8, max(3.0, 0.6 * len(categories) + 1.5)), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    height = 0.8 / max(1, len(series))
    for n, (label, values) in enumerate(series.items()):
        positions = [i + n * height for i in range(len(categories))]
        axes.barh(positions, values, height=height, label=label)
    axes.set_yticks([i + 0.4 - height / 2 for i in range(len(categories))], categories, fontsize=8)
    axes.invert_yaxis()
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title(title)
    axes.legend(fontsize=8)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
