"""Step 2 — Criteria: one row per client with the criteria segmentation uses.

Transaction criteria (tenure, recency, frequency, amount, margin, product
lines) are aggregated with DuckDB so that millions of invoice lines stay fast;
solvency comes from payments when given; size, region and industry from the
client table. Status follows the methodology's rule: *active* if the client
bought within the lookback window, *lost* if it bought before and not since,
*potential* if it never bought.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from .intake import until_end_of

SIZE_LABELS = ("micro", "small", "medium", "large")
STATUSES = ("active", "lost", "potential")
CLIENT_ATTRIBUTES = ("name", "region", "industry", "channel", "division", "manager_id", "employees", "annual_revenue")
MIN_PEERS = 5

#: Each criterion and the canonical column(s) it needs.
CRITERIA_NEEDS: dict[str, list[str]] = {
    "tenure": ["transactions.date"],
    "recency": ["transactions.date"],
    "frequency": ["transactions.date"],
    "amount": ["transactions.amount"],
    "margin": ["transactions.cost"],
    "product_lines": ["transactions.product_line"],
    "solvency": ["payments.due_date", "payments.paid_date", "transactions.invoice_id"],
    "size": ["clients.employees"],
    "region": ["clients.region"],
    "industry": ["clients.industry"],
    "potential": ["clients.potential_score", "clients.employees", "clients.industry"],
}


def available(column: str, tables: dict[str, pd.DataFrame]) -> bool:
    """Whether ``table.column`` exists with at least one value."""
    table, col = column.split(".")
    df = tables.get(table)
    return df is not None and col in df and bool(df[col].notna().any())


def availability(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Which criteria the data supports, and which missing column would enable the rest."""
    rows = []
    for criterion, needs in CRITERIA_NEEDS.items():
        missing = [c for c in needs if not available(c, tables)]
        if criterion == "potential":
            # Always estimated: from a score, else from peers by industry/size, else from all clients.
            if "clients.potential_score" not in missing:
                method = "score"
            elif len(missing) < len(needs):
                method = "peers"
            else:
                method = "peers_all"
            rows.append({"criterion": criterion, "available": True, "method": method, "missing": ", ".join(missing)})
            continue
        rows.append({"criterion": criterion, "available": not missing, "method": "", "missing": ", ".join(missing)})
    return pd.DataFrame(rows)


def client_criteria(
    clients: pd.DataFrame,
    transactions: pd.DataFrame,
    payments: pd.DataFrame | None = None,
    *,
    start: pd.Timestamp,
    end: pd.Timestamp,
    lookback_months: int = 12,
    size_bands: tuple[int, ...] | list[int] = (50, 250, 1000),
    peer_quantile: float = 0.75,
    new_product_line: str | None = None,
) -> pd.DataFrame:
    """Compute the per-client criteria table.

    Parameters
    ----------
    clients, transactions, payments : DataFrame
        Canonical tables (payments optional).
    start, end : Timestamp
        The current window (see ``intake.analysis_period``); lines after
        ``end`` are ignored.
    lookback_months : int, default 12
        Length of the window, to annualise frequency.
    size_bands : list of int
        Employee counts splitting the size bands ``micro/small/medium/large``.
    peer_quantile : float, default 0.75
        Quantile of peers' current revenue used as estimated potential.
    new_product_line : str, optional
        Flags whether each client already buys it (``buys_new_line``).

    Returns
    -------
    DataFrame
        One row per client of ``clients`` (clients that never bought included).
    """
    tx = transactions.loc[until_end_of(end, transactions["date"])]
    has_cost = "cost" in tx and tx["cost"].notna().any()
    has_line = "product_line" in tx and tx["product_line"].notna().any()
    invoice_key = (
        "coalesce(invoice_id, client_id || '|' || CAST(date AS VARCHAR))"
        if "invoice_id" in tx
        else "client_id || '|' || CAST(date AS VARCHAR)"
    )
    cost = "cost" if has_cost else "NULL::DOUBLE"
    line = "product_line" if has_line else "NULL::VARCHAR"
    con = duckdb.connect()
    con.register("tx", tx)
    agg = con.execute(
        f"""
        SELECT client_id,
               min(date) AS first_purchase,
               max(date) AS last_purchase,
               sum(amount) FILTER (WHERE date >= $start) AS revenue,
               sum({cost}) FILTER (WHERE date >= $start) AS cost,
               count(DISTINCT {invoice_key}) FILTER (WHERE date >= $start) AS invoices,
               sum(amount) AS revenue_total,
               sum(amount) - sum({cost}) AS margin_total,
               count(DISTINCT {line}) AS n_product_lines,
               string_agg(DISTINCT {line}, ', ' ORDER BY {line}) AS product_lines,
               coalesce(bool_or({line} = $new_line), false) AS buys_new_line
        FROM tx GROUP BY client_id
    """,
        {"start": start, "new_line": new_product_line or ""},
    ).df()
    con.close()

    attrs = [c for c in ("client_id",) + CLIENT_ATTRIBUTES + ("potential_score",) if c in clients]
    out = clients[attrs].merge(agg, on="client_id", how="left")
    for col in ("revenue", "cost", "invoices", "revenue_total", "n_product_lines"):
        out[col] = out[col].fillna(0)
    if not has_cost:
        out["cost"] = np.nan
        out["margin_total"] = np.nan
    out["buys_new_line"] = out["buys_new_line"].fillna(False).astype(bool)
    out["tenure_months"] = (end - out["first_purchase"].dt.normalize()).dt.days / 30.4375
    out["recency_days"] = (end - out["last_purchase"].dt.normalize()).dt.days
    out["frequency"] = out["invoices"] * 12 / lookback_months
    out["margin"] = out["revenue"] - out["cost"]
    out["margin_pct"] = out["margin"] / out["revenue"].where(out["revenue"] > 0)
    out["avg_invoice"] = out["revenue"] / out["invoices"].where(out["invoices"] > 0)
    out["status"] = np.select(
        [out["last_purchase"] >= start, out["first_purchase"].notna()], ["active", "lost"], default="potential"
    )
    out["size_band"] = size_band(out["employees"], size_bands) if "employees" in out else "unknown"
    out["smb"] = out["size_band"].isin(SIZE_LABELS[:3]).astype("boolean")
    out.loc[out["size_band"] == "unknown", "smb"] = pd.NA
    if payments is not None and "invoice_id" in tx:
        out = out.merge(solvency(payments, tx, end), on="client_id", how="left")
    out = estimate_potential(out, peer_quantile)
    return out


def size_band(employees: pd.Series, bands) -> pd.Series:
    """Label headcounts ``micro/small/medium/large`` (``unknown`` when missing)."""
    edges = [-np.inf, *bands, np.inf]
    labels = pd.cut(employees.astype(float), bins=edges, labels=list(SIZE_LABELS[: len(edges) - 1]), right=False)
    return labels.astype("string").fillna("unknown")


def solvency(payments: pd.DataFrame, transactions: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Payment discipline per client: share of invoices paid on time and mean days late.

    An unpaid invoice past its due date counts as late by ``as_of - due_date``.
    """
    owner = transactions[["invoice_id", "client_id"]].dropna().drop_duplicates("invoice_id")
    pay = payments.merge(owner, on="invoice_id", how="inner")
    pay = pay.loc[pay["due_date"] <= as_of]
    settled = pay["paid_date"].fillna(as_of)
    late = (settled - pay["due_date"]).dt.days.clip(lower=0)
    pay = pay.assign(days_late=late, on_time=late == 0)
    grouped = pay.groupby("client_id")
    return pd.DataFrame(
        {
            "on_time_share": grouped["on_time"].mean(),
            "avg_days_late": grouped["days_late"].mean(),
            "unpaid_overdue": grouped["paid_date"].apply(lambda s: int(s.isna().sum())),
        }
    ).reset_index()


def estimate_potential(criteria: pd.DataFrame, quantile: float = 0.75) -> pd.DataFrame:
    """Potential annual revenue per client, and the headroom above current revenue.

    An analyst's ``potential_score`` wins where given. Otherwise the potential
    is the ``quantile`` of current revenue among active peers of the same
    industry and size band (falling back to industry, then to all active
    clients, when a group has fewer than five), and never below the client's
    own current revenue. ``potential_source`` says which was used, so the
    report can flag estimates.
    """
    out = criteria.copy()
    active = out.loc[out["status"] == "active"]
    out["potential"] = np.nan
    out["potential_source"] = pd.Series(pd.NA, index=out.index, dtype="string")
    levels = [("industry", "size_band"), ("industry",), ("size_band",)]
    for keys in levels:
        if not all(k in out for k in keys):
            continue
        grouped = active.groupby(list(keys), observed=True)["revenue"]
        stats = pd.DataFrame({"n": grouped.count(), "peer": grouped.quantile(quantile)})
        peers = stats.loc[stats["n"] >= MIN_PEERS, "peer"]
        todo = out["potential"].isna()
        peer = out.loc[todo, list(keys)].merge(peers, left_on=list(keys), right_index=True, how="left")["peer"]
        hit = peer.notna()
        out.loc[peer.index[hit], "potential"] = peer[hit]
        out.loc[peer.index[hit], "potential_source"] = "peers:" + "+".join(keys)
    todo = out["potential"].isna()
    out.loc[todo, "potential"] = active["revenue"].quantile(quantile) if len(active) else 0.0
    out.loc[todo, "potential_source"] = "peers:all"
    if "potential_score" in out and out["potential_score"].notna().any():
        scored = out["potential_score"].notna()
        out.loc[scored, "potential"] = out.loc[scored, "potential_score"]
        out.loc[scored, "potential_source"] = "score"
    out["potential"] = np.maximum(out["potential"], out["revenue"])
    out["headroom"] = out["potential"] - out["revenue"]
    return out


def status_counts(criteria: pd.DataFrame) -> pd.DataFrame:
    """Clients, revenue in the window and lifetime revenue by status."""
    grouped = criteria.groupby("status")
    out = (
        pd.DataFrame(
            {
                "clients": grouped.size(),
                "revenue": grouped["revenue"].sum(),
                "revenue_total": grouped["revenue_total"].sum(),
            }
        )
        .reindex(list(STATUSES), fill_value=0)
        .reset_index()
    )
    out["client_share"] = out["clients"] / out["clients"].sum()
    return out


def run_step(run_dir, size_bands=(50, 250, 1000), peer_quantile: float = 0.75, lookback_months: int = 12) -> dict:
    """Compute the criteria table from the canonical tables; save it."""
    from . import artifacts

    tables = {t: artifacts.load(run_dir, "intake", t, optional=True) for t in ("clients", "transactions", "payments")}
    period = artifacts.load(run_dir, "intake", "period")
    goal = artifacts.load(run_dir, "goal", "goal")
    table = client_criteria(
        tables["clients"],
        tables["transactions"],
        tables["payments"],
        start=pd.Timestamp(period["start"]),
        end=pd.Timestamp(period["end"]),
        lookback_months=lookback_months,
        size_bands=list(size_bands),
        peer_quantile=peer_quantile,
        new_product_line=goal.get("new_product_line"),
    )
    avail = availability({k: v for k, v in tables.items() if v is not None})
    counts = status_counts(table)
    notes = [
        artifacts.note("criterion_missing", criterion=r.criterion, columns=r.missing)
        for r in avail.itertuples()
        if not r.available
    ]
    if (table["potential_source"] != "score").any():
        notes.append(artifacts.note("potential_estimated", quantile=peer_quantile))
    artifacts.save(run_dir, "criteria", criteria=table, availability=avail, status_counts=counts, notes=notes)
    return {"criteria": table, "availability": avail, "status_counts": counts, "notes": notes}
