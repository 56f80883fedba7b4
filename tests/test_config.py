"""The engagement config: every shipped template loads; every broken one fails with the right message."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.config import ConfigError, dump_config, load_config, parse_config
from workbench.paths import TEMPLATES

CONFIGS = Path(__file__).parent / "configs"
SHIPPED = sorted(TEMPLATES.glob("engagement*.yaml"))


def test_templates_are_found():
    assert {p.name for p in SHIPPED} >= {"engagement.yaml", "engagement-thin.yaml"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_template_loads(path):
    config = load_config(path)
    assert config.engagement.company
    assert config.data.transactions.file
    # The resolved config (as saved in the manifest) validates again to the same thing.
    assert parse_config(dump_config(config)) == config


def test_defaults_of_the_thin_template():
    config = load_config(TEMPLATES / "engagement-thin.yaml")
    assert config.data.clients is None and config.data.payments is None
    assert config.grouping.method == "abcde"
    assert config.priorities.key_account_thresholds == (0.10, 0.20, 0.70)
    assert config.allocation.selling_hours_per_fte == 1000


def test_load_config_from_a_folder(tmp_path):
    (tmp_path / "engagement.yaml").write_text(
        "engagement: {company: Acme}\ndata: {transactions: {file: lines.csv}}\n", encoding="utf-8"
    )
    assert load_config(tmp_path).engagement.company == "Acme"
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "other.yaml")


BROKEN = [
    ("wrong_top_level_key.yaml", ["groupng", "did you mean 'grouping'"]),
    ("wrong_nested_key.yaml", ["grouping.methd", "'method'"]),
    ("wrong_canonical_column.yaml", ["data.transactions.columns.product", "did you mean 'product_line'"]),
    ("wrong_grouping_method.yaml", ["grouping.method", "'dbscan'"]),
    ("wrong_missing_company.yaml", ["engagement.company", "required key is missing"]),
    ("wrong_custom_goal_without_weights.yaml", ["goal.weights", "custom goal needs at least one weight"]),
    ("wrong_cross_sell_without_line.yaml", ["goal.new_product_line", "cross_sell_new_line"]),
    ("wrong_weight_metric.yaml", ["goal.weights.revenue", "did you mean 'revenue_share'"]),
    ("wrong_yaml.yaml", ["not valid YAML"]),
    ("wrong_top_level_list.yaml", ["expected a mapping at the top level, got list"]),
    ("wrong_override_field.yaml", ["playbooks.overrides.tier_1.contacts_per_yr", "did you mean 'contacts_per_year'"]),
    ("wrong_team_field.yaml", ["team.0.rol", "did you mean 'role'"]),
    ("wrong_abcde_quantiles.yaml", ["grouping.abcde", "high_quantile"]),
    ("wrong_key_account_thresholds.yaml", ["priorities.key_account_thresholds"]),
    (
        "wrong_key_account_kind.yaml",
        [
            "priorities.key_account_kinds.C0042",
            "unknown key-account kind 'refrence'",
            "did you mean 'reference'?",
            "valid kinds: potential, reference, partner, competent, innovator",
        ],
    ),
    ("wrong_split_departments.yaml", ["allocation.split_departments_at", "greater than or equal to 2"]),
    (
        "wrong_kmeans_feature.yaml",
        ["grouping.kmeans.features", "unknown criterion 'recency'", "did you mean 'recency_days'"],
    ),
]

CASES = [pytest.param(name, fragments, id=name) for name, fragments in BROKEN]


@pytest.mark.parametrize("name, fragments", CASES)
def test_broken_config_fails_with_the_right_message(name, fragments):
    path = CONFIGS / name
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    msg = str(exc.value)
    assert msg.startswith(f"{path}: ")
    for fragment in fragments:
        assert fragment in msg


def test_key_account_kinds_accept_numeric_ids_and_a_single_kind():
    raw = {
        "engagement": {"company": "Acme"},
        "data": {"transactions": {"file": "a.csv"}},
        "priorities": {"key_account_kinds": {1042: "partner", "C7": ["innovator", "reference", "innovator"]}},
    }
    kinds = parse_config(raw).priorities.key_account_kinds
    assert kinds == {"1042": ["partner"], "C7": ["innovator", "reference"]}


def test_defaults_of_the_new_rules():
    config = load_config(TEMPLATES / "engagement-thin.yaml")
    assert config.priorities.key_account_kinds == {}
    assert config.allocation.split_departments_at == 10
    raw = {"engagement": {"company": "Acme"}, "data": {"transactions": {"file": "a.csv"}}}
    assert parse_config({**raw, "allocation": {"split_departments_at": None}}).allocation.split_departments_at is None


def test_every_broken_config_is_tested():
    assert {p.name for p in CONFIGS.glob("wrong_*.yaml")} == {c.values[0] for c in CASES}


def test_every_problem_is_listed():
    raw = {"engagement": {"title": "x"}, "data": {"transactions": {"file": "a.csv"}}, "groupng": {}}
    with pytest.raises(ConfigError) as exc:
        parse_config(raw, source="mine.yaml")
    lines = str(exc.value).splitlines()
    assert lines[0].startswith("mine.yaml: ")
    assert any("engagement.company" in line for line in lines)
    assert any("groupng" in line for line in lines)
