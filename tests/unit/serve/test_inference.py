import os

import keras
import numpy as np
import pytest

from lenet import config
from lenet.model import builders
from lenet.serve import inference


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    # A randomly initialised model is enough for shapes and plumbing; accuracy is tested on the bundled model.
    path = tmp_path_factory.mktemp("model") / "untrained.keras"
    builders.build_model(config.ModelConfig(activation="relu", pooling="max")).save(path)
    return inference.Classifier(path)


def test_probabilities_for_one_image_and_for_many(classifier):
    one = classifier.probabilities(np.zeros((28, 28), "float32"))
    many = classifier.probabilities(np.random.default_rng(0).random((2500, 28, 28), dtype="float32"))
    assert one.shape == (1, 10) and many.shape == (2500, 10)
    assert np.allclose(many.sum(axis=1), 1.0, atol=1e-5)


def test_fast_path_agrees_with_model_predict(classifier):
    images = np.random.default_rng(1).random((5, 28, 28, 1), dtype="float32")
    assert np.allclose(classifier.probabilities(images), classifier.model.predict(images, verbose=0), atol=1e-5)


def test_feature_maps_and_filters_have_the_layer_shapes(classifier):
    maps = classifier.feature_maps(np.zeros((28, 28), "float32"))
    assert {name: value.shape for name, value in maps.items()} == {
        "C1": (24, 24, 6), "S2": (12, 12, 6), "C3": (8, 8, 16), "S4": (4, 4, 16)}
    assert classifier.filters("C1").shape == (5, 5, 1, 6)
    assert classifier.filters("C3").shape == (5, 5, 6, 16)


def test_an_empty_image_is_no_digit(classifier):
    prediction = classifier.classify(np.zeros((280, 280, 4), "uint8"))
    assert prediction.label is None and prediction.probabilities is None


def test_a_model_carrying_code_is_refused(tmp_path):
    inputs = keras.Input((28, 28, 1))
    outputs = keras.layers.Dense(10, activation="softmax")(
        keras.layers.Flatten()(keras.layers.Lambda(lambda x: x * 2.0)(inputs)))
    path = tmp_path / "lambda.keras"
    keras.Model(inputs, outputs).save(path)
    with pytest.raises(inference.ModelLoadError, match="Lambda layer"):
        inference.load_model(path)


def test_missing_corrupt_and_wrong_shape_models_are_refused(tmp_path):
    with pytest.raises(inference.ModelLoadError, match="no model file"):
        inference.load_model(tmp_path / "absent.keras")
    (tmp_path / "corrupt.keras").write_bytes(b"not a zip file")
    with pytest.raises(inference.ModelLoadError, match="could not load corrupt.keras"):
        inference.load_model(tmp_path / "corrupt.keras")
    wrong = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Flatten(), keras.layers.Dense(10)])
    wrong.save(tmp_path / "wrong.keras")
    with pytest.raises(inference.ModelLoadError, match=r"MNIST models map \(None, 28, 28, 1\) to \(None, 10\)"):
        inference.Classifier(tmp_path / "wrong.keras")


def test_a_model_files_time_is_its_cache_key_and_a_missing_file_is_a_model_load_error(tmp_path):
    model_file = tmp_path / "model.keras"
    model_file.write_bytes(b"a model")
    os.utime(model_file, (1_000_000, 1_000_000))
    assert inference.model_file_time(model_file) == 1_000_000
    for not_a_model_file in (tmp_path / "deleted.keras", tmp_path):  # gone, or a folder
        with pytest.raises(inference.ModelLoadError, match="no model file at"):
            inference.model_file_time(not_a_model_file)


def test_a_model_without_likeness_statistics_classifies_but_cannot_judge(classifier):
    drawing = np.zeros((280, 280, 4), "uint8")
    drawing[60:220, 130:150] = 255  # a bar: a 1
    prediction = classifier.classify(drawing)
    assert prediction.label is not None and prediction.probabilities.shape == (10,)
    assert prediction.likeness is None and prediction.looks_like is None and not prediction.abstained
    probabilities, scores = classifier.judge(np.zeros((3, 28, 28), "float32"))
    assert probabilities.shape == (3, 10) and scores is None


@pytest.mark.mnist
def test_the_bundled_model_judges_likeness_from_its_card():
    from lenet.data import sources, synthetic
    from lenet.serve import likeness
    from lenet.train import likeness_fit

    classifier = inference.Classifier()
    assert classifier.likeness is not None and set(classifier.likeness.layers) <= set(classifier.layer_names)
    assert classifier.likeness.views == list(likeness.VIEWS)
    test_images = sources.load(log=lambda line: None).x_test[:500]
    probabilities, scores = classifier.judge(test_images)
    assert (scores >= classifier.likeness.threshold).mean() >= 0.98
    # One traced call for the drawings and their views gives what the fit's own reading of the layers gives.
    fitted_way = likeness.score(classifier.likeness, likeness_fit.layer_features(
        classifier.model, test_images, answer_layer=classifier.likeness.answer_layer))
    assert np.allclose(scores, fitted_way, atol=1e-3)
    assert np.allclose(probabilities, classifier.probabilities(test_images), atol=1e-6)
    predictions = [classifier.classify(image) for _, image in synthetic.non_digits(60, seed=4)]
    abstained = [prediction for prediction in predictions if prediction.abstained]
    assert len(abstained) >= 0.8 * len(predictions)
    assert all(prediction.likeness < classifier.likeness.threshold for prediction in abstained)
    assert all(prediction.likeness >= classifier.likeness.threshold for prediction in predictions
               if not prediction.abstained)
