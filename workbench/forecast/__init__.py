"""Forecast: per-client next-period revenue, margin and buys-again, backtested on the company's own history.

A textbook model is not automatically good on a given company, so every run
measures the candidates on the company's last period before trusting one:
fit one horizon back, forecast the horizon that followed, compare with what
happened, and keep the naive forecast (last period's revenue) unless another
candidate beats it by a stated margin. The chosen model then forecasts the real
horizon, summed by segment with an error band at the backtest's accuracy.

Modules:

- ``history``: the lines reduced once to client x day (:class:`ClientHistory`), windows and months;
- ``base``: the :class:`Forecaster` interface (``fit`` / ``predict``) and :class:`UnfittableError`;
- ``metrics``: rank correlation, top-20 % share and its ceiling, total ratio, MAE, precision, recall;
- ``naive``: last period's revenue as next period's;
- ``recency``: the last period with its recent half weighted more;
- ``btyd``: BG/NBD x Gamma-Gamma, maximum likelihood with scipy;
- ``supervised``: gradient boosting (scikit-learn, imported on fit) on history features;
- ``backtest``: :func:`backtest`, the naive-unless-beaten :func:`select`, :func:`forecast`, :func:`forecast_by_group`.
"""

from .backtest import (
    BacktestResult,
    backtest,
    default_candidates,
    forecast,
    forecast_by_group,
    select,
)
from .base import Forecaster, UnfittableError
from .btyd import BTYDForecast
from .history import ClientHistory
from .metrics import ceiling, mae, precision, rank_correlation, recall, top_share, total_ratio
from .naive import NaiveForecast
from .recency import RecencyForecast
from .supervised import SupervisedForecast

__all__ = [
    "BTYDForecast",
    "BacktestResult",
    "ClientHistory",
    "Forecaster",
    "NaiveForecast",
    "RecencyForecast",
    "SupervisedForecast",
    "UnfittableError",
    "backtest",
    "ceiling",
    "default_candidates",
    "forecast",
    "forecast_by_group",
    "mae",
    "precision",
    "rank_correlation",
    "recall",
    "select",
    "top_share",
    "total_ratio",
]
