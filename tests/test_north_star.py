"""North Star: candidate series, evidence (leading indicator, vanity, sensitivity), magic number, metric
tree and metric stack. Hand-worked tiny tables first (the arithmetic is in the comments), then the sample's
planted findings (data/truth.json).

Calendar notes: 2025-03-03, 03-10, 03-17 and 03-24 are Mondays; 2025-01-01 is a Wednesday; Berlin is
UTC+1 in March (before the 03-30 switch).
"""

import math

import numpy as np
import pandas as pd
import pytest
from conftest import ev

from pmplaybook import config, north_star as ns, registry
from pmplaybook.narrative import north_star as story
from pmplaybook.config import DATA_DIR
from pmplaybook.data import Dataset, load_events, load_spend


def records(frame, *cols):
    out = []
    for r in frame[list(cols)].to_dict("records"):
        out.append(tuple(r[c].strftime("%Y-%m-%d") if isinstance(r[c], pd.Timestamp) else
                         (None if isinstance(r[c], float) and math.isnan(r[c]) else r[c]) for c in cols))
    return out


# ------------------------------------------------------------------------------------ candidate series

COMMENTS = ev([
    ("a", "2025-03-03 08:00", "signup", "X"),         # first event: Monday, so week 03-03 is whole
    ("a", "2025-03-03 09:00", "comment_added", "X"),
    ("b", "2025-03-04 09:00", "comment_added", "X"),
    ("a", "2025-03-05 09:00", "comment_added", "X"),  # X in week 03-03: users {a, b} = 2
    ("c", "2025-03-05 09:00", "comment_added", "Y"),
    ("d", "2025-03-09 23:30", "comment_added", "Y"),  # Sunday 23:30 UTC = Monday 00:30 in Berlin
    ("a", "2025-03-11 09:00", "comment_added", "X"),
    ("e", "2025-03-12 09:00", "comment_added", "Y"),
    ("a", "2025-03-18 09:00", "session_start", "X"),  # week 03-17: no comment at all
], account_id=None)

COLLAB = {"name": "collaborating_accounts", "event": "comment_added", "aggregation": "distinct_users",
          "per": "account", "window": "week", "threshold": 2}


def test_candidate_series_threshold_per_account_in_berlin():
    s = ns.candidate_series(COMMENTS, COLLAB, timezone="Europe/Berlin", as_of="2025-03-24")
    assert list(s.columns) == ["period", "value", "units"]
    # week 03-03: X has {a, b} (2 >= 2: counts), Y has {c} (d's comment is Monday 00:30 Berlin) -> 1
    # week 03-10: X {a} no; Y {d, e} yes -> 1.  week 03-17: no comment -> 0, 0 accounts.
    assert records(s, "period", "value", "units") == [
        ("2025-03-03", 1.0, 2), ("2025-03-10", 1.0, 2), ("2025-03-17", 0.0, 0)]


def test_candidate_series_same_events_in_utc_and_incomplete_week_dropped():
    s = ns.candidate_series(COMMENTS, COLLAB, timezone="UTC", as_of="2025-03-24")
    # in UTC d's comment is Sunday 03-09: week 03-03 has X {a, b} and Y {c, d} -> 2; week 03-10 X {a}, Y {e} -> 0
    assert records(s, "period", "value") == [("2025-03-03", 2.0), ("2025-03-10", 0.0), ("2025-03-17", 0.0)]
    s = ns.candidate_series(COMMENTS, COLLAB, timezone="UTC", as_of="2025-03-20")
    # as_of Thursday 03-20: week 03-17..23 has not ended -> left out, never reported as 0
    assert records(s, "period") == [("2025-03-03",), ("2025-03-10",)]


TASKS = ev([
    ("a", "2025-01-01 10:00", "signup", None),        # Wednesday: week 2024-12-30 is partial -> dropped
    ("a", "2025-01-02 10:00", "task_completed", None),
    ("a", "2025-01-06 10:00", "task_completed", None),
    ("a", "2025-01-07 10:00", "task_completed", None),
    ("b", "2025-01-08 10:00", "task_completed", None),
    ("b", "2025-01-14 10:00", "task_completed", None),
    ("a", "2025-01-05 10:00", "payment", 50.0),
    ("a", "2025-01-20 10:00", "payment", 30.0),
    ("b", "2025-02-10 10:00", "payment", 40.0),
    ("b", "2025-03-01 10:00", "payment", 99.0),       # March has not ended by as_of -> dropped
], revenue=None)


def test_candidate_series_aggregations_without_threshold():
    base = {"event": "task_completed", "window": "week"}
    count = ns.candidate_series(TASKS, {"name": "n", **base}, as_of="2025-01-20")
    # weeks 01-06 (a, a, b) and 01-13 (b); the partial week 2024-12-30 (data start Wed 01-01) is left out
    assert records(count, "period", "value", "units") == [("2025-01-06", 3.0, 2), ("2025-01-13", 1.0, 1)]
    users = ns.candidate_series(TASKS, {"name": "u", "aggregation": "distinct_users", **base}, as_of="2025-01-20")
    assert list(users["value"]) == [2.0, 1.0]
    per_user = ns.candidate_series(TASKS, {"name": "p", "per": "user", **base}, as_of="2025-01-20")
    # per user, no threshold: mean per active user; week 01-06: a 2, b 1 -> 1.5; week 01-13: b 1 -> 1.0
    assert list(per_user["value"]) == [1.5, 1.0]
    busy = ns.candidate_series(TASKS, {"name": "b", "per": "user", "threshold": 2, **base}, as_of="2025-01-20")
    assert list(busy["value"]) == [1.0, 0.0]  # only a reaches 2 in week 01-06


def test_candidate_series_monthly_sum():
    c = {"name": "revenue", "event": "payment", "aggregation": "sum", "column": "revenue", "window": "month"}
    s = ns.candidate_series(TASKS, c, as_of="2025-03-15")
    # January 50 + 30 = 80; February 40; March incomplete on 03-15
    assert records(s, "period", "value") == [("2025-01-01", 80.0), ("2025-02-01", 40.0)]


def test_candidate_series_bad_arguments_name_the_fix():
    with pytest.raises(ValueError, match="aggregation 'sum' needs 'column'"):
        ns.candidate_series(TASKS, {"name": "r", "event": "payment", "aggregation": "sum"})
    no_accounts = ev([("a", "2025-01-01", "x")])
    with pytest.raises(ValueError, match="account_id"):
        ns.candidate_series(no_accounts, {"name": "a", "event": "x", "per": "account"})
    with pytest.raises(TypeError, match="ibis table"):
        ns.candidate_series(pd.DataFrame(), COLLAB)


def test_reference_series_spend_signups_and_retained_use():
    events = ev([
        ("a", "2025-03-03 09:00", "signup"), ("b", "2025-03-04 09:00", "signup"),
        ("a", "2025-03-11 09:00", "x"), ("c", "2025-03-12 09:00", "signup"),
        ("a", "2025-03-18 09:00", "x"), ("c", "2025-03-19 09:00", "x"),
    ])
    spend = load_spend(pd.DataFrame({"date": ["2025-03-03", "2025-03-09", "2025-03-10", "2025-03-24"],
                                     "channel": ["ads"] * 4, "amount": [100.0, 50.0, 70.0, 999.0]}))
    r = ns.reference_series(events, spend, window="week", as_of="2025-03-24")
    # spend: week 03-03 = 100 + 50 (Sunday 03-09), week 03-10 = 70; 03-24 is after as_of
    # active: 03-03 {a, b}; 03-10 {a, c}; 03-17 {a, c}. retained (this and last week): 03-10 {a}; 03-17 {a, c}
    assert records(r, "period", "spend", "signups", "active_users", "retained_users") == [
        ("2025-03-03", 150.0, 2, 2, 0), ("2025-03-10", 70.0, 1, 2, 1), ("2025-03-17", 0.0, 0, 2, 2)]


# --------------------------------------------------------------------------------------------- evidence


def test_auc_and_spearman_by_hand():
    f = pd.DataFrame({"early_value": [1, 2, 3, 4, 5], "active_week_8": [0, 1, 0, 1, 1],
                      "revenue": [10, 20, 30, 50, 40]})
    r = ns.leading_indicator(f, n_boot=0)
    # AUC: retained at x = 2, 4, 5, churned at 1, 3: pairs (2>1, 2<3, 4>1, 4>3, 5>1, 5>3) -> 5/6
    assert r["auc"] == pytest.approx(5 / 6)
    # Spearman with revenue: ranks 1..5 vs 1, 2, 3, 5, 4: sum d^2 = 2 -> 1 - 6*2 / (5*24) = 0.9
    assert r["spearman_revenue"] == pytest.approx(0.9)
    # with retention: ranks of x are 1..5, of y (0, 1, 0, 1, 1) are (1.5, 4, 1.5, 4, 4); deviations from 3:
    # x (-2, -1, 0, 1, 2), y (-1.5, 1, -1.5, 1, 1): sum of products 5, Sxx 10, Syy 7.5 -> 5 / sqrt(75) = 0.5774
    assert r["spearman_retention"] == pytest.approx(5 / math.sqrt(75))
    ties = ns.leading_indicator(pd.DataFrame({"early_value": [1, 1, 2, 2], "active_week_8": [0, 1, 0, 1],
                                              "revenue": [0, 0, 0, 0]}), n_boot=0)
    # pairs (1 vs 1) 1/2, (1 vs 2) 0, (2 vs 1) 1, (2 vs 2) 1/2 -> 2/4; constant revenue -> no correlation
    assert ties["auc"] == 0.5 and math.isnan(ties["spearman_revenue"])


def test_constant_early_value_cannot_lead_and_bootstrap_interval_brackets():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 6, 400)
    y = (rng.random(400) < 0.1 + 0.15 * x).astype(int)
    r = ns.leading_indicator(pd.DataFrame({"early_value": x, "active_week_8": y, "revenue": x * 10.0}), n_boot=100)
    assert r["auc_low"] < r["auc"] < r["auc_high"] and r["auc"] > 0.7
    flat = ns.leading_indicator(pd.DataFrame({"early_value": [1] * 50, "active_week_8": [0, 1] * 25,
                                              "revenue": [0.0] * 50}), n_boot=20)
    assert flat["auc"] == 0.5 and math.isnan(flat["spearman_retention"])


def test_unit_outcomes_windows_by_hand():
    events = ev([
        ("a", "2025-01-01 00:00", "signup", None),
        ("a", "2025-01-02 00:00", "task_completed", None),   # day 1: early
        ("a", "2025-01-04 00:00", "task_completed", None),   # day 3: early -> early_value 2
        ("a", "2025-01-20 00:00", "task_completed", None),   # day 19: after the 14-day window
        ("a", "2025-01-06 00:00", "payment", 5.0),            # day 5: before the revenue window
        ("a", "2025-01-31 00:00", "payment", 20.0),           # day 30: revenue 20
        ("a", "2025-02-27 00:00", "session_start", None),     # day 57: in week 8 = days [56, 63) -> active
        ("b", "2025-01-01 00:00", "signup", None),
        ("b", "2025-02-20 00:00", "session_start", None),     # day 50: week 7, not 8 -> not active
        ("c", "2025-03-01 00:00", "signup", None),            # + 91 days = 05-31 > as_of: left out
    ], revenue=None)
    u = ns.unit_outcomes(events, {"name": "t", "event": "task_completed"}, as_of="2025-04-15")
    got = u.execute().sort_values("unit")
    assert got.to_dict("list") == {"unit": ["a", "b"], "early_value": [2.0, 0.0], "active_week_8": [1, 0],
                                   "revenue": [20.0, 0.0]}


def _invite_log(with_inviter=True):
    """A signs up, invites B and C, who accept (the invite_accepted rows are on B and C, naming A); A is
    active in week 8, B, C and D are not; D signs up alone."""
    rows = [
        ("A", "2025-01-01 09:00", "signup", None),
        ("A", "2025-01-02 09:00", "invite_sent", None), ("A", "2025-01-02 09:01", "invite_sent", None),
        ("B", "2025-01-03 09:00", "signup", None), ("B", "2025-01-03 09:00:01", "invite_accepted", "A"),
        ("C", "2025-01-04 09:00", "signup", None), ("C", "2025-01-04 09:00:01", "invite_accepted", "A"),
        ("D", "2025-01-05 09:00", "signup", None),
        ("A", "2025-02-27 09:00", "session_start", None),   # day 57: week 8
        ("B", "2025-01-10 09:00", "session_start", None),   # week 1 only
    ]
    return ev(rows, inviter_id=None) if with_inviter else ev([r[:3] for r in rows])


def test_accepted_invites_are_credited_to_the_inviter():
    cand = {"name": "accepted", "event": "invite_accepted"}
    own = ns.unit_outcomes(_invite_log(), cand, as_of="2025-06-01").execute().set_index("unit")
    credited = ns.unit_outcomes(_invite_log(), cand, credit_column="inviter_id", as_of="2025-06-01").execute()
    credited = credited.set_index("unit")
    # on the invitee: A 0, B 1, C 1, D 0 ("was this user invited"); credited to the inviter: A 2, the rest 0
    assert own["early_value"].to_dict() == {"A": 0.0, "B": 1.0, "C": 1.0, "D": 0.0}
    assert credited["early_value"].to_dict() == {"A": 2.0, "B": 0.0, "C": 0.0, "D": 0.0}
    # AUC, retained {A} vs churned {B, C, D}: on the invitee 0 vs (1, 1, 0) -> (0 + 0 + 1/2) / 3 = 1/6;
    # credited 2 vs (0, 0, 0) -> 1.0
    assert ns.leading_indicator(own.reset_index(), n_boot=0)["auc"] == pytest.approx(1 / 6)
    assert ns.leading_indicator(credited.reset_index(), n_boot=0)["auc"] == 1.0


def test_score_candidates_credits_the_team_invite_accepted_event():
    spec = {"team": "t", "events": {"invite_sent": "invite_sent", "invite_accepted": "invite_accepted"},
            "north_star": {"candidates": [{"name": "accepted", "event": "invite_accepted"}]}}
    params = config.parse_params(spec)
    ds = Dataset(events=_invite_log(), as_of=pd.Timestamp("2025-06-01"), params=params)
    r = ns.score_candidates(ds, n_boot=0).iloc[0]
    assert (r["credited_to"], r["auc"]) == ("inviter_id", 1.0)
    assert "(each accepted invite counted for the user who sent it)" in story.reasons(ns.score_candidates(ds, n_boot=0))[0]
    # without a column naming the inviter the test is not run (and not read as a coin flip)
    ds = Dataset(events=_invite_log(with_inviter=False), as_of=pd.Timestamp("2025-06-01"), params=params)
    r = ns.score_candidates(ds, n_boot=0).iloc[0]
    assert math.isnan(r["auc"]) and r["leading_note"].startswith("not tested: invite_accepted is logged on the invited")
    assert "could not be tested" in story.reasons(ns.score_candidates(ds, n_boot=0))[0]
    # a team without the invite_accepted role counts any event on its own user, as before
    assert ns.credit_of({"name": "x", "event": "invite_accepted"}, config.parse_params({"team": "t"})) is None


def test_vanity_uses_spend_not_the_candidates_own_signups():
    s = pd.DataFrame({"period": range(6), "value": [5, 9, 6, 11, 7, 14]})
    ref = pd.DataFrame({"period": range(6), "spend": [100, 100, 101, 100, 101, 100], "signups": [5, 9, 6, 11, 7, 14],
                        "retained_users": [52, 50, 53, 50, 52, 51]})
    # the series IS sign-ups (r = 1 by construction) while spend barely moves: not judged by sign-ups
    r = ns.vanity_signal(s, ref)
    assert r["corr_signups"] == pytest.approx(1.0) and r["acquisition"] == pytest.approx(r["corr_spend"])
    assert r["vanity"] is False
    # without a spend table, sign-ups are the yardstick: r = 1 vs retained use -> vanity
    r = ns.vanity_signal(s, ref.assign(spend=np.nan))
    assert r["acquisition"] == pytest.approx(1.0) and r["vanity"] is True


def test_recent_share_counts_only_signups_whose_window_closed():
    rows = []
    # as_of Monday 2025-03-31, 7 days: the last sign-up week whose users all had 7 days is 03-17 .. 03-23
    for user, day, invites in [("a", "03-17", 3), ("b", "03-18", 0), ("c", "03-23", 3),   # recent week
                               ("d", "03-10", 3), ("e", "03-11", 1),                     # the week before
                               ("f", "03-25", 3)]:                                        # window still open
        rows.append((user, f"2025-{day} 09:00", "signup"))
        rows += [(user, f"2025-{day} 1{j}:00", "invite_sent") for j in range(invites)]
    rows.append(("b", "2025-03-26 09:00", "invite_sent"))  # b's invite on day 8: too late to count
    r = ns.recent_share_past(ev(rows), "invite_sent", 3, weeks=1, as_of="2025-03-31")
    # recent {a, b, c}: a and c reach 3 -> 2/3; before {d, e}: 1/2; f (03-25) is left out, not counted below
    assert (r["past"], r["n"], r["previous_past"], r["previous_n"]) == (2, 3, 1, 2)
    assert r["value"] == pytest.approx(2 / 3) and r["change"] == pytest.approx(2 / 3 - 1 / 2)
    assert r["ci_low"] < 2 / 3 < r["ci_high"] and not r["significant"]
    assert (f"{r['window_start']:%Y-%m-%d}", f"{r['window_end']:%Y-%m-%d}") == ("2025-03-17", "2025-03-24")


def test_north_star_now_and_poisson_interval():
    # exact Poisson: 0 -> (0, 3.689); 10 -> (4.795, 18.390) (Garwood)
    assert ns.poisson_interval(0) == (0.0, pytest.approx(3.6889, abs=1e-4))
    assert ns.poisson_interval(10) == (pytest.approx(4.7954, abs=1e-4), pytest.approx(18.3904, abs=1e-4))
    s = pd.DataFrame({"period": pd.date_range("2025-01-06", periods=8, freq="7D"),
                      "value": [10.0, 12, 11, 13, 14, 16, 15, 17], "units": [40] * 8})
    r = ns.north_star_now(s)
    # last week 17 (40 units), weeks 02-24 .. 03-03; last 4 mean 15.5, the 4 before 11.5
    assert (r["value"], r["n"], r["recent"], r["before"]) == (17.0, 40, 15.5, 11.5)
    assert (r["ci_low"], r["ci_high"]) == ns.poisson_interval(17)
    # least-squares slope over x = 0..7 (mean 3.5; values' mean 13.5): deviations of x (-3.5 .. 3.5) times
    # those of the values (-3.5, -1.5, -2.5, -.5, .5, 2.5, 1.5, 3.5) sum to Sxy = 40; Sxx = 42 -> 0.952 a week
    assert r["slope"] == pytest.approx(40 / 42) and r["growth"] == pytest.approx(40 / 42 * 4 / 13.5)
    assert math.isnan(ns.north_star_now(s, count=False)["ci_low"])  # a sum or an average: no Poisson interval


def test_north_star_kpi_sentence_with_and_without_a_target():
    events, spend, end = _synthetic_product()
    cand = {"name": "busy_users", "label": "Users completing 2+ tasks a week", "event": "task_completed",
            "per": "user", "threshold": 2}
    table_of = {}
    for target in (None, 1.0, 10_000.0):
        spec = {"team": "t", "north_star": {"candidates": [cand]}}
        if target is not None:
            spec["kpis"] = {"north_star": {"target": target}}
        ds = Dataset(events=events, spend=spend, as_of=end, params=config.parse_params(spec))
        table = table_of.setdefault("t", ns.candidate_table(ds))
        scores = pd.DataFrame({"rank": [1], "candidate": ["busy_users"]})
        star = story.north_star_kpi(ds, scores, table)
        last = table.iloc[-1]
        assert star["value"] == last["value"] and star["measured"]["n"] == last["units"]
        assert "None" not in star["sentence"]
        if target is None:
            assert "**No target is set**" in star["sentence"] and "One way to set one" in star["sentence"]
        elif target == 1.0:
            assert "the whole interval is at or above it" in star["sentence"]
        else:
            assert "the whole interval is below it" in star["sentence"]


def _ratio_series(promo_week_value):
    """Core actions per active user, 9 weeks from 2025-10-27 (numerator / denominator). The week of 1 Dec
    has a promotion e-mail: with the confounder, twice the usual actives come back and do nothing."""
    num = [420, 420, 420, 430, 420, 420, 410, 410, 410]
    den = [100, 100, 100, 100, 100, 100, 100, 100, 100]
    if promo_week_value:
        den[5] = 200  # 1 Dec: 420 actions / 200 actives = 2.1
    s = pd.DataFrame({"period": pd.date_range("2025-10-27", periods=9, freq="7D"), "numerator": num,
                      "denominator": den})
    s["value"] = s["numerator"] / s["denominator"]
    return s


def test_a_guardrail_drop_made_by_a_campaign_week_is_told_apart():
    promo = config.parse_params({"team": "t", "annotations": [
        {"date": "2025-12-01", "end": "2025-12-04", "kind": "campaign", "label": "Promotion e-mail"}]}).annotations
    for confounded in (True, False):
        s = _ratio_series(confounded)
        r = ns.trend(s, unit="ratio", higher_is_better=True)
        tree = pd.DataFrame([{"role": "guardrail", "metric": "key_actions_per_active_user", "label": "Core actions",
                              "unit": "ratio", "higher_is_better": True, "current": r["current"],
                              "change": r["change"], "status": r["status"], "direction": r["direction"], "note": ""}])
        checked = ns.check_dated_events(tree, {"key_actions_per_active_user": s}, promo).iloc[0]
        if confounded:
            # last 4 weeks (1 .. 22 Dec) pooled: (420 + 410 * 3) / (200 + 300) = 3.30 against the 4 before (3 .. 24
            # Nov) 1,690 / 400 = 4.225: -22%, beyond its noise: "worse". Without the week of 1 Dec the last 4 are
            # 24 Nov, 8, 15, 22 Dec: 1,650 / 400 = 4.125 against 27 Oct .. 17 Nov 1,690 / 400 = 4.225: -2.4%, under
            # the 5% a change must reach: within noise
            assert r["status"] == "worse" and r["change"] == pytest.approx(3.30 / 4.225 - 1)
            assert checked["without_change"] == pytest.approx(4.125 / 4.225 - 1)
            assert checked["dated_event"] == "Promotion e-mail (campaign)" and checked["without_status"] == "flat"
            text, holds = story.dated_text(checked)
            assert not holds and "but only through the week of 1 Dec (Promotion e-mail (campaign))" in text
            found = story.summary_findings(_two_scores(), pd.DataFrame([checked]), None, None)
            assert not [f for f in found if f.severity == "bad" and "Core actions" in f.text]
            assert any(f.text.startswith("The guardrail **Core actions** fell") for f in found)
        else:
            # no campaign effect: the ratio barely moves, nothing to re-check
            assert r["status"] == "flat" and checked["dated_event"] == ""


def test_tree_chart_draws_outcomes_and_stars_a_dated_move():
    from pmplaybook.charts import north_star as nsc

    promo = config.parse_params({"team": "t", "annotations": [
        {"date": "2025-12-01", "end": "2025-12-04", "kind": "campaign", "label": "Promotion e-mail"}]}).annotations
    s = _ratio_series(True)
    r = ns.trend(s, unit="ratio", higher_is_better=True)
    tree = pd.DataFrame([
        {"role": "north_star", "metric": "x", "label": "X", "unit": "count", "higher_is_better": True,
         "current": 10.0, "change": 0.0, "status": "flat", "direction": "flat", "note": "per week"},
        {"role": "input", "metric": "week4_retention", "label": "Week-4 retention", "unit": "share",
         "higher_is_better": True, "current": 0.2, "change": 0.0, "status": "flat", "direction": "flat", "note": ""},
        {"role": "guardrail", "metric": "key_actions_per_active_user", "label": "Core actions", "unit": "ratio",
         "higher_is_better": True, "current": r["current"], "change": r["change"], "status": r["status"],
         "direction": r["direction"], "note": ""}])
    tree = ns.check_dated_events(ns.tree_roles(tree), {"key_actions_per_active_user": s}, promo)
    spec = nsc.metric_tree(tree).to_dict()  # the list of dated weeks stays out of the chart's data
    text = str(spec)
    assert "OUTCOME (LAGS)" in text and "(worse) *" in text and "campaign and holiday weeks are left out" in text


def _two_scores():
    base = dict(per="account", window="week", spearman_retention=0.4, corr_spend=0.1, corr_signups=0.1)
    return pd.DataFrame([
        {**base, "rank": 1, "candidate": "a", "label": "A", "score": 80.0, "auc": 0.85, "auc_low": 0.82,
         "auc_high": 0.88, "vanity": False, "acquisition": 0.1, "corr_retained": 0.9}])


def test_vanity_signal_on_hand_series():
    s = pd.DataFrame({"period": range(5), "value": [10, 12, 11, 15, 14]})
    ref = pd.DataFrame({"period": range(5), "spend": [100, 120, 110, 150, 140], "signups": [5, 6, 5, 8, 7],
                        "retained_users": [50, 50, 53, 52, 56]})
    r = ns.vanity_signal(s, ref)
    # value mean 12.4, deviations (-2.4, -.4, -1.4, 2.6, 1.6), sum of squares 17.2
    # spend = 10 x value -> r = 1
    # signups mean 6.2, deviations (-1.2, -.2, -1.2, 1.8, .8): products 10.6, squares 6.8 -> 10.6 / sqrt(17.2 * 6.8) = .980
    # retained mean 52.2, deviations (-2.2, -2.2, .8, -.2, 3.8): products 10.6, squares 24.8 -> 10.6 / sqrt(17.2 * 24.8) = .513
    assert r["corr_spend"] == pytest.approx(1.0)
    assert r["corr_signups"] == pytest.approx(10.6 / math.sqrt(17.2 * 6.8))
    assert r["corr_retained"] == pytest.approx(10.6 / math.sqrt(17.2 * 24.8))
    # acquisition 1.0 >= .5 and exceeds retained use by .49 >= .2 -> vanity
    assert r["acquisition"] == pytest.approx(1.0) and r["vanity"] is True
    good = ns.vanity_signal(s.assign(value=[50, 50, 53, 52, 56]), ref)  # the series IS retained use
    # acquisition .513 (spend, by the same arithmetic) is not .2 above retained use (1.0) -> not vanity
    assert good["corr_retained"] == pytest.approx(1.0) and good["vanity"] is False


def test_sensitivity_by_hand():
    r = ns.sensitivity(pd.DataFrame({"value": [100, 110, 105, 115, 110, 120]}), periods=None)
    # % changes .1, -.04545, .09524, -.04348, .09091: mean .03944, sample std .07667
    # least-squares slope: Sxy 55 / Sxx 17.5 = 3.1429 per week; x 5 weeks / mean 110 = .14286
    assert r["noise"] == pytest.approx(0.07667, abs=1e-4)
    assert r["movement"] == pytest.approx(55 / 17.5 * 5 / 110)
    assert r["snr"] == pytest.approx(r["movement"] / r["noise"])
    assert math.isnan(ns.sensitivity(pd.DataFrame({"value": [1.0, 2.0]}))["snr"])


# ----------------------------------------------------------------------------------------- magic number


def _magic_rows(copies=1):
    """Six users signing up 2025-01-01 (invites in days 0-6; 'x' on day 8 = active in week 1) and u7, whose
    week-1 window has not ended by as_of 2025-03-01 (signed up 02-20)."""
    spec = {"u1": (3, True), "u2": (2, True), "u3": (2, False), "u4": (1, False), "u5": (0, False),
            "u6": (0, False)}
    rows = []
    for i in range(copies):
        for user, (invites, active) in spec.items():
            uid = f"{user}_{i}"
            rows.append((uid, "2025-01-01 09:00", "signup"))
            rows += [(uid, f"2025-01-0{2 + j} 09:00", "invite_sent") for j in range(invites)]
            if active:
                rows.append((uid, "2025-01-09 09:00", "x"))
    rows.append(("u4_0", "2025-01-21 09:00", "invite_sent"))  # day 20: neither early nor week 1
    rows += [("u7", "2025-02-20 09:00", "signup"), ("u7", "2025-02-21 09:00", "invite_sent")]
    return ev(rows)


def test_magic_number_table_by_hand():
    t = ns.magic_number(_magic_rows(), "invite_sent", within_days=7, outcome="active_week_1", max_threshold=3,
                        as_of="2025-03-01")
    # retained: u1, u2 (2 of 6; u7 excluded). invites: u1 3, u2 2, u3 2, u4 1, u5 0, u6 0
    # k=1: above {u1..u4} 2/4, below {u5, u6} 0/2; J = TPR 2/2 - FPR 2/4 = .5
    # k=2: above {u1, u2, u3} 2/3, below 0/3; J = 1 - 1/4 = .75
    # k=3: above {u1} 1/1, below {u2..u6} 1/5; J = 1/2 - 0 = .5
    assert records(t, "threshold", "users_above", "retained_above", "users_below", "retained_below") == [
        (1, 4, 2, 2, 0), (2, 3, 2, 3, 0), (3, 1, 1, 5, 1)]
    assert list(t["rate_above"]) == pytest.approx([0.5, 2 / 3, 1.0])
    assert list(t["rate_below"]) == pytest.approx([0.0, 0.0, 0.2])
    assert list(t["share_above"]) == pytest.approx([4 / 6, 3 / 6, 1 / 6])
    assert list(t["youden_j"]) == pytest.approx([0.5, 0.75, 0.5])
    assert not t["best"].any()  # 6 users: nothing has 30 users on both sides


def test_magic_number_best_threshold_on_thirty_copies():
    t = ns.magic_number(_magic_rows(30), "invite_sent", within_days=7, outcome="active_week_1", max_threshold=3,
                        as_of="2025-03-01")
    # same rates on 180 users; every difference is now significant: k=1 .5 - 0 = .5, k=2 2/3 - 0 = .667,
    # k=3 1.0 - .2 = .8 with 30 users above (>= 30) and a share of 1/6 (>= 5%) -> the largest gap is at k = 3
    assert t.loc[t["best"], "threshold"].tolist() == [3]
    assert list(t["diff"]) == pytest.approx([0.5, 2 / 3, 0.8]) and t["significant"].all()
    sentence = story.magic_number_finding(t, "invite_sent", 7, "active_week_1")
    assert "**3 invite_sent in the first 7 days**" in sentence and "100% of the 30 users" in sentence
    assert "against 20% of the 150" in sentence
    # a share floor above 1/6 rules k = 3 out: the largest remaining gap is k = 2
    t = ns.magic_number(_magic_rows(30), "invite_sent", within_days=7, outcome="active_week_1", max_threshold=3,
                        as_of="2025-03-01", min_share=0.2)
    assert t.loc[t["best"], "threshold"].tolist() == [2]


def test_magic_number_arguments():
    events = _magic_rows()
    with pytest.raises(ValueError, match="outcome="):
        ns.magic_number(events, "invite_sent", outcome="retained")
    with pytest.raises(ValueError, match="action='invites'"):
        ns.magic_number(events, "invites")
    with pytest.raises(ValueError, match="max_threshold"):
        ns.magic_number(events, "invite_sent", max_threshold=0)
    t = ns.magic_number(events, "invite_sent", within_days="7d", outcome="active_week_1", max_threshold=1,
                        as_of="2025-03-01")
    assert t["users_above"].iloc[0] == 4


def test_magic_number_action_per_team():
    picks = {team: ns.magic_number_action(config.load_params(team)) for team in config.list_teams()}
    assert picks["growth"]["action"] == "invite_sent" and picks["collaboration"]["action"] == "invite_sent"
    assert picks["onboarding"] == {"action": "project_created", "within_days": 3.0,
                                   "role": "the activation event (events.activation)"}
    assert picks["monetization"]["action"] == "task_completed"


# ------------------------------------------------------------------------------------------ metric tree


def test_trend_of_a_share_and_of_a_count():
    share = pd.DataFrame({"numerator": [10, 10, 30, 30], "denominator": [100, 100, 100, 100]})
    share["value"] = share["numerator"] / share["denominator"]
    r = ns.trend(share, unit="share", higher_is_better=False, periods=2)
    # last 2: 60/200 = .30; previous 2: 20/200 = .10; diff +.20, significant; higher is worse -> "worse"
    assert (r["current"], r["previous"]) == (0.3, 0.1)
    assert r["change"] == pytest.approx(0.2) and r["direction"] == "up" and r["status"] == "worse"
    count = pd.DataFrame({"value": [100.0, 102.0, 101.0, 103.0]})
    r = ns.trend(count, unit="count", higher_is_better=True, periods=2)
    # 102 vs 101: +1%, well within the weekly wobble -> flat
    assert r["change"] == pytest.approx(1 / 101) and r["status"] == "flat"


def test_input_series_by_hand():
    params = config.parse_params({"team": "t", "events": {
        "invite_sent": "invite_sent", "task_started": "wf_start", "task_failed": "wf_fail"}})
    events = ev([
        ("a", "2025-03-03 09:00", "signup"), ("b", "2025-03-03 09:00", "signup"),
        ("a", "2025-03-04 09:00", "invite_sent"), ("a", "2025-03-05 09:00", "invite_sent"),
        ("a", "2025-03-04 09:00", "wf_start"), ("b", "2025-03-04 09:00", "wf_start"),
        ("b", "2025-03-04 09:05", "wf_fail"),
        ("b", "2025-03-11 09:00", "invite_sent"), ("b", "2025-03-11 09:00", "wf_start"),
    ])
    ds = Dataset(events=events, as_of=pd.Timestamp("2025-03-17"), params=params)
    inv = registry.input_series("invites_per_user", ds)
    # week 03-03: 2 invites / 2 active users = 1.0; week 03-10: 1 / 1 = 1.0
    assert records(inv, "period", "numerator", "denominator", "value") == [
        ("2025-03-03", 2.0, 2.0, 1.0), ("2025-03-10", 1.0, 1.0, 1.0)]
    fail = registry.input_series("task_error_rate", ds)
    # failed / started: 1/2 then 0/1
    assert list(fail["value"]) == [0.5, 0.0]
    assert registry.input_series("activation_rate", ds).empty  # no activation rule: skipped, no crash
    with pytest.raises(ValueError, match="not a metric-tree input"):
        registry.input_series("happiness", ds)


def test_metric_tree_says_why_a_metric_is_missing():
    params = config.parse_params({"team": "t", "north_star": {
        "candidates": [{"name": "weekly_x", "event": "x"}], "inputs": ["invites_per_user", "weekly_active_users"],
        "guardrail": "task_error_rate"}})
    events = ev([("a", f"2025-03-{d:02d} 09:00", "x") for d in range(3, 31)])
    ds = Dataset(events=events, as_of=pd.Timestamp("2025-03-31"), params=params)
    tree = registry.metric_tree(ds)
    assert list(tree["role"]) == ["north_star", "input", "input", "guardrail"]
    notes = dict(zip(tree["metric"], tree["note"]))
    assert notes["invites_per_user"] == "skipped: the team's params name no events.invite_sent"
    assert notes["weekly_active_users"] == ""
    assert "skipped" in notes["task_error_rate"]
    text = story.metric_tree_finding(tree)
    assert "Input **Invites per active user**: skipped" in text
    # a name the playbook cannot compute is refused when the params load, not halfway through a report
    with pytest.raises(config.ParamsError, match="'mystery' is not a metric-tree input"):
        config.parse_params({"team": "t", "north_star": {"inputs": ["mystery"]}})


# ----------------------------------------------------------------------------------------- metric stack


def test_classify_growth_kpis():
    stack = ns.classify_kpis(config.load_params("growth"), north_star="weekly_active_accounts_5_tasks")
    levels = dict(zip(stack["kpi"], stack["level"]))
    assert levels == {"week4_retention": "business_outcome", "activation_rate": "product_outcome",
                      "dau_mau": "product_outcome", "k_factor": "product_outcome", "ltv_cac": "business_outcome",
                      "nps": "business_outcome", "weekly_active_accounts_5_tasks": "product_outcome"}
    assert ns.metric_stack_warnings(stack) == []  # 7 KPIs with the North Star: at the limit, not over


def test_classify_by_keyword_and_warnings():
    kpis = {k: {"external": True} for k in ["weekly_signups", "features_shipped", "gross_margin", "page_views", "mystery_index",
                            "mrr", "nps", "churn"]}
    stack = ns.classify_kpis(config.parse_params({"team": "t", "kpis": kpis}))
    got = {r["kpi"]: (r["level"], r["rule"], r["vanity"]) for r in stack.to_dict("records")}
    # the field calls sign-ups and page views vanity counts (they rise with ad spend), not the team's output
    assert got["weekly_signups"] == ("vanity", "keyword 'signup'", True)
    assert got["page_views"] == ("vanity", "lookup", True)
    assert got["features_shipped"] == ("activity", "lookup", False)
    assert got["gross_margin"] == ("business_outcome", "keyword 'margin'", False)
    assert got["mystery_index"] == ("unclassified", "none", False)
    warnings = ns.metric_stack_warnings(stack)
    heads = [w.split(":")[0] for w in warnings]
    assert heads == ["Too many KPIs", "Activity metrics dressed as outcomes", "Vanity counts", "No product outcome",
                     "Unclassified"]
    assert "8 primary KPIs" in warnings[0]
    assert warnings[1].startswith("Activity metrics dressed as outcomes: features_shipped counts the team's output")
    assert warnings[2].startswith("Vanity counts: weekly_signups, page_views rise with ad spend")
    text = story.stack_finding(stack)
    assert "2 vanity counts (weekly_signups, page_views)" in text and "1 activity metrics (features_shipped)" in text


def test_signups_are_a_vanity_count_and_week4_retention_lags():
    assert ns.metric_level("signups") == ("vanity", "lookup")
    assert ns.metric_level("week4_retention") == ("business_outcome", "lookup")
    assert ns.metric_level("paying_accounts") == ("business_outcome", "lookup")
    # a North Star named after sign-ups stays a vanity count: it is not promoted to a product outcome
    params = config.parse_params({"team": "t", "kpis": {"nps": {}}})
    stack = ns.classify_kpis(params, north_star="weekly_signups").set_index("kpi")
    assert stack.loc["weekly_signups", "level"] == "vanity" and stack.loc["weekly_signups", "north_star"]


def test_tree_roles_one_role_per_metric_with_the_reason():
    tree = pd.DataFrame({"role": ["north_star", "input", "input", "input", "guardrail"],
                         "metric": ["busy_accounts", "activation_rate", "week4_retention", "paying_accounts",
                                    "task_error_rate"],
                         "label": ["Busy", "Activation rate", "Week-4 retention", "Paying accounts", "Errors"],
                         "unit": ["count", "share", "share", "accounts", "share"],
                         "current": [10.0, 0.3, 0.2, 50.0, 0.1], "change": [0.1, 0.0, 0.0, 0.0, 0.0],
                         "status": ["better", "flat", "flat", "flat", "flat"],
                         "direction": ["up", "flat", "flat", "flat", "flat"], "note": ["per week", "", "", "", ""]})
    t = ns.tree_roles(tree)
    # week-4 retention and paying accounts are business outcomes (lagging, PMRead): not levers
    assert list(t["role"]) == ["north_star", "input", "outcome", "outcome", "guardrail"]
    assert list(t["level"]) == ["product_outcome", "product_outcome", "business_outcome", "business_outcome",
                                "product_outcome"]
    assert t.loc[2, "reason"].startswith("a business outcome, and business outcomes lag (PMRead)")
    text = story.metric_tree_finding(t)
    assert "- Outcome it should lead **Week-4 retention**" in text
    assert "The params name Week-4 retention, Paying accounts as inputs; the tree shows them as outcomes" in text
    # a tree whose inputs are all product outcomes keeps them, and says nothing about moved inputs
    same = ns.tree_roles(tree[~tree["metric"].isin(["week4_retention", "paying_accounts"])])
    assert (same["role"] != "outcome").all() and "The params name" not in story.metric_tree_finding(same)


# ------------------------------------------------------------------------------------------- the sample

SAMPLE = DATA_DIR / "events.parquet"
needs_sample = pytest.mark.skipif(not SAMPLE.exists() or not (DATA_DIR / "truth.json").exists(),
                                  reason="the sample (data/) has not been generated")


@needs_sample
def test_sample_vanity_candidate_matches_truth(growth, truth):
    """truth.vanity_candidate: weekly sign-ups and weekly accounts with 5+ task_completed over the complete
    weeks 2025-01-06 .. 2025-12-22, each correlated with weekly spend. The notebook's candidate table and
    score use the same weeks (UTC, Monday weeks) and the same definitions, so the figures match exactly."""
    params, ds = growth
    planted = truth["vanity_candidate"]
    table = ns.candidate_table(ds)
    signups = table[table["candidate"] == planted["candidate"]]
    core = table[table["candidate"] == "weekly_active_accounts_5_tasks"]
    assert [f"{p:%Y-%m-%d}" for p in signups["period"]] == planted["weeks"]
    assert signups["value"].tolist() == planted["weekly_signups"]
    assert core["value"].tolist() == planted["weekly_core_accounts"]
    assert signups["spend"].tolist() == pytest.approx(planted["weekly_spend"], abs=0.01)
    scores = ns.score_candidates(ds, table=table, n_boot=50)
    by = scores.set_index("candidate")
    assert by.loc[planted["candidate"], "corr_spend"] == pytest.approx(planted["corr_signups_spend"], abs=1e-5)
    assert by.loc["weekly_active_accounts_5_tasks", "corr_spend"] == pytest.approx(planted["corr_core_spend"], abs=1e-5)
    assert bool(by.loc[planted["candidate"], "vanity"]) and not bool(by.loc["weekly_active_accounts_5_tasks", "vanity"])
    assert scores.iloc[0]["candidate"] == "weekly_active_accounts_5_tasks"
    assert "like a vanity metric" in dict(zip(scores["candidate"], story.reasons(scores)))[planted["candidate"]]
    text = story.vanity_finding(scores)
    assert "Weekly sign-ups is rejected as a North Star: its weekly total moves with ad spend (r = 0.91)" in text


@needs_sample
def test_sample_invites_accepted_are_credited_to_the_inviter(growth):
    """The invites-accepted candidate's leading test counts, for each user, the accepted invites they sent in
    their first 14 days (invite_accepted rows carry the inviter in inviter_id). Recomputed with plain pandas:
    users whose sign-up + 91 days <= 2026-01-01, active in week 8 = any event in days [56, 63)."""
    from scipy.stats import rankdata

    params, ds = growth
    scores = ns.score_candidates(ds, n_boot=50).set_index("candidate")
    row = scores.loc["weekly_invites_accepted"]
    e = pd.read_parquet(SAMPLE, columns=["user_id", "timestamp", "event", "inviter_id"])
    start = e[e["event"] == "signup"].groupby("user_id")["timestamp"].min().rename("start")
    start = start[start + pd.Timedelta(days=91) <= pd.Timestamp("2026-01-01", tz="UTC")]
    acc = e[e["event"] == "invite_accepted"][["inviter_id", "timestamp"]].rename(columns={"inviter_id": "user_id"})
    acc = acc.merge(start.reset_index(), on="user_id")
    age = acc["timestamp"] - acc["start"]
    early = acc[(age >= pd.Timedelta(0)) & (age < pd.Timedelta(days=14))].groupby("user_id").size()
    act = e[["user_id", "timestamp"]].merge(start.reset_index(), on="user_id")
    age = act["timestamp"] - act["start"]
    week8 = set(act[(age >= pd.Timedelta(days=56)) & (age < pd.Timedelta(days=63))]["user_id"])
    x = start.index.map(early).fillna(0).to_numpy("float64")
    y = start.index.isin(week8).astype(int)
    ranks = rankdata(x)
    auc = (ranks[y == 1].sum() - y.sum() * (y.sum() + 1) / 2) / (y.sum() * (len(y) - y.sum()))
    assert row["units"] == len(start)
    assert row["auc"] == pytest.approx(auc, abs=1e-9)
    assert row["auc_low"] > 0.5  # credited to the inviter, it leads; on the invitee it was a coin flip (0.49)
    assert row["leading_note"] == "invite_accepted credited to the inviter (inviter_id)"
    # its weekly total still follows spend more than retained use: rejected as North Star, kept per user
    assert bool(row["vanity"])
    text = story.vanity_finding(scores.reset_index())
    assert "Counted per user, though, it does carry signal" in text
    assert "(each accepted invite counted for the user who sent it)" in text


@needs_sample
def test_sample_magic_number_matches_truth(growth, truth):
    """truth.magic_number: users whose week 8 is complete; at least n invite_sent in the first 7 days vs
    fewer; active in week 8 = an event in [signup + 56 days, + 63 days). The notebook's magic_number_for
    uses the same population, window and outcome: every row of by_threshold matches."""
    params, ds = growth
    planted = truth["magic_number"]
    magic = story.magic_number_for(ds)
    assert (magic["action"], magic["within_days"]) == (planted["event"], planted["within_days"])
    t = magic["table"].set_index("threshold")
    for row in planted["by_threshold"]:
        got = t.loc[row["threshold"]]
        assert (got["users_above"], got["retained_above"], got["users_below"], got["retained_below"]) == (
            row["users_at_or_above"], row["retained_at_or_above"], row["users_below"], row["retained_below"])
        assert got["rate_above"] == pytest.approx(row["rate_at_or_above"], abs=1e-6)
        assert got["rate_below"] == pytest.approx(row["rate_below"], abs=1e-6)
        assert got["youden_j"] == pytest.approx(row["youden_j"], abs=1e-6)
    best = magic["table"][magic["table"]["best"]].iloc[0]
    assert best["threshold"] == planted["threshold"] == planted["best_threshold_by_difference"]
    assert int(magic["table"].loc[magic["table"]["youden_j"].idxmax(), "threshold"]) == planted["best_threshold_by_youden_j"]
    assert best["users_above"] + best["users_below"] == planted["eligible_users"]
    assert best["share_above"] == pytest.approx(planted["share_at_or_above"], abs=1e-6)
    assert best["rate_above"] == pytest.approx(planted["week8_retention_at_or_above"], abs=1e-6)
    assert best["rate_below"] == pytest.approx(planted["week8_retention_below"], abs=1e-6)
    # the page states both populations: the truth's share (all users with week 8) and the recent KPI
    assert "12.5% of these 15,826 users reached it" in magic["sentence"]
    assert "and the highest Youden's J" in magic["sentence"]


@needs_sample
def test_sample_recent_magic_share_by_pandas(growth):
    """The headline share: users who signed up in the 4 complete weeks whose 7 days had ended by as_of
    (2025-11-24 .. 2025-12-21 for as_of 2026-01-01) with 3+ invite_sent in their first 7 days."""
    params, ds = growth
    magic = story.magic_number_for(ds)
    recent = magic["recent"]
    e = pd.read_parquet(SAMPLE, columns=["user_id", "timestamp", "event"])
    start = e[e["event"] == "signup"].groupby("user_id")["timestamp"].min()

    def share(lo, hi):
        users = start[(start >= pd.Timestamp(lo, tz="UTC")) & (start < pd.Timestamp(hi, tz="UTC"))]
        inv = e[e["event"] == "invite_sent"].merge(users.rename("start").reset_index(), on="user_id")
        age = inv["timestamp"] - inv["start"]
        n = inv[(age >= pd.Timedelta(0)) & (age < pd.Timedelta(days=7))].groupby("user_id").size()
        return int((n >= 3).sum()), len(users)

    assert (recent["past"], recent["n"]) == share("2025-11-24", "2025-12-22")
    assert (recent["previous_past"], recent["previous_n"]) == share("2025-10-27", "2025-11-24")
    assert (f"{recent['window_start']:%Y-%m-%d}", f"{recent['window_end']:%Y-%m-%d}") == ("2025-11-24", "2025-12-22")
    kpi = story.magic_share_kpi(magic)
    assert kpi["n"] == recent["n"] and kpi["ci_low"] < kpi["value"] < kpi["ci_high"]
    assert "sign-ups 24 Nov to 21 Dec 2025" in kpi["label"]


@needs_sample
def test_sample_north_star_headline_by_pandas(growth):
    """The North Star KPI: accounts with 5+ task_completed in the last complete week (2025-12-22 .. 28),
    recomputed with pandas; no target in the growth params, said in words."""
    params, ds = growth
    table = ns.candidate_table(ds)
    scores = ns.score_candidates(ds, table=table, n_boot=20)
    tree = ns.tree_roles(registry.metric_tree(ds, north_star=ns.winner(scores), table=table))
    star = story.north_star_kpi(ds, scores, table, tree)
    e = pd.read_parquet(SAMPLE, columns=["account_id", "timestamp", "event"])
    week = e[(e["event"] == "task_completed") & (e["timestamp"] >= pd.Timestamp("2025-12-22", tz="UTC"))
             & (e["timestamp"] < pd.Timestamp("2025-12-29", tz="UTC"))]
    per = week.groupby("account_id").size()
    assert star["value"] == (per >= 5).sum() and star["measured"]["n"] == len(per)
    assert f"{star['measured']['window_start']:%Y-%m-%d}" == "2025-12-22"
    assert f"{star['measured']['window_end']:%Y-%m-%d}" == "2025-12-29"
    low, high = ns.poisson_interval(star["value"])
    assert (star["measured"]["ci_low"], star["measured"]["ci_high"]) == (low, high)
    assert "**No target is set**" in star["sentence"] and "None" not in star["sentence"]
    assert "Christmas and New Year" in star["sentence"]
    assert tree.set_index("metric").loc["week4_retention", "role"] == "outcome"


# ------------------------------------------------------------------------------------- notebook helpers


def test_checklist_table_and_stack_finding():
    t = ns.checklist_table(config.load_params("growth"))
    assert list(t.index) == [*config.CHECKLIST, "mean"]
    # weekly_signups: 1 + 3 + 2 + 4 + 5 + 5 + 1 + 2 + 4 = 27 over 9 items = 3.0
    assert t.loc["mean", "weekly_signups"] == pytest.approx(3.0)
    text = story.stack_finding(ns.classify_kpis(config.load_params("monetization")))
    assert text.startswith("The team's 4 KPIs: 4 business outcomes") and "**No product outcome**" in text


def test_magic_number_for_skips_with_a_sentence():
    params = config.parse_params({"team": "t", "events": {"signup": "signup"}})
    ds = Dataset(events=_magic_rows(), as_of=pd.Timestamp("2025-03-01"), params=params)
    got = story.magic_number_for(ds)
    assert got["table"] is None and got["sentence"].startswith("Skipped: the team's params name no invite")
    params = config.parse_params({"team": "t", "events": {"invite_sent": "invite_sent"}})
    got = story.magic_number_for(Dataset(events=_magic_rows(), as_of=pd.Timestamp("2025-03-01"), params=params))
    # week-8 windows of January sign-ups end in March, after as_of: nothing to measure, said in words
    assert got["table"] is None and "complete active_week_8 window" in got["sentence"]
    assert story.headlines(pd.DataFrame(columns=["role"]), got)["magic_number_share"] is None


def test_magic_number_drops_thresholds_nobody_reaches():
    t = ns.magic_number(_magic_rows(), "invite_sent", within_days=7, outcome="active_week_1", max_threshold=6,
                        as_of="2025-03-01")
    assert list(t["threshold"]) == [1, 2, 3]  # the most invites anyone sent early is 3


def test_task_error_rate_through_heart_attempts():
    params = config.parse_params({"team": "t", "events": {
        "task_started": "wf_start", "task_completed": "wf_done", "task_failed": "wf_fail"}})
    events = ev([
        ("a", "2025-03-03 09:00", "signup"),
        ("a", "2025-03-04 09:00", "wf_start"), ("a", "2025-03-04 09:01", "wf_done"),   # completed
        ("b", "2025-03-04 09:00", "wf_start"), ("b", "2025-03-04 09:05", "wf_fail"),   # failed
        ("c", "2025-03-05 09:00", "wf_start"),                                         # abandoned
        ("b", "2025-03-11 09:00", "wf_start"), ("b", "2025-03-11 09:02", "wf_done"),   # completed
    ])
    ds = Dataset(events=events, as_of=pd.Timestamp("2025-03-17"), params=params)
    fail = registry.input_series("task_error_rate", ds)
    # week 03-03: 3 attempts, 1 failed -> 1/3; week 03-10: 1 attempt, 0 failed
    assert records(fail, "period", "numerator", "denominator") == [("2025-03-03", 1.0, 3.0), ("2025-03-10", 0.0, 1.0)]
    done = registry.input_series("task_completion_rate", ds)
    assert list(done["value"]) == pytest.approx([1 / 3, 1.0])


def _synthetic_product(seed=3, weeks=30):
    """A small product with a planted story: sign-ups follow ad spend; users completing 3+ tasks in their
    first week mostly stay and keep completing tasks every week; the others leave after a week or two."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2025-01-06")  # a Monday
    rows, spend = [], []
    uid = 0
    for w in range(weeks):
        amount = float(rng.choice([500, 1500, 3000]))
        spend.append((start + pd.Timedelta(days=7 * w), "ads", amount))
        for _ in range(rng.poisson(5 + amount / 150)):
            uid += 1
            t0 = start + pd.Timedelta(days=7 * w, hours=float(rng.uniform(0, 160)))
            rows.append((f"u{uid}", t0, "signup"))
            early = int(rng.poisson(2))
            stays = rng.random() < (0.8 if early >= 3 else 0.1)
            for j in range(early):
                rows.append((f"u{uid}", t0 + pd.Timedelta(hours=1 + j), "task_completed"))
            for k in range(1, (weeks - w + 2) if stays else 2):
                for j in range(3):
                    rows.append((f"u{uid}", t0 + pd.Timedelta(days=7 * k, hours=j), "task_completed"))
    events = pd.DataFrame(rows, columns=["user_id", "timestamp", "event"])
    end = start + pd.Timedelta(days=7 * weeks)
    events = events[events["timestamp"] < end]
    return (load_events(events.astype({"timestamp": "string"})),
            load_spend(pd.DataFrame(spend, columns=["date", "channel", "amount"]).astype({"date": "string"})), end)


def test_score_candidates_on_a_synthetic_product():
    events, spend, end = _synthetic_product()
    params = config.parse_params({"team": "t", "north_star": {"candidates": [
        {"name": "weekly_signups", "label": "Weekly sign-ups", "event": "signup", "aggregation": "distinct_users",
         "scores": {"customer_value": 2, "not_vanity": 2}},
        {"name": "busy_users", "label": "Users completing 2+ tasks a week", "event": "task_completed",
         "per": "user", "threshold": 2, "scores": {"customer_value": 4}}]}})
    ds = Dataset(events=events, spend=spend, as_of=end, params=params)
    scores = ns.score_candidates(ds, n_boot=30)
    by = scores.set_index("candidate")
    assert scores["candidate"].tolist() == ["busy_users", "weekly_signups"]
    assert bool(by.loc["weekly_signups", "vanity"]) and not bool(by.loc["busy_users", "vanity"])
    assert by.loc["weekly_signups", "corr_spend"] > 0.5
    assert by.loc["busy_users", "auc"] > 0.7 and by.loc["weekly_signups", "auc"] == 0.5
    # the score formula, recomputed from its parts
    r = by.loc["busy_users"]
    assert r["score"] == pytest.approx(0.4 * r["checklist_points"] + 0.4 * r["leading_points"]
                                       + 0.2 * r["sensitivity_points"] - r["vanity_penalty"])
    assert r["checklist_points"] == pytest.approx(100 * ((4 + 3 * 8) / 9 - 1) / 4)  # unscored items count 3
    why = dict(zip(scores["candidate"], story.reasons(scores)))
    assert why["weekly_signups"].startswith("**Weekly sign-ups**")
    assert "vanity metric" in why["weekly_signups"]
    assert "wins" in why["busy_users"]
    tree = registry.metric_tree(ds, north_star="busy_users")
    assert tree.iloc[0]["metric"] == "busy_users" and tree.iloc[0]["direction"] in ("up", "down", "flat")
    assert "Vanity metric**: Weekly sign-ups moves" in story.classic_mistakes(scores, ns.classify_kpis(params), tree)


@needs_sample
def test_explorer_draws_both_tabs_and_redraws(growth):
    from pmplaybook.widgets.north_star import north_star_explorer

    params, ds = growth
    tabs = north_star_explorer(ds, action="task_completed", within_days=7)
    (pick, candidate_view), (controls, magic_view) = tabs.children[0].children, tabs.children[1].children
    assert "<svg" in candidate_view.value and "<svg" in magic_view.value
    before = candidate_view.value
    pick.value = pick.options[-1][1]
    assert candidate_view.value != before and "<svg" in candidate_view.value
    week = controls.children[1].children[0]
    week.value = 16  # too late for any complete outcome window: the reason shows, no traceback
    assert "<svg" in magic_view.value or "Cannot compute this view" in magic_view.value


@needs_sample
def test_explorer_opens_on_the_recommended_candidate_with_whole_day_sliders(growth):
    from pmplaybook.widgets.north_star import north_star_explorer

    params, ds = growth
    scores = ns.score_candidates(ds)
    # the params list another candidate first: the explorer opens on the top score anyway
    best = scores.sort_values("score", ascending=False)["candidate"].iloc[0]
    assert params.north_star.candidates[0].name != best
    tabs = north_star_explorer(ds, scores=scores, action="task_completed", within_days=7)
    (pick, _), (controls, _) = tabs.children[0].children, tabs.children[1].children
    assert pick.value == best
    days = controls.children[0].children[1]
    assert days.description == "Within (days)" and days.value == 7 and days.readout_format == "d"
