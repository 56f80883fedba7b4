"""How good a per-client forecast was: pure functions of (predicted, actual), one value per client.

Arguments are array-likes of equal length (numpy arrays or pandas Series; a
Series is taken by position, so align it first). Revenue metrics take numbers;
``precision`` and ``recall`` take booleans ("buys again": predicted, actual).

Edge cases return ``NaN`` rather than raising, so that a metrics table can show
them: no clients; no positive actual revenue (``top_share``, ``ceiling``,
``total_ratio``); a constant input (``rank_correlation``); no predicted buyer
(``precision``); no actual buyer (``recall``). Inputs of different lengths or
containing ``NaN`` raise ``ValueError``; non-boolean flags raise ``TypeError``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike


def _pair(predicted: ArrayLike, actual: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(predicted, dtype=float).ravel()
    a = np.asarray(actual, dtype=float).ravel()
    if p.shape != a.shape:
        raise ValueError(f"predicted and actual differ in length: {p.size} and {a.size}")
    if np.isnan(p).any() or np.isnan(a).any():
        raise ValueError("predicted and actual must not contain NaN (a forecaster never returns one)")
    return p, a


def rank_correlation(predicted: ArrayLike, actual: ArrayLike) -> float:
    """Spearman's rank correlation of predicted and actual values.

    Ties get their average rank (as :func:`scipy.stats.spearmanr`).

    Parameters
    ----------
    predicted, actual : array-like of float
        One value per client.

    Returns
    -------
    float
        In ``[-1, 1]``; ``NaN`` with fewer than 2 clients or when either side is constant.
    """
    p, a = _pair(predicted, actual)
    if p.size < 2:
        return float("nan")
    rp = pd.Series(p).rank(method="average").to_numpy()
    ra = pd.Series(a).rank(method="average").to_numpy()
    rp, ra = rp - rp.mean(), ra - ra.mean()
    denominator = np.sqrt((rp**2).sum() * (ra**2).sum())
    return float((rp * ra).sum() / denominator) if denominator > 0 else float("nan")


def top_share(predicted: ArrayLike, actual: ArrayLike, share: float = 0.2) -> float:
    """Share of the total actual revenue held by the clients ranked in the predicted top ``share``.

    The top holds ``k = max(1, round(share * n))`` clients. Clients tied with
    the ``k``-th predicted value are taken in part, as the expectation over a
    random order of the ties: if ``m`` tied clients compete for ``j`` places,
    each brings ``j / m`` of its actual revenue. So a forecast that cannot tell
    clients apart gets the average, not a lucky or unlucky order.

    Parameters
    ----------
    predicted, actual : array-like of float
        One value per client (actual: net revenue of the period; returns negative).
    share : float, default=0.2
        Share of the clients in the top, in ``(0, 1]``.

    Returns
    -------
    float
        ``sum(actual of the top) / sum(actual)``; ``NaN`` when there is no
        client or the total actual revenue is not positive.
    """
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], got {share}")
    p, a = _pair(predicted, actual)
    total = a.sum()
    if p.size == 0 or not total > 0:
        return float("nan")
    k = max(1, int(round(share * p.size)))
    threshold = -np.partition(-p, k - 1)[k - 1]  # the k-th largest prediction
    above = p > threshold
    tied = p == threshold
    places = k - int(above.sum())
    held = a[above].sum() + a[tied].sum() * places / int(tied.sum())
    return float(held / total)


def ceiling(actual: ArrayLike, share: float = 0.2) -> float:
    """:func:`top_share` of perfect foresight: the share of actual revenue held by the actual top ``share``.

    Parameters
    ----------
    actual : array-like of float
        Actual revenue per client.
    share : float, default=0.2
        Share of the clients in the top.

    Returns
    -------
    float
        The best ``top_share`` any forecast can reach; ``NaN`` as :func:`top_share`.
    """
    return top_share(actual, actual, share)


def total_ratio(predicted: ArrayLike, actual: ArrayLike) -> float:
    """``sum(predicted) / sum(actual)``: 1 is the right total, 1.22 overshoots by 22 %.

    Returns
    -------
    float
        ``NaN`` when the total actual revenue is not positive.
    """
    p, a = _pair(predicted, actual)
    total = a.sum()
    return float(p.sum() / total) if total > 0 else float("nan")


def mae(predicted: ArrayLike, actual: ArrayLike) -> float:
    """Mean absolute error per client, in the unit of the values.

    Returns
    -------
    float
        ``mean(|predicted - actual|)``; ``NaN`` without clients.
    """
    p, a = _pair(predicted, actual)
    return float(np.abs(p - a).mean()) if p.size else float("nan")


def _flags(predicted: ArrayLike, actual: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(predicted).ravel()
    a = np.asarray(actual).ravel()
    if p.shape != a.shape:
        raise ValueError(f"predicted and actual differ in length: {p.size} and {a.size}")
    if p.dtype != bool or a.dtype != bool:
        raise TypeError("precision and recall take booleans (threshold a probability first)")
    return p, a


def precision(predicted: ArrayLike, actual: ArrayLike) -> float:
    """Of the clients predicted to buy again, the share that did.

    Parameters
    ----------
    predicted, actual : array-like of bool
        Predicted and actual "bought in the period", per client.

    Returns
    -------
    float
        ``TP / (TP + FP)``; ``NaN`` when no client is predicted to buy.
    """
    p, a = _flags(predicted, actual)
    n = int(p.sum())
    return float((p & a).sum() / n) if n else float("nan")


def recall(predicted: ArrayLike, actual: ArrayLike) -> float:
    """Of the clients who bought again, the share predicted to.

    Parameters
    ----------
    predicted, actual : array-like of bool
        Predicted and actual "bought in the period", per client.

    Returns
    -------
    float
        ``TP / (TP + FN)``; ``NaN`` when no client bought.
    """
    p, a = _flags(predicted, actual)
    n = int(a.sum())
    return float((p & a).sum() / n) if n else float("nan")
