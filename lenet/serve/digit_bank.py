"""Digits drawn in code as hands draw them on the canvas, steady and shaky, which the digit-likeness detector learns
to keep, beside MNIST's own digits, and which a run with TrainConfig.drawn_digits also trains on, by their labels.

MNIST's digits were written with a pen on paper; Draw's come from a mouse or a finger, and some hands shake. Taught
MNIST's alone, the bundled model's detector refused 4.4% of the stroke digits of `bench` when drawn with three times
the usual wobble; taught these as well, 1.0%, with 0.80% of the MNIST test set abstained against 0.74%, and as many
non-digits refused as before (BENCHMARKS.md, "Not a digit, family by family"). Like the outlier bank, they are drawn
on a small canvas, with a seed of their own, and kept in the data cache (generated, never committed).
"""

from functools import cache

import numpy as np

from lenet import files
from lenet.data import npz, synthetic
from lenet.serve import outlier_bank, preprocess

VERSION = 2  # bump when the drawings or the file change: fitted detectors depend on them (2: labels kept too)
COUNT = 2100
SEED = 20261205  # never the seed of a test set, nor the outlier bank's
SHAKINESS = (1.0, 3.0)  # how far the hand strays, in synthetic.WOBBLE: from as steady as the test digits to 3 times


def digits(count=COUNT, seed=SEED):
    """(N, 28, 28) float32 digit images as the model sees them, drawn once and then read from the data cache."""
    return labelled_digits(count, seed)[0]


@cache
def labelled_digits(count=COUNT, seed=SEED):
    """(images, labels): digits(), and which digit each is (uint8), for training to read them too."""
    path = _path(count, seed)
    stored = npz.read_all(path)
    if stored is not None and set(stored) == {"images", "labels"}:
        return stored["images"], stored["labels"]
    drawn = synthetic.stroke_digits(count, seed, shakiness=SHAKINESS, size=outlier_bank.CANVAS)
    prepared = [(label, digit) for label, digit in ((label, preprocess.to_mnist_digit(image)) for label, image in drawn)
                if digit is not None]
    images, labels = np.stack([digit for _, digit in prepared]), np.array([label for label, _ in prepared], np.uint8)
    npz.write_cache(path, {"images": images, "labels": labels})  # read-only, it costs the next fit the same few seconds
    return images, labels


def _path(count, seed):
    """Where digits drawn this way are cached: the name says what made them, so a change makes a new file."""
    name = f"digits-v{VERSION}.{preprocess.PREPARATION_VERSION}-{count}-{seed}.npz"
    return files.data_cache_dir("digit-bank") / name
