"""Letters and symbols as pen strokes and in type: every glyph draws, and no two drawings of it are alike."""

import numpy as np
import pytest

from lenet.data import pen_letters


@pytest.mark.parametrize("name", pen_letters.GLYPHS)
def test_every_glyph_parses_into_strokes_in_the_unit_box(name, monkeypatch):
    monkeypatch.setattr(pen_letters, "GLYPHS", {name: pen_letters.GLYPHS[name]})
    rng = np.random.default_rng(0)
    (first, aspect), (second, _) = pen_letters.strokes(rng), pen_letters.strokes(rng)
    points = np.concatenate([np.asarray(stroke) for stroke in first])
    assert points.min() >= -1e-9 and points.max() <= 1 + 1e-9 and 0.2 < aspect < 3.2
    assert len(first) == pen_letters.GLYPHS[name].count("|") + 1
    assert not np.allclose(np.asarray(first[0])[:3], np.asarray(second[0])[:3])  # each control point jittered


def test_a_glyph_asked_for_by_name_is_drawn_every_time():
    rng = np.random.default_rng(0)
    drawn = [pen_letters.strokes(rng, "question")[0] for _ in range(20)]
    assert {len(strokes) for strokes in drawn} == {pen_letters.GLYPHS["question"].count("|") + 1}  # curl and dot
    anyone = [pen_letters.strokes(rng)[0] for _ in range(20)]
    assert len({len(strokes) for strokes in anyone}) > 1


def test_no_glyph_is_one_people_read_as_a_digit():
    assert not set(pen_letters.GLYPHS) & set("OoIlSsZzBbGgqCcDQ")
    assert not set(pen_letters.TYPESET) & set("OoIlSsZzBbGgqCcDQ$0123456789")


def test_type_is_painted_as_the_canvas_paints_and_as_paper_is_photographed():
    on_canvas = pen_letters.typeset(np.random.default_rng(1), 72)
    on_paper = pen_letters.typeset(np.random.default_rng(1), 72, on_paper=True)
    assert on_canvas.shape == on_paper.shape == (72, 72, 4) and on_canvas.dtype == np.uint8
    assert on_canvas[0, 0].tolist() == [0, 0, 0, 0] and on_canvas.max() == 255  # white ink on a clear canvas
    assert on_paper[0, 0].tolist() == [235, 235, 235, 255] and on_paper[..., 0].min() <= 60  # dark ink on paper
