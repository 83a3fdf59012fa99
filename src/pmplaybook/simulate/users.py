"""Who signs up: marketing spend and founder sign-ups, each user's first week and fate, invitees.

A *founder* is a user who arrives on their own (through a marketing channel) and creates an account;
an *invitee* accepts a teammate's invite and joins the inviter's account (channel ``referral``). Every
new user, founder or invitee, draws a latent intent *tier* and then, in :meth:`_UsersMixin._behave`, the
behaviour that drives the planted findings: activation (tasks completed in the first 7 days), invites
sent in the first 7 days, and whether they are a long-lived *stayer* or a *leaver* who fades out.
"""

from __future__ import annotations

import numpy as np

from .constants import (
    ACT_P,
    AD_CHANNELS,
    AI_ADOPT_MEAN_DAYS,
    AI_ADOPT_P,
    BIG_INVITER_P,
    BIG_INVITES_P,
    BLAST_DAY_SHARE,
    BLAST_WEEKS,
    CHANNEL_WEIGHT,
    CHANNELS,
    COST_PER_SIGNUP,
    COUNTRY_SHARE,
    COUNTRY_UTC_OFFSET_H,
    DAY,
    FOUNDER_SHARE,
    HOUR,
    INVITE_ACCEPT_P,
    MAX_ACCOUNT_USERS,
    NEVER,
    PLATFORM_SHARE,
    PLATFORMS,
    ROLLOUT_P,
    SMALL_INVITES_P,
    STAY_P,
    STAYER_MEAN_LIFE_WEEKS,
    TIER_MIX,
    WEEK,
    C,
    P,
)
from .draws import _cat, _cat_rows, _within


class _Users:
    """Column arrays of users (one entry per user).

    ``signup_t`` sign-up time (seconds from the start); ``channel``, ``country``, ``platform`` codes (the
    platform is the user's main one); ``tier`` latent intent 0-3; ``account`` account index; ``inviter``
    index of the user whose invite they accepted (-1 for founders); ``gen`` generation in the invite
    cascade (0 for founders); ``act`` activated (3+ tasks completed in the first 7 days); ``n_tc7`` and
    ``n_inv7`` tasks completed and invites sent in the first 7 days; ``stayer`` the user's fate and
    ``alive_end`` when a stayer churns; ``engage`` and ``nu`` the user's activity level (units per session,
    extra sessions per active week); ``adopt_t`` when they adopt the AI assistant (far future if never);
    ``android_fate`` 0 carries on, 1 quits after Android 5.0, 2 moves to the web app; ``blast`` the
    founder came from the April e-mail blast.
    """

    FIELDS = ("signup_t", "channel", "tier", "country", "platform", "account", "inviter", "gen", "act",
              "n_tc7", "n_inv7", "stayer", "alive_end", "engage", "nu", "adopt_t", "android_fate", "blast")

    def __init__(self, **cols):
        for f in self.FIELDS:
            setattr(self, f, cols[f])

    def __len__(self):
        return len(self.signup_t)

    @classmethod
    def concat(cls, parts):
        """One ``_Users`` holding the users of ``parts`` one after another."""
        return cls(**{f: np.concatenate([getattr(p, f) for p in parts]) for f in cls.FIELDS})

    def take(self, idx):
        """The users at positions ``idx``, in that order."""
        return _Users(**{f: getattr(self, f)[idx] for f in self.FIELDS})


class _UsersMixin:
    """The steps of :class:`~.sim._Sim` that create users.

    Reads the run's ``rng``, ``days``, ``end_t``, ``n_target``, calendar (``day_wd``, ``day_holiday``,
    ``hour_p``, ``start_weekday``, ``campaign_day``); sets ``lam`` (founder intensity per channel and
    day) and ``spend`` (daily spend per paid channel).
    """

    # ----------------------------------------------------------------------------- acquisition

    def _acquisition(self):
        """Daily founder intensity per channel (plus the blast) and the spend that buys it."""
        self.lam = self._founder_intensity()
        self.spend = self._ad_spend(self.lam)

    def _founder_intensity(self):
        """Relative daily rate of founder sign-ups: one row per channel (``CHANNELS`` order; ``referral``
        stays 0, invitees come from the cascade) plus a last row for the April e-mail blast, one column
        per day. The ad channels follow a weekly marketing budget."""
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
        return lam

    def _ad_spend(self, lam):
        """Daily spend (USD) per paid channel, in proportion to the founders ``lam`` expects."""
        rng, days, cd = self.rng, self.days, self.campaign_day
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
        return spend

    def _draw_founders(self, n: int) -> _Users:
        """``n`` founders: channel and day drawn from ``lam``, sign-up at a local working hour, intent
        tier by channel, then their first week and fate (accounts are numbered later, in the cascade)."""
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
        """First-week behaviour and fate of new users: activation and invites (from the intent tier),
        then stayer or leaver (from both), plus churn time, activity level and AI adoption."""
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
        adopt_t = np.where(adopt, adopt_t, NEVER)
        return _Users(signup_t=signup_t, channel=channel, tier=tier, country=country, platform=platform,
                      account=account, inviter=inviter, gen=gen, act=act, n_tc7=n_tc7.astype(np.int64),
                      n_inv7=n_inv7.astype(np.int64), stayer=stayer, alive_end=alive_end, engage=engage,
                      nu=nu, adopt_t=adopt_t, android_fate=fate, blast=blast)

    # ---------------------------------------------------------------------------- invite cascade

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

