import keras
import numpy as np
import pytest

from lenet.data import synthetic
from lenet.explain import attribution
from lenet.serve import inference, preprocess


@pytest.fixture(scope="module")
def classifier():
    return inference.Classifier()


@pytest.fixture(scope="module")
def explainer(classifier):
    return attribution.Explainer(classifier.model, class_means=classifier.card.class_mean_images())  # as Draw builds it


@pytest.fixture(scope="module")
def drawn_digits():
    return [(label, preprocess.to_mnist_digit(image)) for label, image in synthetic.stroke_digits(6, seed=4)]


def test_evidence_adds_up_to_the_change_in_score_from_a_black_image(explainer, drawn_digits):
    config = explainer.config
    steps = []
    for _, image in drawn_digits:
        evidence, score_change = explainer.evidence(image)
        assert evidence.shape == (28, 28)
        allowed = config.completeness_tolerance * abs(score_change) + config.completeness_floor
        assert abs(evidence.sum() - score_change) <= allowed
        details = explainer.evidence_details(image)
        assert np.array_equal(details.attributions, evidence) and details.score_change == score_change
        assert details.completeness_gap == pytest.approx(evidence.sum() - score_change, abs=1e-4)
        steps.append(details.path_steps)
    assert config.path_steps <= min(steps) and max(steps) <= config.max_path_steps
    assert max(steps) > config.path_steps  # the first, even cut of the path was not enough for some drawing


def test_evidence_is_about_the_answer_and_only_where_there_is_ink(explainer, drawn_digits):
    _, image = drawn_digits[0]
    evidence, score_change = explainer.evidence(image)
    assert score_change > 0  # the drawing is far more of its answer than a black image is
    assert np.all(evidence[image == 0] == 0)  # from a black baseline, pixels without ink carry no evidence
    against, change_against = explainer.evidence(image, digit=(int(np.argmax(explainer.logits(image))) + 5) % 10)
    assert change_against < score_change


def test_a_black_image_has_no_evidence(explainer):
    evidence, score_change = explainer.evidence(np.zeros((28, 28)), digit=3)
    assert not evidence.any() and score_change == 0


def test_the_counterfactual_makes_the_model_answer_the_target_with_ink_in_range(classifier, explainer, drawn_digits):
    for label, image in drawn_digits:
        target = (label + 3) % 10
        result = explainer.counterfactual(image, target)
        assert result.succeeded and result.target == target
        assert classifier.probabilities(result.image)[0].argmax() == target
        assert result.probability == pytest.approx(classifier.probabilities(result.image)[0][target], abs=1e-4)
        assert result.image.min() >= 0 and result.image.max() <= 1
        assert result.added.min() >= 0 and result.removed.min() >= 0 and not (result.added * result.removed).any()
        change = result.image - image
        assert np.allclose(result.added - result.removed, np.where(np.abs(change) > 0.05, change, 0), atol=1e-6)


def test_the_counterfactual_is_a_sparse_change(classifier, explainer):
    unpenalised = attribution.Explainer(classifier.model, attribution.ExplainConfig(sparsity=0.0),
                                        class_means=classifier.card.class_mean_images())
    sparse_changes, plain_changes, ink = [], [], []
    for label, drawing in synthetic.stroke_digits(20, seed=4):
        image, target = preprocess.to_mnist_digit(drawing), (label + 3) % 10
        sparse, plain = explainer.counterfactual(image, target), unpenalised.counterfactual(image, target)
        assert sparse.succeeded and plain.succeeded
        sparse_changes.append(np.abs(sparse.image - image).sum())
        plain_changes.append(np.abs(plain.image - image).sum())
        ink.append(image.sum())
    # The penalty makes most searches change less than the same search without it, and all of them together. Not
    # every one: where a search crosses a region with no gradient, it steps towards the target's mean image, and the
    # penalised search may get there by a longer way (in these 20, a 1 made a 4: 90 against 25 units of change).
    assert np.mean(np.less(sparse_changes, plain_changes)) >= 0.8
    assert sum(sparse_changes) < 0.95 * sum(plain_changes)
    assert sum(sparse_changes) < sum(ink) / 2  # small: in all, less ink than the drawings have


def test_asking_for_the_current_answer_changes_nothing(explainer, drawn_digits):
    _, image = drawn_digits[1]
    result = explainer.counterfactual(image, int(np.argmax(explainer.logits(image))))
    assert result.succeeded and result.steps == 0 and np.array_equal(result.image, image)


def test_a_tiny_budget_is_reported_as_failure(classifier, drawn_digits):
    hurried = attribution.Explainer(classifier.model, attribution.ExplainConfig(counterfactual_steps=1))
    label, image = drawn_digits[2]
    result = hurried.counterfactual(image, (label + 5) % 10)
    assert not result.succeeded and result.steps == 1


def test_wrong_images_and_digits_are_refused(explainer):
    with pytest.raises(attribution.ExplainError, match="expected a \\(28, 28\\) digit image"):
        explainer.evidence(np.zeros((280, 280)))
    with pytest.raises(attribution.ExplainError, match="0–9"):
        explainer.counterfactual(np.zeros((28, 28)), 10)


def dead_zone_model_and_means():
    """A network that, like one trained with outlier exposure, switches every unit off for a blank drawing: F6's unit
    k fires only once more than half of digit k's own 4×4 patch has ink, so at a blank image every gradient is 0."""
    means = np.zeros((10, 28, 28), np.float32)
    for digit in range(10):
        row, column = 2 + 10 * (digit // 5), 1 + 5 * (digit % 5)
        means[digit, row:row + 4, column:column + 4] = 1.0
    inputs = keras.Input((28, 28, 1))
    units = keras.layers.Dense(10, activation="relu", name="F6")(keras.layers.Flatten()(inputs))
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax", name="OUTPUT")(units))
    model.get_layer("F6").set_weights([means.reshape(10, 784).T, np.full(10, -8.0, np.float32)])
    answer_zero = np.zeros(10, np.float32)
    answer_zero[0] = 1.0  # with every unit off the answer is 0, from the biases alone
    model.get_layer("OUTPUT").set_weights([10 * np.eye(10, dtype=np.float32), answer_zero])
    return model, means


def test_where_the_gradient_vanishes_the_search_steps_towards_the_targets_mean_image():
    model, means = dead_zone_model_and_means()
    blank = np.zeros((28, 28), np.float32)
    stalled = attribution.Explainer(model).counterfactual(blank, 3)
    assert not stalled.succeeded and np.array_equal(stalled.image, blank)  # no gradient, so no step at all
    found = attribution.Explainer(model, class_means=means).counterfactual(blank, 3)
    assert found.succeeded and found.steps < attribution.ExplainConfig().counterfactual_steps
    assert found.added[means[3] > 0].sum() > 0.9 * found.added.sum()  # the ink went to where 3s have theirs


def test_class_means_of_the_wrong_shape_are_refused(classifier):
    with pytest.raises(attribution.ExplainError, match=r"\(10, 28, 28\)"):
        attribution.Explainer(classifier.model, class_means=np.zeros((9, 28, 28)))
