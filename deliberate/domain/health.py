"""Federation health and parity: shares of women against a baseline, quota rules over leadership, flags, charts.

Pure rules over counts, no database. Every figure about people follows ``deliberate.domain.privacy``: a share is
shown only when it is about at least ``MIN_GROUP`` people *and* neither its women nor the others number one to four
(either figure would be about people one could name, and the other gives it away by subtraction); otherwise it is
suppressed and the page says why. None of zero people is a figure about nobody, and may be said ("no woman officer").
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from math import ceil, isfinite
from xml.sax.saxutils import escape

from deliberate.domain.privacy import MIN_GROUP, is_small

DEFAULT_BASELINE = 0.439
"""Women's share among Mexican migrants in the United States (INEGI), the default parity baseline."""

INACTIVE_DAYS = 90
FALL_POINTS = 5.0  # a fall of women's share of at least this many points between two consultations is flagged


class Population(enum.StrEnum):
    """The groups of people whose share of women the dashboard shows."""

    MEMBERS = "members"
    OFFICERS = "officers"
    BOARD = "board"
    AUTHORS = "authors"
    REACTORS = "reactors"
    VOTERS = "voters"
    ATTENDEES = "attendees"
    MENTORS = "mentors"
    MENTEES = "mentees"
    VOLUNTEERS = "volunteers"


class Body(enum.StrEnum):
    """A leadership body a quota rule applies to."""

    BOARD = "board"
    OFFICERS = "officers"


@dataclass(frozen=True)
class GenderCount:
    """How many people a group holds: women, and everyone (women included; people of unstated gender too)."""

    women: int
    total: int

    @property
    def others(self) -> int:
        return self.total - self.women


def shown_percent(share: float) -> float:
    """Return a share (0-1) as the percentage a page shows: one decimal, halves rounded up (0.4385 -> 43.9).

    Every comparison with the baseline is made between figures rounded here, so that a share shown as 43.9% is
    never said to be below a baseline shown as 43.9%, nor one shown as 43.8% to meet it.
    """
    return float((Decimal(repr(share)) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Share:
    """Women's share of a group against the baseline, or why it is not shown (``suppressed``)."""

    population: str
    share: float | None
    people: int | None
    baseline: float
    suppressed: bool

    @property
    def percent(self) -> float | None:
        """Return the share as shown: a percentage with one decimal (see :func:`shown_percent`)."""
        return None if self.share is None else shown_percent(self.share)

    @property
    def baseline_percent(self) -> float:
        return shown_percent(self.baseline)

    @property
    def gap_points(self) -> float | None:
        """Return how many points the shown share stands above (positive) or below (negative) the shown baseline."""
        return None if self.percent is None else round(self.percent - self.baseline_percent, 1)

    @property
    def meets_baseline(self) -> bool | None:
        return None if self.gap_points is None else self.gap_points >= 0

    def to_dict(self) -> dict:
        return {"population": self.population, "share": self.share, "people": self.people,
                "baseline": self.baseline, "suppressed": self.suppressed}


def may_show(count: GenderCount) -> bool:
    """Tell whether a share of women may be shown for this group (see the module docstring)."""
    return count.total >= MIN_GROUP and not is_small(count.women) and not is_small(count.others)


def share(population: str, count: GenderCount, baseline: float) -> Share:
    """Return women's share of a group, suppressed when it would be a figure about fewer than five people."""
    if count.total == 0:
        return Share(population, None, 0, baseline, False)
    if not may_show(count):
        return Share(population, None, None, baseline, True)
    return Share(population, count.women / count.total, count.total, baseline, False)


def shown_people(count: int) -> int | None:
    """Return a number of people as it may be shown: None for one to four."""
    return None if is_small(count) else count


# --- quota rules --------------------------------------------------------------------------------------------------

class QuotaStanding(enum.StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    EMPTY = "empty"  # nobody holds the role yet


@dataclass(frozen=True)
class QuotaResult:
    body: Body
    minimum: float  # the least share of women the rule asks for, 0-1
    standing: QuotaStanding
    share: float | None  # shown only when the body may be counted (see may_show)
    needed: int  # how many more women it would take to meet the rule, with the same number of seats

    @property
    def percent(self) -> float | None:
        return None if self.share is None else shown_percent(self.share)

    def to_dict(self) -> dict:
        return {"body": self.body.value, "minimum": self.minimum, "standing": self.standing.value,
                "share": self.share, "needed": self.needed}


def check_quota(body: Body, minimum: float, count: GenderCount) -> QuotaResult:
    """Say whether a leadership body has at least ``minimum`` women, and how many more it would take.

    Whether the rule is met is said for any body (who sits on a board or leads a club is public); the share itself
    only when it may be shown.
    """
    if count.total == 0:
        return QuotaResult(body, minimum, QuotaStanding.EMPTY, None, 0)
    required = _ceil(minimum * count.total)
    met = count.women >= required
    return QuotaResult(body, minimum, QuotaStanding.MET if met else QuotaStanding.NOT_MET,
                       count.women / count.total if may_show(count) else None, max(required - count.women, 0))


def _ceil(value: float) -> int:
    whole = int(value)
    return whole if value - whole < 1e-9 else whole + 1


# --- flags --------------------------------------------------------------------------------------------------------

class FlagKind(enum.StrEnum):
    NO_WOMAN_OFFICER = "no_woman_officer"
    INACTIVE_CLUB = "inactive_club"
    SHARE_FELL = "share_fell"
    BELOW_BASELINE = "below_baseline"
    QUOTA_NOT_MET = "quota_not_met"


@dataclass(frozen=True)
class Flag:
    """A place where action is needed; ``subject`` names the club, population or body, ``points`` a fall or gap."""

    kind: FlagKind
    subject: str
    points: float | None = None

    def to_dict(self) -> dict:
        return {"kind": self.kind.value, "subject": self.subject, "points": self.points}


@dataclass(frozen=True)
class ClubFacts:
    name: str
    officers: GenderCount
    days_since_activity: int | None  # None: never active


@dataclass(frozen=True)
class TrendPoint:
    """One consultation's share of women in one population (None when suppressed)."""

    label: str
    share: float | None


def flags(clubs: Sequence[ClubFacts], shares: Sequence[Share], trends: dict[str, Sequence[TrendPoint]],
          quotas: Sequence[QuotaResult]) -> list[Flag]:
    """Return the flags, in a stable order: clubs first (by name), then populations, trends and quotas."""
    found: list[Flag] = []
    for club in sorted(clubs, key=lambda c: c.name):
        if club.officers.total > 0 and club.officers.women == 0:
            found.append(Flag(FlagKind.NO_WOMAN_OFFICER, club.name))
        if club.days_since_activity is None or club.days_since_activity > INACTIVE_DAYS:
            found.append(Flag(FlagKind.INACTIVE_CLUB, club.name))
    for item in shares:
        gap = item.gap_points
        if gap is not None and gap <= -10:
            found.append(Flag(FlagKind.BELOW_BASELINE, item.population, -gap))
    for population, points in sorted(trends.items()):
        shown = [point.share for point in points if point.share is not None]
        if len(shown) >= 2:
            fall = round((shown[-2] - shown[-1]) * 100, 1)
            if fall >= FALL_POINTS:
                found.append(Flag(FlagKind.SHARE_FELL, population, fall))
    for quota in quotas:
        if quota.standing is QuotaStanding.NOT_MET:
            found.append(Flag(FlagKind.QUOTA_NOT_MET, quota.body.value, round(quota.minimum * 100, 1)))
    return found


# --- quarters -----------------------------------------------------------------------------------------------------

TREND_QUARTERS = 6


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter (1: January to March), on the federation's clock."""

    year: int
    number: int

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)


def last_quarters(today: date, count: int = TREND_QUARTERS) -> tuple[Quarter, ...]:
    """Return the last ``count`` quarters up to today's, oldest first."""
    found = [Quarter.of(today)]
    while len(found) < count:
        found.append(found[-1].previous())
    return tuple(reversed(found))


# --- charts -------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Series:
    name: str
    points: tuple[float | None, ...]  # shares 0-1; None: suppressed
    css_class: str = ""


# A chart's labels: at most LABEL_CHARS characters, each about LABEL_CHAR_WIDTH wide (9 px text), LABEL_GAP apart.
LABEL_CHARS = 14
LABEL_CHAR_WIDTH = 5.5
LABEL_GAP = 6


@dataclass(frozen=True)
class Chart:
    """A line chart of shares over consultations, drawn as SVG on the server (the page shows its table too)."""

    title: str
    labels: tuple[str, ...]
    series: tuple[Series, ...]
    baseline: float | None = None
    width: int = 320
    height: int = 180
    notes: tuple[str, ...] = field(default=())


def svg_chart(chart: Chart, *, baseline_label: str = "") -> str:
    """Draw a chart as a small, accessible SVG: a title, one polyline per series, the baseline dashed.

    The shapes carry no information a screen reader needs: the page puts the same figures in a table beside it.
    """
    left, right, top, bottom = 34, 8, 12, 26
    plot_w, plot_h = chart.width - left - right, chart.height - top - bottom
    count = max(len(chart.labels), 1)
    shown = [label[:LABEL_CHARS] for label in chart.labels]
    # Each label is centred under its point: the first and last points sit half a label in from the plot's ends,
    # and when neighbours would touch only every few labels are written (the last always; the table has them all).
    label_w = max((len(label) for label in shown), default=0) * LABEL_CHAR_WIDTH
    inset = min(label_w / 2, plot_w / 4)
    step = (plot_w - 2 * inset) / (count - 1) if count > 1 else 0.0
    every = 1 if count < 2 or step >= label_w + LABEL_GAP else ceil((label_w + LABEL_GAP) / max(step, 1.0))

    def x(index: int) -> float:
        return left + (inset + step * index if count > 1 else plot_w / 2)

    def y(value: float) -> float:
        return top + plot_h * (1 - min(max(value, 0.0), 1.0))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {chart.width} {chart.height}" '
             f'class="chart" role="img" aria-label="{escape(chart.title, {chr(34): "&quot;"})}">',
             f"<title>{escape(chart.title)}</title>"]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(f'<line class="chart-grid" x1="{left}" x2="{left + plot_w}" y1="{y(tick):.1f}" '
                     f'y2="{y(tick):.1f}"/>')
        parts.append(f'<text class="chart-tick" x="{left - 4}" y="{y(tick) + 3:.1f}" text-anchor="end">'
                     f"{int(tick * 100)}%</text>")
    for index, label in enumerate(shown):
        if (count - 1 - index) % every:
            continue
        parts.append(f'<text class="chart-label" x="{x(index):.1f}" y="{chart.height - 8}" text-anchor="middle">'
                     f"{escape(label)}</text>")
    if chart.baseline is not None and isfinite(chart.baseline):
        parts.append(f'<line class="chart-baseline" x1="{left}" x2="{left + plot_w}" y1="{y(chart.baseline):.1f}" '
                     f'y2="{y(chart.baseline):.1f}" stroke-dasharray="4 3"><title>{escape(baseline_label)}</title>'
                     "</line>")
    for number, series in enumerate(chart.series):
        css = escape(series.css_class or f"chart-series-{number}")
        run: list[str] = []
        runs: list[list[str]] = []
        for index, value in enumerate(series.points):
            if value is None:
                if run:
                    runs.append(run)
                run = []
                continue
            run.append(f"{x(index):.1f},{y(value):.1f}")
        if run:
            runs.append(run)
        for points in runs:
            if len(points) > 1:
                parts.append(f'<polyline class="{css}" fill="none" points="{" ".join(points)}"/>')
            for point in points:
                cx, cy = point.split(",")
                parts.append(f'<circle class="{css}" cx="{cx}" cy="{cy}" r="3"/>')
    parts.append("</svg>")
    return "".join(parts)
