"""Pen gestures: marks that are no digit, drawn as the canvas sends them, for checking the digit-likeness detector."""

import numpy as np

from lenet.data import gestures
from lenet.serve import outlier_bank, preprocess


def test_every_gesture_is_drawn_as_many_times_as_asked_and_each_is_ink_on_the_canvas():
    drawn = gestures.drawings(each=2, seed=1)
    assert [name for name, _ in drawn] == [name for name in gestures.GESTURES for _ in range(2)]
    digits = [preprocess.to_mnist_digit(image) for _, image in drawn]
    assert all(digit is not None and digit.shape == (28, 28) and digit.max() > 0.5 for digit in digits)


def test_the_same_seed_gives_the_same_drawings_and_another_seed_others():
    first, again, other = (gestures.drawings(each=1, seed=seed) for seed in (3, 3, 4))
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(first, again))
    assert not any(np.array_equal(a, b) for (_, a), (_, b) in zip(first, other))


def test_no_gesture_shares_a_name_with_a_family_of_the_bank():
    assert not set(gestures.GESTURES) & set(outlier_bank.ALL_FAMILIES)
