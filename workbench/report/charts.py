"""Seaborn charts shared by the step notebooks and the client report.

Each function takes the step's table and a :class:`~workbench.i18n.Translator`
(for labels in the report's language) and returns a matplotlib Figure.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullFormatter, PercentFormatter

from .i18n import Translator

PALETTE = "crest"
SEGMENT_COLORS = {
    "A": "#1b5e20",
    "B": "#9ccc65",
    "C": "#fbc02d",
    "D": "#fb8c00",
    "CD": "#fdd835",
    "E": "#c62828",
    "lost": "#757575",
    "potential": "#1e88e5",
}

sns.set_theme(style="whitegrid", context="notebook", font="DejaVu Sans")
plt.rcParams.update({"figure.dpi": 110, "savefig.dpi": 110, "axes.titleweight": "bold"})


def segment_palette(segments) -> dict:
    """Fixed colours for ABCDE/lost/potential; a sequential palette for cluster labels."""
    others = [s for s in segments if s not in SEGMENT_COLORS]
    colours = dict(zip(others, sns.color_palette("viridis", len(others)), strict=True)) if others else {}
    return {s: SEGMENT_COLORS.get(s, colours.get(s)) for s in segments}


def _money_axis(axis, t: Translator, nbins: int = 5) -> None:
    axis.set_major_locator(MaxNLocator(nbins=nbins))
    axis.set_major_formatter(FuncFormatter(lambda v, _: t.money_short(v, None)))


def _symlog_ticks(low: float, high: float, linthresh: float) -> list[float]:
    """0 and one tick per decade beyond the linear zone, so labels never collide."""
    ticks = [0.0]
    for sign, end in ((1, high), (-1, low)):
        if sign * end <= 0:
            continue
        k = int(np.ceil(np.log10(linthresh)))
        while 10**k <= sign * end * 1.0001:
            ticks.append(sign * 10.0**k)
            k += 1
    return sorted(ticks)


def _scale(ax, which: str, values: pd.Series, t: Translator) -> None:
    """Log scale for positive values spanning decades, symlog when some are negative, else linear."""
    axis = ax.xaxis if which == "x" else ax.yaxis
    set_scale = ax.set_xscale if which == "x" else ax.set_yscale
    low, high = float(values.min()), float(values.max())
    if low > 0 and high / low > 20:
        set_scale("log")
        axis.set_minor_formatter(NullFormatter())  # else minor ticks get 10^x labels
        axis.set_major_formatter(FuncFormatter(lambda v, _: t.money_short(v, None)))
    elif low < 0 < high:
        linthresh = max(float(values.abs().median()) / 10, 1.0)
        set_scale("symlog", linthresh=linthresh)
        axis.set_major_locator(FixedLocator(_symlog_ticks(low, high, linthresh)))
        axis.set_major_formatter(FuncFormatter(lambda v, _: t.money_short(v, None)))
    else:
        _money_axis(axis, t)


def _figure(width=8.0, height=4.0):
    fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
    return fig, ax


def pareto(curve: pd.DataFrame, t: Translator, figures: dict | None = None):
    """Cumulative share of revenue against cumulative share of clients, with the 20% mark.

    With ``figures`` (``goal.concentration``'s), the Herfindahl–Hirschman index,
    its reading and the equivalent number of equal clients are written beside the curve.
    """
    fig, ax = _figure(7, 4)
    x = np.concatenate([[0], curve["client_share"]])
    y = np.concatenate([[0], curve["revenue_share"]])
    ax.plot(x, y, color="#1f4e79", lw=2)
    ax.plot([0, 1], [0, 1], color="#999999", ls="--", lw=1)
    if len(curve):
        k = max(1, int(np.ceil(0.2 * len(curve))))
        top = curve["revenue_share"].iloc[k - 1]
        ax.axvline(0.2, color="#c62828", lw=1, ls=":")
        ax.annotate(
            t("charts.pareto_mark", share=t.pct(top, 0)),
            xy=(0.2, top),
            xytext=(0.3, max(top - 0.25, 0.1)),
            arrowprops={"arrowstyle": "->", "color": "#c62828"},
            color="#c62828",
        )
    if figures and figures.get("hhi_level"):
        ax.text(
            0.98,
            0.04,
            t(
                "charts.pareto_hhi",
                hhi=t.number(figures["hhi"]),
                level=t(f"goal.hhi_level.{figures['hhi_level']}"),
                equal=t.number(figures["equivalent_clients"], 1),
            ),
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            color="#1f4e79",
        )
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set(
        xlabel=t("charts.client_share_cum"),
        ylabel=t("charts.revenue_share_cum"),
        title=t("charts.pareto_title"),
        xlim=(0, 1),
        ylim=(0, 1.02),
    )
    return fig


def product_lines(lines: pd.DataFrame, t: Translator):
    """Revenue by product line, bars labelled with the line's margin %."""
    fig, ax = _figure(8, 0.5 + 0.45 * len(lines))
    sns.barplot(data=lines, y="product_line", x="revenue", ax=ax, color="#4a7fb0")
    for i, row in enumerate(lines.to_dict("records")):
        if pd.notna(row["margin_pct"]):
            ax.text(
                row["revenue"],
                i,
                "  " + t("charts.margin_label", pct=t.pct(row["margin_pct"], 0)),
                va="center",
                fontsize=9,
            )
    _money_axis(ax.xaxis, t)
    ax.set(xlabel=t("charts.revenue"), ylabel="", title=t("charts.lines_title"))
    ax.set_xlim(0, lines["revenue"].max() * 1.3)
    return fig


def status(counts: pd.DataFrame, t: Translator):
    """Clients by status: active, lost, potential."""
    fig, ax = _figure(6, 2.6)
    data = counts.assign(label=[t.label("status", s) for s in counts["status"]])
    sns.barplot(
        data=data, y="label", x="clients", ax=ax, hue="label", palette=["#43a047", "#757575", "#1e88e5"], legend=False
    )
    for i, v in enumerate(data["clients"]):
        ax.text(v, i, f"  {t.number(v)}", va="center", fontsize=9)
    ax.set(xlabel=t("charts.clients"), ylabel="", title=t("charts.status_title"))
    ax.set_xlim(0, max(data["clients"].max() * 1.2, 1))
    return fig


def segment_map(criteria: pd.DataFrame, segments: pd.DataFrame, order: list[str], t: Translator, basis: str = "margin"):
    """Active clients by current profit (x, symlog) and potential (y, log), coloured by segment."""
    df = criteria.merge(segments, on="client_id")
    df = df.loc[df["status"] == "active"]
    if len(df) > 5000:  # a readable, reproducible sample for big bases
        df = df.sample(5000, random_state=0)
    hue_order = [s for s in order if s in set(df["segment"])]
    fig, ax = _figure(8, 4.6)
    sns.scatterplot(
        data=df,
        x=basis,
        y="potential",
        hue="segment",
        hue_order=hue_order,
        palette=segment_palette(hue_order),
        s=14,
        alpha=0.7,
        linewidth=0,
        ax=ax,
    )
    _scale(ax, "x", df[basis], t)
    _scale(ax, "y", df["potential"], t)
    ax.set(xlabel=t(f"charts.current_{basis}"), ylabel=t("charts.potential"), title=t("charts.map_title"))
    ax.legend(title=t("charts.segment"), loc="upper left", fontsize=8)
    return fig


def segment_shares(cards: pd.DataFrame, t: Translator):
    """Share of clients, revenue and margin per segment, side by side."""
    cols = [c for c in ("client_share", "revenue_share", "margin_share") if cards[c].notna().any()]
    long = cards.melt(id_vars="segment", value_vars=cols, var_name="metric", value_name="share")
    long["metric"] = [t.label("metrics", m) for m in long["metric"]]
    long["segment"] = [t.label("segments_short", s) for s in long["segment"]]
    fig, ax = _figure(8, 3.8)
    sns.barplot(data=long, x="segment", y="share", hue="metric", ax=ax, palette="Blues_d")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set(xlabel="", ylabel="", title=t("charts.shares_title"))
    ax.tick_params(axis="x", labelrotation=20)
    ax.legend(title="", fontsize=8)
    return fig


def fte(comparison: pd.DataFrame, t: Translator):
    """FTE needed against FTE in the team, per role."""
    cols = ["fte_needed"] + (["fte_available"] if comparison["fte_available"].notna().any() else [])
    long = comparison.melt(id_vars="role", value_vars=cols, var_name="what", value_name="fte")
    long["role"] = [t.label("roles", r) for r in long["role"]]
    long["what"] = [t.label("charts", w) for w in long["what"]]
    fig, ax = _figure(8, 3.6)
    sns.barplot(data=long, y="role", x="fte", hue="what", ax=ax, palette=["#1f4e79", "#9ecae1"][: len(cols)])
    ax.set(xlabel=t("charts.fte"), ylabel="", title=t("charts.fte_title"))
    ax.legend(title="", fontsize=8)
    return fig


def forecast_deciles(deciles: pd.DataFrame, t: Translator, model: str):
    """Backtest: predicted against actual revenue by decile of the prediction (1 = the top tenth)."""
    long = deciles.melt(
        id_vars="decile", value_vars=["predicted_revenue", "actual_revenue"], var_name="what", value_name="revenue"
    )
    long["what"] = [t.label("charts", w) for w in long["what"]]
    fig, ax = _figure(8, 3.4)
    sns.barplot(data=long, x="decile", y="revenue", hue="what", ax=ax, palette=["#1f4e79", "#9ecae1"])
    _money_axis(ax.yaxis, t)
    ax.set(xlabel=t("charts.decile"), ylabel=t("charts.revenue_axis"), title=t("charts.deciles_title", model=model))
    ax.legend(title="", fontsize=8)
    return fig
