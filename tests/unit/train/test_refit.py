"""`python -m lenet refit-likeness`: a model's detector fitted again into its card, on a tiny model and tiny data."""

import types

import numpy as np
import pytest

from lenet import cli, config
from lenet.data import sources, synthetic
from lenet.model import builders, card
from lenet.serve import digit_bank, inference, likeness, outlier_bank
from lenet.train import refit
from tests import quick_worker


@pytest.fixture
def tiny_model_file(tmp_path, monkeypatch):
    """An untrained MNIST model saved with a card that has no likeness statistics, as a model from before them."""
    monkeypatch.setattr(likeness, "EPOCHS", quick_worker.QUICK_LIKENESS_EPOCHS)
    monkeypatch.setattr(likeness, "DIGIT_SAMPLE", 200)
    rng = np.random.default_rng(0)
    images = lambda count: rng.random((count, 28, 28)).astype(np.float32) * (rng.random((count, 28, 28)) < 0.2)
    splits = types.SimpleNamespace(x_train=images(300), y_train=np.arange(300) % 10, x_val=images(200),
                                   x_test=images(100), y_test=rng.integers(0, 10, 100).astype(np.uint8),
                                   dataset="mnist")
    monkeypatch.setattr(sources, "load", lambda name, log=print, **options: splits)
    monkeypatch.setattr(outlier_bank, "bank", lambda: ((("waves",),) * 60, images(60)))
    train_config = config.make_config("quick")
    path = tmp_path / "model.keras"
    card.save_model(builders.build_model(train_config.model_config()), path,
                    card.for_config(train_config, reproduce="python -m lenet train --preset quick")
                    .replace(test_accuracy=0.5))
    return path


def test_refitting_stores_a_detector_the_classifier_reads_and_keeps_the_rest(tiny_model_file):
    drawing = synthetic.stroke_digits(1)[0][1]
    before = inference.Classifier(tiny_model_file)
    assert before.likeness is None  # an old card: it classifies, but cannot judge
    assert before.classify(drawing).label is not None and before.classify(drawing).likeness is None
    figures = refit.refit_likeness(tiny_model_file, log=lambda line: None)
    after = inference.Classifier(tiny_model_file)
    assert after.likeness == likeness.LikenessStats.from_dict(card.read(tiny_model_file).likeness)
    assert figures["outlier_bank"] == outlier_bank.VERSION and figures["digit_bank"] == digit_bank.VERSION
    assert 0.0 <= figures["abstained"] <= 1.0
    assert after.card.test_accuracy == 0.5 and after.card.reproduce == "python -m lenet train --preset quick"
    for old, new in zip(before.model.get_weights(), after.model.get_weights()):
        assert np.array_equal(old, new)
    assert after.classify(drawing).label == before.classify(drawing).label  # the weights are untouched
    assert 0 <= after.classify(drawing).likeness <= 100
    assert after.classify(np.eye(28, dtype=np.float32)).looks_like is not None
    assert before.card.class_mean_images() is None and after.card.class_mean_images().shape == (10, 28, 28)


def test_the_command_line_refits_the_model_it_is_given(tiny_model_file, capsys):
    assert cli.main(["refit-likeness", "--model", str(tiny_model_file)]) == 0
    assert "abstained on" in capsys.readouterr().out
    assert card.read(tiny_model_file).likeness
