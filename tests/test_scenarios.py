"""What-if scenarios: the six steps again under changed assumptions, compared with the plan."""

from __future__ import annotations

import matplotlib
import pandas as pd
import pytest
import yaml

matplotlib.use("Agg")

from workbench import artifacts, demo, engagement, scenarios  # noqa: E402
from workbench.config import ConfigError, parse_config  # noqa: E402
from workbench.intake import load_tables  # noqa: E402
from workbench.paths import TEMPLATES  # noqa: E402


def _raw() -> dict:
    return yaml.safe_load((TEMPLATES / "engagement.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    base = tmp_path_factory.mktemp("scenarios")
    demo.generate(base / "data", n_clients=300, seed=5)
    raw = _raw()
    raw["scenarios"] = [
        {"name": "+2 hunters", "team_add": {"hunter": 2}},
        {"name": "Drop D", "changes": {"allocation": {"stop_segments": ["D"]}}},
        {"name": "Acquisition", "changes": {"goal": {"name": "acquire_smb"}}},
    ]
    config = parse_config(raw)
    run_dir = base / "runs" / "run"
    engagement.save_intake(run_dir, config, load_tables(config, base))
    scenarios.run_steps(run_dir, config)
    table = scenarios.run_scenarios(run_dir, config, progress=lambda _: None)
    return run_dir, table.set_index("scenario")


def test_each_scenario_changes_what_it_says_and_nothing_else(compared):
    run_dir, table = compared
    assert list(table.index) == ["", "+2 hunters", "Drop D", "Acquisition"]
    plan = table.loc[""]
    # Two more hunters: two more FTE in the team, the same clients and goal.
    assert table.loc["+2 hunters", "fte_available"] == pytest.approx(plan["fte_available"] + 2)
    assert table.loc["+2 hunters", "goal"] == plan["goal"] == "grow_margin_key_clients"
    # Clients worked are counted as page 1 counts owners: client by client in the call plan.
    calls = artifacts.load(run_dir, "allocation", "call_plan")
    assert plan["worked"] == ((calls["action"] == "work") & calls["manager_id"].notna()).sum()
    # Dropping D: its clients are no longer worked; the plan's own D clients were worked or automated.
    d = artifacts.load(run_dir, "allocation", "plan").set_index("segment").loc["D"]
    assert d["action"] != "stop"
    assert table.loc["Drop D", "stopped"] == plan["stopped"] + d["clients"]
    dropped = artifacts.load(run_dir / "scenarios" / "2", "allocation", "plan").set_index("segment")
    assert dropped.loc["D", "action"] == "stop"
    rules = artifacts.load(run_dir / "scenarios" / "2", "allocation", "rules")
    assert any(r["rule"] == "stop_segments" and r["segments"] == ["D"] for r in rules)
    # Another goal re-ranks the segments.
    assert table.loc["Acquisition", "goal"] == "acquire_smb"
    # The proposed plan's own artifacts are untouched by the scenarios.
    assert artifacts.load(run_dir, "goal", "goal")["name"] == "grow_margin_key_clients"
    team = artifacts.load(run_dir, "intake", "team")
    assert len(artifacts.load(run_dir / "scenarios" / "1", "intake", "team")) == len(team) + 2


def test_the_comparison_is_saved_for_the_report(compared):
    run_dir, table = compared
    saved = artifacts.load(run_dir, "scenarios", "comparison").set_index("scenario")
    pd.testing.assert_series_equal(saved["net"], table["net"])
    assert (table["value"] >= 0).all() and (table["cost"] >= 0).all()
    assert table["net"].tolist() == pytest.approx((table["value"] - table["cost"]).tolist())


def test_add_team_adds_whole_people_and_a_part_time_rest():
    team = pd.DataFrame({"manager_id": ["m1"], "role": ["farmer"], "name": ["A"], "capacity": [1.0]})
    out = scenarios.add_team(team, {"hunter": 1.5}, "s1")
    assert out["manager_id"].tolist() == ["m1", "s1-hunter-1", "s1-hunter-2"]
    assert out["capacity"].tolist() == [1.0, 1.0, 0.5]


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        ({"name": "x", "changes": {"data": {}}}, r"scenarios\[0\] \(x\)\.changes: cannot change data"),
        (
            {"name": "x", "changes": {"allocation": {"stop_segmnts": ["D"]}}},
            r"scenarios\[0\] \(x\)\.changes: allocation\.stop_segmnts: unknown key.*stop_segments",
        ),
        ({"name": "x", "team_add": {"hunter": 0}}, r"must be > 0"),
    ],
)
def test_a_wrong_scenario_fails_when_the_config_is_loaded(scenario, message):
    raw = _raw()
    raw["scenarios"] = [scenario]
    with pytest.raises(ConfigError, match=message):
        parse_config(raw)


def test_scenario_names_are_unique():
    raw = _raw()
    raw["scenarios"] = [{"name": "a"}, {"name": "a"}]
    with pytest.raises(ConfigError, match="used more than once: a"):
        parse_config(raw)
