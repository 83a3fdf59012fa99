"""The pmplaybook command: validate exits non-zero on the first bad file with its message."""

import pytest

from pmplaybook import cli


def test_validate_every_shipped_team(capsys):
    assert cli.main(["validate"]) == 0
    out = capsys.readouterr().out
    # the sample runs to midnight UTC: 31 December is complete in UTC and in Berlin (it ends there at 23:00
    # UTC; 1 January has its first hour only and is left out), but in New York the data stop at 19:00 on
    # 31 December, so the last complete day there is 30 December
    for team in ("growth", "collaboration", "monetization"):
        assert f"team {team}, data up to 2026-01-01" in out
    assert "team onboarding, data up to 2025-12-31" in out


def test_validate_stops_at_the_first_bad_file(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("team: bad\nevents: {core_action: task_complete}\n")
    assert cli.main(["validate", str(bad), "params/growth.yaml"]) == 1
    err = capsys.readouterr().err
    assert "INVALID" in err and "events.core_action" in err and "task_completed" in err


def test_run_reports_bad_params_without_running(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("team: bad\ntimezone: Moon/Base\n")
    assert cli.main(["run", "--team", str(bad), "--out", str(tmp_path / "r"), "--quiet"]) == 2
    assert "Moon/Base" in capsys.readouterr().err


def test_simulate_writes_a_small_product(tmp_path, capsys):
    assert cli.main(["simulate", "--users", "1500", "--seed", "3", "--out", str(tmp_path)]) == 0
    assert {p.name for p in tmp_path.iterdir()} >= {"events.parquet", "surveys.parquet", "spend.parquet", "truth.json"}
    assert "events for 1,500 users" in capsys.readouterr().out


def _project_with_two_files_of_one_team(tmp_path, monkeypatch):
    project = tmp_path / "project"
    (project / "notebooks").mkdir(parents=True)
    (project / "params").mkdir()
    (project / "params" / "growth.yaml").write_text("team: growth\n")
    (project / "params" / "growth_copy.yaml").write_text("team: growth\n")  # copied, team not renamed
    monkeypatch.setenv("PMPLAYBOOK_PROJECT", str(project))
    return project


def test_validate_refuses_two_files_of_one_team(tmp_path, monkeypatch, capsys):
    project = _project_with_two_files_of_one_team(tmp_path, monkeypatch)
    assert cli.main(["validate"]) == 1
    err = capsys.readouterr().err
    assert "INVALID" in err and "team 'growth'" in err and "Fix:" in err
    assert str(project / "params" / "growth.yaml") in err and str(project / "params" / "growth_copy.yaml") in err
    # naming the files checks them one by one, as before
    assert cli.main(["validate", str(project / "params" / "growth.yaml")]) == 0


def test_run_refuses_two_files_of_one_team(tmp_path, monkeypatch, capsys):
    project = _project_with_two_files_of_one_team(tmp_path, monkeypatch)
    assert cli.main(["run", "--out", str(tmp_path / "r"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "team 'growth'" in err and "growth_copy.yaml" in err and str(project / "params" / "growth.yaml") in err
    assert "Fix:" in err
    assert not (tmp_path / "r" / "index.html").exists()


def test_run_refuses_an_ambiguous_as_of(capsys):
    from pmplaybook import cli

    with pytest.raises(SystemExit) as exit_:
        cli.main(["run", "--as-of", "01/02/2026"])
    assert exit_.value.code == 2
    assert "not an ISO date: as_of must be a date written YYYY-MM-DD" in capsys.readouterr().err


def test_validate_checks_every_file_and_simulate_refuses_no_users(tmp_path, capsys):
    from pmplaybook import cli

    for name in ("a", "b"):
        (tmp_path / f"{name}.yaml").write_text(f"team: {name}\nevnts: {{}}\n")
    assert cli.main(["validate", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")]) == 1
    err = capsys.readouterr().err
    assert "a.yaml" in err and "b.yaml" in err and "2 of 2 params files are invalid" in err
    assert cli.main(["simulate", "--users", "0", "--out", str(tmp_path / "s")]) == 2
    assert "users must be a positive number, got 0. Fix: pass --users 1000 or more" in capsys.readouterr().err
