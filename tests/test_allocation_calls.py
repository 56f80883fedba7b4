"""Step 6 — call lists: win-back, activation, retention and holding, ranked and dated by the seeds' rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.allocation.calls import COLUMNS, call_lists

START = pd.Timestamp("2026-01-01")


def _plan_and_criteria():
    rows = [
        # client, segment, action, manager, contacts a year, status, margin total, last purchase, potential
        ("L1", "lost", "work", "f1", 4, "lost", 1000.0, "2025-06-01", np.nan),  # 7 months ago
        ("L2", "lost", "work", "f1", 4, "lost", 1500.0, "2023-12-01", np.nan),  # 25 months ago
        ("L3", "lost", "work", "f1", 4, "lost", 100.0, "2025-11-01", np.nan),
        ("P1", "potential", "work", "h1", 12, "potential", np.nan, None, 500.0),
        ("P2", "potential", "work", "h1", 12, "potential", np.nan, None, np.nan),
        ("P3", "potential", "work", "h1", 12, "potential", np.nan, None, 900.0),
        ("A1", "A", "work", "f1", 6, "active", 800.0, "2025-12-20", 900.0),
        ("A2", "A", "work", "f1", 6, "active", 300.0, "2025-07-01", 900.0),
        ("D1", "D", "stop", None, 0, "active", 50.0, "2025-12-01", 60.0),
        ("W1", "C", "work", None, 0, "active", 70.0, "2025-12-01", 80.0),  # waits for capacity
        ("E1", "E", "automate", None, 0, "active", -5.0, "2025-12-01", 0.0),
    ]
    df = pd.DataFrame(
        rows,
        columns=[
            "client_id",
            "segment",
            "action",
            "manager_id",
            "contacts_per_year",
            "status",
            "margin_total",
            "last_purchase",
            "potential",
        ],
    )
    plan = df[["client_id", "segment", "action", "manager_id", "contacts_per_year"]].assign(
        manager_name=df["manager_id"].fillna(""), status="kept"
    )
    crit = df[["client_id", "status", "margin_total", "potential"]].assign(
        last_purchase=pd.to_datetime(df["last_purchase"]),
        name=df["client_id"].str.lower(),
        margin=df["margin_total"] / 2,
        revenue=df["margin_total"],
        revenue_total=df["margin_total"] * 2,
    )
    return plan, crit


def test_lists_rank_and_date_by_hand():
    plan, crit = _plan_and_criteria()
    p_buy = pd.Series({"A1": 0.9, "A2": 0.2, "D1": 0.1})
    out = call_lists(plan, crit, START, p_buy=p_buy)
    assert list(out.columns) == COLUMNS
    by = {name: part.set_index("client_id") for name, part in out.groupby("list")}
    # Win-back: past margin x 0.5 ** (months since / 12): L1 1000 x 0.5**(214/365.25) ~ 666,
    # L2 1500 x 0.5**(2.08) ~ 354, L3 100 x ~0.95: L1 first although L2 brought more.
    win = by["winback"]
    assert win.sort_values("rank").index.tolist() == ["L1", "L2", "L3"]
    assert win.loc["L1", "value"] == pytest.approx(
        1000 * 0.5 ** ((START - pd.Timestamp("2025-06-01")).days / 30.4375 / 12)
    )
    assert set(win["reason"]) == {"lost"}
    # Four contacts a year: an interval of 91.25 days, the three first calls spread over it in rank order.
    assert win.loc["L1", "due_date"] == START
    assert win.loc["L2", "due_date"] == START + pd.Timedelta(days=30)  # floor(1/3 x 91.25)
    assert win.loc["L3", "due_date"] == START + pd.Timedelta(days=60)
    assert win.loc["L1", "next_due"] == START + pd.Timedelta(days=92)
    # Activation: known potential first, largest first; unknown last.
    act = by["activation"]
    assert act.sort_values("rank").index.tolist() == ["P3", "P1", "P2"]
    assert set(act["reason"]) == {"never_bought"}
    # Twelve contacts a year would be every 30.4 days; never closer than the 30-day gap.
    assert (act["next_due"] - act["due_date"]).dt.days.min() >= 30
    # Retention: only the worked active client below a 50 % chance of buying again.
    assert by["retention"].index.tolist() == ["A2"]
    # Holding: the stopped segment and the client waiting for capacity, due in six months; not the automated one.
    hold = by["holding"]
    assert sorted(hold.index) == ["D1", "W1"]
    assert hold.loc["D1", "reason"] == "stopped" and hold.loc["W1", "reason"] == "waiting"
    assert (hold["due_date"] == pd.Timestamp("2026-07-01")).all()
    assert "E1" not in out["client_id"].tolist()
    # Each list says what its value measures: one column never mixes them unnamed.
    assert out.groupby("list")["basis"].unique().map(list).to_dict() == {
        "activation": ["potential"],
        "holding": ["past_margin"],
        "retention": ["margin"],
        "winback": ["past_margin_weighted"],
    }


def test_cold_calls_are_at_least_the_gap_apart_and_parameters_apply():
    plan, crit = _plan_and_criteria()
    plan["contacts_per_year"] = 52  # weekly would break the rule
    out = call_lists(plan, crit, START, cold_call_gap_days=45, holding_months=3)
    worked = out.loc[out["list"] != "holding"]
    assert ((worked["next_due"] - worked["due_date"]).dt.days >= 45).all()
    assert (out.loc[out["list"] == "holding", "due_date"] == pd.Timestamp("2026-04-01")).all()
    # Without a tested "buys again" there is no retention list.
    assert "retention" not in set(out["list"])
    with pytest.raises(ValueError, match="cold_call_gap_days"):
        call_lists(plan, crit, START, cold_call_gap_days=0)


def test_win_back_uses_revenue_without_cost_and_half_life_moves_the_order():
    plan, crit = _plan_and_criteria()
    crit["margin"] = np.nan  # no cost: past revenue ranks
    short = call_lists(plan, crit, START, winback_half_life_months=1)
    win = short.loc[short["list"] == "winback"].set_index("client_id")
    # With a one-month half-life recency dominates: L3 (two months) beats L1 (seven) and L2.
    assert win.sort_values("rank").index.tolist() == ["L3", "L1", "L2"]
    assert set(win["basis"]) == {"past_revenue_weighted"}  # and it says so
    assert set(short.loc[short["list"] == "holding", "basis"]) == {"past_revenue"}
    assert win.loc["L3", "value"] == pytest.approx(200 * 0.5 ** ((START - pd.Timestamp("2025-11-01")).days / 30.4375))


def test_a_lost_client_without_margin_is_held_not_called_first():
    plan, crit = _plan_and_criteria()
    crit.loc[crit["client_id"] == "L2", "margin_total"] = -400.0  # it cost more than it brought
    out = call_lists(plan, crit, START).set_index("client_id")
    assert out.loc["L2", "list"] == "holding" and out.loc["L2", "reason"] == "no_margin"
    assert out.loc["L2", "manager_id"] == "f1"  # its owner keeps it, for a look at its terms
    win = out.loc[out["list"] == "winback"]
    assert sorted(win.index) == ["L1", "L3"] and (win["value"] > 0).all()


def test_nothing_to_call_gives_an_empty_table_with_the_columns():
    plan, crit = _plan_and_criteria()
    plan = plan.assign(action="automate", manager_id=None)
    out = call_lists(plan, crit, START)
    assert out.empty and list(out.columns) == COLUMNS
