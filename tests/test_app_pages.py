"""The Home, Dataset and Model pages, driven headlessly through app.py with Streamlit's AppTest."""

import base64
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from lenet import config as lenet_config
from lenet import card, data, inference, models, runs

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def open_page(page, active_model=None):
    app = AppTest.from_file(APP, default_timeout=60)
    if active_model:
        app.session_state["active_model"] = str(active_model)
    rerun(app)  # app.py first: it initialises the session state, then the page can be switched to
    app.switch_page(page)
    return rerun(app)


def rerun(app):
    app.run()
    assert not app.exception, [error.value for error in app.exception]
    return app


def plotly_array(chart, trace, field):
    """A numeric field of a plotly chart's trace; plotly sends numpy arrays as base64 ("bdata")."""
    value = json.loads(chart.proto.spec)["data"][trace][field]
    if isinstance(value, dict):
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = [int(size) for size in str(value.get("shape", len(array))).split(",")]
        return array.reshape(shape)
    return np.array(value, dtype=float)


def fake_run(runs_root, model, summary):
    """A finished run folder holding `model`, as the run store lists it."""
    train_config = lenet_config.make_config("quick")
    run_dir = runs.new_run(train_config, runs_root=runs_root)
    runs.update_status(run_dir, state="finished")
    accuracy = (summary or {}).get("test_accuracy")
    card.save_model(model, run_dir / runs.MODEL_FILE, card.for_config(train_config).replace(test_accuracy=accuracy))
    if summary is not None:
        runs.write_json(run_dir / "summary.json", summary)
    return run_dir


@pytest.fixture(scope="module")
def splits():
    return data.load(log=lambda line: None)


# Home

def test_home_shows_the_tutorial_layer_table_and_the_active_model():
    app = open_page("pages/home.py")
    table = app.dataframe[0].value
    assert table["layer"].tolist() == ["C1", "S2", "C3", "S4", "FLAT", "F5", "F6", "OUTPUT"]
    assert table["params"].tolist() == [156, 0, 2416, 0, 0, 30840, 10164, 850]
    assert table["params"].sum() == 44_426
    assert any("Total: 44,426 parameters" in markdown.value for markdown in app.markdown)
    assert any("Bundled MNIST model" in markdown.value for markdown in app.markdown)
    assert len(app.get("page_link")) == 6


def test_home_shows_a_run_models_test_accuracy(isolated_stores):
    model = inference.load_model(lenet_config.BUNDLED_MODEL_PATH)
    run_dir = fake_run(isolated_stores / "runs", model, {"test_accuracy": 0.9871})
    app = open_page("pages/home.py", active_model=run_dir / runs.MODEL_FILE)
    assert any(f"Run {run_dir.name}" in markdown.value for markdown in app.markdown)
    assert app.metric[0].value == "98.71%"


def test_home_copes_with_a_run_without_a_summary(isolated_stores):
    model = inference.load_model(lenet_config.BUNDLED_MODEL_PATH)
    run_dir = fake_run(isolated_stores / "runs", model, summary=None)
    app = open_page("pages/home.py", active_model=run_dir / runs.MODEL_FILE)
    assert app.metric[0].value == "—"
    assert any("No test accuracy is recorded" in caption.value for caption in app.caption)


# Dataset

def shown_captions(app):
    """The captions drawn under the page's digits, read from the mosaic's alt text (the same strings, in order)."""
    alt = app.image[0].proto.imgs[0].alt
    return alt.split("labelled: ", 1)[1].split("; ")


def shown_labels(app):
    return [int(caption.split(" › ")[0]) for caption in shown_captions(app)]


@pytest.mark.mnist
def test_dataset_shows_the_first_page_of_the_training_split(splits):
    app = open_page("pages/dataset.py")
    assert shown_labels(app) == splits.y_train[:100].tolist()
    assert app.pagination[0].num_pages == 500
    histogram = app.get("plotly_chart")[0]
    assert plotly_array(histogram, 0, "y").tolist() == np.bincount(splits.y_train).tolist()
    mean_images = app.image[1].proto.imgs[0]
    assert "average train image of each digit" in mean_images.alt


@pytest.mark.mnist
def test_dataset_follows_split_classes_page_size_and_page(splits):
    app = open_page("pages/dataset.py")
    app.segmented_control(key="dataset_split").set_value("test")
    rerun(app)
    assert shown_labels(app) == splits.y_test[:100].tolist()
    assert plotly_array(app.get("plotly_chart")[0], 0, "y").tolist() == np.bincount(splits.y_test).tolist()

    app.multiselect(key="dataset_classes").set_value([3])
    rerun(app)
    threes = np.flatnonzero(splits.y_test == 3)
    assert shown_labels(app) == [3] * 100
    assert app.pagination[0].num_pages == -(-len(threes) // 100)

    app.selectbox(key="dataset_page_size").set_value(50)
    app.multiselect(key="dataset_classes").set_value([3, 8])
    rerun(app)
    app.pagination[0].set_value(3)
    rerun(app)
    three_or_eight = splits.y_test[np.isin(splits.y_test, [3, 8])]
    assert shown_labels(app) == three_or_eight[100:150].tolist()
    assert app.pagination[0].num_pages == -(-len(three_or_eight) // 50)


@pytest.mark.mnist
def test_dataset_random_sample_shuffles_the_same_selection(splits):
    app = open_page("pages/dataset.py")
    app.multiselect(key="dataset_classes").set_value([1, 7])
    rerun(app)
    in_order = shown_labels(app)
    app.button[0].click()  # Random sample
    rerun(app)
    shuffled = shown_labels(app)
    assert set(shuffled) == {1, 7}
    assert shuffled != in_order
    assert app.session_state["dataset_shuffle_seed"] is not None


@pytest.mark.mnist
def test_dataset_misclassified_filter_shows_only_the_models_mistakes(splits):
    app = open_page("pages/dataset.py")
    app.segmented_control(key="dataset_split").set_value("test")
    app.toggle(key="dataset_show_predictions").set_value(True)
    rerun(app)
    assert all(" › " in caption for caption in shown_captions(app))
    app.toggle(key="dataset_misclassified_only").set_value(True)
    app.selectbox(key="dataset_page_size").set_value(200)
    rerun(app)

    expected = inference.Classifier(lenet_config.BUNDLED_MODEL_PATH).probabilities(splits.x_test).argmax(axis=1)
    mistakes = np.flatnonzero(expected != splits.y_test)
    assert 0 < len(mistakes)
    captions = shown_captions(app)
    assert len(captions) == min(200, len(mistakes))
    pairs = [tuple(int(part) for part in caption.split(" › ")) for caption in captions]
    assert all(label != predicted for label, predicted in pairs)
    assert pairs == [(splits.y_test[i], expected[i]) for i in mistakes[:200]]


# Model

def test_model_page_describes_the_active_model_and_its_filters():
    app = open_page("pages/model.py")
    model = inference.load_model(lenet_config.BUNDLED_MODEL_PATH)
    assert app.dataframe[0].value.to_dict("records") == models.layer_table(model)
    assert any(f"Total: {model.count_params():,} parameters" in markdown.value for markdown in app.markdown)
    assert "6@24×24" in app.get("graphviz_chart")[0].proto.spec
    histograms, c1, c3 = app.get("plotly_chart")
    assert len(json.loads(histograms.proto.spec)["data"]) == 5  # C1, C3, F5, F6 and OUTPUT have weights
    c1_grid, c3_grid = plotly_array(c1, 0, "z"), plotly_array(c3, 0, "z")
    assert c1_grid.shape == (5, 6 * 6 - 1)  # six 5×5 filters side by side, 1 pixel apart
    assert c3_grid.shape == (6 * 6 - 1, 16 * 6 - 1)  # six S2 maps down, sixteen C3 filters across
    kernels = model.get_layer("C3").get_weights()[0]  # (5, 5, 6, 16)
    np.testing.assert_allclose(c3_grid[6:11, 12:17], kernels[:, :, 1, 2], rtol=1e-6)  # S2 map 2, C3 filter 3


def test_model_page_follows_the_active_model(isolated_stores):
    paper_model = models.build_model(lenet_config.ModelConfig(variant="32x32"))
    run_dir = fake_run(isolated_stores / "runs", paper_model, {"test_accuracy": 0.5})
    app = open_page("pages/model.py", active_model=run_dir / runs.MODEL_FILE)
    assert app.dataframe[0].value["layer"].tolist()[0] == "PAD"
    assert any("Total: 61,706 parameters" in markdown.value for markdown in app.markdown)
    assert "PAD" in app.get("graphviz_chart")[0].proto.spec
    assert any(f"Run {run_dir.name}" in markdown.value for markdown in app.markdown)
