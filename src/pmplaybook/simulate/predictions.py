"""The AI assistant's prediction log: one row per call of the suggestion model.

Drawn after the run is final, from its own generator (``default_rng([seed, 16])``) and the finished event
arrays, so the event log, surveys and spend are exactly what they were without it. Every
``ai_suggestion_shown`` event is a call with ``score >= 0.5`` (shown); a geometric number of calls that
scored below 0.5 (hidden) come a few seconds to minutes before it in the same session. The outcome of a
shown call comes from its ``ai_suggestion_accepted`` / ``ai_suggestion_edited`` event (linked by the
simulator's (session, suggestion number), not by time), otherwise rejected / overridden / ignored.

Planted: ``assist-2`` (from Monday 2025-10-06) is faster and cheaper but less precise for German users;
30% of calls are reviewed and labels arrive days later, so the last weeks have few labels; mobile 5.2
(2025-11-17) brings dictated prompts, 2.75 times longer (input drift).
"""

from __future__ import annotations

import numpy as np

from .constants import (
    AI_DE_TRUE_FACTOR,
    AI_DICTATED_FACTOR,
    AI_DICTATED_P,
    AI_DRIFT_VERSION,
    AI_HIDDEN_P,
    AI_HIDDEN_TRUE_P,
    AI_INPUT_MEDIAN,
    AI_INPUT_SIGMA,
    AI_LABEL_MAX_DAYS,
    AI_LABEL_MEDIAN_DAYS,
    AI_LABEL_SIGMA,
    AI_LATENCY_MEDIAN_MS,
    AI_LATENCY_SIGMA,
    AI_MODEL_FROM,
    AI_OUTPUT_MEDIAN,
    AI_OUTPUT_SIGMA,
    AI_PRICE_IN,
    AI_PRICE_OUT,
    AI_REST_P,
    AI_REVIEW_P,
    AI_SLOW_P,
    AI_THRESHOLD,
    AI_TRUE_P,
    COUNTRIES,
    DAY,
    E,
    V,
)
from .draws import _cat, _lognormal, _repeat, _within

#: Stream number of the prediction log's generator: ``default_rng([seed, 16])``.
STREAM = 16
_LINK = 64          # link key of an AI row: session * 64 + suggestion number in the session


def _truncated_beta(rng, a, b, lo, hi, size):
    """``size`` draws of Beta(a, b) kept inside [lo, hi) (rejection; a fixed sequence of draws)."""
    out = np.empty(size)
    todo = np.arange(size)
    for _ in range(200):
        if not len(todo):
            break
        x = rng.beta(a, b, len(todo))
        ok = (x >= lo) & (x < hi)
        out[todo[ok]] = x[ok]
        todo = todo[~ok]
    out[todo] = (lo + hi) / 2
    return out


def _predictions(sim) -> dict:
    """The prediction log of a finished run as arrays in row order (cached on ``sim.pred``).

    Keys: ``t``, ``user``, ``model`` (0/1), ``score``, ``predicted``, ``actual`` (0/1, -1 unknown),
    ``labelled_t`` (-1 unknown), ``outcome`` (index in AI_OUTCOMES, -1 hidden), ``latency_ms``,
    ``input_tokens``, ``output_tokens``, ``cost``, ``dictated``, ``platform``, ``plan``, ``version``,
    ``truth_actual`` (the latent label of every call).
    """
    if getattr(sim, "pred", None) is not None:
        return sim.pred
    rng = np.random.default_rng([sim.seed, STREAM])
    ev = sim.ev
    code = ev["code"]
    shown = np.nonzero(code == E["ai_suggestion_shown"])[0]
    n_s = len(shown)
    # Outcome of each shown row: its accepted / edited row, linked by (session, suggestion number).
    skey = ev["sess"][shown] * _LINK + ev["ai"][shown]
    so = np.argsort(skey, kind="stable")
    outcome = np.full(n_s, -1, np.int64)
    for k, name in enumerate(("ai_suggestion_accepted", "ai_suggestion_edited")):
        rows = np.nonzero(code == E[name])[0]
        okey = ev["sess"][rows] * _LINK + ev["ai"][rows]
        pos = so[np.searchsorted(skey[so], okey)]
        assert (skey[pos] == okey).all() and (outcome[pos] == -1).all(), "unlinked AI outcome"
        outcome[pos] = k
    rest = outcome < 0
    outcome[rest] = 2 + _cat(rng, AI_REST_P, int(rest.sum()))

    # Hidden calls before each shown one, inside the same session.
    n_hid = rng.geometric(AI_HIDDEN_P, n_s) - 1
    owner = _repeat(n_s, n_hid)                      # shown row (0..n_s-1) of each hidden call
    j = _within(n_hid)                               # 0 = the one just before the shown call
    gap = 3 + np.floor(_lognormal(rng, 40.0, 1.0, len(owner))).astype(np.int64)
    # Seconds from the shown call back to hidden call j: the sum of its group's gaps 0..j.
    csum = np.concatenate([[0], np.cumsum(gap)])
    back = csum[1:] - np.repeat(csum[np.cumsum(n_hid) - n_hid], n_hid)
    t_shown = ev["t"][shown].astype(np.int64)
    sess_start = np.zeros(int(ev["sess"].max()) + 1 if len(ev["sess"]) else 1, np.int64)
    ss = code == E["session_start"]
    sess_start[ev["sess"][ss]] = ev["t"][ss]
    s0 = sess_start[ev["sess"][shown]]
    th = t_shown[owner] - back
    squeeze = th < s0[owner]
    room = (t_shown - s0)[owner]
    th = np.where(squeeze, s0[owner] + np.floor(rng.random(len(owner)) * room).astype(np.int64), th)

    # All calls: each group is its hidden calls (earliest first) then the shown call.
    n_all = n_s + len(owner)
    grp = np.concatenate([owner, np.arange(n_s)])
    is_shown = np.concatenate([np.zeros(len(owner), bool), np.ones(n_s, bool)])
    within = np.concatenate([-j, np.ones(n_s, np.int64)])
    t = np.concatenate([th, t_shown])
    row = shown[grp]
    user = ev["user"][row].astype(np.int64)
    order = np.lexsort((within, grp, user, t))
    grp, is_shown, t, row, user = grp[order], is_shown[order], t[order], row[order], user[order]
    out = np.where(is_shown, outcome[grp], -1)

    model = (t >= AI_MODEL_FROM[1] * DAY).astype(np.int64)
    country = sim.users.country[user]
    de2 = (country == COUNTRIES.index("DE")) & (model == 1)
    p_true = np.where(is_shown, np.array(AI_TRUE_P)[np.maximum(out, 0)], AI_HIDDEN_TRUE_P)
    p_true = np.where(is_shown & de2, p_true * AI_DE_TRUE_FACTOR, p_true)
    truth_actual = rng.random(n_all) < p_true
    # Scores: class-conditional Beta, truncated to the side of the threshold the call fell on.
    score = np.empty(n_all)
    for sh, lab, (a, b) in ((True, True, (6, 2)), (True, False, (3, 3)),
                            (False, True, (6, 2)), (False, False, (2, 5))):
        m = np.nonzero((is_shown == sh) & (truth_actual == lab))[0]
        lo, hi = (AI_THRESHOLD, 1.0 + 1e-9) if sh else (0.0, AI_THRESHOLD)
        score[m] = _truncated_beta(rng, a, b, lo, hi, len(m))
    score = np.round(score, 3)
    score = np.where(is_shown, np.clip(score, AI_THRESHOLD, 1.0), np.minimum(score, AI_THRESHOLD - 0.001))

    # Reviews: a random 30%; the label arrives after a log-normal delay, unknown if after the end.
    reviewed = rng.random(n_all) < AI_REVIEW_P
    delay = np.minimum(_lognormal(rng, AI_LABEL_MEDIAN_DAYS * DAY, AI_LABEL_SIGMA, n_all),
                       AI_LABEL_MAX_DAYS * DAY).astype(np.int64)
    lab_t = t + np.maximum(delay, 60)
    known = reviewed & (lab_t < sim.end_t)
    actual = np.where(known, truth_actual.astype(np.int64), -1)
    labelled_t = np.where(known, lab_t, -1)

    # Latency, tokens, cost.
    med = np.array(AI_LATENCY_MEDIAN_MS)[model]
    lat = _lognormal(rng, med, AI_LATENCY_SIGMA, n_all)
    slow = rng.random(n_all) < AI_SLOW_P
    lat = np.where(slow, lat * (4 + 4 * rng.random(n_all)), lat)
    lat = np.maximum(np.round(lat, 1), 1.0)
    platform = ev["platform"][row].astype(np.int64)
    version = ev["version"][row].astype(np.int64)
    mobile_new = (platform > 0) & (version >= V[AI_DRIFT_VERSION])
    dictated = mobile_new & (rng.random(n_all) < AI_DICTATED_P)
    tok_in = _lognormal(rng, AI_INPUT_MEDIAN, AI_INPUT_SIGMA, n_all) * np.where(dictated, AI_DICTATED_FACTOR, 1.0)
    tok_in = np.maximum(np.round(tok_in), 20).astype(np.int64)
    tok_out = np.maximum(np.round(_lognormal(rng, AI_OUTPUT_MEDIAN, AI_OUTPUT_SIGMA, n_all)), 5).astype(np.int64)
    cost = np.round((tok_in * np.array(AI_PRICE_IN)[model] + tok_out * np.array(AI_PRICE_OUT)[model]) / 1e6, 6)

    sim.pred = dict(t=t, user=user, model=model, score=score, predicted=score >= AI_THRESHOLD, actual=actual,
                    labelled_t=labelled_t, outcome=out, latency_ms=lat, input_tokens=tok_in,
                    output_tokens=tok_out, cost=cost, dictated=dictated, platform=platform,
                    plan=ev["plan"][row].astype(np.int64), version=version, truth_actual=truth_actual)
    assert (sim.pred["predicted"] == is_shown).all()
    return sim.pred
