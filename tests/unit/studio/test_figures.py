"""studio.figures without a UI: C1's filters drawn one way (one grid, one colour rule, as a chart or a picture), the
probability bars one way, and the 28×28 view's pixels."""

import json
import re
from types import SimpleNamespace

import numpy as np
import pytest

from studio import figures


def kernels(inputs, count, seed=0):
    return np.random.default_rng(seed).normal(size=(5, 5, inputs, count)).astype("float32")


@pytest.mark.parametrize(("inputs", "count", "shape"), [(1, 6, (5, 35)), (6, 16, (35, 95))])
def test_the_filter_grid_puts_a_row_per_input_and_a_column_per_filter(inputs, count, shape):
    filters = kernels(inputs, count)
    grid = figures.filters_grid(filters)
    assert grid.shape == shape
    assert np.isnan(grid[:, 5]).all() and np.isnan(grid[5 if inputs > 1 else 0, 6:11]).all() == (inputs > 1)
    # Filter 2 looking at input 1 sits in the second cell of the first row, as Keras holds it.
    np.testing.assert_array_equal(grid[0:5, 6:11], filters[:, :, 0, 1])
    if inputs > 1:
        np.testing.assert_array_equal(grid[6:11, 0:5], filters[:, :, 1, 0])


def test_the_filter_picture_is_red_where_a_weight_excites_blue_where_it_inhibits_and_white_at_zero():
    filters = np.zeros((5, 5, 1, 3), dtype="float32")
    filters[..., 0, 0], filters[..., 0, 1] = 2.0, -2.0  # the largest weights: full red and full blue
    picture = figures.filters_picture(filters, scale=1, border=0)
    assert picture.shape == (5, 17, 3) and picture.dtype == np.uint8
    assert tuple(picture[2, 2]) == (255, 0, 0)
    assert tuple(picture[2, 8]) == (0, 0, 255)
    assert tuple(picture[2, 14]) == (255, 255, 255)  # a zero weight
    assert tuple(picture[2, 5]) == (255, 255, 255)  # the gap between two filters


def test_the_filter_chart_uses_the_pictures_colours_on_a_scale_symmetric_about_zero():
    filters = kernels(1, 6)
    spec = json.loads(figures.filters_figure(filters).to_json())
    scale = spec["layout"]["coloraxis"]
    limit = float(np.abs(filters).max())
    assert scale["cmin"] == pytest.approx(-limit) and scale["cmax"] == pytest.approx(limit)
    assert [colour for _, colour in scale["colorscale"]] == ["rgb(0,0,255)", "rgb(255,255,255)", "rgb(255,0,0)"]
    assert spec["layout"]["xaxis"]["ticktext"] == ["1", "2", "3", "4", "5", "6"]


def prediction(label, probabilities, abstained=False):
    return SimpleNamespace(label=label, probabilities=np.array(probabilities), abstained=abstained)


def bars_of(markup):
    """(title, data-probability, colour) of each bar in probability_bars' HTML."""
    return re.findall(r'title="([^"]*)" data-probability="([^"]*)".*?background:(#\w+)', markup)


def test_probability_bars_stand_as_columns_for_digits_and_lie_as_rows_for_long_names():
    guess = prediction(2, [0.1, 0.2, 0.7])
    columns = figures.probability_bars(guess, ["0", "1", "2"], "digit")
    assert [(title, float(value)) for title, value, _ in bars_of(columns)] == [
        ("0: 10.00%", 0.1), ("1: 20.00%", 0.2), ("2: 70.00%", 0.7)]
    assert "height:70.00%" in columns and "display:flex" in columns
    assert 'aria-label="probability of each digit: 0 10%, 1 20%, 2 70%"' in columns
    rows = figures.probability_bars(guess, ["Coat", "Bag", "T-shirt/top & <b>"], "garment", horizontal=True)
    assert [title for title, _, _ in bars_of(rows)][2] == "T-shirt/top &amp; &lt;b&gt;: 70.00%"  # names as text
    assert "width:70.00%" in rows and "<b>" not in rows
    assert [colour for _, _, colour in bars_of(columns)] == [colour for _, _, colour in bars_of(rows)] \
        == figures.bar_colours(guess, 3)


def test_the_bars_grey_out_when_the_model_abstains_keeping_its_would_be_answer_darker():
    assert figures.bar_colours(prediction(1, [0.2, 0.8]), 2) == ["#8a8fa3", "#ff4b4b"]
    greyed = figures.bar_colours(prediction(1, [0.2, 0.8], abstained=True), 2)
    assert "#ff4b4b" not in greyed and greyed[1] != greyed[0]


def test_the_epoch_figure_draws_validation_solid_and_training_dotted_per_run():
    records = [{"epoch": 1, "loss": 0.5, "val_loss": 0.4}, {"epoch": 2, "loss": 0.3, "val_loss": 0.35}]
    traces = figures.epoch_figure("loss", [("a", records), ("b", records)]).data
    assert [trace.name for trace in traces] == ["a val", "a train", "b val", "b train"]
    assert traces[0].line.dash is None and traces[1].line.dash == "dot"
    assert traces[0].line.color == traces[1].line.color != traces[2].line.color


def test_the_pixel_picture_shows_each_pixel_as_a_square_with_lines_between():
    image = np.zeros((28, 28), "float32")
    image[0, 0], image[27, 27] = 1.0, 0.5
    picture = figures.pixels_picture(image, cell=7)
    assert picture.shape == (197, 197) and picture.dtype == np.uint8
    assert (picture[1:7, 1:7] == 255).all() and (picture[-7:-1, -7:-1] == 127).all()
    lines = picture[::7, :], picture[:, ::7]  # every 7th row and column is a line, the edges included
    assert all((line == figures.PIXEL_GAP).all() for line in lines)
    assert (picture[8:14, 8:14] == 0).all()  # no ink


def test_the_bars_the_picture_and_the_likeness_line_are_one_piece_of_html_with_the_text_escaped():
    bars = figures.probability_bars(prediction(1, [0.2, 0.8]), ["0", "1"], "digit")
    picture = figures.picture_html(np.zeros((7, 7, 3), np.uint8), "the <drawing>")
    piece = figures.bars_beside_picture(bars, picture, "What the model sees", note="Digit-likeness 7 of 100 <b>")
    assert piece.count(bars) == piece.count(picture) == 1
    assert "<figcaption" in piece and "Digit-likeness 7 of 100 &lt;b&gt;</p>" in piece and "<b>" not in piece
    assert "<p" not in figures.bars_beside_picture(bars, picture, "What the model sees")  # no line, no paragraph
