"""The ground truth: the figures each planted finding realised in the generated data.

:class:`_Truth` reads a finished :class:`~.sim._Sim` and computes, with plain numpy on its arrays (no
pmplaybook metric code), what ``truth.json`` reports for every planted finding. ``data/README.md``
defines each figure; ``tests/test_simulate.py`` recomputes them from the Parquet files with pandas.
"""

from __future__ import annotations

import math

import numpy as np

from .constants import (
    AI_DE_TRUE_FACTOR,
    AI_DICTATED_FACTOR,
    AI_DICTATED_P,
    AI_DRIFT_VERSION,
    AI_HIDDEN_TRUE_P,
    AI_LABEL_MAX_DAYS,
    AI_LABEL_MEDIAN_DAYS,
    AI_LATENCY_MEDIAN_MS,
    AI_MODEL_FROM,
    AI_MODELS,
    AI_OUTCOMES,
    AI_PRICE_IN,
    AI_PRICE_OUT,
    AI_PSI_CURRENT,
    AI_PSI_REFERENCE,
    AI_REVIEW_P,
    AI_THRESHOLD,
    AI_TRUE_P,
    CHANNELS,
    COUNTRIES,
    DAY,
    PAID_CHANNELS,
    PLAN_PRICES,
    PLANS,
    PLATFORMS,
    RELEASES,
    WEEK,
    WORKFLOWS,
    C,
    E,
    P,
)
from .predictions import _predictions
from .sim import _Sim


def _r(x, nd=6):
    """Round for JSON (None for NaN / missing)."""
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else round(x, nd)


def _rate(num, den):
    return _r(num / den) if den else None


def _ratio(a, b):
    """a / b, or None when either is missing or b is 0."""
    if a is None or b is None or not np.isfinite(a) or not np.isfinite(b) or b == 0:
        return None
    return _r(a / b)


def _diff(a, b):
    """a - b, or None when either is missing."""
    return None if a is None or b is None else _r(a - b)


def _mean(x):
    return float(x.mean()) if len(x) else float("nan")


def _corr(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(a) < 3 or a.std() == 0 or b.std() == 0:
        return None
    return _r(np.corrcoef(a, b)[0, 1])


class _Truth:
    """Realised figures, computed from the final event arrays with plain numpy.

    Conventions (also in data/README.md): times are UTC; a user's sign-up time is their ``signup`` event;
    an *active* event is any event other than ``signup``; user u is *active in week k* when they have an
    active event at a time t with 7k <= (t - signup) / 1 day < 7k + 7 (rolling weeks from sign-up);
    week k of a user is *complete* when signup + 7(k+1) days <= the end of the data.
    """

    MAX_WEEK = 53

    def __init__(self, sim: _Sim):
        self.sim = sim
        ev = sim.ev
        self.u, self.t, self.code = ev["user"], ev["t"], ev["code"]
        self.users = sim.users
        self.n = len(sim.users)
        self.signup = sim.users.signup_t
        self.end = sim.end_t
        active = self.code != E["signup"]
        rel = self.t[active] - self.signup[self.u[active]]
        k = rel // WEEK
        ok = (k >= 0) & (k <= self.MAX_WEEK)
        self.act_week = np.zeros((self.n, self.MAX_WEEK + 1), bool)
        self.act_week[self.u[active][ok], k[ok]] = True
        su = self.u[self.code == E["signup"]]
        self.signup_platform = np.empty(self.n, np.int64)
        self.signup_platform[su] = sim.ev["platform"][self.code == E["signup"]]

    def complete(self, k):
        return self.signup + (k + 1) * WEEK <= self.end

    def count_in_first_days(self, code, days=7):
        m = (self.code == code) & (self.t - self.signup[self.u] < days * DAY)
        return np.bincount(self.u[m], minlength=self.n)

    def date(self, day):
        return self.sim.date_of(day)

    # ------------------------------------------------------------------ findings
    # One method per planted finding; :meth:`build` puts them under their ``truth.json`` keys.

    def magic_number(self):
        inv = self.count_in_first_days(E["invite_sent"])
        elig = self.complete(8)
        ret = self.act_week[:, 8]
        rows = []
        n_ret, n_churn = int(ret[elig].sum()), int((elig & ~ret).sum())
        for th in range(1, 7):
            above = elig & (inv >= th)
            below = elig & (inv < th)
            ra, rb = _mean(ret[above]), _mean(ret[below])
            r_above = int(ret[above].sum())
            tpr = r_above / n_ret if n_ret else np.nan
            fpr = (int(above.sum()) - r_above) / n_churn if n_churn else np.nan
            rows.append({"threshold": th, "users_at_or_above": int(above.sum()), "users_below": int(below.sum()),
                         "retained_at_or_above": r_above, "retained_below": int(ret[below].sum()),
                         "rate_at_or_above": _r(ra), "rate_below": _r(rb), "difference": _r(ra - rb),
                         "youden_j": _r(tpr - fpr)})

        def best_by(field):
            return max(rows, key=lambda r: -1 if r[field] is None else r[field])["threshold"]

        th = P.magic_threshold
        row = rows[th - 1]
        return {
            "event": "invite_sent", "threshold": th, "within_days": 7, "retention_week": 8,
            "eligible_users": int(elig.sum()),
            "share_at_or_above": _rate(row["users_at_or_above"], int(elig.sum())),
            "week8_retention_at_or_above": row["rate_at_or_above"],
            "week8_retention_below": row["rate_below"],
            "best_threshold_by_difference": best_by("difference"),
            "best_threshold_by_youden_j": best_by("youden_j"),
            "by_threshold": rows,
        }

    def activated_plateau(self):
        tc = self.count_in_first_days(E["task_completed"])
        act = tc >= P.activation_tasks
        elig7 = self.complete(0)
        curves = {"activated": [], "not_activated": []}
        pooled = {"activated": [0, 0], "not_activated": [0, 0]}
        for k in range(0, 21):
            c = self.complete(k)
            for name, grp in (("activated", act), ("not_activated", ~act)):
                m = c & grp
                n, r = int(m.sum()), int(self.act_week[m, k].sum())
                curves[name].append({"week": k, "users": n, "retained": r, "rate": _rate(r, n)})
                if 6 <= k <= 12:
                    pooled[name][0] += r
                    pooled[name][1] += n
        return {
            "event": "task_completed", "at_least": P.activation_tasks, "within_days": 7,
            "activation_rate": _rate(int((act & elig7).sum()), int(elig7.sum())),
            "activated_users": int((act & elig7).sum()), "signups": int(elig7.sum()),
            "plateau_weeks": [6, 12],
            "plateau_activated": _rate(*pooled["activated"]),
            "plateau_not_activated": _rate(*pooled["not_activated"]),
            "curve": curves,
        }

    def _calendar_week_of(self, t):
        """Monday-start calendar week index (0 = the week holding the start date)."""
        return (t // DAY + self.sim.start_weekday) // 7

    def campaign_cohort(self):
        sim = self.sim
        cd = sim.campaign_day
        if cd < 28 or cd + 7 + 28 + 35 > sim.days:
            return {"planted": False}
        w = self._calendar_week_of(self.signup)
        cw = (cd + sim.start_weekday) // 7
        size = np.bincount(w, minlength=max(int(w.max()) + 1, cw + 5))
        neigh_weeks = [cw + i for i in (-4, -3, -2, -1, 1, 2, 3, 4)]
        coh = w == cw
        neigh = np.isin(w, neigh_weeks)
        r4 = self.act_week[:, 4]
        ch = self.users.channel
        return {
            "channel": "email_campaign", "week_start": self.date(cd), "blast_date": self.date(cd + 1),
            "cohort_signups": int(coh.sum()),
            "cohort_from_channel": int((coh & (ch == C["email_campaign"])).sum()),
            "neighbour_weeks": [self.date(cd + 7 * i) for i in (-4, -3, -2, -1, 1, 2, 3, 4)],
            "neighbour_mean_signups": _r(size[neigh_weeks].mean()),
            "size_ratio": _ratio(coh.sum(), size[neigh_weeks].mean()),
            "week4_retention_cohort": _rate(int(r4[coh].sum()), int(coh.sum())),
            "week4_retention_neighbours": _rate(int(r4[neigh].sum()), int(neigh.sum())),
            "retention_ratio": _ratio(_mean(r4[coh]), _mean(r4[neigh])),
        }

    def release_collapse(self):
        R = P.android_release * DAY
        if R + 91 * DAY > self.end:
            return {"planted": False}
        before = (self.signup >= R - 91 * DAY) & (self.signup < R - 35 * DAY)
        after = (self.signup >= R) & (self.signup < R + 56 * DAY)
        r4 = self.act_week[:, 4]
        out = {"segment_column": "platform", "segment_value": "android", "version": "5.0",
               "release_date": self.date(P.android_release),
               "before_signups": [self.date(P.android_release - 91), self.date(P.android_release - 35)],
               "after_signups": [self.date(P.android_release), self.date(P.android_release + 56)],
               "week4_retention": {}}
        for code, name in enumerate(PLATFORMS):
            seg = self.signup_platform == code
            b, a = seg & before, seg & after
            out["week4_retention"][name] = {"before": _rate(int(r4[b].sum()), int(b.sum())),
                                            "after": _rate(int(r4[a].sum()), int(a.sum())),
                                            "users_before": int(b.sum()), "users_after": int(a.sum())}
        wr = out["week4_retention"]["android"]
        out["android_after_over_before"] = _ratio(wr["after"], wr["before"])
        return out

    def task_success_release(self):
        sim = self.sim
        R = P.web_release * DAY
        ev = sim.ev
        wf = ev["wf"]
        m_start = self.code == E["workflow_started"]
        m_out = (self.code == E["workflow_completed"]) | (self.code == E["workflow_failed"])
        n_wf = len(WORKFLOWS)
        key_s = ev["sess"][m_start] * n_wf + wf[m_start]
        key_o = ev["sess"][m_out] * n_wf + wf[m_out]
        o = np.argsort(key_o)
        pos = np.searchsorted(key_o[o], key_s)
        pos = np.minimum(pos, max(len(o) - 1, 0))
        has = (len(o) > 0) & (key_o[o][pos] == key_s)
        out_code = np.where(has, self.code[m_out][o][pos], -1)
        out_t = np.where(has, self.t[m_out][o][pos], -1)
        st_t = self.t[m_start]
        st_wf = wf[m_start]
        web = ev["platform"][m_start] == 0
        after = st_t >= R

        def summary(mask):
            n = int(mask.sum())
            failed = int((mask & (out_code == E["workflow_failed"])).sum())
            done = mask & (out_code == E["workflow_completed"])
            secs = (out_t - st_t)[done]
            return {"started": n, "failed": failed, "completed": int(done.sum()), "failure_rate": _rate(failed, n),
                    "median_seconds_to_complete": _r(np.median(secs)) if len(secs) else None}

        per = {}
        for w, name in enumerate(WORKFLOWS):
            per[name] = {"web_before": summary((st_wf == w) & web & ~after),
                         "web_after": summary((st_wf == w) & web & after),
                         "other_platforms_before": summary((st_wf == w) & ~web & ~after),
                         "other_platforms_after": summary((st_wf == w) & ~web & after)}
        imp = per["import_tasks"]
        return {"workflow": "import_tasks", "platform": "web", "version": "5.1",
                "release_date": self.date(P.web_release),
                "failure_rate_before": imp["web_before"]["failure_rate"],
                "failure_rate_after": imp["web_after"]["failure_rate"],
                "median_seconds_before": imp["web_before"]["median_seconds_to_complete"],
                "median_seconds_after": imp["web_after"]["median_seconds_to_complete"],
                "by_workflow": per}

    def nps_segment(self):
        sv = self.sim.surveys
        m = sv["survey"] == 0
        score, plan = sv["score"][m], sv["plan"][m]

        def nps(mask):
            n = int(mask.sum())
            pro, det = int((mask & (score >= 9)).sum()), int((mask & (score <= 6)).sum())
            return {"responses": n, "promoters": pro, "detractors": det,
                    "nps": _r(100.0 * (pro - det) / n) if n else None}

        seg = plan == 0
        return {"survey": "nps", "segment_column": "plan", "segment_value": "free",
                "overall": nps(np.ones(len(score), bool)), "segment": nps(seg), "rest": nps(~seg),
                "by_plan": {name: nps(plan == i) for i, name in enumerate(PLANS)}}

    def ai_assistant(self):
        sim = self.sim
        L = P.ai_launch
        if L + 14 > sim.days:
            return {"launch_date": self.date(L), "planted": False}
        active = self.code != E["signup"]
        shown = self.code == E["ai_suggestion_shown"]
        wk = self._calendar_week_of(self.t)
        first_week = (L + sim.start_weekday + 6) // 7           # first full Monday week after launch
        last_week = (sim.days + sim.start_weekday) // 7 - 1     # last full week inside the data
        nw = last_week + 1
        act_pairs = np.unique(wk[active] * self.n + self.u[active])
        ai_pairs = np.unique(wk[shown] * self.n + self.u[shown])
        wau = np.bincount(act_pairs // self.n, minlength=nw)
        ai = np.bincount(ai_pairs // self.n, minlength=nw)
        weeks = []
        for w in range(first_week, last_week + 1):
            monday = w * 7 - sim.start_weekday
            weeks.append({"week_start": self.date(monday), "weekly_active_users": int(wau[w]),
                          "ai_users": int(ai[w]), "adoption": _rate(int(ai[w]), int(wau[w]))})
        n_shown = int(shown.sum())
        acc = int((self.code == E["ai_suggestion_accepted"]).sum())
        edi = int((self.code == E["ai_suggestion_edited"]).sum())
        ai_codes = np.isin(self.code, [E["ai_suggestion_shown"], E["ai_suggestion_accepted"],
                                       E["ai_suggestion_edited"]])
        first_ai = int(self.t[ai_codes].min()) if ai_codes.any() else None
        return {"launch_date": self.date(L), "version": "4.12",
                "first_ai_event": None if first_ai is None else str(
                    sim.start.astype("datetime64[s]") + np.timedelta64(first_ai, "s")) + "Z",
                "suggestions_shown": n_shown, "accepted": acc, "edited": edi,
                "acceptance_rate": _rate(acc, n_shown), "edited_rate": _rate(edi, n_shown),
                "adoption_first_week": weeks[0]["adoption"], "adoption_last_week": weeks[-1]["adoption"],
                "weekly_adoption": weeks}

    def ai(self):
        """The prediction log (``predictions.parquet``): coverage, quality over known labels, the model
        versions, late labels, cost and the input drift."""
        sim = self.sim
        p = _predictions(sim)
        n = len(p["t"])
        planted = {
            "launch_date": self.date(P.ai_launch), "threshold": AI_THRESHOLD,
            "models": {name: {"from_date": self.date(AI_MODEL_FROM[i]), "latency_median_ms": AI_LATENCY_MEDIAN_MS[i],
                              "price_input_per_million": AI_PRICE_IN[i], "price_output_per_million": AI_PRICE_OUT[i]}
                       for i, name in enumerate(AI_MODELS)},
            "rollout_date": self.date(AI_MODEL_FROM[1]), "drift_date": self.date(min(
                off for plat in ("ios", "android") for off, v in RELEASES[plat] if v == AI_DRIFT_VERSION)),
            "drift_segment": {"platform": ["ios", "android"], "app_version_from": AI_DRIFT_VERSION,
                              "dictated_share": AI_DICTATED_P, "dictated_length_factor": AI_DICTATED_FACTOR},
            "p_true_by_outcome": dict(zip(AI_OUTCOMES, AI_TRUE_P)), "p_true_hidden": AI_HIDDEN_TRUE_P,
            "de_assist2_true_factor": AI_DE_TRUE_FACTOR, "review_share": AI_REVIEW_P,
            "label_delay_median_days": AI_LABEL_MEDIAN_DAYS, "label_delay_max_days": AI_LABEL_MAX_DAYS,
        }
        if n == 0:
            return {**planted, "planted": False, "rows": 0}
        shown = p["predicted"]
        n_shown = int(shown.sum())
        out = p["outcome"]
        counts = {name: int((out == i).sum()) for i, name in enumerate(AI_OUTCOMES)}
        known = p["actual"] >= 0
        pos = p["actual"] == 1
        month = (sim.start.astype("datetime64[s]") + p["t"].astype("timedelta64[s]")).astype("datetime64[M]")
        months = np.unique(month)
        by_month = {str(m): {"calls": int((month == m).sum()), "labelled": int((known & (month == m)).sum()),
                             "share": _rate(int((known & (month == m)).sum()), int((month == m).sum()))}
                    for m in months}

        def quality(mask, th=AI_THRESHOLD):
            m = mask & known
            pred = p["score"] >= th
            tp, fp = int((m & pred & pos).sum()), int((m & pred & ~pos).sum())
            fn, tn = int((m & ~pred & pos).sum()), int((m & ~pred & ~pos).sum())
            prec, rec = _rate(tp, tp + fp), _rate(tp, tp + fn)
            f1 = _rate(2 * tp, 2 * tp + fp + fn)
            return {"labelled": tp + fp + fn + tn, "tp": tp, "fp": fp, "fn": fn, "tn": tn, "precision": prec,
                    "recall": rec, "f1": f1}

        every = np.ones(n, bool)
        de = sim.users.country[p["user"]] == COUNTRIES.index("DE")
        by_model = {name: quality(p["model"] == i) for i, name in enumerate(AI_MODELS)}
        by_country = {name: {"DE": quality((p["model"] == i) & de), "other": quality((p["model"] == i) & ~de)}
                      for i, name in enumerate(AI_MODELS)}
        lat = {name: {f"p{q}": _r(np.percentile(p["latency_ms"][p["model"] == i], q), 3) for q in (50, 90, 99)}
               if (p["model"] == i).any() else None for i, name in enumerate(AI_MODELS)}
        cost = {}
        for i, name in enumerate(AI_MODELS):
            m = p["model"] == i
            cost[name] = {"calls": int(m.sum()), "cost": _r(p["cost"][m].sum()),
                          "cost_per_1000_calls": _rate(1000 * p["cost"][m].sum(), int(m.sum()))}
        b2 = by_country[AI_MODELS[1]]
        b1 = by_country[AI_MODELS[0]]
        return {
            **planted,
            "rows": n, "shown": n_shown, "hidden": n - n_shown, "coverage": _rate(n_shown, n),
            "outcomes": counts,
            "acceptance_rate": _rate(counts["accepted"], n_shown), "edit_rate": _rate(counts["edited"], n_shown),
            "override_rate": _rate(counts["overridden"], n_shown), "reject_rate": _rate(counts["rejected"], n_shown),
            "ignore_rate": _rate(counts["ignored"], n_shown),
            "labelled": int(known.sum()), "labelled_by_month": by_month,
            "quality_at_threshold": {"all": quality(every), **by_model},
            "precision_by_threshold": {f"{th:.1f}": quality(every, th)["precision"]
                                       for th in (0.5, 0.6, 0.7, 0.8, 0.9)},
            "precision_by_model_country": {m: {g: r["precision"] for g, r in v.items()}
                                           for m, v in by_country.items()},
            "quality_by_model_country": by_country,
            "de_precision_drop": _diff(b1["DE"]["precision"], b2["DE"]["precision"]),
            "other_precision_change": _diff(b2["other"]["precision"], b1["other"]["precision"]),
            "latency_ms": lat, "cost_by_model": cost, "total_cost": _r(p["cost"].sum()),
            "cost_per_accepted": _rate(p["cost"].sum(), counts["accepted"]),
            "input_drift": self._psi(p),
        }

    def _psi(self, p):
        """PSI of input_tokens, December against the 4 complete weeks before the mobile 5.2 release."""
        sim = self.sim
        (r0, r1), (c0, c1) = AI_PSI_REFERENCE, AI_PSI_CURRENT
        ref = (p["t"] >= r0 * DAY) & (p["t"] < r1 * DAY)
        cur = (p["t"] >= c0 * DAY) & (p["t"] < min(c1, sim.days) * DAY)
        mobile = p["platform"] > 0
        result = {"reference": [self.date(r0), self.date(r1)], "current": [self.date(c0), self.date(c1)],
                  "bins": "10 bins cut at the deciles of the reference (numpy quantile, linear); bin of x = number "
                          "of cuts <= x; shares floored at 0.0001"}
        for name, seg in (("mobile", mobile), ("all", np.ones(len(mobile), bool))):
            x_ref, x_cur = p["input_tokens"][ref & seg], p["input_tokens"][cur & seg]
            if not len(x_ref) or not len(x_cur):
                result[name] = None
                continue
            edges = np.quantile(x_ref, np.arange(1, 10) / 10)
            e = np.maximum(np.bincount(np.searchsorted(edges, x_ref, side="right"), minlength=10) / len(x_ref), 1e-4)
            a = np.maximum(np.bincount(np.searchsorted(edges, x_cur, side="right"), minlength=10) / len(x_cur), 1e-4)
            result[name] = {"psi": _r(((a - e) * np.log(a / e)).sum()), "edges": [_r(v) for v in edges],
                            "reference_calls": int(len(x_ref)), "current_calls": int(len(x_cur)),
                            "current_dictated_share": _rate(int(p["dictated"][cur & seg].sum()), int(len(x_cur)))}
        return result

    def holiday_spike(self):
        sim = self.sim
        d0, nd = sim.spike_day, P.spike_days
        if sim.spike is None:
            return {"planted": False}
        active = self.code != E["signup"]
        day = self.t // DAY
        pairs = np.unique(day[active] * self.n + self.u[active])
        dau = np.bincount(pairs // self.n, minlength=sim.days)
        base_days = np.arange(d0 - 28, d0)
        base_days = base_days[sim.day_wd[base_days] < 5]
        baseline = float(np.median(dau[base_days]))
        spike_days = np.arange(d0, d0 + nd)
        spike_dau = float(dau[spike_days].mean())
        t0 = d0 * DAY
        recent = np.zeros(self.n, bool)
        m = active & (self.t >= t0 - 28 * DAY) & (self.t < t0)
        recent[self.u[m]] = True
        in_spike = np.zeros(self.n, bool)
        m = active & (self.t >= t0) & (self.t < t0 + nd * DAY)
        in_spike[self.u[m]] = True
        dormant = in_spike & ~recent & (self.signup < t0 - 28 * DAY)
        # Week-1 retention of the weekly sign-up cohorts around the spike.
        cw = self._calendar_week_of(self.signup)
        spike_w = (d0 + sim.start_weekday) // 7
        cohorts = []
        for w in range(spike_w - 5, spike_w + 2):
            mm = (cw == w) & self.complete(1)
            n = int(mm.sum())
            cohorts.append({"week_start": self.date(w * 7 - sim.start_weekday), "users": n,
                            "week1_retention": _rate(int(self.act_week[mm, 1].sum()), n)})
        rates = [c["week1_retention"] for c in cohorts if c["week1_retention"] is not None]

        def pooled(weeks):
            mm = np.isin(cw, weeks) & self.complete(1)
            return _rate(int(self.act_week[mm, 1].sum()), int(mm.sum()))
        return {"start_date": self.date(d0), "end_date": self.date(d0 + nd - 1), "days": nd,
                "reason": "year-end promotion e-mail to all users",
                "baseline_dau": _r(baseline), "spike_mean_dau": _r(spike_dau),
                "spike_dau": [int(x) for x in dau[spike_days]], "lift": _ratio(spike_dau - baseline, baseline),
                "spike_active_users": int(in_spike.sum()), "spike_dormant_returners": int(dormant.sum()),
                "dormant_share": _rate(int(dormant.sum()), int(in_spike.sum())),
                "cohort_week1_retention": cohorts,
                "week1_retention_before": pooled([spike_w - 5, spike_w - 4, spike_w - 3, spike_w - 2]),
                "week1_retention_around": pooled([spike_w - 1, spike_w, spike_w + 1]),
                "cohort_week1_spread": _r(max(rates) - min(rates)) if rates else None}

    def unit_economics(self):
        sim = self.sim
        users = self.users
        owner_channel = users.channel[sim.owner]
        acc_of = users.account[self.u]
        pay = self.code == E["payment"]
        cancel = self.code == E["subscription_cancelled"]
        payers = np.zeros(len(sim.owner), bool)
        payers[acc_of[pay]] = True
        rev = sim.ev["revenue"]
        rows = {}
        for ch in CHANNELS:
            c = C[ch]
            acc_c = owner_channel == c
            customers = int((payers & acc_c).sum())
            m_pay = pay & (owner_channel[acc_of] == c)
            n_pay = int(m_pay.sum())
            n_cancel = int((cancel & (owner_channel[acc_of] == c)).sum())
            spend = float(np.round(sim.spend[ch].sum(), 2)) if ch in sim.spend else 0.0
            arpa = _mean(rev[m_pay])
            churn = n_cancel / n_pay if n_pay else np.nan
            ltv = arpa * 0.8 / churn if n_pay and n_cancel else np.nan
            cac = spend / customers if spend > 0 and customers else np.nan
            rows[ch] = {"paid": spend > 0, "spend": _r(spend, 2), "new_customers": customers,
                        "payments": n_pay, "cancellations": n_cancel, "arpa": _r(arpa),
                        "monthly_churn": _r(churn), "ltv": _r(ltv), "cac": _r(cac),
                        "ltv_cac": _ratio(ltv, cac)}
        paid = [ch for ch in PAID_CHANNELS if rows[ch]["cac"] is not None]
        cheapest = min(paid, key=lambda ch: rows[ch]["cac"]) if paid else None
        return {"channel": "paid_social", "cheapest_cac_channel": cheapest, "gross_margin": 0.8,
                "by_channel": rows}

    def vanity_candidate(self):
        sim = self.sim
        first = (sim.start_weekday + 6) // 7 * 7 - sim.start_weekday   # first Monday on/after the start
        wk_first = (first + sim.start_weekday) // 7
        wk_last = (sim.days + sim.start_weekday) // 7 - 1
        weeks = np.arange(wk_first, wk_last + 1)
        nw = wk_last + 1
        signups = np.bincount(self._calendar_week_of(self.signup), minlength=nw + 1)[weeks]
        d = np.arange(sim.days)
        spend_day = sum(sim.spend[ch] for ch in PAID_CHANNELS)
        spend = np.bincount((d + sim.start_weekday) // 7, weights=spend_day, minlength=nw + 1)[weeks]
        tc = self.code == E["task_completed"]
        acc = self.users.account[self.u[tc]]
        wk = self._calendar_week_of(self.t[tc])
        n_acc = len(sim.owner)
        cnt = np.bincount(wk * n_acc + acc, minlength=(nw + 1) * n_acc).reshape(nw + 1, n_acc)
        core = (cnt >= 5).sum(axis=1)[weeks]
        corr = _corr
        cw = (sim.campaign_day + sim.start_weekday) // 7
        keep = weeks != cw
        return {"candidate": "weekly_signups", "driver": "weekly paid spend (all paid channels)",
                "core_metric": "accounts with >= 5 task_completed in the week",
                "weeks": [sim.date_of(w * 7 - sim.start_weekday) for w in weeks],
                "weekly_signups": [int(x) for x in signups], "weekly_spend": [_r(x, 2) for x in spend],
                "weekly_core_accounts": [int(x) for x in core],
                "corr_signups_spend": corr(signups, spend), "corr_core_spend": corr(core, spend),
                "corr_signups_spend_without_campaign_week": corr(signups[keep], spend[keep])}

    def revenue(self):
        sim = self.sim
        pay = self.code == E["payment"]
        month = (sim.start.astype("datetime64[s]") + self.t[pay].astype("timedelta64[s]")).astype("datetime64[M]")
        months, inv = np.unique(month, return_inverse=True)
        rev = np.bincount(inv, weights=sim.ev["revenue"][pay])
        counts = {name: int((self.code == E[name]).sum()) for name in
                  ("subscription_started", "payment", "plan_upgraded", "plan_downgraded", "subscription_cancelled")}
        return {"prices": dict(zip(PLANS, PLAN_PRICES)), "event_counts": counts,
                "total_revenue": _r(sim.ev["revenue"][pay].sum(), 2),
                "monthly_revenue": {str(m): _r(v, 2) for m, v in zip(months, rev)}}

    def build(self) -> dict:
        sim = self.sim
        return {
            "seed": sim.seed, "users": self.n, "accounts": len(sim.owner), "start": str(sim.start),
            "end": sim.date_of(sim.days - 1), "days": sim.days,
            "row_counts": {"events": int(len(self.t)), "surveys": int(len(sim.surveys["t"])),
                           "spend": int(sum((v > 0).sum() for v in sim.spend.values())),
                           "sessions": int(sim.n_sessions), "predictions": int(len(_predictions(sim)["t"]))},
            "definitions": "see data/README.md, section 'Truth: how each figure is computed'",
            "magic_number": self.magic_number(),
            "cheap_cac_channel": self.unit_economics(),
            "holiday_spike": self.holiday_spike(),
            "campaign_cohort": self.campaign_cohort(),
            "release_collapse": self.release_collapse(),
            "vanity_candidate": self.vanity_candidate(),
            "activated_plateau": self.activated_plateau(),
            "task_success_release": self.task_success_release(),
            "nps_segment": self.nps_segment(),
            "ai_assistant": self.ai_assistant(),
            "revenue": self.revenue(),
            "ai": self.ai(),
        }
