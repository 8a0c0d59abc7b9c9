"""Tiny real splits: the first few thousand images of the real MNIST or Fashion-MNIST files, for the tests that need
some training but not the tutorial's 50,000 images (an epoch takes a second, not half a minute).

The test set stays whole: classifying 10,000 images takes about a second, and a run's test_predictions.npy and
confusion matrix then line up with what the pages read from the full dataset.

Run as `python -m tests.tiny_data RUN_DIR`, this is lenet's own training worker (lenet.runs.worker's main, unchanged)
training on these splits. lenet.runs.worker.start runs it in place of itself where LENET_WORKER_MODULE names it: the
tiny_worker fixture (tests/conftest.py) sets that for a test, and the app server the browser tests use is started
with it (.ci/run, tests/browser/conftest.py).
"""

import dataclasses
import runpy

from lenet.data import datasets, sources

TRAIN_SIZE = 5000
VALIDATION_SIZE = 1000

_real_load = sources.load
_tiny = {}  # dataset name -> its tiny splits, made once per process


def tiny_splits(dataset_name=datasets.DEFAULT):
    """The dataset's tutorial splits cut to TRAIN_SIZE training and VALIDATION_SIZE validation images (read-only
    views); the test set whole."""
    if dataset_name not in _tiny:
        full = _real_load(dataset_name, log=lambda line: None)
        _tiny[dataset_name] = dataclasses.replace(
            full, x_train=full.x_train[:TRAIN_SIZE], y_train=full.y_train[:TRAIN_SIZE],
            x_val=full.x_val[:VALIDATION_SIZE], y_val=full.y_val[:VALIDATION_SIZE])
    return _tiny[dataset_name]


def load(dataset_name=datasets.DEFAULT, cache_dir=None, log=print):
    """sources.load's stand-in: the tiny splits of the dataset asked for."""
    return tiny_splits(dataset_name)


if __name__ == "__main__":
    # The worker imports numpy before it lowers its priority, as this module does: nothing here starts a thread.
    sources.load = load
    runpy.run_module("lenet.runs.worker", run_name="__main__", alter_sys=True)
