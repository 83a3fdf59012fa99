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
    assert "meets the target" in latest


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
