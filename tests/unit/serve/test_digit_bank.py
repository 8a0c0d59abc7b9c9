import numpy as np
import pytest

from lenet import config
from lenet.data import datasets, sources
from lenet.model import builders
from lenet.serve import digit_bank
from lenet.train import likeness_fit, pipeline, refit


@pytest.fixture
def empty_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("LENET_CACHE_DIR", str(tmp_path))
    digit_bank.labelled_digits.cache_clear()
    digit_bank.broken_digits.cache_clear()
    yield tmp_path
    digit_bank.labelled_digits.cache_clear()
    digit_bank.broken_digits.cache_clear()


def test_drawn_digits_are_mnist_style_images_drawn_once_then_read_from_the_cache(empty_cache, monkeypatch):
    images = digit_bank.digits(20, seed=3)
    assert images.shape == (20, 28, 28) and images.dtype == np.float32
    assert images.min() >= 0 and (images.reshape(20, -1).max(axis=1) == 1).all()
    digit_bank.labelled_digits.cache_clear()  # as a new process finds them: in the data cache only

    def not_again(*arguments, **settings):
        raise AssertionError("digits were drawn again although they are cached")

    monkeypatch.setattr(digit_bank.synthetic, "stroke_digits", not_again)
    assert np.array_equal(digit_bank.digits(20, seed=3), images)


def test_each_drawn_digit_keeps_its_label_for_training_to_read(empty_cache):
    images, labels = digit_bank.labelled_digits(20, seed=3)
    assert labels.dtype == np.uint8 and np.array_equal(labels, np.arange(20) % 10)  # stroke_digits draws 0-9 in turn
    assert np.array_equal(images, digit_bank.digits(20, seed=3))
    digit_bank.labelled_digits.cache_clear()
    assert np.array_equal(digit_bank.labelled_digits(20, seed=3)[1], labels)  # read back from the cache


def test_a_damaged_cache_file_is_drawn_again(empty_cache):
    images = digit_bank.digits(10, seed=3)
    digit_bank.labelled_digits.cache_clear()
    next(empty_cache.glob("digit-bank/*.npz")).write_bytes(b"not a zip")
    assert np.array_equal(digit_bank.digits(10, seed=3), images)


def test_broken_digits_are_mnist_style_images_drawn_once_then_read_from_the_cache(empty_cache, monkeypatch):
    images = digit_bank.broken_digits(30, seed=3)
    assert images.shape == (30, 28, 28) and images.dtype == np.float32 and images.max() == 1
    digit_bank.broken_digits.cache_clear()
    monkeypatch.setattr(digit_bank, "_broken_drawing", lambda *arguments: pytest.fail("broken digits drawn again"))
    assert np.array_equal(digit_bank.broken_digits(30, seed=3), images)


def digit_strokes(label, style=0):
    """A digit's strokes from synthetic.DIGIT_STYLES, as _broken takes them: evenly spaced points."""
    return [digit_bank._evenly(stroke) for stroke in digit_bank.synthetic.DIGIT_STYLES[label][style][0]]


@pytest.mark.parametrize("label", range(10))
def test_a_part_taken_away_is_a_quarter_to_a_half_of_a_stroke(label):
    for seed in range(20):
        strokes = digit_strokes(label)
        broken = digit_bank._part_taken_away(strokes, 0, np.random.default_rng(seed))
        removed = sum(map(len, strokes)) - sum(map(len, broken))
        low, high = (share * digit_bank.POINTS_PER_STROKE for share in digit_bank.TAKEN_AWAY)
        assert low - 1 <= removed <= high
        assert all(any((point == kept).all(axis=1).any() for kept in strokes) for piece in broken for point in piece)


@pytest.mark.parametrize("label", range(10))
def test_a_stray_mark_is_added_and_a_moved_part_is_shifted_whole(label):
    for seed in range(20):
        strokes, rng = digit_strokes(label), np.random.default_rng(seed)
        marked = digit_bank._stray_mark(strokes, 0, rng)
        mark = marked[-1]
        assert marked[:-1] == strokes and mark.shape == (2, 2) and ((0 <= mark[0]) & (mark[0] <= 1)).all()
        moved = digit_bank._part_moved(strokes, 0, rng)
        assert sum(map(len, moved)) == sum(map(len, strokes))  # nothing lost: a piece put elsewhere
        rest, piece = moved[0], moved[1]
        stayed_first = np.array_equal(rest, strokes[0][:len(rest)])
        assert stayed_first or np.array_equal(rest, strokes[0][-len(rest):])
        shifted = piece - (strokes[0][len(rest):] if stayed_first else strokes[0][:len(piece)])
        assert np.allclose(shifted, shifted[0]) and np.linalg.norm(shifted[0]) > 0


def test_breaking_never_leaves_a_digit_whole():
    rng = np.random.default_rng(0)
    for label, styles in digit_bank.synthetic.DIGIT_STYLES.items():
        for style in range(len(styles)):
            for _ in range(10):
                whole = [list(map(tuple, stroke)) for stroke in digit_strokes(label, style)]
                assert digit_bank._broken(styles[style][0], rng) != whole


def splits_of(dataset, train_images):
    """Splits of `dataset` with these training images, and two blank validation and test images."""
    blank = np.zeros((2, 28, 28), np.uint8), np.zeros(2, np.uint8)
    return sources.Splits(train_images, np.zeros(len(train_images), np.uint8), *blank, *blank, source="this test",
                          dataset=dataset.name)


def test_a_digit_model_s_detector_also_learns_the_drawn_digits_as_floats(monkeypatch):
    drawn = np.full((3, 28, 28), 0.5, np.float32)
    monkeypatch.setattr(digit_bank, "digits", lambda: drawn)
    pixels = np.random.default_rng(0).integers(0, 256, (40, 28, 28), dtype=np.uint8)
    garments = likeness_fit.teaching_digits(splits_of(datasets.FASHION, pixels))
    assert np.array_equal(garments, likeness_fit.training_sample(pixels))
    taught = likeness_fit.teaching_digits(splits_of(datasets.MNIST, pixels))
    assert taught.dtype == np.float32 and len(taught) == 43 and taught.max() <= 1
    assert np.array_equal(taught[:40], pipeline.unit_floats(likeness_fit.training_sample(pixels)))
    assert np.array_equal(taught[40:], drawn)


@pytest.mark.parametrize("dataset", [datasets.MNIST, datasets.FASHION])
def test_only_a_digit_model_s_refit_keeps_the_drawn_digits_and_refuses_the_broken_ones_and_scrawls(dataset,
                                                                                                    monkeypatch):
    taught = []

    def fit(train_features, validation_features, outlier_features, keep_share, answer_layer):
        taught.append((len(train_features["S4"]), len(outlier_features["S4"])))
        raise StopIteration  # how many images the fit is given is all this test needs

    monkeypatch.setattr(digit_bank, "digits", lambda: np.zeros((3, 28, 28), np.float32))
    monkeypatch.setattr(digit_bank, "broken_digits", lambda: np.ones((4, 28, 28), np.float32))
    monkeypatch.setattr(likeness_fit.outlier_bank, "scrawls", lambda: np.ones((6, 28, 28), np.float32))
    monkeypatch.setattr(likeness_fit.likeness, "fit", fit)
    monkeypatch.setattr(likeness_fit.outlier_bank, "bank", lambda: ((), np.zeros((2, 28, 28), np.float32)))
    train_config = config.make_config("quick", dataset=dataset.name)
    model = builders.build_model(train_config.model_config())
    with pytest.raises(StopIteration):
        refit.fit_and_score(model, splits_of(dataset, np.zeros((5, 28, 28), np.uint8)), train_config)
    assert taught == [(5 + 3, 2 + 4 + 6) if dataset is datasets.MNIST else (5, 2)]
