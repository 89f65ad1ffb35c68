"""A PNG of a pool's talent flows (matplotlib, Agg backend; imported only when a chart is asked for)."""
from __future__ import annotations

from pathlib import Path


def flows_png(insights: dict, path: str | Path | None = None, *, title: str = "") -> bytes:
    """Bar panels: came from, goes to, and (with ``vs_company``) wins from / loses to. Returns the PNG bytes."""
    import io

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    vs = insights.get("vs_company")
    panels = [("came from (previous employer)", [(d["company"], d["count"]) for d in insights["came_from"]], "#4c72b0"),
              ("goes to (expected share of moves out)", [(d["company"], d["share"]) for d in insights["goes_to"]], "#dd8452")]
    if vs:
        panels.append((f"{vs['company']} wins from ({vs['window_months']} mo)",
                       [(d["company"], d["moves"]) for d in vs["wins_from"]], "#55a868"))
        panels.append((f"{vs['company']} loses to ({vs['window_months']} mo)",
                       [(d["company"], d["moves"]) for d in vs["loses_to"]], "#c44e52"))
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.2), squeeze=False)
    for ax, (name, items, color) in zip(axes[0], panels):
        ax.set_title(name, fontsize=10)
        if not items:                  # say so instead of drawing empty axes
            ax.text(0.5, 0.5, "no moves in this pool", ha="center", va="center", fontsize=10, color="#666666",
                    transform=ax.transAxes)
            ax.set_axis_off()
            continue
        labels = [str(k)[:28] for k, _ in items][::-1]
        values = [v for _, v in items][::-1]
        ax.barh(labels, values, color=color)
        ax.tick_params(axis="y", labelsize=8)
    supply = insights["supply"]
    fig.suptitle(f"{title} pool of {supply['candidates']:,} candidates, as of {insights['as_of']}".strip(), fontsize=11)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    data = buf.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return data
