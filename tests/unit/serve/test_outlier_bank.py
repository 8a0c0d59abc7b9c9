import numpy as np

from lenet.data import synthetic
from lenet.serve import outlier_bank


def test_the_bank_is_mnist_style_images_of_every_family():
    families, images = outlier_bank.bank(60, seed=3)
    assert images.shape[1:] == (28, 28) and images.dtype == np.float32 and len(images) >= 57
    assert images.min() >= 0 and images.max() <= 1 and (images.reshape(len(images), -1).max(axis=1) == 1).all()
    assert {family for pair in families for family in pair} == set(outlier_bank.FAMILIES)
    assert sum(len(pair) == 2 for pair in families) >= 10  # every fifth drawing combines two


def test_the_same_seed_gives_the_same_bank_and_another_seed_another():
    first, again, other = (outlier_bank.drawings(10, seed) for seed in (1, 1, 2))
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(first, again))
    assert not any(np.array_equal(a, b) for (_, a), (_, b) in zip(first, other))


def test_the_bank_keeps_apart_from_the_test_drawings():
    assert outlier_bank.SEED not in range(100)  # the tests draw non_digits with small seeds
    assert not set(outlier_bank.LETTERS) & set("OIlSZBGqg")  # no letter that looks like a digit
    shared = set(outlier_bank.LETTERS) & set(synthetic.LETTERS)
    assert all(outlier_bank.LETTERS[letter] != synthetic.LETTERS[letter] for letter in shared)  # drawn differently
