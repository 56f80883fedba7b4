"""Tests for the synthetic demo company (workbench.demo)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.demo import PRODUCT_LINES, generate

END = pd.Timestamp("2026-10-31")
ROLES = {"head_of_sales", "key_account_manager", "farmer", "hunter"}


def _read(paths) -> dict[str, pd.DataFrame]:
    return {
        "clients": pd.read_csv(
            paths["clients"],
            dtype={"INN": str, "Manager": str},
            keep_default_na=False,
            na_values={"Annual revenue": [""]},
        ),
        "lines": pd.read_csv(paths["transactions"], parse_dates=["Date"]),
        "payments": pd.read_csv(paths["payments"], dtype=str, keep_default_na=False),
        "team": pd.read_excel(paths["team"], sheet_name="Team"),
    }


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    paths = generate(tmp_path_factory.mktemp("demo"), n_clients=600, seed=7)
    return paths, _read(paths)


def _client_stats(d):
    lines = d["lines"]
    by_client = lines.groupby("Client ID").agg(revenue=("Amount", "sum"), cost=("Cost", "sum"), last=("Date", "max"))
    by_client["margin"] = by_client.revenue - by_client.cost
    return by_client


def test_files_and_columns(demo):
    paths, d = demo
    assert set(paths) == {"clients", "transactions", "payments", "team"}
    assert all(p.exists() for p in paths.values())
    assert list(d["clients"].columns) == [
        "Client ID",
        "Company",
        "INN",
        "Region",
        "Industry",
        "Employees",
        "Annual revenue",
        "Channel",
        "Division",
        "Manager",
        "CRM status",
    ]
    assert list(d["lines"].columns) == ["Invoice", "Client ID", "Date", "Product line", "Amount", "Cost"]
    assert list(d["payments"].columns) == ["Invoice", "Due date", "Paid date", "Amount"]
    assert list(d["team"].columns) == ["Manager", "Name", "Role", "Division", "Capacity"]


def test_client_fields(demo):
    c = demo[1]["clients"]
    assert len(c) == 600 and c["Client ID"].is_unique and c["Company"].is_unique
    assert c["INN"].str.fullmatch(r"\d{10}").all() and c["INN"].is_unique
    assert c["INN"].str.startswith("0").any()  # leading zeros survive the CSV round trip
    assert c["Employees"].between(5, 20000).all()
    assert 0.05 <= c["Annual revenue"].isna().mean() <= 0.15
    assert c["Region"].nunique() == 8 and c["Industry"].nunique() == 8
    assert set(c["Channel"]) == {"Direct", "Distributor", "E-commerce"}
    assert set(c["Division"]) == {"Corporate", "Regional"}
    # Corporate clients are the large ones.
    assert (
        c.loc[c.Division == "Corporate", "Employees"].median()
        > 3 * c.loc[c.Division == "Regional", "Employees"].median()
    )
    rev = c["Annual revenue"].dropna()
    assert np.corrcoef(np.log(rev), np.log(c.loc[rev.index, "Employees"]))[0, 1] > 0.6


def test_determinism(tmp_path):
    a = generate(tmp_path / "a", n_clients=300, years=2, seed=11)
    b = generate(tmp_path / "b", n_clients=300, years=2, seed=11)
    other = generate(tmp_path / "c", n_clients=300, years=2, seed=12)
    for key in ("clients", "transactions", "payments"):
        assert a[key].read_bytes() == b[key].read_bytes()
        assert a[key].read_bytes() != other[key].read_bytes()
    assert pd.read_excel(a["team"]).equals(pd.read_excel(b["team"]))


def test_status_shares(demo):
    d = demo[1]
    stats = _client_stats(d)
    n = len(d["clients"])
    potential = 1 - len(stats) / n
    lost = (stats["last"] <= END - pd.DateOffset(months=12)).sum() / n
    assert 0.15 <= potential <= 0.25
    assert 0.08 <= lost <= 0.17
    assert 0.58 <= 1 - potential - lost <= 0.77


def test_revenue_concentration(demo):
    revenue = _client_stats(demo[1]).revenue.sort_values(ascending=False)
    top = revenue.iloc[: round(0.2 * len(revenue))].sum() / revenue.sum()
    assert 0.65 <= top <= 0.85


def test_largest_client_margin_share(demo):
    margin = _client_stats(demo[1]).margin
    assert 0.04 <= margin.max() / margin.sum() <= 0.13


def test_bigger_clients_buy_more(demo):
    c = demo[1]["clients"].set_index("Client ID")
    revenue = _client_stats(demo[1]).revenue
    div = c.loc[revenue.index, "Division"]
    assert revenue[div == "Corporate"].median() > 2 * revenue[div == "Regional"].median()


def test_negative_margin_clients(demo):
    stats = _client_stats(demo[1])
    share = (stats.margin < 0).mean()
    assert 0.01 <= share <= 0.06


def test_product_line_margins(demo):
    lines = demo[1]["lines"]
    assert set(lines["Product line"]) == set(PRODUCT_LINES)
    g = lines.groupby("Product line")[["Amount", "Cost"]].sum()
    m = 1 - g.Cost / g.Amount
    assert m["Service contracts"] > m["Fasteners"] > m["Hand tools"] > m["Consumables"] > m["Equipment"] > 0
    assert 0.35 <= m["Smart sensors"] <= 0.45
    # Margins vary line by line, not just per product line.
    assert (1 - lines.Cost / lines.Amount).groupby(lines["Product line"]).std().min() > 0.01


def test_smart_sensors_new_and_niche(demo):
    d = demo[1]
    sensors = d["lines"][d["lines"]["Product line"] == "Smart sensors"]
    assert len(sensors) > 0
    assert sensors["Date"].min() > END - pd.DateOffset(months=12)
    assert sensors["Client ID"].nunique() < 0.15 * d["lines"]["Client ID"].nunique()


def test_referential_integrity_and_dates(demo):
    d = demo[1]
    lines = d["lines"]
    assert lines["Client ID"].isin(d["clients"]["Client ID"]).all()
    assert lines["Date"].between(END - pd.DateOffset(years=3), END).all()
    assert lines.groupby("Invoice")["Client ID"].nunique().max() == 1
    per_invoice = lines.groupby("Invoice").size()
    assert per_invoice.between(1, 4).all()
    assert not lines.duplicated(["Invoice", "Product line"]).any()
    assert (lines.Amount > 0).all()
    assert 30 <= len(lines) / lines["Client ID"].nunique() <= 80


def test_payments_cover_invoices(demo):
    d = demo[1]
    pay, lines = d["payments"], d["lines"]
    assert pay["Invoice"].is_unique
    assert set(pay["Invoice"]) == set(lines["Invoice"])
    totals = lines.groupby("Invoice").Amount.sum()
    assert np.allclose(pay.set_index("Invoice").Amount.astype(float), totals.loc[pay["Invoice"]], atol=0.05)
    inv_date = lines.groupby("Invoice").Date.first().loc[pay["Invoice"]].to_numpy()
    terms = (pd.to_datetime(pay["Due date"]).to_numpy() - inv_date) / np.timedelta64(1, "D")
    assert set(np.unique(terms)) <= {14, 30, 60}
    paid = pay["Paid date"] != ""
    assert 0.9 <= paid.mean() < 1  # most paid, some open
    delay = (pd.to_datetime(pay.loc[paid, "Paid date"]) - pd.to_datetime(pay.loc[paid, "Due date"])).dt.days
    assert (delay <= 0).mean() > 0.5  # most on time
    assert 0.05 <= (delay >= 20).mean() <= 0.35  # a minority chronically late
    assert (pd.to_datetime(pay.loc[paid, "Paid date"]) <= END).all()


def test_team(demo):
    d = demo[1]
    team = d["team"]
    assert 14 <= len(team) <= 18 and team["Manager"].is_unique
    assert set(team["Role"]) == ROLES
    counts = team["Role"].value_counts()
    assert counts["head_of_sales"] == 2 and counts["key_account_manager"] == 2
    assert 8 <= counts["farmer"] <= 10 and 1 <= counts["hunter"] <= 2
    assert team["Capacity"].between(0.5, 1).all() and (team["Capacity"] < 1).sum() == 2
    managers = d["clients"]["Manager"]
    assert managers[managers != ""].isin(team["Manager"]).all()
    # Accounts are owned by farmers/KAMs; hunters only hold prospects.
    buyers = d["clients"]["Client ID"].isin(d["lines"]["Client ID"])
    roles = managers.map(team.set_index("Manager")["Role"])
    assert set(roles[buyers].dropna()) <= {"farmer", "key_account_manager"}
    assert set(roles[~buyers].dropna()) <= {"hunter"}


def test_small_run_respects_parameters(tmp_path):
    paths = generate(tmp_path, n_clients=300, years=2, seed=5, end_date="2025-12-31")
    d = _read(paths)
    end = pd.Timestamp("2025-12-31")
    assert len(d["clients"]) == 300
    assert d["lines"]["Date"].between(end - pd.DateOffset(years=2), end).all()
    assert d["lines"]["Date"].max() > end - pd.DateOffset(months=1)


def test_invalid_arguments(tmp_path):
    with pytest.raises(ValueError):
        generate(tmp_path, n_clients=300, years=1)
    with pytest.raises(ValueError):
        generate(tmp_path, n_clients=10)
