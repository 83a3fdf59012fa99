"""AARRR's judging sentences and detectors (issue 13): each detector on a tiny hand-built log WITH its
confounder and one WITHOUT, answers worked out by hand; the planted cheap-CAC channel checked against
data/truth.json with the notebook's own function."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pmplaybook import aarrr
from pmplaybook.core.formatting import DOLLAR
from pmplaybook.narrative import aarrr as story
from pmplaybook.narrative.aarrr import Section

from conftest import ev
from test_aarrr import UNIT, UNIT_SPEND, log, spend

# ------------------------------------------------------------ per-channel vs blended (judge the worst)

# UNIT (test_aarrr): ads CAC 40 / 2 = 20, LTV 12, LTV/CAC 0.60, payback 2.5 months, lifetime 1.5 months;
# search CAC 600, LTV 4,800, LTV/CAC 8.0; organic: one customer (O1) paying 50 a month for 3 months.
NO_ORGANIC = [r for r in UNIT if r[0] != "o1"]


def test_blend_is_lifted_by_free_customers_and_never_judged():
    t = aarrr.unit_economics(log(UNIT), spend(UNIT_SPEND), gross_margin=0.8, as_of="2025-04-01")
    # WITH the confounder (a free organic customer): blended LTV/CAC 0.933 (test_aarrr) sits above ads' 0.60
    text = story.ltv_cac_finding(t)
    assert "**ads** loses money" in text and "**LTV/CAC = 0.60**" in text
    assert "Blended over all channels LTV/CAC is 0.93: a blend, not a verdict" in text
    assert "it sits above ads's 0.60 because 1 organic customer cost no ad spend" in text
    worst = story.worst_paid_channel(t)
    assert worst["channel"] == "ads" and worst["ltv_cac"] == pytest.approx(0.6)
    # WITHOUT it: ads + search only. ARPA (30 + 300) / 6 = 55; churn 2 of 5 at risk = 0.4 -> lifetime 2.5;
    # LTV 55 x 0.8 x 2.5 = 110; CAC 640 / 3 = 213.33 -> blended 0.516, below ads: nothing lifts it
    t2 = aarrr.unit_economics(log(NO_ORGANIC), spend(UNIT_SPEND), gross_margin=0.8, as_of="2025-04-01")
    blended = t2.set_index("channel").loc["all (blended)", "ltv_cac"]
    assert blended == pytest.approx(110 / (640 / 3))
    text2 = story.ltv_cac_finding(t2)
    assert "a blend, not a verdict" in text2 and "sits above" not in text2 and "organic" not in text2


def test_blended_cac_sentence_is_computed():
    t = aarrr.cac_by_channel(log(UNIT), spend(UNIT_SPEND), as_of="2025-04-01")
    # blended 640 / 4 customers = 160: dearer than ads (20), cheaper than search (600), because of O1
    text = story.cac_finding(t)
    assert "blended over every channel it is $160, lower than 1 of the 2 paid channels but higher than ads's $20" in text
    assert "it also counts 1 organic customer, who cost no ad spend" in text
    # shown as Markdown, so every dollar sign is kept out of MathJax's reach; read here as plain text
    answers = story.exercise_answers(Section("Acquisition", "", t), None).replace(DOLLAR, "$")
    # pooled paid CAC 640 / 3 = 213
    assert "Dearer than the blend: search ($600); cheaper: ads ($20)" in answers and "= $213" in answers
    # without the organic customer: 640 / 3 = 213.33, still between; no free customers to blame
    t2 = aarrr.cac_by_channel(log(NO_ORGANIC), spend(UNIT_SPEND), as_of="2025-04-01")
    text2 = story.cac_finding(t2)
    assert "it is $213, lower than 1 of the 2 paid channels but higher than ads's $20." in text2
    assert "organic" not in text2
    # a blend below every paid channel is said so
    dear_ads = aarrr.cac_by_channel(log(UNIT), spend([("2025-01-01", "ads", 800.0), ("2025-01-01", "search", 600.0)]),
                                    as_of="2025-04-01")
    assert "$350, lower than every paid channel's" in story.cac_finding(dear_ads)  # 1,400 / 4 < 800 / 2, 600


def test_headline_ltv_cac_is_the_worst_channel_not_the_blend():
    table = pd.DataFrame([
        dict(channel="ads", paid=True, cac=100.0, ltv_cac=0.4, lifetime_months=2.0, at_risk=100, churned=50),
        dict(channel="search", paid=True, cac=300.0, ltv_cac=5.3, lifetime_months=20.0, at_risk=200, churned=10),
        dict(channel="all (blended)", paid=False, cac=130.0, ltv_cac=4.0, lifetime_months=12.0, at_risk=700, churned=80),
    ])
    worst = story.worst_paid_channel(table)
    low, high = aarrr.ltv_cac_interval(worst)
    econ = Section("Unit economics", "", table, values={"kpi_ltv_cac": dict(
        value=worst["ltv_cac"], n=100, ci_low=low, ci_high=high, window_start=pd.Timestamp("2025-10-01"),
        window_end=pd.Timestamp("2026-01-01"), channel="ads")})
    row = story.headline_kpis(econ)["ltv_cac"]
    assert row["value"] == 0.4 and row["label"] == "LTV/CAC, worst paid channel: ads (last 3 months)"
    assert row["ci_high"] < 1  # 0.2 / 0.4038 = 0.495 (see test_ltv_cac_interval_by_hand)
    # a missing section records nothing measurable rather than a blend
    assert story.headline_kpis()["ltv_cac"]["value"] is None


# ---------------------------------------------------------------------- payback vs customer lifetime

def test_payback_longer_than_lifetime_never_pays_back():
    t = aarrr.unit_economics(log(UNIT), spend(UNIT_SPEND), gross_margin=0.8, as_of="2025-04-01").set_index("channel")
    # WITH: ads payback 20 / (10 x 0.8) = 2.5 months > lifetime 1 / (2/3) = 1.5 months
    assert t.loc["ads", "pays_back"] == False  # noqa: E712 (nullable boolean)
    assert t.loc["search", "pays_back"] == True  # noqa: E712  7.5 months < 60
    assert pd.isna(t.loc["organic", "pays_back"])
    text = story.payback_finding(t.reset_index())
    assert text.startswith("**ads never pays back**: a customer needs 2.5 months of margin to repay its CAC but "
                           "stays 1.5 months on average (1 / 67% monthly churn).")
    assert "Of the channels that pay back, the slowest is search: 7.5 months" in text
    # WITHOUT: ads spend 10 -> CAC 5, payback 5 / 8 = 0.625 months < 1.5: every channel pays back
    cheap = spend([("2025-01-01", "ads", 10.0), ("2025-01-01", "search", 600.0)])
    t2 = aarrr.unit_economics(log(UNIT), cheap, gross_margin=0.8, as_of="2025-04-01")
    assert t2.set_index("channel").loc["ads", "pays_back"] == True  # noqa: E712
    text2 = story.payback_finding(t2)
    assert "never pays back" not in text2
    assert "Every paid channel pays back within its customers' lifetime; the slowest is search: 7.5 months" in text2


# --------------------------------------------------------------------- referral: what invites bring

def _invites(own_account: bool):
    # a signs up (account A) and invites x, who accepts 2 days later. WITH the confounder x joins a's
    # account A (a seat); WITHOUT it x starts account X and pays for it.
    x_account = "X" if own_account else "A"
    rows = [("a", "2025-01-01", "signup", "A", "ads"), ("a", "2025-01-02", "invite_sent", "A", "ads"),
            ("a", "2025-01-03", "invite_sent", "A", "ads"),
            ("x", "2025-01-03", "signup", x_account, "referral"),
            ("x", "2025-01-03", "invite_accepted", x_account, "referral", None, "a"),
            ("b", "2025-01-05", "signup", "B", "ads"),
            ("a", "2025-01-10", "payment", "A", "ads", 50.0)]
    if own_account:
        rows.append(("x", "2025-01-20", "payment", "X", "referral", 30.0))
    return log(rows)


def test_k_factor_judged_by_what_invites_bring():
    seat = aarrr.referral(_invites(False), payment_event="payment", period="month", as_of="2025-04-01").iloc[0]
    # January: a, x, b = 3 users; 2 invites, 1 accepted -> K = 1/3; x joined A: no new account
    assert seat[["users", "invites_sent", "accepted", "new_accounts", "new_customers"]].tolist() == [3, 2, 1, 0, 0]
    assert seat["k_factor"] == pytest.approx(1 / 3)
    text = story.referral_finding(aarrr.referral(_invites(False), payment_event="payment", as_of="2025-04-01"))
    assert "**K-factor = 0.33**" in text and "none of the 1 accepted invites started an account of its own" in text
    assert "do not lower CAC here" in text
    own = aarrr.referral(_invites(True), payment_event="payment", period="month", as_of="2025-04-01")
    assert own.iloc[0][["accepted", "new_accounts", "new_customers", "accepted_sq"]].tolist() == [1, 1, 1, 1]
    text2 = story.referral_finding(own)
    # 1 paying customer per 3 users = 33.3 per 100
    assert "1 (100%) started an account of their own and 1 of those accounts pay: 33.3 paying customers per 100" in text2
    assert "do not lower CAC" not in text2


# ------------------------------------------------------ a funnel whose window or population is incomplete

def _journey(times_days, referral_users=2):
    rows = []
    for i, d in enumerate(times_days):
        rows.append((f"u{i}", "2025-01-01 00:00", "signup", "ads"))
        if d is not None:
            rows.append((f"u{i}", str(pd.Timestamp("2025-01-01") + pd.Timedelta(days=d)), "subscription_started", "ads"))
    rows += [(f"r{i}", "2025-01-02 00:00", "signup", "referral") for i in range(referral_users)]
    return ev(rows, channel=None)


def test_window_shorter_than_the_journey_and_a_population_that_cannot_finish():
    # WITH: converters after 2, 5, 20 and 30 days (and one ads user who never converts), two referral users
    # who never do. Within 14 days: 2 of 4 = 50%. p90 (linear) of 2, 5, 20, 30: position 2.7 -> 20 + 0.7 x 10 = 27
    check = aarrr.funnel_window_check(_journey([2, 5, 20, 30, None]), ["signup", "subscription_started"],
                                      window="14d", segments=["channel"], horizon_days=60, min_users=2,
                                      as_of="2025-04-01")
    assert (check["entrants"], check["converters"], check["within_window"]) == (7, 4, 2)
    assert check["share_within"] == 0.5 and check["p90_days"] == pytest.approx(27.0)
    assert check["suggested_window_days"] == 27 and check["window_ok"] is False
    assert check["stuck"][["column", "value", "users"]].values.tolist() == [["channel", "referral", 2]]
    text, advice = story.window_finding(check, "subscription_started", "14d")
    assert "**The 14d window is shorter than the journey.**" in text and "only 50% did so within 14d" in text
    assert "2 with channel = referral (29%) never reached subscription_started" in text
    assert "Widen the funnel to 27 days" in advice and "do not time reminders from it" in advice
    # WITHOUT: every converter within 10 days, and referral users convert too
    fine = _journey([2, 5, 10], referral_users=0)
    ok = aarrr.funnel_window_check(fine, ["signup", "subscription_started"], window="14d", segments=["channel"],
                                   horizon_days=60, min_users=1, as_of="2025-04-01")
    assert ok["window_ok"] is True and ok["share_within"] == 1.0 and ok["stuck"].empty
    # p90 of 2, 5, 10: position 1.8 -> 5 + 0.8 x 5 = 9 days
    assert ok["p90_days"] == pytest.approx(9.0)
    text, advice = story.window_finding(ok, "subscription_started", "14d")
    assert text == "" and "covers 100% of converters" in advice and "within 9.0 days" in advice


def test_window_check_counts_only_users_followed_for_the_whole_horizon():
    # a user who entered 10 days before as_of cannot yet show a 30-day conversion: left out
    e = ev([("a", "2025-01-01 00:00", "signup"), ("a", "2025-01-03 00:00", "buy"),
            ("late", "2025-03-22 00:00", "signup")])
    check = aarrr.funnel_window_check(e, ["signup", "buy"], window="7d", horizon_days=30, as_of="2025-04-01")
    assert check["entrants"] == 1 and check["converters"] == 1 and check["window_ok"] is True


# ---------------------------------------------------------------------- NRR: its base and interval

def test_nrr_states_its_base_and_interval():
    from test_aarrr import MRR

    r = aarrr.net_revenue_retention(log(MRR), months=3, as_of="2025-05-01")
    # 3 accounts paying in January (A 50, B 30, D 40) -> 70 / 120 (test_aarrr); bootstrap over the 3 accounts
    assert r["accounts"] == 3 and r["ci_low"] <= r["nrr"] <= r["ci_high"]
    assert aarrr.net_revenue_retention(log(MRR), months=3, as_of="2025-05-01")["ci_low"] == r["ci_low"]  # seeded
    assert "too few accounts to judge (fewer than 30)" in story.nrr_finding(r)
    base = dict(nrr=0.57, months=11, start_month=pd.Timestamp("2025-01-01"), end_month=pd.Timestamp("2025-12-01"))
    shrinks = story.nrr_finding({**base, "accounts": 97, "ci_low": 0.40, "ci_high": 0.75})
    assert "is **57.0%** on the 97 accounts paying in Jan 2025 (95% interval 40.0%-75.0%" in shrinks
    assert "below 100% even at the interval's top, the base shrinks" in shrinks
    unsure = story.nrr_finding({**base, "nrr": 0.95, "accounts": 60, "ci_low": 0.80, "ci_high": 1.10})
    assert "cannot tell whether the base grows or shrinks" in unsure


def test_ratio_bootstrap_by_hand():
    # every account keeps its revenue: every resample gives 1.0
    assert aarrr.ratio_bootstrap([5.0, 7.0, 9.0], [5.0, 7.0, 9.0]) == (1.0, 1.0)
    assert all(np.isnan(aarrr.ratio_bootstrap([1.0], [1.0])))


# ------------------------------------------------------------------- headline KPIs on recent windows

def test_recent_rate_pools_the_last_complete_cohorts():
    t = pd.DataFrame({"cohort": pd.to_datetime(["2025-11-24", "2025-12-01", "2025-12-08", "2025-12-15", "2025-12-22"]),
                      "activated": [10, 20, 30, 40, 1], "signups": [100, 100, 100, 100, 5], "pending": [0, 0, 0, 0, 3]})
    r = aarrr.recent_rate(t, "activated", "signups", complete=t["pending"] == 0, periods=2)
    # the last two complete weeks: (30 + 40) / 200 = 35%
    assert r["value"] == 0.35 and r["n"] == 200
    assert (r["window_start"], r["window_end"]) == (pd.Timestamp("2025-12-08"), pd.Timestamp("2025-12-22"))
    assert r["ci_low"] < 0.35 < r["ci_high"]
    assert aarrr.recent_rate(t, "activated", "signups", complete=[False] * 5) == {"value": None}


# ------------------------------------------------------------------------ the planted truth

@pytest.fixture(scope="module")
def economics_section(growth):
    return story.unit_economics_section(growth[1])


def test_sample_cheap_cac_channel_against_truth(economics_section, truth):
    want = truth["cheap_cac_channel"]["by_channel"][truth["cheap_cac_channel"]["channel"]]
    t = economics_section.table.set_index("channel")
    row = t.loc[truth["cheap_cac_channel"]["channel"]]
    # CAC and new customers: the same definition as the truth (spend / accounts that paid) -> equal
    assert row["cac"] == pytest.approx(want["cac"], rel=1e-6) and row["new_customers"] == want["new_customers"]
    # churn: the truth divides cancellations by payments, the notebook counts stopped accounts per calendar
    # month at risk (data/README.md); both give 0.62 at two decimals, the figure the page prints
    assert row["monthly_churn"] == pytest.approx(want["monthly_churn"], abs=0.005)
    assert round(row["ltv_cac"], 2) == round(want["ltv_cac"], 2) == 0.62
    assert row["ltv"] == pytest.approx(want["ltv"], abs=1.0)
    assert f"**LTV/CAC = {want['ltv_cac']:.2f}**" in economics_section.text
    # the cheapest paid channel, and it never pays back (payback 3.6 > lifetime 2.3 months)
    assert "lowest CAC of all paid channels" in economics_section.text
    assert f"**{truth['cheap_cac_channel']['channel']} never pays back**" in economics_section.text
    assert row["payback_months"] == pytest.approx(want["cac"] / (want["arpa"] * 0.8), rel=0.01)
    # the headline records a paid channel's LTV/CAC below 1, never the blend (3.7)
    kpi = economics_section.values["kpi_ltv_cac"]
    assert kpi["channel"] == "paid_social" and kpi["ci_high"] < 1


def test_window_nearly_long_enough_is_said_mildly():
    # 8 of 10 converters within 14 days (80%); p90 (linear) of 1..8, 20, 30: position 8.1 -> 20 + 0.1 x 10 = 21
    check = aarrr.funnel_window_check(_journey([1, 2, 3, 4, 5, 6, 7, 8, 20, 30], referral_users=0),
                                      ["signup", "subscription_started"], window="14d", horizon_days=60,
                                      as_of="2025-04-01")
    assert check["share_within"] == 0.8 and check["suggested_window_days"] == 21 and check["window_ok"] is False
    text, advice = story.window_finding(check, "subscription_started", "14d")
    assert "shorter than the journey" not in text
    assert "The 14d window covers 80% of the users who eventually reach subscription_started" in text
    assert "21 days would cover 90%" in text and "not the chart's" in advice and "21.0 days" in advice


def test_ratio_normal_interval_agrees_with_the_bootstrap():
    from pmplaybook.aarrr.revenue import _ratio_normal

    rng = np.random.default_rng(5)
    s = rng.choice([30.0, 50.0, 100.0], size=800)
    e = s * rng.choice([0.0, 1.0, 1.2], size=800, p=[0.1, 0.8, 0.1])
    boot = aarrr.ratio_bootstrap(e, s)
    normal = _ratio_normal(len(s), s.sum(), e.sum(), (s * s).sum(), (e * e).sum(), (s * e).sum())
    assert normal[0] == pytest.approx(boot[0], abs=0.01) and normal[1] == pytest.approx(boot[1], abs=0.01)


def test_summary_notes_a_window_too_short_only_when_it_is():
    short = aarrr.funnel_window_check(_journey([2, 5, 20, 30, None]), ["signup", "subscription_started"],
                                      window="14d", horizon_days=60, as_of="2025-04-01")
    journey = Section("Journey funnel", "", values={"window_check": short, "window": "14d"})
    f = story.window_summary_finding(journey)
    assert f.severity == "note" and f.chart == "journey"
    assert "its 14d window counts only 50% of the users who eventually convert" in f.text
    assert "27 days" in f.next_step
    assert [g.chart for g in story.summary_findings(journey=journey)] == ["journey"]
    fine = aarrr.funnel_window_check(_journey([2, 5, 10], referral_users=0), ["signup", "subscription_started"],
                                     window="14d", horizon_days=60, as_of="2025-04-01")
    assert story.window_summary_finding(Section("Journey funnel", "", values={"window_check": fine, "window": "14d"})) is None
    assert story.summary_findings(journey=Section("Journey funnel", "", available=False)) == []


@pytest.fixture(scope="module")
def parquet_events():
    from pmplaybook.config import DATA_DIR

    e = pd.read_parquet(DATA_DIR / "events.parquet", columns=["user_id", "account_id", "timestamp", "event",
                                                             "channel", "inviter_id"])
    e["ts"] = e["timestamp"].dt.tz_convert(None)
    return e


def test_sample_window_check_and_referral_recomputed_with_pandas(growth, parquet_events):
    params, ds = growth
    from pmplaybook import funnel

    check = aarrr.funnel_window_check(ds.events, funnel.steps_from_params(params), window=params.funnel.window,
                                      segments=params.segments, as_of=ds.as_of, timezone=ds.timezone)
    e = parquet_events
    su = e[e.event == "signup"].sort_values("ts").drop_duplicates("user_id").set_index("user_id")
    sub = e[e.event == "subscription_started"].groupby("user_id")["ts"].min()
    f = su[["ts", "channel"]].join(sub.rename("sub"))
    horizon = pd.Timedelta(days=check["horizon_days"])
    f = f[f["ts"] < pd.Timestamp(ds.as_of) - horizon]
    days = (f["sub"] - f["ts"]).dt.total_seconds() / 86400
    conv = days[(days >= 0) & (days <= check["horizon_days"])]
    assert (check["entrants"], check["converters"]) == (len(f), len(conv))
    assert check["share_within"] == pytest.approx((conv <= 14).mean())  # 36% (37% over all history)
    assert check["p90_days"] == pytest.approx(conv.quantile(0.9), abs=1e-6)  # 30.9 days
    referral = f[f["channel"] == "referral"]
    assert check["stuck"].set_index("value").loc["referral", "users"] == len(referral)
    assert referral["sub"].isna().all()
    # invited users never start an account: no invitee is the first user of an account
    founders = set(e[e.event == "signup"].sort_values("ts").drop_duplicates("account_id")["user_id"])
    invitees = e.loc[e.event == "invite_accepted", "user_id"]
    assert not invitees.isin(founders).any()
    r = aarrr.referral(ds.events, payment_event="payment", period=None, as_of=ds.as_of).iloc[0]
    assert r["accepted"] > 0 and r["new_accounts"] == r["new_customers"] == 0
