"""PM Metrics Playbook: North Star, cohort retention, HEART and AARRR on your own event log.

The package is layered; each layer imports only the layers below it (``make test`` checks this):

=============================  ==================================================================
``cli``                        the ``pmplaybook`` command
``report``                     the papermill runner, offline HTML, KPI history, index
``widgets``, ``charts``        ipywidgets explorers; Altair chart builders
``narrative``                  findings and sentences, one module per framework
``registry``                   every metric name a params file uses -> the function computing it
``retention``, ``funnel``,     the metrics: tables in, tidy frames out
``aarrr``, ``heart``,
``north_star``
``data``                       load, validate, connect, the bundled sample
``config``                     the params model, the metric vocabulary, project paths
``core``                       calendar, engines, statistics, formatting, checks, errors
=============================  ==================================================================

``simulate`` (the sample-product generator) stands beside them and imports only ``core``.
"""

import importlib

__version__ = "0.1.0"

# Modules that moved into ``core`` and ``report``, still importable as ``from pmplaybook import stats``.
_MOVED = {"stats": "pmplaybook.core.stats", "engines": "pmplaybook.core.engines",
          "checks": "pmplaybook.core.checks", "kpis": "pmplaybook.report.kpis"}


def __getattr__(name: str):
    if name in _MOVED:
        return importlib.import_module(_MOVED[name])
    raise AttributeError(f"module 'pmplaybook' has no attribute {name!r}")
