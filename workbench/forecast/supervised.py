"""Supervised: gradient boosting on per-client history features, trained one horizon back.

Fitted with data up to ``as_of`` for a horizon ``h``, the model learns from the
past how a client's history turns into its next ``h`` months: features are
computed at ``as_of - h``, the target is the revenue in ``(as_of - h, as_of]``.
It then forecasts from features at ``as_of``. In a backtest (fit at ``as_of =
cutoff``) it therefore trains on features up to ``cutoff - h`` and predicts from
features up to ``cutoff``, and never sees the backtest's horizon.

- ``revenue``: :class:`~sklearn.ensemble.HistGradientBoostingRegressor` with
  ``loss="poisson"`` (a log link for a non-negative, skewed target whose mean
  is what is forecast); the target's negative net revenue (returns exceeding
  purchases) is clipped to 0, as every forecast here is;
- ``p_buy``: :class:`~sklearn.ensemble.HistGradientBoostingClassifier` on
  "had a purchase day in the horizon"; when the training window has only one
  class, ``p_buy`` is that class (0 or 1) for every client;
- ``margin``: revenue times the client's margin rate over its history.

scikit-learn is imported when the model is fitted, not with the package, so a
kernel that imports ``workbench.forecast`` without fitting this model does not
load it.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

import numpy as np
import pandas as pd

from .base import Forecaster, UnfittableError
from .history import ClientHistory, day_number, full_months_between, months_before

#: The features, each computed at a cutoff ``c`` from the days on or before it. Lifetime totals are
#: left out on purpose: the model trains where the history is one horizon shorter than where it
#: predicts, and a total that grows with the length of the history would shift between the two
#: (on steady B2B buyers it made the forecast total 27 % too high). Windows, means and rates do not.
FEATURES = (
    "recency_days",  # c - last purchase day (missing without a purchase)
    "tenure_days",  # c - first day with a line
    "revenue_last",  # net revenue in (c - h, c]
    "revenue_recent_half",  # net revenue in the recent half of (c - h, c]
    "revenue_previous",  # net revenue in (c - 2h, c - h]
    "purchase_days_last",  # purchase days in (c - h, c]
    "purchase_days_previous",  # purchase days in (c - 2h, c - h]
    "mean_purchase",  # net revenue of purchase days / purchase days, up to c
    "margin_rate",  # margin / revenue up to c (missing without cost)
)


def client_features(history: ClientHistory, cutoff: pd.Timestamp, horizon_months: int) -> pd.DataFrame:
    """The :data:`FEATURES` of every client number at ``cutoff``.

    Parameters
    ----------
    history : ClientHistory
        The lines; rows after ``cutoff`` are ignored.
    cutoff : pandas.Timestamp
        The date the features describe.
    horizon_months : int
        ``h``, the length of the "last" and "previous" periods.

    Returns
    -------
    pandas.DataFrame
        One row per client number (``0 .. n_clients - 1``), the columns of
        :data:`FEATURES`; ``NaN`` where a feature does not exist (no purchase,
        no cost), which the gradient boosting handles natively.
    """
    end = day_number(cutoff)
    h = history.until(end)
    last_start = months_before(cutoff, horizon_months)
    previous_start = months_before(cutoff, 2 * horizon_months)
    middle = last_start + (end - last_start) // 2
    n = h.n_clients
    purchase = h.amount > 0
    rows = np.bincount(h.client, minlength=n)
    first_day = np.full(n, np.nan)
    last_purchase = np.full(n, np.nan)
    if h.client.size:
        starts = np.flatnonzero(np.r_[True, h.client[1:] != h.client[:-1]])
        first_day[h.client[starts]] = h.day[starts]
        pc, pd_ = h.client[purchase], h.day[purchase]
        if pc.size:
            ends = np.r_[np.flatnonzero(pc[1:] != pc[:-1]), pc.size - 1]
            last_purchase[pc[ends]] = pd_[ends]
    purchase_days = np.bincount(h.client[purchase], minlength=n).astype(float)
    purchase_revenue = h.per_client(h.amount, purchase)
    revenue_last, _, purchases_last = h.window(last_start, end)
    recent_half, _, _ = h.window(middle, end)
    previous, _, purchases_previous = h.window(previous_start, last_start)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_purchase = np.where(purchase_days > 0, purchase_revenue / purchase_days, np.nan)
    features = pd.DataFrame(
        {
            "recency_days": end - last_purchase,
            "tenure_days": end - first_day,
            "revenue_last": revenue_last,
            "revenue_recent_half": recent_half,
            "revenue_previous": previous,
            "purchase_days_last": purchases_last,
            "purchase_days_previous": purchases_previous,
            "mean_purchase": mean_purchase,
            "margin_rate": h.margin_rate(),
        }
    )
    features.loc[rows == 0, :] = np.nan
    return features


class SupervisedForecast(Forecaster):
    """Gradient-boosted revenue and buys-again from history features (see the module docstring).

    Parameters
    ----------
    max_iter : int, default=200
        Boosting iterations of each model (early stopping on a 10 % validation
        split from 10,000 training clients, scikit-learn's ``"auto"``).
    learning_rate : float, default=0.1
        Shrinkage of each model.
    max_train_clients : int, default=200_000
        At most this many clients (a random sample) train the models.
    min_feature_months : int, default=6
        Months of history needed before the training cutoff ``as_of - h``;
        less raises :class:`UnfittableError`.
    min_train_clients : int, default=50
        Fewer training clients raise :class:`UnfittableError`.
    random_state : int, default=0
        Seed of the sample and of the models.
    n_threads : int, optional
        OpenMP threads of the gradient boosting while fitting and predicting
        (default: scikit-learn's, every core). On a machine shared with other
        work, 1 avoids OpenMP's spin-waiting on busy cores (see
        ``benchmarks/bench_forecast.py --threads``).

    Attributes
    ----------
    regressor_ : sklearn.ensemble.HistGradientBoostingRegressor
    classifier_ : sklearn.ensemble.HistGradientBoostingClassifier or None
        ``None`` when the training window had a single class (see ``constant_p_buy_``).
    constant_p_buy_ : float or None
        ``p_buy`` of every client when there is no classifier.
    train_cutoff_ : pandas.Timestamp
        ``as_of - h``: the date of the training features.
    n_train_clients_ : int
    """

    name = "supervised"

    def __init__(
        self,
        max_iter: int = 200,
        learning_rate: float = 0.1,
        max_train_clients: int = 200_000,
        min_feature_months: int = 6,
        min_train_clients: int = 50,
        random_state: int = 0,
        n_threads: int | None = None,
    ) -> None:
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_train_clients = max_train_clients
        self.min_feature_months = min_feature_months
        self.min_train_clients = min_train_clients
        self.random_state = random_state
        self.n_threads = n_threads

    def _threads(self) -> AbstractContextManager[object]:
        """A limit on OpenMP threads when ``n_threads`` is set (threadpoolctl comes with scikit-learn)."""
        if self.n_threads is None:
            return nullcontext()
        from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]  # ships no type information

        return threadpool_limits(limits=self.n_threads, user_api="openmp")

    def _model_params(self) -> dict[str, Any]:
        return {"max_iter": self.max_iter, "learning_rate": self.learning_rate, "random_state": self.random_state}

    def _fit(self, history: ClientHistory) -> None:
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

        h = self.horizon_months_
        train_cutoff = self.as_of_ - pd.DateOffset(months=h)
        self.train_cutoff_ = train_cutoff
        months = full_months_between(history.first_date, train_cutoff) if history.day.size else 0
        if months < self.min_feature_months:
            raise UnfittableError(
                f"supervised needs {self.min_feature_months} months of history before its training cutoff "
                f"{train_cutoff.date()} (as_of - {h} months); found {months}"
            )
        features = client_features(history, train_cutoff, h)
        known = features["tenure_days"].notna().to_numpy()
        revenue, _, purchases = history.window(day_number(train_cutoff), day_number(self.as_of_))
        train = np.flatnonzero(known)
        if train.size < self.min_train_clients:
            raise UnfittableError(
                f"supervised needs {self.min_train_clients} clients at its training cutoff, found {train.size}"
            )
        if train.size > self.max_train_clients:
            rng = np.random.default_rng(self.random_state)
            train = np.sort(rng.choice(train, self.max_train_clients, replace=False))
        # A feature with no value at all (a margin feature without cost, say) breaks the binning: left out.
        self.features_ = [c for c in features.columns if features[c].iloc[train].notna().any()]
        X = features.iloc[train][self.features_]
        y = np.clip(revenue[train], 0.0, None)
        if not y.sum() > 0:
            raise UnfittableError("supervised: no client of the training window had revenue in its target period")
        bought = purchases[train] > 0
        self.classifier_ = None
        self.constant_p_buy_: float | None = None
        with self._threads():
            self.regressor_ = HistGradientBoostingRegressor(loss="poisson", **self._model_params()).fit(X, y)
            if bought.all() or not bought.any():
                self.constant_p_buy_ = float(bought[0])
            else:
                self.classifier_ = HistGradientBoostingClassifier(**self._model_params()).fit(X, bought)
        self.n_train_clients_ = int(train.size)

    def _predict(self, history: ClientHistory) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        features = client_features(history, self.as_of_, self.horizon_months_)
        known = features["tenure_days"].notna().to_numpy()
        revenue = np.zeros(history.n_clients)
        p_buy = np.zeros(history.n_clients)
        X = features.loc[known, self.features_]
        if len(X):
            with self._threads():
                revenue[known] = self.regressor_.predict(X)
                if self.classifier_ is None:
                    p_buy[known] = self.constant_p_buy_
                else:
                    p_buy[known] = self.classifier_.predict_proba(X)[:, 1]
        margin = revenue * history.margin_rate() if history.has_cost else None
        return revenue, margin, p_buy
