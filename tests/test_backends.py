"""The same metrics on DuckDB and on Spark: the engine rule of DESIGN.md, proved.

Every metric function is written as ibis expressions, so it should give the same answer on any ibis
backend. This suite checks it for Spark, the backend teams reach for when a log outgrows one machine:
a slice of the bundled sample (about 460 users and 40,000 events, every table) is written to Parquet,
read once by DuckDB and once by Spark in local mode (``local[2]``), and every event-scale metric function
of every module runs on both. Counts must be identical and rates equal to 1e-9.

Spark needs Java; ``make test`` installs it from Debian when the machine has none.
"""

from __future__ import annotations

import dataclasses
import math
import sys

import ibis
import numpy as np
import pandas as pd
import pytest

from pmplaybook import aarrr, ai, config, data, funnel, heart, north_star, registry, retention
from pmplaybook.narrative import aarrr as aarrr_story, north_star as ns_story

#: About 2.3% of the sample's users (md5 is the same everywhere, so the slice is too).
USER_SLICE = "md5(user_id) < '06'"


@pytest.fixture(scope="module")
def slice_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("slice")
    con = data.backend()
    for name in ("events", "surveys", "predictions"):
        con.raw_sql(f"COPY (SELECT * FROM '{config.DATA_DIR / name}.parquet' WHERE {USER_SLICE} "
                    f"ORDER BY user_id, timestamp) TO '{out / name}.parquet' (FORMAT parquet)")
    con.raw_sql(f"COPY (SELECT * FROM '{config.DATA_DIR}/spend.parquet') TO '{out}/spend.parquet' (FORMAT parquet)")
    return out


@pytest.fixture(scope="module")
def spark():
    return data.open_backend("pyspark://?master=local[2]")


def test_spark_workers_run_this_environments_interpreter(spark):
    # Workers started with the `python3` on PATH would lack the environment's packages.
    ran = spark._session.sparkContext.parallelize([0], 1).map(lambda _: __import__("sys").executable).collect()
    assert ran == [sys.executable]


def team_params(team: str, slice_dir) -> config.TeamParams:
    """A team's params with its data pointed at the Parquet slice."""
    raw = config.load_params(team).model_dump(exclude_none=True)
    raw["data"] = {"source": "files", "events": str(slice_dir / "events.parquet"),
                   "surveys": str(slice_dir / "surveys.parquet"), "spend": str(slice_dir / "spend.parquet"),
                   "predictions": str(slice_dir / "predictions.parquet")}
    return config.parse_params(raw, where=f"{team} (slice)")


@pytest.fixture(scope="module")
def datasets(slice_dir, spark):
    """team -> (DuckDB dataset, Spark dataset). ``data.connect`` loads and validates the slice once per
    backend (with the growth team's params); every team then gets those tables with its own params,
    time zone and analysis date, as ``connect`` would give them."""
    loaded = {}
    for engine, con in (("duckdb", None), ("spark", spark)):
        loaded[engine] = data.connect(team_params("growth", slice_dir), con=con)
    out = {}
    for team in config.list_teams():
        params = team_params(team, slice_dir)
        pair = []
        for ds in loaded.values():
            data.check_against_params(ds.events, params)
            pair.append(data.Dataset(events=ds.events, surveys=ds.surveys, spend=ds.spend, predictions=ds.predictions,
                                     params=params,
                                     timezone=params.timezone, as_of=data.default_as_of(ds.events, params.timezone)))
        out[team] = tuple(pair)
    return out


# ------------------------------------------------------------------------------------------ comparing


def _frame(x) -> pd.DataFrame:
    if isinstance(x, ibis.Table):
        x = x.execute()
    if isinstance(x, pd.Series):
        x = x.to_frame(x.name or "value").reset_index()
    return x


def _with_index(frame: pd.DataFrame) -> pd.DataFrame:
    """A meaningful index (a cohort, a step) becomes a column; a plain row number is dropped."""
    return frame.reset_index(drop=isinstance(frame.index, pd.RangeIndex))


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in a backend-independent order: by every column that is not a float."""
    keys = [c for c in frame.columns if not pd.api.types.is_float_dtype(frame[c])]
    if not keys:
        return frame.reset_index(drop=True)
    order = frame[keys].astype(str).apply(tuple, axis=1).argsort(kind="stable")
    return frame.iloc[np.asarray(order)].reset_index(drop=True)


def assert_same(a, b, where: str = "result") -> None:
    """Equal on both backends: integers and labels exactly, floats to a relative 1e-9."""
    if isinstance(a, (pd.DataFrame, pd.Series, ibis.Table)):
        a, b = _frame(a), _frame(b)
        assert list(a.columns) == list(b.columns), f"{where}: columns {list(a.columns)} != {list(b.columns)}"
        assert len(a) == len(b), f"{where}: {len(a)} rows on DuckDB, {len(b)} on Spark"
        a, b = _sorted(_with_index(a)), _sorted(_with_index(b))
        for col in a.columns:
            x, y = a[col], b[col]
            if pd.api.types.is_float_dtype(x) or pd.api.types.is_float_dtype(y):
                x, y = x.astype(float).to_numpy(), y.astype(float).to_numpy()
                bad = ~np.isclose(x, y, rtol=1e-9, atol=1e-12, equal_nan=True)
                assert not bad.any(), f"{where}, column {col!r}: {x[bad][:5]} (DuckDB) != {y[bad][:5]} (Spark)"
            else:
                xs = [None if pd.isna(v) else v for v in x.astype(object)]
                ys = [None if pd.isna(v) else v for v in y.astype(object)]
                diff = [(u, v) for u, v in zip(xs, ys) if u != v]
                assert not diff, f"{where}, column {col!r}: (DuckDB, Spark) differ at {diff[:5]}"
    elif dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            if f.name != "charts":  # charts are drawn from the compared tables
                assert_same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, dict):
        assert set(a) == set(b), f"{where}: keys {sorted(a)} != {sorted(b)}"
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f"{where}: length {len(a)} != {len(b)}"
        for i, (u, v) in enumerate(zip(a, b)):
            assert_same(u, v, f"{where}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        both_nan = a is None and b is None or (a is not None and b is not None and math.isnan(a) and math.isnan(b))
        assert both_nan or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), f"{where}: {a} (DuckDB) != {b} (Spark)"
    else:
        assert a == b, f"{where}: {a!r} (DuckDB) != {b!r} (Spark)"


def test_the_comparison_catches_a_difference():
    a = pd.DataFrame({"cohort": [1, 2], "users": [10, 11], "rate": [0.5, 0.25]})
    assert_same(a, a.iloc[::-1].copy())  # row order does not matter
    with pytest.raises(AssertionError, match="users"):
        assert_same(a, a.assign(users=[10, 12]))
    with pytest.raises(AssertionError, match="rate"):
        assert_same(a, a.assign(rate=[0.5, 0.25 + 1e-7]))
    assert_same({"x": 1 / 3}, {"x": 1 / 3 + 1e-12})


# -------------------------------------------------------------------------------------------- cases
# (id, team, function of a Dataset). Teams are picked for the roles their params define; onboarding
# (New York, Sunday weeks) and collaboration (Berlin) exercise the backends' time-zone functions.

def _kw(ds):
    return {"timezone": ds.timezone, "as_of": ds.as_of}


def _rule(ds):
    return ds.params.events.activation


CASES = [
    # retention
    ("cohort_retention_week", "onboarding", lambda ds: retention.cohort_retention(ds.events, period="week", week_start="sunday", **_kw(ds))),
    ("cohort_retention_day_unbounded", "collaboration", lambda ds: retention.cohort_retention(ds.events, period="day", mode="on_or_after", periods=30, **_kw(ds))),
    ("cohort_retention_month_segment", "growth", lambda ds: retention.cohort_retention(ds.events, period="month", segment="platform", return_event="task_created", **_kw(ds))),
    ("cohort_retention_rolling_windows", "growth", lambda ds: retention.cohort_retention(ds.events, period="week", windows="rolling", **_kw(ds))),
    ("cohort_retention_recurring", "monetization", lambda ds: retention.cohort_retention(ds.events, period="week", cohort_type="recurring", cohort_event="task_created",
                                                                                         **_kw(ds))),
    ("activation_rate", "onboarding", lambda ds: retention.activation_rate(ds.events, _rule(ds), **_kw(ds))),
    ("activation_curves", "onboarding", lambda ds: retention.activation_curves(
        ds.events, _rule(ds), week_start="sunday", **_kw(ds))),
    ("activated_retention", "onboarding", lambda ds: retention.activated_retention(ds.events, _rule(ds), **_kw(ds))),
    ("stickiness", "collaboration", lambda ds: retention.stickiness(ds.events, **_kw(ds))),
    ("lifecycle", "growth", lambda ds: retention.lifecycle(ds.events, period="week", **_kw(ds))),
    ("segment_tables", "growth", lambda ds: retention.segment_tables(ds.events, ["plan", "country"], **_kw(ds))),
    # funnel
    ("funnel_ordered", "onboarding", lambda ds: funnel.funnel(
        ds.events, funnel.steps_from_params(ds.params), window="3d", **_kw(ds))),
    ("funnel_any_order_segment", "growth", lambda ds: funnel.funnel(
        ds.events, ["signup", "project_created", "task_created"], window="7d", order="unordered", segment="plan",
        **_kw(ds))),
    ("funnel_strict_with_exclusion", "collaboration", lambda ds: funnel.funnel(
        ds.events, ["signup", "project_created", "task_created"], window="14d", order="strict",
        exclusions=["workflow_failed"], **_kw(ds))),
    ("funnel_users", "growth", lambda ds: funnel.funnel_users(
        ds.events, ["signup", "project_created"], window="7d", **_kw(ds))),
    ("time_to_convert", "onboarding", lambda ds: funnel.time_to_convert(
        ds.events, "signup", "project_created", window="3d", **_kw(ds))),
    ("conversion_over_time", "collaboration", lambda ds: funnel.conversion_over_time(
        ds.events, ["signup", "project_created", "task_created"], window="7d", **_kw(ds))),
    # AARRR
    *[(f"aarrr_{name}", team, (lambda f: lambda ds: f(ds))(getattr(aarrr_story, f"{name}_section")))
      for name, team in [("acquisition", "growth"), ("activation", "onboarding"), ("retention", "growth"),
                         ("referral", "collaboration"), ("revenue", "monetization"),
                         ("unit_economics", "monetization"), ("journey", "growth"), ("leaks", "growth")]],
    ("mrr", "monetization", lambda ds: aarrr.mrr(ds.events, **_kw(ds))),
    ("net_revenue_retention", "monetization", lambda ds: aarrr.net_revenue_retention(ds.events, months=3, **_kw(ds))),
    # HEART
    ("nps_by_month", "growth", lambda ds: heart.nps(ds.surveys, period="month", **_kw(ds))),
    ("csat_by_segment", "growth", lambda ds: heart.csat(ds.surveys, segment="plan", **_kw(ds))),
    ("detractor_concentration", "growth", lambda ds: heart.detractor_concentration(ds.surveys, segments=["platform", "plan"], **_kw(ds))),
    ("engagement", "collaboration", lambda ds: heart.engagement(ds.events, "task_created", segment="plan", **_kw(ds))),
    ("engagement_distribution", "growth", lambda ds: heart.engagement_distribution(ds.events, "task_created", **_kw(ds))),
    ("new_users", "onboarding", lambda ds: heart.new_users(ds.events, signup_event="signup", week_start="sunday",
                                                           **_kw(ds))),
    ("active_retention", "growth", lambda ds: heart.active_retention(ds.events, k=2, **_kw(ds))),
    ("new_user_retention", "collaboration", lambda ds: heart.new_user_retention(ds.events, k=2, **_kw(ds))),
    ("task_success", "onboarding", lambda ds: heart.task_success(
        ds.events, "workflow_started", "workflow_completed", "workflow_failed", period="week", **_kw(ds))),
    ("goals_signals_metrics", "onboarding", lambda ds: registry.goals_signals_metrics(ds)),
    ("goals_signals_metrics_growth", "growth", lambda ds: registry.goals_signals_metrics(ds)),
    # North Star
    ("candidate_table", "growth", lambda ds: north_star.candidate_table(ds)),
    ("score_candidates", "growth", lambda ds: north_star.score_candidates(ds, n_boot=50)),
    ("magic_number", "collaboration", lambda ds: ns_story.magic_number_for(ds)),
    ("metric_tree", "onboarding", lambda ds: registry.metric_tree(ds)),
    ("reference_series", "growth", lambda ds: north_star.reference_series(ds.events, ds.spend, **_kw(ds))),
    # AI metrics, on the slice's predictions
    ("ai_classification", "growth", lambda ds: ai.classification(ds.predictions, segment="model", **_kw(ds))),
    ("ai_fairness", "growth", lambda ds: ai.fairness(ds.predictions, "platform", **_kw(ds))),
    ("ai_latency_week", "collaboration", lambda ds: ai.latency(ds.predictions, period="week", slo=(90, 1000), **_kw(ds))),
    ("ai_cost_month", "onboarding", lambda ds: ai.cost(ds.predictions, period="month", segment="model", **_kw(ds))),
    ("ai_trust_week", "collaboration", lambda ds: ai.trust(ds.predictions, period="week", **_kw(ds))),
    ("ai_drift", "growth", lambda ds: ai.drift(ds.predictions, "input_tokens", segment="input_mode",
                                               reference=ds.params.ai.reference, **_kw(ds))),
    ("ai_outcome", "growth", lambda ds: ai.outcome(ds.events, ds.predictions, **_kw(ds))),
    ("ai_label_coverage", "onboarding", lambda ds: ai.label_coverage(ds.predictions, **_kw(ds))),
]


@pytest.mark.parametrize("case", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_same_result_on_duckdb_and_spark(datasets, case):
    team, compute = case
    on_duckdb, on_spark = datasets[team]
    assert on_spark.events.get_backend().name == "pyspark"
    assert_same(compute(on_duckdb), compute(on_spark))


def test_both_backends_load_the_same_slice(datasets):
    on_duckdb, on_spark = datasets["growth"]
    assert on_duckdb.as_of == on_spark.as_of
    for name in ("events", "surveys", "spend", "predictions"):
        a, b = getattr(on_duckdb, name), getattr(on_spark, name)
        kinds = lambda t: {c: type(v).__name__ for c, v in t.schema().items()}  # noqa: E731 (scale may differ)
        assert kinds(a) == kinds(b), name
        assert int(a.count().execute()) == int(b.count().execute()) > 0


# ------------------------------------------------------------------------------- the notebook on Spark

EXAMPLE = config.PARAMS_DIR / "examples" / "onboarding_on_spark.yaml"


def test_the_spark_example_is_the_onboarding_team_on_spark():
    """The README's example params file stays the onboarding team's params with Spark as its source."""
    example, onboarding = config.load_params(EXAMPLE), config.load_params("onboarding")
    assert example.data.source.startswith("pyspark://")
    same = {"team", "title", "data"}
    assert example.model_dump(exclude=same) == onboarding.model_dump(exclude=same)


def test_retention_notebook_on_spark_gives_the_duckdb_headlines(slice_dir, tmp_path):
    """Notebook 02 under papermill, once with params pointing at Spark and once at DuckDB (same files):
    it runs, and every headline KPI it records is the same."""
    import nbformat
    import yaml

    from pmplaybook import report

    files = {t: str(slice_dir / f"{t}.parquet") for t in ("events", "surveys", "spend")}
    paths = []
    for engine, source in (("duckdb", "files"), ("spark", config.load_params(EXAMPLE).data.source)):
        raw = config.load_params(EXAMPLE).model_dump(exclude_none=True)
        raw.update(team=f"slice_on_{engine}", data={"source": source, **files})
        paths.append(tmp_path / f"{engine}.yaml")
        paths[-1].write_text(yaml.safe_dump(raw))
    run = report.run(teams=[str(p) for p in paths], names=["02_cohort_retention"], out=tmp_path / "reports",
                     jobs=2, progress=False)
    assert not run.failed, [r.error for r in run.results]
    kpis = {}
    for r in run.results:
        kpis[r.team] = {k["name"]: k["value"] for k in r.kpis}
    assert kpis["slice_on_duckdb"], "the notebook recorded no KPI"
    assert_same(kpis["slice_on_duckdb"], kpis["slice_on_spark"], "KPIs")
    executed = nbformat.read(tmp_path / "reports" / run.results[0].as_of / "slice_on_spark" / "02_cohort_retention.ipynb", 4)
    streams = [o.text for c in executed.cells for o in c.get("outputs", []) if o.output_type == "stream"]
    assert not any("WARN" in text or "log4j" in text for text in streams), f"Spark's log leaked: {streams[:2]}"


@pytest.mark.parametrize("module", [retention, funnel, aarrr, heart, north_star],
                         ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_metric_modules_hold_no_engine_specific_sql(module):
    """What makes a metric portable: only ibis expressions. SQL text (``Table.sql``, ``raw_sql``) or an
    engine's own function (``ibis.udf.scalar.builtin``) belongs in ``pmplaybook.engines``, with a version
    per engine (see ``local_time`` and ``seconds_between``) and a case in this suite."""
    from pathlib import Path

    source = Path(module.__file__).read_text()
    found = [s for s in (".sql(", "raw_sql", "udf.scalar") if s in source]
    assert not found, f"{module.__name__} uses {found}"


@pytest.mark.parametrize("engine, to_local, to_utc", [
    ("postgres", "TIMEZONE('Europe/Berlin'", "TIMEZONE('Europe/Berlin'"),
    ("snowflake", "CONVERT_TIMEZONE('UTC', 'Europe/Berlin'", "CONVERT_TIMEZONE('Europe/Berlin', 'UTC'"),
    ("bigquery", "DATETIME(TIMESTAMP(", "DATETIME(TIMESTAMP("),
    ("databricks", "FROM_UTC_TIMESTAMP(", "TO_UTC_TIMESTAMP("),
])
def test_time_zone_functions_compile_for_the_warehouses(engine, to_local, to_utc):
    """No warehouse runs here, but each one's time-zone SQL must at least compile to its own function."""
    from pmplaybook import engines

    t = ibis.table({"timestamp": "timestamp"}, name="events")
    for convert, expected in ((engines.local_time, to_local), (engines.utc_from_local, to_utc)):
        sql = ibis.to_sql(t.select(x=convert(t.timestamp, "Europe/Berlin", engine=engine)), dialect=engine)
        assert expected.upper() in sql.upper().replace('"', "'").replace("`", "'"), sql


def test_an_engine_without_a_time_zone_function_gets_a_clear_error():
    from pmplaybook import engines

    t = ibis.table({"timestamp": "timestamp"}, name="events")
    with pytest.raises(engines.EngineError, match="set timezone: UTC"):
        engines.local_time(t.timestamp, "Europe/Berlin", engine="sqlite")
    ts = t.timestamp
    assert engines.local_time(ts, "UTC", engine="sqlite") is ts  # UTC needs no conversion anywhere
