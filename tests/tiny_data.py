"""Tiny real splits: the first few thousand images of the real MNIST or Fashion-MNIST files, for the tests that need
some training but not the tutorial's 50,000 images (an epoch takes a second, not half a minute).

The test set stays whole: classifying 10,000 images takes about a second, and a run's test_predictions.npy and
confusion matrix then line up with what the pages read from the full dataset.

Run as `python -m tests.tiny_data RUN_DIR`, this is lenet's own training worker (lenet.runs.worker's main, unchanged)
training on these splits. lenet.runs.worker.start runs it in place of itself where LENET_WORKER_MODULE names it: the
tiny_worker fixture (tests/conftest.py) sets that for a test, and the app server the browser tests use is started
with it (.ci/run, tests/browser/conftest.py).
"""

import runpy

import numpy as np

from lenet.data import datasets, sources

TRAIN_SIZE = 5000
VALIDATION_SIZE = 1000

_tiny = {}  # dataset name -> its tiny splits, made once per process


def tiny_splits(dataset_name=datasets.DEFAULT):
    """The dataset's tutorial splits cut to their first TRAIN_SIZE training and VALIDATION_SIZE validation images,
    the test set whole: what sources.load gives, cut.

    Cut from the checked pixels, before they become floats: turning all 70,000 images into floats takes a second of
    CPU, which every process that trains on these splits (a test process, each test's worker) would spend.
    """
    if dataset_name not in _tiny:
        dataset = datasets.get(dataset_name)
        fetched = sources.fetch(dataset.name, log=lambda line: None)
        x_train, y_train, x_test, y_test = sources.load_arrays(fetched.directory, dataset.num_classes)
        validation_start = len(x_train) - dataset.validation_size
        kept = np.r_[:TRAIN_SIZE, validation_start : validation_start + VALIDATION_SIZE]
        _tiny[dataset_name] = sources.split_tutorial(x_train[kept], y_train[kept], x_test, y_test, fetched.source,
                                                     VALIDATION_SIZE, dataset.name)
    return _tiny[dataset_name]


def load(dataset_name=datasets.DEFAULT, cache_dir=None, log=print):
    """sources.load's stand-in: the tiny splits of the dataset asked for."""
    return tiny_splits(dataset_name)


if __name__ == "__main__":
    # The worker imports numpy before it lowers its priority, as this module does: nothing here starts a thread.
    sources.load = load
    runpy.run_module("lenet.runs.worker", run_name="__main__", alter_sys=True)
