"""Step 2 — Criteria: one row per client with the criteria segmentation uses.

Transaction criteria (tenure, recency, frequency, amount, margin, product
lines) are aggregated with DuckDB so that millions of invoice lines stay fast;
solvency comes from payments when given; size, region and industry from the
client table. Status follows the methodology's rule: *active* if the client
bought within the lookback window, *lost* if it bought before and not since,
*potential* if it never bought.
"""

from __future__ import annotations

from typing import Any

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
    "potential": ["clients.potential_score", "clients.annual_revenue", "clients.industry"],
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
            # From a score, the client's size, or peers sharing its industry; otherwise unknown.
            if "clients.potential_score" not in missing:
                method = "score"
            elif "clients.annual_revenue" not in missing:
                method = "size"
            elif "clients.industry" not in missing:
                method = "peers"
            else:
                method = ""
            rows.append(
                {"criterion": criterion, "available": bool(method), "method": method, "missing": ", ".join(missing)}
            )
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
    money_digits: int = 2,
    potential: dict | None = None,
    lost_min_history_months: float = 6,
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
    money_digits : int, default 2
        The currency's minor unit: sums are rounded to it before any rule, so
        that a fully cancelled client nets 0, not -8.9e-16.
    potential : dict, optional
        Keyword arguments of :func:`estimate_potential` (wallet share, peers, behaviour).
    lost_min_history_months : float, default 6
        History the data must cover before the window for a client who bought
        only before it to be called *lost*: with less, the client is still
        ``status == "lost"`` (not active, bought before) but ``lost_confirmed``
        is False, and the report calls it inactive, history too short.

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
    for col in ("revenue", "cost", "revenue_total", "margin_total"):
        out[col] = out[col].round(money_digits) + 0.0  # + 0.0: no negative zero
    if not has_cost:
        out["cost"] = np.nan
        out["margin_total"] = np.nan
    out["buys_new_line"] = out["buys_new_line"].fillna(False).astype(bool)
    out["tenure_months"] = (end - out["first_purchase"].dt.normalize()).dt.days / 30.4375
    out["recency_days"] = (end - out["last_purchase"].dt.normalize()).dt.days
    out["frequency"] = out["invoices"] * 12 / lookback_months
    out["margin"] = (out["revenue"] - out["cost"]).round(money_digits) + 0.0
    out["margin_pct"] = out["margin"] / out["revenue"].where(out["revenue"] > 0)
    out["avg_invoice"] = out["revenue"] / out["invoices"].where(out["invoices"] > 0)
    out["status"] = np.select(
        [out["last_purchase"] >= start, out["first_purchase"].notna()], ["active", "lost"], default="potential"
    )
    out["lost_confirmed"] = (out["status"] == "lost") & (history_before_window(tx, start) >= lost_min_history_months)
    out["size_band"] = size_band(out["employees"], size_bands) if "employees" in out else "unknown"
    out["smb"] = out["size_band"].isin(SIZE_LABELS[:3]).astype("boolean")
    out.loc[out["size_band"] == "unknown", "smb"] = pd.NA
    if payments is not None and "invoice_id" in tx:
        out = out.merge(solvency(payments, tx, end), on="client_id", how="left")
    out = estimate_potential(out, peer_quantile, **(potential or {}))
    return out


def history_before_window(transactions: pd.DataFrame, start: pd.Timestamp) -> float:
    """Months of data before the window's start (0 when the first line is inside it)."""
    if transactions.empty:
        return 0.0
    first = pd.Timestamp(transactions["date"].min()).normalize()
    return max(0.0, (pd.Timestamp(start) - first).days / 30.4375)


def behaviour_forecast(transactions: pd.DataFrame, as_of: pd.Timestamp, forecast: dict | None = None) -> dict:
    """Each client's next period from the model that won the backtest on the company's own history.

    Step 2 runs it once: the criteria use it for potential from behaviour
    (only when a model beat last year's revenue), step 4 sums it by segment
    with its error band, step 6 prices the plan with it.

    Every candidate (naive first) is fitted one horizon back and checked
    against what happened (:func:`workbench.forecast.backtest`); the winner, or
    the naive forecast when none beats it by the stated margin, forecasts the
    horizon after ``as_of``.

    Returns
    -------
    dict
        ``clients``: per ``client_id`` the forecast ``revenue``, ``margin``
        (with cost), ``p_buy``; ``against``: the chosen model's backtest
        prediction and the actual per client (:meth:`BacktestResult.chosen_against_actual`);
        ``info``: ``chosen, reason, reason_params, horizon_months,
        requested_horizon_months, backtested, measure, margin``;
        ``metrics``, ``deciles``: the backtest's table and predicted against
        actual revenue by decile.
    """
    from .forecast import ClientHistory, backtest
    from .forecast import forecast as predict

    history = ClientHistory.from_transactions(transactions)
    result = backtest(history, as_of=as_of, **dict(forecast or {}))
    ahead = predict(history, result)
    info = {
        "chosen": result.chosen,
        "reason": result.reason,
        "reason_params": result.reason_params,
        "horizon_months": result.horizon_months,
        "requested_horizon_months": result.requested_horizon_months,
        "backtested": result.backtested,
        "measure": result.measure,
        "margin": result.margin,
    }
    return {
        "clients": ahead.rename_axis("client_id").reset_index(),
        "against": result.chosen_against_actual().rename_axis("client_id").reset_index(),
        "info": info,
        "metrics": result.metrics.rename_axis("model").reset_index() if len(result.metrics) else pd.DataFrame(),
        "deciles": result.deciles.reset_index() if len(result.deciles) else pd.DataFrame(),
    }


def behaviour_potential(forecast: dict) -> pd.Series | None:
    """Expected annual revenue per client from behaviour, or None when no model beat the naive forecast.

    Last year's revenue says nothing about headroom (it is the client's current
    revenue), so behaviour is evidence of potential only when a model that
    uses frequency, recency and tenure won the backtest.
    """
    info = forecast["info"]
    if info["reason"] != "beats_naive":
        return None
    clients = forecast["clients"]
    return clients.set_index("client_id")["revenue"] * 12 / info["horizon_months"]


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


#: Where a client's potential comes from, strongest evidence first; ``unknown`` when nothing supports one.
POTENTIAL_SOURCES = ("score", "size", "behaviour", "peers", "unknown")
#: Attributes peers must share to stand for each other (never "all clients": that says nothing).
PEER_LEVELS = (("industry", "size_band"), ("industry", "region"), ("industry",))


def estimate_potential(
    criteria: pd.DataFrame,
    quantile: float = 0.75,
    *,
    wallet_share: float | None = 0.01,
    wallet_share_by_industry: dict[str, float] | None = None,
    spend_per_employee: float | None = None,
    min_peers: int = MIN_PEERS,
    behaviour: pd.Series | None = None,
) -> pd.DataFrame:
    """Potential annual revenue per client from evidence, and the headroom above current revenue.

    Sources, in this order; the first that applies is recorded in ``potential_source``:

    1. ``score``: the analyst's ``potential_score``;
    2. ``size``: the client's own size times a share-of-wallet norm:
       ``annual_revenue x wallet_share`` (per industry where
       ``wallet_share_by_industry`` has it), else ``employees x spend_per_employee``
       when that norm is set;
    3. ``behaviour``: the client's own purchase behaviour, its expected revenue
       over the next year (``behaviour``, per ``client_id``), given only when a
       forecast beat last year's revenue on the company's own history (see
       :func:`behaviour_forecast`);
    4. ``peers``: the ``quantile`` of current revenue of active clients that share
       real attributes (industry and size band, industry and region, or industry),
       when there are at least ``min_peers`` of them;
    5. ``unknown``: nothing supports an estimate, so potential and headroom stay
       empty (NaN). Never the revenue of "all clients", which would make the
       potential axis say nothing.

    A potential is never below the client's own current revenue.

    Parameters
    ----------
    wallet_share : float or None, default 0.01
        The share of a client's own annual revenue it could spend with the
        company (an assumption, shown in the report); None turns the size
        source off for annual revenue.
    wallet_share_by_industry : dict, optional
        Per-industry norms that replace ``wallet_share``.
    spend_per_employee : float, optional
        Yearly spend a client could place per employee; off by default (no
        honest universal norm exists).
    min_peers : int, default 5
        Fewest peers whose revenue may stand for a client's potential.
    behaviour : Series, optional
        Expected annual revenue per ``client_id`` from purchase behaviour.
    """
    out = criteria.copy()
    active = out.loc[out["status"] == "active"]
    out["potential"] = np.nan
    out["potential_source"] = pd.Series("unknown", index=out.index, dtype="string")

    def fill(values: pd.Series, source: str) -> None:
        todo = out["potential"].isna() & values.notna()
        out.loc[todo, "potential"] = values[todo]
        out.loc[todo, "potential_source"] = source

    if "potential_score" in out:
        fill(out["potential_score"].astype(float), "score")
    if "annual_revenue" in out and wallet_share is not None:
        share = pd.Series(wallet_share, index=out.index, dtype=float)
        if wallet_share_by_industry and "industry" in out:
            share = out["industry"].map(wallet_share_by_industry).astype(float).fillna(wallet_share)
        fill(out["annual_revenue"].astype(float) * share, "size")
    if "employees" in out and spend_per_employee is not None:
        fill(out["employees"].astype(float) * spend_per_employee, "size")
    if behaviour is not None:
        fill(out["client_id"].map(behaviour).astype(float), "behaviour")
    for keys in PEER_LEVELS:
        if not all(k in out and out[k].notna().any() for k in keys):
            continue
        known = active.dropna(subset=list(keys))
        if "size_band" in keys:
            known = known.loc[known["size_band"] != "unknown"]
        grouped = known.groupby(list(keys), observed=True)["revenue"]
        stats = pd.DataFrame({"n": grouped.count(), "peer": grouped.quantile(quantile)})
        peers = stats.loc[stats["n"] >= min_peers, "peer"]
        if peers.empty:
            continue
        todo = out["potential"].isna()
        peer = out.loc[todo, list(keys)].merge(peers, left_on=list(keys), right_index=True, how="left")["peer"]
        fill(peer.reindex(out.index), "peers")
    out["potential"] = out["potential"].clip(lower=out["revenue"])  # stays NaN where unknown
    out["headroom"] = out["potential"] - out["revenue"]
    return out


def potential_sources(criteria: pd.DataFrame) -> pd.DataFrame:
    """How many clients' potential came from each source (all sources listed, zeros included)."""
    counts = criteria["potential_source"].value_counts().reindex(list(POTENTIAL_SOURCES), fill_value=0)
    return counts.rename("clients").rename_axis("source").reset_index()


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


def run_step(
    run_dir,
    size_bands=(50, 250, 1000),
    peer_quantile: float = 0.75,
    lookback_months: int = 12,
    *,
    min_peers: int = MIN_PEERS,
    wallet_share: float | None = 0.01,
    wallet_share_by_industry: dict | None = None,
    spend_per_employee: float | None = None,
    currency: str = "RUB",
    lost_min_history_months: float = 6,
    forecast: dict | None = None,
    potential_from_behaviour: bool = False,
) -> dict:
    """Forecast each client's next period, compute the criteria table from the canonical tables; save them.

    ``potential_from_behaviour`` (off by default) lets the forecast stand for
    potential where no score, size or peers support one (:func:`behaviour_potential`).
    """
    from babel.numbers import get_currency_precision

    from . import artifacts

    tables = {t: artifacts.load(run_dir, "intake", t, optional=True) for t in ("clients", "transactions", "payments")}
    period = artifacts.load(run_dir, "intake", "period")
    goal = artifacts.load(run_dir, "goal", "goal")
    start, end = pd.Timestamp(period["start"]), pd.Timestamp(period["end"])
    ahead = behaviour_forecast(tables["transactions"], end, forecast)
    behaviour = behaviour_potential(ahead) if potential_from_behaviour else None
    # The same settings for this window and, to test on last year what the rules claim (step 3's growth
    # check), for the one before it when the data holds it whole; behaviour is this year's forecast only.
    common: dict[str, Any] = {
        "lookback_months": lookback_months,
        "size_bands": list(size_bands),
        "peer_quantile": peer_quantile,
        "money_digits": get_currency_precision(currency),
        "lost_min_history_months": lost_min_history_months,
    }
    settings: dict[str, Any] = {
        "min_peers": min_peers,
        "wallet_share": wallet_share,
        "wallet_share_by_industry": wallet_share_by_industry,
        "spend_per_employee": spend_per_employee,
    }
    people = (tables["clients"], tables["transactions"], tables["payments"])
    table = client_criteria(
        *people,
        start=start,
        end=end,
        new_product_line=goal.get("new_product_line"),
        potential={**settings, "behaviour": behaviour},
        **common,
    )
    history = history_before_window(
        tables["transactions"].loc[until_end_of(end, tables["transactions"]["date"])], start
    )
    last_year = None
    if history >= lookback_months:
        last_year = client_criteria(
            *people,
            start=start - pd.DateOffset(months=lookback_months),
            end=start - pd.Timedelta(days=1),
            potential=settings,
            **common,
        )
    avail = availability({k: v for k, v in tables.items() if v is not None})
    counts = status_counts(table)
    notes = [
        artifacts.note("criterion_missing", criterion=r.criterion, columns=r.missing)
        for r in avail.itertuples()
        if not r.available
    ]
    sources = potential_sources(table)
    n = dict(zip(sources["source"], sources["clients"], strict=True))
    if n["size"]:
        notes.append(artifacts.note("potential_size", n=n["size"], share=wallet_share or 0))
    if n["behaviour"]:
        notes.append(artifacts.note("potential_behaviour", n=n["behaviour"], model=ahead["info"]["chosen"]))
    elif not potential_from_behaviour and n["unknown"]:
        notes.append(artifacts.note("potential_behaviour_off"))
    elif ahead["info"]["backtested"] and n["unknown"]:
        notes.append(artifacts.note("potential_behaviour_not_used"))
    if n["peers"]:
        notes.append(artifacts.note("potential_peers", n=n["peers"], quantile=peer_quantile, min_peers=min_peers))
    if n["unknown"]:
        notes.append(artifacts.note("potential_unknown", n=n["unknown"]))
    lost = int((table["status"] == "lost").sum())
    short = bool(lost and history < lost_min_history_months)
    if short:
        notes.append(
            artifacts.note("lost_history_short", n=lost, days=round(history * 30.4375), months=lost_min_history_months)
        )
    meta = {
        "history_before_window_months": history,
        "lost_min_history_months": lost_min_history_months,
        "lost_history_short": short,
    }
    artifacts.save(
        run_dir,
        "criteria",
        criteria=table,
        meta=meta,
        forecast_clients=ahead["clients"],
        forecast_against=ahead["against"],
        forecast_info=ahead["info"],
        backtest=ahead["metrics"],
        backtest_deciles=ahead["deciles"],
        **({"criteria_last_year": last_year} if last_year is not None else {}),
        availability=avail,
        status_counts=counts,
        potential_sources=sources,
        notes=notes,
    )
    return {
        "criteria": table,
        "meta": meta,
        "forecast": ahead,
        "availability": avail,
        "status_counts": counts,
        "potential_sources": sources,
        "notes": notes,
    }
