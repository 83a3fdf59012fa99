"""North Star Metric: candidate series, evidence for and against each candidate, the "magic number", the
metric tree's arithmetic and the three-level metric stack.

A North Star is one number for the value customers get from the product; it should lead revenue and
retention, and the team should be able to move it (Amplitude's North Star Playbook; PMRead; Gupta). This
package turns that advice into numbers computed from the event log:

- :mod:`.candidates`: :func:`candidate_series`, :func:`leading_indicator` (AUC of early value for week-8
  activity, Spearman with revenue, bootstrap intervals), :func:`vanity_signal`, :func:`sensitivity` and
  :func:`score_candidates` (the ranking).
- :mod:`.magic`: :func:`magic_number` (retention above vs below each threshold of an early action).
- :mod:`.tree`: the trend arithmetic of the metric tree (built by :func:`pmplaybook.registry.metric_tree`).
- :mod:`.stack`: :func:`classify_kpis` / :func:`metric_stack_warnings`.

Engine rule: everything event-scale runs in the backend. What comes back to pandas is per-period series,
the per-threshold table, and one per-unit aggregate frame for the leading-indicator statistics (one row
per user or account with three numbers; :data:`MAX_UNITS` caps it by a deterministic hash sample in the
backend, so a 10M-user log still brings back at most 200,000 rows). The sentences are in
:mod:`pmplaybook.narrative.north_star`.
"""

from .candidates import (
                         MAX_UNITS,
                         TREND_PERIODS,
                         VANITY_PENALTY,
                         WEIGHTS,
                         WINDOWS,
                         candidate_series,
                         candidate_table,
                         complete_periods,
                         leading_indicator,
                         reference_series,
                         score_candidates,
                         sensitivity,
                         unit_outcomes,
                         vanity_signal,
                         winner,
)
from .magic import MIN_USERS, magic_number, magic_number_action, outcome_week
from .stack import checklist_table, classify_kpis, metric_stack_warnings
from .tree import default_inputs, trend, weekly_counts

__all__ = [
    "MAX_UNITS", "MIN_USERS", "TREND_PERIODS", "VANITY_PENALTY", "WEIGHTS", "WINDOWS", "candidate_series",
    "candidate_table", "checklist_table", "complete_periods", "classify_kpis", "default_inputs", "leading_indicator",
    "magic_number", "magic_number_action", "metric_stack_warnings", "outcome_week", "reference_series",
    "score_candidates", "sensitivity", "trend", "unit_outcomes", "vanity_signal", "weekly_counts", "winner",
]
