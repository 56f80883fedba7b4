"""Step 1 — Goal: what the segmentation is for, and the portfolio behind it.

The goal decides how segments are ranked: each goal is a set of weights over
the segment metrics of ``priorities.segment_cards``: ``margin_share``,
``revenue_share`` (of the company's), ``margin_pct``, ``headroom_share``
(of the unrealised potential), ``frequency`` (invoices per client a year),
``new_line_gap`` (of the existing clients not buying the new line yet) and
``smb_share`` (of the small and mid-size clients).
The portfolio diagnostics (product lines, client concentration) are the facts
a consultant uses to choose the goal.
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
        80% of revenue) and its share of clients.
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
    return curve, figures


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
    notes = []
    if lines is None:
        notes.append(artifacts.note("no_product_line"))
    if "cost" not in tx or tx["cost"].isna().all():
        notes.append(artifacts.note("no_cost"))
    if new_product_line and (lines is None or new_product_line not in set(lines["product_line"])):
        notes.append(artifacts.note("new_line_not_sold", line=new_product_line))
    goal.notes = notes
    figures.update(
        revenue=float(current["amount"].sum()),
        lines=int(len(current)),
        margin=float(current["amount"].sum() - current["cost"].sum())
        if "cost" in current and current["cost"].notna().any()
        else None,
    )
    saved = {"goal": goal.to_dict(), "pareto": curve, "concentration": figures}
    if lines is not None:
        saved["product_lines"] = lines
    artifacts.save(run_dir, "goal", **saved)
    return {"goal": goal, "product_lines": lines, "pareto": curve, "concentration": figures, "period": period}
