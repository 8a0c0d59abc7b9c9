import numpy as np
import pytest

from lenet.data import sources, synthetic
from lenet.serve import inference, preprocess


def test_stroke_digits_are_canvas_drawings_of_every_digit():
    drawings = synthetic.stroke_digits(30, seed=1)
    assert [label for label, _ in drawings] == [index % 10 for index in range(30)]
    for _, image in drawings:
        assert image.shape == (280, 280, 4) and image.dtype == np.uint8
        assert image[..., 3].any() and not image[0, :, 3].any() and not image[:, -1, 3].any()  # inked, not at edges
        assert preprocess.to_mnist_digit(image) is not None


def test_the_other_styles_draw_every_digit_in_a_style_the_usual_ones_lack():
    assert set(synthetic.OTHER_DIGIT_STYLES) == set(range(10))
    for digit, styles in synthetic.OTHER_DIGIT_STYLES.items():
        assert all(style not in synthetic.DIGIT_STYLES[digit] for style in styles)
    usual, other = (synthetic.stroke_digits(20, seed=1, styles=styles)
                    for styles in (synthetic.DIGIT_STYLES, synthetic.OTHER_DIGIT_STYLES))
    assert [label for label, _ in other] == [label for label, _ in usual]
    assert not any(np.array_equal(a, b) for (_, a), (_, b) in zip(usual, other))
    assert all(preprocess.to_mnist_digit(image) is not None for _, image in other)


def test_the_same_seed_gives_the_same_drawings_and_another_seed_others():
    first, again, other = (synthetic.stroke_digits(5, seed) for seed in (7, 7, 8))
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(first, again))
    assert not any(np.array_equal(a, b) for (_, a), (_, b) in zip(first, other))
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(synthetic.non_digits(5, 7), synthetic.non_digits(5, 7)))


def test_a_shakier_hand_strays_further_from_the_same_digit():
    def ink(shakiness):
        return np.stack([image[..., 3] > 0 for _, image in synthetic.stroke_digits(10, 4, shakiness=shakiness)])

    steady = ink((1.0, 1.0))
    assert np.array_equal(steady, np.stack([image[..., 3] > 0 for _, image in synthetic.stroke_digits(10, 4)]))
    strayed = [(ink((factor, factor)) != steady).mean() for factor in (1.5, 3.0)]
    assert 0 < strayed[0] < strayed[1]  # the same digits in the same poses: only the wobble differs
    varied = synthetic.stroke_digits(10, 4, shakiness=(1.0, 3.0), size=72)
    assert [label for label, _ in varied] == list(range(10)) and varied[0][1].shape == (72, 72, 4)


def test_non_digits_cover_every_kind_in_both_polarities():
    drawings = synthetic.non_digits()
    assert len(drawings) >= 100
    assert {kind for kind, _ in drawings} == set(synthetic.NON_DIGIT_KINDS)
    paper = [image for _, image in drawings if image[0, 0, 3] == 255]  # opaque light paper, as a photo
    assert 0.15 * len(drawings) < len(paper) < 0.5 * len(drawings)
    assert all(image[0, 0, 0] > 200 for image in paper)
    assert sum(preprocess.to_mnist_digit(image) is not None for _, image in drawings) >= 0.95 * len(drawings)


def test_no_letter_that_looks_like_a_digit_is_a_non_digit():
    assert not set(synthetic.NON_DIGIT_KINDS) & set("OIlSZBGqg")


def test_redrawn_digits_keep_the_digit_as_a_canvas_drawing():
    digit = np.zeros((28, 28), np.float32)
    digit[4:24, 13:15] = 1.0  # a one
    (image,) = synthetic.redrawn_digits([digit], seed=0)
    assert image.shape == (280, 280, 4) and image.dtype == np.uint8
    seen = preprocess.to_mnist_digit(image)
    assert seen[:, 14].sum() > seen[:, 4].sum()  # still a tall stroke in the middle


@pytest.fixture(scope="module")
def bundled():
    return inference.Classifier()


@pytest.mark.slow
def test_the_bundled_model_reads_stroke_digits(bundled):
    drawings = synthetic.stroke_digits(500, seed=0)
    right = sum(bundled.classify(image).label == label for label, image in drawings)
    assert right >= 0.98 * len(drawings)


@pytest.mark.slow
@pytest.mark.mnist
def test_the_bundled_model_reads_redrawn_mnist_digits(bundled):
    splits = sources.load(log=lambda line: None)
    images, labels = splits.x_test[:300], splits.y_test[:300]
    right = sum(bundled.classify(image).label == label for image, label in zip(synthetic.redrawn_digits(images), labels))
    assert right >= 0.95 * len(labels)
