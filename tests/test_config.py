"""Team params: the shipped files validate; mistakes fail with the file, key path and fix."""

from datetime import timedelta

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
