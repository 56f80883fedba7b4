"""The six steps' run functions chained without notebooks, for every goal and grouping method."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")

from workbench import STEPS, allocation, criteria, demo, goal, grouping, playbooks, priorities  # noqa: E402
from workbench.config import parse_config  # noqa: E402
from workbench.engagement import save_intake  # noqa: E402
from workbench.intake import load_tables  # noqa: E402
from workbench.paths import TEMPLATES  # noqa: E402
from workbench.report.narrative import ClientReport  # noqa: E402


@pytest.fixture(scope="module")
def intake_run(tmp_path_factory):
    import yaml

    base = tmp_path_factory.mktemp("pipeline")
    demo.generate(base / "data", n_clients=300, seed=11)
    config = parse_config(yaml.safe_load((TEMPLATES / "engagement.yaml").read_text(encoding="utf-8")))
    intake = load_tables(config, base)
    save_intake(base / "run", config, intake)
    return base / "run"


def _copy(run_dir, tmp_path):
    import shutil

    shutil.copytree(run_dir, tmp_path / "run")
    return tmp_path / "run"


@pytest.mark.parametrize(
    "goal_name, params",
    [
        ("grow_margin_key_clients", {}),
        ("cross_sell_new_line", {"new_product_line": "Smart sensors"}),
        ("acquire_smb", {}),
        ("custom", {"goal_weights": {"headroom_share": 1.0}}),
    ],
)
@pytest.mark.parametrize("method", ["abcde", "kmeans"])
def test_every_goal_and_method_reaches_a_report(intake_run, tmp_path, goal_name, params, method):
    import matplotlib.pyplot as plt

    run_dir = _copy(intake_run, tmp_path)
    g = goal.run_step(run_dir, goal_name, params.get("goal_weights"), params.get("new_product_line"))
    assert sum(g["goal"].weights.values()) == pytest.approx(1.0)
    table = criteria.run_step(run_dir)["criteria"]
    seg = grouping.run_step(
        run_dir, method=method, n_clusters=4, features=["revenue", "margin", "frequency", "recency_days"]
    )["segments"]
    assert len(seg) == len(table) and seg["segment"].notna().all()
    ranked = priorities.run_step(run_dir)["priorities"]
    assert ranked["tier"].min() == 1 and ranked["tier"].is_monotonic_increasing
    book = playbooks.run_step(run_dir)["playbooks"]
    assert set(book["segment"]) == set(ranked["segment"])
    plan = allocation.run_step(run_dir)["plan"]
    assert (plan["fte"] >= 0).all()

    out: list = []
    report = ClientReport(run_dir, "en", sink=out.append)
    for section in ("cover", *STEPS, "appendix"):
        getattr(report, section)()
    plt.close("all")
    html = "".join(o for o in out if isinstance(o, str))
    assert re.findall(r'<h2 id="step-(\w+)"', html) == list(STEPS)
    assert sum(not isinstance(o, str) for o in out) >= 6  # the charts


@pytest.fixture(scope="module")
def finished_run(intake_run, tmp_path_factory):
    """The six steps once, with their defaults, for the report tests below."""
    run_dir = _copy(intake_run, tmp_path_factory.mktemp("finished"))
    goal.run_step(run_dir, "grow_margin_key_clients")
    criteria.run_step(run_dir)
    grouping.run_step(run_dir)
    priorities.run_step(run_dir)
    playbooks.run_step(run_dir)
    allocation.run_step(run_dir)
    return run_dir


def test_cover_carries_firm_logo_and_brand_colour(finished_run, tmp_path):
    import matplotlib.pyplot as plt

    run_dir = finished_run
    logo = tmp_path / "logo.png"
    plt.figure(figsize=(1, 1)).savefig(logo)
    plt.close("all")
    out: list = []
    ClientReport(
        run_dir,
        "en",
        company="<Acme & Co>",
        consultant="Ann Lee",
        sink=out.append,
        firm="Lee Partners",
        logo=str(logo),
        brand_colour="#7a1f1f",
    ).cover()
    html = "".join(o for o in out if isinstance(o, str))
    assert "<style>:root { --accent: #7a1f1f; }</style>" in html
    assert 'src="data:image/png;base64,' in html  # embedded: the report stays one file
    assert "Prepared by Ann Lee, Lee Partners." in html and "&lt;Acme &amp; Co&gt;" in html
    # A colour that is not #RRGGBB never reaches the CSS.
    out.clear()
    ClientReport(run_dir, "en", sink=out.append, brand_colour="red;} body{display:none").cover()
    assert "<style>" not in "".join(o for o in out if isinstance(o, str))


def test_cover_settings_are_checked():
    import yaml

    from workbench.config import ConfigError, parse_config
    from workbench.engagement import _logo_path
    from workbench.paths import TEMPLATES

    raw = yaml.safe_load((TEMPLATES / "engagement.yaml").read_text(encoding="utf-8"))
    raw["engagement"]["brand_colour"] = "blue"
    with pytest.raises(ConfigError, match="brand_colour"):
        parse_config(raw)
    with pytest.raises(ConfigError, match="engagement.logo: .*not found"):
        _logo_path("missing.png", Path("/tmp/eng/runs/1"))
    with pytest.raises(ConfigError, match="expected a .png"):
        _logo_path("logo.gif", Path("/tmp/eng/runs/1"))


def test_chapter_titles_state_findings_not_step_names(finished_run):
    import matplotlib.pyplot as plt

    from workbench.report.i18n import Translator

    run_dir = finished_run
    for language in ("en", "ru"):
        t = Translator(language)
        report = ClientReport(run_dir, language, sink=lambda _: None)
        titles = {step: report.headline(step) for step in STEPS}
        plt.close("all")
        for step, title in titles.items():
            assert title != t(f"{step}.title") and t(f"{step}.title") not in title, (language, step, title)
        assert len(set(titles.values())) == len(STEPS)
        assert any(ch.isdigit() for ch in titles["goal"] + titles["grouping"])  # findings carry their numbers


def test_cards_of_automated_and_stopped_segments_name_no_seller_work(finished_run, tmp_path):
    from workbench import artifacts
    from workbench.report import summary
    from workbench.report.i18n import Translator

    run_dir = _copy(finished_run, tmp_path)
    plan = artifacts.load(run_dir, "allocation", "plan")
    template = artifacts.load(run_dir, "playbooks", "playbooks").set_index("segment")
    worked, automated, stopped = plan["segment"].iloc[0], plan["segment"].iloc[1], plan["segment"].iloc[2]
    plan.loc[plan["segment"] == worked, ["action", "channel"]] = ["work", "personal"]
    plan.loc[plan["segment"] == automated, "action"] = "automate"
    plan.loc[plan["segment"] == stopped, "action"] = "stop"
    artifacts.save(run_dir, "allocation", plan=plan)
    t = Translator("en")
    cards = summary.playbooks(run_dir, t).set_index("segment")
    assert cards.loc[automated, "channel"] == t("playbooks.automate_channel")
    assert cards.loc[automated, "resources"] == t("playbooks.automate_resources")
    assert cards.loc[stopped, "contact_person"] == t("playbooks.stop_contact_person")
    # A worked segment keeps its template's channel, whom to contact and resources.
    for field in ("channel", "contact_person", "resources"):
        assert cards.loc[worked, field] == template.loc[worked, field], field


def test_a_card_whose_plan_differs_from_its_standard_says_both(finished_run, tmp_path):
    """The card goes into the CRM as the segment's standard: this year's frequency is said beside it."""
    from workbench import artifacts

    run_dir = _copy(finished_run, tmp_path)
    plan = artifacts.load(run_dir, "allocation", "plan")
    template = artifacts.load(run_dir, "playbooks", "playbooks").set_index("segment")
    seg = plan["segment"].iloc[0]
    standard = template.loc[seg, "contacts_per_year"]
    plan.loc[plan["segment"] == seg, ["action", "contacts_per_year"]] = ["work", standard + 1]
    artifacts.save(run_dir, "allocation", plan=plan)
    out: list = []
    ClientReport(run_dir, "en", sink=out.append).playbooks()
    html = "".join(o for o in out if isinstance(o, str))
    n = int(standard)
    first = re.findall(r"Contact frequency</td>\s*<td>([^<]*)", html)[0]  # the cards in the plan's order
    assert (
        first.startswith(f"{n + 1} contacts a year")
        and f"in this plan; the segment's standard is {n} contacts" in first
    )
    # Where the plan keeps the standard, the card says it once.
    plan.loc[plan["segment"] == seg, "contacts_per_year"] = standard
    artifacts.save(run_dir, "allocation", plan=plan)
    again: list = []
    ClientReport(run_dir, "en", sink=again.append).playbooks()
    html = "".join(o for o in again if isinstance(o, str))
    assert "in this plan" not in re.findall(r"Contact frequency</td>\s*<td>([^<]*)", html)[0]


def test_a_segment_the_idle_hours_take_back_is_not_also_called_automated(finished_run, tmp_path):
    from workbench import artifacts

    run_dir = _copy(finished_run, tmp_path)
    plan = artifacts.load(run_dir, "allocation", "plan")
    d, lost = plan["segment"].iloc[-2], plan["segment"].iloc[-1]
    rules = [
        {"rule": "automate_low_priority", "segments": [d, lost], "clients": 999, "hours": 999.0},
        {"rule": "idle_capacity", "segments": [d], "clients": 10, "hours": 10.0},
    ]
    artifacts.save(run_dir, "allocation", rules=rules)
    out = ClientReport(run_dir, "en", sink=lambda _: None)._rules_as_planned(plan)
    automated = next(r for r in out if r["rule"] == "automate_low_priority")
    row = plan.set_index("segment").loc[lost]
    assert automated["segments"] == [lost] and automated["clients"] == row["clients"]
    assert automated["hours"] == pytest.approx(row["clients"] * row["playbook_contacts"] * row["hours_per_contact"])
    # When the idle hours take back every automated segment, the automation rule goes.
    rules[1]["segments"] = [d, lost]
    artifacts.save(run_dir, "allocation", rules=rules)
    out = ClientReport(run_dir, "en", sink=lambda _: None)._rules_as_planned(plan)
    assert [r["rule"] for r in out] == ["idle_capacity"]


def test_call_lists_start_when_the_plan_is_made_not_when_the_data_ends(finished_run, tmp_path):
    import pandas as pd

    from workbench import artifacts

    lists = artifacts.load(finished_run, "allocation", "call_lists", optional=True)
    if lists is None:
        pytest.skip("this intake has no team, so no call lists")
    period = artifacts.load(finished_run, "intake", "period")
    today = pd.Timestamp.now().normalize()
    first = pd.to_datetime(lists["due_date"]).min()
    assert first == max(pd.Timestamp(period["end"]).normalize() + pd.Timedelta(days=1), today)
    run_dir = _copy(finished_run, tmp_path)
    allocation.run_step(run_dir, calls={"start": "2031-01-06"})
    moved = artifacts.load(run_dir, "allocation", "call_lists")
    assert pd.to_datetime(moved["due_date"]).min() == pd.Timestamp("2031-01-06")


def test_portfolio_mix_is_not_claimed_when_the_data_has_no_size_or_industry(finished_run, tmp_path):
    import html

    import matplotlib.pyplot as plt

    from workbench import artifacts
    from workbench.report.i18n import Translator

    run_dir = _copy(finished_run, tmp_path)
    if artifacts.load(run_dir, "allocation", "portfolio_mix", optional=True) is None:
        pytest.skip("this intake has no team, so no portfolios")
    table = artifacts.load(run_dir, "criteria", "criteria")
    artifacts.save(run_dir, "criteria", criteria=table.assign(size_band="unknown", industry=None))
    out: list = []
    ClientReport(run_dir, "en", sink=out.append).allocation()
    plt.close("all")
    text = html.unescape(" ".join(o for o in out if isinstance(o, str)))
    t = Translator("en")
    assert t("allocation.mix_untested") in text
    assert t("allocation.mix_none", max=t.number(3)) not in text


def test_call_list_rules_describe_only_the_lists_the_plan_made(finished_run, tmp_path):
    import html

    from workbench import artifacts
    from workbench.report.i18n import Translator

    run_dir = _copy(finished_run, tmp_path)
    lists = artifacts.load(run_dir, "allocation", "call_lists", optional=True)
    if lists is None or lists.empty:
        pytest.skip("this intake has no team, so no call lists")
    kept = lists.loc[lists["list"] != "winback"]  # a plan without lost clients to win back
    artifacts.save(run_dir, "allocation", call_lists=kept)
    out: list = []
    ClientReport(run_dir, "en", sink=out.append).call_lists()
    text = html.unescape(" ".join(o for o in out if isinstance(o, str)))
    t = Translator("en")
    assert "for win-back" not in text
    for name in kept["list"].unique():
        start = t.texts[f"calls.intro_list.{name}"].split("{")[0].strip()
        assert start in text, name


def test_the_plan_table_names_a_segments_own_role_and_who_stands_in(finished_run, tmp_path):
    import matplotlib.pyplot as plt
    import pandas as pd

    from workbench import artifacts
    from workbench.report.i18n import Translator

    run_dir = _copy(finished_run, tmp_path)
    plan = artifacts.load(run_dir, "allocation", "plan")
    calls = artifacts.load(run_dir, "allocation", "call_plan")
    load = artifacts.load(run_dir, "allocation", "load")
    worked = plan.loc[(plan["action"] == "work") & (plan["role"] == "farmer"), "segment"].iloc[0]
    # Most of that segment's clients handed to a hunter standing in.
    hunter = "H-test"
    load = pd.concat([load, load.iloc[[0]].assign(manager_id=hunter, role="hunter")], ignore_index=True)
    mine = calls["segment"] == worked
    calls.loc[mine, "manager_id"] = hunter
    artifacts.save(run_dir, "allocation", call_plan=calls, load=load)
    out: list = []
    ClientReport(run_dir, "en", sink=out.append).allocation()
    plt.close("all")
    html = "".join(o for o in out if isinstance(o, str))
    t = Translator("en")
    said = t("allocation.role_stand_in", role=t.label("roles", "farmer"), stand_in=t.inline("roles", "hunter"))
    assert said in html.replace("&amp;", "&")
    # A segment its own role works names that role alone.
    assert html.count(said) == 1


def test_an_automated_segment_shows_its_best_options_arithmetic(finished_run, tmp_path):
    import matplotlib.pyplot as plt

    from workbench import artifacts
    from workbench.report.i18n import Translator

    run_dir = _copy(finished_run, tmp_path)
    plan = artifacts.load(run_dir, "allocation", "plan")
    opts = artifacts.load(run_dir, "allocation", "options")
    seg = plan.loc[plan["segment"].isin(set(opts["segment"])) & (plan["action"] == "work"), "segment"].iloc[0]
    plan.loc[plan["segment"] == seg, ["action", "contacts_per_year"]] = ["automate", 0.0]
    artifacts.save(run_dir, "allocation", plan=plan)
    out: list = []
    ClientReport(run_dir, "en", sink=out.append).allocation()
    plt.close("all")
    html = "".join(o for o in out if isinstance(o, str)).replace("&#x27;", "'")
    t = Translator("en")
    best = opts.loc[(opts["segment"] == seg) & (opts["contacts_per_year"] > 0)].sort_values("net").iloc[-1]
    # Contact that pays at an hour's full cost is automated for the hours, not said not to pay.
    why = "automated_for_capacity" if best["net"] > 0 and best["affordable"] else "no_option_pays"
    said = t(
        f"allocation.{why}_{best['channel']}",
        segment=t("common.segment_ref", name=t.label("segments", seg)),
        contacts=t.number(best["contacts_per_year"]),
        value=t.money_round(best["value"]),
        cost=t.money_round(best["cost"]),
    )
    assert said in html
    # A segment the plan works gets no such sentence.
    assert html.count("its clients are served by automation") == 1
    # The same segment with every option losing money: no frequency pays.
    opts.loc[opts["segment"] == seg, "net"] = -1.0
    artifacts.save(run_dir, "allocation", options=opts)
    out = []
    ClientReport(run_dir, "en", sink=out.append).allocation()
    plt.close("all")
    html = "".join(o for o in out if isinstance(o, str))
    assert html.count("no contact frequency pays") == 1


def test_behaviour_stands_for_potential_only_when_the_engagement_turns_it_on(intake_run, tmp_path, monkeypatch):
    """A forecast of a client's own purchases is not its potential unless the settings say so (Northwind's case)."""
    from workbench import artifacts

    run_dir = _copy(intake_run, tmp_path)
    clients = artifacts.load(run_dir, "intake", "clients")
    thin = clients.drop(columns=[c for c in ("annual_revenue", "employees", "industry") if c in clients])
    artifacts.save(run_dir, "intake", clients=thin)
    goal.run_step(run_dir, "grow_margin_key_clients")
    ids = thin["client_id"]
    forecast = pd.Series(1000.0, index=ids.to_numpy())
    monkeypatch.setattr(criteria, "behaviour_potential", lambda ahead: forecast)  # as if a model won the backtest

    off = criteria.run_step(run_dir)
    assert not (off["criteria"]["potential_source"] == "behaviour").any()
    assert off["criteria"]["potential"].isna().all()
    assert "potential_behaviour_off" in [n["key"] for n in off["notes"]]

    on = criteria.run_step(run_dir, potential_from_behaviour=True)
    assert (on["criteria"]["potential_source"] == "behaviour").all()
    assert "potential_behaviour" in [n["key"] for n in on["notes"]]


def test_the_plans_value_counts_every_segment_it_works_idle_hours_passes_included(finished_run):
    """The scenarios' "plan" column: value and cost summed over the options the final plan took."""
    from workbench import artifacts

    settings = artifacts.load(finished_run, "allocation", "settings")
    choice = artifacts.load(finished_run, "allocation", "plan_choice")
    plan = artifacts.load(finished_run, "allocation", "plan")
    assert settings["plan_value"]["value"] == pytest.approx(choice["value"].sum())
    assert settings["plan_value"]["cost"] == pytest.approx(choice["cost"].sum())
    worked = set(plan.loc[(plan["action"] == "work") & (plan["contacts_per_year"] > 0), "segment"])
    chosen = set(choice.loc[choice["contacts_per_year"] > 0, "segment"])
    assert worked and worked <= chosen  # a segment taken by idle hours is valued too


def test_page_one_says_potential_is_unknown_for_all_when_no_client_has_one(finished_run, tmp_path):
    from workbench import artifacts

    run_dir = _copy(finished_run, tmp_path)
    sources = artifacts.load(run_dir, "criteria", "potential_sources")
    total = int(sources["clients"].sum())
    none = sources.assign(clients=[total if s == "unknown" else 0 for s in sources["source"]])
    artifacts.save(run_dir, "criteria", potential_sources=none)
    out: list = []
    ClientReport(run_dir, "en", sink=out.append).cover()
    html = "".join(o for o in out if isinstance(o, str))
    assert f"Potential per client: unknown for all {total:,} clients" in html
    assert "unknown for " + f"{total:,} clients" not in html.replace("unknown for all", "")
