"""Step 3 — Grouping: clients into segments.

Two segmenters, both scikit-learn estimators so that an analyst can swap one
for another (or for any clusterer with ``fit_predict``) from the config:

- :class:`ABCDEClassifier`, the methodology's rule: current profitability ×
  potential, E for negative margin, classified within each sales channel;
- ``kmeans``: KMeans on log-scaled, standardised criteria.

Only clients that bought in the current window are segmented; *lost* and
*potential* clients form their own segments, because the method works them
with a different playbook (win-back; hunting).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.utils.validation import check_array, check_is_fitted

ABCDE = ("A", "B", "C", "D", "E")
#: C and D merged: low profitability where potential is unknown (no evidence tells C from D).
CD = "CD"
#: Display order of the ABCDE classes, the merged one included.
ABCDE_ORDER = ("A", "B", "C", "D", CD, "E")
#: Fewest share of a group's active clients with a known potential for the potential split to be made.
MIN_KNOWN_POTENTIAL = 0.5
SPECIAL_SEGMENTS = ("lost", "potential")


class ABCDEClassifier(ClusterMixin, BaseEstimator):
    """ABCDE classes from current profitability and potential.

    With profit quantiles taken over clients of non-negative profit:

    - E: profit < 0 (the client costs money);
    - A: profit ≥ the ``top_profit_quantile`` and potential ≥ the ``high_quantile``;
    - B: profit ≥ the ``high_quantile`` otherwise (high profitability);
    - C: profit below it, potential ≥ the ``high_quantile`` (growth source);
    - D: both below (low profitability, low potential).

    Parameters
    ----------
    top_profit_quantile : float, default=0.8
        Profit quantile from which profitability counts as "highest".
    high_quantile : float, default=0.5
        Quantile from which profit and potential count as "high".

    Attributes
    ----------
    top_profit_ : float
    high_profit_ : float
    high_potential_ : float
        Thresholds learned in ``fit``.
    labels_ : ndarray of shape (n_samples,)
        Class index of each training sample (0 = A ... 4 = E).
    classes_ : ndarray of str
        ``["A", "B", "C", "D", "E"]``.
    """

    def __init__(self, top_profit_quantile: float = 0.8, high_quantile: float = 0.5):
        self.top_profit_quantile = top_profit_quantile
        self.high_quantile = high_quantile

    def fit(self, X, y=None):
        """Learn the thresholds from X of shape (n_samples, 2): profit, potential."""
        X = check_array(X, ensure_min_features=2)
        if X.shape[1] != 2:
            raise ValueError(f"ABCDEClassifier expects 2 columns (profit, potential), got {X.shape[1]}")
        if not 0 < self.high_quantile <= self.top_profit_quantile < 1:
            raise ValueError(
                f"need 0 < high_quantile ({self.high_quantile}) <= top_profit_quantile ({self.top_profit_quantile}) < 1"
            )
        profit, potential = X[:, 0], X[:, 1]
        base = profit >= 0
        if not base.any():
            base = np.ones_like(profit, dtype=bool)
        self.top_profit_ = float(np.quantile(profit[base], self.top_profit_quantile))
        self.high_profit_ = float(np.quantile(profit[base], self.high_quantile))
        self.high_potential_ = float(np.quantile(potential[base], self.high_quantile))
        self.classes_ = np.array(ABCDE)
        self.n_features_in_ = 2
        self.labels_ = self.predict(X)
        return self

    def predict(self, X) -> np.ndarray:
        """Class index (0 = A ... 4 = E) of each row of X."""
        check_is_fitted(self, "top_profit_")
        X = check_array(X)
        profit, potential = X[:, 0], X[:, 1]
        high_potential = potential >= self.high_potential_
        return np.select(
            [profit < 0, (profit >= self.top_profit_) & high_potential, profit >= self.high_profit_, high_potential],
            [4, 0, 1, 2],
            default=3,
        )


def kmeans(n_clusters: int = 5, random_state: int = 42):
    """KMeans on signed-log, standardised features, as a scikit-learn pipeline."""
    from sklearn.cluster import KMeans
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    signed_log = FunctionTransformer(lambda X: np.sign(X) * np.log1p(np.abs(X)), feature_names_out="one-to-one")
    return make_pipeline(
        signed_log, StandardScaler(), KMeans(n_clusters=n_clusters, n_init=10, random_state=random_state)
    )


def segment_abcde(
    criteria: pd.DataFrame,
    top_profit_quantile=0.8,
    high_quantile=0.5,
    within: str | None = "channel",
    min_group: int = 20,
) -> tuple[pd.Series, dict]:
    """ABCDE class per active client, within each value of ``within`` when that column is present.

    Profit is the current margin, or current revenue when the data has no
    cost (the notes say so). Quantiles of a handful of clients are unstable,
    so a group of fewer than ``min_group`` active clients is classified with
    the thresholds of the whole active base.

    Potential splits A from B and C from D only where it is known (from a
    score, the client's size or real peers, see ``criteria.estimate_potential``);
    it is never invented. In a group where fewer than half the active clients
    have a known potential, the split is not made: A is the top profit quantile,
    B the rest of the upper half, and the lower half is one class ``CD`` (low
    profitability, potential unknown). Elsewhere a client of unknown potential
    goes to B (upper half) or CD (lower half).

    Returns
    -------
    labels : Series
        Indexed like ``criteria``; NaN for clients that are not active.
    info : dict
        ``profit_basis`` (margin or revenue), ``within`` (the column used or
        None), ``pooled`` (the small groups), ``thresholds`` per group and
        ``potential_split`` per group (False where it could not be made).
    """
    basis = "margin" if criteria["margin"].notna().any() else "revenue"
    active = criteria.loc[criteria["status"] == "active"]
    use_within = within if within and within in criteria and criteria[within].notna().any() else None
    key = active[use_within].fillna("—").astype(str) if use_within else pd.Series("all", index=active.index)
    whole = _fit_abcde(active, basis, top_profit_quantile, high_quantile)
    labels = pd.Series(np.nan, index=criteria.index, dtype=object)
    thresholds, pooled, split = {}, [], {}
    for name, part in active.groupby(key):
        if len(part) < min_group and len(part) < len(active):
            model = whole
            pooled.append(str(name))
        else:
            model = _fit_abcde(part, basis, top_profit_quantile, high_quantile)
        known = part["potential"].notna()
        profit = part[basis].to_numpy(dtype=float)
        if known.mean() >= MIN_KNOWN_POTENTIAL and np.isfinite(model.high_potential_):
            X = np.column_stack([profit, part["potential"].fillna(-1e300).to_numpy(dtype=float)])
            classes = pd.Series(model.classes_[model.predict(X)], index=part.index)
            # Unknown potential: no claim of high or low potential, so B above the median, CD below.
            upper = profit >= model.high_profit_
            unknown = ~known.to_numpy() & (profit >= 0)
            classes[unknown & upper] = "B"
            classes[unknown & ~upper] = CD
            split[str(name)] = True
        else:
            classes = pd.Series(
                np.select(
                    [profit < 0, profit >= model.top_profit_, profit >= model.high_profit_], ["E", "A", "B"], default=CD
                ),
                index=part.index,
            )
            split[str(name)] = False
        labels.loc[part.index] = classes.to_numpy(dtype=object)
        thresholds[str(name)] = {
            "top_profit": model.top_profit_,
            "high_profit": model.high_profit_,
            "high_potential": model.high_potential_,
            "clients": len(part),
        }
    return labels, {
        "profit_basis": basis,
        "within": use_within,
        "pooled": pooled,
        "min_group": min_group,
        "thresholds": thresholds,
        "potential_split": split,
    }


def _fit_abcde(part: pd.DataFrame, basis: str, top_profit_quantile: float, high_quantile: float) -> ABCDEClassifier:
    """The classifier fitted on a group; the potential threshold from clients whose potential is known."""
    known = part["potential"].notna()
    if known.any():
        X = part.loc[known, [basis, "potential"]].to_numpy(dtype=float)
        model = ABCDEClassifier(top_profit_quantile, high_quantile).fit(X)
        profit = part[basis].to_numpy(dtype=float)
        base = profit >= 0 if (profit >= 0).any() else np.ones_like(profit, dtype=bool)
        # Profit thresholds from the whole group, known potential or not.
        model.top_profit_ = float(np.quantile(profit[base], top_profit_quantile))
        model.high_profit_ = float(np.quantile(profit[base], high_quantile))
        return model
    X = np.column_stack([part[basis].to_numpy(dtype=float), np.zeros(len(part))])
    model = ABCDEClassifier(top_profit_quantile, high_quantile).fit(X)
    model.high_potential_ = float("nan")  # nothing to split potential by
    return model


def segment_kmeans(
    criteria: pd.DataFrame, features: list[str], n_clusters: int = 5, random_state: int = 42
) -> tuple[pd.Series, dict]:
    """KMeans clusters of active clients, named K1..Kn by falling mean margin (or revenue).

    Features that the data lacks (all missing) are left out and listed in
    ``info["dropped_features"]``.
    """
    active = criteria.loc[criteria["status"] == "active"]
    used = [f for f in features if f in active and active[f].notna().any()]
    dropped = [f for f in features if f not in used]
    if not used:
        raise ValueError(f"kmeans: none of the features {features} is available")
    k = min(n_clusters, len(active))
    X = active[used].astype(float).fillna(active[used].median())
    model = kmeans(k, random_state).fit(X)
    raw = model[-1].labels_
    value = active["margin"] if active["margin"].notna().any() else active["revenue"]
    order = value.groupby(raw).mean().sort_values(ascending=False).index
    names = {cluster: f"K{i + 1}" for i, cluster in enumerate(order)}
    labels = pd.Series(np.nan, index=criteria.index, dtype=object)
    labels.loc[active.index] = np.array([names[c] for c in raw], dtype=object)
    info = {
        "features": used,
        "dropped_features": dropped,
        "n_clusters": k,
        "silhouette": _silhouette(model[:-1].transform(X), raw, random_state),
    }
    return labels, info


def _silhouette(X, labels, random_state) -> float | None:
    from sklearn.metrics import silhouette_score

    if len(set(labels)) < 2:
        return None
    # A full silhouette is quadratic; a 10k sample is within a percent of it.
    return float(silhouette_score(X, labels, sample_size=min(len(X), 10_000), random_state=random_state))


def segment(criteria: pd.DataFrame, method: str = "abcde", **params) -> tuple[pd.DataFrame, dict]:
    """Assign every client a segment.

    Parameters
    ----------
    criteria : DataFrame
        The output of ``criteria.client_criteria``.
    method : {"abcde", "kmeans"}
    **params
        Passed to :func:`segment_abcde` or :func:`segment_kmeans`.

    Returns
    -------
    segments : DataFrame
        ``client_id``, ``segment`` (ABCDE/K-labels for active clients, ``lost``,
        ``potential``).
    info : dict
        What the method learned, plus ``method`` and ``segment_order``.
    """
    if method == "abcde":
        labels, info = segment_abcde(criteria, **params)
        order = list(ABCDE_ORDER)
    elif method == "kmeans":
        labels, info = segment_kmeans(criteria, **params)
        order = sorted(labels.dropna().unique(), key=lambda s: int(s[1:]))
    else:
        raise ValueError(f"unknown grouping method '{method}'; expected abcde or kmeans")
    labels = labels.where(labels.notna(), criteria["status"])
    present = set(labels)
    info["method"] = method
    info["segment_order"] = [s for s in order + list(SPECIAL_SEGMENTS) if s in present]
    return pd.DataFrame({"client_id": criteria["client_id"].to_numpy(), "segment": labels.to_numpy()}), info


#: A class's growth claim holds when its clients' revenue grew by more than the whole base's plus this margin.
GROWTH_MARGIN = 0.0


def growth_check(
    last_year: pd.DataFrame,
    this_year: pd.DataFrame,
    top_profit_quantile: float = 0.8,
    high_quantile: float = 0.5,
    within: str | None = "channel",
    min_group: int = 20,
) -> dict:
    """Does "growth potential" (C) hold on the company's own history? The same rule applied a year earlier.

    The ABCDE rule is applied to last year's criteria; the clients it called
    C then should have grown their revenue since by more than the clients
    active then as a whole. ``confirmed`` is None when last year's rule could
    not split C from D (no known potential) or made no C.

    Returns
    -------
    dict
        ``classes``: per class of last year, ``clients``, ``revenue_then``,
        ``revenue_now``, ``growth``; ``base_growth``; ``confirmed``.
    """
    classes, _ = segment_abcde(last_year, top_profit_quantile, high_quantile, within, min_group)
    classes.index = last_year.loc[classes.index, "client_id"]  # by row of last_year: by client from here on
    now = this_year.set_index("client_id")["revenue"]
    then = last_year.set_index("client_id")["revenue"]
    df = pd.DataFrame({"cls": classes}).assign(then=then, now=now.reindex(classes.index).fillna(0.0))
    grouped = df.groupby("cls")[["then", "now"]].sum()
    grouped["clients"] = df.groupby("cls").size()
    grouped["growth"] = (grouped["now"] / grouped["then"] - 1).where(grouped["then"] > 0)
    base_then, base_now = df["then"].sum(), df["now"].sum()
    base = float(base_now / base_then - 1) if base_then > 0 else float("nan")
    confirmed = None
    c_growth = float(grouped["growth"].get("C", float("nan")))
    if np.isfinite(c_growth) and np.isfinite(base):
        confirmed = bool(c_growth > base + GROWTH_MARGIN)
    return {
        "classes": {
            str(c): {
                "clients": int(r["clients"]),
                "revenue_then": float(r["then"]),
                "revenue_now": float(r["now"]),
                "growth": None if pd.isna(r["growth"]) else float(r["growth"]),
            }
            for c, r in grouped.iterrows()
        },
        "base_growth": base,
        "confirmed": confirmed,
    }


def run_step(
    run_dir,
    method: str = "abcde",
    top_profit_quantile: float = 0.8,
    high_quantile: float = 0.5,
    within: str | None = "channel",
    n_clusters: int = 5,
    features: list[str] | None = None,
    seed: int = 42,
    min_group: int = 20,
) -> dict:
    """Segment the clients with the chosen method; save the segments and what the method learned."""
    from . import artifacts

    criteria = artifacts.load(run_dir, "criteria", "criteria")
    params: dict[str, Any]
    if method == "abcde":
        params = {
            "top_profit_quantile": top_profit_quantile,
            "high_quantile": high_quantile,
            "within": within,
            "min_group": min_group,
        }
    else:
        from .config import KMeansConfig

        params = {"n_clusters": n_clusters, "features": list(features or KMeansConfig().features), "random_state": seed}
    segments, info = segment(criteria, method, **params)
    notes = []
    if info.get("profit_basis") == "revenue":
        notes.append(artifacts.note("abcde_revenue_based"))
    if info.get("pooled"):
        notes.append(artifacts.note("abcde_pooled", groups=", ".join(info["pooled"]), min_group=info["min_group"]))
    no_split = sorted(g for g, made in info.get("potential_split", {}).items() if not made)
    if no_split:
        notes.append(artifacts.note("abcde_no_potential_split", groups=", ".join(no_split)))
    if info.get("dropped_features"):
        notes.append(artifacts.note("kmeans_dropped", features=", ".join(info["dropped_features"])))
    last_year = artifacts.load(run_dir, "criteria", "criteria_last_year", optional=True)
    if method == "abcde" and "C" in set(segments["segment"]):
        if last_year is None:
            notes.append(artifacts.note("growth_untested"))
        else:
            check = growth_check(last_year, criteria, **params)
            info["growth_check"] = check
            c = check["classes"].get("C")
            if check["confirmed"] is not None and c is not None:
                notes.append(
                    artifacts.note(
                        "growth_confirmed" if check["confirmed"] else "growth_not_confirmed",
                        n=c["clients"],
                        growth=c["growth"],
                        base=check["base_growth"],
                    )
                )
    info["notes"] = notes
    artifacts.save(run_dir, "grouping", segments=segments, info=info)
    return {"segments": segments, "info": info, "criteria": criteria}
