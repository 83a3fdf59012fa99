"""AI product metrics on a model's prediction log (``ds.predictions``, see :func:`pmplaybook.data.load_predictions`).

=================  =====================================================================================
module             what it measures
=================  =====================================================================================
:mod:`.quality`    is the model right: precision, recall and F1 per threshold (:func:`classification`), the
                   threshold for a goal (:func:`choose_threshold`), and per segment (:func:`fairness`)
:mod:`.serving`    what serving it takes: latency percentiles (:func:`latency`), cost (:func:`cost`)
:mod:`.trust`      what users do with it: acceptance, edits, overrides, coverage (:func:`trust`), and what it
                   goes with in the business outcome (:func:`outcome`)
:mod:`.drift`      whether its inputs still look like what it was judged on (:func:`drift`, the PSI)
(headline)         :func:`overview` of a log, :func:`headline_kpis` on a recent window
(helpers)          :func:`recent_window` (the last complete weeks, for headline KPIs), :func:`between`,
                   :func:`label_coverage` (late labels), :func:`versions` (model versions in the log)
=================  =====================================================================================

Every function counts in the backend (per threshold, per score bucket, per period, per segment); only
those aggregates reach pandas (the engine rule).
"""

from ._common import between, recent_window
from .drift import PSI_READING, drift, psi_reading
from .headline import headline_kpis, overview
from .quality import DEFAULT_THRESHOLDS, choose_threshold, classification, fairness, label_coverage
from .serving import cost, latency, versions
from .trust import TRUST_METRICS, outcome, trust

__all__ = [
    "DEFAULT_THRESHOLDS", "PSI_READING", "TRUST_METRICS", "between", "choose_threshold", "classification", "cost",
    "drift", "fairness", "headline_kpis", "label_coverage", "latency", "outcome", "overview", "psi_reading", "recent_window", "trust", "versions",
]
