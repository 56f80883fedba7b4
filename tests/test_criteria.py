"""Step 2 — criteria: per-client criteria, solvency, potential and availability, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.criteria import availability, client_criteria, estimate_potential, solvency

START, END = pd.Timestamp("2025-01-01"), pd.Timestamp("2025-12-31")
MONTH = 30.4375  # days in an average month, the unit of tenure


def _tables():
    clients = pd.DataFrame(
        {
            "client_id": ["c1", "c2", "c3", "c4", "c5"],
            "industry": ["Retail"] * 5,
            "employees": [30, 50, 300, 5000, np.nan],
        }
    )
    tx = pd.DataFrame(
        [
            # client, invoice, date, line, amount, cost
            ("c1", "I1", "2024-06-30", "Pumps", 100.0, 60.0),  # before the window
            ("c1", "I2", "2025-03-01", "Pumps", 1000.0, 600.0),  # one invoice, two lines
            ("c1", "I2", "2025-03-01", "Valves", 500.0, 200.0),
            ("c1", "I3", "2025-12-01", "Pumps", 500.0, 300.0),
            ("c2", "I4", "2024-11-15", "Pumps", 300.0, 100.0),  # bought before, not since: lost
            ("c4", None, "2025-01-01", "Pumps", 120.0, 150.0),  # on the first day; no invoice id,
            ("c4", None, "2025-01-01", "Pumps", 80.0, 100.0),  # so one invoice per client and day
            ("c5", "I5", "2025-06-30", "Valves", 300.0, 150.0),
            ("c5", "I6", "2026-01-10", "Valves", 9999.0, 0.0),  # after the end: ignored
        ],
        columns=["client_id", "invoice_id", "date", "product_line", "amount", "cost"],
    )
    tx["date"] = pd.to_datetime(tx["date"])
    return clients, tx


@pytest.fixture(scope="module")
def crit() -> pd.DataFrame:
    clients, tx = _tables()
    out = client_criteria(clients, tx, start=START, end=END, lookback_months=12, new_product_line="Valves")
    return out.set_index("client_id")


def test_one_row_per_client_including_non_buyers(crit):
    assert sorted(crit.index) == ["c1", "c2", "c3", "c4", "c5"]


def test_status_by_the_rule(crit):
    # c1 bought in the window, c4 on its first day, c5 in June (its 2026 line is ignored);
    # c2 only before the window; c3 never.
    assert crit["status"].to_dict() == {"c1": "active", "c2": "lost", "c3": "potential", "c4": "active", "c5": "active"}


def test_recency_and_tenure(crit):
    # c1: last 2025-12-01 -> 30 days; first 2024-06-30 -> 365 + 184 = 549 days.
    # c2: 2024-11-15 -> 46 days to the end of 2024 + 365 = 411 days.
    # c4: 2025-01-01 -> 364 days.  c5: 2025-06-30 -> 184 days.
    assert crit.loc[["c1", "c2", "c4", "c5"], "recency_days"].tolist() == [30, 411, 364, 184]
    assert crit.loc[["c1", "c2", "c4", "c5"], "tenure_months"].tolist() == pytest.approx(
        [549 / MONTH, 411 / MONTH, 364 / MONTH, 184 / MONTH]
    )
    assert np.isnan(crit.loc["c3", "recency_days"]) and np.isnan(crit.loc["c3", "tenure_months"])


def test_money_in_the_window(crit):
    # c1 in the window: 1000 + 500 + 500 = 2000 revenue, 600 + 200 + 300 = 1100 cost.
    # c4: 200 revenue, 250 cost -> margin -50.   c5: 300 - 150 = 150.
    assert crit["revenue"].to_dict() == {"c1": 2000, "c2": 0, "c3": 0, "c4": 200, "c5": 300}
    assert crit["margin"].to_dict() == {"c1": 900, "c2": 0, "c3": 0, "c4": -50, "c5": 150}
    assert crit.loc[["c1", "c4", "c5"], "margin_pct"].tolist() == pytest.approx([0.45, -0.25, 0.5])
    assert crit.loc[["c2", "c3"], "margin_pct"].isna().all()  # no revenue, no margin %
    # All time: c1 2100 revenue, 2100 - 1160 = 940 margin.
    assert crit.loc["c1", "revenue_total"] == 2100
    assert crit.loc["c1", "margin_total"] == 940
    assert crit.loc["c2", "revenue_total"] == 300


def test_invoices_frequency_and_average(crit):
    # c1: invoices I2 and I3 in the window (I2 has two lines) -> 2 a year, 2000 / 2 = 1000 each.
    # c4: two lines without an invoice id on one day -> one invoice of 200.
    assert crit["invoices"].to_dict() == {"c1": 2, "c2": 0, "c3": 0, "c4": 1, "c5": 1}
    assert crit["frequency"].to_dict() == {"c1": 2, "c2": 0, "c3": 0, "c4": 1, "c5": 1}
    assert crit.loc[["c1", "c4", "c5"], "avg_invoice"].tolist() == [1000, 200, 300]
    assert crit.loc[["c2", "c3"], "avg_invoice"].isna().all()


def test_frequency_is_annualised():
    clients, tx = _tables()
    # Same lines, six-month window (2025-07-01 .. 2025-12-31): c1 has one invoice (I3) -> 2 a year.
    out = client_criteria(clients, tx, start=pd.Timestamp("2025-07-01"), end=END, lookback_months=6)
    assert out.set_index("client_id").loc["c1", "frequency"] == 2


def test_product_lines_and_new_line(crit):
    assert crit["n_product_lines"].to_dict() == {"c1": 2, "c2": 1, "c3": 0, "c4": 1, "c5": 1}
    assert crit["buys_new_line"].to_dict() == {"c1": True, "c2": False, "c3": False, "c4": False, "c5": True}


def test_size_bands(crit):
    # Bands [50, 250, 1000), left-closed: 30 micro, 50 small, 300 medium, 5000 large, missing unknown.
    assert crit["size_band"].to_dict() == {"c1": "micro", "c2": "small", "c3": "medium", "c4": "large", "c5": "unknown"}
    assert crit.loc[["c1", "c2", "c3", "c4"], "smb"].tolist() == [True, True, True, False]
    assert pd.isna(crit.loc["c5", "smb"])


def test_margin_is_nan_without_cost():
    clients, tx = _tables()
    out = client_criteria(clients, tx.drop(columns="cost"), start=START, end=END)
    assert out["margin"].isna().all() and out["margin_pct"].isna().all()
    assert out.set_index("client_id").loc["c1", "revenue"] == 2000


# --------------------------------------------------------------------------- solvency


def test_solvency_by_hand():
    as_of = pd.Timestamp("2025-12-31")
    tx = pd.DataFrame({"invoice_id": ["i1", "i1", "i2", "i3", "i4", "i5"], "client_id": ["a", "a", "a", "a", "a", "b"]})
    pay = pd.DataFrame(
        [
            ("i1", "2025-03-01", "2025-02-25"),  # a: paid early -> 0 days late, on time
            ("i2", "2025-06-01", "2025-06-11"),  # a: 10 days late
            ("i3", "2025-12-01", None),  # a: unpaid and overdue at as_of -> 30 days late
            ("i4", "2026-01-31", None),  # a: not due yet -> not counted
            ("i5", "2025-05-01", "2025-05-01"),  # b: paid on the due date -> on time
            ("i9", "2025-05-01", "2025-09-01"),  # an invoice of nobody -> ignored
        ],
        columns=["invoice_id", "due_date", "paid_date"],
    )
    pay["due_date"] = pd.to_datetime(pay["due_date"])
    pay["paid_date"] = pd.to_datetime(pay["paid_date"])
    out = solvency(pay, tx, as_of).set_index("client_id")
    assert sorted(out.index) == ["a", "b"]
    # a: 1 of 3 due invoices on time; (0 + 10 + 30) / 3 days late; one unpaid overdue.
    assert out.loc["a", "on_time_share"] == pytest.approx(1 / 3)
    assert out.loc["a", "avg_days_late"] == pytest.approx(40 / 3)
    assert out.loc["a", "unpaid_overdue"] == 1
    assert out.loc["b", "on_time_share"] == 1
    assert out.loc["b", "avg_days_late"] == 0
    assert out.loc["b", "unpaid_overdue"] == 0


def test_client_criteria_merges_solvency():
    clients, tx = _tables()
    pay = pd.DataFrame(
        {
            "invoice_id": ["I2", "I3"],
            "due_date": pd.to_datetime(["2025-03-31", "2025-12-15"]),
            "paid_date": pd.to_datetime(["2025-03-31", "2025-12-25"]),
        }
    )
    out = client_criteria(clients, tx, pay, start=START, end=END).set_index("client_id")
    # c1: I2 on time, I3 10 days late -> half on time, 5 days late on average.
    assert out.loc["c1", "on_time_share"] == pytest.approx(0.5)
    assert out.loc["c1", "avg_days_late"] == pytest.approx(5)
    assert np.isnan(out.loc["c5", "on_time_share"])  # no payment rows


# --------------------------------------------------------------------------- potential


def _peers() -> pd.DataFrame:
    rows = [
        # client, status, industry, size_band, revenue
        ("r1", "active", "Retail", "small", 100.0),
        ("r2", "active", "Retail", "small", 200.0),
        ("r3", "active", "Retail", "small", 300.0),
        ("r4", "active", "Retail", "small", 400.0),
        ("r5", "active", "Retail", "small", 500.0),
        ("rl", "lost", "Retail", "small", 0.0),  # not a peer: only active clients count
        ("rp", "potential", "Retail", "small", 0.0),
        ("rL", "active", "Retail", "large", 1000.0),
        ("f1", "active", "Food", "small", 1100.0),
        ("mp", "potential", "Mining", "small", 0.0),
        ("mm", "potential", "Mining", "medium", 0.0),
    ]
    return pd.DataFrame(rows, columns=["client_id", "status", "industry", "size_band", "revenue"])


def test_potential_from_peers_sharing_real_attributes_else_unknown():
    # Retail+small: five active peers 100..500 -> q 0.75, pos 3 -> 400
    #   (were the lost client counted: 0,100..500, pos 3.75 -> 375).
    # Retail+large has one peer -> Retail alone: 100..500, 1000 -> pos 3.75 -> 475, below rL's own 1000.
    # Food has one active client and Mining none: fewer than five peers share their industry, so their
    # potential is unknown. The old fallbacks (size band alone, all clients) carried no information.
    out = estimate_potential(_peers(), 0.75).set_index("client_id")
    known = {"r1": 400, "r2": 400, "r3": 400, "r4": 400, "r5": 500, "rl": 400, "rp": 400, "rL": 1000}
    assert out["potential"].dropna().to_dict() == pytest.approx(known)
    assert out.loc[["f1", "mp", "mm"], "potential"].isna().all()
    assert out.loc[["f1", "mp", "mm"], "headroom"].isna().all()
    source = out["potential_source"].to_dict()
    assert {source[c] for c in known} == {"peers"}
    assert source["f1"] == source["mp"] == source["mm"] == "unknown"


def test_potential_never_below_revenue_and_headroom():
    out = estimate_potential(_peers(), 0.75).set_index("client_id")
    # r5 earns 500 against a peer benchmark of 400: potential 500, no headroom.
    assert out.loc["r5", "headroom"] == 0
    assert out.loc["r1", "headroom"] == 300  # 400 - 100
    assert (out["headroom"].dropna() >= 0).all()


def test_potential_score_wins_then_size_then_peers():
    peers = _peers().assign(potential_score=np.nan, annual_revenue=np.nan)
    peers.loc[peers["client_id"] == "mm", "potential_score"] = 5000.0
    peers.loc[peers["client_id"] == "r1", "potential_score"] = 250.0
    peers.loc[peers["client_id"] == "mp", "annual_revenue"] = 80_000.0  # x 1% = 800
    peers.loc[peers["client_id"] == "r2", "annual_revenue"] = 10_000.0  # x 2% (Retail's norm) = 200
    out = estimate_potential(peers, 0.75, wallet_share=0.01, wallet_share_by_industry={"Retail": 0.02})
    out = out.set_index("client_id")
    assert out.loc["mm", "potential"] == 5000 and out.loc["mm", "potential_source"] == "score"
    assert out.loc["r1", "potential"] == 250 and out.loc["r1", "headroom"] == 150
    assert out.loc["mp", "potential"] == 800 and out.loc["mp", "potential_source"] == "size"
    assert out.loc["r2", "potential"] == 200 and out.loc["r2", "potential_source"] == "size"  # its own size wins
    assert out.loc["r3", "potential"] == 400 and out.loc["r3", "potential_source"] == "peers"
    # Employees count only when a spend-per-employee norm is set.
    with_staff = _peers().assign(employees=[np.nan] * 10 + [40.0])
    assert estimate_potential(with_staff, 0.75).set_index("client_id").loc["mm", "potential_source"] == "unknown"
    normed = estimate_potential(with_staff, 0.75, spend_per_employee=25.0).set_index("client_id")
    assert normed.loc["mm", "potential"] == 1000 and normed.loc["mm", "potential_source"] == "size"


def test_thin_export_potential_is_unknown_for_everyone():
    thin = _peers().drop(columns=["industry", "size_band"])
    out = estimate_potential(thin, 0.75)
    assert out["potential"].isna().all() and (out["potential_source"] == "unknown").all()


def test_potential_other_quantile():
    # Retail+small at q 0.5: pos 2 -> 300.
    out = estimate_potential(_peers(), 0.5).set_index("client_id")
    assert out.loc["rp", "potential"] == 300


# --------------------------------------------------------------------------- availability


def _row(avail: pd.DataFrame, criterion: str) -> dict:
    return avail.set_index("criterion").loc[criterion].to_dict()


def test_availability_thin_export():
    tables = {
        "transactions": pd.DataFrame({"client_id": ["a"], "date": [pd.Timestamp("2025-01-01")], "amount": [1.0]}),
        "clients": pd.DataFrame({"client_id": ["a"]}),
    }
    avail = availability(tables)
    assert _row(avail, "tenure")["available"] and _row(avail, "amount")["available"]
    assert _row(avail, "margin") == {"available": False, "method": "", "missing": "transactions.cost"}
    assert _row(avail, "product_lines")["missing"] == "transactions.product_line"
    assert _row(avail, "solvency") == {
        "available": False,
        "method": "",
        "missing": "payments.due_date, payments.paid_date, transactions.invoice_id",
    }
    assert _row(avail, "size")["missing"] == "clients.employees"
    # Nothing to estimate potential from: unknown, and the columns that would enable it are named.
    assert _row(avail, "potential") == {
        "available": False,
        "method": "",
        "missing": "clients.potential_score, clients.annual_revenue, clients.industry",
    }


def test_availability_column_present_but_empty_counts_as_missing():
    tables = {
        "transactions": pd.DataFrame(
            {"client_id": ["a"], "date": [pd.Timestamp("2025-01-01")], "amount": [1.0], "cost": [np.nan]}
        ),
        "clients": pd.DataFrame({"client_id": ["a"], "employees": [10.0], "potential_score": [np.nan]}),
    }
    avail = availability(tables)
    assert not _row(avail, "margin")["available"]
    assert _row(avail, "size")["available"]
    assert not _row(avail, "potential")["available"]  # headcount alone is no potential without a norm


def test_availability_full_export():
    tables = {
        "transactions": pd.DataFrame(
            {
                "client_id": ["a"],
                "date": [pd.Timestamp("2025-01-01")],
                "amount": [1.0],
                "cost": [0.5],
                "product_line": ["X"],
                "invoice_id": ["i1"],
            }
        ),
        "clients": pd.DataFrame(
            {
                "client_id": ["a"],
                "employees": [10.0],
                "region": ["N"],
                "industry": ["R"],
                "potential_score": [5.0],
                "annual_revenue": [1e6],
            }
        ),
        "payments": pd.DataFrame(
            {"invoice_id": ["i1"], "due_date": [pd.Timestamp("2025-02-01")], "paid_date": [pd.Timestamp("2025-02-01")]}
        ),
    }
    avail = availability(tables)
    assert avail["available"].all()
    assert (avail["missing"] == "").all()
    assert _row(avail, "potential")["method"] == "score"


# --------------------------------------------------------------------------- the window's last day


def test_last_day_lines_with_a_time_are_in_the_window():
    from workbench.intake import analysis_period

    # Intake keeps the time of day of a timestamped export ("2025-12-31 15:30").
    tx = pd.DataFrame(
        {
            "client_id": ["a", "a"],
            "amount": [100.0, 50.0],
            "date": pd.to_datetime(["2025-06-01 10:00", "2025-12-31 15:30"]),
        }
    )
    start, end = analysis_period(tx)  # as_of defaults to the last transaction's day
    out = client_criteria(pd.DataFrame({"client_id": ["a"]}), tx, start=start, end=end)
    # Both lines fall on days of the window: 100 + 50 revenue, two invoices, last bought on the last day.
    assert out.loc[0, "revenue"] == 150
    assert out.loc[0, "invoices"] == 2
    assert out.loc[0, "recency_days"] == 0


def test_money_is_rounded_to_the_minor_unit_before_any_rule():
    # Three lines that cancel: 0.1 + 0.2 - 0.3 is 5.6e-17 in floating point, not 0.
    tx = pd.DataFrame(
        {
            "client_id": ["a", "a", "a"],
            "amount": [0.1, 0.2, -0.3],
            "cost": [0.1, 0.2, -0.3],
            "date": pd.to_datetime(["2025-06-01", "2025-06-02", "2025-06-03"]),
        }
    )
    out = client_criteria(pd.DataFrame({"client_id": ["a"]}), tx, start=START, end=END)
    assert out.loc[0, "revenue"] == 0 and out.loc[0, "margin"] == 0
    assert not np.signbit(out.loc[0, "margin"])  # not -0.0 either
    yen = client_criteria(
        pd.DataFrame({"client_id": ["a"]}), tx.assign(amount=[100.4, 0, 0]), start=START, end=END, money_digits=0
    )
    assert yen.loc[0, "revenue"] == 100


def test_behaviour_comes_after_size_and_before_peers():
    peers = _peers().assign(annual_revenue=np.nan)
    peers.loc[peers["client_id"] == "mp", "annual_revenue"] = 80_000.0  # size: 800
    behaviour = pd.Series({"mp": 5000.0, "r3": 900.0, "r1": 50.0})
    out = estimate_potential(peers, 0.75, wallet_share=0.01, behaviour=behaviour).set_index("client_id")
    assert out.loc["mp", "potential"] == 800 and out.loc["mp", "potential_source"] == "size"
    assert out.loc["r3", "potential"] == 900 and out.loc["r3", "potential_source"] == "behaviour"
    # Never below the client's own revenue (r1 bought 100): no negative headroom from a forecast.
    assert out.loc["r1", "potential"] == 100 and out.loc["r1", "headroom"] == 0
    assert out.loc["r1", "potential_source"] == "behaviour"
    # The others keep their peers' estimate.
    assert out.loc["r2", "potential_source"] == "peers"


def test_behaviour_is_potential_only_when_a_model_beat_the_naive_forecast():
    from workbench.criteria import behaviour_potential

    clients = pd.DataFrame({"client_id": ["a", "b"], "revenue": [60.0, 30.0]})
    beaten = {"clients": clients, "info": {"reason": "beats_naive", "horizon_months": 6}}
    assert behaviour_potential(beaten).to_dict() == {"a": 120.0, "b": 60.0}  # six months, annualised
    for reason in ("naive_not_beaten", "history_too_short", "not_measurable"):
        assert behaviour_potential({"clients": clients, "info": {"reason": reason, "horizon_months": 12}}) is None


def test_lost_only_with_enough_history_before_the_window():
    from workbench.criteria import history_before_window

    clients = pd.DataFrame({"client_id": ["old", "new"]})

    def lines(first):
        tx = pd.DataFrame(
            {"client_id": ["old", "new"], "date": pd.to_datetime([first, "2025-06-01"]), "amount": [10.0, 20.0]}
        )
        return tx

    # The data starts 9 days before the window: "old" stopped buying, but the history cannot tell it is lost.
    short = client_criteria(clients, lines("2024-12-23"), start=START, end=END).set_index("client_id")
    assert history_before_window(lines("2024-12-23"), START) == pytest.approx(9 / MONTH)
    assert short.loc["old", "status"] == "lost" and not short.loc["old", "lost_confirmed"]
    # Seven months of history: lost (the default minimum is six).
    long = client_criteria(clients, lines("2024-06-01"), start=START, end=END).set_index("client_id")
    assert long.loc["old", "status"] == "lost" and long.loc["old", "lost_confirmed"]
    assert not long.loc["new", "lost_confirmed"]  # active clients are never "lost"
    # The minimum is a parameter.
    strict = client_criteria(clients, lines("2024-06-01"), start=START, end=END, lost_min_history_months=12)
    assert not strict.set_index("client_id").loc["old", "lost_confirmed"]
