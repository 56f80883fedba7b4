"""Step 4 — Priorities: describe each segment, score it by the goal, set tiers.

A segment card holds what the methodology asks for (number of companies,
share of sales, profitability, average invoice, purchase frequency). The
priority score is the goal's weighted sum of segment metrics, each scaled to
0–1 by its maximum over segments. Key accounts are flagged by their share of
the company's margin (revenue when there is no cost).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KEY_ACCOUNT_FLAGS = ("key", "critical", "mono")


def segment_cards(criteria: pd.DataFrame, segments: pd.DataFrame, order: list[str] | None = None) -> pd.DataFrame:
    """One row per segment with its description and the metrics goals weigh.

    Parameters
    ----------
    criteria : DataFrame
        Per-client criteria (``client_id``, ``revenue``, ``margin``, ``invoices``,
        ``frequency``, ``headroom``, ``status``, ``smb``, ``buys_new_line``).
    segments : DataFrame
        ``client_id`` and ``segment``.
    order : list of str, optional
        Display order of segments.

    Returns
    -------
    DataFrame
        ``segment, clients, client_share, revenue, revenue_share, margin,
        margin_share, margin_pct, avg_invoice, frequency, headroom,
        headroom_share, new_line_gap, smb_share, revenue_total``.
    """
    df = criteria.merge(segments, on="client_id", how="inner", validate="one_to_one")
    existing = df["status"] != "potential"
    df = df.assign(
        no_new_line=existing & ~df["buys_new_line"],
        smb_flag=df["smb"].fillna(False).astype(bool),
    )
    g = df.groupby("segment", sort=False)
    cards = pd.DataFrame(
        {
            "clients": g.size(),
            "revenue": g["revenue"].sum(),
            "margin": g["margin"].sum(min_count=1),
            "invoices": g["invoices"].sum(),
            "frequency": g["frequency"].mean(),
            "headroom": g["headroom"].sum(),
            "no_new_line": g["no_new_line"].sum(),
            "smb": g["smb_flag"].sum(),
            "revenue_total": g["revenue_total"].sum(),
        }
    )
    cards["client_share"] = cards["clients"] / cards["clients"].sum()
    cards["revenue_share"] = _share(cards["revenue"])
    cards["margin_share"] = _share(cards["margin"])
    cards["margin_pct"] = cards["margin"] / cards["revenue"].where(cards["revenue"] > 0)
    cards["avg_invoice"] = cards["revenue"] / cards["invoices"].where(cards["invoices"] > 0)
    cards["headroom_share"] = _share(cards["headroom"])
    cards["new_line_gap"] = _share(cards["no_new_line"])
    cards["smb_share"] = _share(cards["smb"])
    cards = cards.reset_index()
    if order:
        cards["_o"] = cards["segment"].map({s: i for i, s in enumerate(order)})
        cards = cards.sort_values("_o").drop(columns="_o")
    return cards.reset_index(drop=True)


def _share(values: pd.Series) -> pd.Series:
    total = values.sum(min_count=1)
    if pd.isna(total) or total == 0:
        return pd.Series(np.nan, index=values.index)
    return values / total


def priority_scores(cards: pd.DataFrame, weights: dict[str, float], n_tiers: int = 4) -> pd.DataFrame:
    """Score segments by the goal's weights and cut them into tiers.

    Each metric is clipped at 0 (a negative margin earns nothing) and divided
    by its maximum over segments; the score is the weighted sum (weights sum
    to 1, so the score is in 0–1). Segments are ranked by score and split into
    ``n_tiers`` tiers of nearly equal size, tier 1 first; segments that lose
    money rank last whatever their score. A metric the data cannot give (all
    NaN) scores 0 for every segment.

    Returns
    -------
    DataFrame
        ``cards`` with ``score``, ``rank`` (1 = best) and ``tier``, sorted by rank.
    """
    out = cards.copy()
    score = pd.Series(0.0, index=out.index)
    for metric, weight in weights.items():
        values = out[metric].astype(float).clip(lower=0).fillna(0)
        top = values.max()
        if top > 0:
            score += weight * values / top
    out["score"] = score
    # A segment that loses money (negative margin; negative revenue without cost) ranks after every
    # profitable one, whatever its headroom: the method's "clients that cost money".
    margin = out["margin"] if "margin" in out else pd.Series(np.nan, index=out.index)
    out["_loses"] = margin.fillna(out["revenue"]) < 0
    out = out.sort_values(["_loses", "score", "revenue"], ascending=[True, False, False], ignore_index=True)
    out = out.drop(columns="_loses")
    out["rank"] = np.arange(1, len(out) + 1)
    n = len(out)
    out["tier"] = (np.arange(n) * min(n_tiers, n) // n + 1) if n else []
    return out


#: What a goal metric falls back to when the data cannot give it (None: dropped).
FALLBACK = {"margin_share": "revenue_share", "margin_pct": None, "new_line_gap": None, "smb_share": None}


def adapt_weights(
    weights: dict[str, float], cards: pd.DataFrame
) -> tuple[dict[str, float], list[tuple[str, str | None]]]:
    """Move the weight of metrics the data cannot give to their fallback.

    Without cost, the share of margin becomes the share of revenue (the
    methodology: profitability is then revenue-based); a metric without a
    fallback is dropped and the rest re-normalised to sum to 1.

    Returns
    -------
    weights : dict
    changes : list of (metric, replacement or None)
    """
    out, changes = dict(weights), []
    for metric in list(out):
        if metric in cards and cards[metric].isna().all():
            weight = out.pop(metric)
            target = FALLBACK.get(metric)
            if target is not None and not cards[target].isna().all():
                out[target] = out.get(target, 0.0) + weight
            else:
                target = None
            changes.append((metric, target))
    total = sum(out.values())
    return ({k: v / total for k, v in out.items()} if total else out), changes


def key_accounts(criteria: pd.DataFrame, thresholds=(0.10, 0.20, 0.70)) -> tuple[pd.DataFrame, str]:
    """Clients whose share of the company's margin crosses the key-account thresholds.

    Returns
    -------
    flagged : DataFrame
        ``client_id, name, share, flag`` with flag ``key`` (> first
        threshold), ``critical`` (> second: the company depends on it) or
        ``mono`` (> third: a mono-client); largest first.
    basis : {"margin", "revenue"}
        Revenue is used when the data has no cost.
    """
    basis = "margin" if criteria["margin"].notna().any() else "revenue"
    value = criteria[basis].fillna(0)
    total = value.clip(lower=0).sum()
    share = value / total if total > 0 else value * 0
    flag = np.select(
        [share > thresholds[2], share > thresholds[1], share > thresholds[0]], list(KEY_ACCOUNT_FLAGS[::-1]), default=""
    )
    cols = ["client_id"] + (["name"] if "name" in criteria else [])
    flagged = criteria[cols].assign(value=value, share=share, flag=flag)
    flagged = flagged.loc[flagged["flag"] != ""].sort_values("share", ascending=False, ignore_index=True)
    return flagged, basis


def division_shares(criteria: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame | None:
    """Share of each division's current revenue by segment (columns sum to 1).

    None when the client table has no division.
    """
    if "division" not in criteria or criteria["division"].isna().all():
        return None
    df = criteria.merge(segments, on="client_id")
    df = df.loc[df["revenue"] > 0]
    table = df.pivot_table(index="segment", columns="division", values="revenue", aggfunc="sum", fill_value=0)
    return table / table.sum()


def run_step(run_dir, n_tiers: int = 4, key_account_thresholds=(0.10, 0.20, 0.70)) -> dict:
    """Describe and score the segments, flag key accounts; save them."""
    from . import artifacts

    criteria = artifacts.load(run_dir, "criteria", "criteria")
    segments = artifacts.load(run_dir, "grouping", "segments")
    info = artifacts.load(run_dir, "grouping", "info")
    goal = artifacts.load(run_dir, "goal", "goal")
    cards = segment_cards(criteria, segments, info["segment_order"])
    weights, changes = adapt_weights(goal["weights"], cards)
    ranked = priority_scores(cards, weights, n_tiers)
    flagged, basis = key_accounts(criteria, tuple(key_account_thresholds))
    flagged = flagged.merge(segments, on="client_id", how="left")
    divisions = division_shares(criteria, segments)
    notes = []
    if basis == "revenue":
        notes.append(artifacts.note("key_accounts_revenue_based"))
    if divisions is None:
        notes.append(artifacts.note("no_division"))
    for metric, target in changes:
        if target:
            notes.append(artifacts.note("goal_metric_replaced", metric=metric, replacement=target))
        else:
            notes.append(artifacts.note("goal_metric_missing", metric=metric))
    saved = {
        "priorities": ranked,
        "key_accounts": flagged,
        "meta": {
            "key_account_basis": basis,
            "notes": notes,
            "thresholds": list(key_account_thresholds),
            "n_tiers": n_tiers,
            "weights": weights,
        },
    }
    if divisions is not None:
        saved["division_shares"] = divisions.reset_index()
    artifacts.save(run_dir, "priorities", **saved)
    return {"priorities": ranked, "key_accounts": flagged, "division_shares": divisions, "notes": notes}
