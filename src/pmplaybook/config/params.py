"""Project paths and the model of a team's params file (``params/<team>.yaml``).

A params file says which data a team reads, how its columns are named, which of its events play which
role (sign-up, activation, core action, ...), which segments to break down by, its KPI targets, its North
Star candidates, its journey funnel, its HEART goals-signals-metrics, and for the weekly KPI review its
OKRs and the dated events (releases, campaigns, holidays) that explain moves. :func:`load_params` reads
and validates one; any mistake fails with a :class:`ParamsError` naming the file, the key path and the
fix. :meth:`TeamParams.warnings` lists what is allowed but unwise (more than five targeted KPIs).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from pathlib import Path
from typing import Annotated, Literal, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator,
                      model_validator)

from ..core.calendar import parse_duration
from ..core.errors import ParamsError
from .paths import list_teams, params_path, project_dir
from .vocabulary import (ALIASES, CHECKLIST, COUNTER_SUGGESTIONS, HEART, INPUTS, KPIS, MAX_TARGETED_KPIS,
                         SHARES_ABOVE_ONE)

# ------------------------------------------------------------------------------ metric names


def _unknown(kind: str, name: str, known) -> ValueError:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return ValueError(f"{name!r} is not a {kind} the playbook computes. Fix: {hint}use one of {', '.join(known)}")


def canonical(name: str) -> str:
    """A metric name with old aliases replaced (``task_failure_rate`` -> ``task_error_rate``)."""
    return ALIASES.get(name, name)


def check_kpi_name(name: str) -> str:
    """The canonical KPI name, or ValueError with "did you mean" (see ``vocabulary.KPIS``)."""
    name = canonical(name)
    if name not in KPIS:
        raise _unknown("KPI", name, KPIS)
    return name


def check_input_name(name: str) -> str:
    """The canonical input or guardrail name, or ValueError (see ``vocabulary.INPUTS``)."""
    name = canonical(name)
    if name not in INPUTS:
        raise _unknown("metric-tree input", name, INPUTS)
    return name


def check_heart_metric(metric: str) -> str:
    """The HEART metric written as the vocabulary allows (``vocabulary.HEART``), or ValueError.

    >>> check_heart_metric("week60_retention")
    Traceback (most recent call last):
    ...
    ValueError: 'week60_retention': N must be 1-52 weeks
    """
    text = str(metric)
    name, _, arg = text.partition(":")
    name, arg = canonical(name.strip()), arg.strip()
    retention = re.fullmatch(r"week(\d+)_(active_)?retention", name)
    spec = HEART.get(f"week<N>_{'active_' if retention.group(2) else ''}retention") if retention else HEART.get(name)
    if spec is None:
        raise _unknown("HEART metric", name, HEART)
    if retention and not 1 <= int(retention.group(1)) <= 52:
        raise ValueError(f"{text!r}: N must be 1-52 weeks")
    if spec["argument"] is None and arg:
        raise ValueError(f"{text!r}: {name} takes nothing after ':'. Fix: write {name!r}")
    if spec["argument"] == "required" and not arg:
        raise ValueError(f"{text!r} needs the feature's event, e.g. {spec['example']!r}")
    if spec["argument"] == "two events":
        shown, _, accepted = arg.partition(",")
        if not shown.strip() or not accepted.strip():
            raise ValueError(f"{text!r} needs two events, e.g. {spec['example']!r}")
    return f"{name}:{arg}" if arg else name


def share_problem(name: str, unit: str, value: float) -> str | None:
    """Why ``value`` cannot be a value of the KPI ``name`` whose unit is ``unit``, or None if it can.

    A share is a fraction (0.25 means 25%), so a share KPI's target or baseline must lie between 0 and 1;
    a value of 25 is a typo for 0.25. Net revenue retention (``vocabulary.SHARES_ABOVE_ONE``) may exceed 1.

    >>> share_problem("activation_rate", "share", 25)  # doctest: +NORMALIZE_WHITESPACE
    '25 is not possible for activation_rate: it is a share, between 0 and 1 (0.25 means 25%).
     Fix: write 0.25 if you meant 25%'
    """
    if unit != "share":
        return None
    above_one = name in SHARES_ABOVE_ONE
    if value >= 0 and (value <= 1 or above_one):
        return None
    limits = "0 or more" if above_one else "between 0 and 1"
    fix = f"write {value / 100:g} if you meant {value:g}%" if 1 < value <= 100 else f"write a fraction {limits}"
    return f"{value:g} is not possible for {name}: it is a share, {limits} (0.25 means 25%). Fix: {fix}"


class _KeyProblem(ValueError):
    """A problem found by a validator of a whole section (``kpis``, a key result) that concerns one key
    below it: ``path`` is that key's path below the section, so the message names the exact key."""

    def __init__(self, path: tuple, message: str):
        super().__init__(message)
        self.path = tuple(path)


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value) -> dt.date:
    """A date written ``YYYY-MM-DD`` (YAML reads unquoted ones as dates already); anything else fails.

    Looser parsers read "July 1st" as 1 July of year 1, or a number as seconds since 1970: refused here.
    """
    # ValueError, not TypeError, throughout: pydantic reports only ValueError as a problem of the params
    if isinstance(value, dt.datetime):
        raise ValueError(  # noqa: TRY004
            f"{value.isoformat()!r} has a time of day. Fix: write the date only, as YYYY-MM-DD "
            f"(e.g. '{value:%Y-%m-%d}')")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value!r} is not a day of the calendar. Fix: write a real date as YYYY-MM-DD, "
                             "e.g. '2025-07-01'") from None
    raise ValueError(f"{value!r} is not an ISO date. Fix: write it as YYYY-MM-DD, e.g. '2025-07-01' for 1 July 2025")


#: A calendar date in params, written ``YYYY-MM-DD``.
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class DataSource(_Strict):
    """Where a team's tables live and how its columns are named.

    ``source`` is ``"sample"`` (the bundled product), ``"files"`` (``events``/``surveys``/``spend`` are
    CSV, JSON lines or Parquet paths or globs, gzipped or not, relative to the params file), a DuckDB database file
    (``path/to/file.duckdb``) or an ibis connection URL (``postgres://...``, ``pyspark://``, ...), in which
    case ``events``/``surveys``/``spend`` name tables or views.
    """

    source: str = "sample"
    events: str | None = None
    surveys: str | None = None
    spend: str | None = None
    #: A model's prediction log (one row per prediction), for the AI metrics (``ai`` below).
    predictions: str | None = None
    columns: dict[str, str] = Field(default_factory=dict)
    survey_columns: dict[str, str] = Field(default_factory=dict)
    spend_columns: dict[str, str] = Field(default_factory=dict)
    prediction_columns: dict[str, str] = Field(default_factory=dict)
    #: The first day whose rows the team trusts (earlier rows are unusable); none by default: history is data.
    valid_from: dt.date | None = None
    #: The analytics tool whose export (or warehouse sync) ``events`` is: see ``pmplaybook.data.PRESETS``.
    #: ``columns`` still wins over the preset. Ignored for the bundled sample.
    preset: Literal["posthog", "amplitude", "mixpanel", "ga4", "segment", "snowplow"] | None = None
    #: With a preset: the event or user properties to lift into columns (``[plan, $browser]``).
    properties: list[str] = Field(default_factory=list)

    @field_validator("valid_from", mode="before")
    @classmethod
    def _valid_from(cls, v):
        return None if v is None else _iso_date(v)

    @field_validator("preset", mode="before")
    @classmethod
    def _preset(cls, v):
        names = ("posthog", "amplitude", "mixpanel", "ga4", "segment", "snowplow")
        if v is None:
            return None
        key = str(v).strip().lower()
        if key not in names:
            close = difflib.get_close_matches(key, names, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ValueError(f"unknown preset {v!r}. Fix: {hint}presets are {', '.join(names)} (or leave preset "
                             "out and map your columns under columns)")
        return key

    @model_validator(mode="after")
    def _events_named(self):
        if self.source != "sample" and not self.events:
            raise ValueError(f"source {self.source!r} needs 'events': a file path/glob or a table name")
        if self.properties and not self.preset:
            raise ValueError("properties are lifted from an analytics tool's export. Fix: add preset: (one of "
                             "posthog, amplitude, mixpanel, ga4, segment, snowplow), or drop properties: without a "
                             "preset every column of the events table is kept")
        return self


class ActivationRule(_Strict):
    """A user is activated when they do ``event`` at least ``at_least`` times within ``within_days`` of
    signing up (e.g. Facebook's "7 friends in 10 days")."""

    event: str
    at_least: int = Field(1, ge=1)
    within_days: float = Field(7, gt=0)


class Feature(_Strict):
    name: str
    event: str
    #: The launch day, written YYYY-MM-DD (a date; "July 1st" or a time of day is refused).
    launched: IsoDate | None = None


class EventRoles(_Strict):
    """Which of the team's events play which role in the frameworks."""

    signup: str = "signup"
    activation: ActivationRule | None = None
    core_action: str | None = None
    invite_sent: str | None = None
    invite_accepted: str | None = None
    payment: str | None = None
    task_started: str | None = None
    task_completed: str | None = None
    task_failed: str | None = None
    features: list[Feature] = Field(default_factory=list)

    def named(self) -> dict[str, str]:
        """Every event name used by a role, keyed by the role's key path."""
        out = {}
        for key in ("signup", "core_action", "invite_sent", "invite_accepted", "payment",
                    "task_started", "task_completed", "task_failed"):
            if getattr(self, key):
                out[f"events.{key}"] = getattr(self, key)
        if self.activation:
            out["events.activation.event"] = self.activation.event
        for i, f in enumerate(self.features):
            out[f"events.features.{i}.event"] = f.event
        return out


class LatencySLO(_Strict):
    """A latency objective: ``percentile`` of the model's latency at most ``ms`` milliseconds."""

    percentile: float = Field(90, gt=0, lt=100)
    ms: float = Field(gt=0)


class AIParams(_Strict):
    """How a team reads its model's prediction log (``data.predictions``).

    ``threshold``: the product's threshold, the score at or above which it acts on a prediction (shows the
    suggestion). ``latency_slo``: the latency objective. ``cost_false_positive`` / ``cost_false_negative``:
    what one wrong positive (a bad suggestion shown) and one missed positive (a good one withheld) cost, in
    any common unit, for choosing the threshold by cost. ``segment``: the column to check fairness across.
    ``reference``: the first and last day of the window that drift is measured against (default: the first
    four complete weeks of the log)."""

    feature: str = "the model"
    threshold: float = Field(0.5, gt=0, lt=1)
    latency_slo: LatencySLO | None = None
    cost_false_positive: float = Field(1.0, ge=0)
    cost_false_negative: float = Field(1.0, ge=0)
    segment: str | None = None
    reference: tuple[IsoDate, IsoDate] | None = None

    @model_validator(mode="after")
    def _reference_ordered(self):
        if self.reference and self.reference[1] < self.reference[0]:
            raise ValueError(f"reference: the window ends ({self.reference[1]}) before it starts "
                             f"({self.reference[0]}). Fix: write [first day, last day]")
        return self


class KPI(_Strict):
    """A KPI target. ``status`` follows the value's 95% interval, not the point: green when the whole
    interval clears the target, red when the whole interval misses it, amber when the target lies inside
    it. A value recorded without an interval is judged by the point, with ``tolerance`` (relative) as the
    amber band that stands in for the noise it does not state. ``external: true`` marks a KPI the team tracks
    outside the playbook (revenue from finance, say): it is named for the metric stack only, so its name
    need not be one the playbook computes.

    For the weekly review: ``counter`` is the counter-metric to watch beside it (another KPI of the
    vocabulary, which pushing this one could hurt: activation rate against week-4 retention), ``owner``
    the person or role who answers for it, and ``leading`` whether the team treats it as a leading
    indicator (None: decide from the metric stack)."""

    target: float | None = None
    higher_is_better: bool = True
    tolerance: float = Field(0.1, ge=0, le=1)
    unit: str = ""
    external: bool = False
    counter: str | None = None
    owner: str | None = Field(None, min_length=1)
    leading: bool | None = None

    @field_validator("counter")
    @classmethod
    def _counter(cls, v):
        return None if v is None else check_kpi_name(v)

    def status(self, value: float | None, ci_low: float | None = None, ci_high: float | None = None) -> str | None:
        """green / amber / red against the target (None without a target or a value).

        >>> kpi = KPI(target=0.25)
        >>> kpi.status(0.30, 0.27, 0.33), kpi.status(0.26, 0.22, 0.30), kpi.status(0.234, 0.228, 0.240)
        ('green', 'amber', 'red')
        >>> kpi.status(0.234)  # no interval: within 10% of the target
        'amber'
        """
        if self.target is None or _missing(value):
            return None
        if _missing(ci_low) or _missing(ci_high):
            low = high = value
            band = self.tolerance * abs(self.target)
        else:
            low, high, band = min(ci_low, value), max(ci_high, value), 0.0
        target = self.target
        if not self.higher_is_better:
            low, high, target = -high, -low, -target
        if low >= target:
            return "green"
        return "red" if high < target - band else "amber"


def _missing(x) -> bool:
    return x is None or x != x


class NorthStarCandidate(_Strict):
    """A North Star candidate: ``aggregation`` of ``event`` per ``per`` over ``window``, optionally counting
    only units that reach ``threshold`` (e.g. accounts completing at least 5 tasks a week), plus the team's
    own 1-5 scores on Amplitude's checklist and the two tests."""

    name: str
    label: str = ""
    event: str
    aggregation: Literal["count", "distinct_users", "distinct_accounts", "sum"] = "count"
    column: str | None = None
    per: Literal["user", "account", "none"] = "none"
    window: Literal["day", "week", "month"] = "week"
    threshold: float | None = None
    scores: dict[str, int] = Field(default_factory=dict)

    @field_validator("scores")
    @classmethod
    def _scores(cls, v):
        for key, score in v.items():
            if key not in CHECKLIST:
                raise ValueError(f"unknown checklist item {key!r}; use one of {', '.join(CHECKLIST)}")
            if not 1 <= score <= 5:
                raise ValueError(f"score for {key!r} must be 1-5, got {score}")
        return v

    @model_validator(mode="after")
    def _sum_needs_column(self):
        if self.aggregation == "sum" and not self.column:
            raise ValueError("aggregation 'sum' needs 'column' (the column to add up, e.g. revenue)")
        return self


class NorthStar(_Strict):
    candidates: list[NorthStarCandidate] = Field(default_factory=list)
    inputs: list[Annotated[str, AfterValidator(check_input_name)]] = Field(default_factory=list)
    guardrail: str | None = None

    @field_validator("guardrail")
    @classmethod
    def _guardrail(cls, v):
        return None if v is None else check_input_name(v)


class FunnelStep(_Strict):
    event: str
    where: dict[str, str | int | float | bool] = Field(default_factory=dict)
    label: str | None = None


class Funnel(_Strict):
    steps: list[str | FunnelStep] = Field(default_factory=list)
    window: str = "14d"
    order: Literal["ordered", "strict", "unordered"] = "ordered"
    exclusions: list[str] = Field(default_factory=list)

    @field_validator("window")
    @classmethod
    def _window(cls, v):
        parse_duration(v)
        return v

    def step_events(self) -> list[str]:
        return [s if isinstance(s, str) else s.event for s in self.steps]


class HeartRow(_Strict):
    category: Literal["happiness", "engagement", "adoption", "retention", "task_success"]
    goal: str
    signal: str
    metric: str

    @field_validator("metric")
    @classmethod
    def _metric(cls, v):
        return check_heart_metric(v)


class KeyResult(_Strict):
    """A key result: move ``kpi`` (a KPI of the vocabulary, listed in the team's ``kpis:`` or not) from
    ``baseline`` to ``target`` between ``start`` and ``due``."""

    kpi: str
    baseline: float
    target: float
    start: IsoDate
    due: IsoDate
    label: str | None = None

    @field_validator("kpi")
    @classmethod
    def _kpi(cls, v):
        return check_kpi_name(v)

    @model_validator(mode="after")
    def _consistent(self):
        unit = KPIS[self.kpi]["unit"]
        for key in ("baseline", "target"):
            problem = share_problem(self.kpi, unit, getattr(self, key))
            if problem:
                raise _KeyProblem((key,), problem)
        if self.target == self.baseline:
            raise _KeyProblem(("target",), f"the target equals the baseline ({self.baseline:g}), so the key result "
                                           "asks for no change. Fix: set the value the KPI should reach by 'due'")
        if self.due <= self.start:
            raise _KeyProblem(("due",), f"due {self.due} is not after start {self.start}. Fix: set 'due' to a later "
                                        "date than 'start' (a quarter later is usual)")
        return self


class Objective(_Strict):
    """An OKR: a qualitative ``objective`` and the measurable key results that say it is met."""

    objective: str = Field(min_length=1)
    owner: str | None = Field(None, min_length=1)
    key_results: list[KeyResult]

    @field_validator("key_results")
    @classmethod
    def _some(cls, v):
        if not v:
            raise ValueError("an objective needs at least one key result. Fix: add one with kpi, baseline, target, "
                             "start and due, or remove the objective")
        return v


class Annotation(_Strict):
    """A dated event the review draws on its charts and uses to explain moves: a release, a campaign, a
    holiday, an incident. ``end`` (inclusive) makes it a period."""

    date: IsoDate
    label: str = Field(min_length=1)
    kind: Literal["release", "campaign", "holiday", "incident", "other"] = "other"
    end: IsoDate | None = None

    @model_validator(mode="after")
    def _ordered(self):
        if self.end is not None and self.end < self.date:
            raise _KeyProblem(("end",), f"end {self.end} is before date {self.date}. Fix: set 'end' on or after "
                                        "'date', or drop 'end' for a one-day event")
        return self


_NUMBERS = {3: "three", 4: "four", 5: "five", 6: "six", 7: "seven"}


class TeamParams(_Strict):
    """The whole params file of one team."""

    team: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str = ""
    description: str = ""
    data: DataSource = Field(default_factory=DataSource)
    timezone: str = "UTC"
    week_start: Literal["monday", "sunday"] = "monday"
    events: EventRoles = Field(default_factory=EventRoles)
    segments: list[str] = Field(default_factory=list)
    kpis: dict[str, KPI] = Field(default_factory=dict)
    north_star: NorthStar = Field(default_factory=NorthStar)
    funnel: Funnel = Field(default_factory=Funnel)
    heart: list[HeartRow] = Field(default_factory=list)
    okrs: list[Objective] = Field(default_factory=list)
    annotations: list[Annotation] = Field(default_factory=list)
    ai: AIParams = Field(default_factory=AIParams)
    source_file: str | None = Field(default=None, exclude=True)

    @field_validator("kpis")
    @classmethod
    def _kpis(cls, v):
        out = {}
        for written, kpi in v.items():
            name = written
            if not kpi.external:
                try:
                    name = check_kpi_name(written)
                except ValueError as exc:
                    raise ValueError(f"{exc}; or, if the team tracks {written!r} outside the playbook, mark it "
                                     "'external: true'") from None
                spec = KPIS[name]  # direction and unit default to the vocabulary's
                defaults = {k: spec[k] for k in ("higher_is_better", "unit") if k not in kpi.model_fields_set}
                kpi = kpi.model_copy(update=defaults)
            if kpi.counter == name:
                other = COUNTER_SUGGESTIONS.get(name)
                hint = f"e.g. {other!r}, " if other else ""
                raise _KeyProblem((written, "counter"),
                                  f"{kpi.counter!r} is the KPI itself; a counter-metric is another KPI that pushing "
                                  f"{name} could hurt. Fix: name a different KPI ({hint}see vocabulary.KPIS) or "
                                  "remove 'counter'")
            # a computed KPI is a share if the vocabulary says so (whatever unit was written); an external
            # one if the team says so
            unit = kpi.unit if kpi.external else KPIS[name]["unit"]
            problem = None if kpi.target is None else share_problem(name, unit, kpi.target)
            if problem:
                raise _KeyProblem((written, "target"), problem)
            out[name] = kpi
        return out

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v):
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}; use an IANA name such as 'UTC' or 'Europe/Berlin'") from None
        return v

    def targeted_kpis(self) -> list[str]:
        """The KPIs the weekly review scores against a target: those with a ``target``, not ``external``."""
        return [name for name, kpi in self.kpis.items() if kpi.target is not None and not kpi.external]

    def warnings(self) -> list[str]:
        """What the params allow but the field advises against, one sentence each with the fix (empty if
        nothing). ``pmplaybook validate`` prints them; they do not fail it."""
        out = []
        targeted = self.targeted_kpis()
        if len(targeted) > MAX_TARGETED_KPIS:
            most = _NUMBERS.get(MAX_TARGETED_KPIS, MAX_TARGETED_KPIS)
            out.append(f"kpis: {len(targeted)} KPIs have a target ({', '.join(targeted)}). The field's rule is three "
                       f"to five KPIs per team reviewed weekly: with more, none gets attention. Fix: keep a target "
                       f"on the {most} that matter most and drop it from the others (they stay listed, without a "
                       f"status)")
        return out

    @property
    def base_dir(self) -> Path:
        """The directory that relative data paths are resolved against (the params file's)."""
        return Path(self.source_file).parent if self.source_file else project_dir()

    def event_names(self) -> dict[str, str]:
        """Every event name the params mention, keyed by key path (for checking against the data)."""
        out = self.events.named()
        for i, c in enumerate(self.north_star.candidates):
            out[f"north_star.candidates.{i}.event"] = c.event
        for i, e in enumerate(self.funnel.step_events()):
            out[f"funnel.steps.{i}"] = e
        for i, e in enumerate(self.funnel.exclusions):
            out[f"funnel.exclusions.{i}"] = e
        return out


def _fields_at(model: type[BaseModel], path: tuple) -> list[str]:
    """The allowed keys of the sub-model found at ``path`` (for 'did you mean' hints)."""
    current, is_key = model, False
    for part in path:
        if isinstance(part, int) or current is None or is_key:  # a list index, or a key of a mapping (kpis)
            is_key = False
            continue
        field = current.model_fields.get(part)
        if field is None:
            return []
        is_key = get_origin(field.annotation) is dict
        current = None
        for candidate in getattr(field.annotation, "__args__", ()) + (field.annotation,):
            inner = getattr(candidate, "__args__", (candidate,))
            for c in inner:
                if isinstance(c, type) and issubclass(c, BaseModel):
                    current = c
    return list(current.model_fields) if current else []


def _explain(err: ValidationError, where: str) -> str:
    lines = [f"{where}: the params do not match the model ({err.error_count()} problem(s))"]
    for e in err.errors():
        loc = tuple(e["loc"])
        error = e.get("ctx", {}).get("error")
        if isinstance(error, _KeyProblem):  # a section's validator that names the key below it
            loc += error.path
        key = ".".join(str(p) for p in loc) or "(top level)"
        if e["type"] == "extra_forbidden":
            allowed = [f for f in _fields_at(TeamParams, loc[:-1]) if f != "source_file"]
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            lines.append(f"  - {key}: unknown key. Fix: {hint}allowed keys here are {', '.join(allowed)}")
        elif e["type"] == "missing":
            lines.append(f"  - {key}: required key is missing. Fix: add it")
        elif e["type"] == "value_error" and "Fix:" in str(e["ctx"]["error"]):
            lines.append(f"  - {key}: {e['ctx']['error']}")  # our own message, which names the fix
        else:
            found = e.get("input")
            found_text = "" if isinstance(found, dict) else f" (found {found!r})"
            message = str(e["ctx"]["error"]) if e["type"] == "value_error" else e["msg"]
            lines.append(f"  - {key}: {message}{found_text}. Fix: correct this value")
    return "\n".join(lines)


class _DuplicateKey(Exception):
    """A key written twice in one mapping of a YAML file (``path``: its key path; lines 1-based)."""

    def __init__(self, path: str, first: int, second: int):
        super().__init__(path)
        self.path, self.first, self.second = path, first, second


class _UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key written twice in one mapping (plain YAML keeps the last one
    silently: a second ``kpis:`` block would replace the first). Keys brought in by a merge (``<<: *x``)
    may be overridden, as YAML intends."""

    def construct_document(self, node):
        self._check_unique(node, ())
        return super().construct_document(node)

    def _check_unique(self, node, path: tuple, seen_nodes=None) -> None:
        seen_nodes = set() if seen_nodes is None else seen_nodes
        if id(node) in seen_nodes:  # an alias met again
            return
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            lines: dict = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
                if isinstance(key_node, yaml.ScalarNode):
                    try:
                        key = self.construct_object(key_node, deep=True)  # `1` and `"1"` differ, `yes` is True
                        hash(key)
                    except Exception:  # noqa: BLE001 - an odd key: compare its text
                        key = key_node.value
                    if key in lines:
                        raise _DuplicateKey(".".join(str(p) for p in (*path, key)), lines[key],
                                            key_node.start_mark.line + 1)
                    lines[key] = key_node.start_mark.line + 1
                self._check_unique(value_node, (*path, key), seen_nodes)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._check_unique(item, (*path, i), seen_nodes)


def load_params(team_or_path: str | Path) -> TeamParams:
    """Read and validate a team's params: a team name (``"growth"``) or a path to a YAML file.

    >>> load_params("growth").team
    'growth'
    """
    text_arg = str(team_or_path)
    path = Path(text_arg) if (text_arg.endswith((".yaml", ".yml")) or "/" in text_arg) else params_path(text_arg)
    if not path.exists():
        teams = ", ".join(list_teams()) or "none"
        raise ParamsError(f"{path}: no such params file. Fix: give a path or one of the teams: {teams}")
    try:
        # YAML 1.1 turns `yes` into True and `0755` into 493; BaseLoader keeps every scalar a string
        # would be stricter, but the model's types then refuse numbers. Safe loading + pydantic's strict
        # model catches what matters (wrong types are reported with the value found).
        raw = yaml.load(path.read_text(), Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader
    except _DuplicateKey as dup:
        raise ParamsError(f"{path}: key {dup.path!r} is written twice (lines {dup.first} and {dup.second}); YAML "
                          f"would keep only the second and silently ignore what line {dup.first} says. Fix: keep "
                          f"one '{dup.path.rsplit('.', 1)[-1]}:', with what both said merged into it, and delete the "
                          f"other") from None
    except yaml.YAMLError as exc:
        raise ParamsError(f"{path}: not valid YAML: {exc}. Fix: check indentation and quoting") from None
    except ValueError as exc:  # YAML reads an unquoted 2025-02-30 as a date, and fails
        raise ParamsError(f"{path}: a value could not be read ({exc}); YAML reads unquoted YYYY-MM-DD as a date. "
                          f"Fix: check that every date is a real day of the calendar") from None
    if not isinstance(raw, dict):
        raise ParamsError(f"{path}: expected a mapping of keys (team:, data:, events: ...), found {type(raw).__name__}")
    return parse_params(raw, where=str(path), source_file=path.resolve())  # kernels run elsewhere


def load_teams(teams: list[str | Path] | None = None) -> list[TeamParams]:
    """Read and validate several teams' params (team names or paths; default: every params file of the
    project, as ``pmplaybook validate`` and ``pmplaybook run`` do), refusing two files of one team.

    Two files with the same ``team:`` would write the same ``reports/<as_of>/<team>/`` folder, each run
    silently overwriting the other's reports and KPI history. A file named twice is read once.
    """
    out: list[TeamParams] = []
    files: dict[str, str] = {}
    for name in (teams if teams is not None else list_teams()):
        params = load_params(name)
        first = files.get(params.team)
        if first == params.source_file:
            continue
        if first is not None:
            raise ParamsError(
                f"{params.source_file}: team {params.team!r} is also the team of {first}: two params files "
                f"name the same team, and their reports (reports/<as_of>/{params.team}/) would overwrite each "
                f"other. Fix: give each file a 'team:' of its own (the file's name is usual: "
                f"{Path(first).stem!r} and {Path(params.source_file).stem!r}), or delete the file that is not wanted")
        files[params.team] = params.source_file
        out.append(params)
    return out


def parse_params(raw: dict, where: str = "<params>", source_file: Path | None = None) -> TeamParams:
    """Validate a params mapping (already parsed from YAML or built in code)."""
    if "source_file" in raw:
        raise ParamsError(f"{where}: 'source_file' is set by the loader. Fix: remove it")
    try:
        return TeamParams.model_validate({**raw, "source_file": str(source_file) if source_file else None})
    except ValidationError as err:
        raise ParamsError(_explain(err, where)) from None
