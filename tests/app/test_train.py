"""The Train page through AppTest: its controls, presets, a refused setting, a quick run to the end, the queue and Stop.

The runs train on tiny real splits (tests/tiny_data.py), and the page reads what they write: the queue and Stop in
real worker processes, the run to its end in this process (in_process_worker), as its worker would.
"""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from lenet import config, files
from lenet.data import datasets, sources
from lenet.runs import store
from lenet.train import command
from tests.app.conftest import open_page
from tests.conftest import wait_until

PAGE = "pages/train.py"


def state(run_dir):
    return store.read_status(run_dir)["state"]


def choose_settings(app, preset, dataset=None, **settings):
    if dataset:
        app.selectbox(key="train_dataset").set_value(dataset).run()
    app.selectbox(key="train_preset").set_value(preset).run()
    for name, value in settings.items():
        app.number_input(key=f"train_{name}").set_value(value)
    return app.run()


def charts(app):
    return [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]


def test_controls_have_the_engine_limits_and_tooltips():
    app = open_page(PAGE)
    assert not app.exception
    widgets = {widget.key: widget for kind in ("selectbox", "number_input", "slider") for widget in app.main.get(kind)}
    assert set(widgets) == {"train_dataset", "train_preset", *(f"train_{setting.name}" for setting in config.TRAIN_FORM)}
    assert all(widget.help for widget in widgets.values())
    assert (widgets["train_epochs"].min, widgets["train_epochs"].max) == config.EPOCH_RANGE
    assert (widgets["train_batch_size"].min, widgets["train_batch_size"].max) == config.BATCH_SIZE_RANGE
    assert (widgets["train_rotation_degrees"].min, widgets["train_rotation_degrees"].max) == config.ROTATION_RANGE
    assert list(widgets["train_activation"].options) == list(config.ACTIVATIONS)
    assert list(widgets["train_dataset"].options) == [dataset.title for dataset in datasets.DATASETS.values()]
    assert f"{datasets.MNIST.train_size:,} training images" in widgets["train_epochs"].help
    assert app.info[0].value.startswith("No runs yet")


def test_changing_the_preset_fills_in_every_setting():
    app = open_page(PAGE)
    app.number_input(key="train_epochs").set_value(3).run()
    for preset_name in config.PRESET_NAMES:
        preset = config.get_preset(preset_name)
        app.selectbox(key="train_preset").set_value(preset_name).run()
        for name in (setting.name for setting in config.TRAIN_FORM):
            assert app.session_state[f"train_{name}"] == getattr(preset, name), (preset_name, name)
    assert app.number_input(key="train_epochs").value == config.get_preset("quick").epochs
    assert app.selectbox(key="train_schedule").value == config.get_preset("quick").schedule


def test_changing_the_dataset_fills_in_its_presets_settings():
    app = open_page(PAGE)
    app.selectbox(key="train_preset").set_value("best").run()
    app.selectbox(key="train_dataset").set_value("fashion").run()
    fashion_best = config.get_preset("best", "fashion")
    assert fashion_best != config.get_preset("best", "mnist")
    for name in (setting.name for setting in config.TRAIN_FORM):
        assert app.session_state[f"train_{name}"] == getattr(fashion_best, name), name
    assert any(caption.value.startswith("Fashion-MNIST: 10 classes (T-shirt/top, Trouser") for caption in app.caption)
    app.selectbox(key="train_preset").set_value("seed").run()
    for name in (setting.name for setting in config.TRAIN_FORM):
        assert app.session_state[f"train_{name}"] == getattr(config.get_preset("seed", "fashion"), name), name


def test_an_out_of_range_setting_shows_an_error_and_starts_nothing():
    app = choose_settings(open_page(PAGE), "quick", learning_rate=0.0)
    app.button[0].click().run()  # Start
    assert r"learning\_rate" in app.error[0].value and app.error[0].value.startswith("Not started")  # escaped
    assert store.list_runs() == [] and app.session_state["followed_run"] is None


def test_weight_averaging_too_long_for_the_run_is_warned_about_before_start():
    app = choose_settings(open_page(PAGE), "best")
    assert not app.warning
    app = choose_settings(app, "best", epochs=2)
    assert len(app.warning) == 1 and "Weight averaging 0.999" in app.warning[0].value
    app.number_input(key="train_ema_momentum").set_value(0.0).run()
    assert not app.warning


@pytest.mark.slow
@pytest.mark.fashion
def test_a_quick_fashion_run_trains_to_the_end_and_shows_class_names_in_its_confusion_matrix(in_process_worker):
    app = choose_settings(open_page(PAGE), "quick", "fashion", epochs=1, batch_size=512)
    app.button[0].click().run()  # Start
    run_dir = Path(app.session_state["followed_run"])
    assert store.read_json(run_dir / "config.json")["dataset"] == "fashion"
    assert app.subheader[0].value == f"Run {run_dir.name} · queued"
    assert in_process_worker() == [run_dir]  # what its worker does: wait its turn, train, record the end
    assert state(run_dir) == "finished", store.read_status(run_dir)
    app.run()
    assert not app.exception
    accuracy = store.read_json(run_dir / "summary.json")["test_accuracy"]
    assert app.metric[0].label == "Test accuracy" and app.metric[0].value == f"{accuracy:.2%}"
    names = list(datasets.FASHION.class_names)
    matrix = next(chart for chart in charts(app) if any(trace["type"] == "heatmap" for trace in chart["data"]))
    assert matrix["layout"]["xaxis"]["ticktext"] == names and matrix["layout"]["yaxis"]["ticktext"] == names
    assert any(subheader.value == "Confusion matrix on the 10,000 test garments" for subheader in app.subheader)

    # The drill-down, by class name: shirts read as T-shirts.
    app.selectbox(key=f"train_true_{run_dir.name}").set_value(names.index("Shirt"))
    app.selectbox(key=f"train_predicted_{run_dir.name}").set_value(names.index("T-shirt/top")).run()
    assert app.selectbox(key=f"train_true_{run_dir.name}").value == names.index("Shirt")
    predictions = np.load(run_dir / "test_predictions.npy")
    test_labels = sources.load("fashion", log=lambda line: None).y_test
    expected = int(np.sum((test_labels == names.index("Shirt")) & (predictions == names.index("T-shirt/top"))))
    drill_down = [caption.value for caption in app.caption if " test garments are a " in caption.value]
    assert drill_down[0].startswith(f"{expected} test garments are a Shirt that the model read as T-shirt/top")

    # A garment model is for photos, not for drawing.
    next(button for button in app.button if button.label == "Use this model for photos").click().run()
    assert app.session_state["active_model"] == str(run_dir / store.MODEL_FILE)
    assert any("Upload a photo uses this model" in message.value for message in app.success)


@pytest.mark.slow
@pytest.mark.mnist
def test_queue_reload_and_stop_keep_the_last_completed_epoch_and_its_model_can_be_used(quick_tiny_worker):
    """The journey only real workers show: the queue, Stop before and during training, a reload that finds the run."""
    # Tiny epochs take a second or two: enough of them that the run is still training when Stop is pressed.
    app = choose_settings(open_page(PAGE), "quick", epochs=60, batch_size=512)
    app.button[0].click().run()  # Start: this run takes the training slot
    assert not app.exception
    first = Path(app.session_state["followed_run"])
    assert first.parent == files.runs_dir() and store.read_json(first / "config.json")["batch_size"] == 512
    assert app.subheader[0].value.endswith(("queued", "running"))
    app.slider(key="train_rotation_degrees").set_value(5.0).run()  # touching a widget while it trains...
    assert [run.run_dir for run in store.list_runs()] == [first]  # ...starts nothing new
    wait_until(lambda: state(first) == "running", "the first run to start")

    app.button[0].click().run()  # Start again: this one waits its turn
    second = Path(app.session_state["followed_run"])
    assert second != first and state(second) == "queued"
    assert app.info[0].value.startswith("Queued, position 1") and first.name in app.info[0].value
    app.button(key="train_stop").click().run()  # stops the queued run before it ever trains
    wait_until(lambda: state(second) == "stopped", "the queued run to stop")
    assert not (second / store.MODEL_FILE).exists()

    # A new session (a reload) finds the run still training, and its Stop button ends it after an epoch.
    wait_until(lambda: store.load_metrics(first, kind="epoch"), "the first epoch")
    reloaded = open_page(PAGE)
    assert reloaded.subheader[0].value == f"Run {first.name} · running"
    reloaded.button(key="train_stop").click().run()
    wait_until(lambda: state(first) not in store.ACTIVE_STATES, "the stop")
    assert state(first) == "stopped", store.read_status(first)  # a failure says why, in the run's own words
    summary = store.read_json(first / "summary.json")
    assert summary["stopped"] and 1 <= summary["epochs_completed"] < 60
    assert (first / store.MODEL_FILE).exists()
    reloaded.run()
    assert reloaded.warning[0].value.startswith(f"Stopped by request after {summary['epochs_completed']} completed")
    assert reloaded.metric[0].label == "Test accuracy"
    assert reloaded.metric[0].value == f"{summary['test_accuracy']:.2%}"
    the_kept_model_can_be_used(reloaded, first)


def the_kept_model_can_be_used(app, run_dir):
    """Its confusion matrix; the drill-down to the test digits that are a 4 read as a 9 (or the page's stated count,
    when there are none); and Use this model for drawing."""
    assert any(trace["type"] == "heatmap" for chart in charts(app) for trace in chart["data"])
    app.selectbox(key=f"train_true_{run_dir.name}").set_value(4)
    app.selectbox(key=f"train_predicted_{run_dir.name}").set_value(9).run()
    predictions = np.load(run_dir / "test_predictions.npy")
    fours_read_as_nines = np.flatnonzero((sources.load(log=lambda line: None).y_test == 4) & (predictions == 9))
    expected = len(fours_read_as_nines)
    drill_down = [caption.value for caption in app.caption if " test digits are a " in caption.value]
    assert drill_down[0].startswith(f"{expected} test digits are a 4 that the model read as 9")
    if expected:  # one mosaic of the digits, inline, named in its alt text
        html = app.get("html")[0].proto.body
        assert html.startswith('<img src="data:image/png;base64,')
        description, names = re.search(r'alt="([^"]*)"', html).group(1).split(": ", 1)
        assert description == f"{min(expected, 40)} test digits, each a 4 read as 9"
        assert names.split(", ") == [f"#{index}" for index in fours_read_as_nines[:40]]

    use = next(button for button in app.button if button.label == "Use this model for drawing")
    use.click().run()
    assert app.session_state["active_model"] == str(run_dir / store.MODEL_FILE)
    assert any("Draw uses this model" in message.value for message in app.success)


def test_the_page_says_what_the_preset_sets_off_the_form():
    app = choose_settings(open_page(PAGE), "best")
    beyond = [caption.value for caption in app.caption if caption.value.startswith("The best preset also sets")]
    assert len(beyond) == 1
    for flag in command.setting_flags(config.settings_off_form(config.get_preset("best"))):
        assert f"`{flag}`" in beyond[0]
    assert "`--outlier-weight 2.0`" in beyond[0]
    app = choose_settings(app, "seed")
    assert not any("preset also sets" in caption.value for caption in app.caption)
