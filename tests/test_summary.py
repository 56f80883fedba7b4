"""Page 1's forecast sentence: said only when the forecast is untested or weak."""

from workbench.report.i18n import Translator
from workbench.report.summary import forecast_warning

T = Translator("en", "GBP")
CEILING = {"top_share": 0.80, "total_ratio": 1.0}


def test_a_good_forecast_is_not_mentioned_on_page_one():
    info = {"backtested": True, "chosen": "naive", "reason_params": {}}
    good = {"naive": {"top_share": 0.74, "total_ratio": 1.1}, "perfect_foresight": CEILING}
    assert forecast_warning(info, good, T) == []


def test_a_weak_or_untested_forecast_is_said_with_its_numbers():
    info = {"backtested": True, "chosen": "naive", "reason_params": {}}
    off = {"naive": {"top_share": 0.74, "total_ratio": 1.4}, "perfect_foresight": CEILING}  # total 40 % off
    assert "total off by 40%" in forecast_warning(info, off, T)[0]
    blunt = {"naive": {"top_share": 0.56, "total_ratio": 1.0}, "perfect_foresight": CEILING}  # 0.56 / 0.80 = 70 %
    assert "ranking at 70% of perfect foresight" in forecast_warning(info, blunt, T)[0]
    untested = {"backtested": False, "chosen": "naive", "reason_params": {"history_months": 9, "required_months": 15}}
    assert "covers 9 months and a backtest needs 15" in forecast_warning(untested, {}, T)[0]


def test_c_loses_its_growth_label_when_last_year_does_not_bear_it_out(tmp_path):
    from workbench import artifacts
    from workbench.report.summary import run_translator

    artifacts.save(tmp_path, "grouping", info={"growth_check": {"confirmed": False}})
    t = run_translator(tmp_path, "en", "RUB")
    assert "growth not confirmed" in t.label("segments", "C")
    artifacts.save(tmp_path, "grouping", info={"growth_check": {"confirmed": True}})
    assert run_translator(tmp_path, "en", "RUB").label("segments", "C") == "C — growth potential"


def test_page_one_names_the_lowest_tier_automated_by_rule_only_when_it_holds_clients_that_matter():
    import pandas as pd

    from workbench.report.summary import decisions

    def seg(code, clients, action="work", reason=""):
        row = {"segment": code, "tier": 1, "action": action, "reason": reason, "clients": clients}
        return row | {"margin": None, "revenue": 1.0}

    criteria = pd.DataFrame({"status": ["active"], "revenue": [1.0], "margin": [None]})
    settings = {"max_reports_per_head": 7}
    one_lost = [seg("A", 90), seg("lost", 1, "automate")]  # Northwind: 1 of 91 clients, fewer than 5
    assert not any("automation" in d for d in decisions(one_lost, [], criteria, {}, None, settings, T))
    many = [seg("A", 90), seg("lost", 10, "automate")]  # 10 of 100
    said = [d for d in decisions(many, [], criteria, {}, None, settings, T) if "automation" in d]
    assert len(said) == 1 and "(10 clients)" in said[0]


def test_without_a_team_page_one_gives_the_workload_not_a_hiring_plan():
    import pandas as pd

    from workbench.report.summary import decisions

    roles = [
        {"role": "head_of_sales", "needed_fte": 1.0, "available_fte": None, "recommendation": "hire"},
        {"role": "farmer", "needed_fte": 2.556, "available_fte": None, "recommendation": "hire"},
    ]
    criteria = pd.DataFrame({"status": ["active"], "revenue": [1.0], "margin": [None]})
    settings = {"max_reports_per_head": 7, "selling_hours_per_fte": 1000}
    # The hours are the plan table's (A: 852 clients x 6 x 0.5 h), not FTE rounded back to hours.
    segments = [
        {
            "segment": "A",
            "tier": 1,
            "action": "work",
            "reason": "",
            "clients": 852,
            "margin": None,
            "revenue": 1.0,
            "workload_hours": 2556.0,
        },
        {
            "segment": "B",
            "tier": 1,
            "action": "automate",
            "reason": "optimised",
            "clients": 10,
            "margin": None,
            "revenue": 1.0,
            "workload_hours": 0.0,
        },
    ]
    (team,) = [d for d in decisions(segments, roles, criteria, {}, None, settings, T) if d.startswith("Workload")]
    assert "2,556 hours a year of client contact, about 2.6 FTE account manager (farmer)" in team
    assert "head of sales" not in team.lower() and "check who does this work today" in team


def test_a_hire_is_said_with_its_result_at_half_the_assumed_response():
    import pandas as pd

    from workbench.report.summary import decisions

    roles = [
        {
            "role": "farmer",
            "needed_fte": 13.2,
            "available_fte": 8.0,
            "idle_fte": 0.0,
            "hire_fte": 3,
            "hire_value": 2.7e6,
            "recommendation": "hire",
        },
    ]
    criteria = pd.DataFrame({"status": ["active"], "revenue": [1.0], "margin": [None]})
    settings = {
        "max_reports_per_head": 7,
        "response_share": 0.2,
        "hires_sensitivity": {"response_share": 0.1, "roles": {"farmer": -1.1e6}},
    }
    (team,) = [d for d in decisions([], roles, criteria, {}, None, settings, T) if d.startswith("Team:")]
    assert "hire 3 people for the role of account manager (farmer), whose work adds £2.7m" in team
    assert "half the assumed response to contact, 10% instead of 20%, the result would be −£1.1m" in team


def test_an_idle_team_is_told_the_hours_the_plan_uses_and_a_use_for_the_rest():
    import pandas as pd

    from workbench.report.summary import decisions

    roles = [
        {
            "role": "farmer",
            "needed_fte": 0.2,
            "available_fte": 6.0,
            "used_fte": 0.7,
            "idle_fte": 5.3,
            "hire_fte": None,
            "hire_value": -1.0,
            "recommendation": "redeploy",
        },
        {
            "role": "closer",
            "needed_fte": 0.0,
            "available_fte": 1.0,
            "used_fte": 0.0,
            "idle_fte": 1.0,
            "hire_fte": None,
            "hire_value": -1.0,
            "recommendation": "redeploy",
        },
    ]
    criteria = pd.DataFrame(
        {"status": ["active", "potential", "potential"], "revenue": [1.0, 0, 0], "margin": [None] * 3}
    )
    settings = {
        "max_reports_per_head": 7,
        "selling_hours_per_fte": 1000,
        "cost_per_hour": {"farmer": 45.0, "closer": 50.0},
        "variable_cost_share": 0.2,
        "next_best_use": {
            "segment": "lost",
            "contacts_per_year": 2,
            "channel": "personal",
            "extra_value": 0.63,
            "extra_cost": 45.0,
        },
    }
    (team,) = [d for d in decisions([], roles, criteria, {}, None, settings, T) if d.startswith("Team:")]
    assert "the plan uses 700 of the team's 7,000 hours of client contact a year" in team
    # The team's size with its arithmetic: 7,000 h at the hourly cost against the margin (none here: 0).
    assert "the sellers' time costs" in team
    assert "finding new clients (the data holds 2 potential clients who have never bought)" in team
    assert "0.63" not in team  # a trivial next step is no reason on page 1
    # Once the plan works the data's prospects, the idle time goes to clients beyond the data, not to them.
    worked = [
        {"segment": "potential", "action": "work", "tier": 3, "clients": 2, "reason": "idle_hours", "margin": None},
        {"segment": "A", "action": "work", "tier": 1, "clients": 1, "reason": "", "margin": 200_000.0},
    ]
    (team,) = [d for d in decisions(worked, roles, criteria, {}, None, settings, T) if d.startswith("Team:")]
    assert "the potential clients the data holds are in the plan already" in team
    assert "finding new clients beyond the data" in team and "the data holds 2" not in team
    # 6 farmers x 1,000 h x 45 + 1 closer x 1,000 h x 50 = 320k a year, against the segments' 200k margin.
    assert "the sellers' time costs £320k a year, against a margin of £200k" in team


def test_an_idle_team_is_told_how_many_new_clients_would_pay_for_its_time():
    import pandas as pd

    from workbench.report.summary import decisions, redeploy_break_even

    roles = [
        {"role": "farmer", "available_fte": 6.0, "used_fte": 0.7, "idle_fte": 5.3, "needed_fte": 0.2},
        {"role": "closer", "available_fte": 1.0, "used_fte": 0.0, "idle_fte": 1.0, "needed_fte": 0.0},
    ]
    roles = [{**r, "hire_fte": None, "hire_value": -1.0, "recommendation": "redeploy"} for r in roles]
    # No cost in the data: the typical (median) active client's margin is its revenue at the assumed 25 %.
    criteria = pd.DataFrame(
        {"status": ["active"] * 3 + ["potential"], "revenue": [4000.0, 4800.0, 3200.0, 0.0], "margin": [None] * 4}
    )
    settings = {
        "max_reports_per_head": 7,
        "selling_hours_per_fte": 1000,
        "cost_per_hour": {"farmer": 45.0, "closer": 50.0},
        "variable_cost_share": 0.2,
        "assumed_margin_pct": 0.25,
        "new_client_years": 3.0,
        "conversion_rate": 0.05,
        "next_best_use": {"segment": "lost", "extra_value": 0.63, "extra_cost": 45.0},
    }
    # Idle: 5.3 x 1,000 h x 45 + 1 x 1,000 h x 50 = 288,500 a year; a client won brings 1,000 x 3 years,
    # so 97 wins a year (rounded up), and at 5 % won, 1,940 prospects reached.
    even = redeploy_break_even(288_500.0, criteria, settings)
    assert even == {"wins": 97, "reach": 1940, "active": 3, "client_margin": 1000.0, "years": 3, "conversion": 0.05}
    assert redeploy_break_even(0.0, criteria, settings) is None  # nothing idle, nothing to pay for
    (team,) = [d for d in decisions([], roles, criteria, {}, None, settings, T) if d.startswith("Team:")]
    assert "That idle time costs £288k a year" in team
    assert "if it wins 97 new clients a year (the company has 3 active clients today)" in team
    assert "reaching 1,940 prospects a year" in team
    assert "reduce the team to the 1 seller the plan's hours need" in team
    assert "at an assumed 25% of revenue" in team  # the margin is an assumption, and said so


def test_page_one_says_the_largest_clients_owners_and_the_hires_left_to_a_pilot():
    import pandas as pd

    from workbench.report.summary import decisions

    criteria = pd.DataFrame({"status": ["active"], "revenue": [1.0], "margin": [None]})
    segments = [
        {"segment": "A", "tier": 1, "action": "work", "reason": "", "clients": 90, "margin": None, "revenue": 1.0}
    ]
    review = {"clients": 10, "segments": ["E"], "share": 0.2, "contacts": 2.0}
    winback = {"clients": 9, "segments": ["lost"], "share": 0.2, "contacts": 2.0}
    base = {"max_reports_per_head": 7, "response_share": 0.2}
    both = decisions(segments, [], criteria, {}, None, base | {"review": review, "winback": winback}, T)
    (owners,) = [d for d in both if d.startswith("Largest clients")]
    assert "10 clients of the top 20% by revenue in segments sellers do not work (E)" in owners
    assert "9 lost clients that bought as much a year before leaving" in owners
    alone = decisions(segments, [], criteria, {}, None, base | {"winback": winback}, T)
    assert any(d.startswith("Former large clients are won back in person: 9 lost clients") for d in alone)
    assert not any(d.startswith(("Largest", "Former")) for d in decisions(segments, [], criteria, {}, None, base, T))
    roles = [{"role": "farmer", "needed_fte": 9.0, "available_fte": 5.0, "recommendation": "keep", "idle_fte": 0.0}]
    pilot = {"response_share": 0.1, "roles": {}, "pilot": {"farmer": {"fte": 4, "value": 3_200_000.0}}}
    (said,) = [
        d
        for d in decisions(segments, roles, criteria, {}, None, base | {"hires_sensitivity": pilot}, T)
        if "pilot" in d
    ]
    assert "only if contact moves margin as assumed (20%), not at 10%: 4 people for the role of account manager" in said
    # Hires that need another head of sales say that the head's cost is in their value.
    hiring = [dict(roles[0], recommendation="hire", hire_fte=2, hire_value=1_000_000.0)]
    led = {"response_share": 0.1, "roles": {"farmer": 400_000.0}, "pilot": {}, "heads_cost": {"farmer": 3_500_000.0}}
    said = decisions(segments, hiring, criteria, {}, None, base | {"hires_sensitivity": led}, T)
    (heads,) = [d for d in said if "heads of sales the larger team needs" in d]
    assert "3.5m" in heads
    assert not any(
        "heads of sales the larger team needs" in d
        for d in decisions(segments, hiring, criteria, {}, None, base | {"hires_sensitivity": pilot}, T)
    )


def test_an_automated_segment_is_counted_without_its_largest_clients_who_have_an_owner():
    import pandas as pd

    from workbench.report.summary import decisions

    segments = [
        {"segment": "A", "tier": 1, "action": "work", "clients": 10, "margin": 100.0, "revenue": 400.0, "reason": ""},
        {
            "segment": "potential",
            "tier": 3,
            "action": "automate",
            "clients": 20,
            "margin": 0.0,
            "revenue": 0.0,
            "reason": "capacity",
        },
    ]
    call_plan = pd.DataFrame(
        {
            "client_id": [f"p{i}" for i in range(20)],
            "segment": ["potential"] * 20,
            "manager_id": ["H1", "H1"] + [None] * 18,
            "review": [True, True] + [False] * 18,
            "action": ["work", "work"] + ["automate"] * 18,
            "status": ["assigned", "assigned"] + ["automate"] * 18,
        }
    )
    settings = {"prospects": {"clients": 2, "share": 0.1, "contacts": 2.0}}
    out = decisions(segments, [], pd.DataFrame({"status": ["active"]}), {}, call_plan, settings, T)
    (auto,) = [d for d in out if d.startswith("Serve")]
    assert "(18 clients)" in auto  # 20 less the 2 with a hunter
    (visit,) = [d for d in out if d.startswith("The largest prospects")]
    assert "2 clients with the largest potential of their own" in visit and "2 contacts a year in person" in visit
