"""Where the opinion map's words go: letters and the viewer's label never overlap and stay on the map (pure)."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from deliberate.opinion.layout import (
    LETTER_SIZE,
    OWN_SIZE,
    Box,
    MapMarks,
    place_marks,
    ring_extent,
    text_width,
)

SIZE = 400.0
LABELS = ("You are here", "Aquí estás")


def boxes_of(marks: MapMarks) -> list[Box]:
    return [m.box for m in marks.letters.values()] + ([marks.own.box] if marks.own else [])


def assert_readable(marks: MapMarks, own: tuple[float, float] | None) -> None:
    """No two labels share any area, every label is inside the map, and none covers the viewer's ring."""
    boxes = boxes_of(marks)
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b), (a, b)
    for box in boxes:
        assert box.inside(SIZE), box
        if own is not None:
            assert box.distance_to(*own) >= ring_extent(), (box, own)


@pytest.mark.parametrize("text", LABELS)
def test_the_label_beside_the_demo_boards_ring_no_longer_covers_letter_a(text):
    # The demo's board member: their ring sat just left of group A's letter, and the label was drawn across it.
    centroids = {0: (118.8, 189.7), 1: (274.8, 208.3)}
    own = (103.3, 169.3)

    marks = place_marks(centroids, {0: "A", 1: "B"}, own, text, SIZE)

    assert_readable(marks, own)
    assert marks.own is not None and marks.own.text == text


def test_no_two_labels_ever_overlap_on_random_maps():
    for seed in range(500):
        rng = random.Random(seed)
        groups = rng.randint(1, 5)
        # Groups crowd together often, and the viewer is often right on a centroid or against the edge.
        centre = (rng.uniform(24, 376), rng.uniform(24, 376))
        spread = rng.choice([6.0, 30.0, 180.0])
        centroids = {
            g: (min(max(rng.gauss(centre[0], spread), 24), 376), min(max(rng.gauss(centre[1], spread), 24), 376))
            for g in range(groups)
        }
        own = rng.choice([
            (rng.uniform(24, 376), rng.uniform(24, 376)),
            centroids[rng.randrange(groups)],
            (rng.choice([24.0, 376.0]), rng.uniform(24, 376)),
            (rng.uniform(24, 376), rng.choice([24.0, 376.0])),
        ])
        marks = place_marks(centroids, {g: "ABCDE"[g] for g in range(groups)}, own, rng.choice(LABELS), SIZE)

        assert set(marks.letters) == set(centroids), seed
        assert_readable(marks, own)


def test_the_label_goes_on_the_side_away_from_the_nearest_group():
    own = (200.0, 200.0)
    left = place_marks({0: (250.0, 200.0)}, {0: "A"}, own, "You are here", SIZE)
    right = place_marks({0: (150.0, 200.0)}, {0: "A"}, own, "You are here", SIZE)

    assert left.own.box.x1 < own[0] and left.own.anchor == "end"
    assert right.own.box.x0 > own[0] and right.own.anchor == "start"
    assert left.leader is None and right.leader is None  # right beside the ring


@pytest.mark.parametrize("own", [(24.0, 24.0), (376.0, 24.0), (24.0, 376.0), (376.0, 376.0), (200.0, 24.0)])
def test_a_label_in_a_corner_stays_on_the_map(own):
    marks = place_marks({0: (200.0, 200.0)}, {0: "A"}, own, "Aquí estás", SIZE)

    assert_readable(marks, own)


def test_groups_on_the_same_spot_get_letters_side_by_side():
    centroids = dict.fromkeys(range(5), (200.0, 200.0))

    marks = place_marks(centroids, {g: "ABCDE"[g] for g in range(5)}, None, "You are here", SIZE)

    assert marks.own is None and marks.leader is None
    assert_readable(marks, None)
    assert all(math.dist(m.box.centre, (200.0, 200.0)) < 60 for m in marks.letters.values())


def test_a_crowded_label_is_joined_to_the_ring_by_a_line():
    # Letters all around the ring: the label must stand further off, and a line shows whose it is.
    own = (200.0, 200.0)
    ring = [(200 + 30 * math.cos(a), 200 + 30 * math.sin(a)) for a in (i * math.pi / 4 for i in range(8))]
    centroids = dict(enumerate(ring))
    letters = {g: str(g + 1) for g in centroids}

    marks = place_marks(centroids, letters, own, "You are here", SIZE)

    assert_readable(marks, own)
    assert marks.leader is not None
    x1, y1, x2, y2 = marks.leader
    assert math.dist((x1, y1), own) == pytest.approx(ring_extent(), abs=0.2)
    assert marks.own.box.distance_to(x2, y2) < 0.2


def test_the_letter_sits_above_its_group_when_nothing_is_in_the_way():
    marks = place_marks({0: (100.0, 300.0)}, {0: "A"}, (300.0, 100.0), "You are here", SIZE)

    letter = marks.letters[0]
    assert letter.anchor == "middle" and letter.x == 100.0
    assert 300.0 - 14 < letter.y < 300.0  # the baseline just above the centroid, as the map always drew it


def test_the_width_estimate_covers_the_widest_common_sans_serif():
    # Widths measured with getBBox() in Chromium, DejaVu Sans Bold (wider than Roboto, Segoe UI or Helvetica).
    assert text_width("You are here", OWN_SIZE) >= 101.5
    assert text_width("Aquí estás", OWN_SIZE) >= 83.1
    assert text_width("A", LETTER_SIZE) >= 14.8
    assert text_width("W", LETTER_SIZE) >= 18.6
