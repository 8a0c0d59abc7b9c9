"""Retraining with "my digits": the model learns a style MNIST lacks and keeps its MNIST accuracy.

The suite's one training on all of MNIST (an accuracy within 0.3 points needs the real data); every other test that
trains uses the tiny real splits of tests/tiny_data.py."""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from lenet import config
from lenet.data import my_digits, sources
from lenet.runs import store, worker
from lenet.serve import inference, preprocess
from lenet.train import finetune

pytestmark = pytest.mark.mnist


def mirrored_crossbar_seven(rng):
    """A made-up personal style: a 7 written mirror-wise with a crossbar. MNIST models read it as a 5."""
    canvas = Image.new("L", (280, 280), 0)
    size = rng.uniform(150, 230)
    left, top = rng.uniform(20, 260 - size * 0.7), rng.uniform(20, 260 - size)
    slant = rng.uniform(-0.15, 0.15)

    def point(across, down):
        wobble = rng.uniform(-0.04, 0.04, size=2)
        return (left + (across + wobble[0] + slant * (1 - down)) * size * 0.7, top + (down + wobble[1]) * size)

    pen = ImageDraw.Draw(canvas)
    width = int(rng.uniform(14, 24))
    pen.line([point(1, 0), point(0, 0), point(0.65, 1)], fill=255, width=width, joint="curve")
    pen.line([point(0.05, 0.5), point(0.75, 0.5)], fill=255, width=width)
    return preprocess.to_mnist_digit(np.asarray(canvas))


def accuracy(classifier, images, labels):
    return float((classifier.probabilities(images).argmax(axis=1) == labels).mean())


def test_finetuning_learns_my_digits_and_keeps_mnist_accuracy():
    rng = np.random.default_rng(0)
    before = inference.Classifier(config.BUNDLED_MODEL_PATH)
    for _ in range(40):
        digit = mirrored_crossbar_seven(rng)
        my_digits.save_digit(digit, 7, int(before.probabilities(digit).argmax()))
    held_out_images, held_out_labels = my_digits.evaluation_arrays()
    assert len(held_out_labels) == 10  # every 4th digit is held out and never trained on

    train_config = finetune.retrain_config("finetune", config.BUNDLED_MODEL_PATH)
    assert train_config.my_digits and train_config.init_model and train_config.learning_rate <= 1e-3
    run_dir = store.new_run(train_config)
    summary = worker.execute(run_dir)  # what the worker process runs, in this process
    after = inference.Classifier(run_dir / store.MODEL_FILE)

    splits = sources.load(log=lambda line: None)
    mnist_before = accuracy(before, splits.x_test, splits.y_test)
    assert summary["test_accuracy"] == pytest.approx(accuracy(after, splits.x_test, splits.y_test), abs=1e-4)
    assert accuracy(before, held_out_images, held_out_labels) < 0.3
    assert accuracy(after, held_out_images, held_out_labels) >= 0.9
    assert abs(summary["test_accuracy"] - mnist_before) <= 0.003
