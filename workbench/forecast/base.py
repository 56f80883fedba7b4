"""The interface every forecaster follows, and the output it returns.

A forecaster is configured in its constructor (keyword parameters with
defaults, as a scikit-learn estimator), learns in :meth:`Forecaster.fit` (state
ending in ``_``) and forecasts with :meth:`Forecaster.predict`:

>>> model = NaiveForecast().fit(transactions, as_of, horizon_months=12)  # doctest: +SKIP
>>> model.predict()  # one row per client: revenue, margin (with cost), p_buy  # doctest: +SKIP

``fit`` receives the horizon because a model may be trained for one horizon
(the supervised model is; sktime's forecasters take ``fh`` in ``fit`` for the
same reason); ``predict`` forecasts that horizon after ``as_of``. ``fit`` only
ever reads the lines on or before ``as_of``, so a backtest can hand every
candidate the whole history and a cutoff.
"""

from __future__ import annotations

import copy
import inspect
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from .history import ClientHistory, as_history, day_number


class UnfittableError(ValueError):
    """The data cannot support this model (too little history, too few buyers, a degenerate fit).

    The backtest records the message as the reason the candidate was not
    tested and never chooses it; every other error propagates.
    """


class Forecaster(ABC):
    """Base class of the per-client forecasters.

    Subclasses set :attr:`name`, take their parameters as keyword arguments of
    ``__init__`` (stored under the same names) and implement :meth:`_fit` and
    :meth:`_predict`.

    Attributes
    ----------
    as_of_ : pandas.Timestamp
        The analysis date of the fit.
    horizon_months_ : int
        The horizon the model forecasts.
    history_ : ClientHistory
        The history the model was fitted on (rows up to ``as_of_``).
    """

    #: Short name used in the backtest tables and the selection.
    name: ClassVar[str] = "forecaster"

    as_of_: pd.Timestamp
    horizon_months_: int
    history_: ClientHistory

    def fit(self, transactions: pd.DataFrame | ClientHistory, as_of: pd.Timestamp, horizon_months: int = 12) -> Self:
        """Learn from the lines on or before ``as_of``, for a forecast of ``horizon_months`` after it.

        Parameters
        ----------
        transactions : pandas.DataFrame or ClientHistory
            The canonical ``transactions`` table (``client_id``, ``date``,
            ``amount``, optionally ``cost``), or a :class:`ClientHistory` built
            from it once. Lines after ``as_of`` are ignored.
        as_of : pandas.Timestamp
            The analysis date (its whole day is included).
        horizon_months : int, default=12
            Length of the forecast period, in calendar months.

        Returns
        -------
        Forecaster
            ``self``, fitted.

        Raises
        ------
        UnfittableError
            When the data cannot support the model.
        """
        if horizon_months < 1:
            raise ValueError(f"horizon_months must be at least 1, got {horizon_months}")
        self.as_of_ = pd.Timestamp(as_of).normalize()
        self.horizon_months_ = int(horizon_months)
        self.history_ = as_history(transactions).until(day_number(self.as_of_))
        self._fit(self.history_)
        return self

    def predict(self, clients: Iterable[str] | None = None) -> pd.DataFrame:
        """Forecast each client's next ``horizon_months_`` after ``as_of_``.

        Parameters
        ----------
        clients : iterable of str, optional
            The clients to forecast. Default: every client with a line on or
            before ``as_of_``. A client the model has never seen is forecast
            0 revenue, 0 margin and ``p_buy`` 0 (the models forecast the existing
            base; new clients are not theirs to forecast).

        Returns
        -------
        pandas.DataFrame
            Indexed by ``client_id``: ``revenue`` (forecast net revenue, never
            negative), ``margin`` (forecast revenue minus cost, 0 where the
            revenue forecast is 0; only when the lines have cost) and
            ``p_buy`` (probability of at least one purchase day in the
            horizon, 0..1).

        Raises
        ------
        UnfittableError
            When the model forecasts a non-finite value (a numerical failure on
            this data, reported by the backtest rather than shown as zeros).
        """
        if not hasattr(self, "history_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted: call fit() first")
        table = self._predict_codes()
        if clients is None:
            known = self.history_.known()
            return table.loc[known].set_axis(self.history_.clients[known])
        wanted = clients if isinstance(clients, pd.Index) else pd.Index(pd.Series(list(clients), dtype=object))
        wanted = wanted.astype(self.history_.clients.dtype).rename("client_id")
        codes = self.history_.clients.get_indexer(wanted)
        out = table.iloc[np.where(codes >= 0, codes, 0)].set_axis(wanted)
        out.loc[codes < 0, :] = 0.0
        return out

    def _predict_codes(self) -> pd.DataFrame:
        """The forecast of every client number of ``history_`` (unknown clients included, as 0)."""
        revenue, margin, p_buy = self._predict(self.history_)
        for label, values in (("revenue", revenue), ("margin", margin), ("p_buy", p_buy)):
            bad = 0 if values is None else int((~np.isfinite(values)).sum())
            if bad:
                raise UnfittableError(f"{self.name} forecast a non-finite {label} for {bad} client(s)")
        revenue = np.clip(revenue, 0.0, None)
        table = {"revenue": revenue}
        if self.history_.has_cost:
            # A client forecast to buy nothing brings no margin (a negative margin of past returns is not carried).
            table["margin"] = np.where(revenue > 0, np.zeros_like(revenue) if margin is None else margin, 0.0)
        table["p_buy"] = np.clip(p_buy, 0.0, 1.0)
        unknown = ~self.history_.known()
        frame = pd.DataFrame(table)
        frame.loc[unknown, :] = 0.0
        return frame

    @abstractmethod
    def _fit(self, history: ClientHistory) -> None:
        """Learn the model's state (attributes ending in ``_``) from ``history`` (rows up to ``as_of_``)."""

    @abstractmethod
    def _predict(self, history: ClientHistory) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        """Per client number of ``history``: revenue, margin (``None`` without cost) and ``p_buy`` arrays."""

    def get_params(self) -> dict[str, Any]:
        """The constructor parameters and their current values."""
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {p: getattr(self, p) for p in names}

    def clone(self) -> Self:
        """An unfitted copy with the same parameters."""
        return type(self)(**copy.deepcopy(self.get_params()))

    def __repr__(self) -> str:
        """The class and its parameters, as scikit-learn shows an estimator."""
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"
