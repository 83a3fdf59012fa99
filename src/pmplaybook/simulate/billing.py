"""Money: which accounts subscribe, their plan changes, cancellations and monthly payments.

Billing is decided per account and follows its owner (the founder): an owner who is still around after
a short trial may subscribe in one of their sessions; the plan depends on the team's size; the account
cancels on a monthly hazard or when its owner leaves, and upgrades or downgrades at most once each.
Subscription events happen inside the owner's sessions; payments (no session) fall on the billing day
each month. The resulting plan timeline also gives every event its ``plan`` column.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from .constants import DAY, HOUR, NEVER, PLAN_PRICES, C, E
from .draws import _cat_rows


class _BillingMixin:
    """The steps of :class:`~.sim._Sim` that bill accounts.

    Reads the run's ``rng``, ``start``, ``days``, ``end_t`` and the final ``users``, ``owner`` (account ->
    owner user) and ``sess`` (sessions sorted by user, then start); sets the plan timeline ``plan_a``,
    ``plan_t``, ``plan_p`` (account, time from which the plan holds, plan code; sorted by account, time).
    """

    def _first_session_at(self, user, t):
        """Index of ``user``'s first session starting at or after ``t`` (-1 if none)."""
        su, st = self.sess["user"], self.sess["t"]
        key = su * (np.int64(1) << 36) + st
        q = user * (np.int64(1) << 36) + t
        i = np.searchsorted(key, q, side="left")
        ok = (i < len(su))
        ok &= su[np.minimum(i, len(su) - 1)] == user
        return np.where(ok, i, -1)

    def _last_session_of(self, user):
        """Index of ``user``'s last session (sessions are sorted by user, then start)."""
        return np.searchsorted(self.sess["user"], user, side="right") - 1

    # ------------------------------------------------------------------------ subscriptions

    def _subscriptions(self):
        """Billing event rows (subscription started, payments, plan changes, cancellations), as a dict of
        columns like the session events; also sets the plan timeline."""
        subs = self._conversions()
        self._cancellations(subs)
        self._plan_changes(subs)
        self._plan_timeline(subs)
        return self._billing_rows(subs)

    def _conversions(self):
        """The accounts that subscribe: one entry per subscription with the account (``acc``), its owner,
        the owner's session it starts in (``sess``), the start time and first plan (``plan0``), and
        what the later steps need (paid social or not, owner's tier, stayer or not, team size, the owner's
        last session start)."""
        rng = self.rng
        users = self.users
        own = self.owner
        n_acc = len(own)
        su, st = self.sess["user"], self.sess["t"]
        size = np.bincount(users.account, minlength=n_acc)
        last_sess = np.zeros(len(users), np.int64)
        np.maximum.at(last_sess, su, st)
        ch = users.channel[own]
        tier = users.tier[own]
        stay = users.stayer[own]
        social = ch == C["paid_social"]
        # Owners who stay often subscribe; paid-social owners also subscribe on impulse and then leave.
        p_conv = np.where(stay, 0.55, np.where(social, 0.30, 0.015))
        p_conv = p_conv * (1 + 0.08 * np.minimum(size - 1, 6)) * np.where(tier == 0, 0.3, 1.0)
        convert = rng.random(n_acc) < p_conv
        trial_end = users.signup_t[own] + ((7 + rng.exponential(8.0, n_acc)) * DAY).astype(np.int64)
        si = self._first_session_at(own, trial_end)
        convert &= si >= 0
        acc = np.nonzero(convert)[0]
        si = si[acc]
        o = own[acc]
        start = st[si] + 30
        # Plan choice by team size; paid-social customers pick the cheapest plan.
        sz = size[acc]
        mix = np.where((sz >= 6)[:, None], [0.15, 0.50, 0.35], np.where((sz >= 2)[:, None], [0.45, 0.45, 0.10],
                                                                        [0.80, 0.18, 0.02]))
        mix = np.where(social[acc][:, None], [0.92, 0.08, 0.0], mix)
        plan0 = 1 + _cat_rows(rng, mix)
        return SimpleNamespace(acc=acc, owner=o, sess=si, start=start, plan0=plan0, social=social[acc],
                               tier=tier[acc], stay=stay[acc], size=sz, owner_last_sess=last_sess[o])

    def _cancellations(self, subs):
        """Sets ``subs.cancel_t`` (``NEVER`` when not before the end) and ``subs.cancel_sess``."""
        rng, users = self.rng, self.users
        st = self.sess["t"]
        o, start = subs.owner, subs.start
        # Cancellation: a monthly hazard, or the owner leaving (cancels in their last session).
        hazard = np.where(subs.social, 0.30, 0.015) * np.where(subs.tier == 0, 5.0, 1.0)
        hz_t = start + (rng.exponential(1.0, len(subs.acc)) / hazard * 30.44 * DAY).astype(np.int64)
        leaver_gone = ~subs.stay & (subs.owner_last_sess < self.end_t - 28 * DAY)
        stayer_gone = subs.stay & (users.alive_end[o] < self.end_t)
        owner_end = np.where(leaver_gone | stayer_gone, subs.owner_last_sess, NEVER)
        hz_s = self._first_session_at(o, hz_t)
        by_hazard = (hz_t < owner_end) & (hz_s >= 0)
        cancel_t = np.where(by_hazard, st[np.maximum(hz_s, 0)] + 90,
                            np.where(owner_end < self.end_t, np.maximum(owner_end, start - 30) + 120, NEVER))
        cancel_t = np.maximum(cancel_t, start + 60)
        cancel_t = np.where(cancel_t < self.end_t, cancel_t, NEVER)
        subs.cancel_sess = np.where(by_hazard, hz_s, np.where(cancel_t < self.end_t, self._last_session_of(o), -1))
        subs.cancel_t = cancel_t

    def _plan_changes(self, subs):
        """At most one upgrade and one downgrade, each in one of the owner's sessions, before any
        cancellation. Sets, for the first and second change in time order, ``t1``/``t2`` (``NEVER`` if
        none), ``s1``/``s2`` (session), ``d1``/``d2`` (+1 up, -1 down) and ``plan1``/``plan2`` (the plan
        from then on)."""
        rng = self.rng
        st = self.sess["t"]
        o, start, sz, plan0 = subs.owner, subs.start, subs.size, subs.plan0
        up_rate = np.where(subs.social, 0.01, 0.05) * (1 + 0.1 * np.minimum(sz - 1, 10))
        down_rate = np.where(subs.social, 0.06, 0.02)
        ch_t, ch_s = [], []
        for rate in (up_rate, down_rate):
            t = start + (rng.exponential(1.0, len(subs.acc)) / rate * 30.44 * DAY).astype(np.int64)
            s_i = self._first_session_at(o, t)
            t_ev = np.where(s_i >= 0, st[np.maximum(s_i, 0)] + 75, NEVER)
            ok = (s_i >= 0) & (t_ev < subs.cancel_t) & (t_ev < self.end_t) & (t_ev > start)
            ch_t.append(np.where(ok, t_ev, NEVER))
            ch_s.append(s_i)
        first_up = ch_t[0] <= ch_t[1]
        t1 = np.where(first_up, ch_t[0], ch_t[1])
        t2 = np.where(first_up, ch_t[1], ch_t[0])
        subs.s1 = np.where(first_up, ch_s[0], ch_s[1])
        subs.s2 = np.where(first_up, ch_s[1], ch_s[0])
        subs.d1 = np.where(first_up, 1, -1)
        subs.d2 = -subs.d1
        # A change that would leave the paid plans (below starter, above business) does not happen.
        plan1 = plan0 + np.where(t1 < NEVER, subs.d1, 0)
        bad1 = (plan1 < 1) | (plan1 > 3)
        subs.t1 = np.where(bad1, NEVER, t1)
        subs.plan1 = np.where(bad1, plan0, plan1)
        plan2 = subs.plan1 + np.where(t2 < NEVER, subs.d2, 0)
        bad2 = (plan2 < 1) | (plan2 > 3)
        subs.t2 = np.where(bad2, NEVER, t2)
        subs.plan2 = np.where(bad2, subs.plan1, plan2)

    def _plan_timeline(self, subs):
        """The account's plan timeline: (account, time from which it holds, plan)."""
        acc = subs.acc
        # A cancellation takes effect just after its own event, whose row still shows the old plan.
        a = np.concatenate([acc, acc, acc, acc])
        t = np.concatenate([subs.start, subs.t1, subs.t2, subs.cancel_t + 1])
        p = np.concatenate([subs.plan0, subs.plan1, subs.plan2, np.zeros(len(acc), np.int64)])
        ok = t < self.end_t
        a, t, p = a[ok], t[ok], p[ok]
        o2 = np.lexsort((t, a))
        self.plan_a, self.plan_t, self.plan_p = a[o2], t[o2], p[o2]

    def _payments(self, subs):
        """Monthly payments on the billing day (capped at the 28th), from the start until cancellation:
        subscription index, time and plan of each payment."""
        start, cancel_t = subs.start, subs.cancel_t
        start_abs = self.start.astype("datetime64[s]") + start.astype("timedelta64[s]")
        month0 = start_abs.astype("datetime64[M]")
        dom = np.minimum((start_abs.astype("datetime64[D]") - month0.astype("datetime64[D]")).astype(np.int64), 27)
        tod = (start_abs - start_abs.astype("datetime64[D]")).astype(np.int64)
        n_m = int(self.days // 28) + 2
        m = np.arange(n_m)
        pay_abs = ((month0[:, None] + m[None, :]).astype("datetime64[D]") + dom[:, None]).astype("datetime64[s]") \
            + tod[:, None].astype("timedelta64[s]")
        pay_t = (pay_abs - self.start.astype("datetime64[s]")).astype(np.int64)
        pay_t[:, 0] = start + 1
        valid = (pay_t < cancel_t[:, None]) & (pay_t < self.end_t) & (pay_t >= start[:, None] + 1)
        pa_i, pm = np.nonzero(valid)
        pt = pay_t[pa_i, pm]
        plan_pay = np.where(pt >= subs.t2[pa_i], subs.plan2[pa_i],
                            np.where(pt >= subs.t1[pa_i], subs.plan1[pa_i], subs.plan0[pa_i]))
        return pa_i, pt, plan_pay

    def _billing_rows(self, subs):
        """The billing events as columns; platform and version come from the session (the user's main
        platform and no version for payments)."""
        users = self.users
        o = subs.owner
        pa_i, pt, plan_pay = self._payments(subs)
        price = np.array(PLAN_PRICES)

        out_t, out_u, out_c, out_s, out_rev = [], [], [], [], []

        def emit(times, user, code, sess_i, rev=None):
            out_t.append(times)
            out_u.append(user)
            out_c.append(np.broadcast_to(np.asarray(code, np.int64), times.shape))
            out_s.append(sess_i)
            out_rev.append(np.full(len(times), np.nan) if rev is None else rev)

        emit(subs.start, o, E["subscription_started"], subs.sess)
        emit(pt, o[pa_i], E["payment"], np.full(len(pt), -1), price[plan_pay])
        for tt, ss, dd in ((subs.t1, subs.s1, subs.d1), (subs.t2, subs.s2, subs.d2)):
            ok = tt < self.end_t
            emit(tt[ok], o[ok], np.where(dd[ok] > 0, E["plan_upgraded"], E["plan_downgraded"]), ss[ok])
        ok = subs.cancel_t < self.end_t
        emit(subs.cancel_t[ok], o[ok], E["subscription_cancelled"], subs.cancel_sess[ok])
        t = np.concatenate(out_t)
        u = np.concatenate(out_u)
        code = np.concatenate(out_c).astype(np.int64)
        s_i = np.concatenate(out_s).astype(np.int64)
        plat = np.where(s_i >= 0, self.sess["platform"][np.maximum(s_i, 0)], users.platform[u])
        ver = np.where(s_i >= 0, self.sess["version"][np.maximum(s_i, 0)], -1)
        return dict(t=t, user=u, code=code, wf=np.full(len(t), -1), sess=s_i, inviter=np.full(len(t), -1),
                    revenue=np.concatenate(out_rev), platform=plat, version=ver)

    # ---------------------------------------------------------------------------- plan lookups

    def _event_plans(self, user, t, sess, no_session):
        """Plan of each event's account at the event's time. Looked up once per session (at its start),
        and per event only for billing rows and for sessions during which the account's plan changes."""
        account = self.users.account
        s_acc = account[self.sess["user"]]
        s_t = self.sess["t"]
        plans = self._plan_at(s_acc, s_t)[sess]
        big = np.int64(1) << 36
        key = self.plan_a * big + self.plan_t
        nxt = np.searchsorted(key, s_acc.astype(np.int64) * big + s_t, side="right")
        nxt_c = np.minimum(nxt, max(len(key) - 1, 0))
        changes_inside = ((nxt < len(key)) & (self.plan_a[nxt_c] == s_acc)
                          & (self.plan_t[nxt_c] <= s_t + self.sess["span"] + HOUR)) if len(key) else \
            np.zeros(len(s_t), bool)
        rows = np.union1d(np.nonzero(changes_inside[sess])[0], no_session)
        plans[rows] = self._plan_at(account[user[rows]], t[rows])
        return plans

    def _plan_at(self, account, t):
        """Plan code of ``account`` at time ``t`` (the last plan change at or before ``t``; free before)."""
        out = np.zeros(len(account), np.int8)
        changed = np.zeros(len(self.owner), bool)
        changed[self.plan_a] = True
        rows = np.nonzero(changed[account])[0]       # only accounts that ever subscribed need a look-up
        big = np.int64(1) << 36
        key = self.plan_a * big + self.plan_t
        q = account[rows].astype(np.int64) * big + t[rows]
        i = np.searchsorted(key, q, side="right") - 1
        ok = (i >= 0) & (self.plan_a[np.maximum(i, 0)] == account[rows])
        out[rows] = np.where(ok, self.plan_p[np.maximum(i, 0)], 0)
        return out
