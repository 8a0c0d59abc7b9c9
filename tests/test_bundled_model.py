"""The committed model in models/ must be what its sidecar says it is."""

import json

import pytest

from lenet import config, data, inference, training


@pytest.mark.mnist
def test_bundled_model_accuracy_matches_its_sidecar():
    sidecar = json.loads(config.BUNDLED_SIDECAR_PATH.read_text())
    splits = data.load_mnist(log=lambda line: None)
    classifier = inference.Classifier()  # the bundled model is the default
    figures = training.evaluation_figures(splits.y_test.astype(int), classifier.probabilities(splits.x_test))
    assert figures["test_accuracy"] == pytest.approx(sidecar["test_accuracy"], abs=2e-4)
    assert figures["test_accuracy"] >= 0.993
    assert sidecar["config"]["preset"] == "best"
    assert sidecar["command"].startswith("python -m lenet train --preset best")


def test_bundled_model_is_small_and_lenet_sized():
    assert config.BUNDLED_MODEL_PATH.stat().st_size < 400_000
    model = inference.load_model(config.BUNDLED_MODEL_PATH)
    assert model.count_params() <= 62_000
    assert [layer.name for layer in model.layers][-3:] == ["F5", "F6", "OUTPUT"]
