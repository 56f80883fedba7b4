"""Step 1 — Goal: what the segmentation is for, and the portfolio behind it.

The goal decides how segments are ranked: each goal is a set of weights over
the segment metrics of ``priorities.segment_cards``: ``margin_share``,
``revenue_share`` (of the company's), ``margin_pct``, ``headroom_share``
(of the unrealised potential), ``frequency`` (invoices per client a year),
``new_line_gap`` (of the existing clients not buying the new line yet) and
``smb_share`` (of the small and mid-size clients).
The portfolio diagnostics (product lines, client concentration with its
Pareto curve and Herfindahl–Hirschman index, market capacity) are the facts a
consultant uses to choose the goal.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

#: The goals of the methodology, as weights over segment metrics.
GOALS: dict[str, dict[str, float]] = {
    # Maximise profit by selling more high-margin products to key clients.
    "grow_margin_key_clients": {"margin_share": 0.40, "margin_pct": 0.20, "headroom_share": 0.30, "frequency": 0.10},
    # Maximise profit by selling the new product line to existing clients.
    "cross_sell_new_line": {"new_line_gap": 0.40, "revenue_share": 0.20, "frequency": 0.20, "margin_share": 0.20},
    # Stabilise the portfolio by acquiring new small and mid-size clients.
    "acquire_smb": {"smb_share": 0.40, "headroom_share": 0.35, "margin_pct": 0.15, "frequency": 0.10},
}


@dataclass
class Goal:
    """A resolved goal: its name, the weights it puts on segment metrics, its parameters."""

    name: str
    weights: dict[str, float]
    new_product_line: str | None = None
    notes: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The goal as plain data (saved as the step's artifact)."""
        return asdict(self)


def resolve_goal(name: str, weights: dict[str, float] | None = None, new_product_line: str | None = None) -> Goal:
    """Build a goal from the catalogue, with the engagement's weight overrides.

    Parameters
    ----------
    name : str
        A key of :data:`GOALS`, or ``"custom"`` (then ``weights`` is the goal).
    weights : dict, optional
        Metric weights that replace the catalogue's for those metrics.
    new_product_line : str, optional
        Needed by ``cross_sell_new_line``.

    Returns
    -------
    Goal
        Weights normalised to sum to 1.
    """
    if name == "custom":
        merged = dict(weights or {})
    elif name in GOALS:
        merged = {**GOALS[name], **(weights or {})}
    else:
        raise ValueError(f"unknown goal '{name}'; expected one of {', '.join(GOALS)} or custom")
    total = sum(merged.values())
    if total <= 0:
        raise ValueError(f"goal '{name}': weights must sum to more than 0, got {merged}")
    merged = {k: v / total for k, v in merged.items() if v > 0}
    return Goal(name=name, weights=merged, new_product_line=new_product_line)


def product_lines(transactions: pd.DataFrame) -> pd.DataFrame | None:
    """Revenue, margin and clients by product line, largest revenue first.

    Returns None when the export has no product line. ``margin`` and
    ``margin_pct`` are NaN when it has no cost.
    """
    if "product_line" not in transactions or transactions["product_line"].isna().all():
        return None
    tx = transactions.assign(product_line=transactions["product_line"].fillna("(none)"))
    has_cost = "cost" in tx and tx["cost"].notna().any()
    grouped = tx.groupby("product_line", observed=True)
    out = pd.DataFrame(
        {
            "revenue": grouped["amount"].sum(),
            "margin": (grouped["amount"].sum() - grouped["cost"].sum()) if has_cost else np.nan,
            "clients": grouped["client_id"].nunique(),
        }
    ).reset_index()
    out["revenue_share"] = out["revenue"] / out["revenue"].sum()
    out["margin_pct"] = out["margin"] / out["revenue"]
    if has_cost:
        out["margin_share"] = out["margin"] / out["margin"].sum()
    else:
        out["margin_share"] = np.nan
    return out.sort_values("revenue", ascending=False, ignore_index=True)


def top_lines(lines: pd.DataFrame, n: int = 12, other: str = "other") -> pd.DataFrame:
    """The ``n`` largest product lines and one row summing the rest (for tables and charts).

    The remainder row is named ``other`` followed by the count of lines in it, e.g. ``other (3877)``.
    """
    if len(lines) <= n:
        return lines
    head, rest = lines.iloc[:n], lines.iloc[n:]
    sums = rest[["revenue", "margin", "revenue_share", "margin_share"]].sum(min_count=1)
    row = {
        "product_line": f"{other} ({len(rest)})",
        **sums.to_dict(),
        "clients": np.nan,  # distinct buyers not additive
        "margin_pct": sums["margin"] / sums["revenue"] if sums["revenue"] else np.nan,
    }
    return pd.concat([head, pd.DataFrame([row])], ignore_index=True)


def concentration(transactions: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Client concentration of revenue: the Pareto curve and its key figures.

    Parameters
    ----------
    transactions : DataFrame
        ``client_id`` and ``amount`` (the period to study, usually the last 12 months).

    Returns
    -------
    curve : DataFrame
        One row per client, largest first: ``client_share`` (cumulative share
        of clients) and ``revenue_share`` (cumulative share of revenue).
    figures : dict
        ``clients``, ``top20_share`` (revenue share of the top 20% of clients,
        rounded up to whole clients), ``clients_for_80`` (how many clients make
        80% of revenue) and its share of clients; ``hhi``, ``hhi_level`` and
        ``equivalent_clients`` of :func:`herfindahl` over the same clients.
    """
    revenue = transactions.groupby("client_id")["amount"].sum()
    revenue = revenue[revenue > 0].sort_values(ascending=False)
    n = len(revenue)
    total = revenue.sum()
    cum = revenue.cumsum() / total if total else revenue * 0
    curve = pd.DataFrame(
        {
            "client_share": np.arange(1, n + 1) / n if n else [],
            "revenue_share": cum.to_numpy(),
        }
    )
    top_n = int(np.ceil(0.2 * n))
    figures = {
        "clients": n,
        "top20_clients": top_n,
        "top20_share": float(revenue.iloc[:top_n].sum() / total) if n else float("nan"),
        "clients_for_80": int((cum < 0.8).sum() + 1) if n else 0,
    }
    figures["clients_for_80_share"] = figures["clients_for_80"] / n if n else float("nan")
    figures.update(herfindahl(revenue))
    return curve, figures


#: The usual reading of the Herfindahl–Hirschman index (0–10,000): below the first bound
#: unconcentrated, up to the second (inclusive) moderately concentrated, above it highly concentrated.
HHI_BOUNDS = (1500, 2500)
HHI_LEVELS = ("unconcentrated", "moderate", "high")


def herfindahl(revenue: pd.Series) -> dict:
    """Client concentration as the Herfindahl–Hirschman index of revenue shares.

    Parameters
    ----------
    revenue : Series
        Revenue per client in the period; clients with no positive revenue
        have no share and are left out (as on the Pareto curve).

    Returns
    -------
    dict
        ``hhi``: the sum of squared revenue shares in percent (0–10,000; one
        client = 10,000, n equal clients = 10,000 / n); ``hhi_level``:
        ``unconcentrated`` (< 1,500), ``moderate`` (1,500–2,500) or ``high``
        (> 2,500); ``equivalent_clients``: 10,000 / HHI, the number of equal
        clients that would give the same concentration. NaN and None without
        revenue.
    """
    positive = revenue[revenue > 0].astype(float)
    total = positive.sum()
    if not len(positive) or total <= 0:
        return {"hhi": float("nan"), "hhi_level": None, "equivalent_clients": float("nan")}
    hhi = float(((positive / total * 100) ** 2).sum())
    level = HHI_LEVELS[0] if hhi < HHI_BOUNDS[0] else HHI_LEVELS[1] if hhi <= HHI_BOUNDS[1] else HHI_LEVELS[2]
    return {"hhi": hhi, "hhi_level": level, "equivalent_clients": 10_000 / hhi}


def client_base(transactions: pd.DataFrame, clients: pd.DataFrame, start, end) -> dict:
    """The period's average invoice and the active, lost and potential clients behind market capacity.

    Statuses follow step 2's rule (``criteria.client_criteria``): active if
    bought in ``[start, end]``, lost if bought before ``start`` only, potential
    if a client of ``clients`` never bought up to ``end``. An invoice is an
    ``invoice_id`` (client x date where it is missing, or without the column).

    Returns
    -------
    dict
        ``active, lost, potential, revenue, invoices`` (of the period) and
        ``avg_invoice`` (revenue / invoices; NaN without invoices).
    """
    tx = transactions.loc[transactions["date"] < pd.Timestamp(end).normalize() + pd.Timedelta(days=1)]
    current = tx.loc[tx["date"] >= pd.Timestamp(start)]
    key = current["client_id"].astype(str) + "|" + current["date"].astype(str)
    if "invoice_id" in current:
        key = current["invoice_id"].astype("string").fillna(key)
    bought, active = set(tx["client_id"]), set(current["client_id"])
    ids = set(clients["client_id"])
    revenue, invoices = float(current["amount"].sum()), int(key.nunique())
    return {
        "active": len(ids & active),
        "lost": len(ids & (bought - active)),
        "potential": len(ids - bought),
        "revenue": revenue,
        "invoices": invoices,
        "avg_invoice": revenue / invoices if invoices else float("nan"),
    }


def market_capacity(
    avg_invoice: float, active: int, potential: int, invoices_per_client_year: float | None = None
) -> dict:
    """Market capacity as the method computes it: average invoice x (active + potential clients).

    That is the value of one purchase by every client of the market the
    company knows. With ``invoices_per_client_year`` (how often an active
    client buys), ``yearly`` is the same at that purchase rate:
    average invoice x invoices a year x clients.

    Returns
    -------
    dict
        ``avg_invoice, active, potential, clients, capacity`` and, when the
        rate is given, ``invoices_per_client_year`` and ``yearly``.
    """
    clients = int(active) + int(potential)
    out = {
        "avg_invoice": float(avg_invoice),
        "active": int(active),
        "potential": int(potential),
        "clients": clients,
        "capacity": float(avg_invoice) * clients,
    }
    if invoices_per_client_year is not None:
        out["invoices_per_client_year"] = float(invoices_per_client_year)
        out["yearly"] = out["capacity"] * float(invoices_per_client_year)
    return out


def run_step(run_dir, goal_name: str, goal_weights: dict | None = None, new_product_line: str | None = None) -> dict:
    """Resolve the goal and compute the portfolio diagnostics for the current window; save them."""
    from . import artifacts
    from .intake import until_end_of

    goal = resolve_goal(goal_name, goal_weights, new_product_line)
    tx = artifacts.load(run_dir, "intake", "transactions")
    period = artifacts.load(run_dir, "intake", "period")
    current = tx.loc[
        (tx["date"] >= pd.Timestamp(period["start"])) & until_end_of(pd.Timestamp(period["end"]), tx["date"])
    ]
    lines = product_lines(current)
    curve, figures = concentration(current)
    base = client_base(tx, artifacts.load(run_dir, "intake", "clients"), period["start"], period["end"])
    months = period.get("lookback_months") or 12
    rate = base["invoices"] / base["active"] * 12 / months if base["active"] else None
    capacity = market_capacity(
        0.0 if pd.isna(base["avg_invoice"]) else base["avg_invoice"], base["active"], base["potential"], rate
    )
    capacity["revenue"] = base["revenue"]
    notes = []
    if lines is None:
        notes.append(artifacts.note("no_product_line"))
    if "cost" not in tx or tx["cost"].isna().all():
        notes.append(artifacts.note("no_cost"))
    if new_product_line and (lines is None or new_product_line not in set(lines["product_line"])):
        notes.append(artifacts.note("new_line_not_sold", line=new_product_line))
    if not base["potential"]:
        notes.append(artifacts.note("capacity_no_potential"))
    goal.notes = notes
    figures.update(
        revenue=float(current["amount"].sum()),
        lines=int(len(current)),
        margin=float(current["amount"].sum() - current["cost"].sum())
        if "cost" in current and current["cost"].notna().any()
        else None,
    )
    saved = {"goal": goal.to_dict(), "pareto": curve, "concentration": figures, "market_capacity": capacity}
    if lines is not None:
        saved["product_lines"] = lines
    artifacts.save(run_dir, "goal", **saved)
    return {
        "goal": goal,
        "product_lines": lines,
        "pareto": curve,
        "concentration": figures,
        "market_capacity": capacity,
        "period": period,
    }
