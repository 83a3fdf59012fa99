"""In-app surveys: NPS and CSAT asked in later sessions, CES during onboarding.

Scores depend on the account's plan at the time of the answer (free users are the NPS detractors), so
surveys are drawn after billing has fixed the plan timeline.
"""

from __future__ import annotations

import numpy as np

from .constants import CES_W, CSAT_FREE, CSAT_PAID, HOUR, NPS_FREE, NPS_PAID, SURVEYS
from .draws import _cat


class _SurveysMixin:
    """The survey step of :class:`~.sim._Sim`: reads ``rng``, ``n_target``, ``end_t``, the final ``users``
    and ``sess``, and the plan timeline (through ``_plan_at``)."""

    def _surveys(self):
        """In-app surveys: NPS and CSAT in random later sessions, CES in first-week sessions; at most
        one answer per user and survey."""
        rng = self.rng
        s = self.sess
        n_s = len(s["t"])
        users = self.users
        later = (s["week"] >= 1) & (s["t"] < self.end_t - HOUR)
        onboarding = (s["week"] == 0) & ~s["first"] & (s["t"] < self.end_t - HOUR)
        parts = []
        for kind, pool, per_user in (("nps", later, 0.14), ("csat", later, 0.08), ("ces", onboarding, 0.06)):
            p = min(1.0, per_user * self.n_target / max(1, int(pool.sum())))
            hit = np.nonzero(pool & (rng.random(n_s) < p))[0]
            _, first = np.unique(s["user"][hit], return_index=True)
            parts.append((kind, hit[np.sort(first)]))
        out = {"user": [], "t": [], "survey": [], "score": [], "platform": [], "plan": []}
        for kind, hit in parts:
            u = s["user"][hit]
            t = s["t"][hit] + rng.integers(120, 900, len(hit))
            t = np.minimum(t, self.end_t - 1)
            plan = self._plan_at(users.account[u], t)
            n = len(hit)
            if kind == "nps":
                score = np.where(plan == 0, _cat(rng, NPS_FREE, n), _cat(rng, NPS_PAID, n))
            elif kind == "csat":
                score = 1 + np.where(plan == 0, _cat(rng, CSAT_FREE, n), _cat(rng, CSAT_PAID, n))
            else:
                score = 1 + _cat(rng, CES_W, n)
            out["user"].append(u)
            out["t"].append(t)
            out["survey"].append(np.full(n, SURVEYS.index(kind)))
            out["score"].append(score.astype(np.int64))
            out["platform"].append(s["platform"][hit])
            out["plan"].append(plan)
        out = {key: np.concatenate(v) for key, v in out.items()}
        key = (out["t"] << 24) | (out["user"] << 2) | out["survey"]
        o = np.argsort(key, kind="stable")
        return {key2: v[o] for key2, v in out.items()}
