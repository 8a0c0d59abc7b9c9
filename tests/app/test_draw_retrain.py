"""Draw's "Retrain with my N digits" through app.py with AppTest: it appears once a digit is saved, starts the same
fine-tune as My digits, and when the run has ended Draw reads with the new model, shows before → after, and switches
back with one click."""

import shutil
from pathlib import Path

import pytest

from lenet import config as lenet_config
from lenet.data import my_digits, sources
from lenet.model import card
from lenet.runs import store, worker
from lenet.train import finetune
from tests.app.conftest import draw, open_draw_page, predictions, rerun

pytestmark = pytest.mark.mnist


def retrain_button(app):
    return next((button for button in app.button if button.label.startswith("Retrain with my")), None)


@pytest.fixture
def seven():
    splits = sources.load(log=lambda line: None)
    return splits.x_test[0]  # a 7 the bundled model reads right


def test_the_button_appears_once_a_digit_is_saved_and_starts_the_my_digits_finetune(seven):
    app = open_draw_page()
    assert retrain_button(app) is None  # nothing saved yet
    for label in (7, 7, 1):
        my_digits.save_digit(seven, label, 7)
    app = rerun(app)
    button = retrain_button(app)
    assert button.label == "Retrain with my 3 digits"
    button.click()
    rerun(app)
    state = app.session_state["draw_retrain"]
    run_dir = Path(state["run"])
    try:
        recorded = store.read_json(run_dir / "config.json")
        expected = finetune.retrain_config("finetune", lenet_config.BUNDLED_MODEL_PATH)
        assert recorded["init_model"] == expected.init_model and recorded["my_digits"]
        assert (recorded["epochs"], recorded["learning_rate"]) == (expected.epochs, expected.learning_rate)
        assert state["baseline"] == str(lenet_config.BUNDLED_MODEL_PATH) and not state["switched"]
        assert app.session_state["retrain_run"] == str(run_dir)  # My digits follows the same run
        assert any(f"Run {run_dir.name}" in markdown.value for markdown in app.markdown)
        assert retrain_button(app).disabled  # one run at a time
    finally:
        worker.kill(run_dir)  # the test checks the start, not the training


def test_a_finished_run_switches_draw_shows_before_and_after_and_switches_back(seven):
    my_digits.save_digit(seven, 7, 7)
    run_dir = store.new_run(finetune.retrain_config("finetune", lenet_config.BUNDLED_MODEL_PATH))
    shutil.copy(lenet_config.BUNDLED_MODEL_PATH, run_dir / store.MODEL_FILE)  # the same model: nothing changes
    store.update_status(run_dir, state="finished")
    app = open_draw_page()
    bundled = str(lenet_config.BUNDLED_MODEL_PATH)
    app.session_state["draw_retrain"] = {"run": str(run_dir), "baseline": bundled, "switched": False}
    app = draw(app, seven)
    retrained = str(run_dir / store.MODEL_FILE)
    assert app.session_state["active_model"] == retrained and predictions(app) == ["7"]
    metrics = {metric.label: metric for metric in app.metric}
    drawing = metrics["Retrained: this drawing reads"]
    assert drawing.value.startswith("7 (") and drawing.delta.startswith("before: 7 (")
    accuracy = metrics["MNIST test accuracy"]
    assert accuracy.value == f"{card.read(bundled).test_accuracy:.2%}" and accuracy.delta == "+0.00 points"
    next(button for button in app.button if button.label == "Switch back to the model before").click()
    rerun(app)
    assert app.session_state["active_model"] == bundled  # and it stays switched back on the next stroke
    assert app.session_state["draw_retrain"]["switched"]
    assert any(button.label == "Use the retrained model" for button in app.button)
