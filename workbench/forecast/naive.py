"""The naive forecast: last period's revenue as next period's.

The baseline every other model must beat (see :mod:`.backtest`): it needs no
fitting, a sales team understands it, and on a real UK online wholesaler
(about 4,300 clients, fit on year one, compared with year two) it ranked clients
as well as BG/NBD x Gamma-Gamma (Spearman 0.62 against 0.58; the top 20 % held
74.0 % of next-year revenue against 73.9 %) and overshot the total less
(1.22 against 1.35).
"""

from __future__ import annotations

import numpy as np

from .base import Forecaster
from .history import ClientHistory, window_days


class NaiveForecast(Forecaster):
    """Next period = the period of the same length up to ``as_of``.

    - ``revenue``: the client's net revenue over the last ``horizon_months``
      before ``as_of`` (clipped at 0: returns do not make a negative forecast);
    - ``margin``: its revenue minus cost over the same months (with cost);
    - ``p_buy``: 1 if the client had a purchase day in those months, else 0.

    Attributes
    ----------
    revenue_ : numpy.ndarray
        Net revenue of the last period, per client number.
    margin_ : numpy.ndarray or None
        Margin of the last period, per client number (``None`` without cost).
    purchase_days_ : numpy.ndarray
        Purchase days in the last period, per client number.
    """

    name = "naive"

    def __init__(self) -> None:
        pass

    def _fit(self, history: ClientHistory) -> None:
        revenue, cost, purchases = history.window(*window_days(self.as_of_, self.horizon_months_))
        self.revenue_ = revenue
        self.margin_ = None if cost is None else revenue - cost
        self.purchase_days_ = purchases

    def _predict(self, history: ClientHistory) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        return self.revenue_, self.margin_, (self.purchase_days_ > 0).astype(float)
