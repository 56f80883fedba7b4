"""Step 1 — goal: weights of the goal, product lines and client concentration, by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from workbench.goal import concentration, product_lines, resolve_goal

# --------------------------------------------------------------------------- resolve_goal


def test_catalogue_goal_weights_sum_to_one():
    goal = resolve_goal("grow_margin_key_clients")
    assert goal.name == "grow_margin_key_clients"
    assert goal.weights == pytest.approx(
        {"margin_share": 0.4, "margin_pct": 0.2, "headroom_share": 0.3, "frequency": 0.1}
    )
    assert sum(goal.weights.values()) == pytest.approx(1)


def test_override_merges_and_renormalises():
    # 0.9 + 0.2 + 0.3 + 0.1 = 1.5, each divided by 1.5.
    goal = resolve_goal("grow_margin_key_clients", {"margin_share": 0.9})
    assert goal.weights == pytest.approx(
        {"margin_share": 0.6, "margin_pct": 2 / 15, "headroom_share": 0.2, "frequency": 1 / 15}
    )


def test_override_adds_a_metric_and_zero_removes_one():
    # acquire_smb: smb 0.40, headroom 0.35, margin_pct 0.15, frequency 0.10;
    # frequency -> 0 (dropped), revenue_share 0.1 added: total 0.40 + 0.35 + 0.15 + 0.10 = 1.0.
    goal = resolve_goal("acquire_smb", {"frequency": 0, "revenue_share": 0.1})
    assert goal.weights == pytest.approx(
        {"smb_share": 0.4, "headroom_share": 0.35, "margin_pct": 0.15, "revenue_share": 0.1}
    )
    assert "frequency" not in goal.weights


def test_custom_goal_uses_its_own_weights():
    goal = resolve_goal("custom", {"revenue_share": 3, "smb_share": 1})
    assert goal.weights == pytest.approx({"revenue_share": 0.75, "smb_share": 0.25})


def test_custom_goal_without_weights_raises():
    with pytest.raises(ValueError, match="custom"):
        resolve_goal("custom")


def test_unknown_goal_raises_and_lists_the_catalogue():
    with pytest.raises(ValueError, match="unknown goal 'grow'.*grow_margin_key_clients"):
        resolve_goal("grow")


def test_new_product_line_is_carried():
    goal = resolve_goal("cross_sell_new_line", new_product_line="Sensors")
    assert goal.new_product_line == "Sensors"
    assert goal.to_dict()["weights"] == pytest.approx(
        {"new_line_gap": 0.4, "revenue_share": 0.2, "frequency": 0.2, "margin_share": 0.2}
    )


# --------------------------------------------------------------------------- product_lines


def _lines() -> pd.DataFrame:
    # X: 600 + 400 = 1000 revenue, cost 400 + 200 -> margin 400, clients c1, c2
    # Y: 300, cost 100 -> margin 200, client c1
    # Z: 120 + 80 = 200, cost 60 + 40 -> margin 100, client c3 (twice)
    # Totals: revenue 1500, margin 700.
    return pd.DataFrame(
        {
            "client_id": ["c1", "c2", "c1", "c3", "c3"],
            "product_line": ["X", "X", "Y", "Z", "Z"],
            "amount": [600.0, 400.0, 300.0, 120.0, 80.0],
            "cost": [400.0, 200.0, 100.0, 60.0, 40.0],
        }
    )


def test_product_lines_by_hand():
    out = product_lines(_lines())
    assert list(out["product_line"]) == ["X", "Y", "Z"]  # largest revenue first
    assert list(out["revenue"]) == [1000, 300, 200]
    assert list(out["margin"]) == [400, 200, 100]
    assert list(out["clients"]) == [2, 1, 1]
    assert list(out["revenue_share"]) == pytest.approx([2 / 3, 0.2, 2 / 15])
    assert list(out["margin_pct"]) == pytest.approx([0.4, 2 / 3, 0.5])
    assert list(out["margin_share"]) == pytest.approx([4 / 7, 2 / 7, 1 / 7])


def test_product_lines_without_cost_has_nan_margin():
    out = product_lines(_lines().drop(columns="cost"))
    assert list(out["revenue_share"]) == pytest.approx([2 / 3, 0.2, 2 / 15])
    assert out["margin"].isna().all()
    assert out["margin_pct"].isna().all()
    assert out["margin_share"].isna().all()


def test_product_lines_none_without_product_line():
    assert product_lines(_lines().drop(columns="product_line")) is None
    assert product_lines(_lines().assign(product_line=None)) is None


def test_product_lines_missing_line_grouped_as_none():
    lines = _lines()
    lines.loc[2, "product_line"] = None  # Y's only line: 300
    out = product_lines(lines).set_index("product_line")
    assert out.loc["(none)", "revenue"] == 300


# --------------------------------------------------------------------------- concentration


def _ten_clients() -> pd.DataFrame:
    # Revenue per client: 500 (two lines), 200, 150, 50, 30, 20, 20, 10, 10, 10 = 1000,
    # plus a client with zero net revenue (a sale and its refund), left out.
    amounts = {
        "a": [300, 200],
        "b": [200],
        "c": [150],
        "d": [50],
        "e": [30],
        "f": [20],
        "g": [20],
        "h": [10],
        "i": [10],
        "j": [10],
        "z": [40, -40],
    }
    rows = [(cid, float(v)) for cid, values in amounts.items() for v in values]
    return pd.DataFrame(rows, columns=["client_id", "amount"])


def test_concentration_by_hand():
    curve, fig = concentration(_ten_clients())
    # Top 20% of 10 clients = 2 clients: (500 + 200) / 1000.
    assert fig["clients"] == 10
    assert fig["top20_clients"] == 2
    assert fig["top20_share"] == pytest.approx(0.7)
    # Cumulative: 0.50, 0.70, 0.85 -> three clients make 80%.
    assert fig["clients_for_80"] == 3
    assert fig["clients_for_80_share"] == pytest.approx(0.3)
    assert list(curve["revenue_share"][:4]) == pytest.approx([0.5, 0.7, 0.85, 0.9])
    assert curve["revenue_share"].iloc[-1] == pytest.approx(1.0)
    assert list(curve["client_share"][[0, 9]]) == pytest.approx([0.1, 1.0])


def test_concentration_rounds_top20_up():
    # 7 clients: 20% is 1.4, rounded up to 2 whole clients; 100 of 100 + 50 + 5 * 10 = 200.
    tx = pd.DataFrame({"client_id": list("abcdefg"), "amount": [100.0, 50, 10, 10, 10, 10, 10]})
    _, fig = concentration(tx)
    assert fig["top20_clients"] == math.ceil(1.4) == 2
    assert fig["top20_share"] == pytest.approx(150 / 200)
    # Cumulative 0.5, 0.75, 0.80: the third client reaches 80% exactly (not below it).
    assert fig["clients_for_80"] == 3


def test_concentration_empty():
    _, fig = concentration(pd.DataFrame({"client_id": pd.Series([], dtype=str), "amount": pd.Series([], dtype=float)}))
    assert fig["clients"] == 0 and fig["clients_for_80"] == 0
    assert np.isnan(fig["top20_share"])
