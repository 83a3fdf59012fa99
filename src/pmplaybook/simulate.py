"""The sample product: a year of "Taskfolio", a fictional B2B project-management SaaS.

The story
---------
Taskfolio sells project and task management to small teams. Someone at a company signs up (that creates
the company's *account*), creates a project, adds and completes tasks, comments, and invites colleagues,
who join the same account. Accounts start on the free plan; some subscribe to ``starter`` ($29 a month),
``team`` ($79) or ``business`` ($199), are billed monthly, upgrade, downgrade and cancel. People arrive
through organic search, paid search ads, paid social ads, sponsored content, the company's e-mail
newsletter, or a teammate's invite (``referral``). Sessions happen on the web app or the iOS and Android
apps, mostly on weekdays. An AI assistant that suggests tasks launches on 2025-07-01. Marketing spends
money every day on the paid channels, and in-app surveys ask for NPS, CSAT and CES.

Things happen to Taskfolio during 2025 that the notebooks teach a PM to find (the *planted findings*):

1. users who invite 3+ teammates in their first week mostly stay (the "magic number");
2. paid social brings the cheapest customers, who churn so fast that LTV/CAC is below 1;
3. a year-end promotion e-mail (1-4 December) brings dormant users back for a day: daily actives spike,
   cohort retention does not move;
4. an e-mail blast in the week of 7 April brings a cohort 3-4 times a normal week's size that barely
   retains;
5. Android app 5.0 (4 August) breaks something: Android users' retention collapses, web and iOS do not;
6. weekly sign-ups follow ad spend (a vanity North Star candidate) while weekly core use does not;
7. users who complete 3+ tasks in their first 7 days (activated) retain on a plateau; the rest fade out;
8. web release 5.1 (15 September) makes task import fail three times as often and take longer;
9. NPS detractors concentrate on the free plan;
10. adoption of the AI assistant grows month by month; about half its suggestions are accepted as is.

:func:`simulate` returns the three tables as pandas DataFrames, :func:`write_sample` writes them as
Parquet with ``truth.json`` (the planted parameters and the figures realised in the generated data, see
``data/README.md`` for their exact definitions), and :func:`truth` returns that dictionary.

How it works
------------
Everything is vectorised with numpy from one ``numpy.random.Generator(PCG64(seed))``, so a seed gives
the same bytes every time. Each user gets a latent *intent* (by acquisition channel), draws first-week
behaviour (tasks completed, invites sent), and from it a *fate*: a "stayer" is active in most weeks
until a slow churn, a "leaver" fades out geometrically. Active weeks get sessions at weekday-weighted
local working hours, sessions get events. Accepted invites create the next generation of users in the
inviter's account. Subscriptions, payments, plan changes and cancellations follow the account owner's
activity. Nothing here imports the metric modules: the truth is computed from the generated arrays.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

__all__ = ["SAMPLE_SEED", "SAMPLE_USERS", "EVENTS", "CHANNELS", "PAID_CHANNELS", "PLANS", "PLAN_PRICES",
           "WORKFLOWS", "simulate", "truth", "write_sample"]

#: Seed and size of the bundled sample in ``data/``.
SAMPLE_SEED = 7
SAMPLE_USERS = 20_000

DAY = 86_400
WEEK = 7 * DAY
HOUR = 3_600

EVENTS = ("signup", "session_start", "project_created", "task_created", "task_completed", "comment_added",
          "invite_sent", "invite_accepted", "subscription_started", "payment", "plan_upgraded",
          "plan_downgraded", "subscription_cancelled", "workflow_started", "workflow_completed",
          "workflow_failed", "ai_suggestion_shown", "ai_suggestion_accepted", "ai_suggestion_edited")
E = {name: code for code, name in enumerate(EVENTS)}
# Rows are sorted by (timestamp, user_id, event name): rank of each code in alphabetical order.
_EVENT_RANK = np.argsort(np.argsort(np.array(EVENTS)))

CHANNELS = ("organic", "paid_search", "paid_social", "content", "email_campaign", "referral")
#: Channels with marketing spend: three ad channels every day, plus the April e-mail blast (one day).
PAID_CHANNELS = ("paid_search", "paid_social", "content", "email_campaign")
AD_CHANNELS = ("paid_search", "paid_social", "content")
C = {name: code for code, name in enumerate(CHANNELS)}
PLANS = ("free", "starter", "team", "business")
PLAN_PRICES = (0.0, 29.0, 79.0, 199.0)
PLATFORMS = ("web", "ios", "android")
PLATFORM_SHARE = (0.62, 0.20, 0.18)
COUNTRIES = ("US", "GB", "DE", "FR", "IN", "BR", "CA", "AU")
COUNTRY_SHARE = (0.36, 0.12, 0.12, 0.08, 0.10, 0.08, 0.08, 0.06)
COUNTRY_UTC_OFFSET_H = (-5, 0, 1, 1, 5.5, -3, -5, 10)
WORKFLOWS = ("create_project", "import_tasks", "set_up_integration", "invite_team")
W = {name: code for code, name in enumerate(WORKFLOWS)}
VERSIONS = ("4.8", "4.9", "4.10", "4.11", "4.12", "5.0", "5.1", "5.2")
V = {name: code for code, name in enumerate(VERSIONS)}

# Day offsets from the start (2025-01-01) of each release, per platform; 4.8 is what users had before.
RELEASES = {
    "web": ((-60, "4.8"), (47, "4.9"), (103, "4.10"), (159, "4.11"), (181, "4.12"), (215, "5.0"),
            (257, "5.1"), (313, "5.2")),
    "ios": ((-60, "4.8"), (110, "4.10"), (181, "4.12"), (215, "5.0"), (320, "5.2")),
    "android": ((-60, "4.8"), (110, "4.10"), (181, "4.12"), (215, "5.0"), (320, "5.2")),
}


@dataclass(frozen=True)
class _Planted:
    """Day offsets (from ``start``) and sizes of the planted findings."""

    ai_launch: int = 181            # 2025-07-01, version 4.12 on every platform
    android_release: int = 215      # 2025-08-04, Android 5.0
    web_release: int = 257          # 2025-09-15, web 5.1
    campaign_week: int = 96         # Monday 2025-04-07; the blast goes out on the Tuesday
    spike_start: int = 334          # Monday 2025-12-01
    spike_days: int = 4             # 1-4 December
    spike_lift: float = 0.8         # extra daily actives on spike days, as a share of the usual
    magic_threshold: int = 3
    activation_tasks: int = 3


P = _Planted()

# --------------------------------------------------------------------------------- behaviour tables
# Intent tiers: 0 = e-mail-blast tourist, 1 = low, 2 = mid, 3 = high. Founders' tier mix by channel
# (paid social brings impulse sign-ups; the April blast brings mostly tourists).
TIER_MIX = {
    "organic": (0.0, 0.25, 0.45, 0.30),
    "paid_search": (0.0, 0.25, 0.45, 0.30),
    "paid_social": (0.0, 0.50, 0.38, 0.12),
    "content": (0.0, 0.30, 0.45, 0.25),
    "email_campaign": (0.0, 0.35, 0.45, 0.20),
    "referral": (0.0, 0.28, 0.47, 0.25),
    "blast": (0.95, 0.05, 0.0, 0.0),
}
ACT_P = np.array([0.03, 0.10, 0.33, 0.65])            # P(>= 3 tasks completed in the first 7 days)
BIG_INVITER_P = np.array([[0.01, 0.03, 0.06, 0.10],   # not activated: P(>= 3 invites in 7 days)
                          [0.05, 0.20, 0.35, 0.50]])  # activated
SMALL_INVITES_P = np.array([[0.78, 0.12, 0.10],       # 0/1/2 invites when < 3, not activated
                            [0.62, 0.26, 0.12]])      # activated
BIG_INVITES_P = np.array([0.52, 0.23, 0.12, 0.08, 0.05])  # 3..7 invites when >= 3
ROLLOUT_P = 0.04                                      # ... or 12-39 invites (a team roll-out)
# P(stayer) by activation (rows) and first-week invites 0-1 / 2 / 3+ (columns). Two invites (a pair
# working together, not a team) do not help: that keeps 3 the best cut by any measure (difference in
# retention, Youden's J).
STAY_P = np.array([[0.025, 0.02, 0.28],
                   [0.34, 0.25, 0.82]])
LEAVER_A = np.array([0.10, 0.38, 0.48, 0.55])          # leaver's chance to be active in week 1 ...
LEAVER_R = np.array([0.30, 0.50, 0.55, 0.60])          # ... decaying by this factor each week
STAYER_WEEKLY_ACTIVE = 0.85
STAYER_MEAN_LIFE_WEEKS = 260.0
INVITE_ACCEPT_P = 0.30
MAX_ACCOUNT_USERS = 30
FOUNDER_SHARE = 0.675                                  # founders / users, first guess of the cascade

# Founders' acquisition: relative daily intensity by channel and cost per founder sign-up (USD).
CHANNEL_WEIGHT = {"organic": 0.30, "paid_search": 0.27, "paid_social": 0.25, "content": 0.10,
                  "email_campaign": 0.03}
COST_PER_SIGNUP = {"paid_search": 36.0, "paid_social": 17.0, "content": 30.0, "email_campaign": 11.0}
BLAST_WEEKS = 3.8                    # blast founders = this many average weeks of founders
BLAST_DAY_SHARE = (0.0, 0.42, 0.25, 0.15, 0.09, 0.05, 0.04)   # Monday..Sunday of the campaign week

HOUR_WEIGHT = np.array([0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.2, 2.5, 3.6, 3.8, 3.6, 3.0, 3.4, 3.6, 3.4,
                        3.0, 2.4, 1.6, 1.2, 1.0, 0.8, 0.5, 0.3])
WEEKDAY_WEIGHT = np.array([1.0, 1.0, 1.0, 1.0, 0.95, 0.30, 0.27])
HOLIDAYS = ((1, 1), (12, 24), (12, 25), (12, 26), (12, 31))

# Workflows (UX task success): per-session chance, failure and abandon rates, median seconds.
WF_SESSION_P = np.array([0.04, 0.04, 0.02, 0.005])
WF_FIRST_SESSION_P = np.array([0.75, 0.30, 0.06, 0.0])
WF_FAIL_P = np.array([0.05, 0.08, 0.14, 0.04])
WF_ABANDON_P = 0.03
WF_MEDIAN_S = np.array([40.0, 95.0, 260.0, 55.0])
IMPORT_FAIL_AFTER = 0.26
IMPORT_MEDIAN_AFTER = 170.0

AI_ADOPT_P = 0.6
AI_ADOPT_MEAN_DAYS = 50.0
AI_SESSION_P = 0.7
AI_ACCEPT_P = 0.47
AI_EDIT_P = 0.20

# NPS answer distributions (0..10): free users are the detractors.
NPS_FREE = np.array([3, 2, 2, 3, 4, 6, 6, 18, 22, 18, 16], float)
NPS_PAID = np.array([0.5, 0.5, 0.5, 0.5, 1, 1.5, 2, 11, 17, 30, 35], float)
CSAT_FREE = np.array([6, 9, 20, 38, 27], float)
CSAT_PAID = np.array([2, 4, 12, 40, 42], float)
CES_W = np.array([3, 5, 8, 14, 24, 28, 18], float)


# ------------------------------------------------------------------------------------------ helpers

def _cat(rng, probs, size):
    """``size`` draws from a categorical distribution (one probability vector)."""
    probs = np.asarray(probs, float)
    return np.minimum(np.searchsorted(np.cumsum(probs / probs.sum()), rng.random(size), side="right"),
                      len(probs) - 1)


def _cat_rows(rng, probs):
    """One categorical draw per row of ``probs`` (rows sum to 1)."""
    cum = np.cumsum(probs, axis=1)
    return (rng.random(len(probs))[:, None] * cum[:, -1:] >= cum[:, :-1]).sum(axis=1)


def _within(counts):
    """For groups of sizes ``counts`` laid out one after another: index of each item in its group."""
    counts = np.asarray(counts, np.int64)
    starts = np.cumsum(counts) - counts
    return np.arange(counts.sum(), dtype=np.int64) - np.repeat(starts, counts)


def _repeat(n_items, counts):
    return np.repeat(np.arange(n_items, dtype=np.int64), counts)


def _lognormal(rng, median, sigma, size):
    return np.exp(np.log(median) + sigma * rng.standard_normal(size))


class _Users:
    """Column arrays of users (one entry per user)."""

    FIELDS = ("signup_t", "channel", "tier", "country", "platform", "account", "inviter", "gen", "act",
              "n_tc7", "n_inv7", "stayer", "alive_end", "engage", "nu", "adopt_t", "android_fate", "blast")

    def __init__(self, **cols):
        for f in self.FIELDS:
            setattr(self, f, cols[f])

    def __len__(self):
        return len(self.signup_t)

    @classmethod
    def concat(cls, parts):
        return cls(**{f: np.concatenate([getattr(p, f) for p in parts]) for f in cls.FIELDS})

    def take(self, idx):
        return _Users(**{f: getattr(self, f)[idx] for f in self.FIELDS})


class _Sim:
    """One simulation run: holds the generator, the calendar and the growing arrays."""

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
        self.rel_t, self.rel_v = {}, {}
        for plat, rels in RELEASES.items():
            self.rel_t[plat] = np.array([off * DAY for off, _ in rels], np.int64)
            self.rel_v[plat] = np.array([V[v] for _, v in rels], np.int64)

    def date_of(self, day_offset: int) -> str:
        return str(self.start + np.timedelta64(int(day_offset), "D"))

    # ----------------------------------------------------------------------------- acquisition

    def _acquisition(self):
        """Daily founder intensity per channel (plus the blast) and the spend that buys it."""
        rng, days = self.rng, self.days
        d = np.arange(days)
        wd = self.day_wd
        week = (d + self.start_weekday) // 7
        n_weeks = int(week.max()) + 1
        # A company-wide marketing budget that moves in flights (AR(1) on the log), shared by the paid
        # channels with a little independent noise each: weekly spend varies between ~0.4x and ~2.5x.
        z = rng.standard_normal((4, n_weeks))
        log_b = np.empty(n_weeks)
        log_b[0] = 0.6 * z[0, 0]
        for i in range(1, n_weeks):   # 53 weeks: an AR(1) recursion, not a per-event loop
            log_b[i] = 0.55 * log_b[i - 1] + 0.5 * z[0, i]
        # No trend: spend goes up and down, it does not grow with the product.
        log_b -= np.polyval(np.polyfit(np.arange(n_weeks), log_b, 1), np.arange(n_weeks))
        budget = np.exp(log_b)
        budget /= budget.mean()
        # Marketing moved part of the ad budget to the blast that week.
        cw = (self.campaign_day + self.start_weekday) // 7
        if 0 <= cw < n_weeks:
            budget[cw] = 0.6
        weekly = {"paid_search": budget * np.exp(0.10 * z[1]), "paid_social": budget * np.exp(0.10 * z[2]),
                  "content": np.exp(0.08 * z[3])}
        signup_wd = np.where(wd < 5, 1.0, 0.45) * np.where(self.day_holiday, 0.5, 1.0)
        spend_wd = np.where(wd < 5, 1.12, 0.70)
        conv_wd = np.where(wd < 5, 1.0, 0.6) * np.where(self.day_holiday, 0.5, 1.0)
        lam = np.zeros((len(CHANNELS) + 1, days))   # last row: the e-mail blast
        shape = {}
        for ch in AD_CHANNELS:
            shape[ch] = weekly[ch][week] * spend_wd
            lam[C[ch]] = CHANNEL_WEIGHT[ch] * shape[ch] * conv_wd / (shape[ch] * conv_wd).mean()
        lam[C["organic"]] = CHANNEL_WEIGHT["organic"] * (1 + 0.3 * d / days) * signup_wd
        lam[C["email_campaign"]] = CHANNEL_WEIGHT["email_campaign"] * signup_wd
        cd = self.campaign_day
        if 0 <= cd and cd + 7 <= days:
            mean_week = lam.sum() / days * 7
            lam[-1, cd:cd + 7] = BLAST_WEEKS * mean_week * np.array(BLAST_DAY_SHARE)
        self.lam = lam
        # Spend that buys the expected paid founders (planned from the target size, so it does not
        # depend on the random cascade), with daily noise.
        planned = self.n_target * FOUNDER_SHARE
        spend = {}
        noise = np.exp(0.08 * rng.standard_normal((len(AD_CHANNELS), days)))
        for i, ch in enumerate(AD_CHANNELS):
            expected_founders = planned * lam[C[ch]] / lam.sum()
            daily = expected_founders * COST_PER_SIGNUP[ch] * noise[i]
            spend[ch] = np.round(daily, 2)
        # The blast went to a rented list: one invoice on the send day.
        blast = np.zeros(days)
        if lam[-1].sum() > 0:
            blast[cd + 1] = round(planned * lam[-1].sum() / lam.sum() * COST_PER_SIGNUP["email_campaign"], 2)
        spend["email_campaign"] = blast
        self.spend = spend

    def _draw_founders(self, n: int) -> _Users:
        rng = self.rng
        lam = self.lam
        cells = _cat(rng, lam.ravel(), n)
        row, day = np.divmod(cells, self.days)
        blast = row == len(CHANNELS)
        channel = np.where(blast, C["email_campaign"], row)
        country = _cat(rng, COUNTRY_SHARE, n)
        offset = (np.array(COUNTRY_UTC_OFFSET_H) * HOUR).astype(np.int64)[country]
        tod = _cat(rng, self.hour_p, n) * HOUR + rng.integers(0, HOUR, n)
        signup_t = day * DAY + np.mod(tod - offset, DAY)
        signup_t = np.minimum(signup_t, self.end_t - 3 * HOUR)
        mix = np.array([TIER_MIX[CHANNELS[c]] for c in range(len(CHANNELS))] + [TIER_MIX["blast"]])
        tier = _cat_rows(rng, mix[row])
        platform = _cat(rng, PLATFORM_SHARE, n)
        minus = np.full(n, -1, np.int64)
        return self._behave(signup_t.astype(np.int64), channel, tier, country, platform, minus, minus,
                            np.zeros(n, np.int64), blast)

    # ------------------------------------------------------------------------------- behaviour

    def _behave(self, signup_t, channel, tier, country, platform, account, inviter, gen, blast) -> _Users:
        """First-week behaviour and fate of new users."""
        rng = self.rng
        n = len(signup_t)
        invitee = inviter >= 0
        act = rng.random(n) < ACT_P[tier]
        a = act.astype(int)
        p_big = BIG_INVITER_P[a, tier] * np.where(invitee, 0.3, 1.0)
        big = rng.random(n) < p_big
        small = _cat_rows(rng, SMALL_INVITES_P[a])
        n_big = 3 + _cat(rng, BIG_INVITES_P, n)
        # A few team leads roll the tool out to their whole team in the first week.
        rollout = rng.random(n) < ROLLOUT_P
        n_big = np.where(rollout, rng.integers(12, 40, n), n_big)
        n_inv7 = np.where(big, n_big, small)
        n_tc7 = np.where(act, P.activation_tasks + rng.poisson(3.5, n), _cat(rng, (0.5, 0.3, 0.2), n))
        inv_group = np.minimum(np.maximum(n_inv7 - 1, 0), 2)  # 0-1 -> 0, 2 -> 1, 3+ -> 2
        p_stay = STAY_P[a, inv_group] * np.where(tier == 0, 0.1, 1.0)
        rel = P.android_release * DAY
        is_android = platform == PLATFORMS.index("android")
        p_stay = p_stay * np.where(is_android & (signup_t >= rel), 0.15, 1.0)
        stayer = rng.random(n) < p_stay
        alive_end = signup_t + (rng.exponential(STAYER_MEAN_LIFE_WEEKS, n) * WEEK).astype(np.int64)
        # Android users already there when 5.0 ships: a quarter give up within weeks, about a third move
        # to the web app (their later sessions are on web), the rest carry on.
        u = rng.random(n)
        pre = is_android & (signup_t < rel)
        fate = np.where(pre & (u < 0.25), 1, np.where(pre & (u < 0.60), 2, 0))
        quit_t = rel + (rng.exponential(12.0, n) * DAY).astype(np.int64)
        alive_end = np.where(fate == 1, np.minimum(alive_end, quit_t), alive_end)
        engage = rng.gamma(4.0, 0.25, n)
        nu = rng.gamma(2.0, 1.1, n)
        launch = P.ai_launch * DAY
        adopt = rng.random(n) < AI_ADOPT_P
        adopt_t = np.maximum(signup_t, launch) + (rng.exponential(AI_ADOPT_MEAN_DAYS, n) * DAY).astype(np.int64)
        adopt_t = np.where(adopt, adopt_t, np.iinfo(np.int64).max // 4)
        return _Users(signup_t=signup_t, channel=channel, tier=tier, country=country, platform=platform,
                      account=account, inviter=inviter, gen=gen, act=act, n_tc7=n_tc7.astype(np.int64),
                      n_inv7=n_inv7.astype(np.int64), stayer=stayer, alive_end=alive_end, engage=engage,
                      nu=nu, adopt_t=adopt_t, android_fate=fate, blast=blast)

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
        body_sess = np.concatenate(parts_sess)
        body_code = np.concatenate(parts_code)
        n_inv_sess = np.bincount(body_sess[body_code == E["invite_sent"]], minlength=n_s)

        # Composite units: workflows (started -> completed / failed / nothing) and AI suggestions.
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
            u = self._stratified_uniforms(plat[hit], s["t"][hit])
            out = np.where(u < fail_p, E["workflow_failed"],
                           np.where(u < fail_p + WF_ABANDON_P, -1, E["workflow_completed"]))
            dur = np.clip(_lognormal(rng, median, 0.55, len(hit)), 3, 900)
            dur = np.where(out == E["workflow_failed"], dur * 0.8, dur)
            wf_sess.append(hit)
            wf_code.append(np.full(len(hit), w, np.int64))
            wf_out.append(out)
            wf_dur.append(dur.astype(np.int64) + 1)
        wf_sess = np.concatenate(wf_sess)
        wf_code = np.concatenate(wf_code)
        wf_out = np.concatenate(wf_out)
        wf_dur = np.concatenate(wf_dur)

        ai_ok = (s["t"] >= users.adopt_t[lu]) & (s["version"] >= V["4.12"])
        n_ai = np.where(ai_ok & (rng.random(n_s) < AI_SESSION_P), 1 + rng.poisson(0.9, n_s), 0)
        ai_sess = _repeat(n_s, n_ai)
        u = rng.random(len(ai_sess))
        ai_out = np.where(u < AI_ACCEPT_P, E["ai_suggestion_accepted"],
                          np.where(u < AI_ACCEPT_P + AI_EDIT_P, E["ai_suggestion_edited"], -1))
        ai_dur = np.where(ai_out == E["ai_suggestion_edited"], rng.integers(20, 180, len(ai_sess)),
                          rng.integers(3, 40, len(ai_sess)))

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
        return dict(sess=np.concatenate(ev_sess), off=np.concatenate(ev_off),
                    code=np.concatenate(ev_code).astype(np.int64), wf=np.concatenate(ev_wf).astype(np.int64))

    def _stratified_uniforms(self, group, t, block: int = 20):
        """Uniform numbers for outcome draws, stratified in blocks of ``block`` consecutive items (by
        ``group``, then time): each block holds one value from each 1/block slice of [0, 1), in random
        order. Every item is still a coin toss, but a rate over any period or platform lands within a
        fraction of a point of its true value, so "unchanged" workflows read as unchanged."""
        rng = self.rng
        n = len(t)
        order = np.lexsort((t, group))
        blk = np.arange(n) // block
        sizes = np.bincount(blk) if n else np.zeros(0, np.int64)
        shuffled = np.lexsort((rng.random(n), blk))          # random order inside each block
        rank = np.empty(n, np.int64)
        rank[shuffled] = _within(sizes)
        u = np.empty(n)
        u[order] = (rank + rng.random(n)) / sizes[blk]
        return u

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

    # --------------------------------------------------------------------------------- cascade

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
               "sess": sess.astype(np.int32)}
        inv = out["code"] == E["invite_sent"]
        return s, out, (out["user"][inv].astype(np.int64), out["t"][inv].astype(np.int64))

    def _invitees(self, users_all_account, users_all_gen, users_all_country, inviter, t_inv, acc_size):
        """The next generation: invites that are accepted (about 30%) become new users in the inviter's
        account, signing up minutes to days later. ``acc_size`` (users per account) is updated."""
        rng = self.rng
        n = len(inviter)
        accepted = rng.random(n) < INVITE_ACCEPT_P
        fast = rng.random(n) < 0.7
        lag = np.where(fast, rng.exponential(0.6 * HOUR, n), rng.exponential(1.5 * DAY, n)).astype(np.int64) + 60
        signup_t = t_inv + lag
        ok = accepted & (signup_t < self.end_t - 3 * HOUR)
        inviter, signup_t = inviter[ok], signup_t[ok]
        account = users_all_account[inviter]
        order = np.lexsort((signup_t, account))
        inviter, signup_t, account = inviter[order], signup_t[order], account[order]
        # Teams are capped: an account accepts invites (in time order) until it has 30 users.
        counts = np.unique(account, return_counts=True)[1]
        rank = _within(counts)
        room = rank < MAX_ACCOUNT_USERS - acc_size[account]
        inviter, signup_t, account = inviter[room], signup_t[room], account[room]
        np.add.at(acc_size, account, 1)
        m = len(inviter)
        country = np.where(rng.random(m) < 0.9, users_all_country[inviter], _cat(rng, COUNTRY_SHARE, m))
        tier = _cat(rng, TIER_MIX["referral"], m)
        platform = _cat(rng, PLATFORM_SHARE, m)
        users = self._behave(signup_t, np.full(m, C["referral"]), tier, country, platform, account, inviter,
                             users_all_gen[inviter] + 1, np.zeros(m, bool))
        return users

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

    # ------------------------------------------------------------------------------------- run

    def run(self):
        self._acquisition()
        state = dict(users=[], sessions=[], events=[], n_users=0, acc_size=np.zeros(0, np.int64))
        n_f = max(1, int(round(self.n_target * FOUNDER_SHARE)))
        self._cascade(self._draw_founders(n_f), state)
        for _ in range(50):
            if state["n_users"] >= self.n_target:
                break
            per_founder = state["n_users"] / max(1, len(state["acc_size"]))
            need = self.n_target - state["n_users"]
            self._cascade(self._draw_founders(max(1, int(math.ceil(need / per_founder)))), state)
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

    # ------------------------------------------------------------------------------- finish

    def _finish(self, users: _Users, keep_user, sess, ev):
        """Number users, accounts and sessions; add money, the spike and surveys; sort the events.

        The big event arrays are touched as few times as possible: kept rows and the final order are
        found with one sort key, then each column is gathered once.
        """
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
        n_users = len(users)

        # Sessions of kept users, sorted by (user, start).
        sk = keep_user[sess["user"]]
        kept = np.nonzero(sk)[0]
        s_user = new_of_old[sess["user"][kept]]
        order = np.lexsort((sess["t"][kept], s_user))
        kept = kept[order]
        self.sess = {key: v[kept] for key, v in sess.items()}
        self.sess["user"] = s_user[order]
        sess_map = np.full(len(sk), -1, np.int64)
        sess_map[kept] = np.arange(len(kept))

        # Base events (in sessions); rows of dropped users get user -1 and sort to the end.
        base_user = new_of_old.astype(np.int32)[ev["user"]]
        base = {"t": ev["t"], "user": base_user, "code": ev["code"], "wf": ev["wf"],
                "sess": sess_map.astype(np.int32)[ev["sess"]]}
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
        ubits = max(1, int(n_users).bit_length())

        def sort_key(t, u, c):
            return (t.astype(np.int64) << (ubits + 5)) | (u.astype(np.int64) << 5) | _EVENT_RANK[c]

        kb = sort_key(base["t"], base["user"], base["code"])
        if n_drop:
            kb[dropped] = np.iinfo(np.int64).max
        key = np.concatenate([kb, sort_key(x["t"], x["user"], x["code"])])
        del kb
        o = np.argsort(key, kind="stable")[:len(key) - n_drop]
        del key
        nb = len(base["t"])
        from_x = o >= nb
        xi = o[from_x] - nb

        def gather(name, fill, dtype):
            extra_col = x[name] if name in x else np.full(len(x["t"]), fill)
            col = np.concatenate([base[name], extra_col.astype(base[name].dtype)])
            return col[o].astype(dtype, copy=False)

        out = {"t": gather("t", 0, np.int64), "user": gather("user", 0, np.int64),
               "code": gather("code", 0, np.int8), "wf": gather("wf", -1, np.int8),
               "sess": gather("sess", -1, np.int64)}
        del base
        out["revenue"] = np.full(len(o), np.nan)
        out["revenue"][from_x] = x["revenue"][xi]
        # Columns derived from the session, the user and the account, now that rows are in order.
        no_s = np.nonzero(out["sess"] < 0)[0]           # billing rows: no session
        s_ok = np.maximum(out["sess"], 0)
        out["platform"] = self.sess["platform"].astype(np.int8)[s_ok]
        out["platform"][no_s] = users.platform[out["user"][no_s]]
        out["version"] = self.sess["version"].astype(np.int8)[s_ok]
        out["version"][no_s] = -1
        out["inviter"] = np.full(len(o), -1, np.int64)
        accepted = np.nonzero(out["code"] == E["invite_accepted"])[0]
        out["inviter"][accepted] = users.inviter[out["user"][accepted]]
        out["plan"] = self._event_plans(out["user"], out["t"], s_ok, no_s)
        # Session ids by (start, user).
        so = np.lexsort((self.sess["user"], self.sess["t"]))
        sid = np.empty(len(so), np.int64)
        sid[so] = np.arange(len(so))
        out["sess"] = sid[s_ok]
        out["sess"][no_s] = -1
        self.ev = out
        self.n_sessions = len(so)

    # ---------------------------------------------------------------------------- money

    def _first_session_at(self, user, t):
        """Index of ``user``'s first session starting at or after ``t`` (-1 if none)."""
        su, st = self.sess["user"], self.sess["t"]
        key = su * (np.int64(1) << 36) + st
        q = user * (np.int64(1) << 36) + t
        i = np.searchsorted(key, q, side="left")
        ok = (i < len(su))
        ok &= su[np.minimum(i, len(su) - 1)] == user
        return np.where(ok, i, -1)

    def _subscriptions(self):
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
        # Cancellation: a monthly hazard, or the owner leaving (cancels in their last session).
        hazard = np.where(social[acc], 0.30, 0.015) * np.where(tier[acc] == 0, 5.0, 1.0)
        hz_t = start + (rng.exponential(1.0, len(acc)) / hazard * 30.44 * DAY).astype(np.int64)
        leaver_gone = ~stay[acc] & (last_sess[o] < self.end_t - 28 * DAY)
        stayer_gone = stay[acc] & (users.alive_end[o] < self.end_t)
        owner_end = np.where(leaver_gone | stayer_gone, last_sess[o], np.iinfo(np.int64).max // 4)
        hz_s = self._first_session_at(o, hz_t)
        by_hazard = (hz_t < owner_end) & (hz_s >= 0)
        cancel_t = np.where(by_hazard, st[np.maximum(hz_s, 0)] + 90,
                            np.where(owner_end < self.end_t, np.maximum(owner_end, start - 30) + 120,
                                     np.iinfo(np.int64).max // 4))
        cancel_t = np.maximum(cancel_t, start + 60)
        cancel_t = np.where(cancel_t < self.end_t, cancel_t, np.iinfo(np.int64).max // 4)
        cancel_s = np.where(by_hazard, hz_s, np.where(cancel_t < self.end_t, self._last_session_of(o), -1))
        # Plan changes: at most one upgrade and one downgrade, each in one of the owner's sessions.
        up_rate = np.where(social[acc], 0.01, 0.05) * (1 + 0.1 * np.minimum(sz - 1, 10))
        down_rate = np.where(social[acc], 0.06, 0.02)
        ch_t, ch_s = [], []
        for rate in (up_rate, down_rate):
            t = start + (rng.exponential(1.0, len(acc)) / rate * 30.44 * DAY).astype(np.int64)
            s_i = self._first_session_at(o, t)
            t_ev = np.where(s_i >= 0, st[np.maximum(s_i, 0)] + 75, np.iinfo(np.int64).max // 4)
            ok = (s_i >= 0) & (t_ev < cancel_t) & (t_ev < self.end_t) & (t_ev > start)
            ch_t.append(np.where(ok, t_ev, np.iinfo(np.int64).max // 4))
            ch_s.append(s_i)
        first_up = ch_t[0] <= ch_t[1]
        t1 = np.where(first_up, ch_t[0], ch_t[1])
        t2 = np.where(first_up, ch_t[1], ch_t[0])
        s1 = np.where(first_up, ch_s[0], ch_s[1])
        s2 = np.where(first_up, ch_s[1], ch_s[0])
        d1 = np.where(first_up, 1, -1)
        d2 = -d1
        never = np.iinfo(np.int64).max // 4
        plan1 = plan0 + np.where(t1 < never, d1, 0)
        bad1 = (plan1 < 1) | (plan1 > 3)
        t1 = np.where(bad1, never, t1)
        plan1 = np.where(bad1, plan0, plan1)
        plan2 = plan1 + np.where(t2 < never, d2, 0)
        bad2 = (plan2 < 1) | (plan2 > 3)
        t2 = np.where(bad2, never, t2)
        plan2 = np.where(bad2, plan1, plan2)
        # The account's plan timeline: (account, time from which it holds, plan).
        # A cancellation takes effect just after its own event, whose row still shows the old plan.
        a = np.concatenate([acc, acc, acc, acc])
        t = np.concatenate([start, t1, t2, cancel_t + 1])
        p = np.concatenate([plan0, plan1, plan2, np.zeros(len(acc), np.int64)])
        ok = t < self.end_t
        a, t, p = a[ok], t[ok], p[ok]
        o2 = np.lexsort((t, a))
        self.plan_a, self.plan_t, self.plan_p = a[o2], t[o2], p[o2]
        # Monthly payments on the billing day (capped at the 28th), from the start until cancellation.
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
        plan_pay = np.where(pt >= t2[pa_i], plan2[pa_i], np.where(pt >= t1[pa_i], plan1[pa_i], plan0[pa_i]))
        price = np.array(PLAN_PRICES)

        out_t, out_u, out_c, out_s, out_rev = [], [], [], [], []

        def emit(times, user, code, sess_i, rev=None):
            out_t.append(times)
            out_u.append(user)
            out_c.append(np.broadcast_to(np.asarray(code, np.int64), times.shape))
            out_s.append(sess_i)
            out_rev.append(np.full(len(times), np.nan) if rev is None else rev)

        emit(start, o, E["subscription_started"], si)
        emit(pt, o[pa_i], E["payment"], np.full(len(pt), -1), price[plan_pay])
        for tt, ss, dd in ((t1, s1, d1), (t2, s2, d2)):
            ok = tt < self.end_t
            emit(tt[ok], o[ok], np.where(dd[ok] > 0, E["plan_upgraded"], E["plan_downgraded"]), ss[ok])
        ok = cancel_t < self.end_t
        emit(cancel_t[ok], o[ok], E["subscription_cancelled"], cancel_s[ok])
        t = np.concatenate(out_t)
        u = np.concatenate(out_u)
        code = np.concatenate(out_c).astype(np.int64)
        s_i = np.concatenate(out_s).astype(np.int64)
        plat = np.where(s_i >= 0, self.sess["platform"][np.maximum(s_i, 0)], users.platform[u])
        ver = np.where(s_i >= 0, self.sess["version"][np.maximum(s_i, 0)], -1)
        return dict(t=t, user=u, code=code, wf=np.full(len(t), -1), sess=s_i, inviter=np.full(len(t), -1),
                    revenue=np.concatenate(out_rev), platform=plat, version=ver)

    def _last_session_of(self, user):
        """Index of ``user``'s last session (sessions are sorted by user, then start)."""
        return np.searchsorted(self.sess["user"], user, side="right") - 1

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

    # ---------------------------------------------------------------------------- surveys

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
            out["survey"].append(np.full(n, ("nps", "csat", "ces").index(kind)))
            out["score"].append(score.astype(np.int64))
            out["platform"].append(s["platform"][hit])
            out["plan"].append(plan)
        out = {key: np.concatenate(v) for key, v in out.items()}
        key = (out["t"] << 24) | (out["user"] << 2) | out["survey"]
        o = np.argsort(key, kind="stable")
        return {key2: v[o] for key2, v in out.items()}

    # ------------------------------------------------------------------------------- tables

    def tables(self) -> dict[str, pa.Table]:
        ev, users = self.ev, self.users
        n_users = len(users)
        uw = max(6, len(str(n_users)))
        aw = max(5, len(str(len(self.owner))))
        sw = max(7, len(str(self.n_sessions)))
        # Strings are built as large_string (what pandas' str dtype holds, so the DataFrames need no copy);
        # Parquet stores them as ordinary strings and reads them back as ``string``.
        user_ids = pa.array([f"u{i + 1:0{uw}d}" for i in range(n_users)], pa.large_string())
        acc_ids = pa.array([f"a{i + 1:0{aw}d}" for i in range(len(self.owner))], pa.large_string())

        def dict_col(idx, names):
            """Strings ``names[idx]`` (null where idx < 0)."""
            idx = np.asarray(idx)
            mask = idx < 0
            names = names if isinstance(names, pa.Array) else pa.array(names, pa.large_string())
            small = np.int8 if len(names) < 128 else np.int32
            indices = pa.array(np.maximum(idx, 0).astype(small), mask=mask if mask.any() else None)
            # The system allocator reuses freed pages; in small VMs that is much faster than fresh ones.
            return pc.take(names, indices, memory_pool=pa.system_memory_pool())

        epoch_us = self.start.astype("datetime64[us]").astype(np.int64)
        ts_type = pa.timestamp("us", tz="UTC")

        def ts(t):
            return pa.array(t.astype(np.int64) * 1_000_000 + epoch_us, ts_type)

        numbers = pa.array(np.arange(1, self.n_sessions + 1, dtype=np.int64)).cast(pa.large_string())
        sess_ids = pc.binary_join_element_wise(pa.scalar("s", pa.large_string()), pc.utf8_lpad(numbers, sw, "0"),
                                               pa.scalar("", pa.large_string()))
        events = pa.table({
            "user_id": dict_col(ev["user"], user_ids),
            "account_id": dict_col(users.account[ev["user"]], acc_ids),
            "timestamp": ts(ev["t"]),
            "event": dict_col(ev["code"], EVENTS),
            "session_id": dict_col(ev["sess"], sess_ids),
            "platform": dict_col(ev["platform"], PLATFORMS),
            "country": dict_col(users.country[ev["user"]], COUNTRIES),
            "plan": dict_col(ev["plan"], PLANS),
            "channel": dict_col(users.channel[ev["user"]], CHANNELS),
            "revenue": pa.array(ev["revenue"], pa.float64(), mask=np.isnan(ev["revenue"])),
            "workflow": dict_col(ev["wf"], WORKFLOWS),
            "inviter_id": dict_col(ev["inviter"], user_ids),
            "app_version": dict_col(ev["version"], VERSIONS),
        })
        sv = self.surveys
        surveys = pa.table({
            "user_id": dict_col(sv["user"], user_ids),
            "timestamp": ts(sv["t"]),
            "survey": dict_col(sv["survey"], ("nps", "csat", "ces")),
            "score": pa.array(sv["score"], pa.int64()),
            "platform": dict_col(sv["platform"], PLATFORMS),
            "country": dict_col(users.country[sv["user"]], COUNTRIES),
            "plan": dict_col(sv["plan"], PLANS),
        })
        dates, chans, amounts = [], [], []
        for ch in PAID_CHANNELS:
            day = np.nonzero(self.spend[ch] > 0)[0]
            dates.append(day)
            chans.append(np.full(len(day), PAID_CHANNELS.index(ch)))
            amounts.append(self.spend[ch][day])
        d = np.concatenate(dates)
        c = np.concatenate(chans)
        a = np.concatenate(amounts)
        rank = np.argsort(np.argsort(np.array(PAID_CHANNELS)))
        order = np.lexsort((rank[c], d))
        d, c, a = d[order], c[order], a[order]
        start_days = self.start.astype(np.int64)
        spend = pa.table({
            "date": pa.array((d + start_days).astype(np.int32), pa.date32()),
            "channel": dict_col(c, PAID_CHANNELS),
            "amount": pa.array(a, pa.float64()),
        })
        return {"events": events, "surveys": surveys, "spend": spend}

    # ------------------------------------------------------------------------------- truth

    def truth(self) -> dict:
        """Planted parameters and the figures realised in the generated arrays (see data/README.md)."""
        return _Truth(self).build()


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
        sim = self.sim
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
                           "sessions": int(sim.n_sessions)},
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
        }


# ------------------------------------------------------------------------------------------ public API

def _run(users: int, seed: int, start: str, days: int) -> _Sim:
    sim = _Sim(users, seed, start, days)
    sim.run()
    return sim


def simulate(users: int = SAMPLE_USERS, seed: int = SAMPLE_SEED, start: str = "2025-01-01",
             days: int = 365) -> dict[str, pd.DataFrame]:
    """Simulate the Taskfolio sample product.

    Parameters
    ----------
    users : int
        Exact number of users (people who sign up) in the data.
    seed : int
        Seed of the ``numpy.random.Generator(PCG64(seed))`` that drives everything: the same seed gives
        the same tables.
    start : str
        First day (UTC) of the data, ``YYYY-MM-DD``. The planted dates are day offsets from it
        (1 July is ``start + 181 days``); weekly dates are moved back to a Monday.
    days : int
        Length of the data window in days (at least 28). Findings whose dates fall outside it are
        simply not planted.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``"events"`` (one row per event: ``user_id, account_id, timestamp, event, session_id, platform,
        country, plan, channel, revenue, workflow, inviter_id, app_version``), ``"surveys"``
        (``user_id, timestamp, survey, score, platform, country, plan``) and ``"spend"``
        (``date, channel, amount``). Timestamps are time-zone-aware UTC; rows are sorted by
        (timestamp, user_id, event). :func:`truth` gives the planted and realised figures.

    Examples
    --------
    >>> tables = simulate(users=300, seed=1)
    >>> sorted(tables)
    ['events', 'spend', 'surveys']
    >>> tables["events"]["user_id"].nunique()
    300
    >>> bool(tables["events"].groupby("user_id")["event"].first().eq("signup").all())
    True
    """
    sim = _run(users, seed, start, days)
    return {name: table.to_pandas() for name, table in sim.tables().items()}


def truth(users: int = SAMPLE_USERS, seed: int = SAMPLE_SEED, start: str = "2025-01-01",
          days: int = 365) -> dict:
    """The planted parameters and realised figures of a simulation (the content of ``truth.json``).

    Same arguments as :func:`simulate` (it runs the same simulation again; :func:`write_sample` gets the
    tables and the truth from one run). Every realised figure is computed from the generated arrays with
    plain numpy; the exact definitions are in ``data/README.md``.

    Returns
    -------
    dict
        JSON-ready: ``seed``, ``users``, ``accounts``, ``start``, ``end``, ``days``, ``row_counts``, one
        key per planted finding (``magic_number``, ``cheap_cac_channel``, ``holiday_spike``,
        ``campaign_cohort``, ``release_collapse``, ``vanity_candidate``, ``activated_plateau``,
        ``task_success_release``, ``nps_segment``, ``ai_assistant``) and ``revenue``.

    Examples
    --------
    >>> t = truth(users=300, seed=1)
    >>> t["users"], t["magic_number"]["threshold"], t["cheap_cac_channel"]["channel"]
    (300, 3, 'paid_social')
    """
    return _run(users, seed, start, days).truth()


#: Rows per Parquet row group: fixed, so the files do not depend on the machine.
ROW_GROUP_SIZE = 1 << 20


def write_sample(out_dir, users: int = SAMPLE_USERS, seed: int = SAMPLE_SEED) -> dict:
    """Simulate and write ``events.parquet``, ``surveys.parquet``, ``spend.parquet`` and ``truth.json``.

    The files are byte-for-byte the same for the same ``users`` and ``seed`` (with the same numpy and
    pyarrow versions): one seeded generator, rows in a fixed order, zstd compression with a fixed
    row-group size, no time-of-writing metadata, JSON with sorted keys.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write into (created if missing); existing files of these names are replaced.
    users, seed : int
        As in :func:`simulate`. The bundled sample is ``users=20_000, seed=7``.

    Returns
    -------
    dict
        The truth dictionary written to ``truth.json`` (``truth["row_counts"]["events"]`` etc.).

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     t = write_sample(d, users=300, seed=1)
    ...     sorted(os.listdir(d))
    ['events.parquet', 'spend.parquet', 'surveys.parquet', 'truth.json']
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sim = _run(users, seed, "2025-01-01", 365)
    for name, table in sim.tables().items():
        path = out / f"{name}.parquet"
        tmp = out / f".{name}.parquet.tmp"
        # Sorted timestamps compress best as deltas; every other column is dictionary-encoded.
        timestamps = [c for c in table.column_names if pa.types.is_timestamp(table.schema.field(c).type)]
        pq.write_table(table, tmp, compression="zstd", compression_level=9, row_group_size=ROW_GROUP_SIZE,
                       use_dictionary=[c for c in table.column_names if c not in timestamps],
                       column_encoding={c: "DELTA_BINARY_PACKED" for c in timestamps},
                       write_statistics=True, store_schema=False)
        tmp.replace(path)
    result = sim.truth()
    tmp = out / ".truth.json.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(result, fh, sort_keys=True, indent=2)
        fh.write("\n")
    tmp.replace(out / "truth.json")
    return result
