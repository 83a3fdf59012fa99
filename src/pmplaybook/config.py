"""Project paths and the model of a team's params file (``params/<team>.yaml``).

A params file says which data a team reads, how its columns are named, which of its events play which
role (sign-up, activation, core action, ...), which segments to break down by, its KPI targets, its North
Star candidates, its journey funnel and its HEART goals-signals-metrics. :func:`load_params` reads and
validates one; any mistake fails with a :class:`ParamsError` naming the file, the key path and the fix.
"""

from __future__ import annotations

import difflib
import re
from datetime import timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

# Paths come from the package location, never from the working directory, so notebooks, papermill
# workers and the CLI agree wherever they are started.
PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parents[1]
DATA_DIR = PROJECT_DIR / "data"
PARAMS_DIR = PROJECT_DIR / "params"
NOTEBOOKS_DIR = PROJECT_DIR / "notebooks"
REPORTS_DIR = PROJECT_DIR / "reports"


class ParamsError(ValueError):
    """A params file is missing, unreadable or does not match the model."""


def parse_duration(value) -> timedelta:
    """Parse a duration: a pandas-style string (``"15s"``, ``"5min"``, ``"2h"``, ``"14d"``), a
    ``timedelta``, or a number of days.

    >>> parse_duration("14d"), parse_duration("90min")
    (datetime.timedelta(days=14), datetime.timedelta(seconds=5400))
    """
    if isinstance(value, timedelta):
        result = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        result = timedelta(days=value)
    elif isinstance(value, str):
        text = value.strip()
        days = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(?:d|days?)", text)
        try:
            # pandas deprecates the lower-case "d" unit, which everyone writes ("14d")
            result = timedelta(days=float(days.group(1))) if days else pd.Timedelta(text).to_pytimedelta()
        except ValueError:
            raise ValueError(
                f"cannot read duration {value!r}: write a number and a unit, e.g. '15s', '5min', '2h', '14d'"
            ) from None
    else:
        raise ValueError(f"a duration must be a string such as '14d' or a timedelta, got {value!r}")
    if result <= timedelta(0):
        raise ValueError(f"a duration must be positive, got {value!r}")
    return result


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataSource(_Strict):
    """Where a team's tables live and how its columns are named.

    ``source`` is ``"sample"`` (the bundled product), ``"files"`` (``events``/``surveys``/``spend`` are
    CSV or Parquet paths or globs, relative to the params file), a DuckDB database file
    (``path/to/file.duckdb``) or an ibis connection URL (``postgres://...``, ``pyspark://``, ...), in which
    case ``events``/``surveys``/``spend`` name tables or views.
    """

    source: str = "sample"
    events: str | None = None
    surveys: str | None = None
    spend: str | None = None
    columns: dict[str, str] = Field(default_factory=dict)
    survey_columns: dict[str, str] = Field(default_factory=dict)
    spend_columns: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _events_named(self):
        if self.source != "sample" and not self.events:
            raise ValueError(f"source {self.source!r} needs 'events': a file path/glob or a table name")
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
    launched: str | None = None  # YYYY-MM-DD

    @field_validator("launched")
    @classmethod
    def _date(cls, v):
        if v is not None:
            pd.Timestamp(v)
        return v


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


class KPI(_Strict):
    """A KPI target. ``status`` is green when the value meets the target, amber when it misses by no
    more than ``tolerance`` (relative), red otherwise."""

    target: float | None = None
    higher_is_better: bool = True
    tolerance: float = Field(0.1, ge=0, le=1)
    unit: str = ""

    def status(self, value: float | None) -> str | None:
        if self.target is None or value is None or value != value:
            return None
        gap = (value - self.target) if self.higher_is_better else (self.target - value)
        if gap >= 0:
            return "green"
        return "amber" if abs(gap) <= self.tolerance * abs(self.target) else "red"


#: Amplitude's North Star checklist plus PMRead's two tests, each scored 1-5 by the team.
CHECKLIST = (
    "customer_value", "strategy", "leading", "actionable", "understandable", "measurable",
    "not_vanity", "winning_test", "everyone_knows",
)


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
    inputs: list[str] = Field(default_factory=list)
    guardrail: str | None = None


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
    source_file: str | None = Field(default=None, exclude=True)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v):
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}; use an IANA name such as 'UTC' or 'Europe/Berlin'") from None
        return v

    @property
    def base_dir(self) -> Path:
        """The directory that relative data paths are resolved against (the params file's)."""
        return Path(self.source_file).parent if self.source_file else PROJECT_DIR

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
    current = model
    for part in path:
        if isinstance(part, int) or current is None:
            continue
        field = current.model_fields.get(part)
        if field is None:
            return []
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
        key = ".".join(str(p) for p in loc) or "(top level)"
        if e["type"] == "extra_forbidden":
            allowed = [f for f in _fields_at(TeamParams, loc[:-1]) if f != "source_file"]
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            lines.append(f"  - {key}: unknown key. Fix: {hint}allowed keys here are {', '.join(allowed)}")
        elif e["type"] == "missing":
            lines.append(f"  - {key}: required key is missing. Fix: add it")
        else:
            found = e.get("input")
            found_text = "" if isinstance(found, dict) else f" (found {found!r})"
            lines.append(f"  - {key}: {e['msg']}{found_text}. Fix: correct this value")
    return "\n".join(lines)


def params_path(team: str) -> Path:
    """The params file of a team name, e.g. ``growth`` -> ``params/growth.yaml``."""
    return PARAMS_DIR / f"{team}.yaml"


def list_teams() -> list[str]:
    """The teams that have a params file, sorted."""
    return sorted(p.stem for p in PARAMS_DIR.glob("*.yaml"))


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
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ParamsError(f"{path}: not valid YAML: {exc}. Fix: check indentation and quoting") from None
    if not isinstance(raw, dict):
        raise ParamsError(f"{path}: expected a mapping of keys (team:, data:, events: ...), found {type(raw).__name__}")
    return parse_params(raw, where=str(path), source_file=path.resolve())  # kernels run elsewhere


def parse_params(raw: dict, where: str = "<params>", source_file: Path | None = None) -> TeamParams:
    """Validate a params mapping (already parsed from YAML or built in code)."""
    if "source_file" in raw:
        raise ParamsError(f"{where}: 'source_file' is set by the loader. Fix: remove it")
    try:
        return TeamParams.model_validate({**raw, "source_file": str(source_file) if source_file else None})
    except ValidationError as err:
        raise ParamsError(_explain(err, where)) from None


def duration_string(td: timedelta) -> str:
    """A compact display of a duration (``14d``, ``2h``)."""
    secs = int(td.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if secs % size == 0:
            return f"{secs // size}{unit}"
    return f"{secs}s"
