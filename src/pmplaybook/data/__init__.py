"""The event-log contract: load and validate a team's tables (:mod:`.load`), connect a team's params to
its data (:mod:`.dataset`), the analytics tools' export presets (:mod:`.presets`), and the bundled sample
product (:mod:`.sample`)."""

from ..core.calendar import default_as_of, resolve_as_of, utc_midnight
from ..core.engines import backend, local_time, open_backend, seconds_between, spark_session, utc_from_local
from ..core.errors import DataError, DataWarning, EngineError
from .connect import check_against_params, connect
from .dataset import Dataset, has_event, materialize
from .load import OUTCOMES, REQUIRED, SURVEY_SCALES, load_events, load_predictions, load_spend, load_surveys
from .presets import PRESETS
from .sample import sample, truth

__all__ = [
    "OUTCOMES", "PRESETS", "REQUIRED", "SURVEY_SCALES", "DataError", "DataWarning", "Dataset", "EngineError", "backend",
    "check_against_params", "connect", "default_as_of", "has_event", "load_events", "load_predictions", "load_spend",
    "load_surveys", "local_time", "materialize", "open_backend", "resolve_as_of", "sample", "seconds_between",
    "spark_session", "truth", "utc_from_local", "utc_midnight",
]
