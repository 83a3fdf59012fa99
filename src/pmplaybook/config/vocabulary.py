"""The playbook's metric vocabulary: every name a params file may use, with its unit, its direction and
the event roles it needs. Data only; :mod:`pmplaybook.registry` maps each name to the function that
computes it, and the params model checks names against these tables (so a misspelt name fails
``pmplaybook validate`` with "did you mean").

Units: ``share`` (0-1, shown as a percentage), ``points`` (NPS, -100..100), ``ratio``, ``seconds``,
``count``, ``users``, ``accounts`` or a phrase ("per user per week").
"""

from __future__ import annotations

#: Headline KPIs the notebooks record (params ``kpis:`` keys): label, unit, direction, the notebook.
KPIS = {
    "north_star": dict(label="North Star", unit="count", higher_is_better=True, notebook="01_north_star"),
    "magic_number_share": dict(label="Share of new users past the magic number", unit="share",
                               higher_is_better=True, notebook="01_north_star"),
    "week4_retention": dict(label="Week-4 retention", unit="share", higher_is_better=True,
                            notebook="02_cohort_retention"),
    "activated_week4_retention": dict(label="Week-4 retention of activated users", unit="share",
                                      higher_is_better=True, notebook="02_cohort_retention"),
    "dau_mau": dict(label="DAU/MAU", unit="share", higher_is_better=True, notebook="02_cohort_retention"),
    "nps": dict(label="NPS", unit="points", higher_is_better=True, notebook="03_heart"),
    "csat": dict(label="CSAT (share of 4-5)", unit="share", higher_is_better=True, notebook="03_heart"),
    "ces": dict(label="CES (1-7)", unit="mean score (1-7)", higher_is_better=True, notebook="03_heart"),
    "five_day_share": dict(label="Weekly actives active 5+ days", unit="share", higher_is_better=True,
                           notebook="03_heart"),
    "week4_active_retention": dict(label="Weekly actives still active 4 weeks later", unit="share",
                                   higher_is_better=True, notebook="03_heart"),
    "feature_adoption": dict(label="Weekly actives using the feature", unit="share", higher_is_better=True,
                             notebook="03_heart"),
    "ai_acceptance_rate": dict(label="Suggestions accepted / shown", unit="share", higher_is_better=True,
                               notebook="03_heart"),
    "task_completion_rate": dict(label="Task completion rate", unit="share", higher_is_better=True,
                                 notebook="03_heart"),
    "task_error_rate": dict(label="Task error rate", unit="share", higher_is_better=False, notebook="03_heart"),
    "activation_rate": dict(label="Activation rate", unit="share", higher_is_better=True, notebook="04_aarrr"),
    "k_factor": dict(label="K-factor", unit="ratio", higher_is_better=True, notebook="04_aarrr"),
    "ltv_cac": dict(label="LTV/CAC", unit="ratio", higher_is_better=True, notebook="04_aarrr"),
    "net_revenue_retention": dict(label="Net revenue retention", unit="share", higher_is_better=True,
                                  notebook="04_aarrr"),
    "funnel_conversion": dict(label="Journey funnel conversion", unit="share", higher_is_better=True,
                              notebook="04_aarrr"),
    "ai_precision": dict(label="AI precision at the product threshold", unit="share", higher_is_better=True,
                         notebook="06_ai_metrics"),
    "ai_recall": dict(label="AI recall at the product threshold", unit="share", higher_is_better=True,
                      notebook="06_ai_metrics"),
    "ai_latency_p90": dict(label="AI latency, 90th percentile", unit="ms", higher_is_better=False,
                           notebook="06_ai_metrics"),
    "ai_cost_per_1k": dict(label="AI cost per 1,000 predictions", unit="USD", higher_is_better=False,
                           notebook="06_ai_metrics"),
    "ai_acceptance_without_edits": dict(label="AI suggestions accepted without edits", unit="share",
                                        higher_is_better=True, notebook="06_ai_metrics"),
    "ai_coverage": dict(label="AI coverage (predictions answered)", unit="share", higher_is_better=True,
                        notebook="06_ai_metrics"),
}

#: Input and guardrail metrics of the North Star's metric tree (params ``north_star.inputs`` and
#: ``guardrail``), each a weekly series: label, unit, direction and the event roles it needs.
INPUTS = {
    "activation_rate": dict(label="Activation rate", unit="share", higher_is_better=True, needs=("activation",)),
    "week4_retention": dict(label="Week-4 retention", unit="share", higher_is_better=True, needs=()),
    "invites_per_user": dict(label="Invites per active user", unit="ratio", higher_is_better=True,
                             needs=("invite_sent",)),
    "key_actions_per_active_user": dict(label="Core actions per active user", unit="ratio", higher_is_better=True,
                                        needs=("core_action",)),
    "weekly_active_users": dict(label="Weekly active users", unit="users", higher_is_better=True, needs=()),
    "task_error_rate": dict(label="Task error rate", unit="share", higher_is_better=False, needs=("task_failed",)),
    "task_completion_rate": dict(label="Task completion rate", unit="share", higher_is_better=True,
                                 needs=("task_completed",)),
    "paying_accounts": dict(label="Paying accounts", unit="accounts", higher_is_better=True, needs=("payment",)),
}

#: HEART goals-signals-metrics names (params ``heart.<i>.metric``): ``<name>`` or ``<name>:<argument>``,
#: with the unit and what is computed over the trailing window before ``as_of``.
HEART = {
    "nps": dict(unit="points", argument=None, text="Net Promoter Score of the NPS answers in the window (-100..100)"),
    "csat": dict(unit="share", argument=None, text="share of CSAT answers of 4-5 (on 1-5) in the window"),
    "ces": dict(unit="mean score (1-7)", argument=None,
                text="mean CES answer (1-7, higher = easier) in the window"),
    "key_actions_per_active_user": dict(unit="per user per week", argument=None,
                                        text="core-action events per weekly active user, mean over the complete "
                                             "weeks of the window (events.core_action)"),
    "active_days_per_week": dict(unit="days", argument=None,
                                 text="distinct active days per weekly active user (mean over complete weeks)"),
    "five_day_share": dict(unit="share", argument=None,
                           text="share of weekly actives active on 5+ days (complete weeks of the window)"),
    "events_per_session": dict(unit="events", argument=None, text="events per session (needs session_id)"),
    "new_users_per_week": dict(unit="users per week", argument=None,
                               text="mean weekly new users (events.signup) over complete weeks"),
    "feature_adoption": dict(unit="share", argument="required", example="feature_adoption:ai_suggestion_shown",
                             text="share of users active since the feature's launch who used it (cumulative "
                                  "adoption at as_of)"),
    "feature_usage": dict(unit="share", argument="required", example="feature_usage:ai_suggestion_shown",
                          text="share of weekly actives who used the feature (last complete week)"),
    "acceptance_rate": dict(unit="share", argument="two events",
                            example="acceptance_rate:ai_suggestion_shown,ai_suggestion_accepted",
                            text="accepted / shown suggestion events in the window"),
    "week<N>_retention": dict(unit="share", argument=None,
                              text="share of sign-up cohorts active in week N (size-weighted over complete "
                                   "cohorts, N = 1..52)"),
    "week<N>_active_retention": dict(unit="share", argument=None,
                                     text="share of a week's active users still active N weeks later"),
    "task_completion_rate": dict(unit="share", argument="optional",
                                 text="completed / started task attempts in the window (events.task_*), all "
                                      "workflows or one"),
    "task_error_rate": dict(unit="share", argument="optional", text="failed / started task attempts in the window"),
    "time_on_task": dict(unit="seconds", argument="optional",
                         text="median seconds from start to completion in the window"),
}

#: Old names still accepted in params, and the name they now mean.
ALIASES = {"task_failure_rate": "task_error_rate"}

#: Amplitude's North Star checklist plus PMRead's two tests, each scored 1-5 by the team.
CHECKLIST = (
    "customer_value", "strategy", "leading", "actionable", "understandable", "measurable",
    "not_vanity", "winning_test", "everyone_knows",
)

#: The metric stack (PMRead's three levels; Gupta's pyramid; ICAgile's buckets), plus the vanity counts the
#: field sets apart: total sign-ups, page views, downloads, registered users, followers rise with ad spend
#: (PMRead; ProdPad citing Eric Ries; Gupta). They are acquisition volume, not the team's output (activity:
#: features shipped, bugs closed, sprints) and not an outcome.
LEVELS = ("business_outcome", "product_outcome", "activity", "vanity")
#: Known KPI names -> level.
KPI_LEVELS = {
    "revenue": "business_outcome", "mrr": "business_outcome", "arr": "business_outcome",
    "ltv": "business_outcome", "ltv_cac": "business_outcome", "cac": "business_outcome",
    "net_revenue_retention": "business_outcome", "churn": "business_outcome", "nps": "business_outcome",
    "csat": "business_outcome", "ces": "business_outcome", "week4_retention": "business_outcome",
    "renewal_rate": "business_outcome",
    "activation_rate": "product_outcome", "time_to_value": "product_outcome", "dau_mau": "product_outcome",
    "k_factor": "product_outcome", "task_completion_rate": "product_outcome",
    "task_error_rate": "product_outcome", "feature_adoption": "product_outcome",
    "invites_per_user": "product_outcome", "key_actions_per_active_user": "product_outcome",
    "paying_accounts": "business_outcome",
    "signups": "vanity", "page_views": "vanity", "downloads": "vanity",
    "features_shipped": "activity", "bugs_closed": "activity", "velocity": "activity",
}
#: Keyword rules, tried in order when a name is not in :data:`KPI_LEVELS`.
KPI_KEYWORDS = (
    ("activity", ("shipped", "released", "bugs", "sprint", "velocity", "story_point", "deploy", "tickets_closed")),
    ("vanity", ("signup", "sign_up", "page_view", "pageview", "download", "visit", "follower", "registered",
                "impression")),
    ("business_outcome", ("revenue", "mrr", "arr", "ltv", "cac", "churn", "nps", "csat", "retention", "renewal",
                          "profit", "margin")),
    ("product_outcome", ("activation", "adoption", "conversion", "time_to", "engagement", "dau", "wau", "mau",
                         "active", "completion", "failure", "error", "k_factor", "referral", "per_user",
                         "stickiness")),
)
VANITY_WORDS = ("signup", "sign_up", "page_view", "pageview", "download", "registered", "follower", "impression",
                "visit")

#: Share KPIs that may rightly exceed 1: net revenue retention of 1.10 means expansion outgrew churn. Every
#: other KPI of unit ``share`` must have its targets, baselines and key-result targets between 0 and 1.
SHARES_ABOVE_ONE = ("net_revenue_retention",)

#: A counter-metric to watch beside each KPI (params ``kpis.<name>.counter``): the KPI that pushing this
#: one hardest could hurt. Suggestions only, quoted in error messages; a team may pick another.
COUNTER_SUGGESTIONS = {
    "north_star": "nps",
    "magic_number_share": "week4_retention",
    "week4_retention": "nps",
    "activated_week4_retention": "activation_rate",
    "dau_mau": "nps",
    "nps": "week4_retention",
    "csat": "task_completion_rate",
    "ces": "task_completion_rate",
    "five_day_share": "nps",
    "week4_active_retention": "nps",
    "feature_adoption": "ai_acceptance_rate",
    "ai_acceptance_rate": "task_error_rate",
    "task_completion_rate": "task_error_rate",
    "task_error_rate": "task_completion_rate",
    "activation_rate": "week4_retention",
    "k_factor": "nps",
    "ltv_cac": "net_revenue_retention",
    "net_revenue_retention": "csat",
    "funnel_conversion": "week4_retention",
}

#: Kinds of dated event a params file may annotate (``annotations.<i>.kind``); the review draws them on
#: its charts and uses them to explain moves.
ANNOTATION_KINDS = ("release", "campaign", "holiday", "incident", "other")

#: The field's rule of thumb for a weekly review: three to five targeted KPIs per team. More and none
#: gets attention, so params with more targeted KPIs get a warning.
MAX_TARGETED_KPIS = 5
