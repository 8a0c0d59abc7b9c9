"""Fitting a saved model's detector again (python -m lenet refit-likeness), on a tiny model, bank and splits."""

import numpy as np

from lenet.config import ModelConfig
from lenet.data import synthetic
from lenet.model import builders, card
from lenet.serve import inference, likeness, outlier_bank
from lenet.train import refit


def test_a_model_without_a_detector_classifies_and_after_a_refit_judges_from_its_saved_card(
        tmp_path, monkeypatch, tiny_training):
    monkeypatch.setattr(likeness, "EPOCHS", 2)
    monkeypatch.setattr(likeness, "DIGIT_SAMPLE", 200)
    small_bank = outlier_bank.bank(60, seed=3, doodles_per_thing=1)
    monkeypatch.setattr(outlier_bank, "bank", lambda: small_bank)
    path = tmp_path / "old.keras"
    model = builders.build_model(ModelConfig())
    card.save_model(model, path, card.ModelCard())  # an old card: no likeness statistics
    drawing = synthetic.stroke_digits(1)[0][1]
    before = inference.Classifier(path).classify(drawing)
    assert before.label is not None and before.likeness is None

    figures = refit.refit_likeness(path, log=lambda line: None)

    after = inference.Classifier(path)
    assert after.likeness == likeness.LikenessStats.from_dict(card.read(path).likeness)
    assert 0 <= after.classify(drawing).likeness <= 100
    assert after.classify(drawing).label == before.label  # the weights are untouched
    assert figures["outlier_bank"] == outlier_bank.VERSION and 0 <= figures["abstained"] <= 1
    assert np.allclose(after.model.get_layer("F5").get_weights()[0], model.get_layer("F5").get_weights()[0])
