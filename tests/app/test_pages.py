"""The Home, Dataset and Model pages, driven headlessly through app.py with Streamlit's AppTest."""

import json

import numpy as np
import pytest

from lenet import config as lenet_config
from lenet.data import datasets, sources
from lenet.model import builders, card
from lenet.runs import store
from lenet.serve import inference
from studio import router
from tests.app.conftest import open_page, plotly_array as plotly_values, rerun


def plotly_array(chart, trace, field):
    """A numeric field of a plotly chart's trace."""
    return plotly_values(json.loads(chart.proto.spec)["data"][trace][field])


def fake_run(runs_root, model, summary, dataset="mnist"):
    """A finished run folder holding `model`, as the run store lists it."""
    train_config = lenet_config.make_config("quick", dataset)
    run_dir = store.new_run(train_config, runs_root=runs_root)
    store.update_status(run_dir, state="finished")
    accuracy = (summary or {}).get("test_accuracy")
    card.save_model(model, run_dir / store.MODEL_FILE, card.for_config(train_config).replace(test_accuracy=accuracy))
    if summary is not None:
        store.write_json(run_dir / "summary.json", summary)
    return run_dir


@pytest.fixture(scope="module")
def splits():
    return sources.load(log=lambda line: None)


# Home

def test_home_shows_the_tutorial_layer_table_and_the_active_model():
    app = open_page("pages/home.py")
    table = app.dataframe[0].value
    assert table["layer"].tolist() == ["C1", "S2", "C3", "S4", "FLAT", "F5", "F6", "OUTPUT"]
    assert table["params"].tolist() == [156, 0, 2416, 0, 0, 30840, 10164, 850]
    assert table["params"].sum() == 44_426
    assert any("Total: 44,426 parameters" in markdown.value for markdown in app.markdown)
    assert any("Bundled MNIST model" in markdown.value for markdown in app.markdown)
    links = sorted(link.proto.label for link in app.main.get("page_link"))  # laid out column by column
    assert links == sorted(page.title for page in router.PAGES[1:])
    bundled = card.read(lenet_config.BUNDLED_MODEL_PATH)
    assert app.metric[0].label == "Test accuracy on MNIST" and app.metric[0].value == f"{bundled.test_accuracy:.2%}"
    assert any(datasets.MNIST.image_note in markdown.value for markdown in app.markdown)


def test_home_describes_a_fashion_model_from_its_card(isolated_stores):
    model = builders.build_model(lenet_config.ModelConfig())
    run_dir = fake_run(isolated_stores / "runs", model, {"test_accuracy": 0.8563}, dataset="fashion")
    app = open_page("pages/home.py", active_model=str(run_dir / store.MODEL_FILE))
    assert app.metric[0].label == "Test accuracy on Fashion-MNIST" and app.metric[0].value == "85.63%"
    texts = [element.value for element in (*app.main.markdown, *app.main.caption)]
    assert any("Trained on Fashion-MNIST (garments), quick preset, 85.63% on the test set" in text for text in texts)
    assert any(datasets.FASHION.image_note in text for text in texts)
    assert any(text.endswith(", ".join(datasets.FASHION.class_names)) for text in texts)
    assert not app.warning


def test_home_says_when_a_model_has_no_card(tmp_path):
    path = tmp_path / "from-elsewhere.keras"
    builders.build_model(lenet_config.ModelConfig()).save(path)  # a plain Keras file: no model card inside
    app = open_page("pages/home.py", active_model=str(path))
    assert any("no model card" in warning.value and "MNIST digit model" in warning.value for warning in app.warning)
    assert app.metric[0].value == "—"


def test_home_shows_a_run_models_test_accuracy(isolated_stores):
    model = inference.load_model(lenet_config.BUNDLED_MODEL_PATH)
    run_dir = fake_run(isolated_stores / "runs", model, {"test_accuracy": 0.9871})
    app = open_page("pages/home.py", active_model=str(run_dir / store.MODEL_FILE))
    assert any(f"Run {run_dir.name}" in markdown.value for markdown in app.markdown)
    assert app.metric[0].value == "98.71%"


def test_home_copes_with_a_run_without_a_summary(isolated_stores):
    model = inference.load_model(lenet_config.BUNDLED_MODEL_PATH)
    run_dir = fake_run(isolated_stores / "runs", model, summary=None)
    app = open_page("pages/home.py", active_model=str(run_dir / store.MODEL_FILE))
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


@pytest.fixture(scope="module")
def fashion_splits():
    return sources.load("fashion", log=lambda line: None)


def fashion_model(runs_root):
    """An untrained Fashion-MNIST model in a run: what the pages show of it must be what it predicts."""
    model = builders.build_model(lenet_config.ModelConfig(activation="relu", pooling="max"))
    return fake_run(runs_root, model, {"test_accuracy": 0.1}, dataset="fashion") / store.MODEL_FILE


@pytest.mark.fashion
def test_dataset_browses_fashion_mnist_by_class_name(fashion_splits):
    names = datasets.FASHION.class_names
    app = open_page("pages/dataset.py")
    app.segmented_control(key="dataset_name").set_value("fashion")
    rerun(app)
    assert shown_captions(app) == [names[label] for label in fashion_splits.y_train[:100]]
    histogram = app.get("plotly_chart")[0]
    assert json.loads(histogram.proto.spec)["data"][0]["x"] == list(names)
    assert plotly_array(histogram, 0, "y").tolist() == np.bincount(fashion_splits.y_train).tolist()
    assert app.image[1].proto.imgs[0].alt.endswith("each garment: " + ", ".join(names))
    assert app.multiselect(key="dataset_classes").label == "Garments"
    # The active model reads digits, so it cannot put its predictions under garments.
    assert app.toggle(key="dataset_show_predictions").disabled

    app.multiselect(key="dataset_classes").set_value([names.index("Bag"), names.index("Sandal")])
    app.segmented_control(key="dataset_split").set_value("test")
    rerun(app)
    chosen = np.flatnonzero(np.isin(fashion_splits.y_test, [names.index("Bag"), names.index("Sandal")]))
    assert shown_captions(app) == [names[label] for label in fashion_splits.y_test[chosen[:100]]]


@pytest.mark.fashion
def test_dataset_shows_a_fashion_models_predictions_by_class_name(fashion_splits, isolated_stores):
    model_path = fashion_model(isolated_stores / "runs")
    app = open_page("pages/dataset.py", active_model=str(model_path))
    assert app.segmented_control(key="dataset_name").value == "fashion"  # the active model's dataset comes first
    app.toggle(key="dataset_show_predictions").set_value(True)
    rerun(app)
    names = datasets.FASHION.class_names
    predicted = inference.Classifier(model_path).probabilities(fashion_splits.x_train[:100]).argmax(axis=1)
    assert shown_captions(app) == [f"{names[label]} › {names[guess]}"
                                   for label, guess in zip(fashion_splits.y_train[:100], predicted)]


# Model

def test_model_page_describes_the_active_model_and_its_filters():
    app = open_page("pages/model.py")
    model = inference.load_model(lenet_config.BUNDLED_MODEL_PATH)
    assert app.dataframe[0].value.to_dict("records") == builders.layer_table(model)
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
    paper_model = builders.build_model(lenet_config.ModelConfig(variant="32x32"))
    run_dir = fake_run(isolated_stores / "runs", paper_model, {"test_accuracy": 0.5})
    app = open_page("pages/model.py", active_model=str(run_dir / store.MODEL_FILE))
    assert app.dataframe[0].value["layer"].tolist()[0] == "PAD"
    assert any("Total: 61,706 parameters" in markdown.value for markdown in app.markdown)
    assert "PAD" in app.get("graphviz_chart")[0].proto.spec
    assert any(f"Run {run_dir.name}" in markdown.value for markdown in app.markdown)
    assert any(markdown.value.startswith("Trained on MNIST (digits), quick preset, 50.00%") for markdown in app.markdown)


def test_model_page_describes_a_fashion_models_dataset(isolated_stores):
    app = open_page("pages/model.py", active_model=str(fashion_model(isolated_stores / "runs")))
    assert any(markdown.value == f"**Fashion-MNIST**: {datasets.FASHION.image_note}" for markdown in app.markdown)
    assert any(caption.value.endswith("Sneaker, Bag, Ankle boot") for caption in app.caption)


def test_the_app_keeps_keras_state_across_reruns(monkeypatch):
    # After every script run Streamlit calls keras.backend.clear_session(), which collects all garbage and empties
    # TensorFlow's kernel cache (about 0.35 s with the interpreter lock held); app.py switches that off.
    import keras
    from keras.src.backend.common import global_state

    monkeypatch.setattr(keras.backend, "clear_session", keras.backend.clear_session)  # undone after this test
    global_state.set_global_attribute("lenet_probe", "kept")
    app = open_page("pages/home.py")
    rerun(app)
    assert global_state.get_global_attribute("lenet_probe") == "kept"
