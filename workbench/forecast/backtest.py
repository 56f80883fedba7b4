"""Backtest the candidates on the company's own last period, choose one, and forecast with it.

:func:`backtest` moves the analysis date back one horizon (the *cutoff*), fits
every candidate on the lines up to the cutoff, forecasts the horizon that
followed, and compares with what happened, client by client, for the clients
the company had at the cutoff (clients who arrived later are nobody's forecast;
their share of the period's revenue is reported). :func:`forecast` refits the
chosen candidate on everything up to ``as_of`` and forecasts the real horizon;
:func:`forecast_by_group` sums it by segment with an error band "at last
period's accuracy".

**The selection measure is the top-20 % share** (:func:`.metrics.top_share`):
the share of the period's actual revenue held by the clients the forecast put
in its top 20 %. The sales plan uses the forecast to decide which clients get
the team's time, and the method's key-account and ABCDE rules are about the
top of the base, so the measure is "how much of next year's revenue sits with
the clients this forecast would have prioritised", in revenue, next to its
ceiling (perfect foresight). Rank correlation is reported but is dominated by
the long tail of small and zero clients that a plan does not work
individually. Because the top share ignores the level, the **total ratio is a
guard**: a challenger whose total is off by more than ``total_tolerance``
(default 25 %) *and* further off than the naive forecast's is not eligible.

**The naive forecast is chosen unless beaten by the margin**: a challenger is
chosen only if its measure exceeds the naive forecast's by more than
``margin`` (default 2 %) relative, ``value - naive > margin * |naive|``; among
several, the highest measure wins. On the UK online wholesaler the four
forecasts' top-20 % shares spread over 73.9-74.4 % (0.7 % relative), less than
one period's noise: a gain that small does not pay for a model the sales team
cannot check by hand. A candidate that could not be fitted
(:class:`.base.UnfittableError`) is reported and never chosen; so is every
candidate when the history is too short for a backtest.

**History and horizon**: a backtest needs ``min_history_months`` (default 12:
a full seasonal cycle) before the cutoff plus the horizon after it. With less,
the horizon is shortened to what the data allows, down to
``min_horizon_months`` (default 3), and the result says so
(``horizon_months`` < ``requested_horizon_months``); with still less, nothing
is backtested, the naive forecast is chosen and ``reason`` is
``"history_too_short"`` with the months available.

``reason`` is a text key (``forecast.reason.<reason>`` in a locale catalogue)
and ``reason_params`` its placeholders:

- ``beats_naive``: ``chosen``, ``value``, ``naive_value``, ``measure``, ``margin``;
- ``naive_not_beaten``: ``best`` (the best eligible challenger or ``None``),
  ``value``, ``naive_value``, ``measure``, ``margin``;
- ``not_measurable``: no positive actual revenue in the backtest horizon;
- ``history_too_short``: ``history_months``, ``required_months``.

Every reason's params also hold ``horizon_months``, ``requested_horizon_months``
and ``history_months``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import metrics as m
from .base import Forecaster, UnfittableError
from .btyd import BTYDForecast
from .history import ClientHistory, as_history, day_number, full_months_between, window_days
from .naive import NaiveForecast
from .recency import RecencyForecast
from .supervised import SupervisedForecast

BASELINE = "naive"
CEILING = "perfect_foresight"
MEASURES = ("top_share", "rank_correlation")
METRIC_COLUMNS = (
    "status",
    "clients",
    "rank_correlation",
    "top_share",
    "total_ratio",
    "mae",
    "precision",
    "recall",
    "margin_total_ratio",
    "margin_mae",
    "note",
)
DECILE_COLUMNS = ("candidate", "decile", "clients", "predicted_revenue", "actual_revenue")


def default_candidates() -> list[Forecaster]:
    """The candidates a backtest compares by default: naive, recency, BTYD, supervised (default parameters)."""
    return [NaiveForecast(), RecencyForecast(), BTYDForecast(), SupervisedForecast()]


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """What a :func:`backtest` found and chose.

    Attributes
    ----------
    as_of : pandas.Timestamp
        The analysis date.
    cutoff : pandas.Timestamp or None
        ``as_of - horizon_months``: the candidates saw the lines up to it
        (``None`` when nothing was backtested).
    horizon_months : int
        The horizon backtested (and, by default, forecast by :func:`forecast`).
    requested_horizon_months : int
        The horizon asked for; larger than ``horizon_months`` when the history was short.
    history_months : int
        Whole months from the first line to ``as_of``.
    chosen : str
        Name of the chosen candidate (``"naive"`` unless beaten).
    reason : str
        Machine-readable reason code (see the module docstring).
    reason_params : dict
        Its placeholders.
    measure : str
        The selection measure (a column of ``metrics``).
    margin : float
        Relative margin a challenger had to beat the naive forecast by.
    metrics : pandas.DataFrame
        One row per candidate plus ``"perfect_foresight"``, indexed by name:
        ``status`` (tested / unfittable / ceiling), ``clients``,
        ``rank_correlation``, ``top_share``, ``total_ratio``, ``mae`` (revenue),
        ``precision``, ``recall`` (buys again), ``margin_total_ratio``,
        ``margin_mae`` (NaN without cost), ``note`` (why a candidate was not tested).
        Empty when nothing was backtested.
    deciles : pandas.DataFrame
        Per tested candidate and decile of predicted revenue (1 = highest;
        equal numbers of clients, ties in client order): ``clients``,
        ``predicted_revenue``, ``actual_revenue``.
    candidates : tuple of Forecaster
        The candidates' configurations (unfitted), to refit the chosen one.
    actual : pandas.DataFrame
        Per backtest client (``client_id``): actual ``revenue``, ``margin``
        (with cost) and ``bought`` in the backtest horizon.
    predictions : dict of str to pandas.DataFrame
        Each tested candidate's forecast of the backtest horizon (as ``predict``).
    new_client_revenue_share : float
        Share of the horizon's revenue from clients who had no line at the cutoff.
    """

    as_of: pd.Timestamp
    cutoff: pd.Timestamp | None
    horizon_months: int
    requested_horizon_months: int
    history_months: int
    chosen: str
    reason: str
    reason_params: dict[str, Any]
    measure: str
    margin: float
    metrics: pd.DataFrame = field(repr=False)
    deciles: pd.DataFrame = field(repr=False)
    candidates: tuple[Forecaster, ...] = field(repr=False)
    actual: pd.DataFrame = field(repr=False)
    predictions: dict[str, pd.DataFrame] = field(repr=False)
    new_client_revenue_share: float = float("nan")

    @property
    def backtested(self) -> bool:
        """Whether a backtest ran (the history was long enough)."""
        return self.cutoff is not None

    @property
    def horizon_shortened(self) -> bool:
        """Whether the horizon was shortened to fit the history."""
        return self.horizon_months < self.requested_horizon_months

    def chosen_against_actual(self) -> pd.DataFrame:
        """Per backtest client: the chosen model's prediction and what happened (empty without a backtest).

        Columns ``revenue_predicted, revenue_actual`` and, with cost,
        ``margin_predicted, margin_actual``; indexed by ``client_id``. This is
        all :func:`forecast_by_group` needs, so a step can save it and another
        step can band its forecast without refitting.
        """
        if not self.backtested:
            return pd.DataFrame(columns=["revenue_predicted", "revenue_actual"], dtype=float)
        predicted = self.predictions[self.chosen]
        out = pd.DataFrame(index=self.actual.index)
        for column in ("revenue", "margin"):
            if column in self.actual and column in predicted:
                out[f"{column}_predicted"] = predicted[column].to_numpy()
                out[f"{column}_actual"] = self.actual[column].to_numpy()
        return out

    def candidate(self, name: str) -> Forecaster:
        """An unfitted copy of the candidate called ``name``."""
        for c in self.candidates:
            if c.name == name:
                return c.clone()
        raise KeyError(f"no candidate {name!r}; candidates: {[c.name for c in self.candidates]}")


def select(
    metrics: pd.DataFrame,
    measure: str = "top_share",
    margin: float = 0.02,
    total_tolerance: float = 0.25,
) -> tuple[str, str, dict[str, Any]]:
    """The naive forecast unless a tested challenger beats it by ``margin`` on ``measure``.

    Parameters
    ----------
    metrics : pandas.DataFrame
        Indexed by candidate name, with ``status``, ``measure`` and
        ``total_ratio`` columns; must hold a tested ``"naive"`` row. Rows whose
        status is not ``"tested"`` are never chosen.
    measure : {"top_share", "rank_correlation"}, default="top_share"
        The column compared (higher is better).
    margin : float, default=0.02
        A challenger needs ``value - naive_value > margin * |naive_value|``.
    total_tolerance : float, default=0.25
        The total-ratio guard: a challenger with ``|total_ratio - 1|`` above
        both this and the naive forecast's ``|total_ratio - 1|`` is not eligible.

    Returns
    -------
    chosen : str
        The candidate's name.
    reason : str
        ``"beats_naive"``, ``"naive_not_beaten"`` or ``"not_measurable"``.
    params : dict
        ``value``, ``naive_value``, ``measure``, ``margin`` and ``chosen`` or ``best``.
    """
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {MEASURES}, got {measure!r}")
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin}")
    if BASELINE not in metrics.index or metrics.loc[BASELINE, "status"] != "tested":
        raise ValueError("the naive forecast must be among the tested candidates: it is the baseline")
    values = metrics[measure].astype(float)
    ratios = metrics["total_ratio"].astype(float)
    naive_value = float(values[BASELINE])
    base = {"measure": measure, "margin": margin, "naive_value": naive_value}
    if not np.isfinite(naive_value):
        return BASELINE, "not_measurable", {**base, "best": None, "value": float("nan")}
    naive_off = abs(float(ratios[BASELINE]) - 1.0)
    challengers = metrics[(metrics["status"] == "tested") & (metrics.index != BASELINE)]
    off = (ratios[challengers.index] - 1.0).abs()
    eligible = values[challengers.index][(off <= max(total_tolerance, naive_off)) & values[challengers.index].notna()]
    if eligible.empty:
        return BASELINE, "naive_not_beaten", {**base, "best": None, "value": float("nan")}
    best = str(eligible.idxmax())
    value = float(eligible[best])
    if value - naive_value > margin * abs(naive_value):
        return best, "beats_naive", {**base, "chosen": best, "value": value}
    return BASELINE, "naive_not_beaten", {**base, "best": best, "value": value}


def _deciles(name: str, predicted: np.ndarray, actual: np.ndarray) -> pd.DataFrame:
    n = predicted.size
    order = np.argsort(-predicted, kind="stable")
    decile = np.empty(n, dtype=np.int64)
    decile[order] = np.arange(n) * 10 // max(n, 1) + 1
    return pd.DataFrame(
        {
            "candidate": name,
            "decile": np.arange(1, 11),
            "clients": np.bincount(decile, minlength=11)[1:],
            "predicted_revenue": np.bincount(decile, weights=predicted, minlength=11)[1:],
            "actual_revenue": np.bincount(decile, weights=actual, minlength=11)[1:],
        }
    )


def _metric_row(
    predicted: pd.DataFrame, actual: pd.DataFrame, top: float, buy_threshold: float, has_cost: bool
) -> dict[str, Any]:
    p, a = predicted["revenue"].to_numpy(), actual["revenue"].to_numpy()
    buys, bought = predicted["p_buy"].to_numpy() >= buy_threshold, actual["bought"].to_numpy()
    row: dict[str, Any] = {
        "status": "tested",
        "clients": len(p),
        "rank_correlation": m.rank_correlation(p, a),
        "top_share": m.top_share(p, a, top),
        "total_ratio": m.total_ratio(p, a),
        "mae": m.mae(p, a),
        "precision": m.precision(buys, bought),
        "recall": m.recall(buys, bought),
        "margin_total_ratio": float("nan"),
        "margin_mae": float("nan"),
        "note": "",
    }
    if has_cost:
        pm_, am_ = predicted["margin"].to_numpy(), actual["margin"].to_numpy()
        row["margin_total_ratio"] = m.total_ratio(pm_, am_)
        row["margin_mae"] = m.mae(pm_, am_)
    return row


def _check_candidates(candidates: Sequence[Forecaster] | None) -> tuple[Forecaster, ...]:
    chosen = list(default_candidates() if candidates is None else candidates)
    if not any(c.name == BASELINE for c in chosen):
        chosen.insert(0, NaiveForecast())
    names = [c.name for c in chosen]
    if len(set(names)) != len(names):
        raise ValueError(f"candidate names must be unique, got {names}")
    return tuple(c.clone() for c in chosen)


def backtest(
    transactions: pd.DataFrame | ClientHistory,
    as_of: pd.Timestamp | None = None,
    horizon_months: int = 12,
    min_history_months: int = 12,
    min_horizon_months: int = 3,
    candidates: Sequence[Forecaster] | None = None,
    measure: str = "top_share",
    margin: float = 0.02,
    total_tolerance: float = 0.25,
    top: float = 0.2,
    buy_threshold: float = 0.5,
) -> BacktestResult:
    """Fit every candidate one horizon back, compare with what happened, choose (see the module docstring).

    Parameters
    ----------
    transactions : pandas.DataFrame or ClientHistory
        The canonical ``transactions`` table (``client_id``, ``date``,
        ``amount``, optionally ``cost``), or a :class:`ClientHistory` of it.
    as_of : pandas.Timestamp, optional
        The analysis date. Default: the last transaction date.
    horizon_months : int, default=12
        The forecast horizon (shortened when the history is short).
    min_history_months : int, default=12
        History the candidates need before the cutoff.
    min_horizon_months : int, default=3
        The shortest horizon worth a backtest; below it nothing is backtested.
    candidates : sequence of Forecaster, optional
        Default: :func:`default_candidates`. The naive forecast is added when
        absent (it is the baseline). Names must be unique.
    measure : {"top_share", "rank_correlation"}, default="top_share"
        The selection measure.
    margin : float, default=0.02
        Relative margin by which a challenger must beat the naive forecast.
    total_tolerance : float, default=0.25
        The total-ratio guard (see :func:`select`).
    top : float, default=0.2
        Share of clients in the "top" of :func:`.metrics.top_share`.
    buy_threshold : float, default=0.5
        ``p_buy`` from which a client counts as predicted to buy (precision, recall).

    Returns
    -------
    BacktestResult
    """
    history = as_history(transactions)
    if history.day.size == 0:
        raise ValueError("transactions is empty: nothing to forecast")
    as_of = (pd.Timestamp(as_of) if as_of is not None else history.last_date).normalize()
    pool = _check_candidates(candidates)
    history_months = full_months_between(history.first_date, as_of)
    horizon = min(horizon_months, history_months - min_history_months)
    common = {
        "requested_horizon_months": horizon_months,
        "history_months": history_months,
    }
    if horizon < min_horizon_months:
        required = min_history_months + min_horizon_months
        empty = pd.DataFrame(columns=list(METRIC_COLUMNS), index=pd.Index([], name="candidate"))
        return BacktestResult(
            as_of=as_of,
            cutoff=None,
            horizon_months=horizon_months,
            requested_horizon_months=horizon_months,
            history_months=history_months,
            chosen=BASELINE,
            reason="history_too_short",
            reason_params={**common, "horizon_months": horizon_months, "required_months": required},
            measure=measure,
            margin=margin,
            metrics=empty,
            deciles=pd.DataFrame(columns=list(DECILE_COLUMNS)),
            candidates=pool,
            actual=pd.DataFrame(),
            predictions={},
        )

    cutoff = (as_of - pd.DateOffset(months=horizon)).normalize()
    known = history.until(day_number(cutoff)).known()
    revenue, cost, purchases = history.window(*window_days(as_of, horizon))
    total = revenue.sum()
    new_share = float(revenue[~known].sum() / total) if total > 0 else float("nan")
    actual_cols: dict[str, np.ndarray] = {"revenue": revenue[known]}
    if cost is not None:
        actual_cols["margin"] = (revenue - cost)[known]
    actual_cols["bought"] = purchases[known] > 0
    actual = pd.DataFrame(actual_cols, index=history.clients[known])

    rows: dict[str, dict[str, Any]] = {}
    predictions: dict[str, pd.DataFrame] = {}
    deciles = []
    for candidate in pool:
        model = candidate.clone()
        try:
            model.fit(history, cutoff, horizon)
        except UnfittableError as err:
            rows[model.name] = {"status": "unfittable", "note": str(err)}
            continue
        predicted = model.predict()
        predictions[model.name] = predicted
        rows[model.name] = _metric_row(predicted, actual, top, buy_threshold, history.has_cost)
        deciles.append(_deciles(model.name, predicted["revenue"].to_numpy(), actual["revenue"].to_numpy()))
    perfect = actual.assign(p_buy=actual["bought"].astype(float))
    rows[CEILING] = {**_metric_row(perfect, actual, top, buy_threshold, history.has_cost), "status": "ceiling"}
    table = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=list(METRIC_COLUMNS))
    table.index.name = "candidate"
    table["note"] = table["note"].fillna("")
    chosen, reason, params = select(table, measure, margin, total_tolerance)
    return BacktestResult(
        as_of=as_of,
        cutoff=cutoff,
        horizon_months=horizon,
        requested_horizon_months=horizon_months,
        history_months=history_months,
        chosen=chosen,
        reason=reason,
        reason_params={**params, **common, "horizon_months": horizon},
        measure=measure,
        margin=margin,
        metrics=table,
        deciles=pd.concat(deciles, ignore_index=True) if deciles else pd.DataFrame(columns=list(DECILE_COLUMNS)),
        candidates=pool,
        actual=actual,
        predictions=predictions,
        new_client_revenue_share=new_share,
    )


def forecast(
    transactions: pd.DataFrame | ClientHistory,
    result: BacktestResult,
    as_of: pd.Timestamp | None = None,
    horizon_months: int | None = None,
) -> pd.DataFrame:
    """The chosen candidate refitted on every line up to ``as_of``, forecasting the horizon after it.

    Parameters
    ----------
    transactions : pandas.DataFrame or ClientHistory
        The same lines the backtest saw.
    result : BacktestResult
        The backtest whose ``chosen`` candidate forecasts.
    as_of : pandas.Timestamp, optional
        Default: ``result.as_of``.
    horizon_months : int, optional
        Default: ``result.horizon_months``, the horizon the backtest measured
        (the error band of :func:`forecast_by_group` is that horizon's accuracy).

    Returns
    -------
    pandas.DataFrame
        As :meth:`.base.Forecaster.predict`: per ``client_id`` with a line up to
        ``as_of``, ``revenue``, ``margin`` (with cost) and ``p_buy``.
    """
    model = result.candidate(result.chosen)
    when = result.as_of if as_of is None else pd.Timestamp(as_of)
    model.fit(transactions, when, result.horizon_months if horizon_months is None else horizon_months)
    return model.predict()


def _relative_errors(against: pd.DataFrame, groups: pd.Series, column: str) -> tuple[pd.Series, float]:
    """Per group and overall: the chosen model's ``predicted / actual - 1`` of the backtest total of ``column``."""
    if f"{column}_actual" not in against or against.empty:
        return pd.Series(dtype=float), float("nan")
    predicted = against[f"{column}_predicted"]
    actual = against[f"{column}_actual"]
    labels = groups.reindex(actual.index)
    by_group = (
        pd.DataFrame({"p": predicted.to_numpy(), "a": actual.to_numpy(), "g": labels.to_numpy()})
        .groupby("g", dropna=False)[["p", "a"]]
        .sum()
    )
    errors = (by_group["p"] / by_group["a"] - 1.0).where(by_group["a"] > 0)
    total = actual.sum()
    overall = float(predicted.sum() / total - 1.0) if total > 0 else float("nan")
    return errors, overall


def forecast_by_group(
    forecast: pd.DataFrame, groups: pd.Series, result: BacktestResult | pd.DataFrame | None
) -> pd.DataFrame:
    """Forecast revenue and margin summed by group, each with an error band at the backtest's accuracy.

    The band of a group is its forecast total times the absolute relative error
    the chosen model made on the same group's total in the backtest
    (``|predicted / actual - 1|`` over the group's clients at the cutoff):
    "1.8 M, +/- 0.3 M at last year's accuracy". A group without backtest
    clients or without positive actual total there takes the error of the
    whole base (``band_basis`` says which). It is one period's realised error,
    not a confidence interval. Without a backtest the band is ``NaN``.

    Parameters
    ----------
    forecast : pandas.DataFrame
        :func:`forecast`'s output (indexed by ``client_id``).
    groups : pandas.Series
        Group label (segment) per ``client_id``; must cover every client of
        ``forecast`` (a missing label is its own group). Use a constant Series
        for the total.
    result : BacktestResult, DataFrame or None
        The backtest the forecast's model was chosen by, or its
        :meth:`BacktestResult.chosen_against_actual` (as a step saved it);
        empty or None when nothing was backtested.

    Returns
    -------
    pandas.DataFrame
        Indexed by group: ``clients``, ``revenue``, ``revenue_band``,
        ``revenue_error`` (the signed backtest error used), ``margin``,
        ``margin_band``, ``margin_error`` (with cost), ``buyers`` (expected
        number of clients buying, the sum of ``p_buy``), ``band_basis``
        (``"group"``; ``"all"`` when the revenue or the margin band fell back
        to the whole base's error; ``"none"`` without a backtest).

    Raises
    ------
    ValueError
        When a client of ``forecast`` is not in ``groups``.
    """
    missing = forecast.index.difference(groups.index)
    if len(missing):
        raise ValueError(f"{len(missing)} forecast client(s) have no group, e.g. {list(missing[:3])}")
    labels = groups.reindex(forecast.index)
    labels.name = groups.name if groups.name is not None else "group"
    columns = [c for c in ("revenue", "margin", "p_buy") if c in forecast]
    out = forecast[columns].groupby(labels, dropna=False).sum()
    out.insert(0, "clients", labels.groupby(labels, dropna=False).size())
    out = out.rename(columns={"p_buy": "buyers"})
    given = result.chosen_against_actual() if isinstance(result, BacktestResult) else result
    backtested = given is not None and not given.empty
    against = given if given is not None and backtested else pd.DataFrame()
    basis = pd.Series("group" if backtested else "none", index=out.index)
    for column in ("revenue", "margin"):
        if column not in out:
            continue
        errors, overall = _relative_errors(against, groups, column)
        error = errors.reindex(out.index)
        if backtested:
            basis = basis.where(error.notna(), "all")
        error = error.fillna(overall)
        out[f"{column}_error"] = error
        out[f"{column}_band"] = (out[column] * error).abs()
    out["band_basis"] = basis
    order = ["clients", "revenue", "revenue_band", "revenue_error", "margin", "margin_band", "margin_error", "buyers"]
    return out[[c for c in order if c in out] + ["band_basis"]]
