"""The Summary that opens each report, and the page shaping around it: bullets worked out by hand on tiny
inputs."""

import nbformat
import pandas as pd

from pmplaybook.config import load_params
from pmplaybook.narrative import ai as ai_story
from pmplaybook.narrative import retention as retention_story
from pmplaybook.narrative.summary import MAX_BULLETS, Finding, change_bullet, gap_findings, kpi_bullets, summary_markdown
from pmplaybook.report.history import record_history
from pmplaybook.report.html import arrange_for_report
from pmplaybook.report.kpis import KPIRecorder


def kpi(name, value, target=None, status=None, low=None, high=None, unit="share", label=None):
    return {"name": name, "label": label or name, "value": value, "unit": unit, "target": target,
            "status": status, "ci_low": low, "ci_high": high}


def test_kpis_are_judged_against_target_with_their_interval():
    rows = [kpi("a", 0.25, 0.30, "red", 0.23, 0.27),       # interval wholly below the target
            kpi("b", 0.29, 0.30, "amber", 0.27, 0.31),     # interval holds the target: no clear miss
            kpi("c", 0.40, 0.30, "green", 0.35, 0.45),     # wholly above
            kpi("d", 812, unit="ms", label="p90 latency"),  # no target: measured only
            kpi("e", None, 0.30, None)]                    # no value: left to the table
    off, close, on, free = kpi_bullets(rows)
    assert off == "**Off target:** a 25.0% (23.0%-27.0%) against a target of 30.0%, the whole interval below it."
    assert close == ("**Too close to call:** b 29.0% (27.0%-31.0%) against a target of 30.0%, which the interval "
                     "includes: not yet a clear miss or hit.")
    assert on == "**On target:** c 40.0% (35.0%-45.0%) against a target of 30.0%, the whole interval above it."
    assert free == "**Measured (no target set):** p90 latency 812 ms."


def test_change_since_the_last_run():
    rows = [kpi("a", 0.25), kpi("b", 0.50)]
    assert change_bullet(rows, None) is None  # run by hand: no history to ask
    assert change_bullet(rows, {}) == "**Since the last run:** no earlier run to compare with."
    # a: 0.25 - 0.20 = +5 points; b has no earlier value
    assert change_bullet(rows, {"a": ("2025-12-25", 0.20)}) == "**Since the run of 2025-12-25:** a +5.0 points (from 20.0%)."


def test_a_change_is_judged_against_the_noise_of_both_runs():
    # now 25% (23-27%), before 20% (18-22%): the difference's interval is 5 -/+ sqrt(2^2 + 2^2) = 2.2-7.8 points,
    # clear of 0; before 24% (22-26%): 1 -/+ 2.8 points holds 0
    rows = [kpi("a", 0.25, low=0.23, high=0.27)]
    assert change_bullet(rows, {"a": ("2025-12-25", 0.20, 0.18, 0.22)}) == (
        "**Since the run of 2025-12-25:** a +5.0 points (from 20.0%, beyond its noise).")
    assert change_bullet(rows, {"a": ("2025-12-25", 0.24, 0.22, 0.26)}) == (
        "**Since the run of 2025-12-25:** a +1.0 points (from 24.0%, within its noise).")


def test_at_most_eight_bullets_and_the_bad_findings_first():
    rows = [kpi("a", 0.25, 0.30, "red", 0.23, 0.27), kpi("c", 0.40, 0.30, "green")]
    findings = ([Finding(f"note {i}", severity="note") for i in range(6)]
                + [Finding(f"bad {i}", next_step="fix it", chart=f"c{i}") for i in range(4)])
    text = summary_markdown(rows, findings, previous={})
    bullets = [line for line in text.splitlines() if line.startswith("- ")]
    assert text.startswith("## Summary") and len(bullets) == MAX_BULLETS
    # off, on, two bad ones (no more: the rest wait for their owner), notes while room lasts, the change last
    assert bullets[2] == "- **Needs an owner:** bad 0 *Next:* fix it ([chart](#c0))"
    assert bullets[3].startswith("- **Needs an owner:** bad 1")
    assert not any("bad 2" in b for b in bullets)
    assert bullets[-1] == "- **Since the last run:** no earlier run to compare with."


def breakdown():
    # A: 1,000 users, 20% vs 25% for the rest, significant -> 50 users' worth; B: 100 users, 10% vs 30%,
    # significant -> 20; C: lower but within noise; D: higher
    return pd.DataFrame({
        "column": ["platform", "platform", "platform", "platform"], "segment": ["A", "B", "C", "D"],
        "cohort_size": [1000, 100, 500, 800], "rate": [0.20, 0.10, 0.22, 0.35],
        "ci_low": [0.18, 0.05, 0.18, 0.32], "ci_high": [0.22, 0.18, 0.26, 0.38],
        "rest_rate": [0.25, 0.30, 0.24, 0.20], "diff": [-0.05, -0.20, -0.02, 0.15],
        "diff_low": [-0.08, -0.28, -0.06, 0.11], "diff_high": [-0.02, -0.12, 0.02, 0.19],
        "significant": [True, True, False, True]})


def test_gap_findings_rank_by_the_users_a_gap_costs():
    found = gap_findings(breakdown(), "week-4 retention", chart="segments", next_step="Look at {segment}.")
    assert [f.text.split(" ")[0] for f in found] == ["A", "B"]  # 1,000 x 5 points before 100 x 20 points
    assert found[0].text == ("A (platform): week-4 retention 20.0% (18.0%-22.0%) against 25.0% for the other platforms, "
                             "5.0 points lower (95% interval of the gap 2.0-8.0), across 1,000 users.")
    assert found[0].next_step == "Look at A." and found[0].chart == "segments" and found[0].severity == "bad"
    level = breakdown().assign(significant=False)
    assert gap_findings(level, "week-4 retention") == []


def test_retention_summary_findings_switch_with_the_data():
    from pmplaybook.retention import Plateau

    flat = Plateau(True, 6, 0.15, 0.14, 0.16, -0.0005, "week", 20, 26, 0.005, 4, 30)
    found = retention_story.summary_findings(breakdown(), flat)
    assert [f.severity for f in found] == ["bad", "bad", "good"]
    falling = Plateau(False, None, None, None, None, None, "week", 20, 26, 0.005, 4, 30)
    found = retention_story.summary_findings(breakdown().assign(significant=False), falling)
    assert [f.severity for f in found] == ["bad"] and found[0].text.startswith("The curve has not flattened")


def test_ai_summary_findings_switch_with_the_data():
    fair = pd.DataFrame({"country": ["DE", "US"], "precision": [0.45, 0.66], "precision_low": [0.42, 0.64],
                         "precision_high": [0.47, 0.68], "precision_gap": [-0.21, 0.21],
                         "precision_gap_low": [-0.24, 0.17], "precision_gap_high": [-0.17, 0.24],
                         "tp": [450, 6600], "fp": [550, 3400], "flagged": [True, False]})
    latency = pd.DataFrame({"period": pd.to_datetime(["2025-12-15", "2025-12-22"]), "p90": [950.0, 1200.0],
                            "complete": [True, True], "within_slo": [True, False]})
    slo = load_params("growth").ai.latency_slo  # p90 at most 1,000 ms
    drift = pd.DataFrame({"period": pd.to_datetime(["2025-12-22"] * 2), "mode": ["typed", "voice"],
                          "psi": [0.30, float("nan")], "n": [800, 200], "complete": [True, True],
                          "in_reference": [False, False]})
    found = ai_story.summary_findings(fair, "country", "assist-2", latency, slo, drift, "input_tokens", "mode")
    texts = [f.text for f in found]
    assert texts[0].startswith("country DE under assist-2: precision 45% (42%-47%), 21 points below")
    assert texts[1] == f"Latency missed its SLO (p90 at most {slo.ms:,.0f} ms) in the week of 22 Dec 2025 (1,200 ms)."
    assert texts[2] == "mode voice is new since the reference window: 20% of the calls in the latest complete week (n = 200)."
    assert texts[3].startswith("The inputs (input_tokens) have drifted for mode typed: PSI 0.30")
    calm = ai_story.summary_findings(fair.assign(flagged=False), "country", None, latency.iloc[:1], slo,
                                     drift.iloc[:1].assign(psi=0.05), "input_tokens", "mode")
    assert [f.severity for f in calm] == ["good"]  # only: the SLO held


def notebook():
    cells = [nbformat.v4.new_markdown_cell("# Title\n\nWhy this page exists."),
             nbformat.v4.new_code_cell("x = 1"),
             nbformat.v4.new_markdown_cell("## 1. The idea\n\nA long explanation."),
             nbformat.v4.new_markdown_cell("## 2. Method\n\nMore."),
             nbformat.v4.new_code_cell("table"),
             nbformat.v4.new_markdown_cell("## Explore"),
             nbformat.v4.new_code_cell("chart"),
             nbformat.v4.new_code_cell("summary")]
    tags = {0: ["report-teach"], 2: ["report-teach"], 3: ["report-fold"], 4: ["report-fold"], 5: ["report-hide"],
            6: ["anchor-segments"], 7: ["report-summary"]}
    for i, t in tags.items():
        cells[i].metadata["tags"] = t
    return nbformat.v4.new_notebook(cells=cells)


def test_the_report_page_opens_with_the_summary_and_folds_the_teaching():
    nb = notebook()
    arrange_for_report(nb)
    assert [c.source.splitlines()[0] for c in nb.cells] == ["# Title", "summary", "x = 1", "## 1. The idea",
                                                            "## 2. Method", "table", "chart"]
    assert nb.cells[0].source == ('# Title\n\n<details class="pmp-learn"><summary>About this page</summary>\n\n'
                                  "Why this page exists.\n\n</details>")
    assert '<summary>Learn more: The idea</summary>\n\nA long explanation.' in nb.cells[3].source
    assert nb.cells[4].metadata["pmp_open"] == "Method" and nb.cells[5].metadata["pmp_close"] is True
    assert nb.cells[6].metadata["pmp_anchors"] == ["segments"]


def test_previous_values_come_from_the_history_of_the_reports_folder(tmp_path):
    params = load_params("growth")
    record_history(tmp_path, "2025-12-25", "growth", [
        {"notebook": "02_cohort_retention", "name": "week4_retention", "label": "Week-4", "value": 0.21,
         "unit": "share", "target": 0.25, "higher_is_better": True, "status": "red"}])
    work = tmp_path / "2026-01-01" / "growth" / ".02_cohort_retention.work" / "kpis.jsonl"
    assert KPIRecorder(work, "02_cohort_retention", params).previous() == {"week4_retention": ("2025-12-25", 0.21, None, None)}
    assert KPIRecorder(work, "01_north_star", params).previous() == {}  # no earlier run of that notebook
    assert KPIRecorder("", "02_cohort_retention", params).previous() is None  # by hand: no history
    earlier = tmp_path / "2025-12-25" / "growth" / ".02_cohort_retention.work" / "kpis.jsonl"
    assert KPIRecorder(earlier, "02_cohort_retention", params).previous() == {}  # a run is not its own previous
