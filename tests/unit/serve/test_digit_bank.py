import numpy as np
import pytest

from lenet.data import datasets, sources
from lenet.serve import digit_bank
from lenet.train import likeness_fit, pipeline, refit


@pytest.fixture
def empty_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("LENET_CACHE_DIR", str(tmp_path))
    digit_bank.digits.cache_clear()
    yield tmp_path
    digit_bank.digits.cache_clear()


def test_drawn_digits_are_mnist_style_images_drawn_once_then_read_from_the_cache(empty_cache, monkeypatch):
    images = digit_bank.digits(20, seed=3)
    assert images.shape == (20, 28, 28) and images.dtype == np.float32
    assert images.min() >= 0 and (images.reshape(20, -1).max(axis=1) == 1).all()
    digit_bank.digits.cache_clear()  # as a new process finds them: in the data cache only

    def not_again(*arguments, **settings):
        raise AssertionError("digits were drawn again although they are cached")

    monkeypatch.setattr(digit_bank.synthetic, "stroke_digits", not_again)
    assert np.array_equal(digit_bank.digits(20, seed=3), images)


def test_a_damaged_cache_file_is_drawn_again(empty_cache):
    images = digit_bank.digits(10, seed=3)
    digit_bank.digits.cache_clear()
    next(empty_cache.glob("digit-bank/*.npz")).write_bytes(b"not a zip")
    assert np.array_equal(digit_bank.digits(10, seed=3), images)


def test_a_digit_model_s_detector_also_learns_the_drawn_digits_as_floats(monkeypatch):
    drawn = np.full((3, 28, 28), 0.5, np.float32)
    monkeypatch.setattr(digit_bank, "digits", lambda: drawn)
    pixels = np.random.default_rng(0).integers(0, 256, (40, 28, 28), dtype=np.uint8)
    assert np.array_equal(likeness_fit.teaching_digits(pixels, False), likeness_fit.training_sample(pixels))
    taught = likeness_fit.teaching_digits(pixels, True)
    assert taught.dtype == np.float32 and len(taught) == 43 and taught.max() <= 1
    assert np.array_equal(taught[:40], pipeline.unit_floats(likeness_fit.training_sample(pixels)))
    assert np.array_equal(taught[40:], drawn)


@pytest.mark.parametrize("dataset", [datasets.MNIST, datasets.FASHION])
def test_only_a_digit_model_s_refit_teaches_the_drawn_digits(dataset, monkeypatch):
    asked = []

    def fit_for_model(model, train_images, validation_images, drawn_digits):
        asked.append(drawn_digits)
        raise StopIteration  # what the fit is asked for is all this test needs

    monkeypatch.setattr(likeness_fit, "fit_for_model", fit_for_model)
    splits = sources.Splits(*[np.zeros((2, 28, 28), np.uint8), np.zeros(2, np.uint8)] * 3, source="this test")
    with pytest.raises(StopIteration):
        refit.fit_and_score(None, splits, dataset)
    assert asked == [dataset is datasets.MNIST]
