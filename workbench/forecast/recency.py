"""The recency-weighted naive forecast: the last period, its recent half weighted more.

On the UK online wholesaler "last six months x 2" ranked clients about as well
as the naive forecast (Spearman 0.61, top-20 % share 74.4 %) but overshot the
total more (1.40), and "bought in the last six months" was a better buys-again
flag than BG/NBD's probability alive (precision 0.70 against 0.64). The
default weights sit between the two: the recent half counts three times the
older half.
"""

from __future__ import annotations

import numpy as np

from .base import Forecaster
from .history import ClientHistory, window_days


class RecencyForecast(Forecaster):
    """Next period = ``2 * ((1 - w) * older half + w * recent half)`` of the last period.

    The last ``horizon_months`` before ``as_of`` are split at their middle day.
    With the default ``recent_weight`` ``w = 0.75`` the forecast is
    ``0.5 * older half + 1.5 * recent half``: a steady client (equal halves) is
    forecast its last period's revenue, a client who stopped at the middle half
    of it, one who started at the middle 1.5 times it. ``w = 0.5`` is the naive
    forecast, ``w = 1`` is "recent half x 2".

    Parameters
    ----------
    recent_weight : float, default=0.75
        Share of the weight on the recent half, in ``[0.5, 1]``.

    Attributes
    ----------
    older_revenue_, recent_revenue_ : numpy.ndarray
        Net revenue of each half, per client number.
    older_margin_, recent_margin_ : numpy.ndarray or None
        Margin of each half (``None`` without cost).
    recent_purchase_days_ : numpy.ndarray
        Purchase days in the recent half; ``p_buy`` is 1 when there is one.
    """

    name = "recency"

    def __init__(self, recent_weight: float = 0.75) -> None:
        self.recent_weight = recent_weight

    def _fit(self, history: ClientHistory) -> None:
        if not 0.5 <= self.recent_weight <= 1.0:
            raise ValueError(f"recent_weight must be in [0.5, 1], got {self.recent_weight}")
        after, last = window_days(self.as_of_, self.horizon_months_)
        middle = after + (last - after) // 2
        older, older_cost, _ = history.window(after, middle)
        recent, recent_cost, recent_purchases = history.window(middle, last)
        self.older_revenue_, self.recent_revenue_ = older, recent
        self.older_margin_ = None if older_cost is None else older - older_cost
        self.recent_margin_ = None if recent_cost is None else recent - recent_cost
        self.recent_purchase_days_ = recent_purchases

    def _weighted(self, older: np.ndarray, recent: np.ndarray) -> np.ndarray:
        w = self.recent_weight
        return 2.0 * ((1.0 - w) * older + w * recent)

    def _predict(self, history: ClientHistory) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        revenue = self._weighted(self.older_revenue_, self.recent_revenue_)
        margin = (
            None
            if self.older_margin_ is None or self.recent_margin_ is None
            else self._weighted(self.older_margin_, self.recent_margin_)
        )
        return revenue, margin, (self.recent_purchase_days_ > 0).astype(float)
