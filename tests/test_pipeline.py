"""The six steps' run functions chained without notebooks, for every goal and grouping method."""

from __future__ import annotations

import re

import matplotlib
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
