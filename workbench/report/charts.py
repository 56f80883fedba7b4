"""Seaborn charts shared by the step notebooks and the client report.

Each function takes the step's table and a :class:`~workbench.i18n.Translator`
(for labels in the report's language) and returns a matplotlib Figure.

Charts are drawn for print: every segment has one colour, marker and hatch
(:func:`segment_styles`), the same in every chart; the colours differ in
lightness, so a greyscale copy still tells the segments apart, and markers
and hatches tell them apart again. Every axis is labelled with its unit. The
report embeds the figures as SVG (:func:`svg`): vector lines and text, and
dense point clouds as 200 dpi rasters.
"""

from __future__ import annotations

import io
import textwrap
from typing import NamedTuple

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from babel.numbers import get_currency_symbol
from matplotlib.colors import to_hex, to_rgb
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullFormatter

from .i18n import Translator

#: Resolution of anything rasterised for print (dense scatter points, ``savefig`` to PNG).
PRINT_DPI = 200


class SegmentStyle(NamedTuple):
    """How one segment is drawn: fill colour, scatter marker, bar hatch."""

    colour: str
    marker: str
    hatch: str


#: Okabe–Ito (colour-blind-safe) hues, each moved to its own lightness: greyscale
#: luma 0.14 (A) to 0.87 (CD) in steps of about 0.105, so no two segments print as one grey.
#: Hatches are lines only: dotted and circled hatches cost 20-300 kB of SVG each.
SEGMENT_STYLES = {
    "A": SegmentStyle("#002f49", "o", ""),  # luma 0.14, dark blue
    "E": SegmentStyle("#9a1525", "X", "xxx"),  # 0.25, deep red: it costs money
    "B": SegmentStyle("#0075b6", "s", "///"),  # 0.35, blue
    "lost": SegmentStyle("#747474", "P", "---"),  # 0.46, grey
    "C": SegmentStyle("#47b09f", "^", "\\\\\\"),  # 0.56, teal
    "potential": SegmentStyle("#d591b7", "*", "|||"),  # 0.67, pink
    "D": SegmentStyle("#ffc238", "D", "+++"),  # 0.77, amber
    "CD": SegmentStyle("#f4ea6f", "v", "-/"),  # 0.87, pale yellow
}
#: Active clients as a whole (the status chart), apart in lightness from lost and potential.
ACTIVE_COLOUR = "#2b4949"
#: Two series that are not segments (needed / available, forecast / actual): dark and light.
PAIR = ("#1d4870", "#9ecae1")
LINE = "#1f4e79"
#: For cluster labels (K1..Kn): markers and hatches not taken by lost and potential.
_CLUSTER_MARKERS = ("o", "s", "^", "D", "v", "X", "h", "<", ">", "p")
_CLUSTER_HATCHES = ("", "///", "\\\\\\", "xxx", "+++", "-/", "-\\", "/|", "\\|", "x")
_EDGE = "#222222"
_MARKER_AREA = {"X": 32, "*": 40, "P": 30, "D": 15, "v": 26, "^": 26}  # points², so all shapes look one size

sns.set_theme(style="whitegrid", context="notebook", font="DejaVu Sans")
plt.rcParams.update(
    {
        "figure.dpi": 110,  # on screen, in the step notebooks
        "savefig.dpi": PRINT_DPI,
        "axes.titleweight": "bold",
        "svg.fonttype": "path",  # text drawn as outlines: the same on every machine, no font needed
        "svg.hashsalt": "workbench",  # the same ids in every run: the same report from the same data
        "hatch.linewidth": 0.8,
    }
)


def grey_level(colour) -> float:
    """The colour's lightness on a greyscale print: Rec. 601 luma of its sRGB values (0 black, 1 white)."""
    r, g, b = to_rgb(colour)
    return 0.299 * r + 0.587 * g + 0.114 * b


def _at_grey_level(cmap: str, level: float) -> str:
    """The colour of a colour map (lightness rising along it, as viridis) whose grey level is ``level``."""
    colours = matplotlib.colormaps[cmap]
    darkest, lightest = to_rgb(colours(0.0)), to_rgb(colours(1.0))
    # Beyond the map's own range: its end colour mixed with black or white.
    for edge, towards in ((lightest, 1.0), (darkest, 0.0)):
        if (level - grey_level(edge)) * (towards - grey_level(edge)) > 0:
            f = (level - grey_level(edge)) / (towards - grey_level(edge))
            r, g, b = ((1 - f) * c + f * towards for c in edge)
            return to_hex((r, g, b))
    low, high = 0.0, 1.0
    for _ in range(40):
        mid = (low + high) / 2
        low, high = (mid, high) if grey_level(colours(mid)) < level else (low, mid)
    return to_hex(colours((low + high) / 2))


def segment_styles(segments) -> dict[str, SegmentStyle]:
    """Colour, marker and hatch per segment: fixed for ABCDE, lost and potential.

    Other labels (KMeans clusters K1..Kn, in their order) take viridis colours
    at the grey levels the active classes use, darkest first, with their own
    markers and hatches. Beyond six clusters the levels are spread evenly and
    some print close to lost or potential; markers and hatches still differ.
    """
    segments = list(dict.fromkeys(segments))
    others = [s for s in segments if s not in SEGMENT_STYLES]
    slots = sorted(grey_level(SEGMENT_STYLES[s].colour) for s in ("A", "E", "B", "C", "D", "CD"))
    if len(others) <= len(slots):
        index = np.floor(np.linspace(0, len(slots) - 1, len(others)) + 0.5).astype(int)  # halves up
        levels = [slots[i] for i in index]
    else:
        levels = list(np.linspace(slots[0], slots[-1], len(others)))
    styles = {
        s: SegmentStyle(
            _at_grey_level("viridis", level),
            _CLUSTER_MARKERS[i % len(_CLUSTER_MARKERS)],
            _CLUSTER_HATCHES[i % len(_CLUSTER_HATCHES)],
        )
        for i, (s, level) in enumerate(zip(others, levels, strict=True))
    }
    return {s: SEGMENT_STYLES.get(s) or styles[s] for s in segments}


def segment_palette(segments) -> dict:
    """The colour of each segment (:func:`segment_styles`)."""
    return {s: style.colour for s, style in segment_styles(segments).items()}


def svg(fig) -> str:
    """The figure as SVG for the report: vector, trimmed to what is drawn, the same bytes on every run."""
    out = io.StringIO()
    fig.savefig(out, format="svg", bbox_inches="tight", pad_inches=0.05, metadata={"Date": None})
    return out.getvalue()


def _currency(t: Translator) -> str:
    """The currency as an axis label writes it: ₽ in Russian, £ for GBP, else the code."""
    return get_currency_symbol(t.currency, locale=t.locale)


def _money_axis(axis, t: Translator, nbins: int = 5) -> None:
    axis.set_major_locator(MaxNLocator(nbins=nbins))
    axis.set_major_formatter(FuncFormatter(lambda v, _: t.money_short(v, None)))


def _pct_ticks(t: Translator) -> FuncFormatter:
    """Shares as the locale writes percentages (20%, 20 %)."""
    return FuncFormatter(lambda v, _: t.pct(v, 0))


def _symlog_ticks(low: float, high: float, linthresh: float) -> list[float]:
    """0 and one tick per decade beyond the linear zone, so labels never collide."""
    ticks = [0.0]
    for sign, end in ((1, high), (-1, low)):
        if sign * end <= 0:
            continue
        k = int(np.ceil(np.log10(linthresh)))
        side = []
        while 10**k <= sign * end * 1.0001:
            side.append(sign * 10.0**k)
            k += 1
        # The negative side is the short one (a few loss-making clients): its outermost decade only, so
        # "−1 mn" and "−100 k" never print into each other.
        ticks += side if sign > 0 else side[-1:]
    return sorted(ticks)


def _scale(ax, which: str, values: pd.Series, t: Translator) -> str:
    """Log scale for positive values spanning decades, symlog when some are negative, else linear.

    Returns the scale chosen (``log``, ``symlog`` or ``linear``), for the axis label.
    """
    axis = ax.xaxis if which == "x" else ax.yaxis
    set_scale = ax.set_xscale if which == "x" else ax.set_yscale
    low, high = float(values.min()), float(values.max())
    if low > 0 and high / low > 20:
        set_scale("log")
        axis.set_minor_formatter(NullFormatter())  # else minor ticks get 10^x labels
        axis.set_major_formatter(FuncFormatter(lambda v, _: t.money_short(v, None)))
        return "log"
    if low < 0 < high:
        linthresh = max(float(values.abs().median()) / 10, 1.0)
        set_scale("symlog", linthresh=linthresh)
        axis.set_major_locator(FixedLocator(_symlog_ticks(low, high, linthresh)))
        axis.set_major_formatter(FuncFormatter(lambda v, _: t.money_short(v, None)))
        return "symlog"
    _money_axis(axis, t)
    return "linear"


def _scaled_label(label: str, scale: str, t: Translator, width: int = 200) -> str:
    """An axis label with its scale named when it is not linear, on a line of its own beyond ``width`` characters."""
    if scale == "linear":
        return label
    note = t(f"charts.scale_{scale}")
    return f"{label}, {note}" if len(label) + len(note) + 2 <= width else f"{label},\n{note}"


def _figure(width=8.0, height=4.0):
    fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
    return fig, ax


def _title(target, text: str) -> None:
    """A title wrapped to the figure's width (``target``: an Axes, or a Figure for a suptitle)."""
    fig = target if isinstance(target, plt.Figure) else target.figure
    size = matplotlib.font_manager.FontProperties(size=plt.rcParams["axes.titlesize"]).get_size_in_points()
    # A bold DejaVu letter is at most about 0.75 em wide on average (Cyrillic the widest).
    wrapped = textwrap.fill(text, max(int(fig.get_figwidth() * 72 / (0.75 * size)), 20))
    if isinstance(target, plt.Figure):
        target.suptitle(wrapped, fontweight="bold")
    else:
        target.set_title(wrapped)


def _hatch_colour(colour) -> str:
    """Hatch lines that show on the fill: white on dark colours, near-black on light ones."""
    return "#ffffff" if grey_level(colour) < 0.45 else _EDGE


def _segment_bars(ax, values: pd.Series, segments: list[str], styles: dict[str, SegmentStyle]) -> None:
    """Horizontal bars, one per segment from the top, each in its segment's colour and hatch."""
    y = np.arange(len(segments))
    bars = ax.barh(y, values.to_numpy(dtype=float), height=0.7, edgecolor=_EDGE, linewidth=0.6)
    for bar, segment in zip(bars, segments, strict=True):
        style = styles[segment]
        bar.set_facecolor(style.colour)
        bar.set_hatch(style.hatch)
        bar.set_hatchcolor(_hatch_colour(style.colour))
    ax.set_ylim(len(segments) - 0.4, -0.6)  # the first segment on top


def pareto(curve: pd.DataFrame, t: Translator, figures: dict | None = None):
    """Cumulative share of revenue against cumulative share of clients, with the 20% mark.

    With ``figures`` (``goal.concentration``'s), the Herfindahl–Hirschman index,
    its reading and the equivalent number of equal clients are written beside the curve.
    """
    fig, ax = _figure(7, 4)
    x = np.concatenate([[0], curve["client_share"]])
    y = np.concatenate([[0], curve["revenue_share"]])
    ax.plot(x, y, color=LINE, lw=2, clip_on=False)
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
            t(  # two lines, so that a long reading stays inside the plot in any language
                "charts.pareto_hhi",
                hhi=t.number(figures["hhi"]),
                level=t(f"goal.hhi_level.{figures['hhi_level']}"),
                equal=t.rounded_count(figures["equivalent_clients"]),
            ).replace("; ", ";\n"),
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            color=LINE,
        )
    ax.xaxis.set_major_formatter(_pct_ticks(t))
    ax.yaxis.set_major_formatter(_pct_ticks(t))
    ax.set(
        xlabel=t("charts.client_share_cum"),
        ylabel=t("charts.revenue_share_cum"),
        xlim=(0, 1),
        ylim=(0, 1.02),
    )
    _title(ax, t("charts.pareto_title"))
    return fig


def product_lines(lines: pd.DataFrame, t: Translator):
    """Revenue by product line, bars labelled with the line's margin %."""
    fig, ax = _figure(8, 1.1 + 0.42 * len(lines))
    sns.barplot(data=lines, y="product_line", x="revenue", ax=ax, color="#4a7fb0")
    labels = [
        ax.text(
            row["revenue"],
            i,
            "  " + t("charts.margin_label", pct=t.pct(row["margin_pct"], 0)),
            va="center",
            fontsize=9,
        )
        for i, row in enumerate(lines.to_dict("records"))
        if pd.notna(row["margin_pct"])
    ]
    _money_axis(ax.xaxis, t)
    ax.set(xlabel=t("charts.revenue", currency=_currency(t)), ylabel=t("charts.product_line"))
    _title(ax, t("charts.lines_title"))
    ax.set_xlim(0, max(lines["revenue"].max() * 1.3, 1))
    fig.draw_without_rendering()  # the constrained layout places the axes
    # The bar labels' length depends on the language: widen the axis until the longest fits inside it.
    renderer = fig.canvas.get_renderer()
    inverse = ax.transData.inverted()
    right = max((inverse.transform(label.get_window_extent(renderer))[1][0] for label in labels), default=0.0)
    if right > ax.get_xlim()[1]:
        ax.set_xlim(0, right * 1.03)
    return fig


def status(counts: pd.DataFrame, t: Translator):
    """Clients by status: active, lost, potential (lost and potential as in the segment charts)."""
    fig, ax = _figure(6, 1.3 + 0.45 * len(counts))
    codes = list(counts["status"])
    styles = {s: SEGMENT_STYLES.get(s, SegmentStyle(ACTIVE_COLOUR, "o", "")) for s in codes}
    _segment_bars(ax, counts["clients"], codes, styles)
    for i, v in enumerate(counts["clients"]):
        ax.text(v, i, f"  {t.number(v, column=True)}", va="center", fontsize=9)
    ax.set_yticks(range(len(codes)), [t.label("status", s) for s in codes])
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: t.number(v, column=True)))  # 2 000, as the bar labels
    ax.grid(axis="y", visible=False)
    ax.set(xlabel=t("charts.clients"), ylabel=t("charts.status"))
    ax.set_xlim(0, max(counts["clients"].max() * 1.2, 1))
    _title(ax, t("charts.status_title"))
    return fig


def segment_map(criteria: pd.DataFrame, segments: pd.DataFrame, order: list[str], t: Translator, basis: str = "margin"):
    """Active clients by current profit (x, symlog) and potential (y, log), by segment's colour and marker."""
    df = criteria.merge(segments, on="client_id")
    df = df.loc[(df["status"] == "active") & df[basis].notna() & df["potential"].notna()]
    if len(df) > 5000:  # a readable, reproducible sample for big bases
        df = df.sample(5000, random_state=0)
    present = [s for s in order if s in set(df["segment"])]
    styles = segment_styles(present)
    fig, ax = _figure(8, 4.6)
    sizes = df["segment"].value_counts()
    handles = {}
    for segment in sorted(present, key=lambda s: -sizes[s]):  # the largest first, so small segments stay visible
        part = df.loc[df["segment"] == segment]
        style = styles[segment]
        handles[segment] = ax.scatter(
            part[basis],
            part["potential"],
            s=_MARKER_AREA.get(style.marker, 22),
            c=style.colour,
            marker=style.marker,
            edgecolors=_EDGE if grey_level(style.colour) > 0.5 else "#ffffff",
            linewidths=0.4,
            label=t.label("segments_short", segment),
            rasterized=len(df) > 2000,  # thousands of vector markers make a heavy page; 200 dpi instead
        )
    x_scale = _scale(ax, "x", df[basis], t) if len(df) else "linear"
    y_scale = _scale(ax, "y", df["potential"], t) if len(df) else "linear"
    ax.margins(0.04)  # no point on the frame
    ax.autoscale_view()
    currency = _currency(t)
    ax.set(
        xlabel=_scaled_label(t(f"charts.current_{basis}", currency=currency), x_scale, t),
        ylabel=_scaled_label(t("charts.potential", currency=currency), y_scale, t, width=36),  # the axis' height
    )
    _title(ax, t("charts.map_title"))
    if handles:
        ax.legend(
            [handles[s] for s in present],
            [t.label("segments_short", s) for s in present],
            title=t("charts.segment"),
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),  # beside the plot, never over points
            markerscale=1.5,
            fontsize=9,
            frameon=False,
        )
    return fig


def segment_shares(cards: pd.DataFrame, t: Translator):
    """Share of clients, revenue and margin per segment: one panel per measure, bars in the segments' styles."""
    cols = [c for c in ("client_share", "revenue_share", "margin_share") if cards[c].notna().any()]
    segs = list(cards["segment"])
    styles = segment_styles(segs)
    fig, axes = plt.subplots(
        1, len(cols), figsize=(8, 1.4 + 0.36 * len(segs)), sharex=True, sharey=True, layout="constrained", squeeze=False
    )
    values = cards[cols].astype(float).fillna(0.0)
    low, high = min(float(values.min().min()), 0.0), max(float(values.max().max()), 0.01)
    for ax, col in zip(axes[0], cols, strict=True):
        _segment_bars(ax, values[col], segs, styles)
        for i, v in enumerate(values[col]):
            ax.text(max(v, 0.0), i, " " + t.pct(v, 0 if v == 0 or abs(v) >= 0.1 else 1), va="center", fontsize=8)
        ax.xaxis.set_major_formatter(_pct_ticks(t))
        ax.xaxis.set_major_locator(MaxNLocator(nbins=3))
        ax.set_xlabel(t("charts.share_axis", metric=t.label("metrics", col)))
        ax.grid(axis="y", visible=False)
        ax.axvline(0, color=_EDGE, lw=0.6)
    axes[0][0].set_xlim(low * 1.3 - 0.02 * high, high * 1.45)  # room for the labels beside the bars
    axes[0][0].set_yticks(range(len(segs)), [t.label("segments_short", s) for s in segs])
    axes[0][0].set_ylabel(t("charts.segment"))
    _title(fig, t("charts.shares_title"))
    return fig


def fte(comparison: pd.DataFrame, t: Translator):
    """FTE needed against FTE in the team, per role; roles with neither are left out."""
    has_team = comparison["fte_available"].notna().any()
    shown = comparison.loc[(comparison["fte_needed"].fillna(0) > 0.005) | (comparison["fte_available"].fillna(0) > 0)]
    cols = ["fte_needed"] + (["fte_available"] if has_team else [])
    long = shown.melt(id_vars="role", value_vars=cols, var_name="what", value_name="fte")
    long["role"] = [t.label("roles", r) for r in long["role"]]
    long["what"] = [t.label("charts", w) for w in long["what"]]
    fig, ax = _figure(8, 1.4 + 0.6 * max(len(shown), 1))
    if len(long):
        sns.barplot(
            data=long, y="role", x="fte", hue="what", ax=ax, palette=list(PAIR[: len(cols)]), edgecolor=_EDGE, lw=0.6
        )
        ax.legend(title="", fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.set(xlabel=t("charts.fte"), ylabel=t("charts.role"))
    _title(ax, t("charts.fte_title"))
    return fig


def forecast_deciles(deciles: pd.DataFrame, t: Translator, model: str):
    """Backtest: predicted against actual revenue by decile of the prediction (1 = the top tenth)."""
    long = deciles.melt(
        id_vars="decile", value_vars=["predicted_revenue", "actual_revenue"], var_name="what", value_name="revenue"
    )
    long["what"] = [t.label("charts", w) for w in long["what"]]
    fig, ax = _figure(8, 3.6)
    sns.barplot(data=long, x="decile", y="revenue", hue="what", ax=ax, palette=list(PAIR), edgecolor=_EDGE, lw=0.6)
    _money_axis(ax.yaxis, t)
    ax.set(xlabel=t("charts.decile"), ylabel=t("charts.revenue", currency=_currency(t)))
    _title(ax, t("charts.deciles_title", model=model))
    ax.legend(title="", fontsize=9)
    return fig
