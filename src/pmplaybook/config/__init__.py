"""A team's settings: the params model (:mod:`.params`), the metric vocabulary (:mod:`.vocabulary`, data
only) and where the project and the bundled sample live (:mod:`.paths`)."""

from ..core.calendar import duration_string, parse_duration
from ..core.errors import ParamsError
from . import paths, vocabulary
from .params import (KPI, ActivationRule, Annotation, DataSource, EventRoles, Feature, Funnel, FunnelStep, HeartRow,
                     KeyResult, NorthStar, NorthStarCandidate, Objective, TeamParams, canonical, check_heart_metric,
                     check_input_name, check_kpi_name, load_params, load_teams, parse_params)
from .paths import PACKAGE_DIR, list_teams, params_path
from .vocabulary import CHECKLIST

__all__ = [
    "KPI", "ActivationRule", "Annotation", "CHECKLIST", "DataSource", "EventRoles", "Feature", "Funnel", "FunnelStep",
    "HeartRow", "KeyResult", "NorthStar", "Objective", "NorthStarCandidate", "PACKAGE_DIR", "ParamsError", "TeamParams", "canonical",
    "check_heart_metric", "check_input_name", "check_kpi_name", "duration_string", "list_teams",
    "load_params", "load_teams", "params_path", "parse_duration", "parse_params", "paths", "vocabulary",
]

_PATHS = {"DATA_DIR": paths.sample_dir, "PROJECT_DIR": paths.project_dir, "PARAMS_DIR": paths.params_dir,
          "NOTEBOOKS_DIR": paths.notebooks_dir, "REPORTS_DIR": paths.reports_dir}


def __getattr__(name: str):
    # The folders of earlier versions (config.DATA_DIR, ...), now found when asked for.
    if name in _PATHS:
        return _PATHS[name]()
    raise AttributeError(f"module 'pmplaybook.config' has no attribute {name!r}")
