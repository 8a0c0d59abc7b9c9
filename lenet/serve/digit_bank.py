"""Digits drawn in code as hands draw them on the canvas, steady and shaky, which the digit-likeness detector learns
to keep, beside MNIST's own digits, and which a run with TrainConfig.drawn_digits also trains on, by their labels.

MNIST's digits were written with a pen on paper; Draw's come from a mouse or a finger, and some hands shake. Taught
MNIST's alone, the bundled model's detector refused 4.4% of the stroke digits of `bench` when drawn with three times
the usual wobble; taught these as well, 1.0%, with 0.80% of the MNIST test set abstained against 0.74%, and as many
non-digits refused as before (BENCHMARKS.md, "Not a digit, family by family"). Like the outlier bank, they are drawn
on a small canvas, with a seed of their own, and kept in the data cache (generated, never committed).

Beside them, their negative twin: the same digits, broken (broken_digits), which the detectors learn to refuse. A
question mark is a 2's curve with a dot under it, a bracket is part of a 0: a detector taught the bank's families
alone passed most of both as digits when they were left out of it. Taught digits with a part gone, a stray mark or
a piece moved, it refused 14 and 15 points more of the brackets and the question marks it never saw, and 5 fewer of
the letters set in type (BENCHMARKS.md, "Not a digit, family by family").
"""

from functools import cache

import numpy as np

from lenet.data import npz, pen_shapes, synthetic
from lenet.serve import outlier_bank, preprocess

VERSION = 2  # bump when the drawings or the file change: fitted detectors depend on them (2: labels kept too)
COUNT = 2100
SEED = 20261205  # never the seed of a test set, nor the outlier bank's
SHAKINESS = (1.0, 3.0)  # how far the hand strays, in synthetic.WOBBLE: from as steady as the test digits to 3 times
BROKEN_COUNT = 2000
BROKEN_SEED = 20261207  # never the seed of a test set, nor the whole digits'
BROKEN_SHAKINESS = (1.0, 2.0)  # as SHAKINESS: from as steady as the test digits to twice
POINTS_PER_STROKE = 40  # a stroke is broken as this many points evenly along it: a share of them, a share of its length
SHORTEST_BROKEN = POINTS_PER_STROKE // 5  # a piece of a stroke shorter than this is left as it is
# How much a break changes, in the digit's box. Breaks held to larger changes (a third of a stroke or more, marks clear
# of the ink, moves of 0.15 or more) refused fewer brackets and question marks, and no fewer digits (12-07).
TAKEN_AWAY = (0.25, 0.5)  # the share of a stroke taken away; a stray mark is pen_shapes.stray_mark's dot or dash
MOVED_BY = 0.25  # how far a moved piece goes: the spread of its shift in each direction


def digits(count=COUNT, seed=SEED):
    """(N, 28, 28) float32 digit images as the model sees them, drawn once and then read from the data cache."""
    return labelled_digits(count, seed)[0]


@cache
def labelled_digits(count=COUNT, seed=SEED):
    """(images, labels): digits(), and which digit each is (uint8), for training to read them too."""
    stored = npz.cached(_path(count, seed), lambda: _labelled(count, seed), names=("images", "labels"))
    return stored["images"], stored["labels"]


def _labelled(count, seed):
    """{"images", "labels"}: `count` digits drawn now, those that prepare to nothing left out."""
    drawn = synthetic.stroke_digits(count, seed, shakiness=SHAKINESS, size=outlier_bank.CANVAS)
    prepared = [(label, digit) for label, digit in ((label, preprocess.to_mnist_digit(image)) for label, image in drawn)
                if digit is not None]
    return {"images": np.stack([digit for _, digit in prepared]),
            "labels": np.array([label for label, _ in prepared], np.uint8)}


@cache
def broken_digits(count=BROKEN_COUNT, seed=BROKEN_SEED):
    """(N, 28, 28) float32 non-digits as the model sees them: digits drawn as digits() are, each broken once or twice
    (_broken), drawn once and then read from the data cache."""
    drawn = lambda: {"images": _broken_images(count, seed)}
    return npz.cached(_path(count, seed, kind="broken"), drawn, names=("images",))["images"]


def _broken_images(count, seed):
    """`count` broken digits drawn now, those that prepare to nothing left out."""
    rng = np.random.default_rng(seed)
    return preprocess.to_mnist_digits(_broken_drawing(index % 10, rng) for index in range(count))


def _broken_drawing(label, rng):
    """One digit `label` in a random style of synthetic.DIGIT_STYLES, broken, painted as the canvas would send it."""
    strokes, aspect = synthetic.DIGIT_STYLES[label][rng.integers(len(synthetic.DIGIT_STYLES[label]))]
    return synthetic.render(_broken(strokes, rng), aspect, rng, size=outlier_bank.CANVAS,
                            wobble=synthetic.WOBBLE * rng.uniform(*BROKEN_SHAKINESS))


def _broken(strokes, rng):
    """The strokes broken once or twice, each time in one of three ways: a part taken away, a stray mark added, or a
    part moved off its place."""
    strokes = [_evenly(stroke) for stroke in strokes]
    for _ in range(rng.integers(1, 3)):
        break_with = (_part_taken_away, _stray_mark, _part_moved)[rng.integers(3)]
        long_ones = [index for index, stroke in enumerate(strokes) if len(stroke) >= SHORTEST_BROKEN]  # never a mark
        index = long_ones[rng.integers(len(long_ones))]
        strokes = [stroke for stroke in break_with(strokes, index, rng) if len(stroke) >= 2]
    return [list(map(tuple, stroke)) for stroke in strokes]


def _part_taken_away(strokes, index, rng):
    """A share TAKEN_AWAY of one stroke gone: from its start, its end or its middle."""
    stroke = strokes[index]
    cut = int(len(stroke) * rng.uniform(*TAKEN_AWAY))
    start = (0, len(stroke) - cut, rng.integers(1, len(stroke) - cut))[rng.integers(3)]
    return strokes[:index] + [stroke[:start], stroke[start + cut:]] + strokes[index + 1:]


def _stray_mark(strokes, index, rng):
    """A dot or a short dash anywhere in the box."""
    return strokes + [pen_shapes.stray_mark(rng)]


def _part_moved(strokes, index, rng):
    """One stroke's start or end, up to the whole of it, shifted off its place by MOVED_BY in each direction."""
    stroke = strokes[index]
    cut = rng.integers(1, len(stroke) - 1)
    piece, rest = (stroke[cut:], stroke[:cut]) if rng.random() < 0.5 else (stroke[:cut], stroke[cut:])
    return strokes[:index] + [rest, piece + rng.normal(0, MOVED_BY, 2)] + strokes[index + 1:]


def _evenly(stroke):
    """The stroke as POINTS_PER_STROKE points evenly along its length."""
    stroke = np.asarray(stroke, float)
    along = np.concatenate([[0], np.cumsum(np.linalg.norm(np.diff(stroke, axis=0), axis=1))])
    at = np.linspace(0, along[-1], POINTS_PER_STROKE)
    return np.stack([np.interp(at, along, stroke[:, 0]), np.interp(at, along, stroke[:, 1])], axis=1)


def _path(count, seed, kind="digits"):
    """Where digits drawn this way are cached (preprocess.cache_path)."""
    return preprocess.cache_path("digit-bank", kind, VERSION, count, seed)
