"""One simulation run: the :class:`_Sim` class that holds the generator, the calendar and the arrays.

A run has two phases (:meth:`_Sim.run`):

1. **Grow the population.** Founders arrive through the marketing channels; each batch of new users
   gets sessions and events, and the invites they send bring the next batch (the *invite cascade*).
   More founders are drawn until there are at least ``users`` people; the surplus is trimmed.
2. **Finish.** Users, accounts and sessions are numbered; billing, the year-end spike and surveys are
   added (they need the final population); the events are put in their final order and given the
   columns that come from the session, the user and the account.

The steps live in mixins, one module each: :mod:`.users`, :mod:`.activity`, :mod:`.billing`,
:mod:`.surveys`. :mod:`.ground_truth` and :mod:`.output` read the finished run.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .activity import _ActivityMixin
from .billing import _BillingMixin
from .constants import _EVENT_RANK, DAY, FOUNDER_SHARE, HOLIDAYS, HOUR_WEIGHT, RELEASES, WEEKDAY_WEIGHT, E, P, V
from .surveys import _SurveysMixin
from .users import _Users, _UsersMixin


class _Sim(_UsersMixin, _ActivityMixin, _BillingMixin, _SurveysMixin):
    """One simulation run: holds the generator, the calendar and the growing arrays.

    After :meth:`run`: ``users`` (final :class:`~.users._Users`, numbered by sign-up time), ``owner``
    (account -> owner user), ``sess`` (sessions: user, start ``t``, ``platform``, ``version``, ...),
    ``n_sessions``, ``ev`` (event columns in final row order; ``ev["ai"]`` numbers the AI suggestions
    inside their session, so an outcome row links to its shown row by (session, number)), ``surveys``,
    ``spend`` (per paid channel and day), ``spike`` (realised spike figures or None) and the plan timeline (``plan_a``, ``plan_t``,
    ``plan_p``). Times are integer seconds from 00:00 UTC of ``start``.
    """

    def __init__(self, users: int, seed: int, start: str, days: int):
        if int(users) < 1:
            raise ValueError(f"users must be a positive number, got {users!r}")
        if int(days) < 28:
            raise ValueError(f"days must be at least 28, got {days!r}")
        self.rng = np.random.Generator(np.random.PCG64(int(seed)))
        self.n_target = int(users)
        self.seed = int(seed)
        self.start = np.datetime64(pd.Timestamp(start).date(), "D")
        self.days = int(days)
        self.end_t = self.days * DAY
        self.start_weekday = int((self.start.astype(np.int64) + 3) % 7)   # Monday = 0
        self._calendar()
        self._releases()

    # ------------------------------------------------------------------------------------ calendar

    def _calendar(self):
        """Per-day weekday, holiday and session weight; the planted calendar points."""
        # Extended day range so session windows that start near the end can be sampled safely.
        self.ext_lo = -16
        d = np.arange(self.ext_lo, self.days + 24)
        wd = (self.start_weekday + d) % 7
        dates = self.start + d.astype("timedelta64[D]")
        month = dates.astype("datetime64[M]").astype(int) % 12 + 1
        dom = (dates - dates.astype("datetime64[M]")).astype(int) + 1
        holiday = np.zeros(len(d), bool)
        for m, dd in HOLIDAYS:
            holiday |= (month == m) & (dom == dd)
        self.day_weight = WEEKDAY_WEIGHT[wd] * np.where(holiday, 0.35, 1.0)
        self.hour_p = HOUR_WEIGHT / HOUR_WEIGHT.sum()
        self.day_wd = wd[-self.ext_lo:-self.ext_lo + self.days]
        self.day_holiday = holiday[-self.ext_lo:-self.ext_lo + self.days]
        # Planted calendar points, aligned to Mondays where they are weeks.
        monday = lambda off: off - (self.start_weekday + off) % 7  # noqa: E731
        self.campaign_day = monday(P.campaign_week)
        self.spike_day = monday(P.spike_start)

    def _releases(self):
        """Per platform: release times (seconds) and version codes, for :meth:`_versions`."""
        self.rel_t, self.rel_v = {}, {}
        for plat, rels in RELEASES.items():
            self.rel_t[plat] = np.array([off * DAY for off, _ in rels], np.int64)
            self.rel_v[plat] = np.array([V[v] for _, v in rels], np.int64)

    def date_of(self, day_offset: int) -> str:
        """``YYYY-MM-DD`` of the day ``day_offset`` days after the start."""
        return str(self.start + np.timedelta64(int(day_offset), "D"))

    # ------------------------------------------------------------------------ phase 1: the population

    def run(self):
        """Grow the population (founders and their invite cascades), trim it to ``n_target`` users and
        finish the event log."""
        self._acquisition()
        state = dict(users=[], sessions=[], events=[], n_users=0, acc_size=np.zeros(0, np.int64))
        n_f = max(1, int(round(self.n_target * FOUNDER_SHARE)))
        self._cascade(self._draw_founders(n_f), state)
        # How many users a founder brings is random: top up with founders at the yield seen so far.
        for _ in range(50):
            if state["n_users"] >= self.n_target:
                break
            per_founder = state["n_users"] / max(1, len(state["acc_size"]))
            need = self.n_target - state["n_users"]
            self._cascade(self._draw_founders(max(1, int(math.ceil(need / per_founder)))), state)
        # Put the batches together; event rows point at sessions by their index in the joined arrays.
        users = _Users.concat(state["users"])
        sess = {key: np.concatenate([s[key] for s in state["sessions"]]) for key in state["sessions"][0]}
        soff = np.cumsum([0] + [len(s["t"]) for s in state["sessions"]])[:-1]
        for e, o in zip(state["events"], soff):
            e["sess"] += np.int32(o)
        ev = {key: np.concatenate([e[key] for e in state["events"]]) for key in state["events"][0]}
        state.clear()
        keep_user = self._trim(users)
        self._finish(users, keep_user, sess, ev)

    def _trim(self, users: _Users):
        """Keep exactly ``n_target`` users: drop surplus invitees who brought nobody (latest generation
        first), so every kept user's inviter is kept too."""
        n = len(users)
        keep = np.ones(n, bool)
        surplus = n - self.n_target
        while surplus > 0:
            has_child = np.zeros(n, bool)
            invited = keep & (users.inviter >= 0)
            has_child[users.inviter[invited]] = True
            leaf = np.nonzero(keep & ~has_child & (users.inviter >= 0))[0]
            if len(leaf) == 0:   # tiny samples: founders without invitees may go too
                leaf = np.nonzero(keep & ~has_child)[0]
            order = np.lexsort((self.rng.random(len(leaf)), -users.gen[leaf]))
            drop = leaf[order[:surplus]]
            keep[drop] = False
            surplus -= len(drop)
        return keep

    def _cascade(self, founders: _Users, state: dict):
        """Founders and every generation of invitees they bring."""
        n_acc0 = len(state["acc_size"])
        founders.account = np.arange(n_acc0, n_acc0 + len(founders), dtype=np.int64)
        state["acc_size"] = np.concatenate([state["acc_size"], np.ones(len(founders), np.int64)])
        batch = founders
        while len(batch):
            uid0 = state["n_users"]
            state["users"].append(batch)
            state["n_users"] += len(batch)
            s, ev, (inviter, t_inv) = self._grow(batch, uid0)
            state["sessions"].append(s)
            state["events"].append(ev)
            allu = _Users.concat(state["users"])
            batch = self._invitees(allu.account, allu.gen, allu.country, inviter, t_inv, state["acc_size"])


    # --------------------------------------------------------------------------- phase 2: finish

    def _finish(self, users: _Users, keep_user, sess, ev):
        """Number users, accounts and sessions; add money, the spike and surveys; sort the events.

        The big event arrays are touched as few times as possible: kept rows and the final order are
        found with one sort key, then each column is gathered once.
        """
        new_of_old = self._number_users(users, keep_user)
        sess_map = self._keep_sessions(sess, keep_user, new_of_old)

        # Base events (in sessions); rows of dropped users get user -1 and sort to the end.
        base_user = new_of_old.astype(np.int32)[ev["user"]]
        base = {"t": ev["t"], "user": base_user, "code": ev["code"], "wf": ev["wf"],
                "sess": sess_map.astype(np.int32)[ev["sess"]], "ai": ev["ai"]}
        del ev
        dropped = base_user < 0
        n_drop = int(dropped.sum())

        sub = self._subscriptions()
        spike_sess, spike = self._spike(base, sub)
        extra = [sub]
        if spike_sess is not None:
            spike["sess"] = spike["sess"] + len(self.sess["t"])
            self.sess = {key: np.concatenate([self.sess[key], spike_sess[key]]) for key in self.sess}
            extra.append(spike)
        self.surveys = self._surveys()

        # Final order: timestamp, user_id, event name.
        x = {key: np.concatenate([e[key] for e in extra]) for key in ("t", "user", "code", "sess", "revenue")}
        o = self._final_order(base, x, dropped, n_drop)
        nb = len(base["t"])
        from_x = o >= nb
        xi = o[from_x] - nb
        out = {"t": _gather(base, x, o, "t", 0, np.int64), "user": _gather(base, x, o, "user", 0, np.int64),
               "code": _gather(base, x, o, "code", 0, np.int8), "wf": _gather(base, x, o, "wf", -1, np.int8),
               "sess": _gather(base, x, o, "sess", -1, np.int64), "ai": _gather(base, x, o, "ai", -1, np.int8)}
        del base
        out["revenue"] = np.full(len(o), np.nan)
        out["revenue"][from_x] = x["revenue"][xi]
        self._add_derived_columns(out)
        self.ev = out

    def _number_users(self, users: _Users, keep_user):
        """Number the kept users by sign-up time and accounts by creation; sets ``users`` and ``owner``.
        Returns the new number of each old user (-1 if dropped)."""
        # Final user numbering: by sign-up time.
        old = np.nonzero(keep_user)[0]
        users = users.take(old)
        order = np.lexsort((old, users.signup_t))
        users = users.take(order)
        old = old[order]
        new_of_old = np.full(len(keep_user), -1, np.int64)
        new_of_old[old] = np.arange(len(old))
        users.inviter = np.where(users.inviter >= 0, new_of_old[np.maximum(users.inviter, 0)], -1)
        # Accounts: numbered by creation (their founder's sign-up).
        founder = users.inviter < 0
        acc_new = np.full(int(users.account.max()) + 1, -1, np.int64)
        acc_new[users.account[founder]] = np.arange(int(founder.sum()))
        users.account = acc_new[users.account]
        self.owner = np.nonzero(founder)[0]          # account -> owner user
        self.users = users
        return new_of_old

    def _keep_sessions(self, sess, keep_user, new_of_old):
        """Sessions of kept users, sorted by (user, start); sets ``sess``. Returns the new index of each
        old session (-1 if dropped)."""
        sk = keep_user[sess["user"]]
        kept = np.nonzero(sk)[0]
        s_user = new_of_old[sess["user"][kept]]
        order = np.lexsort((sess["t"][kept], s_user))
        kept = kept[order]
        self.sess = {key: v[kept] for key, v in sess.items()}
        self.sess["user"] = s_user[order]
        sess_map = np.full(len(sk), -1, np.int64)
        sess_map[kept] = np.arange(len(kept))
        return sess_map

    def _final_order(self, base, x, dropped, n_drop):
        """Row order of the event log over the base rows followed by the ``x`` rows, sorted by
        (timestamp, user, event name), without the base rows of dropped users."""
        ubits = max(1, int(len(self.users)).bit_length())

        def sort_key(t, u, c):
            return (t.astype(np.int64) << (ubits + 5)) | (u.astype(np.int64) << 5) | _EVENT_RANK[c]

        kb = sort_key(base["t"], base["user"], base["code"])
        if n_drop:
            kb[dropped] = np.iinfo(np.int64).max
        key = np.concatenate([kb, sort_key(x["t"], x["user"], x["code"])])
        del kb
        o = np.argsort(key, kind="stable")[:len(key) - n_drop]
        del key
        return o

    def _add_derived_columns(self, out):
        """Columns derived from the session, the user and the account, now that rows are in order;
        replaces session indexes by session numbers (by start, then user) and sets ``n_sessions``."""
        users = self.users
        no_s = np.nonzero(out["sess"] < 0)[0]           # billing rows: no session
        s_ok = np.maximum(out["sess"], 0)
        out["platform"] = self.sess["platform"].astype(np.int8)[s_ok]
        out["platform"][no_s] = users.platform[out["user"][no_s]]
        out["version"] = self.sess["version"].astype(np.int8)[s_ok]
        out["version"][no_s] = -1
        out["inviter"] = np.full(len(out["t"]), -1, np.int64)
        accepted = np.nonzero(out["code"] == E["invite_accepted"])[0]
        out["inviter"][accepted] = users.inviter[out["user"][accepted]]
        out["plan"] = self._event_plans(out["user"], out["t"], s_ok, no_s)
        # Session ids by (start, user).
        so = np.lexsort((self.sess["user"], self.sess["t"]))
        sid = np.empty(len(so), np.int64)
        sid[so] = np.arange(len(so))
        out["sess"] = sid[s_ok]
        out["sess"][no_s] = -1
        self.n_sessions = len(so)


def _gather(base, x, o, name, fill, dtype):
    """Column ``name`` of the base rows followed by the ``x`` rows (``fill`` where ``x`` lacks it), in
    row order ``o``."""
    extra_col = x[name] if name in x else np.full(len(x["t"]), fill)
    col = np.concatenate([base[name], extra_col.astype(base[name].dtype)])
    return col[o].astype(dtype, copy=False)


def _run(users: int, seed: int, start: str, days: int) -> _Sim:
    """A finished simulation run."""
    sim = _Sim(users, seed, start, days)
    sim.run()
    return sim
