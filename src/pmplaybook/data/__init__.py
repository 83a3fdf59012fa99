"""The event-log contract: load and validate a team's tables (:mod:`.load`), connect a team's params to
its data (:mod:`.connection`, :mod:`.dataset`), the analytics tools' export presets (:mod:`.presets`),
and the bundled sample product (:mod:`.bundled`). No module is named like a function it holds: the
package would otherwise find the module where the function was.

Each name is imported on first use (PEP 562): ``data.load_events`` on a file needs neither the params
model nor the sample, so a user's first answer does not wait for them.
"""

import importlib

#: Every public name and the module that holds it.
_WHERE = {
    **dict.fromkeys(["default_as_of", "resolve_as_of", "utc_midnight"], "..core.calendar"),
    **dict.fromkeys(["backend", "local_time", "open_backend", "seconds_between", "spark_session", "utc_from_local"],
                    "..core.engines"),
    **dict.fromkeys(["DataError", "DataWarning", "EngineError"], "..core.errors"),
    **dict.fromkeys(["check_against_params", "connect"], ".connection"),
    **dict.fromkeys(["Dataset", "has_event", "materialize"], ".dataset"),
    **dict.fromkeys(["OUTCOMES", "REQUIRED", "SURVEY_SCALES", "load_events", "load_predictions", "load_spend",
                     "load_surveys"], ".load"),
    "PRESETS": ".presets",
    **dict.fromkeys(["sample", "truth"], ".bundled"),
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name], __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
