"""The digest's weekly chart as a PNG, drawn with matplotlib's Agg backend (no pyplot: no global state, safe
in a server). Its labels are passed in by the caller (they come from the label templates), so this module
holds no user-facing text."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any


def weekly_chart_png(
    weeks: Sequence[Any], *, title: str, collected_label: str, due_label: str, unit_label: str,
    date_format: str = "%d/%m",
) -> bytes:
    """Bars of collections per week against a line of the amount due, as PNG bytes (``weeks``: objects with
    ``start``, ``collected``, ``due``). matplotlib is imported here, on the first Monday chart, not at start-up
    (bench/startup.py)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure  # no pyplot: no global state, safe in a server

    fig = Figure(figsize=(8, 4.5), dpi=100)
    ax = fig.add_subplot()
    xs = list(range(len(weeks)))
    ax.bar(xs, [w.collected / 1e6 for w in weeks], color="#2e7d32", label=collected_label)
    ax.plot(xs, [w.due / 1e6 for w in weeks], color="#c62828", marker="o", label=due_label)
    ax.set_xticks(xs, [w.start.strftime(date_format) for w in weeks], rotation=45, fontsize=8)
    ax.set_ylabel(unit_label)
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
