"""Step 4 — priorities: segment cards, scores and tiers, key accounts, division shares, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.priorities import (
    division_shares,
    key_accounts,
    priority_scores,
    segment_cards,
    take_up_odds,
    unknown_kind_clients,
)

# --------------------------------------------------------------------------- segment cards


def _five_clients():
    crit = pd.DataFrame(
        [
            # client, revenue, margin, invoices, frequency, headroom, status, smb, buys_new_line, revenue_total
            ("c1", 600.0, 200.0, 4, 4.0, 100.0, "active", False, True, 700.0),
            ("c2", 200.0, 100.0, 2, 2.0, 300.0, "active", True, False, 250.0),
            ("c3", 200.0, 50.0, 1, 1.0, 0.0, "active", True, False, 200.0),
            ("c4", 0.0, 0.0, 0, 0.0, 400.0, "lost", pd.NA, False, 500.0),
            ("c5", 0.0, 0.0, 0, 0.0, 200.0, "potential", True, False, 0.0),
        ],
        columns=[
            "client_id",
            "revenue",
            "margin",
            "invoices",
            "frequency",
            "headroom",
            "status",
            "smb",
            "buys_new_line",
            "revenue_total",
        ],
    )
    crit["smb"] = crit["smb"].astype("boolean")
    # Listed out of order on purpose: the order argument sorts the cards.
    segments = pd.DataFrame(
        {"client_id": ["c5", "c4", "c3", "c2", "c1"], "segment": ["potential", "lost", "B", "A", "A"]}
    )
    return crit, segments


def test_segment_cards_by_hand():
    crit, segments = _five_clients()
    cards = segment_cards(crit, segments, order=["A", "B", "lost", "potential"], take_up={})  # headroom in full
    assert list(cards["segment"]) == ["A", "B", "lost", "potential"]
    c = cards.set_index("segment")
    # Totals: 5 clients, revenue 1000, margin 350, headroom 1000.
    assert c["clients"].tolist() == [2, 1, 1, 1]
    assert c["client_share"].tolist() == pytest.approx([0.4, 0.2, 0.2, 0.2])
    assert c["revenue"].tolist() == [800, 200, 0, 0]
    assert c["revenue_share"].tolist() == pytest.approx([0.8, 0.2, 0, 0])
    assert c["margin"].tolist() == [300, 50, 0, 0]
    assert c["margin_share"].tolist() == pytest.approx([6 / 7, 1 / 7, 0, 0])
    # A: 300 / 800; B: 50 / 200; lost and potential have no revenue.
    assert c.loc[["A", "B"], "margin_pct"].tolist() == pytest.approx([0.375, 0.25])
    assert c.loc[["lost", "potential"], "margin_pct"].isna().all()
    # A: 800 over 4 + 2 invoices; B: 200 over 1.
    assert c.loc[["A", "B"], "avg_invoice"].tolist() == pytest.approx([800 / 6, 200])
    assert c.loc[["lost", "potential"], "avg_invoice"].isna().all()
    assert c["frequency"].tolist() == pytest.approx([3, 1, 0, 0])  # mean over clients
    assert c["headroom_share"].tolist() == pytest.approx([0.4, 0, 0.4, 0.2])
    assert c["revenue_total"].tolist() == [950, 200, 500, 0]


def test_headroom_of_clients_not_buying_counts_at_their_odds():
    """A prospect's whole potential does not rank as a client's: lost at the win-back share, prospects at conversion."""
    crit, segments = _five_clients()
    c = segment_cards(crit, segments).set_index("segment")  # the defaults of allocation.economics
    odds = take_up_odds()
    assert odds == {"active": 1.0, "lost": 0.15, "potential": 0.05}
    # A: 100 + 300 in full; lost: 400 x 0.15 = 60; potential: 200 x 0.05 = 10.
    assert c["headroom"].tolist() == pytest.approx([400, 0, 60, 10])
    assert c["headroom_share"].tolist() == pytest.approx([400 / 470, 0, 60 / 470, 10 / 470])
    # The engagement's own assumptions replace the defaults.
    own = segment_cards(crit, segments, take_up=take_up_odds(0.5, 0.1)).set_index("segment")
    assert own["headroom"].tolist() == pytest.approx([400, 0, 200, 20])


def test_segment_cards_new_line_gap_and_smb():
    crit, segments = _five_clients()
    c = segment_cards(crit, segments).set_index("segment")
    # Existing clients not buying the new line: c2 (A), c3 (B), c4 (lost); c5 is not a client yet.
    assert c.loc[["A", "B", "lost", "potential"], "new_line_gap"].tolist() == pytest.approx([1 / 3, 1 / 3, 1 / 3, 0])
    # Small/mid-size: c2 (A), c3 (B), c5 (potential); c4's size is unknown.
    assert c.loc[["A", "B", "lost", "potential"], "smb_share"].tolist() == pytest.approx([1 / 3, 1 / 3, 0, 1 / 3])


def test_segment_cards_without_margin():
    crit, segments = _five_clients()
    c = segment_cards(crit.assign(margin=np.nan), segments).set_index("segment")
    assert c["margin"].isna().all()
    assert c["margin_share"].isna().all()
    assert c.loc["A", "revenue_share"] == pytest.approx(0.8)


# --------------------------------------------------------------------------- scores and tiers


def _cards() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "segment": ["S1", "S2", "S3", "S4"],
            "margin_share": [0.6, 0.3, -0.1, 0.2],
            "headroom_share": [0.1, 0.5, 0.4, np.nan],
            "revenue": [500.0, 300.0, 100.0, 100.0],
        }
    )


def test_priority_scores_by_hand():
    # Each metric clipped at 0 and divided by its maximum (margin 0.6, headroom 0.5):
    #   S1: 0.5 * 0.6/0.6 + 0.5 * 0.1/0.5 = 0.5 + 0.1  = 0.6
    #   S2: 0.5 * 0.3/0.6 + 0.5 * 0.5/0.5 = 0.25 + 0.5 = 0.75
    #   S3: 0.5 * 0       + 0.5 * 0.4/0.5 = 0.4          (negative margin earns nothing)
    #   S4: 0.5 * 0.2/0.6 + 0.5 * 0       = 1/6          (NaN headroom earns nothing)
    out = priority_scores(_cards(), {"margin_share": 0.5, "headroom_share": 0.5}, n_tiers=4)
    assert list(out["segment"]) == ["S2", "S1", "S3", "S4"]
    assert list(out["score"]) == pytest.approx([0.75, 0.6, 0.4, 1 / 6])
    assert list(out["rank"]) == [1, 2, 3, 4]
    assert list(out["tier"]) == [1, 2, 3, 4]


@pytest.mark.parametrize(
    "n_tiers, tiers",
    [
        (2, [1, 1, 2, 2]),  # positions 0..3 * 2 // 4 -> 0, 0, 1, 1
        (3, [1, 1, 2, 3]),  # 0..3 * 3 // 4 -> 0, 0, 1, 2
        (6, [1, 2, 3, 4]),  # more tiers than segments: one segment per tier
    ],
)
def test_tiers_split_ranks_nearly_evenly(n_tiers, tiers):
    out = priority_scores(_cards(), {"margin_share": 0.5, "headroom_share": 0.5}, n_tiers=n_tiers)
    assert list(out["tier"]) == tiers


def test_equal_scores_ranked_by_revenue():
    cards = pd.DataFrame({"segment": ["small", "big"], "margin_share": [0.5, 0.5], "revenue": [100.0, 200.0]})
    out = priority_scores(cards, {"margin_share": 1.0}, n_tiers=2)
    assert list(out["segment"]) == ["big", "small"]
    assert list(out["score"]) == [1.0, 1.0]


def test_metric_the_data_cannot_give_scores_zero():
    cards = _cards().assign(margin_share=np.nan)
    # Only headroom counts: S2 0.5 * 1, S3 0.5 * 0.8, S1 0.5 * 0.2, S4 0.
    out = priority_scores(cards, {"margin_share": 0.5, "headroom_share": 0.5}, n_tiers=4)
    assert list(out["segment"]) == ["S2", "S3", "S1", "S4"]
    assert list(out["score"]) == pytest.approx([0.5, 0.4, 0.1, 0.0])


# --------------------------------------------------------------------------- key accounts


def test_key_and_critical_accounts():
    # Positive margins sum to 1000 (the -100 client does not reduce the base):
    # c1 250 -> 25% critical; c2 150 -> 15% key; c3 100 -> exactly 10%, not above: not key.
    margins = {"c1": 250, "c2": 150, "c3": 100, "c4": 90, "c5": -100, "c6": 90, "c7": 90, "c8": 90, "c9": 90, "c10": 50}
    crit = pd.DataFrame(
        {
            "client_id": list(margins),
            "name": [f"Client {k}" for k in margins],
            "margin": [float(v) for v in margins.values()],
            "revenue": 1.0,
        }
    )
    flagged, basis = key_accounts(crit)
    assert basis == "margin"
    assert list(flagged["client_id"]) == ["c1", "c2"]
    assert list(flagged["flag"]) == ["critical", "key"]
    assert list(flagged["share"]) == pytest.approx([0.25, 0.15])
    assert list(flagged["name"]) == ["Client c1", "Client c2"]


def test_mono_client():
    # 800 of 1000 -> 80% mono; 200 of 1000 -> exactly 20%, not above: key, not critical.
    crit = pd.DataFrame({"client_id": ["m", "k", "x"], "margin": [800.0, 200.0, -50.0], "revenue": [1.0, 1.0, 1.0]})
    flagged, _ = key_accounts(crit)
    assert list(flagged["client_id"]) == ["m", "k"]
    assert list(flagged["flag"]) == ["mono", "key"]
    assert list(flagged["share"]) == pytest.approx([0.8, 0.2])


def test_key_accounts_on_revenue_without_cost():
    # 500, 300, 200 of 1000: 50% and 30% critical, 20% key.
    crit = pd.DataFrame({"client_id": ["a", "b", "c", "d"], "margin": np.nan, "revenue": [500.0, 300.0, 200.0, 0.0]})
    flagged, basis = key_accounts(crit)
    assert basis == "revenue"
    assert list(flagged["client_id"]) == ["a", "b", "c"]
    assert list(flagged["flag"]) == ["critical", "critical", "key"]


def test_key_accounts_custom_thresholds():
    # (0.3, 0.5, 0.9): 50% is not above 0.5 -> key; 30% not above 0.3 -> nothing.
    crit = pd.DataFrame({"client_id": ["a", "b", "c"], "margin": [500.0, 300.0, 200.0], "revenue": 1.0})
    flagged, _ = key_accounts(crit, thresholds=(0.3, 0.5, 0.9))
    assert list(flagged["client_id"]) == ["a"]
    assert list(flagged["flag"]) == ["key"]


def _margins():
    # Margins 600, 200, 100, 60, 40 of 1000: a 60% critical, b 20% (not above: key), c 10% (not above: nothing).
    return pd.DataFrame({"client_id": list("abcde"), "margin": [600.0, 200.0, 100.0, 60.0, 40.0], "revenue": 1.0})


def test_a_client_named_by_kind_is_a_key_account_beside_the_money_flags():
    kinds = {"d": ["innovator", "reference"], "a": ["partner"], "e": []}
    flagged, _ = key_accounts(_margins(), kinds=kinds)
    # a and b by money; d (6%) by kind alone; e has no kind left, so it is not key. Largest share first.
    assert list(flagged["client_id"]) == ["a", "b", "d"]
    assert list(flagged["flag"]) == ["critical", "key", ""]
    assert list(flagged["kinds"]) == ["partner", "", "innovator,reference"]
    assert list(flagged["share"]) == pytest.approx([0.6, 0.2, 0.06])


def test_key_accounts_without_kinds_have_an_empty_kinds_column():
    flagged, _ = key_accounts(_margins())
    assert list(flagged["client_id"]) == ["a", "b"]
    assert list(flagged["kinds"]) == ["", ""]


def test_a_potential_client_named_by_kind_has_no_share_but_is_key():
    crit = pd.concat(
        [_margins(), pd.DataFrame({"client_id": ["p"], "margin": [0.0], "revenue": [0.0]})], ignore_index=True
    )
    flagged, _ = key_accounts(crit, kinds={"p": ["potential"]})
    assert list(flagged["client_id"]) == ["a", "b", "p"]
    assert flagged.set_index("client_id").loc["p", "share"] == 0


def test_unknown_kind_raises_and_unknown_client_is_listed():
    with pytest.raises(ValueError, match="unknown strategic; valid kinds: potential, reference"):
        key_accounts(_margins(), kinds={"a": ["strategic"]})
    kinds = {"zz": ["partner"], "a": ["partner"], "0042": ["innovator"]}
    # Unknown IDs are left out of the table (no crash) and listed for the report's note.
    flagged, _ = key_accounts(_margins(), kinds=kinds)
    assert list(flagged["client_id"]) == ["a", "b"]
    assert unknown_kind_clients(_margins(), kinds) == ["0042", "zz"]
    assert unknown_kind_clients(_margins(), None) == []


# --------------------------------------------------------------------------- division shares


def test_division_shares_by_hand():
    crit = pd.DataFrame(
        {
            "client_id": ["c1", "c2", "c3", "c4", "c5"],
            "division": ["Corp", "Corp", "Reg", "Reg", "Reg"],
            "revenue": [600.0, 400.0, 100.0, 300.0, 0.0],
        }
    )
    segments = pd.DataFrame({"client_id": ["c1", "c2", "c3", "c4", "c5"], "segment": ["A", "B", "A", "B", "lost"]})
    table = division_shares(crit, segments)
    # Corp: A 600 / 1000, B 400 / 1000.  Reg: A 100 / 400, B 300 / 400.  The lost client has no revenue.
    assert table.loc["A", "Corp"] == pytest.approx(0.6)
    assert table.loc["B", "Corp"] == pytest.approx(0.4)
    assert table.loc["A", "Reg"] == pytest.approx(0.25)
    assert table.loc["B", "Reg"] == pytest.approx(0.75)
    assert "lost" not in table.index
    assert table.sum().tolist() == pytest.approx([1.0, 1.0])


def test_division_shares_none_without_division():
    segments = pd.DataFrame({"client_id": ["c1"], "segment": ["A"]})
    assert division_shares(pd.DataFrame({"client_id": ["c1"], "revenue": [1.0]}), segments) is None
    assert division_shares(pd.DataFrame({"client_id": ["c1"], "revenue": [1.0], "division": [None]}), segments) is None


def test_adapt_weights_moves_margin_to_revenue_without_cost():
    from workbench.priorities import adapt_weights

    cards = pd.DataFrame(
        {
            "segment": ["A", "B"],
            "margin_share": [np.nan, np.nan],
            "margin_pct": [np.nan, np.nan],
            "revenue_share": [0.7, 0.3],
            "headroom_share": [0.2, 0.8],
            "frequency": [10.0, 2.0],
        }
    )
    weights, changes = adapt_weights(
        {"margin_share": 0.4, "margin_pct": 0.2, "headroom_share": 0.3, "frequency": 0.1}, cards
    )
    # margin_share's 0.4 goes to revenue_share; margin_pct's 0.2 is dropped; 0.8 left, re-normalised:
    # revenue_share 0.4/0.8 = 0.5, headroom_share 0.3/0.8 = 0.375, frequency 0.1/0.8 = 0.125
    assert weights == pytest.approx({"revenue_share": 0.5, "headroom_share": 0.375, "frequency": 0.125})
    assert changes == [("margin_share", "revenue_share"), ("margin_pct", None)]


def test_adapt_weights_keeps_weights_the_data_supports():
    from workbench.priorities import adapt_weights

    cards = pd.DataFrame({"segment": ["A"], "margin_share": [1.0], "revenue_share": [1.0]})
    assert adapt_weights({"margin_share": 0.6, "revenue_share": 0.4}, cards) == (
        {"margin_share": 0.6, "revenue_share": 0.4},
        [],
    )


def test_a_segment_that_loses_money_ranks_last_whatever_its_headroom():
    cards = pd.DataFrame(
        {
            "segment": ["A", "E", "lost"],
            "revenue": [100.0, 10.0, 0.0],
            "margin": [30.0, -2.0, 0.0],
            "headroom_share": [0.1, 0.8, 0.1],
        }
    )
    ranked = priority_scores(cards, {"headroom_share": 1.0}, n_tiers=3)
    # By score alone E (0.8 / 0.8 = 1.0) would be first; it loses money, so it is last.
    assert ranked["segment"].tolist() == ["A", "lost", "E"]
    assert ranked["tier"].tolist() == [1, 2, 3]


# --------------------------------------------------------------------------- the goal's own sentence


def _trap_cards() -> pd.DataFrame:
    """A holds the key clients (70 % of margin) and, by construction, no headroom; C has a high margin %
    and all the headroom.

    grow_margin_key_clients weights: margin_share .4, margin_pct .2, headroom_share .3, frequency .1.
      A: .4 * 1 + .2 * (.2 / .5) + .3 * 0 + .1 * 1        = .58
      C: .4 * (.1 / .7) + .2 * 1 + .3 * 1 + .1 * (4 / 12) = .5905  -> C first by score alone.
    """
    return pd.DataFrame(
        {
            "segment": ["A", "C", "lost"],
            "clients": [10, 50, 20],
            "revenue": [1000.0, 200.0, 0.0],
            "margin": [700.0, 100.0, 0.0],
            "margin_share": [0.7, 0.1, 0.0],
            "revenue_share": [0.8, 0.2, 0.0],
            "margin_pct": [0.2, 0.5, np.nan],
            "headroom_share": [0.0, 0.9, 0.1],
            "frequency": [12.0, 4.0, 0.0],
            "new_line_gap": [0.1, 0.6, 0.3],
            "smb_share": [0.0, 0.7, 0.3],
        }
    )


GROW = {"margin_share": 0.40, "margin_pct": 0.20, "headroom_share": 0.30, "frequency": 0.10}


def test_key_client_goal_puts_the_segment_holding_the_margin_first():
    from workbench.priorities import goal_lead

    ranked = priority_scores(_trap_cards(), GROW, n_tiers=3)
    assert ranked["segment"].tolist()[:2] == ["C", "A"]  # the trap: the score alone puts C first
    assert ranked.loc[0, "score"] == pytest.approx(0.5905, abs=1e-4)
    fixed, moved = goal_lead(ranked, "grow_margin_key_clients", n_tiers=3)
    assert fixed["segment"].tolist() == ["A", "C", "lost"] and fixed["tier"].tolist() == [1, 2, 3]
    assert moved == {
        "goal": "grow_margin_key_clients",
        "lead": "A",
        "lead_rank": 2,
        "was_first": "C",
        "metric": "margin_share",
    }


def test_other_goals_have_their_own_leads():
    from workbench.priorities import goal_lead

    cards = _trap_cards().assign(segment=["A", "C", "potential"])
    ranked = priority_scores(cards, GROW, n_tiers=3)
    assert goal_lead(ranked, "cross_sell_new_line")[0]["segment"].iloc[0] == "C"  # most clients without the line
    assert goal_lead(ranked, "acquire_smb")[0]["segment"].iloc[0] == "potential"  # the never-bought clients
    assert goal_lead(ranked, "custom") == (ranked, None)  # a custom goal has no sentence to check


def test_contributions_sum_to_the_score_and_sensitivity_finds_a_flip():
    from workbench.priorities import score_contributions, sensitivity

    cards = _trap_cards()
    parts = score_contributions(cards, GROW)
    assert parts.loc[0].tolist() == pytest.approx([0.4, 0.08, 0.0, 0.1])  # A: the hand-computed parts
    ranked = priority_scores(cards, GROW, n_tiers=3)
    assert parts.sum(axis=1).sort_values(ascending=False).to_numpy() == pytest.approx(ranked["score"].to_numpy())
    # A and C are 0.01 apart: raising margin_share's weight by 20 % puts A ahead of C.
    shifts = sensitivity(cards, GROW, n_tiers=3)
    assert {"metric": "margin_share", "change": 0.2, "moves": {"A": (2, 1), "C": (1, 2)}} in shifts
    robust = sensitivity(cards, {"margin_share": 1.0}, n_tiers=3)
    assert robust == []


def test_headroom_counts_in_proportion_to_its_evidence():
    crit = pd.DataFrame(
        {
            "client_id": ["s", "p", "u"],
            "revenue": [100.0, 100.0, 100.0],
            "margin": [10.0, 10.0, 10.0],
            "invoices": [1, 1, 1],
            "frequency": [1.0, 1.0, 1.0],
            "headroom": [100.0, 100.0, np.nan],
            "potential_source": ["score", "peers", "unknown"],
            "status": ["active"] * 3,
            "smb": pd.array([True] * 3, dtype="boolean"),
            "buys_new_line": [True] * 3,
            "revenue_total": [100.0] * 3,
        }
    )
    segments = pd.DataFrame({"client_id": ["s", "p", "u"], "segment": ["A", "B", "CD"]})
    cards = segment_cards(crit, segments).set_index("segment")
    assert cards.loc["A", "headroom"] == 100 and cards.loc["B", "headroom"] == 50  # peers count half
    assert np.isnan(cards.loc["CD", "headroom"])  # unknown potential: no headroom to claim


def test_segment_profiles_say_who_the_clients_are_against_the_base():
    from workbench.priorities import segment_profiles

    criteria = pd.DataFrame(
        {
            "client_id": list("abcdef"),
            "industry": ["Mining", "Mining", "Retail", "Retail", "Retail", None],
            "region": ["North"] * 6,
            "size_band": ["large", "large", "small", "small", "unknown", "micro"],
            "tenure_months": [24.0, 48.0, 12.0, 12.0, 36.0, np.nan],
            "revenue": [100.0, 300.0, 10.0, 20.0, 30.0, 0.0],
            "product_lines": ["Pumps, Valves", "Pumps", "Valves", "Valves, Seals", "Seals", None],
        }
    )
    segments = pd.DataFrame({"client_id": list("abcdef"), "segment": ["A", "A", "D", "D", "D", "potential"]})
    out = segment_profiles(criteria, segments, min_clients=1).set_index("segment")
    # By default two clients are no portrait: A is then described by its commonest value, like the base.
    assert not segment_profiles(criteria, segments).set_index("segment").loc["A", "industry_distinct"]
    a, d = out.loc["A"], out.loc["D"]
    # A: both Mining (100 % against 2 of 5 known in the base), both large (2 of 5 known sizes).
    assert a["industry"] == "Mining" and a["industry_share"] == 1 and a["industry_base_share"] == pytest.approx(0.4)
    assert a["size_band"] == "large" and a["size_band_base_share"] == pytest.approx(2 / 5)
    assert a["tenure_years"] == pytest.approx(3.0)  # median of 24 and 48 months
    assert a["revenue_p25"] == pytest.approx(150) and a["revenue_p75"] == pytest.approx(250)
    assert list(a["top_lines"]) == ["Pumps", "Valves"] and a["top_lines_share"] == 1
    # D: Retail (3 of 3), small (2 of 2 known: "unknown" is not a size), Valves and Seals bought by two each.
    assert d["industry"] == "Retail" and d["industry_share"] == 1 and d["industry_base_share"] == pytest.approx(0.6)
    assert d["size_band"] == "small" and d["size_band_share"] == 1
    assert set(d["top_lines"]) == {"Valves", "Seals"} and d["top_lines_share"] == pytest.approx(2 / 3)
    # A segment that never bought: no revenue range, no lines.
    p = out.loc["potential"]
    assert pd.isna(p["revenue_p25"]) and len(p["top_lines"]) == 0 and pd.isna(p["industry"])
    # Everyone is in the North: no segment differs from the base there, so the card says "like the base".
    assert a["industry_distinct"] and a["size_band_distinct"] and not a["region_distinct"]
    assert not p["industry_distinct"]


def test_segment_profile_names_the_value_that_sets_it_apart_not_the_commonest():
    from workbench.priorities import PROFILE_DISTINCT_POINTS, segment_profiles

    # The base: 50 % Retail, 30 % Mining, 20 % Energy. Segment S: 50 % Retail (as the base), 40 % Energy
    # (twice the base), 10 % Mining. The card names Energy: Retail is the commonest but says nothing.
    industries = ["Retail"] * 5 + ["Energy"] * 4 + ["Mining"] + ["Mining"] * 5 + ["Retail"] * 5
    criteria = pd.DataFrame(
        {
            "client_id": [f"c{i}" for i in range(20)],
            "industry": industries,
            "tenure_months": 12.0,
            "revenue": 1.0,
        }
    )
    segments = pd.DataFrame({"client_id": criteria["client_id"], "segment": ["S"] * 10 + ["T"] * 10})
    out = segment_profiles(criteria, segments, min_clients=1).set_index("segment")
    s, t = out.loc["S"], out.loc["T"]
    assert s["industry"] == "Energy" and s["industry_distinct"]
    assert s["industry_share"] == pytest.approx(0.4) and s["industry_base_share"] == pytest.approx(0.2)
    # T: 50 % Retail and 50 % Mining against 50 % and 30 %: Mining is 20 points above the base.
    assert t["industry"] == "Mining" and t["industry_share"] == pytest.approx(0.5) and t["industry_distinct"]
    # A lift below the threshold is no portrait: then the commonest value, marked as like the base.
    even = criteria.assign(industry=["Retail", "Mining"] * 10)
    flat = segment_profiles(even, segments).set_index("segment")
    assert (flat["industry_share"] - flat["industry_base_share"]).abs().max() < PROFILE_DISTINCT_POINTS
    assert not flat["industry_distinct"].any()


def test_every_segment_gets_its_own_playbook_card():
    import yaml

    from workbench.paths import TEMPLATES
    from workbench.playbooks import FIELDS, build_playbooks

    for language in ("en", "ru"):
        template = yaml.safe_load((TEMPLATES / "playbooks" / f"default.{language}.yaml").read_text(encoding="utf-8"))
        # A and B share a tier, so do C and D: their cards must still differ.
        ranked = pd.DataFrame({"segment": ["A", "B", "C", "D", "CD", "lost"], "tier": [1, 1, 2, 2, 3, 3]})
        books = build_playbooks(ranked, template).set_index("segment")
        texts = [
            tuple(books.loc[s, [f for f in FIELDS if f not in ("contacts_per_year", "hours_per_contact", "role")]])
            for s in books.index
        ]
        assert len(set(texts)) == len(texts), language
