"""Step 6 — allocation: workload, FTE by role, the team gap and the sequence, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.allocation import (
    compare_with_team,
    fte_by_role,
    sales_departments,
    sequence,
    whole_sellers,
    workload,
)
from workbench.allocation.workload import department_rules

HOURS_PER_FTE = 100  # small, so that FTE = hours / 100 is easy to check


def _playbooks() -> pd.DataFrame:
    # Priority order, four tiers. B's template says hunter: with dedicated hunters it becomes a farmer.
    return pd.DataFrame(
        [
            # segment, tier, contacts_per_year, hours_per_contact, role
            ("A", 1, 12, 1.0, "farmer"),
            ("B", 2, 6, 0.5, "hunter"),
            ("potential", 3, 4, 1.0, "hunter"),
            ("C", 3, 4, 0.5, "farmer"),
            ("D", 4, 1, 0.25, "farmer"),
        ],
        columns=["segment", "tier", "contacts_per_year", "hours_per_contact", "role"],
    )


def _cards() -> pd.DataFrame:
    return pd.DataFrame({"segment": ["D", "C", "potential", "B", "A"], "clients": [100, 40, 50, 20, 10]})


@pytest.fixture()
def plan_and_rules():
    return workload(_playbooks(), _cards(), {"A": 2}, selling_hours_per_fte=HOURS_PER_FTE, n_tiers=4)


def test_workload_by_hand(plan_and_rules):
    plan = plan_and_rules[0].set_index("segment")
    assert list(plan.index) == ["A", "B", "potential", "C", "D"]
    # A: (10 clients - 2 key accounts) x 12 contacts x 1 h = 96 h -> 0.96 FTE
    # B: 20 x 6 x 0.5 = 60 h -> 0.6 FTE
    # potential: 50 x 4 x 1 = 200 h -> 2 FTE (tier 3 is automated, but new clients stay with hunters)
    # C: tier 3, the lowest tier still worked -> automated, no manual hours
    # D: tier 4, the lowest -> not worked any more
    assert plan["hours"].tolist() == pytest.approx([96, 60, 200, 0, 0])
    assert plan["fte"].tolist() == pytest.approx([0.96, 0.6, 2.0, 0, 0])
    assert plan["action"].tolist() == ["work", "work", "work", "automate", "stop"]
    assert plan["role"].tolist() == ["farmer", "farmer", "hunter", "automation", "none"]
    assert plan["clients"].tolist() == [10, 20, 50, 40, 100]
    assert plan["key_accounts"].tolist() == [2, 0, 0, 0, 0]


def test_rules_report_their_effect(plan_and_rules):
    rules = {r["rule"]: r for r in plan_and_rules[1]}
    assert list(rules) == ["dedicated_hunters", "drop_lowest_tier", "automate_low_priority"]
    assert rules["dedicated_hunters"] == {
        "rule": "dedicated_hunters",
        "segments": ["potential"],
        "clients": 50,
        "hours": 200,
    }
    # The manual hours the rule took away: D 100 x 1 x 0.25 = 25; C 40 x 4 x 0.5 = 80.
    assert rules["drop_lowest_tier"] == {"rule": "drop_lowest_tier", "segments": ["D"], "clients": 100, "hours": 25}
    assert rules["automate_low_priority"] == {
        "rule": "automate_low_priority",
        "segments": ["C"],
        "clients": 40,
        "hours": 80,
    }


def test_explicit_automate_tiers():
    # Tier 2 automated instead of tier 3: B has no manual hours, C is worked (80 h).
    plan, _ = workload(_playbooks(), _cards(), selling_hours_per_fte=HOURS_PER_FTE, n_tiers=4, automate_tiers=[2])
    plan = plan.set_index("segment")
    assert plan.loc[["B", "C"], "action"].tolist() == ["automate", "work"]
    assert plan.loc[["B", "C"], "hours"].tolist() == [0, 80]
    # Without key accounts A is 10 x 12 x 1 = 120 h.
    assert plan.loc["A", "hours"] == 120


def test_no_automation_with_empty_list():
    plan, rules = workload(_playbooks(), _cards(), selling_hours_per_fte=HOURS_PER_FTE, n_tiers=4, automate_tiers=[])
    assert plan.set_index("segment").loc["C", "hours"] == 80
    assert "automate_low_priority" not in {r["rule"] for r in rules}


def test_keep_lowest_tier_automates_it():
    # Nothing dropped: tier 4 is now the lowest worked tier, so D is automated and C worked.
    plan, _ = workload(_playbooks(), _cards(), selling_hours_per_fte=HOURS_PER_FTE, n_tiers=4, drop_lowest_tier=False)
    plan = plan.set_index("segment")
    assert plan.loc[["C", "D"], "action"].tolist() == ["work", "automate"]
    assert plan.loc[["C", "D"], "hours"].tolist() == [80, 0]


def test_without_dedicated_hunters():
    # B keeps its hunter; the potential segment is automated with the rest of tier 3.
    plan, rules = workload(
        _playbooks(), _cards(), selling_hours_per_fte=HOURS_PER_FTE, n_tiers=4, dedicated_hunters=False
    )
    plan = plan.set_index("segment")
    assert plan.loc["B", "role"] == "hunter"
    assert plan.loc["potential", "action"] == "automate"
    assert plan.loc["potential", "hours"] == 0
    assert "dedicated_hunters" not in {r["rule"] for r in rules}


def test_potential_in_the_dropped_tier_is_stopped():
    books = _playbooks()
    books.loc[books["segment"] == "potential", "tier"] = 4
    plan, _ = workload(books, _cards(), selling_hours_per_fte=HOURS_PER_FTE, n_tiers=4)
    row = plan.set_index("segment").loc["potential"]
    assert (row["action"], row["role"], row["hours"]) == ("stop", "none", 0)


def test_role_none_is_not_worked():
    books = _playbooks()
    books.loc[books["segment"] == "B", "role"] = "none"
    plan, _ = workload(books, _cards(), selling_hours_per_fte=HOURS_PER_FTE, n_tiers=4)
    row = plan.set_index("segment").loc["B"]
    assert (row["action"], row["hours"]) == ("stop", 0)


def test_n_tiers_defaults_to_the_highest_tier_present():
    books = _playbooks().iloc[:4]  # no tier 4: tier 3 is now the lowest, dropped
    plan, _ = workload(books, _cards(), selling_hours_per_fte=HOURS_PER_FTE)
    plan = plan.set_index("segment")
    assert plan.loc[["potential", "C"], "action"].tolist() == ["stop", "stop"]
    assert plan.loc["B", "action"] == "automate"  # tier 2, the lowest still worked


# --------------------------------------------------------------------------- FTE by role


def _need(plan, **kw) -> dict:
    return fte_by_role(plan, **kw).set_index("role")["fte_needed"].to_dict()


def test_fte_by_role_from_the_plan(plan_and_rules):
    plan = plan_and_rules[0]
    need = fte_by_role(plan, 2)
    assert list(need["role"]) == ["head_of_sales", "key_account_manager", "farmer", "closer", "hunter"]
    # farmer 0.96 + 0.6; hunter 2; KAM ceil(2 / 3) = 1;
    # sellers ceil(1.56) + ceil(2) + ceil(1) = 5 -> heads ceil(5 / 7) = 1.
    assert need["fte_needed"].tolist() == pytest.approx([1, 1, 1.56, 0, 2.0])


def test_fte_by_role_kam_and_heads():
    plan = pd.DataFrame(
        {"role": ["farmer", "farmer", "hunter", "automation", "none"], "fte": [4.0, 3.2, 3.0, 0.0, 0.0]}
    )
    # KAM ceil(7 / 3) = 3; sellers ceil(7.2) + ceil(3) + 3 = 8 + 3 + 3 = 14 -> heads ceil(14 / 7) = 2.
    need = _need(plan, n_key_accounts=7)
    assert need["key_account_manager"] == 3
    assert need["farmer"] == pytest.approx(7.2)
    assert need["head_of_sales"] == 2
    # Two accounts per KAM: ceil(7 / 2) = 4; span of 6: sellers 15 -> ceil(15 / 6) = 3.
    need = _need(plan, n_key_accounts=7, accounts_per_kam=2, max_reports_per_head=6)
    assert need["key_account_manager"] == 4
    assert need["head_of_sales"] == 3


def test_fte_by_role_adds_kams_to_the_plans_kam_hours():
    plan = pd.DataFrame({"role": ["key_account_manager"], "fte": [0.5]})
    need = _need(plan, n_key_accounts=4)
    # 0.5 + ceil(4 / 3) = 2.5 -> 3 people -> 1 head.
    assert need["key_account_manager"] == 2.5
    assert need["head_of_sales"] == 1


def test_no_sellers_no_head():
    need = _need(pd.DataFrame({"role": ["automation"], "fte": [0.0]}), n_key_accounts=0)
    assert need == {"head_of_sales": 0, "key_account_manager": 0, "farmer": 0, "closer": 0, "hunter": 0}


# --------------------------------------------------------------------------- sales departments


@pytest.mark.parametrize(
    "sellers, departments, heads, split",
    [
        (0, 0, 0, False),  # no seller, no department
        (5, 1, 1, False),  # ceil(5 / 7) = 1 head
        (8, 1, 2, False),  # below 10: one department, but ceil(8 / 7) = 2 heads for the span of control
        (10, 2, 2, True),  # from 10 on: two departments, a head each
        (14, 2, 2, True),  # ceil(14 / 7) = 2
        (15, 3, 3, True),  # ceil(15 / 7) = 3: three departments, so that no head leads more than 7
        (22, 4, 4, True),  # ceil(22 / 7) = 4
    ],
)
def test_sales_departments_by_hand(sellers, departments, heads, split):
    out = sales_departments(sellers)
    assert (out["sellers"], out["departments"], out["heads"], out["split"]) == (sellers, departments, heads, split)


def test_sales_departments_threshold_is_a_parameter():
    # Threshold 6 with a span of 7: 6 sellers need one head by span, but two departments and so two heads.
    assert sales_departments(6, split_departments_at=6) == {"sellers": 6, "departments": 2, "heads": 2, "split": True}
    # Off: 15 sellers stay one department with ceil(15 / 7) = 3 heads.
    assert sales_departments(15, split_departments_at=None) == {
        "sellers": 15,
        "departments": 1,
        "heads": 3,
        "split": False,
    }
    # A span of 12: 10 sellers fit one head, but from 10 on they are two departments, two heads.
    assert sales_departments(10, max_reports_per_head=12)["heads"] == 2
    assert sales_departments(9, max_reports_per_head=12)["heads"] == 1


def test_fte_by_role_heads_follow_the_department_rule():
    plan = pd.DataFrame({"role": ["farmer", "hunter"], "fte": [4.5, 1.2]})
    # Sellers ceil(4.5) + ceil(1.2) = 5 + 2 = 7: one head by span (7 / 7) ...
    assert _need(plan)["head_of_sales"] == 1
    # ... two when the sales force splits from 7 sellers on.
    assert _need(plan, split_departments_at=7)["head_of_sales"] == 2
    assert whole_sellers(fte_by_role(plan)) == 7


def _need_table(farmer: float) -> pd.DataFrame:
    return fte_by_role(pd.DataFrame({"role": ["farmer"], "fte": [farmer]}))


def test_department_rules_for_the_plan():
    # 13.2 FTE -> 14 sellers: split into ceil(14 / 7) = 2 departments, 2 heads.
    (rule,) = department_rules(_need_table(13.2))
    assert rule["rule"] == "sales_departments"
    assert (rule["sellers"], rule["departments"], rule["heads"], rule["at"], rule["max"]) == (14, 2, 2, 10, 7)
    # 4 sellers: one department; 8 sellers: one department with two heads of group.
    assert [r["rule"] for r in department_rules(_need_table(4.0))] == ["one_department"]
    (groups,) = department_rules(_need_table(7.5))
    assert (groups["rule"], groups["sellers"], groups["departments"], groups["heads"]) == (
        "one_department_groups",
        8,
        1,
        2,
    )
    # Off, or no seller: nothing to say.
    assert department_rules(_need_table(13.2), split_departments_at=None) == []
    assert department_rules(_need_table(0.0)) == []


def test_department_rules_when_the_team_has_the_sellers():
    # The plan at full cost needs 5 sellers; the team keeps its 11 and hires none:
    # 11 >= 10 splits them into max(2, ceil(11 / 7)) = 2 departments, said of the team.
    (rule,) = department_rules(_need_table(4.2), after_hires={"now": 11, "hired": 0, "sellers": 11})
    assert rule["rule"] == "sales_departments"
    assert (rule["sellers"], rule["now"], rule["hired"], rule["departments"], rule["heads"]) == (11, 11, 0, 2, 2)
    # 8 today and 1 hire: 9 sellers, one department; the plan's own 14 would have split.
    (rule,) = department_rules(_need_table(13.2), after_hires={"now": 8, "hired": 1, "sellers": 9})
    assert (rule["rule"], rule["sellers"], rule["hired"]) == ("one_department_groups", 9, 1)


def test_heads_are_counted_for_the_team_after_its_hires_not_for_the_plan_at_full_cost():
    from workbench.allocation.step import team_after_hires

    # The plan at full cost would need 15 sellers and 3 heads; the team has 8 farmers,
    # 2 hunters and 1 head, and the hires that pay are 3 farmers: 13 sellers -> 2 departments, 2 heads.
    position = pd.DataFrame(
        {
            "role": ["head_of_sales", "farmer", "hunter"],
            "fte_needed": [3.0, 13.2, 0.6],
            "fte_available": [1.0, 8.0, 2.0],
            "people": [1, 8, 2],
            "fte_used": [1.0, 8.0, 1.7],
            "fte_idle": [0.0, 0.0, 0.3],
            "gap": [-2.0, -5.2, 1.4],
            "hire_fte": [np.nan, 3, 1],
            "hire_value": [np.nan, 2.6e6, -5e5],
            "recommendation": ["hire", "hire", "redeploy"],
        }
    )
    out, after = team_after_hires(position)
    assert after == {"now": 10, "hired": 3, "sellers": 13}  # the hunter's one hire does not pay: not counted
    head = out.set_index("role").loc["head_of_sales"]
    assert (head["fte_needed"], head["gap"], head["recommendation"]) == (2.0, -1.0, "hire")
    # With 3 heads already there, one is spare.
    out, _ = team_after_hires(position.assign(fte_available=[3.0, 8.0, 2.0]))
    head = out.set_index("role").loc["head_of_sales"]
    assert (head["fte_needed"], head["fte_idle"], head["recommendation"]) == (2.0, 1.0, "redeploy")


def _team() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "manager_id": ["f1", "f2", "h1", "s1"],
            "role": ["farmer", "farmer", "hunter", "head_of_sales"],
            "capacity": [1.0, 0.5, 1.0, 1.0],
        }
    )


def test_compare_with_team_gap_sign(plan_and_rules):
    need = fte_by_role(plan_and_rules[0], 2)
    out = compare_with_team(need, _team()).set_index("role")
    # Available: farmer 1 + 0.5, hunter 1, head 1, no KAM, no closer.
    assert out["fte_available"].to_dict() == {
        "head_of_sales": 1,
        "key_account_manager": 0,
        "farmer": 1.5,
        "closer": 0,
        "hunter": 1,
    }
    assert out["people"].to_dict() == {
        "head_of_sales": 1,
        "key_account_manager": 0,
        "farmer": 2,
        "closer": 0,
        "hunter": 1,
    }
    # gap = available - needed: < 0 is a deficit.
    assert out["gap"].to_dict() == pytest.approx(
        {"head_of_sales": 0, "key_account_manager": -1, "farmer": -0.06, "closer": 0, "hunter": -1}
    )


def test_compare_with_team_surplus():
    need = pd.DataFrame({"role": ["farmer"], "fte_needed": [0.5]})
    out = compare_with_team(need, pd.DataFrame({"manager_id": ["f"], "role": ["farmer"], "capacity": [1.0]}))
    assert out.loc[0, "gap"] == pytest.approx(0.5)


def test_compare_without_team():
    need = pd.DataFrame({"role": ["farmer"], "fte_needed": [0.5]})
    out = compare_with_team(need, None)
    assert np.isnan(out.loc[0, "fte_available"]) and np.isnan(out.loc[0, "gap"])


def test_sequence_coverage_by_hand():
    plan, _ = workload(
        _playbooks(), _cards(), {"A": 2}, selling_hours_per_fte=HOURS_PER_FTE, n_tiers=4, automate_tiers=[]
    )
    seq = sequence(plan, _team())
    # Worked with manual hours, in priority order: A farmer 0.96, B farmer 0.6, potential hunter 2, C farmer 0.8.
    assert list(seq["segment"]) == ["A", "B", "potential", "C"]
    assert seq["cumulative_fte"].tolist() == pytest.approx([0.96, 1.56, 2.0, 2.36])
    # Farmers have 1.5 FTE: A fully; B gets 1.5 - 0.96 = 0.54 of 0.6 = 0.9; C nothing left.
    # Hunters have 1 FTE of the 2 the potential segment needs.
    assert seq["coverage"].tolist() == pytest.approx([1.0, 0.9, 0.5, 0.0])


def test_sequence_without_team():
    plan, _ = workload(_playbooks(), _cards(), selling_hours_per_fte=HOURS_PER_FTE, n_tiers=4)
    seq = sequence(plan, None)
    assert list(seq["segment"]) == ["A", "B", "potential"]
    assert seq["coverage"].isna().all()


# --------------------------------------------------------------------------- who works which client


def _assign_inputs():
    from workbench.allocation import assign_clients  # noqa: F401

    plan = pd.DataFrame(
        {
            "segment": ["A", "lost"],
            "tier": [1, 3],
            "action": ["work", "automate"],
            "role": ["farmer", "automation"],
            "contacts_per_year": [4.0, 2.0],
            "hours_per_contact": [1.0, 0.5],
        }
    )
    team = pd.DataFrame(
        {
            "manager_id": ["F1", "F2", "K1"],
            "name": ["Fa", "Fb", "Ka"],
            "role": ["farmer", "farmer", "key_account_manager"],
            "capacity": [0.01, 0.02, 0.01],
        }
    )
    clients = pd.DataFrame(
        {
            "client_id": [f"c{i}" for i in range(1, 11)] + ["l1"],
            "segment": ["A"] * 10 + ["lost"],
            "value": [100, 90, 80, 70, 60, 50, 40, 30, 20, 10, 5],
            "manager_id": ["F1", "F2", "K1"] + [pd.NA] * 7 + ["F1"],
        }
    )
    return clients, plan, team


def test_assign_clients_keeps_managers_fills_by_time_left_and_shows_the_deficit():
    from workbench.allocation import assign_clients

    clients, plan, team = _assign_inputs()
    call_plan, load = assign_clients(clients, plan, team, selling_hours_per_fte=1000)
    # Hours: F1 10, F2 20, K1 10; each A client takes 4 x 1 h = 4 h of a farmer, 4 / 0.8 = 5 h of a
    # stand-in (a KAM farming). By value:
    # c1 kept F1 (6 left), c2 kept F2 (16), c3 kept K1 (a KAM may farm, at 5 h; 5 left),
    # c4, the largest that changes hands in the top tier, goes to the KAM first (a stand-in: 5 h, 0 left),
    # c5 F2 (most left: 12), c6 F2 (8), c7 F2 (4), c8 F1 (6 > 4: 2), c9 F2 (0),
    # c10 nobody -> unassigned; l1 automated.
    managers = call_plan["manager_id"].astype(object).where(call_plan["manager_id"].notna(), None)
    got = dict(zip(call_plan["client_id"], zip(managers, call_plan["status"], strict=True), strict=True))
    assert got == {
        "c1": ("F1", "kept"),
        "c2": ("F2", "kept"),
        "c3": ("K1", "kept"),
        "c4": ("K1", "stand_in"),
        "c5": ("F2", "assigned"),
        "c6": ("F2", "assigned"),
        "c7": ("F2", "assigned"),
        "c8": ("F1", "assigned"),
        "c9": ("F2", "assigned"),
        "c10": (None, "unassigned"),
        "l1": (None, "automate"),
    }
    assert call_plan.set_index("client_id").loc["c10", "hours"] == 0
    by = load.set_index("manager_id")
    assert by.loc["F1", "hours"] == 8 and by.loc["F2", "hours"] == 20 and by.loc["K1", "hours"] == 10
    booked = call_plan.groupby("manager_id")["hours"].sum()  # the call plan adds up to each manager's load
    assert booked.to_dict() == pytest.approx(by.loc[booked.index, "hours"].to_dict())
    assert by.loc["F2", "utilisation"] == pytest.approx(1.0) and by.loc["K1", "clients"] == 2


def test_nobody_waits_while_a_move_would_make_room_for_them():
    from workbench.allocation import assign_clients

    # F1 (farmer) and K1 (key-account manager, who may farm) have 10 h each; no hunter.
    # A (farmer's, first) takes a1 and a2 to F1: 4 h each, 2 left. p1 (a hunter's, 4 h) may go to a farmer
    # but not to a KAM: greedily it would wait beside K1's idle 10 h. One move: a1 to K1 (4 / 0.8 = 5 h),
    # then p1 to F1. a2 was kept by F1: kept clients are not moved.
    plan = pd.DataFrame(
        {
            "segment": ["A", "potential"],
            "tier": [1, 2],
            "action": ["work", "work"],
            "role": ["farmer", "hunter"],
            "contacts_per_year": [4.0, 4.0],
            "hours_per_contact": [1.0, 1.0],
        }
    )
    team = pd.DataFrame(
        {"manager_id": ["F1", "K1"], "role": ["farmer", "key_account_manager"], "capacity": [0.01, 0.01]}
    )
    clients = pd.DataFrame(
        {
            "client_id": ["a1", "a2", "p1"],
            "segment": ["A", "A", "potential"],
            "value": [100, 90, 10],
            "manager_id": [pd.NA, "F1", pd.NA],
        }
    )
    call_plan, load = assign_clients(clients, plan, team, selling_hours_per_fte=1000)
    got = call_plan.set_index("client_id")[["manager_id", "status"]].apply(tuple, axis=1).to_dict()
    assert got == {"a1": ("K1", "stand_in"), "a2": ("F1", "kept"), "p1": ("F1", "stand_in")}
    by = load.set_index("manager_id")["hours"]
    assert by["F1"] == pytest.approx(4 + 4 / 0.8) and by["K1"] == pytest.approx(4 / 0.8)  # p1 at a stand-in's pace
    # The call plan books each client at its owner's hours, so a manager's clients add up to their load.
    booked = call_plan.groupby("manager_id")["hours"].sum()
    assert booked.to_dict() == pytest.approx(by.loc[booked.index].to_dict())
    assert call_plan.set_index("client_id").loc["a1", "hours"] == pytest.approx(5.0)
    # Nobody could make room (K1 already full): the client waits, as before.
    full = team.assign(capacity=[0.01, 0.004])
    call_plan, _ = assign_clients(clients, plan, full, selling_hours_per_fte=1000)
    assert call_plan.set_index("client_id").loc["p1", "status"] == "unassigned"


def test_portfolios_are_kept_apart_by_industry_and_size_before_hours():
    from workbench.allocation import assign_clients
    from workbench.allocation.assignment import portfolio_mix

    # F1 has 10 h, F2 20 h; each A client takes 4 h. By hours alone F2 would take x1, y1 and x2 (16, 12, 8 h left)
    # and F1 y2. With one industry per portfolio: x1 to F2 (most hours), y1 to F1 (F2 holds X already),
    # then each industry to the manager who holds it.
    plan = pd.DataFrame(
        {
            "segment": ["A"],
            "tier": [1],
            "action": ["work"],
            "role": ["farmer"],
            "contacts_per_year": [4.0],
            "hours_per_contact": [1.0],
        }
    )
    team = pd.DataFrame({"manager_id": ["F1", "F2"], "role": ["farmer"] * 2, "capacity": [0.01, 0.02]})
    clients = pd.DataFrame(
        {
            "client_id": ["x1", "y1", "x2", "y2"],
            "segment": ["A"] * 4,
            "value": [100, 90, 80, 70],
            "industry": ["X", "Y", "X", "Y"],
            "size_band": ["large", "micro", "large", "micro"],
        }
    )
    call_plan, _ = assign_clients(clients, plan, team, selling_hours_per_fte=1000, max_industries=1)
    owners = dict(zip(call_plan["client_id"], call_plan["manager_id"], strict=True))
    assert owners == {"x1": "F2", "y1": "F1", "x2": "F2", "y2": "F1"}
    assert portfolio_mix(call_plan, clients, max_industries=1).empty  # nothing mixed
    # Size alone (industries unknown) keeps large and micro apart the same way.
    call_plan, _ = assign_clients(clients.drop(columns="industry"), plan, team, selling_hours_per_fte=1000)
    assert dict(zip(call_plan["client_id"], call_plan["manager_id"], strict=True)) == owners
    # A kept client stays with its manager even where it mixes (continuity first).
    kept = clients.assign(manager_id=[pd.NA, "F2", pd.NA, pd.NA])
    call_plan, _ = assign_clients(kept, plan, team, selling_hours_per_fte=1000, max_industries=1)
    assert call_plan.set_index("client_id").loc["y1", ["manager_id", "status"]].tolist() == ["F2", "kept"]


def test_the_largest_clients_of_a_stopped_segment_keep_an_owner_for_a_review():
    from workbench.allocation import assign_clients
    from workbench.allocation.step import largest_unworked

    # 10 active clients; the top 20 % by revenue are e1 (E, stopped) and a1 (A, worked); e2 is small.
    clients = pd.DataFrame(
        {
            "client_id": ["e1", "a1", "e2"] + [f"x{i}" for i in range(7)],
            "segment": ["E", "A", "E"] + ["A"] * 7,
            "status": ["active"] * 10,
            "revenue": [1000.0, 900.0, 5.0] + [10.0] * 7,
            "value": [-50.0, 90.0, -1.0] + [1.0] * 7,
        }
    )
    plan = pd.DataFrame(
        {
            "segment": ["A", "E"],
            "tier": [1, 4],
            "action": ["work", "stop"],
            "role": ["farmer", "none"],
            "contacts_per_year": [4.0, 0.0],
            "hours_per_contact": [1.0, 0.0],
        }
    )
    review = largest_unworked(clients, plan, set())
    assert review == {"e1": (2.0, 1.0)}  # a1 is worked already; e2 is not among the largest
    assert largest_unworked(clients, plan, {"e1"}) == {}  # a key account has its owner already
    assert largest_unworked(clients, plan, set(), contacts_per_year=0) == {}  # the rule off
    team = pd.DataFrame({"manager_id": ["F1"], "role": ["farmer"], "capacity": [0.01]})  # 10 h
    call_plan, load = assign_clients(clients, plan, team, selling_hours_per_fte=1000, review=review)
    rows = call_plan.set_index("client_id")
    assert rows.loc["e1", ["manager_id", "action", "contacts_per_year", "hours"]].tolist() == ["F1", "work", 2.0, 2.0]
    assert bool(rows.loc["e1", "review"]) and not rows["review"].drop("e1").any()
    assert rows.loc["e2", "action"] == "stop" and pd.isna(rows.loc["e2", "manager_id"])
    assert load.set_index("manager_id").loc["F1", "hours"] == 2.0 + 2 * 4.0  # the review first, then a1 and x0


def test_lost_clients_who_bought_as_much_as_the_largest_are_won_back_in_person():
    from workbench.allocation.step import largest_unworked

    # The top 20 % of 10 active clients: a1 (900) and a2 (500), both worked. Lost l1 bought 1,200 over
    # 24 months (600 a year, above a2's 500); l2 bought 900 over 36 months (300 a year); l3 bought 550 in
    # 6 months (a year at least: 550). l1 and l3 get a personal win-back, whatever the lost segment's plan.
    clients = pd.DataFrame(
        {
            "client_id": ["a1", "a2"] + [f"x{i}" for i in range(8)] + ["l1", "l2", "l3"],
            "segment": ["A"] * 10 + ["lost"] * 3,
            "status": ["active"] * 10 + ["lost"] * 3,
            "revenue": [900.0, 500.0] + [10.0] * 8 + [0.0] * 3,
            "revenue_total": [900.0, 500.0] + [10.0] * 8 + [1200.0, 900.0, 550.0],
            "tenure_months": [24.0] * 10 + [24.0, 36.0, 6.0],
        }
    )
    plan = pd.DataFrame(
        {
            "segment": ["A", "lost"],
            "tier": [1, 3],
            "action": ["work", "work"],
            "role": ["farmer", "hunter"],
            "contacts_per_year": [4.0, 1.0],
            "hours_per_contact": [1.0, 0.25],
        }
    )
    assert largest_unworked(clients, plan, set()) == {"l1": (2.0, 1.0), "l3": (2.0, 1.0)}
    assert largest_unworked(clients, plan, {"l1"}) == {"l3": (2.0, 1.0)}
    assert largest_unworked(clients, plan.assign(action=["work", "automate"]), set()) == {
        "l1": (2.0, 1.0),
        "l3": (2.0, 1.0),
    }
    assert largest_unworked(clients, plan, set(), contacts_per_year=0) == {}


def test_the_largest_prospects_by_their_own_potential_get_a_hunter_in_person():
    from workbench.allocation import assign_clients
    from workbench.allocation.step import largest_unworked

    # 20 never-bought clients: the top 10 % (2) by a potential of their own (size) are p0 and p1; p2's larger
    # potential is similar clients' revenue, not its own, so it does not count.
    n = 20
    clients = pd.DataFrame(
        {
            "client_id": ["a1"] + [f"p{i}" for i in range(n)],
            "segment": ["A"] + ["potential"] * n,
            "status": ["active"] + ["potential"] * n,
            "revenue": [100.0] + [0.0] * n,
            "value": [10.0] + [0.0] * n,
            "potential": [100.0] + [900.0, 800.0, 5000.0] + [10.0] * (n - 3),
            "potential_source": ["size"] + ["size", "size", "peers"] + ["size"] * (n - 3),
        }
    )
    plan = pd.DataFrame(
        {
            "segment": ["A", "potential"],
            "tier": [1, 3],
            "action": ["work", "work"],
            "role": ["farmer", "hunter"],
            "contacts_per_year": [4.0, 1.0],
            "hours_per_contact": [1.0, 0.25],
            "channel": ["personal", "remote"],
        }
    )
    assert largest_unworked(clients, plan, set()) == {"p0": (2.0, 1.0), "p1": (2.0, 1.0)}
    assert largest_unworked(clients, plan, set(), prospects_share=0) == {}  # the rule off
    # Worked in person already: the segment's own contact is enough.
    assert largest_unworked(clients, plan.assign(channel="personal"), set()) == {}
    assert largest_unworked(clients, plan.assign(action=["work", "automate"]), set()) == {
        "p0": (2.0, 1.0),
        "p1": (2.0, 1.0),
    }
    # A hunter first, though a farmer has more time.
    team = pd.DataFrame({"manager_id": ["F1", "H1"], "role": ["farmer", "hunter"], "capacity": [1.0, 0.1]})
    review = largest_unworked(clients, plan, set())
    call_plan, _ = assign_clients(clients, plan, team, selling_hours_per_fte=1000, review=review)
    rows = call_plan.set_index("client_id")
    assert rows.loc[["p0", "p1"], "manager_id"].tolist() == ["H1", "H1"]
    assert rows.loc[["p0", "p1"], "contacts_per_year"].tolist() == [2.0, 2.0]
    assert rows.loc["p0", "review"] and not rows.loc["p2", "review"]


def test_assign_clients_gives_key_accounts_to_key_account_managers():
    from workbench.allocation import assign_clients

    clients, plan, team = _assign_inputs()
    call_plan, _ = assign_clients(clients, plan, team, key_account_ids={"c2"}, selling_hours_per_fte=1000)
    row = call_plan.set_index("client_id").loc["c2"]
    # c2's manager F2 is a farmer, not a KAM: the key account moves to K1.
    assert (row["role"], row["manager_id"], row["status"]) == ("key_account_manager", "K1", "assigned")


def test_a_key_account_always_has_an_owner_even_without_a_key_account_manager():
    from workbench.allocation import assign_clients

    clients, plan, team = _assign_inputs()
    farmers = team.loc[team["role"] == "farmer"]  # nobody is a key-account manager
    call_plan, _ = assign_clients(
        clients, plan, farmers, key_account_ids={"c1", "c5"}, selling_hours_per_fte=1000, key_account_hours=50
    )
    rows = call_plan.set_index("client_id")
    # 50 h fit nobody (F1 10 h, F2 20 h): each goes to the one with most hours left, over capacity, never unassigned.
    assert rows.loc["c1", "manager_id"] == "F2" and rows.loc["c1", "status"] == "over_capacity"
    assert rows.loc["c5", "manager_id"] == "F1" and rows.loc["c5", "status"] == "over_capacity"


def test_segments_the_consultant_stops_are_not_worked_and_said_so():
    plan, rules = workload(
        _playbooks(), _cards(), {"A": 2}, selling_hours_per_fte=HOURS_PER_FTE, n_tiers=4, stop_segments=["B"]
    )
    plan = plan.set_index("segment")
    assert plan.loc["B", "action"] == "stop" and plan.loc["B", "hours"] == 0
    assert plan.loc["A", "hours"] == 96  # the others as before
    rule = next(r for r in rules if r["rule"] == "stop_segments")
    assert rule["segments"] == ["B"] and rule["clients"] == 20 and rule["hours"] == 60
    with pytest.raises(ValueError, match=r"allocation.stop_segments: no segment 'Z'"):
        workload(_playbooks(), _cards(), selling_hours_per_fte=HOURS_PER_FTE, n_tiers=4, stop_segments=["Z"])


def test_a_client_held_too_long_without_a_sale_goes_to_another_manager():
    from workbench.allocation import assign_clients
    from workbench.allocation.step import held_without_sale

    start = pd.Timestamp("2026-01-01")
    clients = pd.DataFrame(
        {
            "client_id": ["fresh", "stale", "never", "free"],
            "segment": "B",
            "value": [4.0, 3.0, 2.0, 1.0],
            "manager_id": ["m1", "m1", "m1", None],
            "last_purchase": pd.to_datetime(["2025-11-01", "2024-11-01", None, "2024-01-01"]),
        }
    )
    # Twelve months: "stale" last bought 14 months ago; "never" is not judged; "free" has no manager.
    assert held_without_sale(clients, start, 12) == {"stale"}
    assert held_without_sale(clients, start, 24) == set() and held_without_sale(clients, start, None) == set()
    plan = pd.DataFrame(
        [
            {
                "segment": "B",
                "tier": 1,
                "action": "work",
                "role": "farmer",
                "worked_by": "farmer",
                "contacts_per_year": 1,
                "hours_per_contact": 1.0,
            }
        ]
    )
    # m1 has more hours left than m2 even after its kept clients: only the rule keeps "stale" from it.
    team = pd.DataFrame({"manager_id": ["m1", "m2"], "role": ["farmer", "farmer"], "capacity": [1.5, 1.0]})
    call_plan, _ = assign_clients(clients, plan, team, selling_hours_per_fte=100, take_back={"stale"})
    by = call_plan.set_index("client_id")
    assert by.loc["fresh", "manager_id"] == "m1" and by.loc["fresh", "status"] == "kept"
    assert by.loc["stale", "manager_id"] == "m2" and by.loc["stale", "taken_back"]  # never back to m1
    assert not by.loc["fresh", "taken_back"] and not by.loc["free", "taken_back"]


def test_portfolios_mixing_large_and_micro_or_many_industries_are_flagged():
    from workbench.allocation.assignment import portfolio_mix

    call_plan = pd.DataFrame(
        {"client_id": ["a", "b", "c", "d", "e", "f", "g"], "manager_id": ["m1", "m1", "m2", "m2", "m3", "m3", None]}
    )
    clients = pd.DataFrame(
        {
            "client_id": list("abcdefg"),
            "size_band": ["large", "micro", "large", "medium", "small", "small", "micro"],
            "industry": ["X", "X", "X", "Y", "X", "Y", "Z"],
        }
    )
    out = portfolio_mix(call_plan, clients, max_industries=1).set_index("manager_id")
    # m1: large and micro (one industry); m2: two industries, no micro; m3: two industries.
    assert out.loc["m1", ["mixed_sizes", "many_industries"]].tolist() == [True, False]
    assert out.loc["m2", ["mixed_sizes", "many_industries"]].tolist() == [False, True]
    assert sorted(out.index) == ["m1", "m2", "m3"]
    assert portfolio_mix(call_plan, clients, max_industries=2).index.size == 1  # only m1's sizes remain
    assert portfolio_mix(call_plan, clients[["client_id"]]).empty  # nothing to judge by
