"""studio.figures without a UI: C1's filters drawn one way (one grid, one colour rule, as a chart or a picture), and
the probability bars one way."""

import json
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


def test_probability_bars_stand_as_columns_for_digits_and_lie_as_rows_for_long_names():
    guess = prediction(2, [0.1, 0.2, 0.7])
    columns = json.loads(figures.probability_figure(guess, ["0", "1", "2"], "digit").to_json())
    assert columns["data"][0]["x"] == [0, 1, 2] and columns["data"][0]["y"] == [0.1, 0.2, 0.7]
    assert columns["layout"]["yaxis"]["range"] == [0, 1] and columns["layout"]["xaxis"]["title"]["text"] == "digit"
    rows = json.loads(figures.probability_figure(guess, ["Coat", "Bag", "Shirt"], "garment", horizontal=True).to_json())
    assert rows["data"][0]["orientation"] == "h" and rows["data"][0]["y"] == ["Coat", "Bag", "Shirt"]
    assert rows["layout"]["xaxis"]["range"] == [0, 1]
    assert columns["data"][0]["marker"]["color"] == rows["data"][0]["marker"]["color"] == figures.bar_colours(guess, 3)


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
