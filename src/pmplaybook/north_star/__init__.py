"""North Star Metric: candidate series, evidence for and against each candidate, the "magic number", the
metric tree's arithmetic and the three-level metric stack.

A North Star is one number for the value customers get from the product; it should lead revenue and
retention, and the team should be able to move it (Amplitude's North Star Playbook; PMRead; Gupta). This
package turns that advice into numbers computed from the event log:

- :mod:`.candidates`: :func:`candidate_series`, :func:`leading_indicator` (AUC of early value for week-8
  activity, Spearman with revenue, bootstrap intervals), :func:`vanity_signal`, :func:`sensitivity` and
  :func:`score_candidates` (the ranking).
- :mod:`.magic`: :func:`magic_number` (retention above vs below each threshold of an early action) and
  :func:`recent_share_past` (how many recent sign-ups reach it).
- :mod:`.tree`: the trend arithmetic of the metric tree (built by :func:`pmplaybook.registry.metric_tree`),
  :func:`tree_roles` (one role per metric, consistent with the stack) and :func:`north_star_now` (the
  headline: last complete period, Poisson interval, noise, trend).
- :mod:`.stack`: :func:`metric_level`, :func:`classify_kpis` / :func:`metric_stack_warnings`.

Engine rule: everything event-scale runs in the backend. What comes back to pandas is per-period series,
the per-threshold table, and one per-unit aggregate frame for the leading-indicator statistics (one row
per user or account with three numbers; :data:`MAX_UNITS` caps it by a deterministic hash sample in the
backend, so a 10M-user log still brings back at most 200,000 rows). The sentences are in
:mod:`pmplaybook.narrative.north_star`.
"""

from .candidates import (
                         INVITER_COLUMN,
                         MAX_UNITS,
                         TREND_PERIODS,
                         VANITY_PENALTY,
                         WEIGHTS,
                         WINDOWS,
                         candidate_series,
                         candidate_table,
                         complete_periods,
                         credit_of,
                         leading_indicator,
                         reference_series,
                         score_candidates,
                         sensitivity,
                         unit_outcomes,
                         vanity_signal,
                         winner,
)
from .magic import MIN_USERS, magic_number, magic_number_action, outcome_week, recent_share_past
from .stack import checklist_table, classify_kpis, metric_level, metric_stack_warnings
from .tree import ROLE_REASONS, check_dated_events, dated_weeks, default_inputs, north_star_now, poisson_interval, tree_roles, trend, weekly_counts

__all__ = [
    "INVITER_COLUMN", "ROLE_REASONS", "check_dated_events", "credit_of", "dated_weeks", "metric_level", "north_star_now", "poisson_interval",
    "recent_share_past", "tree_roles",
    "MAX_UNITS", "MIN_USERS", "TREND_PERIODS", "VANITY_PENALTY", "WEIGHTS", "WINDOWS", "candidate_series",
    "candidate_table", "checklist_table", "complete_periods", "classify_kpis", "default_inputs", "leading_indicator",
    "magic_number", "magic_number_action", "metric_stack_warnings", "outcome_week", "reference_series",
    "score_candidates", "sensitivity", "trend", "unit_outcomes", "vanity_signal", "weekly_counts", "winner",
]
