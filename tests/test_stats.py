"""Hand-computed reference values for the statistics every rate and comparison uses."""

import math

import numpy as np
import pandas as pd
import pytest

from pmplaybook import stats

Z = 1.959963984540054


def test_z_value_95():
    assert stats.z_value(0.95) == pytest.approx(Z)
    with pytest.raises(ValueError, match="between 0 and 1"):
        stats.z_value(95)


def test_wilson_by_hand():
    # 35 of 50: p = 0.7, z^2 = 3.84146, z^2/n = 0.0768293, denominator = 1.0768293
    # centre = (0.7 + 3.84146/100) / 1.0768293 = 0.685730
    # half = z * sqrt(0.7*0.3/50 + 3.84146/10000) / 1.0768293 = 1.96 * 0.0677064 / 1.0768293 = 0.123235
    low, high = stats.wilson_interval(35, 50)
    assert low == pytest.approx(0.685730 - 0.123235, abs=1e-5)
    assert high == pytest.approx(0.685730 + 0.123235, abs=1e-5)


def test_wilson_edges_stay_in_unit_interval():
    # 0 of 10: the interval is [0, z^2/(n+z^2)] = [0, 3.84146/13.84146] = [0, 0.27753]
    low, high = stats.wilson_interval(0, 10)
    assert low == 0.0 and high == pytest.approx(3.84146 / 13.84146, abs=1e-5)
    low, high = stats.wilson_interval(10, 10)
    assert high == 1.0 and low == pytest.approx(1 - 3.84146 / 13.84146, abs=1e-5)


def test_wilson_vectorised_and_empty():
    low, high = stats.wilson_interval(np.array([35, 0]), np.array([50, 0]))
    assert low[0] == pytest.approx(0.5625, abs=1e-4)
    assert math.isnan(low[1]) and math.isnan(high[1])


def test_add_wilson_rate_nan_for_empty_cells():
    out = stats.add_wilson(pd.DataFrame({"k": [1, 0], "n": [4, 0]}), "k", "n")
    assert out["rate"].iloc[0] == 0.25
    assert math.isnan(out["rate"].iloc[1])


def test_diff_proportions_by_hand():
    # 120/400 = 0.30 vs 45/300 = 0.15: diff 0.15
    # pooled p = 165/700 = 0.235714; se = sqrt(0.235714*0.764286*(1/400+1/300)) = 0.032418; z = 4.6271
    r = stats.diff_proportions(120, 400, 45, 300)
    assert r["diff"] == pytest.approx(0.15)
    assert r["z"] == pytest.approx(0.15 / math.sqrt(165 / 700 * 535 / 700 * (1 / 400 + 1 / 300)))
    assert r["p_value"] < 1e-5 and r["significant"]
    # Newcombe: low = diff - sqrt((p1 - l1)^2 + (u2 - p2)^2), from the two Wilson intervals
    l1, u1 = stats.wilson_interval(120, 400)
    l2, u2 = stats.wilson_interval(45, 300)
    assert r["ci_low"] == pytest.approx(0.15 - math.sqrt((0.30 - l1) ** 2 + (u2 - 0.15) ** 2))
    assert r["ci_high"] == pytest.approx(0.15 + math.sqrt((u1 - 0.30) ** 2 + (0.15 - l2) ** 2))


def test_diff_proportions_noise_is_not_significant():
    # 10/50 vs 12/50: a 4-point gap on 50 users each is well inside the noise
    r = stats.diff_proportions(10, 50, 12, 50)
    assert not r["significant"] and r["ci_low"] < 0 < r["ci_high"]


def test_small_sample_flag():
    assert stats.small_sample(3, 200)        # fewer than 5 successes
    assert stats.small_sample(10, 20)        # fewer than 30 observations
    assert not stats.small_sample(40, 200)
    assert list(stats.small_sample(np.array([3, 40]), np.array([200, 200]))) == [True, False]


def test_nps_interval_by_hand():
    # 50 promoters, 30 passives, 20 detractors of 100: NPS = 50 - 20 = 30 points
    # var = (0.5 + 0.2 - 0.3^2) / 100 = 0.0061; se = 0.078102; half-width = 1.96 * 7.8102 = 15.308 points
    nps, low, high = stats.nps_interval(50, 20, 100)
    assert nps == 30.0
    assert low == pytest.approx(30 - Z * 100 * math.sqrt(0.0061))
    assert high == pytest.approx(30 + Z * 100 * math.sqrt(0.0061))
