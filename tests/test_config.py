"""Team params: the shipped files validate; mistakes fail with the file, key path and fix."""

from datetime import timedelta
from pathlib import Path

import pytest

from pmplaybook import config
from pmplaybook.config import ParamsError, load_params, parse_duration, parse_params


def test_every_shipped_team_loads():
    teams = config.list_teams()
    assert {"growth", "onboarding", "collaboration", "monetization"} <= set(teams)
    for team in teams:
        params = load_params(team)
        assert params.team == team
        assert params.source_file.endswith(f"{team}.yaml")


def test_teams_watch_different_things():
    growth, onboarding = load_params("growth"), load_params("onboarding")
    assert growth.events.activation != onboarding.events.activation
    assert onboarding.timezone == "America/New_York" and onboarding.week_start == "sunday"


def test_outside_a_project_the_bundled_examples_serve(tmp_path, monkeypatch):
    monkeypatch.delenv(config.paths.PROJECT_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    assert load_params("growth").team == "growth"
    assert config.paths.project_dir() == config.paths.bundled_dir()
    assert (config.paths.sample_dir() / "events.parquet").exists()


def test_a_project_is_found_from_the_current_folder_upwards(tmp_path, monkeypatch):
    monkeypatch.delenv(config.paths.PROJECT_ENV, raising=False)
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "ours.yaml").write_text("team: ours\n")
    monkeypatch.chdir(tmp_path / "notebooks")  # where JupyterLab runs a notebook
    assert config.list_teams() == ["ours"] and load_params("ours").team == "ours"
    assert config.paths.reports_dir() == tmp_path / "reports"
    monkeypatch.setenv(config.paths.PROJECT_ENV, str(config.paths.bundled_dir()))
    assert "growth" in config.list_teams()


def test_unknown_key_names_file_path_and_suggestion():
    with pytest.raises(ParamsError) as err:
        parse_params({"team": "x", "events": {"signup": "signup", "core_actoin": "task_completed"}}, "params/x.yaml")
    msg = str(err.value)
    assert "params/x.yaml" in msg and "events.core_actoin" in msg and "did you mean 'core_action'" in msg


def test_wrong_type_and_impossible_values():
    with pytest.raises(ParamsError) as err:
        parse_params({"team": "x", "events": {"activation": {"event": "a", "at_least": 0, "within_days": -1}}}, "f.yaml")
    msg = str(err.value)
    assert "events.activation.at_least" in msg and "events.activation.within_days" in msg
    assert "found 0" in msg and "Fix" in msg
    with pytest.raises(ParamsError, match="timezone.*Mars/Base"):
        parse_params({"team": "x", "timezone": "Mars/Base"})
    with pytest.raises(ParamsError, match="funnel.window"):
        parse_params({"team": "x", "funnel": {"window": "fortnight"}})
    with pytest.raises(ParamsError, match="scores"):
        parse_params({"team": "x", "north_star": {"candidates": [
            {"name": "n", "event": "e", "scores": {"customer_value": 9}}]}})
    with pytest.raises(ParamsError, match="team"):
        parse_params({"team": "Bad Team!"})


def test_missing_file_lists_teams(tmp_path):
    with pytest.raises(ParamsError, match="growth"):
        load_params("nosuchteam")
    bad = tmp_path / "bad.yaml"
    bad.write_text("team: [unclosed\n")
    with pytest.raises(ParamsError, match="not valid YAML"):
        load_params(bad)


def test_kpi_status():
    kpi = config.KPI(target=0.30, tolerance=0.1)
    # green at or above target; amber within 10% of 0.30 (>= 0.27); red below
    assert [kpi.status(v) for v in (0.31, 0.28, 0.25, None)] == ["green", "amber", "red", None]
    lower = config.KPI(target=5.0, higher_is_better=False)
    assert lower.status(4.0) == "green" and lower.status(5.4) == "amber" and lower.status(7) == "red"


def test_parse_duration():
    assert parse_duration("15s") == timedelta(seconds=15)
    assert parse_duration("5min") == timedelta(minutes=5)
    assert parse_duration("2h") == timedelta(hours=2)
    assert parse_duration("14d") == timedelta(days=14)
    assert parse_duration(timedelta(hours=1)) == timedelta(hours=1)
    with pytest.raises(ValueError, match="e.g. '15s'"):
        parse_duration("two weeks")
    with pytest.raises(ValueError, match="positive"):
        parse_duration("0s")


def test_the_kpi_vocabulary_is_what_the_notebooks_record():
    import json
    import re

    from pmplaybook.config import paths, vocabulary

    recorded = {}
    for path in sorted(paths.notebooks_dir().glob("[0-9][0-9]_*.ipynb")):
        code = "".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")
        for name in re.findall(r"kpis\.record\(\s*\"(\w+)\"", code):
            recorded[name] = path.stem
    assert recorded == {name: spec["notebook"] for name, spec in vocabulary.KPIS.items()}


def test_a_misspelt_kpi_fails_with_did_you_mean():
    with pytest.raises(ParamsError, match=r"kpis: 'week4_retnetion' is not a KPI .*did you mean 'week4_retention'"):
        parse_params({"team": "t", "kpis": {"week4_retnetion": {"target": 0.25}}})
    assert parse_params({"team": "t", "kpis": {"revenue": {"target": 1e6, "external": True}}}).kpis["revenue"].external


# ------------------------------------------------------------------ the weekly KPI review's params

KR = {"kpi": "activation_rate", "baseline": 0.33, "target": 0.38, "start": "2025-10-01", "due": "2026-03-31"}


def _okr(**change):
    return {"team": "t", "okrs": [{"objective": "More new users reach value", "key_results": [{**KR, **change}]}]}


def test_kpis_take_a_counter_an_owner_and_leading():
    params = parse_params({"team": "t", "kpis": {
        "activation_rate": {"target": 0.35, "counter": "week4_retention", "owner": "Growth PM", "leading": True},
        "task_failure_rate": {"target": 0.08, "counter": "task_completion_rate"},
        "k_factor": {"target": 0.3, "counter": "nps"}}})  # nps is not one of the team's KPIs: allowed
    kpi = params.kpis["activation_rate"]
    assert (kpi.counter, kpi.owner, kpi.leading) == ("week4_retention", "Growth PM", True)
    assert params.kpis["k_factor"].leading is None  # decided from the metric stack
    assert params.kpis["task_error_rate"].counter == "task_completion_rate"  # the alias maps the KPI
    aliased = parse_params({"team": "t", "kpis": {"task_completion_rate": {"counter": "task_failure_rate"}}})
    assert aliased.kpis["task_completion_rate"].counter == "task_error_rate"  # and the counter


def test_a_misspelt_counter_fails_with_did_you_mean():
    with pytest.raises(ParamsError, match=r"kpis\.activation_rate\.counter: 'week4_retnetion' is not a KPI .*"
                                          r"Fix: did you mean 'week4_retention'"):
        parse_params({"team": "t", "kpis": {"activation_rate": {"target": 0.35, "counter": "week4_retnetion"}}},
                     "t.yaml")


def test_a_kpi_cannot_be_its_own_counter():
    with pytest.raises(ParamsError, match=r"kpis\.activation_rate\.counter: 'activation_rate' is the KPI itself.*"
                                          r"Fix: name a different KPI \(e\.g\. 'week4_retention'"):
        parse_params({"team": "t", "kpis": {"activation_rate": {"counter": "activation_rate"}}})
    with pytest.raises(ParamsError, match=r"kpis\.task_failure_rate\.counter: 'task_error_rate' is the KPI itself"):
        parse_params({"team": "t", "kpis": {"task_failure_rate": {"counter": "task_error_rate"}}})  # via the alias


def test_an_unknown_key_in_a_kpi_is_named_with_the_allowed_keys():
    with pytest.raises(ParamsError, match=r"kpis\.k_factor\.countre: unknown key\. Fix: did you mean 'counter'\? "
                                          r"allowed keys here are .*owner, leading"):
        parse_params({"team": "t", "kpis": {"k_factor": {"countre": "nps"}}})


def test_a_share_target_outside_0_1_is_an_error():
    with pytest.raises(ParamsError, match=r"kpis\.activation_rate\.target: 25 is not possible for activation_rate: "
                                          r"it is a share, between 0 and 1.*Fix: write 0\.25 if you meant 25%"):
        parse_params({"team": "t", "kpis": {"activation_rate": {"target": 25}}}, "t.yaml")
    with pytest.raises(ParamsError, match=r"kpis\.week4_retention\.target: -0\.1 is not possible"):
        parse_params({"team": "t", "kpis": {"week4_retention": {"target": -0.1}}})
    # net revenue retention may exceed 1 (expansion outgrew churn); ratios and points are not shares
    ok = parse_params({"team": "t", "kpis": {"net_revenue_retention": {"target": 1.1}, "nps": {"target": 30},
                                             "ltv_cac": {"target": 3}}})
    assert ok.kpis["net_revenue_retention"].target == 1.1
    # an external KPI is a share if the team says so
    with pytest.raises(ParamsError, match=r"kpis\.trial_conversion\.target: 12 is not possible"):
        parse_params({"team": "t", "kpis": {"trial_conversion": {"target": 12, "unit": "share", "external": True}}})


def test_okrs_load_with_dates_as_dates():
    import datetime as dt

    params = parse_params({"team": "t", "okrs": [{"objective": "o", "owner": "PM", "key_results": [
        {**KR, "label": "Activation from 33% to 38%"}, {**KR, "kpi": "nps", "baseline": 27, "target": 35}]}]})
    kr = params.okrs[0].key_results[0]
    assert (kr.start, kr.due) == (dt.date(2025, 10, 1), dt.date(2026, 3, 31))
    assert params.okrs[0].key_results[1].kpi == "nps"  # not in the team's kpis: allowed


def test_an_okr_on_an_unknown_kpi_fails_with_did_you_mean():
    with pytest.raises(ParamsError, match=r"okrs\.0\.key_results\.0\.kpi: 'activation' is not a KPI .*"
                                          r"did you mean 'activation_rate'"):
        parse_params(_okr(kpi="activation"))


@pytest.mark.parametrize("written", ["July 1st", "2025/07/01", "01-07-2025", 2025, "2025-7-1"])
def test_okr_dates_must_be_iso(written):
    with pytest.raises(ParamsError, match=r"okrs\.0\.key_results\.0\.start: .* is not an ISO date\. "
                                          r"Fix: write it as YYYY-MM-DD"):
        parse_params(_okr(start=written))


def test_okr_dates_that_are_not_days_and_due_before_start_fail():
    with pytest.raises(ParamsError, match=r"okrs\.0\.key_results\.0\.due: '2026-02-30' is not a day of the calendar"):
        parse_params(_okr(due="2026-02-30"))
    with pytest.raises(ParamsError, match=r"okrs\.0\.key_results\.0\.due: due 2025-09-01 is not after start "
                                          r"2025-10-01\. Fix"):
        parse_params(_okr(due="2025-09-01"))
    with pytest.raises(ParamsError, match=r"okrs\.0\.key_results\.0\.due: .* is not after start"):
        parse_params(_okr(due="2025-10-01"))


def test_okr_values_are_checked():
    with pytest.raises(ParamsError, match=r"okrs\.0\.key_results\.0\.baseline: 1\.3 is not possible for "
                                          r"activation_rate: it is a share, between 0 and 1"):
        parse_params(_okr(baseline=1.3))
    with pytest.raises(ParamsError, match=r"okrs\.0\.key_results\.0\.target: 40 is not possible.*Fix: write 0\.4 "
                                          r"if you meant 40%"):
        parse_params(_okr(target=40))
    with pytest.raises(ParamsError, match=r"okrs\.0\.key_results\.0\.target: the target equals the baseline"):
        parse_params(_okr(target=0.33))
    with pytest.raises(ParamsError, match=r"okrs\.0\.key_results: an objective needs at least one key result"):
        parse_params({"team": "t", "okrs": [{"objective": "o", "key_results": []}]})
    with pytest.raises(ParamsError, match=r"okrs\.0\.key_results\.0\.tagret: unknown key\. Fix: did you mean 'target'"):
        parse_params(_okr(tagret=0.4))


def test_annotations():
    import datetime as dt

    params = parse_params({"team": "t", "annotations": [
        {"date": "2025-08-04", "label": "Android app 5.0 released", "kind": "release"},
        {"date": dt.date(2025, 12, 24), "end": "2026-01-01", "label": "Christmas and New Year", "kind": "holiday"},
        {"date": "2025-06-01", "label": "One day", "end": "2025-06-01"}]})
    first, holiday, one_day = params.annotations
    assert (first.kind, first.end, one_day.kind) == ("release", None, "other")
    assert holiday.end == dt.date(2026, 1, 1)
    with pytest.raises(ParamsError, match=r"annotations\.0\.end: end 2025-12-20 is before date 2025-12-25\. Fix"):
        parse_params({"team": "t", "annotations": [{"date": "2025-12-25", "end": "2025-12-20", "label": "x"}]})
    with pytest.raises(ParamsError, match=r"annotations\.0\.kind: .*'release'.*\(found 'launch'\)"):
        parse_params({"team": "t", "annotations": [{"date": "2025-12-25", "label": "x", "kind": "launch"}]})
    with pytest.raises(ParamsError, match=r"annotations\.0\.date: 'Dec 25' is not an ISO date"):
        parse_params({"team": "t", "annotations": [{"date": "Dec 25", "label": "x"}]})


def test_a_date_yaml_cannot_read_fails_with_the_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("team: bad\nannotations: [{date: 2025-02-30, label: x}]\n")
    with pytest.raises(ParamsError, match=r"bad\.yaml: a value could not be read .*Fix: check that every date"):
        load_params(bad)


TARGETED = ["activation_rate", "week4_retention", "k_factor", "ltv_cac", "nps", "csat"]


def test_more_than_five_targeted_kpis_warn_but_load():
    six = parse_params({"team": "t", "kpis": {name: {"target": 0.3} for name in TARGETED}})
    (warning,) = six.warnings()
    assert warning.startswith("kpis: 6 KPIs have a target") and "three to five KPIs per team" in warning
    assert "none gets attention" in warning and "Fix:" in warning
    five = parse_params({"team": "t", "kpis": {
        **{name: {"target": 0.3} for name in TARGETED[:5]},
        "csat": {}, "revenue": {"target": 1e6, "external": True}}})  # untargeted and external do not count
    assert five.warnings() == [] and len(five.targeted_kpis()) == 5


def test_validate_prints_warnings_and_still_succeeds(tmp_path, capsys):
    from pmplaybook import cli

    many = tmp_path / "many.yaml"
    many.write_text("team: many\nkpis:\n" + "".join(f"  {name}: {{target: 0.3}}\n" for name in TARGETED))
    assert cli.main(["validate", str(many)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"ok {many}: team many")
    assert lines[1].startswith(f"warning: {many}: kpis: 6 KPIs have a target")


def _shipped_files():
    examples = config.paths.params_dir() / "examples"
    return [config.params_path(team) for team in config.list_teams()] + sorted(examples.glob("role_*.yaml"))


def test_shipped_params_and_role_templates_are_review_ready():
    files = _shipped_files()
    names = {f.stem for f in files}
    assert {"growth", "onboarding", "collaboration", "monetization",
            "role_growth_pm", "role_data_ml_pm", "role_b2b_account_pm"} <= names
    for path in files:
        params = load_params(path)
        assert params.team == path.stem
        assert 3 <= len(params.targeted_kpis()) <= 5 and params.warnings() == [], path
        assert all(kpi.counter and kpi.owner for kpi in params.kpis.values()), path
        assert 1 <= len(params.okrs) <= 2, path
        for kr in (kr for okr in params.okrs for kr in okr.key_results):
            # start in 2025, due in 2025 or the first half of 2026
            assert kr.start.year == 2025, (path, kr)
            assert kr.due.year == 2025 or (kr.due.year, kr.due.month) <= (2026, 6), (path, kr)
        kinds = {a.kind for a in params.annotations}
        assert {"release", "campaign", "holiday"} <= kinds, path


def test_the_annotations_match_the_planted_events():
    import json

    truth = json.loads((config.paths.sample_dir() / "truth.json").read_text())
    expected = {truth["campaign_cohort"]["blast_date"], truth["release_collapse"]["release_date"],
                truth["task_success_release"]["release_date"], truth["holiday_spike"]["start_date"],
                truth["ai_assistant"]["launch_date"]}
    for path in _shipped_files():
        dates = {str(a.date) for a in load_params(path).annotations}
        assert expected <= dates, path


def test_the_annotation_kinds_are_the_vocabulary_s():
    from typing import get_args

    from pmplaybook.config import params, vocabulary

    assert get_args(params.Annotation.model_fields["kind"].annotation) == vocabulary.ANNOTATION_KINDS


def test_params_survive_a_round_trip():
    for path in _shipped_files():
        params = load_params(path)
        again = parse_params(params.model_dump(exclude_none=True), source_file=Path(params.source_file))
        assert again == params, path


def test_a_key_written_twice_is_refused_with_both_lines(tmp_path):
    f = tmp_path / "twice.yaml"
    f.write_text("team: twice\n"
                 "kpis:\n"
                 "  activation_rate: {target: 0.3}\n"
                 "events:\n"
                 "  signup: signup\n"
                 "kpis:\n"
                 "  week4_retention: {target: 0.2}\n")
    with pytest.raises(ParamsError) as err:
        load_params(f)
    msg = str(err.value)
    assert str(f) in msg and "key 'kpis' is written twice (lines 2 and 6)" in msg and "Fix:" in msg
    f.write_text("team: twice\nevents:\n  signup: signup\n  core_action: task_completed\n  core_action: task_started\n")
    with pytest.raises(ParamsError, match=r"'events.core_action' is written twice \(lines 4 and 5\)"):
        load_params(f)
    f.write_text("team: twice\nfunnel:\n  steps: [signup, {event: payment, where: {plan: team, plan: starter}}]\n")
    with pytest.raises(ParamsError, match=r"'funnel.steps.1.where.plan' is written twice \(lines 3 and 3\)"):
        load_params(f)
    # YAML merge keys may still be overridden: that is what they are for
    f.write_text("team: twice\nfunnel:\n  steps:\n    - &pay {event: payment, where: {plan: team}}\n"
                 "    - {<<: *pay, label: paid again}\n")
    assert load_params(f).funnel.steps[1].label == "paid again"


@pytest.mark.parametrize("written", ["July 1st", "2025-07-01 10:00", "01/07/2025", 20250701])
def test_a_feature_launch_must_be_an_iso_date(tmp_path, written):
    f = tmp_path / "feat.yaml"
    f.write_text(f"team: feat\nevents:\n  features:\n    - {{name: AI, event: ai_used, launched: {written!r}}}\n")
    with pytest.raises(ParamsError) as err:
        load_params(f)
    msg = str(err.value)
    assert "events.features.0.launched" in msg and "YYYY-MM-DD" in msg and "Fix:" in msg


def test_a_feature_launch_reads_iso_strings_and_yaml_dates():
    from datetime import date

    for written in ("'2025-07-01'", "2025-07-01"):
        import yaml

        raw = yaml.safe_load(f"team: feat\nevents:\n  features:\n    - {{name: AI, event: ai_used, launched: {written}}}\n")
        assert parse_params(raw).events.features[0].launched == date(2025, 7, 1)
    assert parse_params({"team": "feat", "events": {"features": [{"name": "AI", "event": "x"}]}}
                        ).events.features[0].launched is None


def test_kpi_status_follows_the_interval_not_the_point():
    from pmplaybook.config import KPI

    kpi = KPI(target=0.25)
    # the point 23.4% is within 10% of the target, but the whole interval (22.8-24.0%) misses it: red
    assert kpi.status(0.234, 0.228, 0.240) == "red"
    # the point 24% misses, but the interval (22-26%) holds the target: amber, not yet a clear miss
    assert kpi.status(0.24, 0.22, 0.26) == "amber"
    # the point 26% meets it, but so does not the whole interval (24-28%): amber as well
    assert kpi.status(0.26, 0.24, 0.28) == "amber"
    assert kpi.status(0.27, 0.255, 0.285) == "green"
    # lower is better (an error rate, target 10%): an interval wholly below the target is green
    errors = KPI(target=0.10, higher_is_better=False)
    assert [errors.status(*v) for v in ((0.06, 0.05, 0.07), (0.09, 0.07, 0.11), (0.13, 0.12, 0.14))] == \
        ["green", "amber", "red"]
