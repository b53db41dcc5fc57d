"""Where the opinion map's words go: the group letters and the "You are here" label, never on top of each other.

Pure geometry in SVG user units (the map's viewBox is ``size`` by ``size``); no Flask, no database. The page is
drawn on the server without JavaScript, so text widths are estimated, generously, from the characters (the
estimate is wider than DejaVu Sans Bold, the widest common sans-serif, for letters, digits and spaces).

* Each group letter sits just above its group's centroid, as before, unless that spot touches an earlier letter or
  the viewer's ring; then it moves to the nearest free spot around the centroid.
* The viewer's label goes beside the ring on the side away from the nearest group centroid, preferably
  horizontally, off every letter and inside the map; when the nearest free spot is away from the ring, a leader
  line joins the two.

The sizes below must match ``.om-label``, ``.om-own-label`` and ``.om-own`` in static/css/style.css.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

#: Font sizes (user units) of a group letter and of the viewer's label.
LETTER_SIZE = 18.0
OWN_SIZE = 14.0
#: Half the white halo drawn around the text (``stroke-width: 4px`` with ``paint-order: stroke``).
HALO = 2.0
#: The font's extent above and below the baseline, in ems (DejaVu Sans: 0.93 and 0.24; most fonts are smaller).
ASCENT = 0.95
DESCENT = 0.25
#: The viewer's ring: radius and stroke width (its outer edge is RING_RADIUS + RING_STROKE / 2 from the centre).
RING_RADIUS = 11.0
RING_STROKE = 3.0
#: Room left between a label and what it is placed beside, and between a label and the map's edge.
GAP = 3.0
EDGE = 2.0
#: A label further than this from the ring's edge gets a leader line.
LEADER_FROM = 6.0
#: How far past the nearest spot a label may move, tried in this order (user units).
STEPS = (0.0, 8.0, 16.0, 28.0, 44.0, 64.0, 90.0, 120.0, 160.0)

# Estimated advance of a character in ems, bold: a little wider than DejaVu Sans Bold's widest of each kind.
_WIDE = 1.1  # M, W, m, w, and anything not listed
_UPPER = 0.84
_LOWER = 0.74
_NARROW = 0.42  # i, j, l, t, f, r, punctuation
_SPACE = 0.38
_NARROW_CHARS = set("ijltfrI.,;:'!|()[]-")

# The eight directions, the preferred first; a diagonal's offset is scaled so its corner sits on the circle.
_COMPASS = ((1, 0), (-1, 0), (0, -1), (0, 1), (1, -1), (-1, -1), (1, 1), (-1, 1))


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle (x0, y0) to (x1, y1), y growing downwards as in SVG."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2

    def overlaps(self, other: Box) -> bool:
        """Tell whether the two rectangles share any area (touching edges do not count)."""
        return self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1

    def distance_to(self, x: float, y: float) -> float:
        """Return the distance from a point to the nearest point of the rectangle (0 inside)."""
        return math.hypot(max(self.x0 - x, 0.0, x - self.x1), max(self.y0 - y, 0.0, y - self.y1))

    def nearest_point(self, x: float, y: float) -> tuple[float, float]:
        return min(max(x, self.x0), self.x1), min(max(y, self.y0), self.y1)

    def inside(self, size: float) -> bool:
        return self.x0 >= 0 and self.y0 >= 0 and self.x1 <= size and self.y1 <= size


@dataclass(frozen=True)
class TextMark:
    """A piece of text on the map: what to write, the SVG anchor point and ``text-anchor``, and the room it takes."""

    text: str
    x: float
    y: float
    anchor: str
    box: Box


@dataclass(frozen=True)
class MapMarks:
    """The placed letters (by group id), the viewer's label if any, and its leader line (x1, y1, x2, y2) if any."""

    letters: dict[int, TextMark]
    own: TextMark | None
    leader: tuple[float, float, float, float] | None


def text_width(text: str, size: float) -> float:
    """Estimate the width of bold text at a font size, generously (without the halo)."""
    ems = 0.0
    for char in text:
        if char.isspace():
            ems += _SPACE
        elif char in _NARROW_CHARS:
            ems += _NARROW
        elif char in "MWmw" or not char.isalnum():
            ems += _WIDE
        elif char.isupper() or char.isdigit():
            ems += _UPPER
        else:
            ems += _LOWER
    return ems * size


def text_extent(text: str, size: float) -> tuple[float, float]:
    """Return the width and height a label takes, halo included."""
    return text_width(text, size) + 2 * HALO, (ASCENT + DESCENT) * size + 2 * HALO


def ring_extent() -> float:
    """Return the distance from the viewer's point to the outer edge of the ring."""
    return RING_RADIUS + RING_STROKE / 2


def place_marks(
    centroids: Mapping[int, tuple[float, float]],
    letters: Mapping[int, str],
    own: tuple[float, float] | None,
    own_text: str,
    size: float,
) -> MapMarks:
    """Place every group's letter and the viewer's label so that no two overlap and all stay inside the map.

    ``centroids`` and ``letters`` are keyed by group id (letters are placed in id order, so the largest group's
    first); ``own`` is the viewer's point, or None when they are not on the map.
    """
    ring = (own[0], own[1], ring_extent() + 1.0) if own is not None else None
    rings = [ring] if ring is not None else []
    placed: dict[int, TextMark] = {}
    for group_id in sorted(centroids):
        text = letters[group_id]
        cx, cy = centroids[group_id]
        width, height = text_extent(text, LETTER_SIZE)
        box = _place(
            (cx, cy), 0.0, width, height, size, [m.box for m in placed.values()], rings,
            # Above the centroid first (as the map has always drawn it), then around it.
            costs={(0, -1): 0.0, (1, 0): 6.0, (-1, 0): 6.0, (0, 1): 8.0},
            start=4.0,
        )
        placed[group_id] = _mark(text, box, "middle", LETTER_SIZE)
    if own is None:
        return MapMarks(letters=placed, own=None, leader=None)

    width, height = text_extent(own_text, OWN_SIZE)
    box = _place(
        own, ring_extent() + GAP, width, height, size, [m.box for m in placed.values()], rings,
        costs=_away_costs(own, centroids.values()), start=0.0,
    )
    bx, _ = box.centre
    anchor = "middle" if abs(bx - own[0]) < 1.0 else ("start" if bx > own[0] else "end")
    mark = _mark(own_text, box, anchor, OWN_SIZE)
    return MapMarks(letters=placed, own=mark, leader=_leader(own, box))


def _away_costs(own: tuple[float, float], centroids: Iterable[tuple[float, float]]) -> dict[tuple[int, int], float]:
    """Cost each direction around the ring: cheapest away from the nearest centroid, horizontal before vertical."""
    nearest = min(centroids, key=lambda c: (math.dist(c, own), c), default=None)
    away = (0.0, 0.0)
    if nearest is not None and math.dist(nearest, own) > 0:
        d = math.dist(nearest, own)
        away = ((own[0] - nearest[0]) / d, (own[1] - nearest[1]) / d)
    costs = {}
    for dx, dy in _COMPASS:
        norm = math.hypot(dx, dy)
        alignment = (dx * away[0] + dy * away[1]) / norm  # 1 straight away from the group, -1 straight into it
        costs[(dx, dy)] = 14.0 * (1.0 - alignment) + (0.0 if dy == 0 else 5.0 if dx == 0 else 3.0)
    return costs


def _place(
    point: tuple[float, float],
    radius: float,
    width: float,
    height: float,
    size: float,
    boxes: list[Box],
    rings: list[tuple[float, float, float]],
    costs: Mapping[tuple[int, int], float],
    start: float,
) -> Box:
    """Return the cheapest free box of the given size beside a point, inside the map.

    Candidates sit at ``radius + start + step`` from the point in each direction of ``costs`` (a step costs its
    length); each is pulled inside the map and dropped if it overlaps a box or a ring. If none is free (a crowded
    map), the free spot nearest the point on a grid over the whole map is taken.
    """
    px, py = point
    best: tuple[float, int, Box] | None = None
    order = 0
    for step in STEPS:
        for (dx, dy), cost in costs.items():
            reach = radius + start + step
            if dx and dy:
                reach /= math.sqrt(2)
            cx = px + dx * (reach + width / 2)
            cy = py + dy * (reach + height / 2)
            box = _clamp(Box(cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2), size)
            order += 1
            if _free(box, boxes, rings) and (best is None or (step + cost, order) < best[:2]):
                best = (step + cost, order, box)
    if best is not None:
        return best[2]
    return _grid_spot(point, width, height, size, boxes, rings)


def _grid_spot(
    point: tuple[float, float], width: float, height: float, size: float, boxes: list[Box],
    rings: list[tuple[float, float, float]],
) -> Box:
    """Scan the whole map for the free box nearest a point (the last resort; a map has at most a few labels)."""
    px, py = point
    found: tuple[float, Box] | None = None
    y = EDGE
    while y + height <= size - EDGE:
        x = EDGE
        while x + width <= size - EDGE:
            box = Box(x, y, x + width, y + height)
            if _free(box, boxes, rings):
                distance = math.dist(box.centre, point)
                if found is None or distance < found[0]:
                    found = (distance, box)
            x += 4.0
        y += 4.0
    if found is not None:
        return found[1]
    return _clamp(Box(px - width / 2, py - height / 2, px + width / 2, py + height / 2), size)


def _clamp(box: Box, size: float) -> Box:
    """Move a box the least needed to be inside the map, EDGE units from its border."""
    width, height = box.x1 - box.x0, box.y1 - box.y0
    x0 = min(max(box.x0, EDGE), size - EDGE - width)
    y0 = min(max(box.y0, EDGE), size - EDGE - height)
    return Box(x0, y0, x0 + width, y0 + height)


def _free(box: Box, boxes: list[Box], rings: list[tuple[float, float, float]]) -> bool:
    return not any(box.overlaps(other) for other in boxes) and all(box.distance_to(x, y) >= r for x, y, r in rings)


def _mark(text: str, box: Box, anchor: str, font_size: float) -> TextMark:
    """Write the text inside its box: the baseline below the ascent, the anchor at the edge the text starts from."""
    x = {"start": box.x0 + HALO, "end": box.x1 - HALO}.get(anchor, box.centre[0])
    y = box.y0 + HALO + ASCENT * font_size
    return TextMark(text=text, x=round(x, 1), y=round(y, 1), anchor=anchor, box=box)


def _leader(own: tuple[float, float], box: Box) -> tuple[float, float, float, float] | None:
    """Return a line from the ring's edge to the label when the label stands away from the ring."""
    ox, oy = own
    gap = box.distance_to(ox, oy) - ring_extent()
    if gap <= LEADER_FROM:
        return None
    tx, ty = box.nearest_point(ox, oy)
    d = math.dist((tx, ty), own)
    start = ring_extent() / d
    return (round(ox + (tx - ox) * start, 1), round(oy + (ty - oy) * start, 1), round(tx, 1), round(ty, 1))
