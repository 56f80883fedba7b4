"""Step 6 — the economics of the plan: break-even, the optimiser, stand-ins, the value of one more FTE."""

from dataclasses import replace

import pandas as pd
import pytest

from workbench.allocation import (
    Assumptions,
    apply_solution,
    best_hires,
    break_even,
    marginal_fte_value,
    optimise,
    options,
)
from workbench.allocation.economics import hires_value

COST = {"key_account_manager": 100.0, "farmer": 50.0, "hunter": 50.0, "closer": 50.0, "head_of_sales": 150.0}


def _plan(rows):
    return pd.DataFrame(
        rows,
        columns=[
            "segment",
            "tier",
            "clients",
            "key_accounts",
            "action",
            "role",
            "contacts_per_year",
            "hours_per_contact",
        ],
    )


def test_a_segment_whose_contacts_cost_more_than_its_margin_is_automated():
    # D: 100 clients x 12 contacts x 1 h x 50 = 60,000 a year against a margin of 20,000 (300 %).
    # At 1 contact a year: 5,000 (25 %, affordable) but brings 20,000 x .2 x (1 - .5 ** .5) = 1,172: a loss.
    # So no manual contact pays: automation. A (margin 1,000,000) keeps 12 contacts: 10 x 12 x 1 x 50 = 6,000.
    a = Assumptions(cost_per_hour=COST, frequency_options=(0, 1, 12), remote_hours=1.0)  # no cheaper channel here
    plan = _plan([("A", 1, 10, 0, "work", "farmer", 12, 1.0), ("D", 3, 100, 0, "work", "farmer", 12, 1.0)])
    opts = options(plan, pd.Series({"A": 1_000_000.0, "D": 20_000.0}), a)
    d = opts.loc[opts["segment"] == "D"].set_index("contacts_per_year")
    assert d.loc[12.0, "cost"] == 60_000 and d.loc[12.0, "cost_share"] == pytest.approx(3.0)
    assert not d.loc[12.0, "affordable"] and d.loc[1.0, "affordable"]
    assert d.loc[1.0, "value"] == pytest.approx(20_000 * 0.2 * (1 - 0.5**0.5))
    shown = break_even(opts, plan)
    assert shown.to_dict("records") == [
        {
            "segment": "D",
            "contacts_per_year": 12.0,
            "cost": 60_000.0,
            "margin_base": pytest.approx(20_000.0),
            "cost_share": pytest.approx(3.0),
        }
    ]
    final = apply_solution(plan, optimise(opts, None, a), 1000).set_index("segment")
    assert final.loc["D", "action"] == "automate" and final.loc["D", "hours"] == 0
    assert final.loc["A", "contacts_per_year"] == 12 and final.loc["A", "hours"] == 120


def test_optimiser_splits_scarce_hours_as_worked_out_by_hand():
    # One farmer with 100 h. A: 10 clients x 1 h, margin 100,000; B: 10 clients x 1 h, margin 60,000.
    # Options 0, 2, 4 contacts (20 or 40 h each); response .2 x (1 - .5 ** (f / 2)): .1 at 2, .15 at 4.
    #   A4 = 15,000 - 2,000 = 13,000   A2 = 10,000 - 1,000 = 9,000
    #   B4 =  9,000 - 2,000 =  7,000   B2 =  6,000 - 1,000 = 5,000
    # 100 h allow A4 + B4 (80 h) = 20,000. With 50 h: A4 + nothing (40 h) = 13,000 or A2 + B2 (40 h) = 14,000,
    # or A4 + ... B2 needs 20 more (60 h): no. So A2 + B2.
    a = Assumptions(cost_per_hour=COST, frequency_options=(0, 2, 4), remote_hours=1.0)
    plan = _plan([("A", 1, 10, 0, "work", "farmer", 4, 1.0), ("B", 2, 10, 0, "work", "farmer", 4, 1.0)])
    opts = options(plan, pd.Series({"A": 100_000.0, "B": 60_000.0}), a)
    roomy = optimise(opts, {"farmer": 100.0}, a)
    assert roomy.objective == pytest.approx(20_000)
    assert dict(zip(roomy.choice["segment"], roomy.choice["contacts_per_year"], strict=True)) == {"A": 4, "B": 4}
    tight = optimise(opts, {"farmer": 50.0}, a)
    assert tight.objective == pytest.approx(14_000)
    assert dict(zip(tight.choice["segment"], tight.choice["contacts_per_year"], strict=True)) == {"A": 2, "B": 2}
    # The team's own hours are paid for: a worked hour adds only its variable part (20 %: 10 an hour).
    #   A4 = 15,000 - 400 = 14,600   A2 = 10,000 - 200 = 9,800   B4 = 9,000 - 400 = 8,600   B2 = 6,000 - 200 = 5,800
    # With 50 h: A2 + B2 = 15,600 (A4 alone 14,600). With 90 h: A4 + B4 = 23,200.
    paid = optimise(opts, {"farmer": 50.0}, a, paid=True)
    assert paid.objective == pytest.approx(15_600)
    assert paid.choice["cost"].sum() == pytest.approx(2_000)  # the report still sees the full cost
    # A hire is not paid for yet: one more farmer of 40 h lifts the paid plan by 7,600 and costs the
    # rest of its hours, 80 % x 40 h x 50 = 1,600: worth 6,000 a year.
    hire = Assumptions(cost_per_hour=COST, frequency_options=(0, 2, 4), remote_hours=1.0, selling_hours_per_fte=40)
    assert marginal_fte_value(opts, {"farmer": 50.0}, hire)["farmer"] == pytest.approx(6_000)
    # A full farmer (1,000 h) for those 40 h of work would not earn its pay.
    assert marginal_fte_value(opts, {"farmer": 50.0}, a)["farmer"] == pytest.approx(7_600 - 40_000)


def test_a_paid_teams_idle_hours_give_a_worked_segment_its_playbook_frequency_where_full_cost_would_not():
    # One segment, 10 clients x 1 h, margin 40,000, playbook 12 a year, farmers with 1,000 h (idle otherwise).
    # Value .2 x 40,000 x (1 - .5 ** (f / 2)): 4,000 at 2, 6,000 at 4, 7,000 at 6, 7,875 at 12 (20, 40, 60, 120 h).
    # Full cost (50 an hour): nets 3,000, 4,000, 4,000, 1,875: 4 (the fewer hours of a tie).
    # Paid (10 an hour): nets 3,800, 5,600, 6,400, 6,675: 12, which also passes the break-even at full cost
    # (6,000 of 40,000 = 15 % <= 50 %).
    a = Assumptions(cost_per_hour=COST, frequency_options=(0, 2, 4, 6, 12), remote_hours=1.0)
    plan = _plan([("A", 1, 10, 0, "work", "farmer", 12, 1.0)])
    opts = options(plan, pd.Series({"A": 40_000.0}), a)
    full = optimise(opts, {"farmer": 1000.0}, a)
    paid = optimise(opts, {"farmer": 1000.0}, a, paid=True)
    assert full.choice["contacts_per_year"].tolist() == [4.0]
    assert paid.choice["contacts_per_year"].tolist() == [12.0]
    assert paid.objective == pytest.approx(7_875 - 1_200)
    # The break-even still holds at the full cost: at a margin of 10,000, 12 a year (60 %) is not offered.
    poor = optimise(options(plan, pd.Series({"A": 10_000.0}), a), {"farmer": 1000.0}, a, paid=True)
    assert poor.choice["contacts_per_year"].max() < 12


def test_idle_key_account_managers_stand_in_for_missing_farmers_before_anyone_waits():
    # No farmer at all; a KAM with 1,000 h. A (farmer's segment) needs 10 x 4 x 1 = 40 h, 50 h for a stand-in at .8.
    a = Assumptions(cost_per_hour=COST, frequency_options=(0, 4))
    plan = _plan([("A", 1, 10, 0, "work", "farmer", 4, 1.0)])
    opts = options(plan, pd.Series({"A": 100_000.0}), a)
    solution = optimise(opts, {"key_account_manager": 1000.0}, a)
    row = solution.choice.iloc[0]
    assert (row["worked_by"], row["contacts_per_year"], row["role_hours"]) == ("key_account_manager", 4, 50)
    assert solution.hours_by_role == {"key_account_manager": 50}


def test_a_team_larger_than_the_work_leaves_nobody_waiting_and_states_the_surplus():
    from workbench.allocation import team_position
    from workbench.allocation.workload import fte_by_role

    a = Assumptions(cost_per_hour=COST, frequency_options=(0, 4))
    plan = _plan([("A", 1, 10, 0, "work", "farmer", 4, 1.0)])
    opts = options(plan, pd.Series({"A": 100_000.0}), a)
    capacity = {"farmer": 3000.0}
    solution = optimise(opts, capacity, a)
    final = apply_solution(plan, solution, 1000)
    need = fte_by_role(final)
    team = pd.DataFrame({"manager_id": ["F1", "F2", "F3"], "role": ["farmer"] * 3, "capacity": [1.0, 1.0, 1.0]})
    hires = best_hires(opts, capacity, a, {"farmer": 1, "hunter": 1})
    position = team_position(need, solution.hours_by_role, hires, team, 1000).set_index("role")
    assert final.loc[0, "action"] == "work" and final.loc[0, "contacts_per_year"] == 4  # everyone worked
    assert position.loc["farmer", "fte_used"] == pytest.approx(0.04)
    assert position.loc["farmer", "fte_idle"] == pytest.approx(2.96)
    assert position.loc["farmer", "recommendation"] == "redeploy"  # a surplus is stated, never "hire"
    assert position.loc["hunter", "recommendation"] == "none"
    # Another farmer would add no work, only its pay beyond the variable part: 80 % x 1,000 h x 50.
    assert position.loc["farmer", "hire_fte"] == 1 and position.loc["farmer", "hire_value"] == pytest.approx(-40_000)


def test_hires_are_judged_as_a_block_because_a_segment_moves_a_whole_step():
    # B: 10 clients x 1 h, margin 1,000,000, options 0, 4, 12; the farmer has 40 h: B at 4.
    # A hire has 40 h. One is not enough for 12 (120 h): it adds nothing and costs 80 % x 40 x 50 = 1,600.
    # Two lift B to 12: value 200,000 x (.984375 - .75) = 46,875, minus 80 h x 10 variable, minus 3,200 of pay.
    # Three do the same work for 1,600 more pay.
    a = Assumptions(cost_per_hour=COST, frequency_options=(0, 4, 12), remote_hours=1.0, selling_hours_per_fte=40)
    plan = _plan([("B", 1, 10, 0, "work", "farmer", 12, 1.0)])
    opts = options(plan, pd.Series({"B": 1_000_000.0}), a)
    assert marginal_fte_value(opts, {"farmer": 40.0}, a)["farmer"] == pytest.approx(-1_600)
    best = best_hires(opts, {"farmer": 40.0}, a, {"farmer": 3})
    assert best["farmer"][0] == 2 and best["farmer"][1] == pytest.approx(46_875 - 800 - 3_200)
    assert hires_value(opts, {"farmer": 40.0}, a, "farmer", 2) == pytest.approx(best["farmer"][1])
    # With half the response to contact, the same two hires bring half the lift: 23,437.5 - 800 - 3,200.
    half = replace(a, response_share=a.response_share / 2)
    lower = options(plan, pd.Series({"B": 1_000_000.0}), half)
    assert hires_value(lower, {"farmer": 40.0}, half, "farmer", 2) == pytest.approx(23_437.5 - 800 - 3_200)


def test_a_cheaper_channel_comes_before_automation():
    # B: 100 clients, margin 100,000. Personal (1 h, cost 50): 1 contact costs 5,000 and brings
    # 100,000 x .2 x (1 - .5 ** .5) = 5,858 -> net 858; 2 contacts: 10,000 for 10,000 -> 0.
    # Remote (0.25 h at half the effect): 1 contact costs 1,250 and brings 2,929 -> 1,679;
    # 2 contacts 2,500 for 5,000 -> 2,500; so two remote contacts a year win.
    a = Assumptions(cost_per_hour=COST, frequency_options=(0, 1, 2), remote_hours=0.25, remote_effect=0.5)
    plan = _plan([("B", 1, 100, 0, "work", "farmer", 2, 1.0)])
    opts = options(plan, pd.Series({"B": 100_000.0}), a)
    best = optimise(opts, None, a).choice.iloc[0]
    assert (best["channel"], best["contacts_per_year"], best["hours_per_contact"]) == ("remote", 2, 0.25)
    assert best["net"] == pytest.approx(2_500)
    final = apply_solution(plan, optimise(opts, None, a), 1000).iloc[0]
    assert (final["action"], final["channel"], final["hours"], final["reason"]) == ("work", "remote", 50, "optimised")


def test_the_margin_contact_acts_on_is_next_years_forecast_without_the_key_accounts():
    from workbench.allocation import segment_base

    a = Assumptions(cost_per_hour=COST)
    clients = pd.DataFrame(
        {
            "client_id": ["k", "a", "b", "l"],
            "segment": ["A", "A", "B", "lost"],
            "status": ["active", "active", "active", "lost"],
            "key_account": [True, False, False, False],
            "margin": [300.0, 100.0, 50.0, 0.0],
            "revenue": [1000.0, 400.0, 200.0, 0.0],
            "margin_total": [900.0, 300.0, 100.0, 240.0],
            "revenue_total": [3000.0, 1200.0, 400.0, 800.0],
            "tenure_months": [36.0, 36.0, 36.0, 24.0],
        }
    )
    plan = _plan(
        [
            ("A", 1, 2, 1, "work", "farmer", 4, 1.0),
            ("B", 2, 1, 0, "work", "farmer", 4, 1.0),
            ("lost", 3, 1, 0, "work", "farmer", 2, 0.5),
        ]
    )
    current = segment_base(plan, clients, a)
    # A without its key account: 100; B: 50; lost: .15 x 3 years x 240 / 2 years = 54.
    assert current.tolist() == pytest.approx([100.0, 50.0, 54.0])
    # The forecast expects A 800 and B 40 next year: A's own share is 100 / 400 = 1/4 -> 200; B 40; lost unchanged.
    expected = pd.Series({"A": 800.0, "B": 40.0, "lost": 999.0})
    assert segment_base(plan, clients, a, expected).tolist() == pytest.approx([200.0, 40.0, 54.0])


def _idle_case(d_margin_per_client: float):
    from workbench.allocation.step import use_idle_hours

    a = Assumptions(cost_per_hour=COST, frequency_options=(0, 1, 2, 4), remote_hours=1.0)
    plan = _plan([("A", 1, 10, 0, "work", "farmer", 4, 1.0), ("D", 3, 100, 0, "automate", "automation", 4, 1.0)])
    playbooks = pd.DataFrame({"segment": ["A", "D"], "role": ["farmer", "farmer"]})
    clients = pd.DataFrame(
        {
            "client_id": [f"c{i}" for i in range(110)],
            "segment": ["A"] * 10 + ["D"] * 100,
            "status": "active",
            "margin": [10_000.0] * 10 + [d_margin_per_client] * 100,
            "revenue": 1.0,
            "margin_total": 1.0,
            "revenue_total": 1.0,
            "tenure_months": 24.0,
            "key_account": False,
        }
    )
    opts = options(plan, pd.Series({"A": 100_000.0, "D": 0.0}), a)
    now = optimise(opts, {"farmer": 1000.0}, a)
    return a, plan, playbooks, clients, opts, now, use_idle_hours


def test_idle_hours_work_an_automated_segment_where_contact_pays():
    # A takes 10 x 4 x 1 h = 40 h of the farmer's 1,000. D (automated by the tier rule): 100 clients,
    # margin 500,000: 4 contacts = 400 h, 75,000 - 20,000 = 55,000 > 2 (40,000) > 1 (24,289): D at 4.
    a, plan, playbooks, clients, opts, now, use_idle_hours = _idle_case(5_000.0)
    up, solution, rule, _ = use_idle_hours(plan, playbooks, now, {"farmer": 1000.0}, {}, clients, a)
    final = apply_solution(up, solution, 1000).set_index("segment")
    assert final.loc["D", "action"] == "work" and final.loc["D", "reason"] == "idle_capacity"
    assert final.loc["D", "contacts_per_year"] == 4 and final.loc["D", "hours"] == 400
    assert rule == {"rule": "idle_capacity", "segments": ["D"], "clients": 100, "hours": 400.0}
    assert solution.hours_by_role["farmer"] == pytest.approx(440)
    # With 200 h only 160 are left after A: one contact a year (100 h) is what fits.
    up, solution, _, _ = use_idle_hours(plan, playbooks, now, {"farmer": 200.0}, {}, clients, a)
    assert apply_solution(up, solution, 1000).set_index("segment").loc["D", "contacts_per_year"] == 1


def test_idle_hours_take_back_a_segment_the_lowest_tier_rule_stopped_but_not_the_consultants_stop():
    # The same D, stopped instead of automated: the lowest-tier rule stops it to free people, and the people
    # are idle, so the hours already paid for work it where that pays (4 contacts, as automated above).
    a, plan, playbooks, clients, opts, now, use_idle_hours = _idle_case(5_000.0)
    stopped = plan.assign(action=plan["action"].replace({"automate": "stop"}), role=["farmer", "none"])
    up, solution, rule, _ = use_idle_hours(stopped, playbooks, now, {"farmer": 1000.0}, {}, clients, a, stopped={"D"})
    final = apply_solution(up, solution, 1000).set_index("segment")
    assert final.loc["D", "action"] == "work" and final.loc["D", "reason"] == "idle_capacity"
    assert final.loc["D", "contacts_per_year"] == 4
    assert rule == {"rule": "idle_capacity", "segments": ["D"], "clients": 100, "hours": 400.0}
    # A segment the consultant stopped (allocation.stop_segments) stays stopped, idle hours or not.
    kept, _, rule, _ = use_idle_hours(stopped, playbooks, now, {"farmer": 1000.0}, {}, clients, a)
    assert rule is None and kept.set_index("segment").loc["D", "action"] == "stop"


def test_idle_hours_leave_a_segment_automated_when_contact_does_not_pay_and_name_the_next_use():
    from workbench.allocation.step import next_best_use

    # D's margin 15,000. The farmer's idle hours are paid for, so a contact costs only its variable part
    # (20 % of 50 an hour): 1 contact brings 879 for 1,000, 2 bring 1,500 for 2,000, 4 bring 2,250 for 4,000:
    # nothing pays even so (and 4 would fail the break-even at full cost: 20,000 of 15,000).
    a, plan, playbooks, clients, opts, now, use_idle_hours = _idle_case(150.0)
    up, solution, rule, extra = use_idle_hours(plan, playbooks, now, {"farmer": 1000.0}, {}, clients, a)
    assert rule is None and up["action"].tolist() == ["work", "automate"]
    best = next_best_use(pd.concat([opts, extra], ignore_index=True), solution.choice)
    # A is at its playbook's maximum; the biggest step up is D at four contacts: +2,250 for 20,000 at full cost.
    assert best["segment"] == "D" and best["contacts_per_year"] == 4
    assert best["extra_value"] == pytest.approx(15_000 * 0.2 * 0.75)
    assert best["extra_cost"] == pytest.approx(20_000) and best["extra_hours"] == pytest.approx(400)


def test_paid_idle_hours_take_up_an_automated_segment_that_full_cost_would_leave():
    # D's margin 50,000: 1 contact brings 2,929 for 5,000 at full cost (it would not pay a hire) but for
    # 1,000 of variable cost on hours already paid: the idle farmer works it; 2 bring 5,000 for 2,000,
    # 4 bring 7,500 for 4,000 (40 % of the margin at full cost: affordable). 4 nets most: 3,500.
    a, plan, playbooks, clients, opts, now, use_idle_hours = _idle_case(500.0)
    up, solution, rule, _ = use_idle_hours(plan, playbooks, now, {"farmer": 1000.0}, {}, clients, a)
    assert rule == {"rule": "idle_capacity", "segments": ["D"], "clients": 100, "hours": 400.0}
    assert apply_solution(up, solution, 1000).set_index("segment").loc["D", "contacts_per_year"] == 4


def test_a_segment_is_shared_between_its_role_and_an_idle_stand_in():
    # B: 10 clients x 1 h; 12 contacts = 120 h, worth 1,000,000 x .2 x (1 - .5 ** 6) - 120 x 50 = 190,875.
    # The farmer has 100 h: alone, B could get 4 contacts (40 h) at most within a whole-segment choice.
    # An idle hunter stands in for the other 20 h at 80 %: 25 of its hours. So B gets its 12.
    a = Assumptions(cost_per_hour=COST, frequency_options=(0, 4, 12), remote_hours=1.0)
    plan = _plan([("B", 1, 10, 0, "work", "farmer", 12, 1.0)])
    opts = options(plan, pd.Series({"B": 1_000_000.0}), a)
    sol = optimise(opts, {"farmer": 100.0, "hunter": 100.0}, a)
    assert sol.choice.loc[0, "contacts_per_year"] == 12
    assert sol.hours_by_role == pytest.approx({"farmer": 100.0, "hunter": 25.0})
    split = sol.split.set_index("worked_by")
    assert split.loc["farmer", "share"] == pytest.approx(100 / 120) and split.loc["hunter", "share"] == pytest.approx(
        20 / 120
    )
    assert sol.choice.loc[0, "worked_by"] == "farmer" and sol.choice.loc[0, "role_hours"] == pytest.approx(125)
    # Without the hunter, the farmer's 100 h give 4 contacts (40 h), not 12.
    alone = optimise(opts, {"farmer": 100.0}, a)
    assert alone.choice.loc[0, "contacts_per_year"] == 4 and alone.hours_by_role == pytest.approx({"farmer": 40.0})


def test_only_the_hires_that_pay_at_half_the_response_are_recommended_the_rest_wait_for_a_pilot():
    from workbench.allocation.economics import best_hires, hires_value, segment_base
    from workbench.allocation.step import pilot_design, robust_hires

    # S: 1,000 clients, margin 3.6m, 1 h a contact; no farmer today. k hires give k x 1,000 h: 1 contact
    # a year at 1 hire, 2 at 2 (and 3), 4 at 4. Each hire costs 50,000 in all.
    # Assumed response (20 %): 1 -> 210.9k - 50k, 2 -> 360k - 100k, 3 -> 360k - 150k, 4 -> 540k - 200k = 340k.
    # Half (10 %): 1 -> 55.4k, 2 -> 80k, 3 -> 30k, 4 -> 70k: two hires pay most there; two more only as assumed.
    a = Assumptions(cost_per_hour=COST, frequency_options=(0, 1, 2, 4), remote_hours=1.0)
    plan = _plan([("S", 1, 1000, 0, "work", "farmer", 4, 1.0)])
    clients = pd.DataFrame(
        {
            "client_id": [f"c{i}" for i in range(1000)],
            "segment": "S",
            "status": "active",
            "margin": 3600.0,
            "revenue": 1.0,
            "margin_total": 1.0,
            "revenue_total": 1.0,
            "tenure_months": 24.0,
            "key_account": False,
        }
    )
    opts = options(plan, segment_base(plan, clients, a), a)
    hires = best_hires(opts, {}, a, {"farmer": 4}, {})
    assert hires["farmer"][0] == 4 and hires["farmer"][1] == pytest.approx(340_000)
    base = optimise(opts, {}, a, {}, paid=True).objective
    chosen, sensitivity = robust_hires(opts, base, plan, clients, None, hires, {}, a, {})
    assert chosen["farmer"] == (2, pytest.approx(260_000))
    assert sensitivity["response_share"] == pytest.approx(0.1)
    assert sensitivity["roles"] == {"farmer": pytest.approx(80_000)}
    assert sensitivity["pilot"] == {"farmer": {"fte": 2, "value": pytest.approx(80_000)}}
    # Hires that bring a head of sales (from the second on, 60k a year) are judged with that cost:
    # at half the response 1 -> 55.4k, 2 -> 80k - 60k, 4 -> 70k - 60k: one hire; three more wait for a pilot,
    # worth 340k - 60k - 160.9k as assumed.
    led, led_sens = robust_hires(
        opts, base, plan, clients, None, hires, {}, a, {}, heads_cost=lambda n: 60_000.0 if n >= 2 else 0.0
    )
    one = hires_value(opts, {}, a, "farmer", 1, {}, base)
    assert led["farmer"] == (1, pytest.approx(one)) and one == pytest.approx(160_900, rel=1e-3)
    assert led_sens["pilot"] == {"farmer": {"fte": 3, "value": pytest.approx(340_000 - 60_000 - one)}}
    assert led_sens["heads_cost"] == {}  # the one recommended hire brings no head
    # The pilot of the two further hires: S from 2 to 4 contacts a year on half its clients for 6 months.
    # They add 180k of margin before their 100k cost: they pay from 100/180 of the assumed uplift,
    # which is 20 % x (response(4) - response(2)) = 20 % x (0.75 - 0.5) = 5 % of the margin.
    test = pilot_design(opts, {}, a, {}, "farmer", 2, 2, 80_000.0, months=6)
    assert (test["segment"], test["from"], test["to"], test["further"]) == ("S", 2.0, 4.0, 2)
    assert test["test_clients"] == 500 and test["hours"] == 500  # 500 clients x 2 more contacts x 1 h, half a year
    assert test["expected"] == pytest.approx(0.05)
    assert test["needed"] == pytest.approx(0.05 * 100 / 180)
    # One seller's hours bound the test group: with 4 h a contact, 1,000 h / (2 x 4 h) = 125 clients.
    slow = _plan([("S", 1, 1000, 0, "work", "farmer", 4, 4.0)])
    slow_opts = options(slow, segment_base(slow, clients, a), a)
    slow_test = pilot_design(slow_opts, {}, a, {}, "farmer", 8, 8, 0.0)
    assert slow_test is None or slow_test["test_clients"] <= 125
    # Where no hire pays even at the assumed response, nothing changes and nothing is left to a pilot.
    poor = clients.assign(margin=100.0)
    opts = options(plan, segment_base(plan, poor, a), a)
    none = best_hires(opts, {}, a, {"farmer": 4}, {})
    assert robust_hires(opts, 0.0, plan, poor, None, none, {}, a, {}) == (none, {})


def test_the_heads_of_sales_hires_bring_are_costed_beyond_those_the_team_has():
    from workbench.allocation.step import heads_cost_of

    team = pd.DataFrame({"role": ["head_of_sales"] + ["farmer"] * 6, "capacity": 1.0})
    cost = heads_cost_of(team, 100.0, max_reports_per_head=7, split_departments_at=10)
    # 7 sellers fit one head; 8 need a second (span 7), 14 split into two departments, 15 need a third.
    assert [cost(n) for n in (0, 1, 2, 8, 9)] == [0.0, 0.0, 100.0, 100.0, 200.0]
    # A team that already has two heads pays for none until a third is needed.
    two = pd.concat([team, team.iloc[[0]]], ignore_index=True)
    assert heads_cost_of(two, 100.0)(8) == 0.0 and heads_cost_of(two, 100.0)(9) == 100.0


def test_the_segments_the_method_would_automate_compete_for_the_hours_and_stay_worked_where_contact_pays():
    from workbench.allocation.step import apply_solution, offer_automated, settle_automated

    # A: 10 clients, margin 1m; L (the rule automated it): 100 lost clients, margin base 500k; F: poor, 100 clients.
    # One farmer with 250 h. L at 2 contacts x 1 h = 200 h brings 500k x .2 x .5 = 50k; A at 12 x 1 h = 120 h.
    # Both fit only at lower frequencies: the optimiser weighs them; L's 2 contacts pay, so L is worked.
    a = Assumptions(cost_per_hour=COST, frequency_options=(0, 1, 2, 4, 12), remote_hours=1.0)
    plan = _plan(
        [
            ("A", 1, 10, 0, "work", "farmer", 12, 1.0),
            ("L", 3, 100, 0, "automate", "automation", 2, 1.0),
            ("F", 2, 100, 0, "work", "farmer", 4, 1.0),
        ]
    )
    playbooks = pd.DataFrame({"segment": ["A", "L", "F"], "role": ["farmer", "none", "farmer"]})
    offered, by_rule = offer_automated(plan, playbooks)
    assert by_rule == {"L"}
    assert offered.set_index("segment").loc["L", ["action", "role"]].tolist() == ["work", "farmer"]
    opts = options(offered, pd.Series({"A": 1_000_000.0, "L": 500_000.0, "F": 1_000.0}), a)
    solved = optimise(opts, {"farmer": 250.0}, a, paid=True)
    final = apply_solution(offered, solved, 1000)
    rules = [{"rule": "automate_low_priority", "segments": ["L"], "clients": 100, "hours": 200.0}]
    settled, kept = settle_automated(final, rules, by_rule, solved.choice, opts)
    by = settled.set_index("segment")
    assert by.loc["L", "action"] == "work" and by.loc["L", "reason"] == "contact_pays"
    assert [r["rule"] for r in kept] == ["contact_pays"]  # the automation rule no longer lists L
    assert kept[0]["clients"] == 100 and kept[0]["value"] == pytest.approx(
        solved.choice.set_index("segment").loc["L", "value"]
    )
    # F's contact loses money at any frequency: automated by the optimiser, for the cost ("optimised").
    assert by.loc["F", "action"] == "automate" and by.loc["F", "reason"] == "optimised"
    # With no hours at all for L, it stays automated under the method's rule, which keeps its playbook hours.
    tight = optimise(opts, {"farmer": 120.0}, a, paid=True)
    final = apply_solution(offered, tight, 1000)
    settled, kept = settle_automated(final, rules, by_rule, tight.choice, opts)
    assert settled.set_index("segment").loc["L", "action"] == "automate"
    assert settled.set_index("segment").loc["L", "reason"] == ""
    assert kept == [{"rule": "automate_low_priority", "segments": ["L"], "clients": 100, "hours": 200.0}]
    # A segment the optimiser leaves out although its contact pays at full cost is automated for the hours.
    settled, _ = settle_automated(final, [], set(), tight.choice, opts)
    assert settled.set_index("segment").loc["L", "reason"] == "capacity"
    assert settled.set_index("segment").loc["F", "reason"] == "optimised"
    # Settling again (a second pass over idle hours) says the rule once.
    twice, again = settle_automated(final, kept, by_rule, tight.choice, opts)
    assert [r["rule"] for r in again].count("automate_low_priority") == 1
    assert not [r for r in again if r["rule"] == "contact_pays"]
    worked_final = apply_solution(offered, solved, 1000)
    _, once = settle_automated(worked_final, rules, by_rule, solved.choice, opts)
    _, twice_rules = settle_automated(worked_final, once, by_rule, solved.choice, opts)
    assert [r["rule"] for r in twice_rules] == ["contact_pays"]
