"""The report's charts survive print: segment styles, labelled axes, nothing cut off, vector images."""

from __future__ import annotations

import base64
import itertools
import re
import struct

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from workbench.report import charts  # noqa: E402
from workbench.report.i18n import Translator  # noqa: E402

STANDARD = ["A", "B", "C", "D", "CD", "E", "lost", "potential"]
MIN_GREY_STEP = 0.09  # luma: adjacent greys a printer and a reader still tell apart


def _criteria(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    segments = np.array(["A", "B", "C", "D", "E"])[rng.integers(0, 5, n)]
    margin = np.where(segments == "E", -rng.lognormal(10, 1, n), rng.lognormal(12, 1.5, n))
    criteria = pd.DataFrame(
        {
            "client_id": [f"c{i}" for i in range(n)],
            "status": "active",
            "margin": margin,
            "revenue": np.abs(margin) * 4,
            "potential": rng.lognormal(15, 1.5, n),
        }
    )
    return criteria, pd.DataFrame({"client_id": criteria["client_id"], "segment": segments})


def _cards() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "segment": ["A", "B", "C", "potential", "D", "lost", "E"],
            "client_share": [0.12, 0.2, 0.1, 0.21, 0.22, 0.13, 0.02],
            "revenue_share": [0.68, 0.21, 0.03, 0.0, 0.05, 0.0, 0.03],
            "margin_share": [0.7, 0.22, 0.03, 0.0, 0.05, 0.0, -0.01],
        }
    )


def _fte(team: bool = True) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "role": ["head_of_sales", "key_account_manager", "farmer", "closer", "hunter"],
            "fte_needed": [1.0, 0.0, 3.4, 0.0, 0.17],
            "fte_available": [2.0, 2.0, 8.0, 0.0, 2.0] if team else [np.nan] * 5,
        }
    )


def _all_charts(t: Translator) -> dict:
    criteria, segments = _criteria()
    curve = pd.DataFrame({"client_share": np.linspace(0.01, 1, 100), "revenue_share": np.linspace(0.01, 1, 100) ** 0.3})
    lines = pd.DataFrame(
        {
            "product_line": ["Consumables", "Industrial fasteners and fixings, imported", "Smart sensors"],
            "revenue": [4.2e8, 3.7e8, 1.4e7],
            "margin_pct": [0.17, 0.3, np.nan],
        }
    )
    deciles = pd.DataFrame(
        {
            "decile": range(1, 11),
            "predicted_revenue": np.geomspace(7e8, 1e6, 10),
            "actual_revenue": np.geomspace(9e8, 5e5, 10),
        }
    )
    hhi = {"hhi": 144, "hhi_level": "unconcentrated", "equivalent_clients": 69.6}
    model = "buy-till-you-die model (BG/NBD × Gamma-Gamma) with a long name that must wrap"
    return {
        "pareto": charts.pareto(curve, t, hhi),
        "product_lines": charts.product_lines(lines, t),
        "status": charts.status(
            pd.DataFrame({"status": ["active", "lost", "potential"], "clients": [526, 107, 167]}), t
        ),
        "segment_map": charts.segment_map(criteria, segments, ["A", "B", "C", "D", "E"], t),
        "segment_shares": charts.segment_shares(_cards(), t),
        "fte": charts.fte(_fte(), t),
        "forecast_deciles": charts.forecast_deciles(deciles, t, model),
    }


@pytest.fixture(params=["en", "ru"])
def figures(request):
    figs = _all_charts(Translator(request.param, "RUB"))
    yield figs
    for fig in figs.values():
        plt.close(fig)


def test_every_chart_function_is_checked(figures):
    import inspect

    drawing = {
        name
        for name, f in inspect.getmembers(charts, inspect.isfunction)
        if f.__module__ == charts.__name__ and not name.startswith("_") and "t" in inspect.signature(f).parameters
    }
    assert set(figures) == drawing


def test_every_axis_has_a_label(figures):
    for name, fig in figures.items():
        for ax in fig.axes:
            assert ax.get_xlabel().strip(), (name, "x")
            if ax.get_subplotspec().is_first_col():  # panels beside it share its y axis
                assert ax.get_ylabel().strip(), (name, "y")


def test_money_axes_name_the_currency(figures):
    assert figures["product_lines"].axes[0].get_xlabel().endswith(("RUB", "₽"))
    assert figures["forecast_deciles"].axes[0].get_ylabel().endswith(("RUB", "₽"))
    ax = figures["segment_map"].axes[0]
    assert re.search(r"(RUB|₽),\s(log|логарифм)", ax.get_xlabel()) and re.search(
        r"(RUB|₽),\s(log|логарифм)", ax.get_ylabel()
    )


def test_nothing_is_cut_off(figures):
    """Everything drawn (long labels, wrapped titles, bar labels, legends) lies inside the figure, every point inside the axes."""
    for name, fig in figures.items():
        fig.canvas.draw()
        drawn = fig.get_tightbbox(fig.canvas.get_renderer()).transformed(fig.dpi_scale_trans)
        box = fig.bbox
        assert drawn.x0 >= box.x0 - 1 and drawn.x1 <= box.x1 + 1, (name, drawn, box)
        assert drawn.y0 >= box.y0 - 1 and drawn.y1 <= box.y1 + 1, (name, drawn, box)
    ax = figures["segment_map"].axes[0]
    inside = ax.transAxes.inverted()
    for points in ax.collections:
        where = inside.transform(ax.transData.transform(points.get_offsets()))
        assert (where > 0.01).all() and (where < 0.99).all()  # no point on the frame


def test_segment_colours_print_as_distinct_greys_with_distinct_markers_and_hatches():
    styles = charts.segment_styles(STANDARD)
    greys = {s: charts.grey_level(style.colour) for s, style in styles.items()}
    for a, b in itertools.combinations(STANDARD, 2):
        assert abs(greys[a] - greys[b]) >= MIN_GREY_STEP, (a, b, greys[a], greys[b])
    assert len({style.marker for style in styles.values()}) == len(STANDARD)
    assert len({style.hatch for style in styles.values()}) == len(STANDARD)
    # KMeans clusters with the special segments: the same rules.
    for k in (3, 5, 6):
        labels = [f"K{i + 1}" for i in range(k)] + ["lost", "potential"]
        styles = charts.segment_styles(labels)
        levels = sorted(charts.grey_level(s.colour) for s in styles.values())
        assert min(np.diff(levels)) >= MIN_GREY_STEP, (k, levels)
        assert len({s.marker for s in styles.values()}) == len(labels)
        assert len({s.hatch for s in styles.values()}) == len(labels)
        assert levels == sorted(levels) and charts.grey_level(styles["K1"].colour) == levels[0]  # K1 darkest


def test_every_chart_of_segments_uses_the_segment_styles():
    from matplotlib.colors import to_hex

    t = Translator("en")
    criteria, segments = _criteria()
    styles = charts.segment_styles(STANDARD)
    fig = charts.segment_map(criteria, segments, ["A", "B", "C", "D", "E"], t)
    legend = fig.axes[0].get_legend()
    drawn = {text.get_text() for text in legend.get_texts()}
    assert drawn == {"A", "B", "C", "D", "E"}
    for points in fig.axes[0].collections:
        segment = points.get_label()
        assert to_hex(points.get_facecolor()[0]) == styles[segment].colour
    plt.close(fig)

    cards = _cards()
    fig = charts.segment_shares(cards, t)
    for ax in fig.axes:
        for bar, segment in zip(ax.patches, cards["segment"], strict=True):
            assert to_hex(bar.get_facecolor()) == styles[segment].colour and bar.get_hatch() == styles[segment].hatch
    plt.close(fig)

    fig = charts.status(pd.DataFrame({"status": ["active", "lost", "potential"], "clients": [5, 2, 3]}), t)
    bars = fig.axes[0].patches
    for bar, segment in zip(bars[1:], ["lost", "potential"], strict=True):
        assert to_hex(bar.get_facecolor()) == styles[segment].colour and bar.get_hatch() == styles[segment].hatch
    active = charts.grey_level(bars[0].get_facecolor())
    assert all(abs(active - charts.grey_level(styles[s].colour)) >= MIN_GREY_STEP for s in ("lost", "potential"))
    plt.close(fig)


@pytest.mark.parametrize("team", [True, False])
def test_fte_chart_leaves_out_roles_with_nothing_needed_and_nobody(team):
    t = Translator("en")
    fig = charts.fte(_fte(team), t)
    shown = [label.get_text() for label in fig.axes[0].get_yticklabels()]
    assert t.label("roles", "closer") not in shown
    assert t.label("roles", "farmer") in shown and t.label("roles", "hunter") in shown
    assert (t.label("roles", "key_account_manager") in shown) == team  # nothing needed, but two in the team
    plt.close(fig)


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_figures_are_vector_and_rasters_at_print_resolution():
    assert plt.rcParams["savefig.dpi"] >= 200 and charts.PRINT_DPI >= 200
    t = Translator("en")
    fig = charts.status(pd.DataFrame({"status": ["active", "lost"], "clients": [5, 2]}), t)
    svg = charts.svg(fig)
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "<image" not in svg  # all vector
    assert charts.svg(fig) == svg  # the same bytes on every run
    plt.close(fig)

    # Thousands of points are one raster inside the SVG, at >= 200 dpi.
    criteria, segments = _criteria(3000)
    fig = charts.segment_map(criteria, segments, ["A", "B", "C", "D", "E"], t)
    svg = charts.svg(fig)
    plt.close(fig)
    images = re.findall(
        r'<image[^>]*width="([\d.]+)"[^>]*height="([\d.]+)"[^>]*href="data:image/png;base64,([^"]+)"', svg
    )
    if not images:  # attribute order differs between matplotlib versions
        images = [
            (w, h, d)
            for d, w, h in re.findall(
                r'<image[^>]*href="data:image/png;base64,([^"]+)"[^>]*width="([\d.]+)"[^>]*height="([\d.]+)"', svg
            )
        ]
    assert images
    for width_pt, _, data in images:
        pixels, _ = _png_size(base64.b64decode(data))
        assert pixels / (float(width_pt) / 72) >= 199  # pixels per inch of the drawn image
    assert len(svg) < 1_000_000


def test_the_report_embeds_figures_as_svg(tmp_path, monkeypatch):
    import IPython.display

    from workbench.report.narrative import ClientReport

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, **kw: shown.append((obj, kw)))
    report = ClientReport(tmp_path, "en")
    fig = charts.status(pd.DataFrame({"status": ["active"], "clients": [5]}), report.t)
    report.figure(fig)
    ((obj, kw),) = shown
    assert kw.get("raw") is True and set(obj) == {"image/svg+xml"}
    assert "<svg" in obj["image/svg+xml"]
    assert not plt.fignum_exists(fig.number)  # closed, not shown twice


def test_tick_labels_are_written_for_the_locale_and_never_collide():
    # The status chart's count axis groups thousands as its bar labels do ("2 054", not "2000").
    ru = Translator("ru", "RUB")
    fig = charts.status(pd.DataFrame({"status": ["active", "lost"], "clients": [2054, 356]}), ru)
    fig.canvas.draw()
    labels = [lab.get_text() for lab in fig.axes[0].get_xticklabels() if lab.get_text()]
    plt.close(fig)
    assert any("\u00a0" in lab or " " in lab for lab in labels), labels
    # Symlog money axis: one decade per tick on the long (positive) side, only the outermost on the short side.
    ticks = charts._symlog_ticks(-2e6, 5e7, 1e5)
    assert ticks == [-1e6, 0.0, 1e5, 1e6, 1e7]
