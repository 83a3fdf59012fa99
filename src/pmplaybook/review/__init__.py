"""The weekly KPI review: KPIs as series of complete periods (:mod:`.series`), Wheeler's process limits
that tell a signal from noise (:mod:`.limits`), the Weekly Business Review's six-weeks-and-twelve-months
view (:mod:`.wbr`), and the team's scorecard, what explains a change, and OKR progress (:mod:`.scorecard`).

It sits above :mod:`pmplaybook.registry` and the metric packages: a review composes named KPIs.
"""

from .limits import process_limits
from .scorecard import (contribution, episodes, latest_signal, okr_progress, pooled, process_view, recent, scorecard,
                        status, wbr_view)
from .series import NOT_A_SERIES, SERIES, kpi_series
from .wbr import six_twelve

__all__ = ["NOT_A_SERIES", "SERIES", "contribution", "episodes", "kpi_series", "latest_signal", "okr_progress", "pooled",
           "process_limits", "process_view", "recent", "scorecard", "six_twelve", "status", "wbr_view"]
