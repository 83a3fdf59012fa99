"""PM Metrics Playbook: North Star, cohort retention, HEART and AARRR on your own event log.

Modules, one per concern: ``config`` (paths, team params), ``data`` (the event-log contract),
``simulate`` (the sample product), ``stats`` (intervals and tests), ``retention``, ``funnel``, ``aarrr``,
``heart``, ``north_star`` (the metrics), ``charts`` and ``widgets`` (Altair and ipywidgets), ``kpis``
(headline KPIs recorded by notebooks), ``report`` (the papermill runner) and ``cli``.
"""

import sys

# jsonschema (imported by Altair) loads `rfc3987_syntax` when it is installed (jupyter-events pulls it in),
# and that package builds a grammar at import: 1.5 s of every kernel start, for an "iri" format check
# the playbook never uses. Marking it absent makes jsonschema skip that one checker.
if "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)

__version__ = "0.1.0"
