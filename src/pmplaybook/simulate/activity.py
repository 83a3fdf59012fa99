"""What users do: active weeks, sessions, and the events inside sessions.

For a batch of users, :meth:`_ActivityMixin._grow` decides which weeks (rolling from sign-up) each user
is active in, draws sessions in those weeks at local working hours, gives each session an app version,
and fills sessions with events: tasks, comments, invites, projects, workflows (started, then completed,
failed or abandoned) and AI-assistant suggestions. :meth:`_ActivityMixin._spike` adds the year-end
promotion's return visits once the population is final.
"""

from __future__ import annotations

import numpy as np

from .constants import (
    AI_ACCEPT_P,
    AI_EDIT_P,
    AI_SESSION_P,
    COUNTRY_UTC_OFFSET_H,
    DAY,
    HOUR,
    IMPORT_FAIL_AFTER,
    IMPORT_MEDIAN_AFTER,
    LEAVER_A,
    LEAVER_R,
    PLATFORMS,
    STAYER_WEEKLY_ACTIVE,
    WEEK,
    WF_ABANDON_P,
    WF_FAIL_P,
    WF_FIRST_SESSION_P,
    WF_MEDIAN_S,
    WF_SESSION_P,
    WORKFLOWS,
    E,
    P,
    V,
)
from .draws import _cat, _lognormal, _repeat, _stratified_uniforms, _within
from .users import _Users


class _ActivityMixin:
    """The steps of :class:`~.sim._Sim` that create sessions and events.

    Reads the run's ``rng``, ``days``, ``end_t``, calendar (``day_weight``, ``hour_p``, ``ext_lo``, ``day_wd``,
    ``spike_day``), releases (``rel_t``, ``rel_v``) and, for the spike, the final ``users``; the spike
    sets ``spike`` (its baseline and number of returners, or None when it falls outside the data).
    """

    # ---------------------------------------------------------------------------- sessions

    def _session_times(self, wstart, offset):
        """Session starts inside [wstart, wstart + 7 days): weekday- and working-hour-weighted in the
        user's local time (a week window holds each weekday exactly once)."""
        rng = self.rng
        n = len(wstart)
        wl = wstart + offset
        d0 = np.floor_divide(wl, DAY)
        idx = np.clip(d0[:, None] + np.arange(7) - self.ext_lo, 0, len(self.day_weight) - 1)
        cum = np.cumsum(self.day_weight[idx], axis=1)
        j = (rng.random(n)[:, None] * cum[:, -1:] >= cum[:, :-1]).sum(axis=1)
        tod = _cat(rng, self.hour_p, n) * HOUR + rng.integers(0, HOUR, n)
        tl = (d0 + j) * DAY + tod
        tl = np.where(tl < wl, tl + WEEK, tl)
        return tl - offset

    def _sessions(self, users: _Users, uid0: int):
        """Active weeks -> sessions (start time, platform, version, week index) for a batch of users."""
        rng = self.rng
        n = len(users)
        span = np.maximum(self.end_t - users.signup_t, 1)
        n_weeks = (span + WEEK - 1) // WEEK
        pu = _repeat(n, n_weeks)
        k = _within(n_weeks)
        wstart = users.signup_t[pu] + k * WEEK
        stay = users.stayer[pu]
        tier = users.tier[pu]
        p = np.where(stay, np.where(wstart < users.alive_end[pu], STAYER_WEEKLY_ACTIVE, 0.0),
                     LEAVER_A[tier] * LEAVER_R[tier] ** np.maximum(k - 1, 0).astype(float))
        android_after = (users.platform[pu] == 2) & (wstart >= P.android_release * DAY)
        p = np.where(android_after & ~stay, p * 0.4, p)
        p = np.where(k == 0, 1.0, p)
        active = rng.random(len(p)) < p
        pu, k, wstart, stay = pu[active], k[active], wstart[active], stay[active]
        extra0 = np.where(users.act, 1.6, 0.7) + np.where(users.n_inv7 > 0, 0.3, 0.0)
        lam = np.where(k == 0, extra0[pu], np.where(stay, users.nu[pu], 0.4))
        n_sess = 1 + rng.poisson(lam)
        su = np.repeat(pu, n_sess)
        sk = np.repeat(k, n_sess)
        sw = np.repeat(wstart, n_sess)
        first = (sk == 0) & (_within(n_sess) == 0)
        offset = (np.array(COUNTRY_UTC_OFFSET_H) * HOUR).astype(np.int64)[users.country[su]]
        st = self._session_times(sw, offset)
        signup = users.signup_t[su]
        st = np.where((sk == 0) & (st < signup + 2 * HOUR), signup + 2 * HOUR, st)
        st = np.minimum(st, sw + WEEK - 2 * HOUR)
        st = np.where(first, signup, st)
        # Platform: mostly the user's own; some sessions on another one; Android movers go to web.
        plat = users.platform[su].copy()
        u = rng.random(len(su))
        other = np.where(plat == 0, np.where(u < 0.5, 1, 2), 0)
        switch = (u < np.where(plat == 0, 0.08, 0.12)) & ~first
        plat = np.where(switch, other, plat)
        moved = (users.android_fate[su] == 2) & (st >= P.android_release * DAY)
        plat = np.where(moved, 0, plat)
        return dict(user=su + uid0, week=sk, first=first, t=st.astype(np.int64), platform=plat)

    def _versions(self, t, plat, u):
        """App version of each session: web updates at once, mobile apps roll out over a few days
        (``u``: one uniform number per session, so a later start never gets an older version)."""
        out = np.empty(len(t), np.int64)
        for code, name in enumerate(PLATFORMS):
            m = plat == code
            rt, rv = self.rel_t[name], self.rel_v[name]
            i = np.searchsorted(rt, t[m], side="right") - 1
            if name != "web":
                age = (t[m] - rt[i]) / DAY
                late = u[m] >= 1 - np.exp(-age / 2.0)
                i = np.where(late & (i > 0), i - 1, i)
            out[m] = rv[i]
        return out

    # ------------------------------------------------------------------------------- units

    def _units(self, users: _Users, uid0: int, s: dict):
        """Events inside sessions: arrays ``sess`` (session index), ``off`` (seconds after the session
        start), ``code`` (event) and ``wf`` (workflow or -1). Sets ``s["span"]``, the session's length
        budget in seconds."""
        rng = self.rng
        n_s = len(s["t"])
        lu = s["user"] - uid0                      # local user index
        first = s["first"]
        invitee = users.inviter[lu] >= 0
        body_sess, body_code = self._body_units(users, lu, s)
        n_inv_sess = np.bincount(body_sess[body_code == E["invite_sent"]], minlength=n_s)
        # Composite units: workflows (started -> completed / failed / nothing) and AI suggestions.
        wf_sess, wf_code, wf_out, wf_dur = self._workflows(s, n_inv_sess)
        ai_sess, ai_out, ai_dur = self._ai_suggestions(users, lu, s)

        # Timing: body units at uniform offsets over the session's length; header events first.
        n_units = (np.bincount(body_sess, minlength=n_s) + np.bincount(wf_sess, minlength=n_s)
                   + np.bincount(ai_sess, minlength=n_s))
        length = (60 + 45 * n_units * (0.5 + rng.random(n_s))).astype(np.int64)
        s["span"] = 5 + length + 900

        def offsets(sess):
            return 5 + (rng.random(len(sess)) * length[sess]).astype(np.int64)

        b_off = offsets(body_sess)
        wf_off = offsets(wf_sess)
        ai_off = offsets(ai_sess)
        first_s = np.nonzero(first)[0]
        inv_first = first_s[invitee[first_s]]
        ev_sess = [first_s, inv_first, np.arange(n_s), body_sess, wf_sess, wf_sess[wf_out >= 0], ai_sess,
                   ai_sess[ai_out >= 0]]
        # The first project of a new user comes right after sign-up.
        b_off = np.where(first[body_sess] & (body_code == E["project_created"]), 4, b_off)
        ev_off = [np.zeros(len(first_s), np.int64), np.ones(len(inv_first), np.int64),
                  np.where(first, np.where(invitee, 2, 1), 0), b_off, wf_off,
                  (wf_off + wf_dur)[wf_out >= 0], ai_off, (ai_off + ai_dur)[ai_out >= 0]]
        ev_code = [np.full(len(first_s), E["signup"]), np.full(len(inv_first), E["invite_accepted"]),
                   np.full(n_s, E["session_start"]), body_code, np.full(len(wf_sess), E["workflow_started"]),
                   wf_out[wf_out >= 0], np.full(len(ai_sess), E["ai_suggestion_shown"]), ai_out[ai_out >= 0]]
        ev_wf = [np.full(len(first_s), -1), np.full(len(inv_first), -1), np.full(n_s, -1),
                 np.full(len(body_sess), -1), wf_code, wf_code[wf_out >= 0], np.full(len(ai_sess), -1),
                 np.full(int((ai_out >= 0).sum()), -1)]
        # AI rows carry the suggestion's number inside its session, so an outcome row links to its shown
        # row by (session, number); -1 on every other row. No random draw: the sample does not change.
        ai_k = _within(np.bincount(ai_sess, minlength=n_s))
        ev_ai = [np.full(len(first_s) + len(inv_first) + n_s + len(body_sess) + len(wf_sess)
                         + int((wf_out >= 0).sum()), -1), ai_k, ai_k[ai_out >= 0]]
        return dict(sess=np.concatenate(ev_sess), off=np.concatenate(ev_off),
                    code=np.concatenate(ev_code).astype(np.int64), wf=np.concatenate(ev_wf).astype(np.int64),
                    ai=np.concatenate(ev_ai).astype(np.int64))

    def _body_units(self, users: _Users, lu, s: dict):
        """Single events (tasks, invites, comments, projects): session index and event code of each.
        The first-week counts drawn in ``_behave`` are spread over the user's week-0 sessions."""
        rng = self.rng
        n_s = len(s["t"])
        k, first = s["week"], s["first"]
        stay = users.stayer[lu]
        eng = users.engage[lu]
        invitee = users.inviter[lu] >= 0
        w0 = k == 0
        # Week-0 sessions of each user: sessions are laid out user by user, week 0 first.
        n_users = len(users)
        first_idx = np.full(n_users, -1, np.int64)
        first_idx[lu[first]] = np.nonzero(first)[0]
        n_w0 = np.bincount(lu[w0], minlength=n_users)

        def spread(counts):
            """Place counts[u] units on random week-0 sessions of user u."""
            uu = _repeat(n_users, counts)
            return first_idx[uu] + (rng.random(len(uu)) * n_w0[uu]).astype(np.int64)

        parts_sess, parts_code = [], []

        def add(sess, code):
            parts_sess.append(sess)
            parts_code.append(np.full(len(sess), code, np.int64))

        later = ~w0
        scale = np.where(stay, 1.0, 0.5) * eng
        add(spread(users.n_tc7), E["task_completed"])
        add(spread(users.n_inv7), E["invite_sent"])
        add(spread(users.n_tc7 + rng.poisson(1.5, n_users)), E["task_created"])
        add(_repeat(n_s, np.where(later, rng.poisson(1.7 * scale), 0)), E["task_completed"])
        add(_repeat(n_s, np.where(later, rng.poisson(1.9 * scale), 0)), E["task_created"])
        add(_repeat(n_s, np.where(later, rng.poisson(0.025 * np.where(stay, 1.0, 0.6)), 0)), E["invite_sent"])
        add(_repeat(n_s, rng.poisson(np.where(w0, 0.6, 1.0 * scale))), E["comment_added"])
        p_proj = np.where(invitee, 0.25, 0.85)
        add(np.nonzero(first & (rng.random(n_s) < p_proj))[0], E["project_created"])
        add(_repeat(n_s, np.where(first, 0, rng.poisson(0.06, n_s))), E["project_created"])
        return np.concatenate(parts_sess), np.concatenate(parts_code)

    def _workflows(self, s: dict, n_inv_sess):
        """Workflows started in sessions and how each ends: session index, workflow code, outcome event
        (completed, failed, or -1 for abandoned) and seconds from start to outcome."""
        rng = self.rng
        n_s = len(s["t"])
        first = s["first"]
        w0 = s["week"] == 0
        wf_sess, wf_code, wf_out, wf_dur = [], [], [], []
        plat = s["platform"]
        broken = (plat == 0) & (s["t"] >= P.web_release * DAY)
        for w in range(len(WORKFLOWS)):
            p = np.where(first, WF_FIRST_SESSION_P[w], WF_SESSION_P[w])
            if WORKFLOWS[w] == "set_up_integration":
                p = np.where(w0 & ~first, 0.08, p)
            if WORKFLOWS[w] == "invite_team":
                p = np.where(n_inv_sess > 0, 0.7, p)
            hit = np.nonzero(rng.random(n_s) < p)[0]
            fail_p = np.full(len(hit), WF_FAIL_P[w])
            median = np.full(len(hit), WF_MEDIAN_S[w])
            if WORKFLOWS[w] == "import_tasks":
                fail_p = np.where(broken[hit], IMPORT_FAIL_AFTER, fail_p)
                median = np.where(broken[hit], IMPORT_MEDIAN_AFTER, median)
            u = _stratified_uniforms(rng, plat[hit], s["t"][hit])
            out = np.where(u < fail_p, E["workflow_failed"],
                           np.where(u < fail_p + WF_ABANDON_P, -1, E["workflow_completed"]))
            dur = np.clip(_lognormal(rng, median, 0.55, len(hit)), 3, 900)
            dur = np.where(out == E["workflow_failed"], dur * 0.8, dur)
            wf_sess.append(hit)
            wf_code.append(np.full(len(hit), w, np.int64))
            wf_out.append(out)
            wf_dur.append(dur.astype(np.int64) + 1)
        return (np.concatenate(wf_sess), np.concatenate(wf_code), np.concatenate(wf_out),
                np.concatenate(wf_dur))

    def _ai_suggestions(self, users: _Users, lu, s: dict):
        """AI suggestions shown in sessions of adopters on 4.12+: session index, outcome event (accepted,
        edited, or -1 for ignored) and seconds from showing to outcome."""
        rng = self.rng
        n_s = len(s["t"])
        ai_ok = (s["t"] >= users.adopt_t[lu]) & (s["version"] >= V["4.12"])
        n_ai = np.where(ai_ok & (rng.random(n_s) < AI_SESSION_P), 1 + rng.poisson(0.9, n_s), 0)
        ai_sess = _repeat(n_s, n_ai)
        u = rng.random(len(ai_sess))
        ai_out = np.where(u < AI_ACCEPT_P, E["ai_suggestion_accepted"],
                          np.where(u < AI_ACCEPT_P + AI_EDIT_P, E["ai_suggestion_edited"], -1))
        ai_dur = np.where(ai_out == E["ai_suggestion_edited"], rng.integers(20, 180, len(ai_sess)),
                          rng.integers(3, 40, len(ai_sess)))
        return ai_sess, ai_out, ai_dur

    @staticmethod
    def _push_apart(user, t, span):
        """Sessions sorted by (user, t): move each start after the previous session's end plus 10
        minutes, t'_i = max(t_i, t'_{i-1} + span_{i-1}), as a cumulative maximum."""
        gap = span + 600
        counts = np.bincount(user - user.min()) if len(user) else np.zeros(0, np.int64)
        counts = counts[counts > 0]
        cum = np.cumsum(gap) - gap
        starts = np.cumsum(counts) - counts
        cex = cum - np.repeat(cum[starts], counts)
        big = np.int64(1) << 36
        grp = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
        x = t - cex + grp * big
        return np.maximum.accumulate(x) - grp * big + cex

    # ------------------------------------------------------------------------------- one batch

    def _grow(self, users: _Users, uid0: int):
        """Sessions and events for a batch of users; returns them with the invites they sent."""
        s = self._sessions(users, uid0)
        order = np.lexsort((s["t"], s["user"]))
        s = {key: v[order] for key, v in s.items()}
        s["vu"] = self.rng.random(len(s["t"]))
        s["version"] = self._versions(s["t"], s["platform"], s["vu"])
        ev = self._units(users, uid0, s)
        s["t"] = self._push_apart(s["user"], s["t"], s["span"])
        keep_s = s["t"] < self.end_t
        # Versions follow the (possibly moved) start time.
        s["version"] = self._versions(s["t"], s["platform"], s["vu"])
        ev_t = s["t"][ev["sess"]] + ev["off"]
        keep = (ev_t < self.end_t) & keep_s[ev["sess"]]
        # Sessions pushed past the end of the data are dropped with their events.
        new_index = np.cumsum(keep_s) - 1
        s = {key: v[keep_s] for key, v in s.items()}
        sess = new_index[ev["sess"][keep]]
        out = {"t": ev_t[keep].astype(np.int32), "user": s["user"][sess].astype(np.int32),
               "code": ev["code"][keep].astype(np.int8), "wf": ev["wf"][keep].astype(np.int8),
               "sess": sess.astype(np.int32), "ai": ev["ai"][keep].astype(np.int8)}
        inv = out["code"] == E["invite_sent"]
        return s, out, (out["user"][inv].astype(np.int64), out["t"][inv].astype(np.int64))

    # ----------------------------------------------------------------------------- the spike

    def _spike(self, base, sub):
        """Year-end promotion: dormant users (signed up 10+ weeks before, no event in the last 28 days)
        come back for a session on one or two spike days; nobody else changes behaviour."""
        rng = self.rng
        d0, nd = self.spike_day, P.spike_days
        if d0 < 70 or d0 + nd > self.days:
            self.spike = None
            return None, None
        t0 = d0 * DAY
        users = self.users
        # Active events (not sign-ups) of the 4 weeks before the spike.
        parts = []
        for ev in (base, sub):
            m = (ev["t"] >= t0 - 28 * DAY) & (ev["t"] < t0) & (ev["code"] != E["signup"]) & (ev["user"] >= 0)
            parts.append((ev["t"][m] // DAY, ev["user"][m]))
        day = np.concatenate([p[0] for p in parts]).astype(np.int64)
        who = np.concatenate([p[1] for p in parts]).astype(np.int64)
        # Baseline daily actives: median over the weekdays of those 4 weeks.
        du = np.unique(day * len(users) + who) // len(users)
        counts = np.bincount(du - (d0 - 28), minlength=28)
        wdays = self.day_wd[d0 - 28:d0] < 5
        baseline = float(np.median(counts[wdays]))
        recent = np.zeros(len(users), bool)
        recent[who] = True
        pool = np.nonzero(~recent & (users.signup_t < t0 - 70 * DAY))[0]
        day_share = np.array([0.34, 0.28, 0.22, 0.16])[:nd]
        day_share = day_share / day_share.sum()
        n_extra = int(round(P.spike_lift * baseline * nd))
        n_back = min(len(pool), int(round(n_extra / 1.25)))
        back = pool[np.sort(rng.permutation(len(pool))[:n_back])]
        two = rng.random(n_back) < 0.25
        d_a = _cat(rng, day_share, n_back)
        d_b = (d_a + 1 + _cat(rng, day_share[:nd - 1] if nd > 1 else [1.0], n_back)) % nd
        su = np.concatenate([back, back[two]])
        sday = np.concatenate([d_a, d_b[two]]) + d0
        offset = (np.array(COUNTRY_UTC_OFFSET_H) * HOUR).astype(np.int64)[users.country[su]]
        tod = _cat(rng, self.hour_p, len(su)) * HOUR + rng.integers(0, HOUR, len(su))
        st = sday * DAY + np.mod(tod - offset, DAY)
        plat = users.platform[su]
        plat = np.where((users.android_fate[su] == 2), 0, plat)
        vu = rng.random(len(su))
        ver = self._versions(st, plat, vu)
        n = len(su)
        # A look around: a session start, maybe a task or a comment.
        n_task = rng.poisson(0.5, n)
        n_comm = rng.poisson(0.3, n)
        es = np.concatenate([np.arange(n), _repeat(n, n_task), _repeat(n, n_comm)])
        code = np.concatenate([np.full(n, E["session_start"]), np.full(n_task.sum(), E["task_created"]),
                               np.full(n_comm.sum(), E["comment_added"])])
        off = np.concatenate([np.zeros(n, np.int64), rng.integers(10, 600, n_task.sum() + n_comm.sum())])
        t = st[es] + off
        self.spike = dict(baseline=baseline, returners=n_back)
        sess = dict(user=su, week=np.full(n, -1), first=np.zeros(n, bool), t=st, platform=plat, version=ver,
                    span=np.full(n, 700), vu=vu)
        e = dict(t=t, user=su[es], code=code.astype(np.int64), wf=np.full(len(t), -1), sess=es,
                 inviter=np.full(len(t), -1), revenue=np.full(len(t), np.nan), platform=plat[es], version=ver[es])
        return sess, e

