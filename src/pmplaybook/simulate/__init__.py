"""The sample product: a year of "Taskfolio", a fictional B2B project-management SaaS.

The story
---------
Taskfolio sells project and task management to small teams. Someone at a company signs up (that creates
the company's *account*), creates a project, adds and completes tasks, comments, and invites colleagues,
who join the same account. Accounts start on the free plan; some subscribe to ``starter`` ($29 a month),
``team`` ($79) or ``business`` ($199), are billed monthly, upgrade, downgrade and cancel. People arrive
through organic search, paid search ads, paid social ads, sponsored content, the company's e-mail
newsletter, or a teammate's invite (``referral``). Sessions happen on the web app or the iOS and Android
apps, mostly on weekdays. An AI assistant that suggests tasks launches on 2025-07-01. Marketing spends
money every day on the paid channels, and in-app surveys ask for NPS, CSAT and CES.

Things happen to Taskfolio during 2025 that the notebooks teach a PM to find (the *planted findings*):

1. users who invite 3+ teammates in their first week mostly stay (the "magic number");
2. paid social brings the cheapest customers, who churn so fast that LTV/CAC is below 1;
3. a year-end promotion e-mail (1-4 December) brings dormant users back for a day: daily actives spike,
   cohort retention does not move;
4. an e-mail blast in the week of 7 April brings a cohort 3-4 times a normal week's size that barely
   retains;
5. Android app 5.0 (4 August) breaks something: Android users' retention collapses, web and iOS do not;
6. weekly sign-ups follow ad spend (a vanity North Star candidate) while weekly core use does not;
7. users who complete 3+ tasks in their first 7 days (activated) retain on a plateau; the rest fade out;
8. web release 5.1 (15 September) makes task import fail three times as often and take longer;
9. NPS detractors concentrate on the free plan;
10. adoption of the AI assistant grows month by month; about half its suggestions are accepted as is.

The AI assistant also leaves a *prediction log* (one row per call of its model): model ``assist-2``
(from 2025-10-06) is faster and cheaper but less precise for German users, review labels arrive days
late (the last weeks have few), and mobile 5.2 (2025-11-17) brings dictated prompts that shift the
model's input (drift).

:func:`simulate` returns the four tables (``events``, ``surveys``, ``spend``, ``predictions``) as pandas
DataFrames, :func:`write_sample` writes them as
Parquet with ``truth.json`` (the planted parameters and the figures realised in the generated data, see
``data/README.md`` for their exact definitions), and :func:`truth` returns that dictionary.

How it works
------------
Everything is vectorised with numpy from one ``numpy.random.Generator(PCG64(seed))``, so a seed gives
the same bytes every time. Each user gets a latent *intent* (by acquisition channel), draws first-week
behaviour (tasks completed, invites sent), and from it a *fate*: a "stayer" is active in most weeks
until a slow churn, a "leaver" fades out geometrically. Active weeks get sessions at weekday-weighted
local working hours, sessions get events. Accepted invites create the next generation of users in the
inviter's account. Subscriptions, payments, plan changes and cancellations follow the account owner's
activity. Nothing here imports the metric modules: the truth is computed from the generated arrays.

The modules, in the order a run uses them: ``constants`` (vocabulary, planted dates, behaviour tables),
``draws`` (random helpers), ``sim`` (the run and its two phases), ``users`` (acquisition, first week,
fate, invitees), ``activity`` (sessions and their events, the year-end spike), ``billing``,
``surveys``, ``predictions`` (the AI prediction log, drawn after the run from its own random stream),
``ground_truth`` (the realised figures) and ``output`` (tables, Parquet, the public
functions). They import only the standard library, numpy, pandas and pyarrow.
"""

from .constants import CHANNELS, EVENTS, PAID_CHANNELS, PLAN_PRICES, PLANS, SAMPLE_SEED, SAMPLE_USERS, WORKFLOWS
from .output import simulate, truth, write_sample

__all__ = ["SAMPLE_SEED", "SAMPLE_USERS", "EVENTS", "CHANNELS", "PAID_CHANNELS", "PLANS", "PLAN_PRICES",
           "WORKFLOWS", "simulate", "truth", "write_sample"]
