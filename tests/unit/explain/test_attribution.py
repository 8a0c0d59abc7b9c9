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
    return attribution.Explainer(classifier.model)


@pytest.fixture(scope="module")
def drawn_digits():
    return [(label, preprocess.to_mnist_digit(image)) for label, image in synthetic.stroke_digits(6, seed=4)]


def test_evidence_adds_up_to_the_change_in_score_from_a_black_image(classifier, drawn_digits):
    precise = attribution.Explainer(classifier.model, attribution.ExplainConfig(path_steps=128))
    for _, image in drawn_digits:
        evidence, score_change = precise.evidence(image)
        assert evidence.shape == (28, 28)
        assert evidence.sum() == pytest.approx(score_change, rel=0.03, abs=0.01)


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
        # Small: a fraction of the ink a whole digit has (about 100 units), spent on a few pixels.
        assert np.abs(change).sum() < 0.6 * image.sum()
        assert np.allclose(result.added - result.removed, np.where(np.abs(change) > 0.05, change, 0), atol=1e-6)


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
