"""A model file and a run folder made before lenet/ became layered (commit c457a2a; tests/data/legacy/README.md)
load and read as they did: users' runs and .keras files outlive a reorganisation of the code."""

import shutil
from pathlib import Path

import numpy as np
import pytest

from lenet import config, files
from lenet.data import sources
from lenet.model import card
from lenet.runs import store
from lenet.serve import inference
from lenet.train import snapshots

LEGACY = Path(__file__).resolve().parent.parent / "data" / "legacy"
RUN_ID = "20261204-205431-legacy-82fd"


@pytest.fixture
def legacy_run():
    """A copy of the legacy run in this test's run store, so nothing the readers do can touch the committed files."""
    return Path(shutil.copytree(LEGACY / RUN_ID, files.runs_dir() / RUN_ID))


@pytest.mark.mnist
def test_a_model_file_made_before_the_move_classifies_as_it_did(legacy_run):
    classifier = inference.Classifier(legacy_run / store.MODEL_FILE)
    model_card = card.read(legacy_run / store.MODEL_FILE)
    assert model_card.found and model_card.dataset == "mnist" and model_card.config["preset"] == "quick"
    assert classifier.model.count_params() == 44_426 and classifier.likeness is not None  # its card's statistics
    splits = sources.load(log=lambda line: None)
    predictions = classifier.probabilities(splits.x_test).argmax(axis=1)
    made_then = np.load(legacy_run / "test_predictions.npy")  # what the old code predicted as the run ended
    assert (predictions == made_then).mean() >= 0.999  # the same network: a float rounding may flip one or two
    assert (predictions == splits.y_test).mean() == pytest.approx(model_card.test_accuracy, abs=2e-3)
    seven = classifier.classify(splits.x_test[0])
    assert (seven.label, seven.abstained) == (7, False)


def test_a_run_folder_made_before_the_move_reads_as_it_did(legacy_run):
    run = store.load_run(legacy_run)
    assert (run.run_id, run.state, run.problem) == (RUN_ID, "finished", "")
    assert config.TrainConfig.from_dict(run.config) == config.make_config("quick", epochs=2, batch_size=128)
    assert run.summary["epochs_completed"] == 2 and run.model_path == legacy_run / store.MODEL_FILE
    assert run.summary["test_accuracy"] == card.read(run.model_path).test_accuracy
    assert [listed.run_id for listed in store.list_runs()] == [RUN_ID]
    epochs = store.load_metrics(legacy_run, kind="epoch")
    assert [record["epoch"] for record in epochs] == [1, 2]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "seconds"} <= set(epochs[0])
    records, offset = store.read_metrics(legacy_run)
    assert records[0]["kind"] == "start" and offset == (legacy_run / store.METRICS_FILE).stat().st_size
    assert snapshots.epochs(legacy_run) == [0, 1, 2] and snapshots.latest(legacy_run).epoch == 2
    assert snapshots.read_subjects(legacy_run) is not None
