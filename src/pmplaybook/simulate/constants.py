"""The numbers behind the sample product: its vocabulary, the planted findings and the behaviour tables.

Three kinds of constants live here:

* the product's vocabulary (event, channel, plan, platform, country, workflow and version names), whose
  positions are the integer codes used in every array of the simulation;
* the release calendar and :data:`P`, the dates and sizes of the planted findings;
* the behaviour tables: the probabilities and rates that shape users, sessions, billing and surveys.

Changing any of them changes the bundled sample in ``data/``: regenerate it (see ``data/README.md``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Seed and size of the bundled sample in ``data/``.
SAMPLE_SEED = 7
SAMPLE_USERS = 20_000

# ---------------------------------------------------------------------------------- vocabulary
# Times inside the simulation are integer seconds since 00:00 UTC of the start day.
DAY = 86_400
WEEK = 7 * DAY
HOUR = 3_600
#: A time after the end of any data: "does not happen" (kept small enough to add to without overflow).
NEVER = np.iinfo(np.int64).max // 4

# Each name's position in its tuple is its integer code in the arrays; E, C, W and V map name -> code.
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
SURVEYS = ("nps", "csat", "ces")

# Day offsets from the start (2025-01-01) of each release, per platform; 4.8 is what users had before.
RELEASES = {
    "web": ((-60, "4.8"), (47, "4.9"), (103, "4.10"), (159, "4.11"), (181, "4.12"), (215, "5.0"),
            (257, "5.1"), (313, "5.2")),
    "ios": ((-60, "4.8"), (110, "4.10"), (181, "4.12"), (215, "5.0"), (320, "5.2")),
    "android": ((-60, "4.8"), (110, "4.10"), (181, "4.12"), (215, "5.0"), (320, "5.2")),
}


# ---------------------------------------------------------------------------------- planted findings

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

# When sessions and sign-ups happen: relative weight of each local hour and weekday, and holidays
# (month, day), which get 35% of a normal day's sessions.
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

# The AI assistant: share of users who ever adopt it, mean days from launch (or sign-up) to adoption,
# chance that an adopter's session shows suggestions, and the accepted / edited shares of suggestions.
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

# The AI assistant's prediction log (``predictions.parquet``): one row per model call, drawn after the run
# from its own random stream, so the event log does not change. Outcomes of shown suggestions without an
# accepted / edited event: rejected, overridden (the user typed their own answer), ignored.
AI_THRESHOLD = 0.5                                    # the product shows a suggestion when score >= this
AI_REST_OUTCOMES = ("rejected", "overridden", "ignored")
AI_REST_P = (0.35, 0.15, 0.50)
AI_OUTCOMES = ("accepted", "edited", *AI_REST_OUTCOMES)
AI_TRUE_P = (0.88, 0.62, 0.22, 0.30, 0.45)            # P(the suggestion fits | outcome), shown calls
AI_DE_TRUE_FACTOR = 0.70                              # ... times this for DE users under assist-2
AI_HIDDEN_P = 0.70                                    # hidden calls before a shown one: geometric(0.7) - 1
AI_HIDDEN_TRUE_P = 0.30
AI_REVIEW_P = 0.30                                    # share of calls sent to human review
AI_LABEL_MEDIAN_DAYS = 6.0                            # review delay: log-normal, capped at 30 days
AI_LABEL_SIGMA = 0.7
AI_LABEL_MAX_DAYS = 30
AI_MODELS = ("assist-1", "assist-2")
AI_MODEL_FROM = (181, 278)                            # 2025-07-01 (launch), Monday 2025-10-06
AI_LATENCY_MEDIAN_MS = (850.0, 480.0)
AI_LATENCY_SIGMA = 0.35
AI_SLOW_P = 0.03                                      # cold starts: x4 to x8
AI_PRICE_IN = (3.0, 1.0)                              # USD per million input tokens
AI_PRICE_OUT = (15.0, 5.0)                            # USD per million output tokens
AI_INPUT_MEDIAN = 420.0                               # typed prompt tokens (log-normal)
AI_INPUT_SIGMA = 0.25
AI_DICTATED_FACTOR = 2.75                             # dictated prompts are this much longer
AI_INPUT_MODES = ("typed", "dictated")
AI_DICTATED_P = 0.6                                   # share of mobile 5.2+ calls that are dictated
AI_DRIFT_VERSION = "5.2"                              # mobile 5.2: 2025-11-17 (day 320)
AI_OUTPUT_MEDIAN = 75.0
AI_OUTPUT_SIGMA = 0.3
AI_PSI_REFERENCE = (292, 320)                         # the 4 complete weeks before the drift: Oct 20 - Nov 17
AI_PSI_CURRENT = (334, 365)                           # December
