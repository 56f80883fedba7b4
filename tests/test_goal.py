"""Step 1 — goal: weights of the goal, product lines, client concentration and market capacity, by hand."""

from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd
import pytest

from workbench.goal import client_base, concentration, herfindahl, market_capacity, product_lines, resolve_goal

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


# --------------------------------------------------------------------------- Herfindahl–Hirschman index


def test_hhi_of_the_ten_clients_by_hand():
    # Shares in percent 50, 20, 15, 5, 3, 2, 2, 1, 1, 1 (the zero-revenue client has none):
    # 2500 + 400 + 225 + 25 + 9 + 4 + 4 + 1 + 1 + 1 = 3170 > 2500: high; 10000 / 3170 = 3.15 equal clients.
    _, fig = concentration(_ten_clients())
    assert fig["hhi"] == pytest.approx(3170)
    assert fig["hhi_level"] == "high"
    assert fig["equivalent_clients"] == pytest.approx(10_000 / 3170)


@pytest.mark.parametrize(
    "revenue, hhi, level, equivalent",
    [
        # Ten equal clients: 10 x 10^2 = 1000 < 1500, the same as ten equal clients.
        ([7.0] * 10, 1000, "unconcentrated", 10),
        # 25, 25 and ten of 5: 625 + 625 + 10 x 25 = 1500 exactly: not below 1500, so moderate.
        ([25.0, 25.0] + [5.0] * 10, 1500, "moderate", 10_000 / 1500),
        # 30, 25, 20, 15, 10: 900 + 625 + 400 + 225 + 100 = 2250.
        ([300.0, 250.0, 200.0, 150.0, 100.0], 2250, "moderate", 10_000 / 2250),
        # Four equal clients: 4 x 625 = 2500 exactly: still moderate; 4 equal clients.
        ([1.0, 1.0, 1.0, 1.0], 2500, "moderate", 4),
        # One client: 100^2 = 10000, a mono-client; a refund-only client has no share.
        ([80.0, -20.0, 0.0], 10_000, "high", 1),
    ],
)
def test_hhi_levels_and_equal_clients(revenue, hhi, level, equivalent):
    out = herfindahl(pd.Series(revenue))
    assert out["hhi"] == pytest.approx(hhi)
    assert out["hhi_level"] == level
    assert out["equivalent_clients"] == pytest.approx(equivalent)


def test_hhi_without_revenue():
    out = herfindahl(pd.Series([0.0, -5.0]))
    assert np.isnan(out["hhi"]) and out["hhi_level"] is None and np.isnan(out["equivalent_clients"])
    _, fig = concentration(pd.DataFrame({"client_id": pd.Series([], dtype=str), "amount": pd.Series([], dtype=float)}))
    assert np.isnan(fig["hhi"])


# --------------------------------------------------------------------------- market capacity


def _base():
    # Period 2025-01-01 .. 2025-12-31. a: two invoices in the period (100 + 50 on I1, 150 on I2), one before it;
    # b: one line without an invoice id (client x date = its invoice), 200; c: bought before the period only (lost);
    # d: never bought (potential); e: a line after the end (not counted, so e is potential too).
    tx = pd.DataFrame(
        {
            "client_id": ["a", "a", "a", "a", "b", "c", "e"],
            "invoice_id": ["I0", "I1", "I1", "I2", None, "I3", "I4"],
            "date": pd.to_datetime(
                [
                    "2024-06-01",
                    "2025-02-01",
                    "2025-02-01",
                    "2025-12-31 15:30",
                    "2025-07-01",
                    "2024-03-01",
                    "2026-01-05",
                ],
                format="ISO8601",
            ),
            "amount": [999.0, 100.0, 50.0, 150.0, 200.0, 400.0, 70.0],
        }
    )
    clients = pd.DataFrame({"client_id": list("abcde")})
    return tx, clients


def test_client_base_by_hand():
    tx, clients = _base()
    base = client_base(tx, clients, "2025-01-01", "2025-12-31")
    # Active a, b; lost c; potential d, e. Revenue 100 + 50 + 150 + 200 = 500 on 3 invoices (I1, I2, b's day).
    assert (base["active"], base["lost"], base["potential"]) == (2, 1, 2)
    assert base["revenue"] == 500
    assert base["invoices"] == 3
    assert base["avg_invoice"] == pytest.approx(500 / 3)


def test_client_base_without_invoice_ids_counts_client_days():
    tx, clients = _base()
    base = client_base(tx.drop(columns="invoice_id"), clients, "2025-01-01", "2025-12-31")
    # a bought on 2025-02-01 (two lines, one invoice) and 2025-12-31; b on 2025-07-01: 3 invoices.
    assert base["invoices"] == 3


def test_market_capacity_by_hand():
    # The method: average invoice x (active + potential) = 2000 x (30 + 20) = 100 000;
    # at 6 invoices per client a year: 600 000.
    out = market_capacity(2000.0, 30, 20, 6.0)
    assert out["clients"] == 50
    assert out["capacity"] == pytest.approx(100_000)
    assert out["yearly"] == pytest.approx(600_000)
    assert out["invoices_per_client_year"] == 6
    # Without a purchase rate: the method's figure only.
    assert "yearly" not in market_capacity(2000.0, 30, 0)
    assert market_capacity(2000.0, 30, 0)["capacity"] == pytest.approx(60_000)


def test_client_base_agrees_with_the_criteria_status_rule():
    from workbench.criteria import client_criteria

    tx, clients = _base()
    table = client_criteria(clients, tx, None, start=pd.Timestamp("2025-01-01"), end=pd.Timestamp("2025-12-31"))
    counts = table["status"].value_counts()
    base = client_base(tx, clients, "2025-01-01", "2025-12-31")
    assert (base["active"], base["lost"], base["potential"]) == (counts["active"], counts["lost"], counts["potential"])


# --------------------------------------------------------------------------- the step and chapter 1


@pytest.mark.parametrize(
    "language, fragments",
    [
        (
            "en",
            [
                "Herfindahl–Hirschman index",
                ": 5,000, highly concentrated. Equivalent number of equal clients: 2 (10,000 / 5,000)",
                "Market capacity at the active clients' own purchase rate",
                "The method's own formula (average invoice × active and potential clients) gives",
                "× 1.0 × (2 + 1) = ",
                "a floor rather than the market's size",
            ],
        ),
        (
            "ru",
            [
                "Индекс Херфиндаля — Хиршмана",
                ": 5000 — концентрация высокая. Эквивалентное число равных клиентов: 2 (10\u00a0000 / 5000)",
                "Ёмкость рынка при нынешней частоте покупок",
                "Формула методики (средний чек × число активных и потенциальных клиентов) даёт",
                "× 1,0 × (2 + 1) = ",
                "нижняя граница, а не оценка ёмкости рынка",
            ],
        ),
    ],
)
def test_chapter_one_states_hhi_and_market_capacity(tmp_path, language, fragments):
    from workbench import artifacts
    from workbench import goal as step
    from workbench.report.narrative import ClientReport

    # Period 2025: a and b bought 300 each on one invoice (shares 50% and 50%: HHI 2 x 2500 = 5000,
    # two equal clients); c never bought. Average invoice 300; capacity 300 x (2 + 1) = 900;
    # one invoice per active client a year: 900 a year.
    tx = pd.DataFrame(
        {
            "client_id": ["a", "b"],
            "invoice_id": ["I1", "I2"],
            "date": pd.to_datetime(["2025-03-01", "2025-09-01"]),
            "amount": [300.0, 300.0],
        }
    )
    period = {"start": "2025-01-01", "end": "2025-12-31", "lookback_months": 12}
    artifacts.save(tmp_path, "intake", transactions=tx, clients=pd.DataFrame({"client_id": list("abc")}), period=period)
    result = step.run_step(tmp_path, "grow_margin_key_clients")
    assert result["concentration"]["hhi"] == pytest.approx(5000)
    assert result["market_capacity"]["capacity"] == pytest.approx(900)
    assert result["market_capacity"]["yearly"] == pytest.approx(900)
    out: list = []
    report = ClientReport(tmp_path, language, sink=out.append)
    report.goal()
    report.method_sections()  # the HHI's reading belongs to the appendix's account of step 1
    text = " ".join(html.unescape(o) for o in out if isinstance(o, str))
    for fragment in fragments:
        assert fragment in text, fragment
    # The yearly capacity comes first; the method's one-purchase figure only after it, as a floor.
    assert text.index(fragments[2]) < text.index(fragments[3])
