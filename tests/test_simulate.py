"""The sample product: bit-for-bit regeneration, the data contract, and every planted finding.

Each finding is recomputed here with plain pandas from ``data/*.parquet``, following the definitions in
``data/README.md``, and compared with ``data/truth.json`` (exact for counts, 1e-6 for rounded rates);
then the test checks that the finding is clearly there (the effect sizes the notebooks rely on).
"""

import hashlib
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pmplaybook import simulate

DATA = Path(__file__).resolve().parents[1] / "data"
FILES = ("events.parquet", "surveys.parquet", "spend.parquet", "predictions.parquet", "truth.json")
END = pd.Timestamp("2026-01-01", tz="UTC")
DAY = pd.Timedelta(days=1)
WEEK_S = 7 * 86_400


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def truth():
    return json.loads((DATA / "truth.json").read_text())


@pytest.fixture(scope="module")
def events():
    return pd.read_parquet(DATA / "events.parquet")


@pytest.fixture(scope="module")
def surveys():
    return pd.read_parquet(DATA / "surveys.parquet")


@pytest.fixture(scope="module")
def spend():
    return pd.read_parquet(DATA / "spend.parquet")


@pytest.fixture(scope="module")
def predictions():
    return pd.read_parquet(DATA / "predictions.parquet")


@pytest.fixture(scope="module")
def users(events):
    """One row per user: sign-up time and the values on the sign-up row."""
    s = events[events["event"] == "signup"].set_index("user_id")
    return s[["timestamp", "account_id", "platform", "channel", "country"]].rename(columns={"timestamp": "signup"})


@pytest.fixture(scope="module")
def rel(events, users):
    """Per event: user, event, seconds since the user's sign-up, and the rolling week index."""
    secs = (events["timestamp"] - events["user_id"].map(users["signup"])).dt.total_seconds().astype("int64")
    return pd.DataFrame({"user_id": events["user_id"], "event": events["event"], "secs": secs,
                         "week": secs // WEEK_S})


@pytest.fixture(scope="module")
def active_weeks(rel):
    """Set of (user, week) pairs with an active event (any event but signup)."""
    a = rel[rel["event"] != "signup"][["user_id", "week"]].drop_duplicates()
    return a.groupby("week")["user_id"].agg(set)


def active_in(active_weeks, k):
    return active_weeks.get(k, set())


def complete(users, k):
    return users.index[users["signup"] + (k + 1) * 7 * DAY <= END]


def count_first_week(rel, event):
    m = (rel["event"] == event) & (rel["secs"] < 7 * 86_400)
    return rel[m].groupby("user_id").size()


def calendar_monday(ts: pd.Series) -> pd.Series:
    day = ts.dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize()
    return day - pd.to_timedelta(day.dt.day_of_week, unit="D")


def rate(num, den):
    return round(num / den, 6) if den else None


# ------------------------------------------------------------------------------ bit for bit


def test_regenerating_the_sample_gives_the_same_bytes(tmp_path):
    result = simulate.write_sample(tmp_path, users=simulate.SAMPLE_USERS, seed=simulate.SAMPLE_SEED)
    assert result == json.loads((DATA / "truth.json").read_text())
    assert sha256(tmp_path / "truth.json") == sha256(DATA / "truth.json")
    writer = pq.read_metadata(DATA / "events.parquet").created_by
    same_writer = writer == pq.read_metadata(tmp_path / "events.parquet").created_by
    for name in FILES[:4]:
        if same_writer:
            assert sha256(tmp_path / name) == sha256(DATA / name), f"{name} differs from the committed sample"
        else:  # another pyarrow writes other bytes; the content must still be identical
            assert pq.read_table(tmp_path / name).equals(pq.read_table(DATA / name))


def test_data_folder_holds_only_the_sample():
    names = sorted(p.name for p in DATA.iterdir() if not p.name.startswith("."))
    assert names == sorted([*FILES, "README.md"])
    assert sum((DATA / n).stat().st_size for n in names) < 25 * 2**20


# ----------------------------------------------------------------------------------- schema


def test_arrow_schemas():
    s = pa.string()
    ts = pa.timestamp("us", tz="UTC")
    assert pq.read_schema(DATA / "events.parquet") == pa.schema([
        ("user_id", s), ("account_id", s), ("timestamp", ts), ("event", s), ("session_id", s), ("platform", s),
        ("country", s), ("plan", s), ("channel", s), ("revenue", pa.float64()), ("workflow", s),
        ("inviter_id", s), ("app_version", s)])
    assert pq.read_schema(DATA / "surveys.parquet") == pa.schema([
        ("user_id", s), ("timestamp", ts), ("survey", s), ("score", pa.int64()), ("platform", s),
        ("country", s), ("plan", s)])
    assert pq.read_schema(DATA / "spend.parquet") == pa.schema([
        ("date", pa.date32()), ("channel", s), ("amount", pa.float64())])
    assert pq.read_schema(DATA / "predictions.parquet") == pa.schema([
        ("prediction_id", s), ("user_id", s), ("account_id", s), ("timestamp", ts), ("model", s),
        ("score", pa.float64()), ("predicted", pa.bool_()), ("actual", pa.bool_()), ("labelled_at", ts),
        ("outcome", s), ("latency_ms", pa.float64()), ("input_tokens", pa.int64()), ("output_tokens", pa.int64()),
        ("cost", pa.float64()), ("input_mode", s), ("platform", s), ("country", s), ("plan", s),
        ("app_version", s)])


def test_sizes_and_row_counts(events, surveys, spend, predictions, truth):
    assert truth["users"] == events["user_id"].nunique() == 20_000
    assert truth["row_counts"] == {"events": len(events), "surveys": len(surveys), "spend": len(spend),
                                   "sessions": events["session_id"].nunique(), "predictions": len(predictions)}
    assert 1_000_000 <= len(events) <= 2_500_000
    assert 1_000 <= len(surveys) <= 10_000
    assert (truth["seed"], truth["start"], truth["end"]) == (7, "2025-01-01", "2025-12-31")


def test_event_log_contract(events, users):
    assert set(events["event"].unique()) == set(simulate.EVENTS)
    assert events["user_id"].notna().all() and events["timestamp"].notna().all()
    assert events["timestamp"].min() >= pd.Timestamp("2025-01-01", tz="UTC")
    assert events["timestamp"].max() < END
    # rows are sorted by (timestamp, user_id, event)
    keys = events[["timestamp", "user_id", "event"]]
    assert keys.equals(keys.sort_values(["timestamp", "user_id", "event"], kind="stable"))
    # signup exactly once per user, and it is the user's first event
    assert (events["event"] == "signup").sum() == len(users) == events["user_id"].nunique()
    assert events.groupby("user_id", sort=False)["event"].first().eq("signup").all()
    # nullable columns are set exactly where they should be
    is_payment = events["event"] == "payment"
    assert events["revenue"].notna().equals(is_payment)
    assert (events.loc[is_payment, "revenue"] > 0).all()
    assert events["workflow"].notna().equals(events["event"].str.startswith("workflow_"))
    assert set(events["workflow"].dropna().unique()) == set(simulate.WORKFLOWS)
    assert events["inviter_id"].notna().equals(events["event"] == "invite_accepted")
    assert events["session_id"].isna().equals(is_payment)
    assert events["app_version"].isna().equals(is_payment)
    for col in ("account_id", "platform", "country", "plan", "channel"):
        assert events[col].notna().all(), col
    assert set(events["platform"].unique()) == {"web", "ios", "android"}
    assert set(events["plan"].unique()) == set(simulate.PLANS)
    assert events["country"].nunique() == 8
    # no AI assistant before its launch
    ai = events["event"].str.startswith("ai_suggestion")
    assert events.loc[ai, "timestamp"].min() >= pd.Timestamp("2025-07-01", tz="UTC")
    # a payment carries its plan's price
    prices = dict(zip(simulate.PLANS, simulate.PLAN_PRICES))
    assert (events.loc[is_payment, "plan"].map(prices) == events.loc[is_payment, "revenue"]).all()


def test_sessions_invites_and_accounts(events, users):
    in_session = events.dropna(subset=["session_id"])
    per_session = in_session.groupby("session_id").agg(users=("user_id", "nunique"),
                                                       platforms=("platform", "nunique"),
                                                       versions=("app_version", "nunique"))
    assert (per_session == 1).all().all()
    assert (events["event"] == "session_start").sum() == len(per_session)
    # invite_accepted: one second after the invitee's signup, invited by an earlier user of the account
    acc = events[events["event"] == "invite_accepted"]
    assert (acc["timestamp"] - acc["user_id"].map(users["signup"]) == pd.Timedelta(seconds=1)).all()
    assert (acc["inviter_id"].map(users["account_id"]) == acc["account_id"]).all()
    assert (acc["inviter_id"].map(users["signup"]) < acc["timestamp"]).all()
    first_invite = events[events["event"] == "invite_sent"].groupby("user_id")["timestamp"].min()
    assert (acc["inviter_id"].map(first_invite) < acc["timestamp"]).all()
    assert set(users.loc[users["channel"] == "referral"].index) == set(acc["user_id"])
    # accounts: 1 to 30 users, created by their first user, who gets the bills
    sizes = users.groupby("account_id").size()
    assert sizes.min() == 1 and sizes.max() <= 30 and sizes.max() >= 15
    owners = users.sort_values("signup").groupby("account_id").head(1)
    assert not owners.index.isin(acc["user_id"]).any()
    money = events["event"].isin(["payment", "subscription_started", "subscription_cancelled",
                                  "plan_upgraded", "plan_downgraded"])
    assert events.loc[money, "user_id"].isin(owners.index).all()
    # each account's user ids and account ids: one account per user
    assert (events.groupby("user_id")["account_id"].nunique() == 1).all()


def test_surveys_and_spend(surveys, spend, users):
    scales = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
    assert set(surveys["survey"].unique()) == set(scales)
    for kind, (low, high) in scales.items():
        s = surveys.loc[surveys["survey"] == kind, "score"]
        assert s.between(low, high).all() and s.min() == low and s.max() == high, kind
    assert not surveys.duplicated(["user_id", "survey"]).any()
    assert surveys["user_id"].isin(users.index).all()
    assert (spend["amount"] >= 0).all()
    assert set(spend["channel"]) == set(simulate.PAID_CHANNELS)
    assert not spend.duplicated(["date", "channel"]).any()


def test_realistic_shape(events, rel, active_weeks, users):
    active = events[events["event"] != "signup"]
    dau = active.groupby(active["timestamp"].dt.floor("D"))["user_id"].nunique()
    weekend = dau.index.day_of_week >= 5
    assert 0.3 <= dau[weekend].mean() / dau[~weekend].mean() <= 0.5
    # most users churn early; the curve decays, then flattens
    curve = [len(active_in(active_weeks, k) & set(complete(users, k))) / len(complete(users, k))
             for k in (1, 4, 8, 16, 24)]
    assert curve[0] > 0.4 and curve[1] < 0.25
    assert curve[2] - curve[4] < 0.04 and curve[4] > 0.08


# ---------------------------------------------------------------------------- the findings


def test_magic_number(rel, users, active_weeks, truth):
    t = truth["magic_number"]
    inv = count_first_week(rel, "invite_sent").reindex(users.index, fill_value=0)
    elig = complete(users, 8)
    ret = pd.Series(users.index.isin(list(active_in(active_weeks, 8))), index=users.index)[elig]
    inv = inv[elig]
    assert t["eligible_users"] == len(elig)
    n_ret, n_churn = int(ret.sum()), int((~ret).sum())
    for row in t["by_threshold"]:
        above, below = inv >= row["threshold"], inv < row["threshold"]
        assert row["users_at_or_above"] == int(above.sum())
        assert row["retained_at_or_above"] == int(ret[above].sum())
        assert row["retained_below"] == int(ret[below].sum())
        assert row["rate_at_or_above"] == pytest.approx(ret[above].mean(), abs=1e-6)
        assert row["rate_below"] == pytest.approx(ret[below].mean(), abs=1e-6)
        youden = ret[above].sum() / n_ret - (~ret[above]).sum() / n_churn
        assert row["youden_j"] == pytest.approx(youden, abs=1e-6)
    rows = {r["threshold"]: r for r in t["by_threshold"]}
    # 3 is the best cut whichever way separation is measured
    assert t["threshold"] == t["best_threshold_by_difference"] == t["best_threshold_by_youden_j"] == 3
    assert rows[3]["youden_j"] > rows[2]["youden_j"] + 0.02
    assert t["week8_retention_at_or_above"] >= 0.5 and t["week8_retention_below"] <= 0.15
    assert rows[3]["difference"] > rows[2]["difference"] + 0.08      # 2 invites is clearly weaker
    assert rows[4]["rate_at_or_above"] - rows[3]["rate_at_or_above"] < 0.05   # 4 is not much better


def test_cheap_cac_channel(events, spend, users, truth):
    t = truth["cheap_cac_channel"]
    owners = users.sort_values("signup").groupby("account_id").head(1)
    owner_channel = owners.reset_index().set_index("account_id")["channel"]
    ch = events["account_id"].map(owner_channel)
    pay, cancel = events["event"] == "payment", events["event"] == "subscription_cancelled"
    money = spend.groupby("channel")["amount"].sum()
    for name, row in t["by_channel"].items():
        payers = events.loc[pay & (ch == name), "account_id"].nunique()
        assert row["new_customers"] == payers, name
        assert row["payments"] == int((pay & (ch == name)).sum())
        assert row["cancellations"] == int((cancel & (ch == name)).sum())
        assert row["spend"] == pytest.approx(money.get(name, 0.0), abs=0.01)
        if row["payments"]:
            arpa = events.loc[pay & (ch == name), "revenue"].mean()
            churn = row["cancellations"] / row["payments"]
            assert row["arpa"] == pytest.approx(arpa, abs=1e-6)
            assert row["ltv"] == pytest.approx(arpa * 0.8 / churn, rel=1e-6)
        if row["paid"]:
            assert row["cac"] == pytest.approx(money[name] / payers, rel=1e-6)
            assert row["ltv_cac"] == pytest.approx(row["ltv"] / row["cac"], rel=1e-5)
    paid = {n: r for n, r in t["by_channel"].items() if r["paid"]}
    assert t["channel"] == t["cheapest_cac_channel"] == min(paid, key=lambda n: paid[n]["cac"]) == "paid_social"
    assert paid["paid_social"]["ltv_cac"] < 1
    assert all(r["ltv_cac"] > 3 for n, r in paid.items() if n != "paid_social")


def test_holiday_spike(events, users, active_weeks, truth):
    t = truth["holiday_spike"]
    active = events[events["event"] != "signup"]
    day = active["timestamp"].dt.tz_localize(None).dt.normalize()
    dau = active.groupby(day)["user_id"].nunique()
    start = pd.Timestamp(t["start_date"])
    spike_days = pd.date_range(start, periods=t["days"])
    assert t["spike_dau"] == [int(dau[d]) for d in spike_days]
    before = dau[(dau.index >= start - 28 * DAY) & (dau.index < start)]
    baseline = before[before.index.day_of_week < 5].median()
    assert t["baseline_dau"] == pytest.approx(baseline, abs=1e-6)
    t0 = start.tz_localize("UTC")
    recent = set(active.loc[(active["timestamp"] >= t0 - 28 * DAY) & (active["timestamp"] < t0), "user_id"])
    in_spike = set(active.loc[(active["timestamp"] >= t0) & (active["timestamp"] < t0 + t["days"] * DAY), "user_id"])
    old = set(users.index[users["signup"] < t0 - 28 * DAY])
    assert t["spike_active_users"] == len(in_spike)
    assert t["spike_dormant_returners"] == len((in_spike - recent) & old)
    week1 = active_in(active_weeks, 1)
    monday = calendar_monday(users["signup"])
    for c in t["cohort_week1_retention"]:
        members = set(users.index[(monday == pd.Timestamp(c["week_start"]))]) & set(complete(users, 1))
        assert c["users"] == len(members)
        assert c["week1_retention"] == rate(len(members & week1), len(members))
    assert 0.6 <= t["lift"] <= 1.0 and t["dormant_share"] > 0.4
    assert abs(t["week1_retention_around"] - t["week1_retention_before"]) < 0.05


def test_campaign_cohort(users, active_weeks, truth):
    t = truth["campaign_cohort"]
    monday = calendar_monday(users["signup"])
    week = users.index[monday == pd.Timestamp(t["week_start"])]
    neighbours = users.index[monday.isin(pd.to_datetime(t["neighbour_weeks"]))]
    assert t["cohort_signups"] == len(week)
    assert t["cohort_from_channel"] == int((users.loc[week, "channel"] == "email_campaign").sum())
    assert t["neighbour_mean_signups"] == pytest.approx(len(neighbours) / 8, abs=1e-6)
    w4 = active_in(active_weeks, 4)
    assert t["week4_retention_cohort"] == rate(len(set(week) & w4), len(week))
    assert t["week4_retention_neighbours"] == rate(len(set(neighbours) & w4), len(neighbours))
    assert 3 <= t["size_ratio"] <= 4
    assert t["retention_ratio"] < 0.45


def test_release_collapse(users, active_weeks, truth):
    t = truth["release_collapse"]
    w4 = active_in(active_weeks, 4)
    before = users.index[(users["signup"] >= pd.Timestamp(t["before_signups"][0], tz="UTC"))
                         & (users["signup"] < pd.Timestamp(t["before_signups"][1], tz="UTC"))]
    after = users.index[(users["signup"] >= pd.Timestamp(t["after_signups"][0], tz="UTC"))
                        & (users["signup"] < pd.Timestamp(t["after_signups"][1], tz="UTC"))]
    for platform, r in t["week4_retention"].items():
        seg = set(users.index[users["platform"] == platform])
        b, a = seg & set(before), seg & set(after)
        assert (r["users_before"], r["users_after"]) == (len(b), len(a))
        assert r["before"] == rate(len(b & w4), len(b)) and r["after"] == rate(len(a & w4), len(a))
    wr = t["week4_retention"]
    assert (t["segment_column"], t["segment_value"], t["release_date"]) == ("platform", "android", "2025-08-04")
    assert wr["android"]["after"] < 0.5 * wr["android"]["before"]
    assert abs(wr["android"]["before"] - wr["web"]["before"]) < 0.05
    for other in ("web", "ios"):
        assert wr[other]["after"] > 0.8 * wr[other]["before"], other


def test_vanity_candidate(users, events, spend, truth):
    t = truth["vanity_candidate"]
    weeks = pd.to_datetime(t["weeks"])
    signups = calendar_monday(users["signup"]).value_counts().reindex(weeks, fill_value=0)
    sp = spend.assign(week=calendar_monday(pd.to_datetime(spend["date"]).dt.tz_localize("UTC")))
    money = sp.groupby("week")["amount"].sum().reindex(weeks, fill_value=0)
    tc = events[events["event"] == "task_completed"]
    per = tc.groupby([calendar_monday(tc["timestamp"]), tc["account_id"]]).size()
    core = (per >= 5).groupby(level=0).sum().reindex(weeks, fill_value=0)
    assert t["weekly_signups"] == signups.tolist()
    assert t["weekly_spend"] == pytest.approx(money.tolist(), abs=0.01)
    assert t["weekly_core_accounts"] == core.tolist()
    assert t["corr_signups_spend"] == pytest.approx(np.corrcoef(signups, money)[0, 1], abs=1e-5)
    assert t["corr_core_spend"] == pytest.approx(np.corrcoef(core, money)[0, 1], abs=1e-5)
    assert t["corr_signups_spend"] > 0.8 and abs(t["corr_core_spend"]) < 0.3


def test_activated_plateau(rel, users, active_weeks, truth):
    t = truth["activated_plateau"]
    tc = count_first_week(rel, "task_completed").reindex(users.index, fill_value=0)
    activated = set(users.index[tc >= 3])
    for name, curve in t["curve"].items():
        for point in curve:
            k = point["week"]
            done = set(complete(users, k))
            group = done & activated if name == "activated" else done - activated
            assert (point["users"], point["retained"]) == (len(group), len(group & active_in(active_weeks, k)))
    level = {n: sum(p["retained"] for p in c[6:13]) / sum(p["users"] for p in c[6:13]) for n, c in t["curve"].items()}
    assert t["plateau_activated"] == pytest.approx(level["activated"], abs=1e-6)
    assert t["plateau_not_activated"] == pytest.approx(level["not_activated"], abs=1e-6)
    rates = [p["rate"] for p in t["curve"]["activated"]]
    assert 0.35 <= t["plateau_activated"] <= 0.45 and t["plateau_not_activated"] <= 0.05
    assert abs(rates[20] - rates[6]) < 0.05            # flat from week 6 on
    assert t["curve"]["not_activated"][4]["rate"] > 2 * t["plateau_not_activated"]


def test_task_success_release(events, truth):
    t = truth["task_success_release"]
    wf = events[events["event"].str.startswith("workflow_")]
    started = wf[wf["event"] == "workflow_started"]
    outcome = wf[wf["event"] != "workflow_started"][["session_id", "workflow", "event", "timestamp"]]
    pairs = started.merge(outcome, on=["session_id", "workflow"], how="left", suffixes=("", "_out"))
    release = pd.Timestamp(t["release_date"], tz="UTC")
    for name, parts in t["by_workflow"].items():
        for label, part in parts.items():
            web = pairs["platform"] == "web"
            m = (pairs["workflow"] == name) & (web if label.startswith("web") else ~web)
            m &= (pairs["timestamp"] >= release) if label.endswith("after") else (pairs["timestamp"] < release)
            done = pairs[m & (pairs["event_out"] == "workflow_completed")]
            secs = (done["timestamp_out"] - done["timestamp"]).dt.total_seconds()
            assert part["started"] == int(m.sum())
            assert part["failed"] == int((m & (pairs["event_out"] == "workflow_failed")).sum())
            assert part["median_seconds_to_complete"] == pytest.approx(secs.median(), abs=1e-6)
    imp = t["by_workflow"]["import_tasks"]
    assert t["failure_rate_before"] <= 0.11 and 0.2 <= t["failure_rate_after"] <= 0.32
    assert t["median_seconds_after"] > 1.5 * t["median_seconds_before"]
    assert abs(imp["other_platforms_after"]["failure_rate"] - imp["other_platforms_before"]["failure_rate"]) < 0.03
    for name in ("create_project", "set_up_integration", "invite_team"):
        p = t["by_workflow"][name]
        assert abs(p["web_after"]["failure_rate"] - p["web_before"]["failure_rate"]) < 0.03, name


def test_nps_segment(surveys, truth):
    t = truth["nps_segment"]
    nps = surveys[surveys["survey"] == "nps"]

    def score(frame):
        n = len(frame)
        pro, det = int((frame["score"] >= 9).sum()), int((frame["score"] <= 6).sum())
        return {"responses": n, "promoters": pro, "detractors": det, "nps": round(100 * (pro - det) / n, 6)}

    assert t["overall"] == score(nps)
    assert t["segment"] == score(nps[nps["plan"] == "free"])
    assert t["rest"] == score(nps[nps["plan"] != "free"])
    for plan, row in t["by_plan"].items():
        assert row == score(nps[nps["plan"] == plan])
    assert 20 <= t["overall"]["nps"] <= 40
    assert t["segment"]["nps"] < t["rest"]["nps"] - 30 and t["rest"]["nps"] > 40


def test_ai_assistant(events, truth):
    t = truth["ai_assistant"]
    active = events[events["event"] != "signup"]
    week = calendar_monday(active["timestamp"])
    wau = active.groupby(week)["user_id"].nunique()
    shown = active["event"] == "ai_suggestion_shown"
    ai = active[shown].groupby(week[shown])["user_id"].nunique()
    for w in t["weekly_adoption"]:
        d = pd.Timestamp(w["week_start"])
        assert (w["weekly_active_users"], w["ai_users"]) == (int(wau[d]), int(ai.get(d, 0)))
    counts = events["event"].value_counts()
    assert t["suggestions_shown"] == counts["ai_suggestion_shown"]
    assert t["acceptance_rate"] == rate(counts["ai_suggestion_accepted"], counts["ai_suggestion_shown"])
    assert t["edited_rate"] == rate(counts["ai_suggestion_edited"], counts["ai_suggestion_shown"])
    assert t["adoption_first_week"] < 0.15 and 0.28 <= t["adoption_last_week"] <= 0.42
    monthly = pd.DataFrame(t["weekly_adoption"]).assign(month=lambda f: f["week_start"].str[:7])
    by_month = monthly.groupby("month")["adoption"].mean()
    assert by_month.iloc[0] < by_month.iloc[2] < by_month.iloc[4]      # grows month by month
    assert 0.40 <= t["acceptance_rate"] <= 0.55 and 0.15 <= t["edited_rate"] <= 0.25


def test_mrr_dynamics(events, truth):
    counts = truth["revenue"]["event_counts"]
    for name, n in counts.items():
        assert n == int((events["event"] == name).sum()) and n > 0, name
    pay = events[events["event"] == "payment"]
    per_month = pay.groupby(pay["timestamp"].dt.strftime("%Y-%m"))["revenue"].sum()
    assert truth["revenue"]["monthly_revenue"] == pytest.approx(per_month.round(2).to_dict())
    assert per_month.is_monotonic_increasing


# ------------------------------------------------------------------------- the prediction log


def test_prediction_log_contract(predictions, events):
    p = predictions
    keys = p[["timestamp", "user_id", "prediction_id"]]
    assert keys.equals(keys.sort_values(["timestamp", "user_id", "prediction_id"], kind="stable"))
    assert p["prediction_id"].is_unique and p["prediction_id"].str.fullmatch(r"p\d{7}").all()
    assert p["timestamp"].min() >= pd.Timestamp("2025-07-01", tz="UTC") and p["timestamp"].max() < END
    assert p["predicted"].equals(p["score"] >= 0.5)
    assert p["score"].between(0, 1).all() and (p["score"] == p["score"].round(3)).all()
    assert p["outcome"].isna().equals(~p["predicted"])
    assert set(p["outcome"].dropna()) == {"accepted", "edited", "rejected", "overridden", "ignored"}
    assert p["actual"].isna().equals(p["labelled_at"].isna())
    known = p["labelled_at"].notna()
    assert (p.loc[known, "labelled_at"] > p.loc[known, "timestamp"]).all() and (p["labelled_at"].dropna() < END).all()
    assert ((p.loc[known, "labelled_at"] - p.loc[known, "timestamp"]) <= 30 * DAY).all()
    assert set(p["model"]) == {"assist-1", "assist-2"} and set(p["input_mode"]) == {"typed", "dictated"}
    assert (p["model"] == "assist-2").equals(p["timestamp"] >= pd.Timestamp("2025-10-06", tz="UTC"))
    assert (p["latency_ms"] > 0).all() and (p["input_tokens"] > 0).all() and (p["output_tokens"] > 0).all()
    price = p["model"].map({"assist-1": (3e-6, 15e-6), "assist-2": (1e-6, 5e-6)})
    cost = p["input_tokens"] * price.str[0] + p["output_tokens"] * price.str[1]
    assert np.allclose(p["cost"], cost, atol=6e-7)
    dictated = p["input_mode"] == "dictated"
    assert (p.loc[dictated, "platform"] != "web").all() and (p.loc[dictated, "app_version"] == "5.2").all()
    # each call belongs to a user with those segment values in the event log
    shown_ev = events[events["event"] == "ai_suggestion_shown"]
    cols = ["user_id", "account_id", "timestamp", "platform", "country", "plan", "app_version"]
    a = p.loc[p["predicted"], cols].reset_index(drop=True)
    b = shown_ev[cols].sort_values(["timestamp", "user_id"], kind="stable").reset_index(drop=True)
    assert a.sort_values(cols).reset_index(drop=True).equals(b.sort_values(cols).reset_index(drop=True))
    # hidden calls come from sessions of users who saw a suggestion, before the end of the data
    assert p.loc[~p["predicted"], "user_id"].isin(set(shown_ev["user_id"])).all()


def test_prediction_log_links_to_events(predictions, events, truth):
    t = truth["ai"]
    counts = events["event"].value_counts()
    out = predictions["outcome"].value_counts()
    assert t["shown"] == int(predictions["predicted"].sum()) == counts["ai_suggestion_shown"]
    assert t["outcomes"]["accepted"] == out["accepted"] == counts["ai_suggestion_accepted"]
    assert t["outcomes"]["edited"] == out["edited"] == counts["ai_suggestion_edited"]
    assert t["outcomes"] == {k: int(v) for k, v in out.items()}
    # per session, the calls with an outcome event match the outcome events of that session
    ev = events[events["event"].isin(["ai_suggestion_accepted", "ai_suggestion_edited"])]
    ev_per_user = ev.groupby(["user_id", ev["event"].str.removeprefix("ai_suggestion_")]).size()
    pr = predictions[predictions["outcome"].isin(["accepted", "edited"])]
    pr_per_user = pr.groupby(["user_id", "outcome"]).size()
    assert ev_per_user.rename_axis(["user_id", "outcome"]).sort_index().equals(pr_per_user.sort_index())
    # an outcome event follows its shown call (same user) within 3 minutes
    shown_t = predictions.loc[predictions["predicted"]].groupby("user_id")["timestamp"].min()
    assert (ev["timestamp"] >= ev["user_id"].map(shown_t)).all()
    assert t["rows"] == len(predictions) and t["hidden"] == int((~predictions["predicted"]).sum())
    assert t["coverage"] == rate(t["shown"], t["rows"])
    assert 0.65 <= t["coverage"] <= 0.75
    n_shown = t["shown"]
    assert t["acceptance_rate"] == rate(out["accepted"], n_shown)
    assert t["edit_rate"] == rate(out["edited"], n_shown)
    assert t["override_rate"] == rate(out["overridden"], n_shown)
    assert 0.03 <= t["override_rate"] <= 0.08


def quality(frame, th=0.5):
    k = frame[frame["actual"].notna()]
    pred, pos = k["score"] >= th, k["actual"].astype(bool)
    tp, fp, fn = int((pred & pos).sum()), int((pred & ~pos).sum()), int((~pred & pos).sum())
    return {"precision": rate(tp, tp + fp), "recall": rate(tp, tp + fn), "f1": rate(2 * tp, 2 * tp + fp + fn),
            "labelled": len(k), "tp": tp, "fp": fp, "fn": fn, "tn": len(k) - tp - fp - fn}


def test_prediction_quality_and_model_versions(predictions, truth):
    t = truth["ai"]
    p = predictions
    assert t["quality_at_threshold"]["all"] == quality(p)
    for model in ("assist-1", "assist-2"):
        part = p[p["model"] == model]
        assert t["quality_at_threshold"][model] == quality(part)
        de = part["country"] == "DE"
        assert t["precision_by_model_country"][model] == {"DE": quality(part[de])["precision"],
                                                          "other": quality(part[~de])["precision"]}
        lat = part["latency_ms"].to_numpy()
        for q in (50, 90, 99):
            assert t["latency_ms"][model][f"p{q}"] == pytest.approx(np.percentile(lat, q), abs=1e-3)
        assert t["cost_by_model"][model]["cost_per_1000_calls"] == pytest.approx(
            1000 * part["cost"].sum() / len(part), abs=1e-6)
        assert t["latency_ms"][model]["p99"] > 3 * t["latency_ms"][model]["p50"]    # cold-start tail
    for th, prec in t["precision_by_threshold"].items():
        assert prec == quality(p, float(th))["precision"]
    assert t["cost_per_accepted"] == rate(p["cost"].sum(), int((p["outcome"] == "accepted").sum()))
    q = t["quality_at_threshold"]["all"]
    assert 0.6 <= q["precision"] <= 0.7 and 0.8 <= q["recall"] <= 0.9
    precs = list(t["precision_by_threshold"].values())
    assert precs == sorted(precs) and precs[-1] > precs[0] + 0.2        # precision rises with the threshold
    # assist-2: faster and cheaper ...
    assert t["latency_ms"]["assist-2"]["p50"] < 0.7 * t["latency_ms"]["assist-1"]["p50"]
    assert t["cost_by_model"]["assist-2"]["cost_per_1000_calls"] < 0.5 * t["cost_by_model"]["assist-1"]["cost_per_1000_calls"]
    # ... but less precise for German users, and only for them
    pc = t["precision_by_model_country"]
    assert pc["assist-1"]["DE"] - pc["assist-2"]["DE"] > 0.10
    assert abs(pc["assist-2"]["other"] - pc["assist-1"]["other"]) < 0.03
    assert t["de_precision_drop"] == pytest.approx(pc["assist-1"]["DE"] - pc["assist-2"]["DE"], abs=1e-6)


def test_late_labels(predictions, truth):
    t = truth["ai"]
    p = predictions
    month = p["timestamp"].dt.strftime("%Y-%m")
    known = p["actual"].notna()
    assert t["labelled"] == int(known.sum())
    for m, row in t["labelled_by_month"].items():
        assert (row["calls"], row["labelled"]) == (int((month == m).sum()), int((known & (month == m)).sum()))
        assert row["share"] == rate(row["labelled"], row["calls"])
    shares = {m: r["share"] for m, r in t["labelled_by_month"].items()}
    early = np.mean([shares[m] for m in ("2025-07", "2025-08", "2025-09", "2025-10")])
    assert 0.25 <= early <= 0.35
    assert shares["2025-12"] < 0.8 * early
    last_week = p["timestamp"] >= END - 7 * DAY
    assert known[last_week].mean() < 0.3 * early           # the last week is barely labelled


def psi(ref, cur):
    edges = np.quantile(ref, np.arange(1, 10) / 10)
    e = np.maximum(np.bincount(np.searchsorted(edges, ref, side="right"), minlength=10) / len(ref), 1e-4)
    a = np.maximum(np.bincount(np.searchsorted(edges, cur, side="right"), minlength=10) / len(cur), 1e-4)
    return float(((a - e) * np.log(a / e)).sum())


def test_input_drift(predictions, truth):
    t = truth["ai"]["input_drift"]
    p = predictions
    ref = p["timestamp"].between(pd.Timestamp(t["reference"][0], tz="UTC"), pd.Timestamp(t["reference"][1], tz="UTC"),
                                 inclusive="left")
    cur = p["timestamp"].between(pd.Timestamp(t["current"][0], tz="UTC"), pd.Timestamp(t["current"][1], tz="UTC"),
                                 inclusive="left")
    mobile = p["platform"] != "web"
    for name, seg in (("mobile", mobile), ("all", pd.Series(True, index=p.index))):
        x = p["input_tokens"].to_numpy()
        assert t[name]["psi"] == pytest.approx(psi(x[ref & seg], x[cur & seg]), abs=1e-6), name
    assert (t["reference"], truth["ai"]["drift_date"]) == (["2025-10-20", "2025-11-17"], "2025-11-17")
    assert t["mobile"]["psi"] > 0.25 and t["all"]["psi"] > 0.1
    # the drift is the dictated segment: typed prompts did not move
    typed = p["input_mode"] == "typed"
    x = p["input_tokens"].to_numpy()
    assert psi(x[ref & mobile & typed], x[cur & mobile & typed]) < 0.05
    assert not (ref & (p["input_mode"] == "dictated")).any()


# ----------------------------------------------------------------------------------- speed


def test_speed():
    simulate.simulate(users=500, seed=3)          # warm up imports and allocators
    wall, cpu = time.perf_counter(), time.process_time()
    tables = simulate.simulate(users=50_000, seed=11)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    n = len(tables["events"])
    print(f"\nsimulate(users=50_000): {n:,} events in {wall:.2f} s wall ({n / wall:,.0f} events/s), "
          f"{cpu:.2f} s CPU ({n / cpu:,.0f} events/s)")
    assert tables["events"]["user_id"].nunique() == 50_000
    # CPU time, not wall time: on a shared machine the wall clock also counts other people's work.
    assert n / cpu >= 300_000
