"""The reports index tells each team's story: per targeted KPI its status, value with its 95% interval and an
inline trend line across every run so far (from the KPI history), escaped wherever the text comes from data."""

import re
from types import SimpleNamespace

import pytest

from pmplaybook.report.history import record_history
from pmplaybook.report.index import write_index, write_summary

HOSTILE = "<script>window.__pwned = 1</script>"
RUNS = [("2025-03-10", 0.30, 0.27, 0.33), ("2025-03-03", 0.25, None, None), ("2025-03-17", 0.35, 0.32, 0.38)]


def kpi(value, low=None, high=None, name="week4_retention", label="Week-4 retention", target=0.3, status="green"):
    row = {"notebook": "01_retention", "name": name, "label": label, "value": value, "unit": "share",
           "target": target, "higher_is_better": True, "status": status}
    if low is not None:
        row.update(ci_low=low, ci_high=high)
    return row


def fake_run(out, as_of, rows, team="growth"):
    rows = record_history(out, as_of, team, rows)
    result = SimpleNamespace(notebook="01_retention", ok=True, error=None)
    write_summary(out / as_of / team, team, as_of, [result], rows)


@pytest.fixture
def reports(tmp_path):
    out = tmp_path / "reports"
    out.mkdir()
    for as_of, value, low, high in RUNS:  # written out of date order on purpose
        fake_run(out, as_of, [kpi(value, low, high, status="green" if value >= 0.3 else "red"),
                              kpi(0.5, name="north_star", label=HOSTILE, target=0.4)])
    return out


def sections(page):
    """Each run's block of the index: {as_of: html}."""
    heads = list(re.finditer(r"<h2>Data up to (\d{4}-\d{2}-\d{2})</h2>", page))
    return {m.group(1): page[m.end():(heads[i + 1].start() if i + 1 < len(heads) else len(page))]
            for i, m in enumerate(heads)}


def chip(block, label):
    """The chip of one KPI in a run's block."""
    start = block.index(f">{label}: <b>")
    return block[start:block.index("</span><span class=\"kpi", start) if "</span><span class=\"kpi" in block[start:]
                 else block.index("</div>", start)]


def test_sparkline_has_a_point_per_run_in_date_order_with_values_in_title(reports):
    page = write_index(reports).read_text()
    latest = chip(sections(page)["2025-03-17"], "Week-4 retention")
    svg = re.search(r"<svg[^>]*>.*?</svg>", latest, re.S).group(0)
    points = re.search(r'<polyline points="([^"]+)"', svg).group(1).split()
    assert len(points) == 3
    xs = [float(p.split(",")[0]) for p in points]
    ys = [float(p.split(",")[1]) for p in points]
    assert xs == sorted(xs)
    assert ys[0] > ys[1] > ys[2]  # 25% < 30% < 35%: the line rises (SVG y grows downwards)
    title = re.search(r"<title>(.*?)</title>", svg).group(1)
    assert title == "2025-03-03: 25.0%; 2025-03-10: 30.0%; 2025-03-17: 35.0%"
    # the last point is the current run's: the dot sits at the line's end
    cx, cy = re.search(r'<circle cx="([\d.]+)" cy="([\d.]+)"', svg).groups()
    assert (float(cx), float(cy)) == (xs[-1], ys[-1])
    assert "the whole interval clears the target" in latest


def test_each_run_shows_the_runs_so_far_and_a_single_run_a_dot(reports):
    blocks = sections(write_index(reports).read_text())
    middle = chip(blocks["2025-03-10"], "Week-4 retention")
    assert len(re.search(r'<polyline points="([^"]+)"', middle).group(1).split()) == 2
    assert "2025-03-17" not in middle
    first = chip(blocks["2025-03-03"], "Week-4 retention")
    assert "<polyline" not in first and first.count("<circle") == 1
    assert "<title>2025-03-03: 25.0%</title>" in first
    assert "misses the target" in first


def test_interval_shown_when_recorded(reports):
    blocks = sections(write_index(reports).read_text())
    assert "Week-4 retention: <b>35.0%</b>" in blocks["2025-03-17"]
    assert "(32.0%\u201338.0%)" in chip(blocks["2025-03-17"], "Week-4 retention")
    assert "\u2013" not in re.sub(r"<svg.*?</svg>", "", chip(blocks["2025-03-03"], "Week-4 retention"), flags=re.S)


def test_hostile_label_stays_escaped_and_the_svg_is_numbers_only(reports):
    page = write_index(reports).read_text()
    assert HOSTILE not in page
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;: <b>50.0%</b>" in page
    for svg in re.findall(r"<svg.*?</svg>", page, re.S):
        geometry = re.sub(r"<title>.*?</title>", "", svg)
        assert re.fullmatch(r'[\sA-Za-z0-9"=.,:/<>#_-]*', geometry), geometry
        assert "script" not in svg.lower()


def test_index_without_history_still_shows_the_current_value(tmp_path):
    out = tmp_path / "reports"
    write_summary(out / "2025-03-03" / "growth", "growth", "2025-03-03",
                  [SimpleNamespace(notebook="01_retention", ok=True, error=None)], [kpi(0.25)])
    page = write_index(out).read_text()
    assert "Week-4 retention: <b>25.0%</b>" in page and "<title>2025-03-03: 25.0%</title>" in page


def test_summary_json_says_what_each_kpi_rests_on_and_whether_it_moved_beyond_noise(reports):
    import json

    summary = json.loads((reports / "2025-03-17" / "growth" / "summary.json").read_text())
    row = next(k for k in summary["kpis"] if k["name"] == "week4_retention")
    assert set(row) >= {"name", "label", "unit", "value", "window_start", "window_end", "n", "ci_low", "ci_high",
                        "target", "status", "previous", "change", "change_beyond_noise"}
    # 35% (32-38%) after 30% (27-33%): +5 points; the difference's interval 5 -/+ sqrt(3^2 + 3^2) = 0.8-9.2 points
    assert row["previous"] == 0.30 and row["change"] == pytest.approx(0.05) and row["change_beyond_noise"] is True
    # 2025-03-10 after 2025-03-03, which had no interval: no noise to judge the move by
    earlier = json.loads((reports / "2025-03-10" / "growth" / "summary.json").read_text())
    assert next(k for k in earlier["kpis"] if k["name"] == "week4_retention")["change_beyond_noise"] is None


def test_history_keeps_the_interval_and_window_and_reads_an_older_history(tmp_path):
    import duckdb

    from pmplaybook.report.history import kpi_history

    out = tmp_path / "reports"
    out.mkdir()
    con = duckdb.connect(str(out / "kpi_history.duckdb"))  # a history written before the measured columns
    con.execute("CREATE TABLE kpi_history (as_of DATE, team VARCHAR, notebook VARCHAR, name VARCHAR, label VARCHAR, "
                "value DOUBLE, unit VARCHAR, target DOUBLE, higher_is_better BOOLEAN, status VARCHAR)")
    con.execute("INSERT INTO kpi_history VALUES ('2025-03-03', 'growth', '01_retention', 'week4_retention', "
                "'Week-4 retention', 0.25, 'share', 0.3, true, 'red')")
    con.close()
    row = {**kpi(0.31, 0.29, 0.33), "window_start": "2025-02-17", "window_end": "2025-03-10", "n": 2400}
    fake_run(out, "2025-03-10", [row])
    history = kpi_history(out).set_index("as_of")
    assert list(history["value"]) == [0.25, 0.31]
    latest = history.iloc[-1]
    assert (latest["ci_low"], latest["ci_high"], latest["n"]) == (0.29, 0.33, 2400)
    assert str(latest["window_start"])[:10] == "2025-02-17" and str(latest["window_end"])[:10] == "2025-03-10"
