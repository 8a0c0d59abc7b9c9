"""The committed models in models/ must be what their cards say they are."""

import pytest

from lenet import config
from lenet.data import datasets, sources
from lenet.model import card
from lenet.serve import inference
from lenet.train import metrics


@pytest.mark.mnist
@pytest.mark.parametrize("dataset_name", [name for name, path in config.BUNDLED_MODELS.items() if path.exists()])
def test_bundled_model_accuracy_matches_its_card(dataset_name):
    path = config.BUNDLED_MODELS[dataset_name]
    model_card = card.read(path)
    assert model_card.found and model_card.dataset == dataset_name
    assert model_card.config["preset"] == "best"
    assert model_card.reproduce.startswith(f"python -m lenet train --dataset {dataset_name} --preset best")
    splits = sources.load(dataset_name, log=lambda line: None)
    classifier = inference.Classifier(path)
    figures = metrics.evaluation_figures(splits.y_test.astype(int), classifier.probabilities(splits.x_test))
    assert figures["test_accuracy"] == pytest.approx(model_card.test_accuracy, abs=2e-4)


def test_the_mnist_model_is_bundled_and_every_bundled_model_is_small_and_lenet_sized():
    assert config.BUNDLED_MODEL_PATH == config.BUNDLED_MODELS[datasets.DEFAULT] and config.BUNDLED_MODEL_PATH.exists()
    for path in config.BUNDLED_MODELS.values():
        if path.exists():
            model = inference.load_model(path)
            assert model.count_params() <= 62_000
            # The weights (4 bytes a parameter, plus HDF5's bookkeeping) and a card of up to 650 KB, most of it the
            # likeness detectors' weights (about 590 KB compressed: six detectors of 64 hidden units reading three
            # views); a saved optimizer (Adam's two moments and the weight average) would add 3 times the weights,
            # 534 KB here.
            assert path.stat().st_size < 4 * model.count_params() * 1.5 + 650_000
            assert [layer.name for layer in model.layers][-3:] == ["F5", "F6", "OUTPUT"]
