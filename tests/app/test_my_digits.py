"""The My digits page through app.py with AppTest: the grid, counts, delete, import, and retraining's controls."""

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from lenet import config as lenet_config
from lenet.data import my_digits
from lenet.model import builders, card
from lenet.runs import store, worker
from lenet.train import finetune, run_files
from tests.app.conftest import open_page, plotly_array, rerun

PAGE = "pages/my_digits.py"
LABELS = [7, 7, 1, 3]
PREDICTIONS = [7, 1, 1, 8]


@pytest.fixture
def saved():
    rng = np.random.default_rng(0)
    return [my_digits.save_digit(rng.random((28, 28), dtype="float32"), label, prediction)
            for label, prediction in zip(LABELS, PREDICTIONS)]


def counts_chart(app):
    return plotly_array(json.loads(app.get("plotly_chart")[0].proto.spec)["data"][0]["y"]).tolist()


def test_the_grid_and_counts_show_every_digit(saved):
    app = open_page(PAGE)
    assert any("**4 digits**" in markdown.value for markdown in app.markdown)
    assert counts_chart(app) == np.bincount(LABELS, minlength=10).tolist()
    captions = [image.proto.imgs[0].caption for image in app.image]
    assert sorted(captions) == sorted(["7", "7 (read as 1)", "1", "3 (read as 8)"])
    assert len([button for button in app.button if button.key and button.key.startswith("delete-")]) == 4


def test_delete_removes_one_digit(saved):
    app = open_page(PAGE)
    app.button(key=f"delete-{saved[1]}").click()
    rerun(app)
    assert [digit.digit_id for digit in my_digits.list_digits()] == [saved[0], *saved[2:]]
    assert len(app.image) == 3 and any("**3 digits**" in markdown.value for markdown in app.markdown)


def test_a_malformed_import_is_refused_and_the_set_is_untouched(saved):
    app = open_page(PAGE)
    buffer = io.BytesIO()
    np.savez(buffer, images=np.zeros((2, 32, 32), "uint8"), labels=np.array([1, 2]))
    app.file_uploader(key="import_file").upload("wrong.npz", buffer.getvalue())
    rerun(app)
    assert any("Import refused" in error.value and "28×28" in error.value for error in app.error)
    assert [digit.digit_id for digit in my_digits.list_digits()] == saved
    app.file_uploader(key="import_file").set_value(("text.npz", b"not an archive", "application/octet-stream"))
    rerun(app)
    assert any("not a .npz file" in error.value for error in app.error)
    assert [digit.digit_id for digit in my_digits.list_digits()] == saved


def test_an_export_imports_once(saved, tmp_path):
    exported = my_digits.export_npz()
    app = open_page(PAGE)
    app.file_uploader(key="import_file").set_value(("mine.npz", exported, "application/octet-stream"))
    rerun(app)
    assert len(my_digits.list_digits()) == 8
    assert any("Imported 4 digits" in toast.value for toast in app.toast)
    rerun(app)  # the file stays in the uploader; a rerun must not import it again
    assert len(my_digits.list_digits()) == 8 and len(app.image) == 8


def test_without_digits_the_page_says_how_to_get_some():
    app = open_page(PAGE)
    assert any("No digits yet" in info.value for info in app.info)
    assert app.get("download_button")[0].proto.disabled
    assert not [button for button in app.button if button.label == "Start retraining"]


def test_start_retraining_starts_a_finetune_run_of_the_active_model(saved):
    app = open_page(PAGE)
    assert app.radio(key="retrain_mode").value == "finetune"
    next(button for button in app.button if button.label == "Start retraining").click()
    rerun(app)
    run_dir = Path(app.session_state["retrain_run"])
    try:
        recorded = store.read_json(run_dir / "config.json")
        assert recorded["my_digits"] and recorded["init_model"] == str(lenet_config.BUNDLED_MODEL_PATH.resolve())
        assert (recorded["epochs"], recorded["learning_rate"]) == (lenet_config.FINETUNE_EPOCHS,
                                                                  lenet_config.FINETUNE_LEARNING_RATE)
        assert recorded["my_digits_repeat"] == finetune.suggested_repeat(len(saved))
        assert app.session_state["retrain_baseline"] == str(lenet_config.BUNDLED_MODEL_PATH)
        assert any(f"Run {run_dir.name}" in markdown.value for markdown in app.markdown)
    finally:
        worker.kill(run_dir)  # the test checks the start, not the training


def test_retraining_needs_a_digit_model_and_says_so(saved, tmp_path):
    path = tmp_path / "fashion.keras"
    fashion = lenet_config.make_config("quick", "fashion")
    card.save_model(builders.build_model(fashion.model_config()), path, card.for_config(fashion))
    app = open_page(PAGE, active_model=str(path))
    assert any("works with digit models" in info.value and "Fashion-MNIST" in info.value for info in app.info)
    assert not [button for button in app.button if button.label == "Start retraining"]
    assert any("**4 digits**" in markdown.value for markdown in app.markdown)  # the digits themselves stay


def test_a_finished_run_shows_before_and_after_and_accept_activates_it(saved):
    run_dir = store.new_run(finetune.retrain_config("finetune", lenet_config.BUNDLED_MODEL_PATH))
    shutil.copy(lenet_config.BUNDLED_MODEL_PATH, run_dir / store.MODEL_FILE)  # the same model: nothing changes
    store.update_status(run_dir, state="finished")
    run_files.append_metric(run_dir, {"kind": "epoch", "epoch": 1, "val_accuracy": 0.98, "loss": 0.1, "accuracy": 0.97,
                                 "val_loss": 0.08})
    app = open_page(PAGE, retrain_run=str(run_dir), retrain_baseline=str(lenet_config.BUNDLED_MODEL_PATH))
    metrics = {metric.label: metric for metric in app.metric}
    mnist = metrics["MNIST test set (10,000)"]
    assert float(mnist.value.rstrip("%")) > 90 and mnist.delta == "+0.00 points"
    mine = next(metric for label, metric in metrics.items() if label.startswith("My digits (4 all"))
    assert mine.delta == "+0.0 points"
    next(button for button in app.button if button.label.startswith("Accept")).click()
    rerun(app)
    assert app.session_state["active_model"] == str(run_dir / store.MODEL_FILE)
    assert any("is the active model" in success.value for success in app.success)


def test_a_damaged_model_before_retraining_is_said_instead_of_before_and_after(saved, tmp_path):
    run_dir = store.new_run(finetune.retrain_config("finetune", lenet_config.BUNDLED_MODEL_PATH))
    shutil.copy(lenet_config.BUNDLED_MODEL_PATH, run_dir / store.MODEL_FILE)
    store.update_status(run_dir, state="finished")
    baseline = tmp_path / "cut-short.keras"  # a copy cut short since the run started (a full disk)
    baseline.write_bytes(lenet_config.BUNDLED_MODEL_PATH.read_bytes()[:50_000])
    app = open_page(PAGE, retrain_run=str(run_dir), retrain_baseline=str(baseline))
    assert any(warning.value.startswith("No before and after to compare: cut-short.keras") for warning in app.warning)
    assert not [metric for metric in app.metric if metric.label.startswith("MNIST test set")]
