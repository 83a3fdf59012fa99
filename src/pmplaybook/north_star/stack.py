"""The metric stack: a team's KPIs placed on business outcome / product outcome / activity, and the
warnings a healthy stack avoids.
"""

from __future__ import annotations

import pandas as pd

from ..config import TeamParams
from ..config.vocabulary import CHECKLIST, KPI_KEYWORDS, KPI_LEVELS, VANITY_WORDS


def metric_level(name: str) -> tuple[str, str]:
    """A metric name's level on the stack and the rule that placed it: looked up in :data:`KPI_LEVELS`,
    else the first :data:`KPI_KEYWORDS` rule with a word in the name, else ``("unclassified", "none")``.

    >>> metric_level("week4_retention"), metric_level("weekly_signups")
    (('business_outcome', 'lookup'), ('vanity', "keyword 'signup'"))
    """
    key = name.lower()
    if key in KPI_LEVELS:
        return KPI_LEVELS[key], "lookup"
    for lvl, words in KPI_KEYWORDS:
        hit = next((w for w in words if w in key), None)
        if hit:
            return lvl, f"keyword '{hit}'"
    return "unclassified", "none"


def classify_kpis(params: TeamParams, north_star: str | None = None) -> pd.DataFrame:
    """Place each of the team's KPIs (``params.kpis`` keys, plus the North Star) on the metric stack.

    Three levels (PMRead): **business outcomes** (revenue, retention, NPS, churn: lagging),
    **product outcomes** (activation, time to value, adoption, engagement: leading, owned by the PM),
    **activity** (features shipped, bugs closed, sprints: outputs, not KPIs); and apart from them the
    **vanity** counts the field warns about (total sign-ups, page views, downloads: they rise with ad spend;
    PMRead, ProdPad citing Eric Ries, Gupta). A name is placed by :func:`metric_level`. The North Star is
    a product outcome by definition unless its name is an activity or vanity count.

    Returns
    -------
    DataFrame: ``kpi``, ``level``, ``rule`` (lookup / keyword '<word>' / none), ``vanity`` (bool),
    ``north_star`` (bool).

    >>> from pmplaybook.config import load_params
    >>> classify_kpis(load_params("growth")).set_index("kpi")["level"].to_dict()["ltv_cac"]
    'business_outcome'
    """
    names = list(params.kpis)
    rows = []
    for name in names + ([north_star] if north_star and north_star not in names else []):
        key = name.lower()
        level, rule = metric_level(name)
        is_ns = name == north_star
        if is_ns and level not in ("activity", "vanity"):
            level, rule = "product_outcome", "north star"
        rows.append({"kpi": name, "level": level, "rule": rule,
                     "vanity": level == "vanity" or any(w in key for w in VANITY_WORDS), "north_star": is_ns})
    return pd.DataFrame(rows, columns=["kpi", "level", "rule", "vanity", "north_star"])


def metric_stack_warnings(stack: pd.DataFrame, max_kpis: int = 7) -> list[str]:
    """Warnings on a :func:`classify_kpis` table: too many primary KPIs (ProdPad: 3-7 per product area;
    PMRead: "15 KPIs is no KPIs"), activity or vanity metrics among the KPIs (outputs dressed as outcomes),
    no business outcome or no product outcome (a healthy set has lagging and leading metrics, ProdPad).
    An empty list means the stack looks healthy.

    >>> s = pd.DataFrame({"kpi": ["signups", "nps"], "level": ["vanity", "business_outcome"],
    ...     "rule": ["lookup"] * 2, "vanity": [True, False], "north_star": [False, False]})
    >>> [w.split(":")[0] for w in metric_stack_warnings(s)]
    ['Vanity counts', 'No product outcome']
    """
    out = []
    n = len(stack)
    if n > max_kpis:
        out.append(f"Too many KPIs: {n} primary KPIs, more than {max_kpis} (ProdPad's rule of thumb is 3-7 per "
                   "product area; PMRead: \"15 KPIs is no KPIs\"). Keep the North Star, 2-3 inputs and a "
                   "guardrail; move the rest to a secondary dashboard.")
    act = stack[(stack["level"] == "activity") & ~stack["vanity"]]
    if len(act):
        out.append(f"Activity metrics dressed as outcomes: {', '.join(act['kpi'])} "
                   f"{'counts' if len(act) == 1 else 'count'} the team's output, not value delivered (PMRead: "
                   "outputs, not KPIs). Replace with the outcome it is meant to drive.")
    vain = stack[stack["vanity"]]
    if len(vain):
        out.append(f"Vanity counts: {', '.join(vain['kpi'])} {'rises' if len(vain) == 1 else 'rise'} with ad "
                   "spend whatever the product does (PMRead; ProdPad citing Eric Ries; Gupta). Keep "
                   f"{'it' if len(vain) == 1 else 'them'} as an acquisition diagnostic next to spend, and track "
                   "the outcome instead (e.g. activation rate instead of sign-ups).")
    if n and not (stack["level"] == "business_outcome").any():
        out.append("No business outcome: nothing here tells whether the product earns or keeps customers "
                   "(revenue, retention, NPS). Add one lagging metric.")
    if n and not (stack["level"] == "product_outcome").any():
        out.append("No product outcome: every KPI is lagging, so the team learns too late. Add a leading metric "
                   "it can move within weeks (activation, adoption).")
    unknown = stack[stack["level"] == "unclassified"]
    if len(unknown):
        out.append(f"Unclassified: {', '.join(unknown['kpi'])}; name it after what it measures, or add it to "
                   "pmplaybook.config.vocabulary.KPI_LEVELS.")
    return out


def checklist_table(params: TeamParams) -> pd.DataFrame:
    """The team's own 1-5 scores per candidate and checklist item (rows = items, columns = candidates);
    an unscored item shows as NaN (counted 3 in :func:`score_candidates`).

    >>> from pmplaybook.config import load_params
    >>> checklist_table(load_params("onboarding")).loc["not_vanity"].to_dict()
    {'weekly_activated_users': 4.0, 'weekly_signups': 1.0}
    """
    cols = {c.name: [float(c.scores[i]) if i in c.scores else float("nan") for i in CHECKLIST]
            for c in params.north_star.candidates}
    out = pd.DataFrame(cols, index=pd.Index(list(CHECKLIST), name="item"))
    if len(out.columns):
        out.loc["mean"] = out.fillna(3).mean()
    return out
