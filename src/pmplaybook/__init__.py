"""PM Metrics Playbook: North Star, cohort retention, HEART and AARRR on your own event log.

Modules, one per concern: ``config`` (paths, team params), ``data`` (the event-log contract),
``simulate`` (the sample product), ``stats`` (intervals and tests), ``retention``, ``funnel``, ``aarrr``,
``heart``, ``north_star`` (the metrics), ``charts`` and ``widgets`` (Altair and ipywidgets), ``kpis``
(headline KPIs recorded by notebooks), ``report`` (the papermill runner) and ``cli``.
"""

__version__ = "0.1.0"
