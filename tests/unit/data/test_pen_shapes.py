"""Pen shapes: single smooth strokes that are no digit, each family drawn with random proportions and turns."""

import numpy as np
import pytest

from lenet.data import pen_shapes
from lenet.serve import outlier_bank, preprocess


@pytest.mark.parametrize("family", pen_shapes.FAMILIES)
def test_each_family_draws_strokes_in_the_unit_box_that_differ_every_time(family):
    rng = np.random.default_rng(0)
    drawn = [pen_shapes.strokes(family, rng) for _ in range(5)]
    for strokes, aspect in drawn:
        points = np.concatenate([np.asarray(stroke) for stroke in strokes])
        assert points.min() >= -1e-9 and points.max() <= 1 + 1e-9 and aspect > 0
        assert np.allclose(points.max(axis=0).max(), 1.0)  # stretched to fill the box along its longer side
    first, second = (np.asarray(drawn[index][0][0]) for index in (0, 1))
    assert first.shape != second.shape or not np.allclose(first, second)


def test_an_unknown_family_is_refused_by_name():
    with pytest.raises(ValueError, match="unknown pen-shape family 'blobs'"):
        pen_shapes.strokes("blobs", np.random.default_rng(0))


def test_the_bank_draws_every_family_and_can_draw_one_alone():
    families = [drawn_from for drawn_from, _ in outlier_bank.drawings(50, seed=4)]
    assert {family for pair in families for family in pair} == set(outlier_bank.FAMILIES)
    alone = outlier_bank.drawings(10, seed=4, families=("waves",))
    assert {family for drawn_from, _ in alone for family in drawn_from} == {"waves"}
    digits = [preprocess.to_mnist_digit(image) for _, image in alone]
    assert sum(digit is not None for digit in digits) >= 9  # a drawing, not an empty canvas
    with pytest.raises(ValueError, match="families must be some of"):
        outlier_bank.drawings(3, families=("letters", "blobs"))


def test_a_bolt_jogs_back_across_and_ends_past_the_jog_as_no_1_or_4_does():
    rng = np.random.default_rng(0)
    for _ in range(40):
        (stroke,), _ = pen_shapes._bolt(rng)
        across = stroke[:, 0] / (stroke[0, 0] - stroke[1, 0])  # the first stroke crosses the width, either way
        assert np.all(np.diff(stroke[:, 1])[[0, 2]] > 0)  # both long strokes go down
        assert across[2] - across[1] >= 0.45 and across[2] - across[3] >= 0.3


def test_a_notes_stems_rise_from_the_right_of_its_heads_as_no_6_does():
    rng = np.random.default_rng(0)
    for _ in range(40):
        drawn, _ = pen_shapes._note(rng)
        rings = [stroke for stroke in drawn if len(stroke) > 10 and np.allclose(stroke[0], stroke[-1])]
        stems = [stroke for stroke in drawn if len(stroke) == 2 and np.isclose(stroke[0, 0], stroke[1, 0])]
        assert rings and len(stems) in (1, 2)
        for stem in stems:
            assert stem[1, 1] < stem[0, 1]  # it rises
            assert any(np.isclose(stem[0, 0], ring[:, 0].max()) for ring in rings)  # from a head's rightmost point


def test_a_scrawl_is_a_stroke_through_three_to_five_random_points_and_sometimes_a_second_mark():
    rng = np.random.default_rng(0)
    drawn = [pen_shapes.scrawl(rng) for _ in range(400)]
    corners = {len(strokes[0]) for strokes, _ in drawn}
    assert {3, 4, 5} <= corners and max(corners) > 5  # straight between the points, or smoothed through them
    assert all(len(strokes[0]) in (3, 4, 5) or len(strokes[0]) > 16 for strokes, _ in drawn)
    second_marks = np.mean([len(strokes) == 2 for strokes, _ in drawn])
    assert abs(second_marks - pen_shapes.SCRAWL_SECOND_MARK) < 0.07 and max(len(strokes) for strokes, _ in drawn) == 2
    assert all(0.3 <= aspect <= 1.6 for _, aspect in drawn)
    first, second = (np.asarray(drawn[index][0][0]) for index in (0, 1))
    assert first.shape != second.shape or not np.allclose(first, second)
