"""The workbench on real public data (UCI Online Retail), as a consultant would run it.

Uses ../shared/data, which a user's clone does not have: skipped when absent.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from workbench import STEPS
from workbench.engagement import run

RETAIL = Path(__file__).resolve().parents[2] / "shared" / "data" / "online_retail" / "online_retail.parquet"

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not RETAIL.exists(), reason=f"real data not present: {RETAIL}")]

CONFIG = f"""
engagement:
  company: "UCI Online Retail"
  currency: GBP
data:
  transactions:
    file: {RETAIL}
    columns:
      invoice_id: InvoiceNo
      client_id: CustomerID
      date: InvoiceDate
      product_line: Description
      quantity: Quantity
      unit_price: UnitPrice
grouping:
  abcde:
    within: null
"""


def test_online_retail_runs_to_a_report_and_accounts_for_every_line(tmp_path):
    (tmp_path / "engagement.yaml").write_text(CONFIG, encoding="utf-8")
    result = run(tmp_path, progress=lambda _: None, pdf=False)
    html = result.html.read_text(encoding="utf-8")
    assert re.findall(r"<h2[^>]*\bid=\"step-(\w+)\"", html) == list(STEPS)

    raw = pd.read_parquet(RETAIL)
    lines = pd.read_parquet(result.run_dir / "artifacts" / "intake" / "transactions.parquet")
    rejected = pd.read_csv(result.run_dir / "rejected.csv")
    # Every line is either used or rejected with a reason: a quarter have no CustomerID.
    assert len(lines) + rejected["row"].nunique() == len(raw)
    assert (rejected["reason"] == "empty").all() and set(rejected["column"]) == {"client_id"}
    assert len(rejected) == raw["CustomerID"].isna().sum()
    # Amount = Quantity x UnitPrice, and CustomerID floats became clean ids.
    assert lines["amount"].sum() == pytest.approx((raw["Quantity"] * raw["UnitPrice"])[raw["CustomerID"].notna()].sum())
    assert not lines["client_id"].str.endswith(".0").any()
    assert "profitability is based on revenue" in html
