"""HEART (Rodden, Hutchinson & Fu, CHI 2010): happiness, engagement, adoption, retention and task success.

Each letter has functions taking the canonical event log (or the survey table) plus the event names that
play a role, returning a small tidy DataFrame. Event-scale work (per-user, per-attempt tables) runs in the
backend as ibis expressions; only aggregates (one row per period, segment, workflow...) become pandas.

Conventions
-----------
* Periods are calendar days / weeks / months in the team's ``timezone`` (weeks start on ``week_start``);
  the ``period`` column holds the local start of the period (a naive Timestamp).
* ``as_of`` is a local date, the first day *not* covered (default: the first local day the events do not
  cover completely, :func:`pmplaybook.core.calendar.default_as_of`). Events and answers at or after it are
  ignored; a period that had not ended by then has ``complete = False``
  and per-user averages that a partial period would bias (engagement) are NaN there, never too low.
* Every rate carries a 95% interval (Wilson for shares, the multinomial interval for NPS, a t interval for
  a mean) and a ``small_sample`` flag: fewer than :data:`MIN_RESPONSES` answers / users is too few to
  read.
* Comparisons (latest period vs the previous one, a segment vs the rest, before vs after a date) say
  whether the change is larger than its noise (the 95% interval of the difference excludes 0).

Modules: :mod:`.happiness`, :mod:`.engagement`, :mod:`.adoption`, :mod:`.retention`, :mod:`.tasks`. The
goals-signals-metrics table is computed by :func:`pmplaybook.registry.goals_signals_metrics`; the
sentences are in :mod:`pmplaybook.narrative.heart`.
"""

from ..core.calendar import PERIODS
from ..core.formatting import MISSING
from .adoption import (
                       adoption_depth,
                       feature_adoption,
                       main_feature,
                       new_users,
                       suggestion_acceptance,
                       suggestion_events,
)
from .engagement import engagement, engagement_distribution
from .headline import LOG_WEEKS, SURVEY_WEEKS, log_kpis, recent_window, survey_kpis
from .happiness import (
                       MIN_RESPONSES,
                       SURVEYS,
                       ces,
                       csat,
                       detractor_concentration,
                       happiness_by_segment,
                       happiness_gaps,
                       happiness_trend,
                       has_survey,
                       nps,
                       survey_segments,
)
from .retention import active_retention, new_user_retention, pooled_rate, segment_gaps
from .tasks import (
                       ALL,
                       change_view,
                       only,
                       task_attempts,
                       task_gaps,
                       task_change,
                       task_segment,
                       task_shift,
                       task_success,
                       task_time_shift,
                       top_change,
                       workflow_problem,
)

__all__ = [
    "ALL", "LOG_WEEKS", "MIN_RESPONSES", "SURVEY_WEEKS", "log_kpis", "recent_window", "survey_kpis", "MISSING", "PERIODS", "SURVEYS", "active_retention", "adoption_depth", "ces",
    "change_view", "csat", "detractor_concentration", "engagement", "engagement_distribution",
    "feature_adoption", "happiness_by_segment", "happiness_gaps", "happiness_trend", "has_survey", "main_feature",
    "new_user_retention", "new_users", "nps", "only", "pooled_rate", "segment_gaps", "suggestion_acceptance",
    "suggestion_events", "survey_segments", "task_attempts", "task_gaps", "task_change", "task_segment", "task_shift",
    "task_success", "task_time_shift", "top_change", "workflow_problem",
]
