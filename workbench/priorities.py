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

from .config import KEY_ACCOUNT_KINDS

KEY_ACCOUNT_FLAGS = ("key", "critical", "mono")
#: How much of a client's headroom counts, by the evidence behind its potential (an assumption,
#: shown in the report): an analyst's score fully, the client's own size three quarters, peers half.
EVIDENCE_WEIGHTS = {"score": 1.0, "size": 0.75, "behaviour": 0.5, "peers": 0.5, "unknown": 0.0}


def take_up_odds(winback_share: float | None = None, conversion_rate: float | None = None) -> dict[str, float]:
    """How much of the headroom of a client who does not buy today counts, by status.

    A lost client's headroom counts at the share of its margin a win-back regains and a
    never-bought client's at the share of prospects hunting converts: the same assumptions
    (``allocation.economics.winback_share`` and ``conversion_rate``, their defaults when not
    given) that value their work in step 6, so that a prospect's whole potential never ranks
    as if it were already a client's. An active client's counts fully.
    """
    from .config import EconomicsConfig

    fields = EconomicsConfig.model_fields
    return {
        "active": 1.0,
        "lost": float(fields["winback_share"].default if winback_share is None else winback_share),
        "potential": float(fields["conversion_rate"].default if conversion_rate is None else conversion_rate),
    }


def segment_cards(
    criteria: pd.DataFrame,
    segments: pd.DataFrame,
    order: list[str] | None = None,
    take_up: dict[str, float] | None = None,
) -> pd.DataFrame:
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
    take_up : dict, optional
        Status -> the share of a client's headroom that counts (:func:`take_up_odds`, its
        defaults when not given); a status it omits counts fully.

    ``headroom`` is each client's headroom weighted by the evidence behind its
    potential (:data:`EVIDENCE_WEIGHTS`) and by ``take_up``, summed.

    Returns
    -------
    DataFrame
        ``segment, clients, client_share, revenue, revenue_share, margin,
        margin_share, margin_pct, avg_invoice, frequency, headroom,
        headroom_share, new_line_gap, smb_share, revenue_total``.
    """
    df = criteria.merge(segments, on="client_id", how="inner", validate="one_to_one")
    existing = df["status"] != "potential"
    evidence = df.get("potential_source", pd.Series("score", index=df.index)).map(EVIDENCE_WEIGHTS).fillna(0.0)
    odds = df["status"].map(take_up_odds() if take_up is None else take_up).fillna(1.0)
    df = df.assign(
        no_new_line=existing & ~df["buys_new_line"],
        smb_flag=df["smb"].fillna(False).astype(bool),
        headroom_weighted=df["headroom"] * evidence * odds,
    )
    g = df.groupby("segment", sort=False)
    cards = pd.DataFrame(
        {
            "clients": g.size(),
            "revenue": g["revenue"].sum(),
            "margin": g["margin"].sum(min_count=1),
            "invoices": g["invoices"].sum(),
            "frequency": g["frequency"].mean(),
            # Headroom counts in proportion to its evidence and, for clients who do not buy today, the odds
            # that they do; a segment of unknown potential has none to show.
            "headroom": g["headroom_weighted"].sum(min_count=1),
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
    contributions = score_contributions(out, weights)
    out["score"] = contributions.sum(axis=1)
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


#: Attributes a segment's profile describes, when the data has them (the typical value against the base).
PROFILE_ATTRIBUTES = ("industry", "region", "size_band", "channel")


#: A segment differs from the base in an attribute when one value's share in it is this much above its share in
#: the base (0.05: five percentage points)...
PROFILE_DISTINCT_POINTS = 0.05
#: ...among the values that hold at least this share of the segment (a value of 3 % is no portrait)...
PROFILE_MIN_SHARE = 0.10
#: ...and at least this many of its clients (two clients in Sweden are no portrait either).
PROFILE_MIN_CLIENTS = 5


def segment_profiles(
    criteria: pd.DataFrame, segments: pd.DataFrame, min_clients: int = PROFILE_MIN_CLIENTS
) -> pd.DataFrame:
    """Who each segment's clients are, against the whole base: "who they are" on the segment's card.

    For each attribute of :data:`PROFILE_ATTRIBUTES` the data has, the value
    that sets the segment apart: the one whose share in the segment exceeds
    its share in the whole base the most, by at least
    :data:`PROFILE_DISTINCT_POINTS` (among values held by at least
    :data:`PROFILE_MIN_SHARE` of the segment and ``min_clients`` clients); where none does, the segment
    is like the base in that attribute and its most common value is given,
    marked ``<attr>_distinct = False``. Then the median tenure in years; the
    range of yearly revenue per client (25th to 75th percentile, clients who
    bought in the window); the product lines most of the segment's clients buy.

    Returns
    -------
    DataFrame
        One row per segment: ``segment, clients``, per attribute
        ``<attr>, <attr>_share, <attr>_base_share, <attr>_distinct``, ``tenure_years``,
        ``revenue_p25, revenue_p75``, ``top_lines`` (up to three, by how many
        clients buy them) and ``top_lines_share`` (share of the segment's
        buying clients that buy the first).
    """
    df = criteria.merge(segments, on="client_id", how="inner")
    rows = []
    attrs = [a for a in PROFILE_ATTRIBUTES if a in df and df[a].notna().any() and (df[a] != "unknown").any()]
    for seg, part in df.groupby("segment", sort=False):
        row: dict = {"segment": seg, "clients": len(part)}
        for a in attrs:
            known = part[a].dropna()
            known = known[known != "unknown"]
            if known.empty:
                row.update({a: None, f"{a}_share": np.nan, f"{a}_base_share": np.nan, f"{a}_distinct": False})
                continue
            base = df[a].dropna()
            base = base[base != "unknown"]
            shares = known.value_counts(normalize=True)
            lift = shares - base.value_counts(normalize=True).reindex(shares.index).fillna(0.0)
            lift = lift[(shares >= PROFILE_MIN_SHARE) & (shares * len(known) >= min_clients)]
            distinct = bool(len(lift)) and float(lift.max()) >= PROFILE_DISTINCT_POINTS
            top = str(lift.idxmax() if distinct else shares.idxmax())
            row.update(
                {
                    a: top,
                    f"{a}_share": float((known.astype(str) == top).mean()),
                    f"{a}_base_share": float((base == top).mean()),
                    f"{a}_distinct": distinct,
                }
            )
        row["tenure_years"] = (
            float(part["tenure_months"].median() / 12) if part["tenure_months"].notna().any() else np.nan
        )
        buying = part.loc[part["revenue"] > 0, "revenue"]
        row["revenue_p25"] = float(buying.quantile(0.25)) if len(buying) else np.nan
        row["revenue_p75"] = float(buying.quantile(0.75)) if len(buying) else np.nan
        lines = part["product_lines"].dropna() if "product_lines" in part else pd.Series(dtype=object)
        lines = lines[lines != ""]
        if len(lines):
            counts = lines.str.split(", ").explode().value_counts()
            row["top_lines"] = [str(x) for x in counts.index[:3]]
            row["top_lines_share"] = float(counts.iloc[0] / len(lines))
        else:
            row["top_lines"], row["top_lines_share"] = [], np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def score_contributions(cards: pd.DataFrame, weights: dict[str, float]) -> pd.DataFrame:
    """Each metric's part of each segment's score: weight x metric / the best segment's metric.

    Returns
    -------
    DataFrame
        Indexed like ``cards``, one column per weighted metric; rows sum to the score.
    """
    parts = {}
    for metric, weight in weights.items():
        values = cards[metric].astype(float).clip(lower=0).fillna(0)
        top = values.max()
        parts[metric] = weight * values / top if top > 0 else values * 0.0
    return pd.DataFrame(parts, index=cards.index)


#: The segment each goal's own sentence puts first: the property a ranking must satisfy.
GOAL_LEADS = {
    # "grow margin with key clients": the segment holding the largest share of margin (revenue without cost).
    "grow_margin_key_clients": "margin_share",
    # "sell a new line to existing clients": most active clients not yet buying the line.
    "cross_sell_new_line": "new_line_gap",
    # "acquire small and mid-size clients": the potential (never-bought) clients with most SMB.
    "acquire_smb": "smb_share",
}


def goal_lead(ranked: pd.DataFrame, goal_name: str, n_tiers: int = 4) -> tuple[pd.DataFrame, dict | None]:
    """Make the ranking satisfy the goal's own sentence; say what moved and why.

    A weighted score can put a segment first on the strength of a metric the
    goal does not name (margin %, or headroom in a small segment). Each
    catalogue goal names the segment that must lead (:data:`GOAL_LEADS`); if
    the score ranked another first, the lead segment is moved to rank 1, tiers
    are cut again, and the returned record names both segments and the
    metrics that had put the other ahead. For ``acquire_smb`` the lead is the
    never-bought ``potential`` segment when it exists. A segment that loses
    money never leads.

    ``ranked`` must be in rank order with a fresh index (as
    :func:`priority_scores` returns it).

    Returns
    -------
    ranked : DataFrame
    moved : dict or None
        ``goal, lead, lead_rank, was_first, metric`` when the order changed.
    """
    metric = GOAL_LEADS.get(goal_name)
    if metric is None or ranked.empty:
        return ranked, None
    values = ranked[metric] if metric in ranked else pd.Series(np.nan, index=ranked.index)
    if metric == "margin_share" and values.isna().all():
        metric, values = "revenue_share", ranked["revenue_share"]
    loses = ranked["margin"].fillna(ranked["revenue"]) < 0 if "margin" in ranked else ranked["revenue"] < 0
    candidates = values.where(~loses)
    if goal_name == "acquire_smb" and (ranked["segment"] == "potential").any():
        lead = int(np.flatnonzero(ranked["segment"].to_numpy() == "potential")[0])
    elif candidates.notna().any() and candidates.max() > 0:
        lead = int(np.nanargmax(candidates.to_numpy(dtype=float)))
    else:
        return ranked, None
    if lead == 0:
        return ranked, None
    moved = {
        "goal": goal_name,
        "lead": str(ranked["segment"].iloc[lead]),
        "lead_rank": lead + 1,
        "was_first": str(ranked.iloc[0]["segment"]),
        "metric": metric,
    }
    order = [lead] + [i for i in range(len(ranked)) if i != lead]
    out = ranked.iloc[order].reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    n = len(out)
    out["tier"] = np.arange(n) * min(n_tiers, n) // n + 1
    return out, moved


def sensitivity(cards: pd.DataFrame, weights: dict[str, float], n_tiers: int = 4, step: float = 0.2) -> list[dict]:
    """Tier changes when one weight moves by ``step`` (±20 %), to show how robust the order is.

    Returns
    -------
    list of dict
        One entry per (metric, direction) that changes a tier: ``metric``,
        ``change`` (+0.2 or -0.2) and ``moves`` (segment: (tier before, tier after)).
    """
    base = priority_scores(cards, weights, n_tiers).set_index("segment")["tier"]
    changes = []
    for metric in weights:
        for change in (step, -step):
            moved = {**weights, metric: weights[metric] * (1 + change)}
            total = sum(moved.values())
            tiers = priority_scores(cards, {k: v / total for k, v in moved.items()}, n_tiers).set_index("segment")
            diff = {s: (int(base[s]), int(tiers.loc[s, "tier"])) for s in base.index if tiers.loc[s, "tier"] != base[s]}
            if diff:
                changes.append({"metric": metric, "change": change, "moves": diff})
    return changes


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


def key_accounts(
    criteria: pd.DataFrame, thresholds=(0.10, 0.20, 0.70), kinds: dict[str, list[str]] | None = None
) -> tuple[pd.DataFrame, str]:
    """Key accounts: clients whose share of the company's margin crosses the thresholds, or named by kind.

    Parameters
    ----------
    criteria : DataFrame
        ``client_id``, ``margin``, ``revenue`` (and ``name``).
    thresholds : three increasing shares
        Key, critical dependence, mono-client.
    kinds : dict, optional
        ``client_id -> kinds`` of :data:`~workbench.config.KEY_ACCOUNT_KINDS`:
        the key accounts a consultant names for a quality, not money. Such a
        client is a key account whatever its share; IDs the criteria do not
        have are left out (see :func:`unknown_kind_clients`).

    Returns
    -------
    flagged : DataFrame
        ``client_id, name, value, share, flag, kinds`` with flag ``key`` (>
        first threshold), ``critical`` (> second: the company depends on it),
        ``mono`` (> third: a mono-client) or ``""`` (key by kind only), and
        ``kinds`` the named kinds as comma-separated codes (``""``: none);
        largest share first.
    basis : {"margin", "revenue"}
        Revenue is used when the data has no cost.
    """
    for client, named in (kinds or {}).items():
        unknown = [k for k in named if k not in KEY_ACCOUNT_KINDS]
        if unknown:
            raise ValueError(
                f"key-account kinds of {client}: unknown {', '.join(unknown)}; valid kinds: {', '.join(KEY_ACCOUNT_KINDS)}"
            )
    basis = "margin" if criteria["margin"].notna().any() else "revenue"
    value = criteria[basis].fillna(0)
    total = value.clip(lower=0).sum()
    share = value / total if total > 0 else value * 0
    flag = np.select(
        [share > thresholds[2], share > thresholds[1], share > thresholds[0]], list(KEY_ACCOUNT_FLAGS[::-1]), default=""
    )
    named_kinds = {str(c): ",".join(dict.fromkeys(k)) for c, k in (kinds or {}).items() if k}
    cols = ["client_id"] + (["name"] if "name" in criteria else [])
    flagged = criteria[cols].assign(
        value=value, share=share, flag=flag, kinds=[named_kinds.get(str(c), "") for c in criteria["client_id"]]
    )
    flagged = flagged.loc[(flagged["flag"] != "") | (flagged["kinds"] != "")]
    return flagged.sort_values("share", ascending=False, ignore_index=True), basis


def unknown_kind_clients(criteria: pd.DataFrame, kinds: dict[str, list[str]] | None) -> list[str]:
    """The client IDs given key-account kinds that the data does not have (sorted)."""
    known = set(criteria["client_id"].astype(str))
    return sorted(str(c) for c in (kinds or {}) if str(c) not in known)


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


def segment_forecast(forecast_clients: pd.DataFrame, against: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    """Next period's revenue and margin per segment from step 2's backtested forecast, with its error band.

    ``forecast_clients`` and ``against`` are what ``criteria.behaviour_forecast``
    saved (each client's forecast; the chosen model's backtest prediction
    against the actual); clients without a segment count as ``potential``.

    Returns
    -------
    DataFrame
        ``segment, clients, revenue, revenue_band, margin, margin_band, buyers, band_basis``
        (see :func:`workbench.forecast.forecast_by_group`).
    """
    from .forecast import forecast_by_group

    ahead = forecast_clients.set_index("client_id")
    labels = segments.set_index("client_id")["segment"].reindex(ahead.index)
    return (
        forecast_by_group(ahead, labels.fillna("potential"), against.set_index("client_id"))
        .rename_axis("segment")
        .reset_index()
    )


def run_step(
    run_dir,
    n_tiers: int = 4,
    key_account_thresholds=(0.10, 0.20, 0.70),
    key_account_kinds: dict | None = None,
    winback_share: float | None = None,
    conversion_rate: float | None = None,
) -> dict:
    """Describe and score the segments, flag key accounts, sum the next period's forecast by segment; save them.

    ``winback_share`` and ``conversion_rate`` are step 6's assumptions (``allocation.economics``), which
    also weigh lost and never-bought clients' headroom here (:func:`take_up_odds`).
    """
    from . import artifacts

    criteria = artifacts.load(run_dir, "criteria", "criteria")
    segments = artifacts.load(run_dir, "grouping", "segments")
    info = artifacts.load(run_dir, "grouping", "info")
    goal = artifacts.load(run_dir, "goal", "goal")
    take_up = take_up_odds(winback_share, conversion_rate)
    cards = segment_cards(criteria, segments, info["segment_order"], take_up)
    profiles = segment_profiles(criteria, segments)
    weights, changes = adapt_weights(goal["weights"], cards)
    ranked = priority_scores(cards, weights, n_tiers)
    ranked, moved = goal_lead(ranked, goal["name"], n_tiers)
    contributions = score_contributions(ranked, weights).assign(segment=ranked["segment"])
    shifts = sensitivity(cards, weights, n_tiers)
    flagged, basis = key_accounts(criteria, tuple(key_account_thresholds), key_account_kinds)
    flagged = flagged.merge(segments, on="client_id", how="left")
    divisions = division_shares(criteria, segments)
    notes = []
    unknown = unknown_kind_clients(criteria, key_account_kinds)
    if unknown:
        notes.append(artifacts.note("key_account_kinds_unknown", n=len(unknown), clients=", ".join(unknown)))
    if basis == "revenue":
        notes.append(artifacts.note("key_accounts_revenue_based"))
    if divisions is None:
        notes.append(artifacts.note("no_division"))
    for metric, target in changes:
        if target:
            notes.append(artifacts.note("goal_metric_replaced", metric=metric, replacement=target))
        else:
            notes.append(artifacts.note("goal_metric_missing", metric=metric))
    by_segment = segment_forecast(
        artifacts.load(run_dir, "criteria", "forecast_clients"),
        artifacts.load(run_dir, "criteria", "forecast_against"),
        segments,
    )
    saved = {
        "priorities": ranked,
        "key_accounts": flagged,
        "contributions": contributions,
        "forecast": by_segment,
        "profiles": profiles,
        "meta": {
            "goal_lead": moved,
            "sensitivity": shifts,
            "key_account_basis": basis,
            "notes": notes,
            "thresholds": list(key_account_thresholds),
            "n_tiers": n_tiers,
            "weights": weights,
            "take_up": take_up,
            "evidence_weights": dict(EVIDENCE_WEIGHTS),
        },
    }
    if divisions is not None:
        saved["division_shares"] = divisions.reset_index()
    artifacts.save(run_dir, "priorities", **saved)
    return {
        "priorities": ranked,
        "key_accounts": flagged,
        "division_shares": divisions,
        "forecast": by_segment,
        "notes": notes,
    }
