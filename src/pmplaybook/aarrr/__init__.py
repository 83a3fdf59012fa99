"""Pirate metrics (Dave McClure's AARRR, 2007): acquisition, activation, retention, referral, revenue.

Each stage is a function taking the canonical event log (and, for acquisition, the spend table) plus the
event names that play each role, and returning a small tidy DataFrame. Event-scale work runs in the
backend (ibis); only per-channel, per-period or per-stage aggregates come back as pandas.

Conventions shared by the stage functions:

* A user's **sign-up** is their first ``signup_event``; their **channel** (and any segment) is read on
  that row. A user's **account** is the ``account_id`` on that row (the user itself when the log has no
  ``account_id`` column).
* A **customer** is an account with at least one ``payment_event``; it is **new** in the period of its
  first payment and is attributed to the channel of the account's first user (the one who signed up
  first), so CAC and LTV/CAC are computed on the same customers.
* **MRR** of an account at a calendar month (team time zone) is the amount of its last payment in that
  month; a month with no payment keeps the previous month's amount while that payment is less than
  ``grace_days`` (35) old at the month's end (monthly billing dates drift across month ends), else it
  is 0. Payments are assumed to be monthly charges.
* Periods are calendar days / weeks / months in the team's time zone; a period whose observation window
  has not ended by ``as_of`` is flagged ``complete = False`` and its rates are NaN, never a misleadingly
  low number.

Retention itself lives in :mod:`pmplaybook.retention` (the notebook calls it); this package only turns
it into a journey stage in :func:`leaks`. The sentences are in :mod:`pmplaybook.narrative.aarrr`.
"""

from .headline import recent_mean, recent_rate
from .journey import funnel_window_check
from .leaks import leaks
from .revenue import (
    DEFAULT_GROSS_MARGIN,
    MAX_LIFETIME_MONTHS,
    ltv_cac_interval,
    mrr,
    ratio_bootstrap,
    net_revenue_retention,
    revenue_summary,
    unit_economics,
)
from .stages import (
    UNKNOWN,
    acquisition,
    activation,
    cac_by_channel,
    customers,
    referral,
    signups,
)

__all__ = [
    "DEFAULT_GROSS_MARGIN", "MAX_LIFETIME_MONTHS", "UNKNOWN", "acquisition", "activation", "cac_by_channel",
    "customers", "funnel_window_check", "leaks", "ltv_cac_interval", "mrr", "net_revenue_retention", "ratio_bootstrap", "recent_mean", "recent_rate", "referral", "revenue_summary",
    "signups", "unit_economics",
]
