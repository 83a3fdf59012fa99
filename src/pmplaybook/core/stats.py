"""Confidence intervals, tests of change and small-sample flags.

Every rate the playbook shows carries a 95% Wilson score interval, and every comparison (this week vs
last, a segment vs the rest) says whether the change is larger than its noise. The functions accept
scalars or array-likes (pandas Series, numpy arrays) and work element-wise, so a whole cohort table gets
its intervals in one call.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd

#: Below this many observations (or this many successes / failures) a rate is flagged as too small to
#: read: the normal approximation behind intervals and tests is unreliable, and the rate itself jumps by
#: whole percentage points with a single user.
MIN_SAMPLE = 30
MIN_EVENTS = 5


def z_value(confidence: float = 0.95) -> float:
    """The two-sided standard-normal quantile for ``confidence`` (1.959964... for 95%)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(successes, n, confidence: float = 0.95):
    """Wilson score interval for a proportion ``successes / n``.

    Formula (Wilson 1927): centre = (p + z²/2n) / (1 + z²/n), half-width =
    z·sqrt(p(1-p)/n + z²/4n²) / (1 + z²/n), with p = successes / n. Unlike the textbook
    p ± z·sqrt(p(1-p)/n) it never leaves [0, 1] and stays honest for small n and rates near 0 or 1,
    which is exactly where cohort tables live (small young cohorts, late periods near 0%).

    Parameters
    ----------
    successes, n : int or array-like
        Counts; ``n == 0`` gives NaN bounds.
    confidence : float
        Two-sided confidence level.

    Returns
    -------
    (low, high) : floats or numpy arrays of the input's shape.

    Examples
    --------
    >>> low, high = wilson_interval(35, 50)
    >>> round(low, 4), round(high, 4)
    (0.5625, 0.8091)
    """
    z = z_value(confidence)
    s = np.asarray(successes, dtype="float64")
    m = np.asarray(n, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        p = s / m
        denom = 1 + z**2 / m
        centre = (p + z**2 / (2 * m)) / denom
        half = z * np.sqrt(p * (1 - p) / m + z**2 / (4 * m**2)) / denom
        # at 0 (or n) successes the bound is exactly 0 (or 1); rounding would leave 1e-17
        low = np.where(m > 0, np.where(s <= 0, 0.0, np.clip(centre - half, 0.0, 1.0)), np.nan)
        high = np.where(m > 0, np.where(s >= m, 1.0, np.clip(centre + half, 0.0, 1.0)), np.nan)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def small_sample(successes, n, min_n: int = MIN_SAMPLE, min_events: int = MIN_EVENTS):
    """True where a rate rests on too few observations to read.

    The usual rule of thumb for the normal approximation: at least ``min_n`` observations and at least
    ``min_events`` successes and failures. Element-wise on arrays.

    >>> bool(small_sample(3, 200)), bool(small_sample(40, 200)), bool(small_sample(5, 10))
    (True, False, True)
    """
    s = np.asarray(successes, dtype="float64")
    m = np.asarray(n, dtype="float64")
    flag = (m < min_n) | (s < min_events) | ((m - s) < min_events)
    return bool(flag) if flag.ndim == 0 else flag


def diff_proportions(s1, n1, s2, n2, confidence: float = 0.95) -> dict:
    """Compare two proportions: difference, its interval and a two-sided z test.

    ``diff = s1/n1 - s2/n2``. The interval is the Newcombe hybrid score interval (method 10 of
    Newcombe 1998), built from the two Wilson intervals, which behaves well for small samples. The test
    is the pooled two-proportion z test. ``significant`` is True when the interval excludes 0, i.e. the
    change is larger than its noise at the given confidence.

    Returns
    -------
    dict with ``p1, p2, diff, ci_low, ci_high, z, p_value, significant, small_sample``.

    Examples
    --------
    Week-4 retention of 120/400 activated users vs 45/300 others:

    >>> r = diff_proportions(120, 400, 45, 300)
    >>> round(r["diff"], 3), round(r["ci_low"], 3), round(r["ci_high"], 3), r["significant"]
    (0.15, 0.088, 0.209, True)
    """
    if min(n1, n2) <= 0:
        nan = float("nan")
        return dict(p1=nan, p2=nan, diff=nan, ci_low=nan, ci_high=nan, z=nan, p_value=nan,
                    significant=False, small_sample=True)
    p1, p2 = s1 / n1, s2 / n2
    l1, u1 = wilson_interval(s1, n1, confidence)
    l2, u2 = wilson_interval(s2, n2, confidence)
    diff = p1 - p2
    ci_low = diff - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    ci_high = diff + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    pooled = (s1 + s2) / (n1 + n2)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = diff / se if se > 0 else 0.0
    p_value = 2 * (1 - NormalDist().cdf(abs(z)))
    return dict(
        p1=float(p1), p2=float(p2), diff=float(diff), ci_low=float(ci_low), ci_high=float(ci_high),
        z=float(z), p_value=float(p_value), significant=bool(ci_low > 0 or ci_high < 0),
        small_sample=bool(small_sample(s1, n1) or small_sample(s2, n2)),
    )


def change_beyond_noise(value, ci_low, ci_high, previous, previous_low, previous_high) -> bool | None:
    """Whether a KPI moved by more than its noise between two runs, from the two values and their 95%
    intervals alone: the interval of the difference is built from the two (MOVER, Zou and Donner 2008,
    the same construction as :func:`diff_proportions`' Newcombe interval), and the move counts when it
    excludes 0. None when either value or interval is missing: without an interval there is no noise to
    compare with. Two runs whose windows overlap share data, so the test is then conservative.

    >>> change_beyond_noise(0.30, 0.28, 0.32, 0.25, 0.23, 0.27), change_beyond_noise(0.26, 0.23, 0.29, 0.25, 0.22, 0.28)
    (True, False)
    """
    values = (value, ci_low, ci_high, previous, previous_low, previous_high)
    if any(v is None or v != v for v in values):
        return None
    diff = value - previous
    low = diff - np.sqrt((value - ci_low) ** 2 + (previous_high - previous) ** 2)
    high = diff + np.sqrt((ci_high - value) ** 2 + (previous - previous_low) ** 2)
    return bool(low > 0 or high < 0)


def nps_interval(promoters, detractors, n, confidence: float = 0.95):
    """NPS in points with its interval.

    NPS = 100·(promoters - detractors)/n. Its variance is that of a difference of two proportions from
    one multinomial sample: Var = (p_P + p_D - (p_P - p_D)²)/n, so the interval is
    NPS ± z·100·sqrt(Var). Returns ``(nps, low, high)``, clipped to [-100, 100].

    >>> nps, low, high = nps_interval(50, 20, 100)
    >>> nps, round(low, 1), round(high, 1)
    (30.0, 14.7, 45.3)
    """
    if n <= 0:
        return float("nan"), float("nan"), float("nan")
    pp, pd_ = promoters / n, detractors / n
    score = pp - pd_
    se = np.sqrt(max(pp + pd_ - score**2, 0.0) / n)
    z = z_value(confidence)
    return (float(100 * score), float(max(-100.0, 100 * (score - z * se))),
            float(min(100.0, 100 * (score + z * se))))


def add_wilson(frame: pd.DataFrame, successes: str, n: str, rate: str = "rate",
               confidence: float = 0.95) -> pd.DataFrame:
    """Return ``frame`` with ``rate``, ``ci_low`` and ``ci_high`` columns from two count columns.

    >>> add_wilson(pd.DataFrame({"k": [35], "n": [50]}), "k", "n").round(4).to_dict("records")
    [{'k': 35, 'n': 50, 'rate': 0.7, 'ci_low': 0.5625, 'ci_high': 0.8091}]
    """
    out = frame.copy()
    s = out[successes].to_numpy(dtype="float64")
    m = out[n].to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        out[rate] = np.where(m > 0, s / m, np.nan)
    out["ci_low"], out["ci_high"] = wilson_interval(s, m, confidence)
    return out
