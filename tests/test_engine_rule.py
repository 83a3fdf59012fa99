"""Guard for the engine rule (DESIGN.md, "The engine rule"), by counting the rows the backend hands back.

The rule
--------
Event-scale work runs in the backend as ibis expressions; only *aggregated* results become pandas. No
metric function may pull a raw event table, or one row per event, into Python. That is what lets a
100M-event log fit on one machine and lets a team point the same notebook at a warehouse.

Why counting rows is the guard
------------------------------
Reading the code cannot prove the rule (a ``.execute()`` on a table that is *almost* aggregated looks
like any other), and timing it on the 1.8M-event sample proves nothing either. What can be checked is
what actually crosses from the backend into Python. Every way an ibis expression's rows reach Python
on DuckDB goes through a handful of methods of ``ibis.backends.duckdb.Backend``:

* ``execute`` (``Expr.execute``, ``Expr.to_pandas`` -> ``Backend.to_pandas`` -> ``execute``,
  ``Table.__array__``, ``Column.__array__``);
* ``to_pyarrow`` (``Expr.to_pyarrow``, ``Column.to_list``, ``Table.to_polars`` via ``Backend.to_polars``,
  rich repr, the dataframe-interchange protocol, ``__arrow_c_stream__``);
* ``to_pyarrow_batches`` (``Expr.to_pyarrow_batches``, and ``Backend.to_pandas_batches``, which streams
  through it): counted batch by batch as the reader is consumed;
* ``to_torch``, ``to_polars``, ``to_pandas`` (wrapped too, in case a caller uses the backend directly).

:class:`RowCounter` wraps each of them while a test runs and records, per call, how many rows came back,
which columns the expression had and which line of ``pmplaybook`` asked. When one of these methods calls
another (``to_pandas`` -> ``execute``; ``to_polars`` -> ``to_pyarrow``), only the outermost call is
recorded. File exports (``to_parquet``, ``to_csv``, ...) and ``raw_sql`` called from outside ibis are
recorded too: a metric function has no business writing files or bypassing the expression layer, and
both would be ways around the count (write the events to Parquet, read them back with pandas).

The one path the counter cannot see is the raw DuckDB connection (``backend.con.sql(...).df()``), a C
extension object that cannot be patched; :func:`test_metric_modules_do_not_reach_for_the_raw_connection`
checks the metric modules' source for it instead.

Every case below calls a public metric function the way the notebooks call it, on the bundled sample
(20,000 users, about 1.81 million events), and asserts that **no single materialisation returns more than
LIMIT rows** (see :data:`LIMIT` for the number and why). A function that pulled the event table, one row
per event, or one row per user would return 20,000 to 1.8 million rows and fail.

How to read a failure
---------------------
The message lists the largest materialisations of the case, largest first, as
``rows  method  pmplaybook/<module>.py:<line> in <function>  columns=[...]``. The file:line is the
innermost ``pmplaybook`` frame, i.e. the ``.execute()`` (or ``.to_pyarrow()``...) that pulled the rows.
Fix it by moving the computation into the ibis expression (``group_by``/``aggregate``, window functions,
``Table.sql``) so that only the aggregate is executed. If the pull is legitimately bounded independently
of the event count (a capped sample, say), allow it *for that case only* through ``allow=`` with a
comment saying what bounds it, as ``north_star.candidates._to_pandas_units`` is below.
"""

from __future__ import annotations

import contextlib
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import ibis
import ibis.backends.duckdb
import pandas as pd
import pyarrow as pa
import pytest

import pmplaybook
from pmplaybook import aarrr, ai, config, data, funnel, heart, north_star as ns, registry, retention
from pmplaybook.data import health as data_health
from pmplaybook.narrative import aarrr as aarrr_story, heart as heart_story, north_star as ns_story

PACKAGE_DIR = Path(pmplaybook.__file__).resolve().parent
IBIS_DIR = Path(ibis.__file__).resolve().parent
DuckDBBackend = ibis.backends.duckdb.Backend

#: Largest number of rows any single materialisation of a metric function may return.
#:
#: Measured on the sample (run with ``-rP`` to see each case's largest pulls): the largest legitimate
#: aggregates are cohort tables, 3,196 rows (daily cohorts x periods 0-7) and 2,948 rows (retention of
#: activated users vs the rest: 53 weekly cohorts x 27 periods x 2 groups); everything else is at most a
#: few hundred rows (per week, per month, per channel, per threshold). 5,000 leaves about 1.6x headroom
#: over those and is still 4x below one row per user (20,000) and 360x below one row per event (~1.8M),
#: so pulling either trips it. Cohort tables grow with the length of the log and the number of segment
#: values, not with its events: if a case legitimately outgrows the limit, narrow its call (``periods=``,
#: weekly instead of daily cohorts) or give it an explicit, commented ``allow``, rather than raising the
#: limit towards the number of users.
LIMIT = 5_000

# Methods that return an expression's rows to Python eagerly.
EAGER = ("execute", "to_pandas", "to_pyarrow", "to_polars", "to_torch")
# Methods that return a lazy RecordBatchReader; rows are counted as batches are read.
STREAMING = ("to_pyarrow_batches",)
# Methods that write an expression's rows to files.
EXPORTS = ("to_parquet", "to_parquet_dir", "to_csv", "to_json", "to_delta", "to_xlsx", "to_geo")


@dataclass
class Pull:
    """One materialisation: ``rows`` returned by backend ``method`` for an expression with ``columns``,
    asked for at ``where`` (innermost pmplaybook frame) in function ``function``. ``rows`` is None for
    exports and raw SQL, whose row counts are not known."""

    method: str
    rows: int | None
    columns: tuple
    where: str
    function: str

    def __str__(self) -> str:
        rows = "?" if self.rows is None else f"{self.rows:,}"
        cols = ", ".join(self.columns[:8]) + (", ..." if len(self.columns) > 8 else "")
        return f"{rows:>10} rows  {self.method:<18} {self.where}  columns=[{cols}]"


def _n_rows(result) -> int:
    """Rows in what a backend method returned: a frame, series, arrow table/array, dict of tensors, or a
    scalar (one row)."""
    if isinstance(result, (pd.DataFrame, pd.Series, pa.Table, pa.RecordBatch, pa.Array, pa.ChunkedArray)):
        return len(result)
    if isinstance(result, dict):  # to_torch: {column: tensor}
        return max((len(v) for v in result.values()), default=0)
    if hasattr(result, "shape") and getattr(result, "ndim", 0) >= 1:  # polars, numpy
        return int(result.shape[0])
    return 1


def _columns(expr) -> tuple:
    try:
        return tuple(expr.as_table().columns)
    except Exception:
        return ()


_OWN_FRAMES = ("wrapper", "finish", "batches", "_record", "_caller")


def _caller() -> tuple[str, str]:
    """``("<file>:<line> in <function>", "<function>")`` of the innermost pmplaybook frame; failing that,
    of the innermost frame outside ibis and outside this counter (a test calling ibis directly)."""
    fallback = None
    frame = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        path = Path(code.co_filename)
        backend = "Remembering." in code.co_qualname  # the playbook's DuckDB backend is part of the backend
        if PACKAGE_DIR in path.parents and not backend:
            return f"pmplaybook/{path.relative_to(PACKAGE_DIR)}:{frame.f_lineno} in {code.co_name}", code.co_name
        own = code.co_filename == __file__ and code.co_name in _OWN_FRAMES
        if fallback is None and not own and not backend and IBIS_DIR not in path.parents:
            fallback = f"{path.name}:{frame.f_lineno} in {code.co_name}", code.co_name
        frame = frame.f_back
    return fallback or ("(unknown)", "")


class RowCounter:
    """Records every materialisation made through the DuckDB backend while active (see the module
    docstring). Use :func:`count_rows`."""

    def __init__(self) -> None:
        self.pulls: list[Pull] = []
        self._depth = 0  # > 0 inside a wrapped method: nested calls are not recorded again

    @property
    def max_rows(self) -> int:
        return max((p.rows or 0 for p in self.pulls), default=0)

    def largest(self, n: int = 10) -> list[Pull]:
        return sorted(self.pulls, key=lambda p: -(p.rows or 0))[:n]

    def report(self, n: int = 10) -> str:
        return "\n".join(str(p) for p in self.largest(n))

    def _record(self, method: str, expr, rows: int | None) -> Pull:
        where, function = _caller()
        pull = Pull(method, rows, _columns(expr), where, function)
        self.pulls.append(pull)
        return pull

    def _outermost(self, original, finish):
        """Wrap a backend method so that only the outermost call is passed to ``finish(expr, result)``."""
        counter = self

        def wrapper(backend, expr, /, *args, **kwargs):
            if counter._depth:
                return original(backend, expr, *args, **kwargs)
            counter._depth += 1
            try:
                result = original(backend, expr, *args, **kwargs)
            finally:
                counter._depth -= 1
            return finish(expr, result)

        return wrapper

    def _eager(self, name: str, original):
        def finish(expr, result):
            self._record(name, expr, _n_rows(result))
            return result

        return self._outermost(original, finish)

    def _streaming(self, name: str, original):
        def finish(expr, reader):
            pull = self._record(name, expr, 0)

            def batches():
                for batch in reader:
                    pull.rows += batch.num_rows
                    yield batch

            return pa.RecordBatchReader.from_batches(reader.schema, batches())

        return self._outermost(original, finish)

    def _export(self, name: str, original):
        counter = self

        def wrapper(backend, expr, /, *args, **kwargs):
            if not counter._depth:
                counter._record(name, expr, None)
            counter._depth += 1
            try:
                return original(backend, expr, *args, **kwargs)
            finally:
                counter._depth -= 1

        return wrapper

    def _raw_sql(self, original):
        counter = self

        def wrapper(backend, query, /, *args, **kwargs):
            # ibis itself runs DDL and COPY through raw_sql; only calls from outside ibis are a bypass
            caller = Path(sys._getframe(1).f_code.co_filename)
            if not counter._depth and IBIS_DIR not in caller.parents:
                where, function = _caller()
                counter.pulls.append(Pull("raw_sql", None, (str(query)[:60],), where, function))
            return original(backend, query, *args, **kwargs)

        return wrapper

    def patches(self):
        """(name, wrapper) for every method to patch on the DuckDB backend class."""
        for name in EAGER:
            if hasattr(DuckDBBackend, name):
                yield name, self._eager(name, getattr(DuckDBBackend, name))
        for name in STREAMING:
            yield name, self._streaming(name, getattr(DuckDBBackend, name))
        for name in EXPORTS:
            if hasattr(DuckDBBackend, name):
                yield name, self._export(name, getattr(DuckDBBackend, name))
        yield "raw_sql", self._raw_sql(DuckDBBackend.raw_sql)


@contextlib.contextmanager
def count_rows():
    """Within the block, record every materialisation through the DuckDB backend; yields the
    :class:`RowCounter`. The backend class is restored on exit."""
    from pmplaybook.core import engines

    counter = RowCounter()
    engines.forget_results()  # a question an earlier test asked would otherwise be answered from memory, uncounted
    with pytest.MonkeyPatch.context() as mp:
        for name, wrapper in counter.patches():
            mp.setattr(DuckDBBackend, name, wrapper)
        yield counter


def check_engine_rule(counter: RowCounter, limit: int = LIMIT, allow: dict | None = None) -> None:
    """Fail unless every recorded materialisation returned at most ``limit`` rows, nothing was exported and
    no raw SQL was run. ``allow`` maps a pmplaybook function name to its own bound, for pulls that are
    bounded independently of the event count (each such entry needs a comment saying why)."""
    allow = allow or {}
    bad = [p for p in counter.pulls if p.rows is None]
    assert not bad, ("a metric function exported rows or ran raw SQL, around the ibis expression layer:\n"
                     + "\n".join(map(str, bad)))
    over = [p for p in counter.pulls if p.rows > allow.get(p.function, limit)]
    assert not over, (
        f"engine rule broken: {len(over)} materialisation(s) returned more rows than allowed (LIMIT = {limit:,}; "
        f"the sample has 20,000 users and ~1.8M events, a metric should bring back aggregates only):\n"
        + "\n".join(f"{p}  (bound {allow.get(p.function, limit):,})" for p in over)
        + f"\nlargest pulls of this case:\n{counter.report()}")


# ------------------------------------------------------------------------------------------- data

TEAMS = ("growth", "onboarding", "collaboration", "monetization")


@pytest.fixture(scope="module")
def team():
    """``team(name)`` -> (params, Dataset) from ``data.connect(config.load_params(name))``, connected once
    per module on first use. Every team's params read the bundled sample, so the sample's tables are
    loaded once (about 3 s) and shared: ``data.sample`` is cached while ``connect`` runs, and ``connect``
    does the rest as usual (params checks, time zone, ``as_of``)."""
    real_sample = data.sample
    loaded: dict = {}
    cache: dict = {}

    def shared_sample(invalid: str = "raise"):
        if invalid not in loaded:
            loaded[invalid] = real_sample(invalid=invalid)
        return loaded[invalid]

    def get(name: str):
        if name not in cache:
            params = config.load_params(name)
            assert params.data.source == "sample"
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(data, "sample", shared_sample)
                cache[name] = params, data.connect(params)
        return cache[name]

    return get


# ------------------------------------------------------------------------------------------- cases
# Each case: (id, team, call(params, ds), allow). Calls mirror the notebooks (notebooks/0*.ipynb).

def _common(p, ds):
    return dict(cohort_event=p.events.signup, as_of=ds.as_of, week_start=p.week_start, timezone=p.timezone)


def _act(p, ds):
    return dict(as_of=ds.as_of, timezone=p.timezone, week_start=p.week_start)


def _fw(p):
    return funnel.steps_from_params(p), dict(window=p.funnel.window, order=p.funnel.order)


def _feature(p, ds, what):
    f = heart.main_feature(p)
    tz, ws = ds.timezone, p.week_start
    if what == "adoption":
        return heart.feature_adoption(ds.events, f.event, launched=f.launched, period="week", timezone=tz, week_start=ws,
                                      as_of=ds.as_of)
    if what == "depth":
        return heart.adoption_depth(ds.events, f.event, p.events.activation, p.events.signup, launched=f.launched, timezone=tz,
                                    as_of=ds.as_of)
    suggest = heart.suggestion_events(ds.events, f.event)
    assert suggest, "the sample's AI feature has accepted/edited events"
    return heart.suggestion_acceptance(ds.events, **suggest, period="week", timezone=tz, week_start=ws,
                                       as_of=ds.as_of)


def _tasks(p, ds, **kw):
    r = p.events
    return heart.task_success(ds.events, r.task_started, r.task_completed, r.task_failed, timezone=ds.timezone,
                              as_of=ds.as_of, **kw)


def _task_shift(p, ds):
    # The notebook picks the segment with heart.task_segment, which runs task_shift once overall and once
    # per params segment (15 s on the sample); its pulls are task_shift's, so this case runs task_shift
    # on the segment with the most values (country: 8) and the notebook's task_change after it.
    r = p.events
    shift = heart.task_shift(ds.events, r.task_started, r.task_completed, r.task_failed, segment="country",
                             timezone=ds.timezone, week_start=p.week_start, as_of=ds.as_of)
    change = heart.top_change(shift)
    assert change, "the sample plants a task-success change"
    heart.task_change(ds.events, date=change["date"], started=r.task_started, completed=r.task_completed,
                      failed=r.task_failed, segment="country", span="28d", timezone=ds.timezone, as_of=ds.as_of)


def _units_capped(p, ds):
    # score_candidates' per-unit pull with a small cap, for one candidate: above max_units units,
    # _to_pandas_units fetches max_units + 1 rows, counts, and hash-samples about max_units in the backend.
    c = p.north_star.candidates[0]
    units = ns.unit_outcomes(ds.events, c, early_days=14, signup_event=p.events.signup, timezone=ds.timezone, as_of=ds.as_of)
    frame, n = ns.candidates._to_pandas_units(units, max_units=1_000)
    assert n > 10_000 and len(frame) < 2_000, (n, len(frame))  # the cap engaged


# north_star._to_pandas_units pulls one row per unit (user or account) with three numbers, for the
# bootstrap of the leading-indicator AUC. That is bounded by the cap, not by the event count: above
# ns.MAX_UNITS units it hash-samples in the backend, and its first query is .limit(MAX_UNITS + 1). On the
# sample every unit comes back (14,380 users for the first candidate), so this case allows it up to that
# cap; the "capped" case below shows the cap holds the pull under LIMIT when max_units is small.
UNITS_CAP = {"_to_pandas_units": ns.MAX_UNITS + 1}

# task_shift refines each change week to the day from a daily grid (heart.tasks._weekly_and_daily_counts,
# one query for the weekly and the daily counts): one row per local day x workflow x segment value, at most
# 365 days x 4 workflows x 8 countries = 11,680 on the sample (measured 10,513). It is an aggregate, bounded
# by the calendar and the segment's cardinality rather than by events or users, but it exceeds LIMIT, so
# that grid, and only in this case, is allowed up to its full size.
DAILY_TASK_GRID = {"_weekly_and_daily_counts": 365 * 4 * 8}
# task_time_shift reads the same kind of grid (completed and slow attempts per local day x workflow x segment
# value) from its own query: the same bound, for the same reason.
DAILY_TIME_GRID = {"task_time_shift": 365 * 4 * 8}

CASES = [
    # 02_cohort_retention
    ("retention.cohort_retention-week", "growth",
     lambda p, ds: retention.cohort_retention(ds.events, period="week", periods=12, **_common(p, ds)), None),
    ("retention.cohort_retention-week-segment-berlin", "collaboration",
     lambda p, ds: retention.cohort_retention(ds.events, period="week", periods=12, segment="plan", **_common(p, ds)),
     None),
    ("retention.cohort_retention-week-on_or_after", "growth",
     lambda p, ds: retention.cohort_retention(ds.events, period="week", periods=12, mode="on_or_after", **_common(p, ds)), None),
    ("retention.cohort_retention-week-rolling", "growth",
     lambda p, ds: retention.cohort_retention(ds.events, period="week", periods=12, windows="rolling", **_common(p, ds)), None),
    # daily cohorts: 365 cohorts x periods 0-7, a 3,196-row pull (2,892 rows once cut to the triangle).
    # With a segment (platform, 3 values) it is about three times that, an aggregate but above LIMIT: the
    # segment cases use weekly cohorts.
    ("retention.cohort_retention-day", "growth",
     lambda p, ds: retention.cohort_retention(ds.events, period="day", periods=7, **_common(p, ds)), None),
    ("retention.cohort_retention-week-segment", "growth",
     lambda p, ds: retention.cohort_retention(ds.events, period="week", periods=12, segment="platform", **_common(p, ds)), None),
    ("retention.segment_tables", "growth",
     lambda p, ds: retention.segment_tables(ds.events, p.segments, periods=4, **_common(p, ds)), None),
    ("retention.activation_rate", "growth",
     lambda p, ds: retention.activation_rate(ds.events, p.events.activation, p.events.signup, as_of=ds.as_of,
                                             timezone=p.timezone), None),
    ("retention.activated_retention", "growth",
     lambda p, ds: retention.activated_retention(ds.events, p.events.activation, p.events.signup,
                                                 **_act(p, ds)), None),
    ("retention.activation_curves", "growth",
     lambda p, ds: retention.activation_curves(ds.events, p.events.activation, p.events.signup, periods=26,
                                               **_act(p, ds)), None),
    ("retention.stickiness", "growth",
     lambda p, ds: retention.stickiness(ds.events, as_of=ds.as_of, timezone=p.timezone), None),
    ("retention.lifecycle-sunday-new_york", "onboarding",
     lambda p, ds: retention.lifecycle(ds.events, period="week", as_of=ds.as_of, timezone=p.timezone, week_start=p.week_start), None),
    # funnel (04_aarrr's journey, and the funnel builder)
    ("funnel.funnel", "growth",
     lambda p, ds: funnel.funnel(ds.events, _fw(p)[0], **_fw(p)[1], as_of=ds.as_of, timezone=ds.timezone), None),
    ("funnel.funnel-segment", "growth",
     lambda p, ds: funnel.funnel(ds.events, _fw(p)[0], **_fw(p)[1], segment="channel", as_of=ds.as_of, timezone=ds.timezone),
     None),
    ("funnel.time_to_convert", "growth",
     lambda p, ds: funnel.time_to_convert(ds.events, _fw(p)[0][0], _fw(p)[0][-1], **_fw(p)[1], as_of=ds.as_of,
                                          timezone=ds.timezone), None),
    ("funnel.conversion_over_time", "growth",
     lambda p, ds: funnel.conversion_over_time(ds.events, _fw(p)[0], period="week", **_fw(p)[1], as_of=ds.as_of,
                                               timezone=ds.timezone, week_start=p.week_start), None),
    # 04_aarrr
    *[(f"aarrr.{name}", "growth", (lambda f: lambda p, ds: f(ds))(getattr(aarrr_story, name)), None)
      for name in ("journey_section", "acquisition_section", "activation_section", "retention_section",
                   "referral_section", "revenue_section", "unit_economics_section", "leaks_section")],
    # 03_heart
    *[(f"heart.goals_signals_metrics-{t}", t, lambda p, ds: registry.goals_signals_metrics(ds, window="90d"),
       None) for t in TEAMS],
    ("heart.happiness", "growth",
     lambda p, ds: (heart_story.happiness_summary(ds.surveys, as_of=ds.as_of, timezone=ds.timezone),
                    heart.nps(ds.surveys, period="month", timezone=ds.timezone, as_of=ds.as_of),
                    heart.detractor_concentration(ds.surveys, segments=heart.survey_segments(ds.surveys), as_of=ds.as_of)),
     None),
    ("heart.engagement", "growth",
     lambda p, ds: heart.engagement(ds.events, key_action=p.events.core_action, period="week",
                                    timezone=ds.timezone, week_start=p.week_start, as_of=ds.as_of), None),
    ("heart.engagement_distribution", "growth",
     lambda p, ds: heart.engagement_distribution(ds.events, p.events.core_action, period="week", last=4, timezone=ds.timezone,
                                                 week_start=p.week_start, as_of=ds.as_of),
     None),
    ("heart.new_users", "growth",
     lambda p, ds: heart.new_users(ds.events, period="week", signup_event=p.events.signup, timezone=ds.timezone,
                                   week_start=p.week_start, as_of=ds.as_of), None),
    ("heart.feature_adoption", "growth", lambda p, ds: _feature(p, ds, "adoption"), None),
    ("heart.adoption_depth", "growth", lambda p, ds: _feature(p, ds, "depth"), None),
    ("heart.suggestion_acceptance", "growth", lambda p, ds: _feature(p, ds, "acceptance"), None),
    ("heart.active_retention", "growth",
     lambda p, ds: heart.active_retention(ds.events, k=4, period="week", timezone=ds.timezone,
                                          week_start=p.week_start, as_of=ds.as_of), None),
    ("heart.task_success", "growth", lambda p, ds: _tasks(p, ds), None),
    ("heart.task_success-week", "growth", lambda p, ds: _tasks(p, ds, period="week", week_start=p.week_start),
     None),
    ("heart.task_shift+task_change", "growth", _task_shift, DAILY_TASK_GRID),
    ("heart.task_time_shift", "growth",
     lambda p, ds: heart.task_time_shift(ds.events, p.events.task_started, p.events.task_completed, p.events.task_failed,
                                         segment="country", timezone=ds.timezone, week_start=p.week_start,
                                         as_of=ds.as_of), DAILY_TIME_GRID),
    # 01_north_star
    ("north_star.candidate_table", "growth", lambda p, ds: ns.candidate_table(ds), None),
    ("north_star.score_candidates", "growth", lambda p, ds: ns.score_candidates(ds, n_boot=20), UNITS_CAP),
    ("north_star.unit_outcomes-capped", "growth", _units_capped, None),
    ("north_star.metric_tree", "growth", lambda p, ds: registry.metric_tree(ds), None),
    ("north_star.magic_number_for", "growth", lambda p, ds: ns_story.magic_number_for(ds), None),
    # 00_data_health: per day, per event, per segment, or the ten busiest users
    *[(f"data.health.health_report-{t}", t, lambda p, ds: data_health.health_report(ds), None) for t in TEAMS],
    # 06_ai_metrics: every count over the 127,431 predictions stays in the backend
    ("ai.classification-fine", "growth",
     lambda p, ds: ai.classification(ds.predictions, thresholds=[k / 100 for k in range(101)], calendar=ds.calendar), None),
    ("ai.classification-segment", "growth",
     lambda p, ds: ai.classification(ds.predictions, segment=["model", "country"], calendar=ds.calendar), None),
    ("ai.fairness", "growth", lambda p, ds: ai.fairness(ds.predictions, "country", calendar=ds.calendar), None),
    ("ai.latency-week-berlin", "collaboration",
     lambda p, ds: ai.latency(ds.predictions, period="week", segment="model", slo=p.ai.latency_slo, calendar=ds.calendar),
     None),
    ("ai.cost-week", "growth", lambda p, ds: ai.cost(ds.predictions, period="week", calendar=ds.calendar), None),
    ("ai.trust-week", "growth", lambda p, ds: ai.trust(ds.predictions, period="week", segment="platform", calendar=ds.calendar),
     None),
    ("ai.drift-segment", "growth",
     lambda p, ds: ai.drift(ds.predictions, "input_tokens", segment="input_mode", reference=p.ai.reference,
                            calendar=ds.calendar), None),
    ("ai.outcome", "growth", lambda p, ds: ai.outcome(ds.events, ds.predictions, calendar=ds.calendar), None),
    ("ai.headline_kpis", "growth",
     lambda p, ds: ai.headline_kpis(ds.predictions, p.ai.threshold, "2025-12-01", "2025-12-29", p.ai.latency_slo), None),
]


@pytest.mark.parametrize("team_name, call, allow", [pytest.param(t, c, a, id=i) for i, t, c, a in CASES])
def test_metric_brings_back_aggregates_only(team, team_name, call, allow):
    """The engine rule, per metric function: no materialisation above LIMIT rows (``allow`` aside)."""
    params, ds = team(team_name)
    t0 = time.perf_counter()
    with count_rows() as counter:
        call(params, ds)
    # shown with -s or -rP; the numbers the LIMIT comment quotes come from here
    print(f"max {counter.max_rows:,} rows over {len(counter.pulls)} materialisations in "
          f"{time.perf_counter() - t0:.1f}s\n{counter.report(5)}")
    assert counter.pulls, "the case materialised nothing: is the counter patched on the right class?"
    check_engine_rule(counter, allow=allow)


# ------------------------------------------------------------------------------- the guard itself

def test_guard_trips_on_a_raw_event_pull(team):
    """Pulling the event table is caught: one materialisation of exactly as many rows as events."""
    _, ds = team("growth")
    n_events = int(ds.events.count().execute())
    assert n_events > 1_000_000
    with count_rows() as counter:
        frame = ds.events.execute()
    assert len(frame) == n_events
    assert [(p.method, p.rows) for p in counter.pulls] == [("execute", n_events)]
    assert counter.pulls[0].columns == tuple(ds.events.columns)
    assert counter.pulls[0].where.startswith("test_engine_rule.py:")
    with pytest.raises(AssertionError, match="engine rule broken") as err:
        check_engine_rule(counter)
    assert f"{n_events:,} rows" in str(err.value)


def test_guard_names_the_pmplaybook_line(team):
    """A pull made inside pmplaybook is reported at the pmplaybook line that made it."""
    _, ds = team("growth")
    with count_rows() as counter:
        data.check_against_params(ds.events, config.load_params("growth"))
    (pull,) = counter.pulls
    assert pull.where.startswith("pmplaybook/data/connection.py:") and pull.function == "check_against_params"
    assert pull.columns == ("event",) and pull.rows < 100


N = 1_234

PATHS = {
    "Table.execute": lambda t: t.execute(),
    "Table.to_pandas": lambda t: t.to_pandas(),
    "Table.to_pyarrow": lambda t: t.to_pyarrow(),
    "Table.to_pyarrow_batches": lambda t: t.to_pyarrow_batches(chunk_size=500).read_all(),
    "Table.to_pandas_batches": lambda t: pd.concat(list(t.to_pandas_batches(chunk_size=500))),
    "Table.__array__": lambda t: t.__array__(),
    "Table.__arrow_c_stream__": lambda t: pa.table(t),
    "Column.execute": lambda t: t.user_id.execute(),
    "Column.to_list": lambda t: t.user_id.to_list(),
    "Column.to_pyarrow": lambda t: t.user_id.to_pyarrow(),
    "Backend.execute": lambda t: t.get_backend().execute(t),
    "Backend.to_pandas": lambda t: t.get_backend().to_pandas(t),
}


@pytest.mark.parametrize("path", list(PATHS))
def test_guard_counts_every_path_once(team, path):
    """Each way rows reach Python is counted, once (a method calling another is not counted twice)."""
    _, ds = team("growth")
    with count_rows() as counter:
        result = PATHS[path](ds.events.limit(N))
    assert len(result) == N
    assert [p.rows for p in counter.pulls] == [N], counter.report()


def test_guard_counts_a_scalar_as_one_row(team):
    _, ds = team("growth")
    with count_rows() as counter:
        ds.events.count().execute()
    assert [p.rows for p in counter.pulls] == [1]


def test_guard_flags_exports_and_raw_sql(team, tmp_path):
    """Writing rows to a file, or running SQL beside ibis, is flagged: both would dodge the row count."""
    _, ds = team("growth")
    with count_rows() as counter:
        ds.events.limit(10).to_parquet(tmp_path / "events.parquet")
        ds.events.get_backend().raw_sql("SELECT 1").fetchall()
    assert [(p.method, p.rows) for p in counter.pulls] == [("to_parquet", None), ("raw_sql", None)]
    with pytest.raises(AssertionError, match="exported rows or ran raw SQL"):
        check_engine_rule(counter)


def test_guard_is_removed_on_exit():
    before = {name: DuckDBBackend.__dict__.get(name) for name in (*EAGER, *STREAMING, *EXPORTS, "raw_sql")}
    with count_rows():
        assert DuckDBBackend.__dict__["execute"] is not before["execute"]
    assert {name: DuckDBBackend.__dict__.get(name) for name in before} == before


# Metric modules: the DuckDB connection object (backend.con) is a C extension the counter cannot wrap, so
# the one bypass left is checked in the source instead.
METRIC_MODULES = (retention, funnel, aarrr, heart, ns, ai)
BYPASSES = ("import duckdb", ".con.", ".con)", "raw_sql(", "read_parquet(", "read_csv(")


@pytest.mark.parametrize("module", METRIC_MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_metric_modules_do_not_reach_for_the_raw_connection(module):
    source = Path(module.__file__).read_text()
    found = [b for b in BYPASSES if b in source]
    assert not found, f"{module.__name__} uses {found}: go through ibis expressions so the rows can be counted"
