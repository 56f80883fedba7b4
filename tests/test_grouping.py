"""Step 3 — grouping: the ABCDE rule and KMeans on toy bases worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from workbench.grouping import ABCDEClassifier, segment, segment_abcde, segment_kmeans

# Ten clients of non-negative profit and one that costs money.
# Profits 0..90 (step 10) and potentials 100..1000 (step 100), shuffled so that
# every class occurs. numpy's default (linear) quantile, position q * (n - 1):
#   top profit  q=0.8: pos 7.2 -> 70 + 0.2 * (80 - 70) = 72
#   high profit q=0.5: pos 4.5 -> 40 + 0.5 * (50 - 40) = 45
#   high potential q=0.5 over the ten of non-negative profit:
#                      pos 4.5 -> 500 + 0.5 * (600 - 500) = 550
# The E client (-5, 2000) is left out of the base, or the potential median
# would move to 600.
TEN = np.array(
    [
        [90, 1000],  # >= 72 and >= 550            -> A
        [80, 200],  # >= 72 but potential low     -> B
        [70, 900],  # < 72, >= 45                 -> B
        [60, 300],  # >= 45                       -> B
        [50, 600],  # >= 45                       -> B
        [40, 800],  # < 45, potential >= 550      -> C
        [30, 100],  # < 45, < 550                 -> D
        [20, 700],  #                             -> C
        [10, 400],  #                             -> D
        [0, 500],  # 500 < 550                   -> D
        [-5, 2000],  # negative profit             -> E
    ],
    dtype=float,
)
TEN_CLASSES = ["A", "B", "B", "B", "B", "C", "D", "C", "D", "D", "E"]


def test_abcde_thresholds_by_hand():
    model = ABCDEClassifier(top_profit_quantile=0.8, high_quantile=0.5)
    assert model.fit(TEN) is model
    assert model.top_profit_ == pytest.approx(72)
    assert model.high_profit_ == pytest.approx(45)
    assert model.high_potential_ == pytest.approx(550)


def test_abcde_classes_by_hand():
    model = ABCDEClassifier().fit(TEN)
    assert list(model.classes_[model.labels_]) == TEN_CLASSES
    assert list(model.labels_) == [0, 1, 1, 1, 1, 2, 3, 2, 3, 3, 4]


def test_negative_profit_is_e_whatever_the_potential():
    model = ABCDEClassifier().fit(TEN)
    assert list(model.predict([[-0.01, 10_000], [-1000, 0]])) == [4, 4]


def test_predict_new_points_uses_learned_thresholds():
    # Thresholds from the fit: top profit 72, high profit 45, high potential 550;
    # a value equal to a threshold counts as reaching it.
    model = ABCDEClassifier().fit(TEN)
    new = [
        [72, 550],  # A (both on the threshold)
        [72, 549],  # B (potential just below)
        [45, 0],  # B (high profit on the threshold)
        [44.9, 551],  # C
        [44.9, 549],  # D
        [0, 0],
    ]  # D
    assert list(model.classes_[model.predict(new)]) == ["A", "B", "B", "C", "D", "D"]


def test_fit_predict_equals_labels():
    model = ABCDEClassifier()
    assert list(model.fit_predict(TEN)) == [0, 1, 1, 1, 1, 2, 3, 2, 3, 3, 4]


def test_other_quantiles_move_the_thresholds():
    # q=0.9: pos 8.1 -> 80 + 0.1 * 10 = 81; q=0.3: pos 2.7 -> 20 + 0.7 * 10 = 27;
    # potential q=0.3: pos 2.7 -> 300 + 0.7 * 100 = 370.
    model = ABCDEClassifier(top_profit_quantile=0.9, high_quantile=0.3).fit(TEN)
    assert (model.top_profit_, model.high_profit_, model.high_potential_) == pytest.approx((81, 27, 370))
    # (80, 200): 80 < 81 so not A, >= 27 -> B; (20, 700): < 27, 700 >= 370 -> C.
    assert list(model.classes_[model.predict([[80, 200], [90, 1000], [20, 700], [20, 300]])]) == ["B", "A", "C", "D"]


def test_sklearn_contract_get_params_and_clone():
    model = ABCDEClassifier(top_profit_quantile=0.9, high_quantile=0.3)
    assert model.get_params() == {"top_profit_quantile": 0.9, "high_quantile": 0.3}
    model.fit(TEN)
    copy = clone(model)
    assert copy.get_params() == {"top_profit_quantile": 0.9, "high_quantile": 0.3}
    assert not hasattr(copy, "labels_")  # clone gives an unfitted estimator
    with pytest.raises(NotFittedError):
        copy.predict(TEN)
    model.set_params(high_quantile=0.5)
    assert model.high_quantile == 0.5


@pytest.mark.parametrize("top, high", [(0.8, 0.9), (1.0, 0.5), (0.8, 0.0), (0.0, 0.0)])
def test_invalid_quantiles_raise(top, high):
    with pytest.raises(ValueError, match="high_quantile"):
        ABCDEClassifier(top_profit_quantile=top, high_quantile=high).fit(TEN)


def test_wrong_number_of_columns_raises():
    with pytest.raises(ValueError, match="2 columns"):
        ABCDEClassifier().fit(np.ones((4, 3)))


# --------------------------------------------------------------------------- within channel


def _criteria() -> pd.DataFrame:
    """Two channels of five active clients each, plus one lost and one potential client.

    Direct: margins 100..500, potentials 1000..5000 (n=5, pos = q * 4):
        top 0.8 -> pos 3.2 -> 400 + 0.2 * 100 = 420; high 0.5 -> 300; potential -> 3000
        d1 (100, 1000) D, d2 (200, 2000) D, d3 (300, 3000) B, d4 (400, 4000) B, d5 (500, 5000) A
    Web: the same divided by 100: thresholds 4.2, 3, 30
        w1 D, w2 D, w3 B, w4 B, w5 (5, 50) A
    Pooled (n=10, pos = q * 9) over margins 1..5, 100..500:
        top 0.8 -> pos 7.2 -> 300 + 0.2 * 100 = 320; high 0.5 -> pos 4.5 -> 5 + 0.5 * 95 = 52.5
        potential -> pos 4.5 -> 50 + 0.5 * 950 = 525
        w5 (5, 50) is then D; d1, d2, d3 are B; d4, d5 are A.
    """
    rows = [(f"d{i}", "Direct", "active", 100.0 * i, 1000.0 * i) for i in range(1, 6)]
    rows += [(f"w{i}", "Web", "active", 1.0 * i, 10.0 * i) for i in range(1, 6)]
    # Not active: must not enter any threshold (a margin of 0 would move Direct's quantiles).
    rows += [("l1", "Direct", "lost", 0.0, 0.0), ("p1", "Web", "potential", 0.0, 9999.0)]
    df = pd.DataFrame(rows, columns=["client_id", "channel", "status", "margin", "potential"])
    df["revenue"] = df["margin"] * 2
    return df


def test_abcde_within_channel():
    crit = _criteria()
    labels, info = segment_abcde(crit, within="channel", min_group=5)
    got = dict(zip(crit["client_id"], labels, strict=True))
    assert [got[f"d{i}"] for i in range(1, 6)] == ["D", "D", "B", "B", "A"]
    assert [got[f"w{i}"] for i in range(1, 6)] == ["D", "D", "B", "B", "A"]
    assert pd.isna(got["l1"]) and pd.isna(got["p1"])
    assert info["profit_basis"] == "margin"
    assert info["within"] == "channel"
    assert info["thresholds"]["Direct"]["top_profit"] == pytest.approx(420)
    assert info["thresholds"]["Direct"]["high_potential"] == pytest.approx(3000)
    assert info["thresholds"]["Web"]["top_profit"] == pytest.approx(4.2)
    assert info["thresholds"]["Web"]["clients"] == 5


def test_abcde_small_channel_uses_the_whole_base_thresholds():
    crit = _criteria()
    # Web has 5 active clients, under min_group=6: its clients get the pooled base's classes
    # (w5 is D there, see test_abcde_pooled_base_differs); Direct, also 5, likewise.
    labels, info = segment_abcde(crit, within="channel", min_group=6)
    got = dict(zip(crit["client_id"], labels, strict=True))
    assert got["w5"] == "D"
    assert [got[f"d{i}"] for i in range(1, 6)] == ["B", "B", "B", "A", "A"]
    assert info["pooled"] == ["Direct", "Web"]
    assert info["thresholds"]["Web"]["high_profit"] == pytest.approx(52.5)  # the whole base's


def test_abcde_pooled_base_differs():
    crit = _criteria()
    labels, info = segment_abcde(crit, within=None)
    got = dict(zip(crit["client_id"], labels, strict=True))
    # w5 is A within its channel, D in the pooled base (see _criteria).
    assert got["w5"] == "D"
    assert [got[f"d{i}"] for i in range(1, 6)] == ["B", "B", "B", "A", "A"]
    assert info["within"] is None
    assert info["thresholds"]["all"]["high_profit"] == pytest.approx(52.5)


def test_abcde_within_column_absent_falls_back_to_whole_base():
    crit = _criteria().drop(columns="channel")
    labels, info = segment_abcde(crit, within="channel")
    assert info["within"] is None
    assert labels[crit["client_id"] == "w5"].item() == "D"


def test_abcde_revenue_basis_without_cost():
    # No margin: revenue is the profit basis, so no client can be E.
    crit = _criteria().assign(margin=np.nan)
    labels, info = segment_abcde(crit, within="channel")
    assert info["profit_basis"] == "revenue"
    assert "E" not in set(labels.dropna())
    # revenue = 2 x margin: the same order, so the same classes.
    assert labels[crit["client_id"] == "d5"].item() == "A"


def test_segment_keeps_lost_and_potential():
    crit = _criteria()
    segments, info = segment(crit, "abcde", within="channel")
    assert list(segments.columns) == ["client_id", "segment"]
    got = dict(zip(segments["client_id"], segments["segment"], strict=True))
    assert got["l1"] == "lost" and got["p1"] == "potential"
    assert got["d5"] == "A" and got["w1"] == "D"
    # No C and no E in this base: the order lists only segments present.
    assert info["segment_order"] == ["A", "B", "D", "lost", "potential"]
    assert info["method"] == "abcde"


def test_segment_unknown_method_raises():
    with pytest.raises(ValueError, match="unknown grouping method 'dbscan'"):
        segment(_criteria(), "dbscan")


# --------------------------------------------------------------------------- kmeans


def _blobs() -> pd.DataFrame:
    # Three big clients (revenue ~1000, margin ~300), three small (~10, ~3), one lost.
    rows = [("b1", 1000, 300), ("b2", 1100, 320), ("b3", 950, 290), ("s1", 10, 3), ("s2", 12, 4), ("s3", 9, 2)]
    df = pd.DataFrame(rows, columns=["client_id", "revenue", "margin"]).astype({"revenue": float, "margin": float})
    df["status"] = "active"
    lost = pd.DataFrame({"client_id": ["x1"], "revenue": [0.0], "margin": [0.0], "status": ["lost"]})
    return pd.concat([df, lost], ignore_index=True).assign(frequency=np.nan)


def test_kmeans_two_blobs():
    segments, info = segment(_blobs(), "kmeans", features=["revenue", "margin"], n_clusters=2, random_state=0)
    got = dict(zip(segments["client_id"], segments["segment"], strict=True))
    # K1 is the cluster of higher mean margin.
    assert [got[c] for c in ("b1", "b2", "b3")] == ["K1", "K1", "K1"]
    assert [got[c] for c in ("s1", "s2", "s3")] == ["K2", "K2", "K2"]
    assert got["x1"] == "lost"
    assert info["segment_order"] == ["K1", "K2", "lost"]
    assert info["n_clusters"] == 2
    assert info["features"] == ["revenue", "margin"]


def test_kmeans_drops_features_the_data_lacks():
    labels, info = segment_kmeans(_blobs(), features=["revenue", "frequency", "margin"], n_clusters=2, random_state=0)
    assert info["features"] == ["revenue", "margin"]
    assert info["dropped_features"] == ["frequency"]
    with pytest.raises(ValueError, match="none of the features"):
        segment_kmeans(_blobs(), features=["frequency"], n_clusters=2)


# --------------------------------------------------------------------------- unknown potential


def test_unknown_potential_makes_no_c_d_split():
    # Direct margins 100..500 (thresholds 420 and 300): without any potential, A is the top quantile,
    # B the rest of the upper half, and the lower half is CD, never an invented C or D.
    crit = _criteria().assign(potential=np.nan)
    labels, info = segment_abcde(crit, within="channel", min_group=2)
    got = dict(zip(crit["client_id"], labels, strict=True))
    assert [got[f"d{i}"] for i in range(1, 6)] == ["CD", "CD", "B", "B", "A"]
    assert set(labels.dropna()) == {"A", "B", "CD"}
    assert info["potential_split"] == {"Direct": False, "Web": False}


def test_unknown_potential_of_some_clients_goes_to_b_or_cd():
    crit = _criteria()
    crit.loc[crit["client_id"].isin(["d1", "d4"]), "potential"] = np.nan  # 3 of 5 known: the split is made
    labels, info = segment_abcde(crit, within="channel", min_group=2)
    got = dict(zip(crit["client_id"], labels, strict=True))
    # Known potentials 2000, 3000, 5000 -> median 3000; profit thresholds from all five (420, 300).
    assert (got["d1"], got["d2"], got["d3"], got["d4"], got["d5"]) == ("CD", "D", "B", "B", "A")
    assert info["potential_split"]["Direct"]


def test_thin_segment_step_orders_cd_before_e():
    crit = _criteria().assign(potential=np.nan)
    crit.loc[crit["client_id"] == "w1", "margin"] = -1.0
    segments, info = segment(crit, "abcde", within=None)
    assert info["segment_order"] == ["A", "B", "CD", "E", "lost", "potential"]


def test_growth_potential_is_tested_on_last_year():
    from workbench.grouping import growth_check, segment_abcde

    # Last year: eight active clients; margin and potential decide the classes (whole base, median split).
    last = pd.DataFrame(
        {
            "client_id": [f"c{i}" for i in range(8)],
            "status": "active",
            "revenue": [100.0, 90, 80, 70, 20, 15, 10, 5],
            "margin": [50.0, 45, 40, 35, 10, 8, 5, 2],
            "potential": [900.0, 100, 800, 100, 700, 600, 50, 40],
        }
    )
    classes, _ = segment_abcde(last, within=None, min_group=2)
    c_clients = sorted(last.loc[classes[classes == "C"].index, "client_id"])
    assert c_clients == ["c4", "c5"]  # low margin, high potential
    grew = last.assign(revenue=last["revenue"].where(~last["client_id"].isin(c_clients), last["revenue"] * 2))
    check = growth_check(last, grew, within=None, min_group=2)
    # C: 35 -> 70 (+100 %); the base: 390 -> 425 (+9 %): the label holds.
    assert check["classes"]["C"]["growth"] == pytest.approx(1.0)
    assert check["base_growth"] == pytest.approx(425 / 390 - 1)
    assert check["confirmed"] is True
    # C stayed flat while the others grew by half: not confirmed.
    others = last.assign(revenue=last["revenue"].where(last["client_id"].isin(c_clients), last["revenue"] * 1.5))
    assert growth_check(last, others, within=None, min_group=2)["confirmed"] is False
    # A client gone this year counts as zero revenue now, not as missing.
    gone = grew.loc[grew["client_id"] != "c4"]
    assert growth_check(last, gone, within=None, min_group=2)["classes"]["C"]["revenue_now"] == pytest.approx(30)
