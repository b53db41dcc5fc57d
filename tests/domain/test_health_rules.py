"""Health rules: women's shares with the privacy minimum, quota rules, flags and the SVG chart."""

from __future__ import annotations

import re
from datetime import date
from itertools import pairwise

import pytest

from deliberate.domain.health import (
    LABEL_CHAR_WIDTH,
    LABEL_GAP,
    Body,
    Chart,
    ClubFacts,
    FlagKind,
    GenderCount,
    Quarter,
    QuotaStanding,
    Series,
    Share,
    TrendPoint,
    check_quota,
    flags,
    last_quarters,
    share,
    shown_percent,
    svg_chart,
)


def test_a_share_is_shown_only_when_women_and_the_others_are_none_or_at_least_five():
    assert share("members", GenderCount(6, 12), 0.439).share == 0.5
    assert share("members", GenderCount(3, 12), 0.439).suppressed  # three women
    assert share("members", GenderCount(9, 12), 0.439).suppressed  # three others
    assert share("members", GenderCount(2, 4), 0.439).suppressed  # four people
    assert share("members", GenderCount(0, 7), 0.439).share == 0.0
    empty = share("members", GenderCount(0, 0), 0.439)
    assert empty.share is None and not empty.suppressed


def test_a_share_says_how_far_it_stands_from_the_baseline():
    result = share("officers", GenderCount(5, 20), 0.439)
    assert result.gap_points == -18.9 and result.meets_baseline is False
    assert share("officers", GenderCount(10, 20), 0.439).meets_baseline


def test_a_quota_rule_is_met_or_says_how_many_more_women_it_needs():
    assert check_quota(Body.BOARD, 0.4, GenderCount(2, 5)).standing is QuotaStanding.MET
    missing = check_quota(Body.BOARD, 0.4, GenderCount(1, 5))
    assert missing.standing is QuotaStanding.NOT_MET and missing.needed == 1 and missing.share is None
    assert check_quota(Body.OFFICERS, 0.4, GenderCount(0, 0)).standing is QuotaStanding.EMPTY
    assert check_quota(Body.OFFICERS, 0.5, GenderCount(5, 10)).share == 0.5


def test_flags_point_to_clubs_without_women_officers_inactive_clubs_and_falls():
    clubs = [ClubFacts("Club B", GenderCount(0, 2), 10), ClubFacts("Club A", GenderCount(1, 2), 200),
             ClubFacts("Club C", GenderCount(0, 0), None)]
    trends = {"voters": [TrendPoint("1", 0.45), TrendPoint("2", None), TrendPoint("3", 0.37)],
              "authors": [TrendPoint("1", 0.40), TrendPoint("2", 0.42)]}
    quota = check_quota(Body.BOARD, 0.4, GenderCount(1, 5))
    found = flags(clubs, [share("board", GenderCount(5, 20), 0.439)], trends, [quota])
    assert [(f.kind, f.subject) for f in found] == [
        (FlagKind.INACTIVE_CLUB, "Club A"), (FlagKind.NO_WOMAN_OFFICER, "Club B"), (FlagKind.INACTIVE_CLUB, "Club C"),
        (FlagKind.BELOW_BASELINE, "board"), (FlagKind.SHARE_FELL, "voters"), (FlagKind.QUOTA_NOT_MET, "board")]
    assert found[4].points == 8.0


def test_the_chart_is_an_svg_with_a_title_and_escaped_labels():
    chart = Chart(title="Women <share>", labels=("#1", "#2", "<3>"),
                  series=(Series("voters", (0.4, None, 0.5)),), baseline=0.439)
    svg = svg_chart(chart, baseline_label="Baseline")
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "<title>Women &lt;share&gt;</title>" in svg and "&lt;3&gt;" in svg and "<share>" not in svg
    assert svg.count("<circle") == 2 and "<polyline" not in svg  # a gap breaks the line
    assert 'stroke-dasharray="4 3"' in svg


def _label_spans(svg: str) -> list[tuple[float, float]]:
    """Where each written label starts and ends, from its centre and its length at the chart's character width."""
    found = re.findall(r'<text class="chart-label" x="([\d.]+)" y="[\d.]+" text-anchor="middle">([^<]*)</text>', svg)
    return [(float(x) - len(text) * LABEL_CHAR_WIDTH / 2, float(x) + len(text) * LABEL_CHAR_WIDTH / 2)
            for x, text in found]


@pytest.mark.parametrize("count", [1, 2, 3, 6, 8, 12, 30])
def test_the_charts_labels_never_touch_nor_leave_the_chart(count):
    labels = tuple(f"Q{n % 4 + 1} {2020 + n // 4}" for n in range(count))
    chart = Chart(title="t", labels=labels, series=(Series("voters", tuple(0.5 for _ in labels)),))
    svg = svg_chart(chart)
    spans = _label_spans(svg)
    assert spans
    assert all(start >= 0 and end <= chart.width for start, end in spans)
    assert all(later[0] - earlier[1] >= LABEL_GAP - 0.1 for earlier, later in pairwise(spans))
    written = re.findall(r'text-anchor="middle">([^<]*)</text>', svg)
    assert written[-1] == labels[-1]  # the latest is always named
    if count <= 6:
        assert written == list(labels)


def test_the_shown_share_and_the_baseline_comparison_use_the_same_rounding():
    assert shown_percent(0.4385) == 43.9 and shown_percent(0.43849) == 43.8 and shown_percent(0.439) == 43.9
    shown_as_baseline = Share("voters", 0.4386, 500, 0.439, False)  # 43.86% is shown as 43.9%
    assert shown_as_baseline.percent == 43.9 and shown_as_baseline.meets_baseline
    assert shown_as_baseline.gap_points == 0.0
    shown_below = Share("voters", 0.43849, 500, 0.439, False)  # shown as 43.8%
    assert shown_below.percent == 43.8 and not shown_below.meets_baseline and shown_below.gap_points == -0.1
    exact = Share("members", 7 / 16, 16, 0.4376, False)  # 43.75% and 43.76%: both shown as 43.8%
    assert exact.meets_baseline and exact.gap_points == 0.0


def test_quarters_follow_the_calendar_and_cross_the_year():
    assert Quarter.of(date(2026, 12, 2)) == Quarter(2026, 4) and Quarter.of(date(2027, 1, 1)) == Quarter(2027, 1)
    assert Quarter(2027, 1).previous() == Quarter(2026, 4) and Quarter(2026, 3).first_day == date(2026, 7, 1)
    assert last_quarters(date(2027, 2, 10), 3) == (Quarter(2026, 3), Quarter(2026, 4), Quarter(2027, 1))
