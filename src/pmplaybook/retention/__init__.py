"""Cohort retention, retention curves and their plateau, activation, stickiness (DAU/MAU), lifecycle and
segment checks. Tables in, tidy frames out; the event-scale work runs in the backend.

- :mod:`.cohorts`: :func:`cohort_retention` (calendar or rolling windows), :func:`retention_curve`,
  :func:`plateau`, :func:`diagonals`.
- :mod:`.activation`: :func:`activated_users`, :func:`activation_rate`, :func:`activated_retention`.
- :mod:`.activity`: :func:`stickiness`, :func:`dau_mau`, :func:`mau_inflation`, :func:`lifecycle`,
  :func:`spike_days`, :func:`spikes`.
- :mod:`.segments`: :func:`segment_breakdown`, :func:`segment_shift`, :func:`outlier_cohorts`,
  :func:`cohort_vs_neighbours`, :func:`around_date`.

The sentences about these tables are in :mod:`pmplaybook.narrative.retention`.
"""

from ..core.calendar import PERIODS, period_start
from ..core.formatting import MISSING
from .activation import activated_retention, activated_users, activation_curves, activation_rate, activation_table
from .activity import dau_mau, dau_mau_interval, lifecycle, mau_inflation, spike_days, spikes, stickiness
from .cohorts import (
                      CURVE_COLUMNS,
                      OUTPUT_COLUMNS,
                      ROLLING_DAYS,
                      Plateau,
                      cohort_retention,
                      compare_curves,
                      curve_rate,
                      diagonals,
                      plateau,
                      recent_cohorts,
                      retention_curve,
)
from .segments import around_date, breakdowns, cohort_vs_neighbours, one_off_cohorts, outlier_cohorts, segment_breakdown, segment_shift, segment_tables

__all__ = [
    "CURVE_COLUMNS", "MISSING", "OUTPUT_COLUMNS", "PERIODS", "ROLLING_DAYS", "Plateau", "activated_retention",
    "activated_users", "activation_curves", "activation_rate", "activation_table", "around_date", "breakdowns",
    "cohort_retention", "cohort_vs_neighbours", "compare_curves", "curve_rate", "dau_mau", "dau_mau_interval",
    "diagonals", "lifecycle", "mau_inflation", "one_off_cohorts", "outlier_cohorts", "period_start", "plateau",
    "recent_cohorts", "retention_curve", "segment_breakdown", "segment_shift", "segment_tables", "spike_days",
    "spikes", "stickiness",
]
