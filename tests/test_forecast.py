"""workbench.forecast: metrics by hand, the candidates on planted processes, the naive-unless-beaten selection."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import check_grad
from scipy.special import hyp2f1

from workbench.forecast import (
    BTYDForecast,
    NaiveForecast,
    RecencyForecast,
    SupervisedForecast,
    UnfittableError,
    backtest,
    ceiling,
    forecast,
    forecast_by_group,
    mae,
    precision,
    rank_correlation,
    recall,
    select,
    top_share,
    total_ratio,
)
from workbench.forecast.btyd import (
    _bgnbd_objective,
    _gamma_gamma_objective,
    beta_quadrature,
    bgnbd_expected_purchases,
)
from workbench.forecast.history import ClientHistory, full_months_between

START = pd.Timestamp("2022-01-01")
AS_OF = pd.Timestamp("2024-12-31")

# ------------------------------------------------------------------ generated companies


def planted_bgnbd(n=20_000, r=0.5, alpha=5.0, a=0.7, b=3.0, p=4.0, q=5.0, gamma=400.0, seed=1):
    """A BG/NBD x Gamma-Gamma company: alpha in weeks; clients arrive uniformly until one year before AS_OF."""
    rng = np.random.default_rng(seed)
    birth = rng.uniform(0, (AS_OF - pd.DateOffset(months=12) - START).days, n)  # days after START
    end = (AS_OF - START).days + 1.0
    lam = rng.gamma(r, 1 / alpha, n) / 7.0  # purchases per day while alive
    dropout = rng.beta(a, b, n)
    nu = rng.gamma(q, 1 / gamma, n)
    clients, times = [np.arange(n)], [birth]
    now, alive = birth.copy(), np.ones(n, bool)
    while alive.any():
        i = np.flatnonzero(alive)
        now[i] += rng.exponential(1 / lam[i])
        inside = now[i] < end
        alive[i[~inside]] = False
        i = i[inside]
        clients.append(i)
        times.append(now[i].copy())
        alive[i[rng.random(i.size) < dropout[i]]] = False  # dropout after a repeat purchase
    c, t = np.concatenate(clients), np.concatenate(times)
    amount = rng.gamma(p, 1 / nu[c])
    return pd.DataFrame(
        {
            "client_id": pd.Series(c).map("C{:05d}".format),
            "date": START + pd.to_timedelta(np.floor(t), unit="D"),
            "amount": amount.round(2),
            "cost": (amount * 0.7).round(2),
        }
    )


def steady_b2b(n=2000, seed=2, start=START, as_of=AS_OF, churn_per_year=0.03):
    """Monthly orders on a client's own day (+/- 3 days), amounts within 10 % of its level, 3 % churn a year."""
    rng = np.random.default_rng(seed)
    level = rng.lognormal(8, 1, n)
    day_of_month = rng.integers(0, 25, n)
    churn_day = rng.exponential(365 / churn_per_year, n)
    last = (as_of - start).days
    cs, ds, amounts = [], [], []
    for month in pd.date_range(start, as_of, freq="MS"):
        day = np.clip((month - start).days + day_of_month + rng.integers(-3, 4, n), 0, None)
        ok = (day < churn_day) & (day <= last)
        cs.append(np.flatnonzero(ok))
        ds.append(day[ok])
        amounts.append(level[ok] * rng.normal(1, 0.1, ok.sum()))
    c, d, a = np.concatenate(cs), np.concatenate(ds), np.concatenate(amounts)
    return pd.DataFrame(
        {
            "client_id": pd.Series(c).map("B{:05d}".format),
            "date": start + pd.to_timedelta(d, unit="D"),
            "amount": a.round(2),
            "cost": (a * 0.75).round(2),
        }
    )


@pytest.fixture(scope="module", autouse=True)
def one_openmp_thread():
    """Gradient boosting's OpenMP threads spin-wait when the cores are busy: beside another test run this
    file took 62 s with two threads and 25 s with one (alone: about 18 s either way)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def bgnbd_lines():
    return planted_bgnbd()


@pytest.fixture(scope="module")
def bgnbd_10k(bgnbd_lines):
    """Half of the planted clients (they are independent, so this is a 10,000-client planted company)."""
    return bgnbd_lines[bgnbd_lines["client_id"] < "C10000"]


@pytest.fixture(scope="module")
def bgnbd_result(bgnbd_10k):
    return backtest(bgnbd_10k, AS_OF)


@pytest.fixture(scope="module")
def b2b_lines():
    return steady_b2b()


@pytest.fixture(scope="module")
def b2b_result(b2b_lines):
    return backtest(b2b_lines, AS_OF)


def show(result):
    """The metric table in the test log (pytest -s), for the report."""
    cols = ["rank_correlation", "top_share", "total_ratio", "mae", "precision", "recall"]
    print(f"\nchosen {result.chosen} ({result.reason})\n{result.metrics[cols].round(3).to_string()}")


# ------------------------------------------------------------------ metrics, by hand on ten clients

#            c0  c1  c2   c3  c4  c5  c6  c7  c8  c9
PREDICTED = [90, 10, 30, 100, 0, 5, 90, 20, 40, 40]  # sum 425
ACTUAL = [50, 0, 30, 120, 10, 0, 80, 20, 60, 30]  # sum 400
PRED_BUY = [1, 1, 1, 1, 0, 0, 1, 0, 1, 1]  # 7 predicted buyers
# actual buyers = actual > 0: every client but c1 and c5 (8)


def test_top_share_by_hand_with_a_tie_at_the_boundary():
    # Top 20 % = 2 clients. Predicted order: c3 (100), then c0 and c6 tied at 90 for the one place left:
    # c3's 120 + half of (c0's 50 + c6's 80) = 120 + 65 = 185 of 400.
    assert top_share(PREDICTED, ACTUAL) == pytest.approx(185 / 400)
    # Top 40 % = 4: c3, c0, c6 (250), then c8 and c9 tied at 40 for one place: + (60 + 30) / 2 = 295.
    assert top_share(PREDICTED, ACTUAL, share=0.4) == pytest.approx(295 / 400)
    # Top 50 % = 5: both tied clients fit: 250 + 90 = 340.
    assert top_share(PREDICTED, ACTUAL, share=0.5) == pytest.approx(340 / 400)


def test_ceiling_by_hand():
    # Perfect foresight's top 2: c3 (120) and c6 (80) = 200 of 400.
    assert ceiling(ACTUAL) == pytest.approx(0.5)
    assert ceiling(ACTUAL) >= top_share(PREDICTED, ACTUAL)


def test_rank_correlation_by_hand():
    # Average ranks, ascending. Predicted: c4 1, c5 2, c1 3, c7 4, c2 5, c8 c9 6.5, c0 c6 8.5, c3 10.
    # Actual: c1 c5 1.5, c4 3, c7 4, c2 c9 5.5, c0 7, c8 8, c6 9, c3 10. Both mean 5.5.
    # Deviations' products sum to 75.25; each side's squares to 81.5: rho = 75.25 / 81.5.
    assert rank_correlation(PREDICTED, ACTUAL) == pytest.approx(75.25 / 81.5)
    from scipy.stats import spearmanr

    assert rank_correlation(PREDICTED, ACTUAL) == pytest.approx(spearmanr(PREDICTED, ACTUAL).statistic)


def test_total_ratio_and_mae_by_hand():
    assert total_ratio(PREDICTED, ACTUAL) == pytest.approx(425 / 400)
    # |errors|: 40 10 0 20 10 5 10 0 20 10 = 125 over 10 clients.
    assert mae(PREDICTED, ACTUAL) == pytest.approx(12.5)


def test_precision_and_recall_by_hand():
    predicted = np.array(PRED_BUY, bool)
    actual = np.array(ACTUAL) > 0
    # Predicted and bought: c0 c2 c3 c6 c8 c9 = 6; predicted 7 (c1 did not buy); bought 8 (c4, c7 missed).
    assert precision(predicted, actual) == pytest.approx(6 / 7)
    assert recall(predicted, actual) == pytest.approx(6 / 8)


def test_metric_edge_cases_are_nan_as_documented():
    zeros = np.zeros(10)
    assert np.isnan(top_share(PREDICTED, zeros))  # no actual revenue
    assert np.isnan(ceiling(zeros))
    assert np.isnan(total_ratio(PREDICTED, zeros))
    assert np.isnan(top_share([], []))
    assert np.isnan(mae([], []))
    assert np.isnan(rank_correlation(np.ones(10), ACTUAL))  # constant forecast
    assert np.isnan(rank_correlation([1.0], [2.0]))
    assert np.isnan(precision(np.zeros(10, bool), np.ones(10, bool)))  # nobody predicted to buy
    assert np.isnan(recall(np.ones(10, bool), np.zeros(10, bool)))  # nobody bought
    with pytest.raises(ValueError, match="length"):
        mae([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="NaN"):
        top_share([np.nan, 1.0], [1.0, 2.0])
    with pytest.raises(TypeError, match="booleans"):
        precision([0.2, 0.9], [True, False])


# ------------------------------------------------------------------ the selection rule


def table(**rows):
    """A metrics table: name=(status, top_share, total_ratio)."""
    return pd.DataFrame(
        {
            name: {"status": s, "top_share": v, "rank_correlation": v, "total_ratio": t}
            for name, (s, v, t) in rows.items()
        }
    ).T


def test_a_challenger_beating_naive_by_less_than_the_margin_is_not_chosen():
    metrics = table(naive=("tested", 0.700, 1.2), recency=("tested", 0.710, 1.1))  # +1.4 % relative
    chosen, reason, params = select(metrics, margin=0.02)
    assert (chosen, reason, params["best"]) == ("naive", "naive_not_beaten", "recency")
    chosen, reason, params = select(metrics, margin=0.01)
    assert (chosen, reason, params["chosen"]) == ("recency", "beats_naive", "recency")


def test_the_best_eligible_challenger_wins_and_untested_or_off_total_ones_never_do():
    metrics = table(
        naive=("tested", 0.60, 1.20),
        btyd=("tested", 0.70, 1.60),  # best share, but its total is 60 % off (naive: 20 %, tolerance 25 %)
        supervised=("unfittable", 0.90, 1.00),  # not tested
        recency=("tested", 0.65, 1.24),
    )
    assert select(metrics, margin=0.0)[0] == "recency"
    assert select(metrics, margin=0.0, total_tolerance=0.7)[0] == "btyd"
    with pytest.raises(ValueError, match="naive"):
        select(metrics.drop(index="naive"))


def test_no_measurable_revenue_keeps_naive():
    metrics = table(naive=("tested", float("nan"), float("nan")), btyd=("tested", float("nan"), float("nan")))
    assert select(metrics)[:2] == ("naive", "not_measurable")


def test_margin_decides_end_to_end(bgnbd_10k):
    """The backtest's margin is the rule's margin: BTYD beats naive by ~8 % on a planted BG/NBD process."""
    candidates = [NaiveForecast(), BTYDForecast()]
    won = backtest(bgnbd_10k, AS_OF, candidates=candidates)
    gain = won.metrics.loc["btyd", "top_share"] / won.metrics.loc["naive", "top_share"] - 1
    assert won.chosen == "btyd" and gain > 0.05
    kept = backtest(bgnbd_10k, AS_OF, candidates=candidates, margin=gain + 0.01)
    assert (kept.chosen, kept.reason, kept.reason_params["best"]) == ("naive", "naive_not_beaten", "btyd")


# ------------------------------------------------------------------ planted processes


def test_planted_bgnbd_btyd_wins_the_backtest(bgnbd_result):
    show(bgnbd_result)
    m = bgnbd_result.metrics
    assert bgnbd_result.chosen == "btyd" and bgnbd_result.reason == "beats_naive"
    assert m.loc["btyd", "top_share"] > m.loc["naive", "top_share"] * 1.05
    assert m.loc["btyd", "top_share"] > m.loc["supervised", "top_share"] * 1.02  # the true model beats learning it
    assert m.loc["btyd", "top_share"] < m.loc["perfect_foresight", "top_share"]
    assert abs(m.loc["btyd", "total_ratio"] - 1) < 0.1  # the right model gets the total right
    assert m.loc["btyd", "mae"] < m.loc["naive", "mae"]
    assert m.loc["btyd", "precision"] > m.loc["naive", "precision"]
    assert set(m["status"]) == {"tested", "ceiling"} and len(m) == 5
    assert bgnbd_result.new_client_revenue_share == 0  # every planted client arrived before the cutoff


def test_planted_bgnbd_parameters_are_recovered(bgnbd_lines):
    model = BTYDForecast().fit(bgnbd_lines, AS_OF)
    # Planted r, alpha (weeks), a, b = 0.5, 5, 0.7, 3; spend p, q, gamma = 4, 5, 400. 20,000 clients:
    # within 10 % (BG/NBD) and 15 % (Gamma-Gamma); observed at most 2.3 % and 5.5 %.
    assert model.bgnbd_params_ == pytest.approx((0.5, 5.0, 0.7, 3.0), rel=0.10)
    assert model.gamma_gamma_params_ == pytest.approx((4.0, 5.0, 400.0), rel=0.15)


def test_steady_b2b_buyers_naive_or_supervised_wins_never_btyd(b2b_result, b2b_lines):
    show(b2b_result)
    m = b2b_result.metrics
    assert b2b_result.chosen in {"naive", "supervised"}
    # Perfect foresight is less than the 2 % margin above naive: no model can beat naive by the margin here.
    assert m.loc["perfect_foresight", "top_share"] < 1.02 * m.loc["naive", "top_share"]
    # Even with no margin at all, BTYD is not the pick, and its per-client error is several times naive's.
    no_margin = backtest(b2b_lines, AS_OF, margin=0.0)
    assert no_margin.chosen in {"naive", "supervised"}
    assert m.loc["btyd", "mae"] > 2 * m.loc["naive", "mae"]


def test_history_too_short_chooses_naive_without_a_backtest(b2b_lines):
    recent = b2b_lines[b2b_lines["date"] > AS_OF - pd.DateOffset(months=10)]
    result = backtest(recent, AS_OF)
    assert not result.backtested and result.chosen == "naive" and result.reason == "history_too_short"
    # From 2024-03-01 (the first monthly order after the 10-month cut) to 2024-12-31: 9 whole months;
    # a backtest needs 12 months of history plus a 3-month horizon.
    assert result.reason_params["history_months"] == 9
    assert result.reason_params["required_months"] == 15
    assert result.metrics.empty and result.deciles.empty
    # The forecast still comes, from naive, and without a band.
    fc = forecast(recent, result)
    expected = recent.groupby("client_id")["amount"].sum()  # all 10 months fall in the last 12
    pd.testing.assert_series_equal(fc["revenue"], expected.rename("revenue"), check_index_type=False)
    by = forecast_by_group(fc, pd.Series("all", index=fc.index), result)
    assert np.isnan(by.loc["all", "revenue_band"]) and by.loc["all", "band_basis"] == "none"


def test_a_short_history_shortens_the_horizon_and_says_so(b2b_lines):
    recent = b2b_lines[b2b_lines["date"] > AS_OF - pd.DateOffset(months=19)]  # from 2023-06: 18 whole months
    result = backtest(recent, AS_OF)
    assert result.backtested and result.horizon_shortened
    assert (result.horizon_months, result.requested_horizon_months) == (6, 12)
    assert result.cutoff == pd.Timestamp("2024-06-30")
    assert result.reason_params["horizon_months"] == 6
    # Supervised needs 6 months before its own training cutoff (2023-12-30); it has 6, so it is tested.
    assert result.metrics.loc["supervised", "status"] == "tested"


def test_a_model_the_data_cannot_support_is_reported_and_not_chosen(b2b_lines):
    # From 2023-01-01: 23 whole months, so an 11-month horizon (cutoff 2024-01-31); the supervised
    # model's own training cutoff, 11 months earlier (2023-02-28), has 1 month of history before it.
    recent = b2b_lines[b2b_lines["date"] > AS_OF - pd.DateOffset(months=24)]
    result = backtest(recent, AS_OF, margin=0.0)
    assert result.metrics.loc["supervised", "status"] == "unfittable"
    assert "months of history" in result.metrics.loc["supervised", "note"]
    assert "supervised" not in result.predictions and result.chosen != "supervised"


def test_decile_table_adds_up(bgnbd_result):
    d = bgnbd_result.deciles
    for name, part in d.groupby("candidate"):
        assert list(part["decile"]) == list(range(1, 11))
        assert part["clients"].sum() == bgnbd_result.metrics.loc[name, "clients"]
        assert part["actual_revenue"].sum() == pytest.approx(bgnbd_result.actual["revenue"].sum())
    btyd = d[d["candidate"] == "btyd"].set_index("decile")
    assert btyd.loc[1, "actual_revenue"] > 5 * btyd.loc[10, "actual_revenue"]  # the ranking means something


# ------------------------------------------------------------------ forecast and band, by hand

HAND = pd.DataFrame(
    [
        ("A", "2022-06-01", 100.0),
        ("A", "2023-06-01", 100.0),
        ("A", "2024-06-01", 120.0),
        ("B", "2022-06-01", 200.0),
        ("B", "2023-06-01", 200.0),
        ("B", "2024-06-01", 150.0),
        ("C", "2022-06-01", 50.0),
        ("C", "2023-06-01", 50.0),
        ("D", "2024-03-01", 80.0),  # arrives after the cutoff
    ],
    columns=["client_id", "date", "amount"],
).assign(date=lambda d: pd.to_datetime(d["date"]), cost=lambda d: d["amount"] * 0.6)


def test_forecast_by_group_band_by_hand():
    result = backtest(HAND, AS_OF, candidates=[NaiveForecast()])
    # Cutoff 2023-12-31. Naive forecasts 2024 with 2023: A 100, B 200, C 50; 2024 was A 120, B 150, C 0.
    assert result.chosen == "naive" and result.cutoff == pd.Timestamp("2023-12-31")
    assert result.metrics.loc["naive", "total_ratio"] == pytest.approx(350 / 270)
    assert result.metrics.loc["naive", "mae"] == pytest.approx((20 + 50 + 50) / 3)
    assert result.new_client_revenue_share == pytest.approx(80 / 350)  # D
    fc = forecast(HAND, result)  # naive at 2024-12-31: A 120, B 150, C 0, D 80
    assert fc["revenue"].to_dict() == {"A": 120.0, "B": 150.0, "C": 0.0, "D": 80.0}
    groups = pd.Series({"A": "x", "C": "x", "B": "y", "D": "y"}, name="segment")
    by = forecast_by_group(fc, groups, result)
    # x = A, C: backtest 150 forecast for 120 actual, +25 %; forecast 120 -> band 30.
    # y = B (D was not there at the cutoff): 200 for 150, +33.3 %; forecast 150 + 80 = 230 -> band 76.67.
    assert by.loc["x", ["clients", "revenue", "revenue_error", "revenue_band"]].tolist() == pytest.approx(
        [2, 120, 0.25, 30]
    )
    assert by.loc["y", ["clients", "revenue", "revenue_error", "revenue_band"]].tolist() == pytest.approx(
        [2, 230, 1 / 3, 230 / 3]
    )
    # Margin is 40 % of every amount: the same errors, on 48 and 92.
    assert by.loc["x", ["margin", "margin_band"]].tolist() == pytest.approx([48, 12])
    assert by.loc["y", ["margin", "margin_band"]].tolist() == pytest.approx([92, 92 / 3])
    assert by["buyers"].to_dict() == {"x": 1.0, "y": 2.0}  # A; B and D
    assert set(by["band_basis"]) == {"group"}
    with pytest.raises(ValueError, match="no group"):
        forecast_by_group(fc, groups.drop("D"), result)
    # What a step saves (the chosen model against the actual) bands the same, without the model.
    against = result.chosen_against_actual()
    assert against.loc["B", ["revenue_predicted", "revenue_actual"]].tolist() == [200, 150]
    pd.testing.assert_frame_equal(forecast_by_group(fc, groups, against), by)
    assert set(forecast_by_group(fc, groups, None)["band_basis"]) == {"none"}


def test_a_group_absent_from_the_backtest_takes_the_whole_base_error():
    result = backtest(HAND, AS_OF, candidates=[NaiveForecast()])
    fc = forecast(HAND, result)
    groups = pd.Series({"A": "old", "B": "old", "C": "old", "D": "new"})
    by = forecast_by_group(fc, groups, result)
    # "new" (D) had no client at the cutoff: the base's error, 350 / 270 - 1, on its 80.
    assert by.loc["new", "band_basis"] == "all"
    assert by.loc["new", "revenue_band"] == pytest.approx(80 * (350 / 270 - 1))


# ------------------------------------------------------------------ the candidates' contract


def test_naive_and_recency_by_hand():
    lines = pd.DataFrame(
        {
            "client_id": ["A", "A", "A", "B", "B"],
            "date": pd.to_datetime(["2024-02-10", "2024-09-10", "2024-09-10", "2024-03-01", "2025-01-05"]),
            "amount": [100.0, 60.0, 40.0, 80.0, 999.0],  # B's 999 is after as_of: never seen
        }
    )
    as_of = pd.Timestamp("2024-12-31")
    naive = NaiveForecast().fit(lines, as_of, horizon_months=12).predict()
    assert naive["revenue"].to_dict() == {"A": 200.0, "B": 80.0}
    assert "margin" not in naive  # no cost column
    # The 12 months split at 2024-07-01: A older 100, recent 100; B older 80, recent 0.
    # Forecast 0.5 * older + 1.5 * recent: A 200, B 40; p_buy = bought in the recent half.
    recency = RecencyForecast().fit(lines, as_of, horizon_months=12).predict()
    assert recency["revenue"].to_dict() == {"A": 200.0, "B": 40.0}
    assert recency["p_buy"].to_dict() == {"A": 1.0, "B": 0.0}
    # A client the model never saw is forecast nothing.
    assert NaiveForecast().fit(lines, as_of).predict(["B", "Z"])["revenue"].to_dict() == {"B": 80.0, "Z": 0.0}


def test_fit_reads_only_lines_up_to_as_of(bgnbd_10k):
    cutoff = AS_OF - pd.DateOffset(months=12)
    full = BTYDForecast().fit(bgnbd_10k, cutoff).predict()
    cut = BTYDForecast().fit(bgnbd_10k[bgnbd_10k["date"] <= cutoff], cutoff).predict()
    pd.testing.assert_frame_equal(full, cut)


def test_clone_keeps_parameters_and_forgets_the_fit(b2b_lines):
    model = RecencyForecast(recent_weight=0.9).fit(b2b_lines, AS_OF)
    copy = model.clone()
    assert copy.get_params() == {"recent_weight": 0.9} and not hasattr(copy, "history_")
    with pytest.raises(RuntimeError, match="not fitted"):
        copy.predict()


def test_supervised_refuses_too_little_history(b2b_lines):
    recent = b2b_lines[b2b_lines["date"] > AS_OF - pd.DateOffset(months=15)]
    with pytest.raises(UnfittableError, match="months of history"):
        SupervisedForecast().fit(recent, AS_OF, horizon_months=12)


def test_bad_input_is_an_error_not_a_guess():
    with pytest.raises(ValueError, match="amount"):
        ClientHistory.from_transactions(HAND.assign(amount=[1.0, None, *[1.0] * 7]))
    with pytest.raises(ValueError, match="client_id"):
        ClientHistory.from_transactions(HAND.drop(columns="client_id"))
    with pytest.raises(ValueError, match="unique"):
        backtest(HAND, AS_OF, candidates=[NaiveForecast(), NaiveForecast()])


def test_client_history_groups_lines_by_client_and_day():
    lines = pd.concat([HAND, HAND.iloc[[0]].assign(amount=5.0, cost=1.0)])  # a second line on A's first day
    h = ClientHistory.from_transactions(lines)
    assert list(h.clients) == ["A", "B", "C", "D"] and h.day.size == len(HAND)
    assert h.amount[0] == 105.0 and h.cost is not None and h.cost[0] == pytest.approx(61.0)
    assert full_months_between(pd.Timestamp("2022-06-01"), AS_OF) == 30
    # Calendar months as pandas.DateOffset counts them: 31 January + 1 month = 29 February.
    assert full_months_between(pd.Timestamp("2024-01-31"), pd.Timestamp("2024-02-29")) == 1
    assert full_months_between(pd.Timestamp("2024-01-31"), pd.Timestamp("2024-02-28")) == 0


# ------------------------------------------------------------------ BTYD numerics


def test_likelihood_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    x = rng.poisson(3, 500).astype(float)
    T = rng.uniform(1, 3, 500)
    t_x = np.where(x > 0, T * rng.random(500), 0.0)
    for theta in (np.zeros(4), np.array([0.3, -1.0, 0.5, -0.2])):
        err = check_grad(
            lambda th: _bgnbd_objective(th, x, t_x, T)[0], lambda th: _bgnbd_objective(th, x, t_x, T)[1], theta
        )
        assert err < 1e-5
    m = rng.gamma(3, 1, 500)
    rep = x > 0
    err = check_grad(
        lambda th: _gamma_gamma_objective(th, x[rep], m[rep])[0],
        lambda th: _gamma_gamma_objective(th, x[rep], m[rep])[1],
        np.array([0.1, 0.5, -0.3]),
    )
    assert err < 1e-5


def closed_form(t, x, t_x, T, r, alpha, a, b):
    """Fader, Hardie & Lee (2005) eq. 10, with scipy's hyp2f1."""
    with np.errstate(over="ignore", invalid="ignore"):
        z = t / (alpha + T + t)
        num = (a + b + x - 1) / (a - 1) * (1 - (1 - z) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z))
        odds = np.where(x > 0, a / np.maximum(b + x - 1, 1e-300) * ((alpha + T) / (alpha + t_x)) ** (r + x), 0.0)
        return num / (1 + odds)


def test_quadrature_matches_the_closed_form_and_stays_finite_where_it_does_not():
    rng = np.random.default_rng(3)
    for _ in range(50):
        r, alpha, a, b = np.exp(rng.uniform([-2, -2, -3, -2], [3, 4, 1.5, 3]))
        x = rng.integers(0, 60, 20).astype(float)
        T = rng.uniform(0.1, 150, 20)
        t_x = np.where(x > 0, T * rng.random(20), 0.0)
        if abs(a - 1) < 1e-3:
            continue
        expected = closed_form(52.0, x, t_x, T, r, alpha, a, b)
        # 32 nodes (the default): within 0.2 % even for a client seen for less than a week with alpha
        # under one week (the worst case here, 0.14 %); 64 nodes: within 1e-5 (the quadrature converges).
        got = bgnbd_expected_purchases((r, alpha, a, b), 52.0, x, t_x, T)
        assert got == pytest.approx(expected, rel=2e-3, abs=1e-9)
        finer = bgnbd_expected_purchases((r, alpha, a, b), 52.0, x, t_x, T, n_nodes=64)
        assert finer == pytest.approx(expected, rel=1e-5, abs=1e-9)
    # Regular buyers push r and alpha to the bound: hyp2f1 gives NaN, the quadrature a number near
    # the client's rate x 52 weeks (35 purchases in 155 weeks, alive: about 11.7).
    params = (162754.0, 721922.0, 0.0256, 3.72)
    args = (np.array([35.0]), np.array([150.0]), np.array([155.0]))
    assert np.isnan(closed_form(52.14, *args, *params)).all()
    assert bgnbd_expected_purchases(params, 52.14, *args) == pytest.approx([11.69], rel=1e-3)


def test_beta_quadrature_moments_even_for_a_large_b():
    for a, b in ((0.6, 2.5), (0.03, 40.0), (0.6, 5000.0)):
        p, w = beta_quadrature(32, a, b)
        assert w.sum() == pytest.approx(1.0)
        assert w @ p == pytest.approx(a / (a + b), rel=1e-10)
        assert w @ p**2 == pytest.approx(a * (a + 1) / ((a + b) * (a + b + 1)), rel=1e-10)


def test_importing_the_package_does_not_load_scikit_learn():
    code = "import sys, workbench.forecast; print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"


def test_supervised_fits_lines_without_cost(b2b_lines):
    # Without cost the margin features are empty; the binning of gradient boosting must not see them.
    thin = b2b_lines.drop(columns=[c for c in ("cost",) if c in b2b_lines])
    result = backtest(thin, AS_OF)
    assert result.metrics.loc["supervised", "status"] == "tested"
