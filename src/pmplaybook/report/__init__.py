"""Scheduled reports: the papermill runner (:mod:`.runner`), the offline HTML page (:mod:`.html`), the KPIs
notebooks record (:mod:`.kpis`), their history across runs (:mod:`.history`), and each team's summary and
the index of every run (:mod:`.index`)."""

from .files import atomic_write
from .history import HISTORY_FILE, kpi_history, record_history
from .html import render_html
from .index import STATUS_ORDER, write_index, write_summary
from .kpis import KPIRecorder, read_kpi_file
from .runner import (
                     KERNEL,
                     NOTEBOOK_PARAMETERS,
                     PairResult,
                     RunResult,
                     check_parameters,
                     notebooks,
                     papermill_parameters,
                     plan,
                     run,
                     run_pair,
)

__all__ = [
    "HISTORY_FILE", "KERNEL", "KPIRecorder", "NOTEBOOK_PARAMETERS", "PairResult", "RunResult", "STATUS_ORDER",
    "atomic_write", "check_parameters", "kpi_history", "notebooks", "papermill_parameters", "plan",
    "read_kpi_file", "record_history", "render_html", "run", "run_pair", "write_index", "write_summary",
]
