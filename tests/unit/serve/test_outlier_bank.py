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


def test_a_held_out_family_takes_its_kin_with_it():
    assert outlier_bank.kin("letters") == outlier_bank.kin("script") >= {"letters", "script", "typeset"}
    assert outlier_bank.kin("waves") == {"waves"}
    assert set().union(*outlier_bank.KIN) <= set(outlier_bank.FAMILIES)


def test_a_curve_is_bent_smoothly_and_a_corner_jittered_on_its_own():
    rng = np.random.default_rng(0)
    line = np.linspace(0, 1, 100)
    curve, corners = outlier_bank._jittered([list(zip(line, 0.5 + 0 * line)), [(0, 0), (1, 0), (1, 1)]], rng)
    bends = np.abs(np.diff(np.asarray(curve)[:, 1], n=2))
    assert bends.max() < 0.01 < np.ptp(np.asarray(curve)[:, 1])  # moved, but as a whole: no jagged steps
    assert not np.allclose(corners, [(0, 0), (1, 0), (1, 1)], atol=1e-3)


def test_typeset_drawings_stand_alone_and_pairs_are_of_drawn_families():
    made = outlier_bank.drawings(40, seed=5, families=("typeset", "waves"))
    pairs = [drawn_from for drawn_from, _ in made if len(drawn_from) == 2]
    assert pairs and all(set(pair) == {"waves"} for pair in pairs)
    assert sum(drawn_from == ("typeset",) for drawn_from, _ in made) >= 15
