"""Training snapshots: what each file holds, how big a run's snapshots get, and reading them when files are missing
or torn. That the CLI's and the worker's path writes them, for a real training with my digits (on tiny real splits),
is checked by tests/unit/test_cli.py's foreground training, which trains that way anyway."""

from types import SimpleNamespace

import numpy as np
import pytest

from lenet import config
from lenet.data import datasets
from lenet.model import builders
from lenet.train import snapshots

MEGABYTE = 1024 * 1024


@pytest.fixture(scope="module")
def splits():
    """Generated images shaped like MNIST's test set, so the dataset's panel indices exist."""
    rng = np.random.default_rng(0)
    x_test = (rng.random((10_000, 28, 28)) < 0.2).astype("float32")
    return SimpleNamespace(x_test=x_test, y_test=np.arange(10_000) % 10, dataset="mnist")


def nudge(model, seed):
    """Change every weight a little, as an epoch of training would."""
    rng = np.random.default_rng(seed)
    model.set_weights([weights + 0.05 * rng.normal(size=weights.shape) for weights in model.get_weights()])


def my_digits(count):
    rng = np.random.default_rng(count)
    return rng.random((count, 28, 28)).astype("float32"), np.arange(count) % 10


def test_each_snapshot_holds_the_filters_the_panel_and_the_map(tmp_path, splits):
    model = builders.build_model()
    writer = snapshots.SnapshotWriter(tmp_path, splits)
    writer.begin(model)
    nudge(model, 1)
    writer.write(model, 1)
    assert snapshots.epochs(tmp_path) == [0, 1]

    subjects = snapshots.read_subjects(tmp_path)
    panel = list(datasets.MNIST.snapshot_panel)
    assert len(panel) == 16 and subjects.panel_names == tuple(f"test #{index}" for index in panel)
    np.testing.assert_array_equal(subjects.panel_labels, splits.y_test[panel])
    np.testing.assert_array_equal(subjects.panel_images, (splits.x_test[panel] * 255).astype("uint8"))
    assert subjects.class_names == datasets.MNIST.class_names
    assert len(subjects.map_indices) == 1000 and np.bincount(subjects.map_labels).tolist() == [100] * 10
    np.testing.assert_array_equal(subjects.map_labels, splits.y_test[subjects.map_indices])

    first, second = snapshots.read_snapshot(tmp_path, 0), snapshots.read_snapshot(tmp_path, 1)
    np.testing.assert_allclose(second.filters, model.get_layer("C1").get_weights()[0])
    assert not np.allclose(first.filters, second.filters)
    expected = model(splits.x_test[panel][..., None], training=False).numpy()
    np.testing.assert_allclose(second.probabilities, expected, atol=1e-5)
    assert second.positions.shape == (1000, 2) and np.isfinite(second.positions).all()


def test_my_digits_join_the_panel_newest_first_and_capped(tmp_path, splits):
    images, labels = my_digits(40)
    subjects = snapshots.choose_subjects(splits, (images, labels))
    shown = snapshots.MY_DIGITS_SHOWN
    assert len(subjects.panel_labels) == 16 + shown
    np.testing.assert_array_equal(subjects.panel_labels[16:], labels[-shown:])
    np.testing.assert_array_equal(subjects.panel_images[16:], np.rint(images[-shown:] * 255).astype("uint8"))
    assert subjects.panel_names[16:] == tuple(f"my digit {number}" for number in range(1, shown + 1))
    assert len(snapshots.choose_subjects(splits, my_digits(3)).panel_labels) == 19
    assert len(snapshots.choose_subjects(splits, None).panel_labels) == 16


def test_two_hundred_epochs_of_snapshots_fit_in_five_megabytes(tmp_path, splits):
    model = builders.build_model()
    writer = snapshots.SnapshotWriter(tmp_path, splits, my_digits(100))  # the biggest panel
    writer.begin(model)
    writer.write(model, 1)
    subjects_size = (snapshots.folder(tmp_path) / snapshots.SUBJECTS_FILE).stat().st_size
    epoch_size = (snapshots.folder(tmp_path) / "epoch-0001.npz").stat().st_size
    assert snapshots.total_bytes(tmp_path) == subjects_size + 2 * epoch_size
    largest_run = subjects_size + (config.EPOCH_RANGE[1] + 1) * epoch_size  # epochs 0 to 200
    assert largest_run <= 5 * MEGABYTE, f"{largest_run / MEGABYTE:.1f} MB"


def test_readers_skip_missing_and_torn_files(tmp_path, splits):
    model = builders.build_model()
    writer = snapshots.SnapshotWriter(tmp_path, splits)
    writer.begin(model)
    for epoch in (1, 2, 3):
        nudge(model, epoch)
        writer.write(model, epoch)
    folder = snapshots.folder(tmp_path)
    (folder / "epoch-0003.npz").write_bytes((folder / "epoch-0003.npz").read_bytes()[:3000])  # torn by a crash
    (folder / "epoch-0001.npz").unlink()
    (folder / ".epoch-0004.npz.abc.tmp.npz").write_bytes(b"being written")  # lenet.files' temporary name
    assert snapshots.epochs(tmp_path) == [0, 2, 3]
    assert snapshots.read_snapshot(tmp_path, 3) is None and snapshots.read_snapshot(tmp_path, 1) is None
    assert snapshots.latest(tmp_path).epoch == 2
    assert sorted(snapshots.read_all(tmp_path)) == [0, 2]
    (folder / snapshots.SUBJECTS_FILE).write_bytes(b"not an npz")
    assert snapshots.read_subjects(tmp_path) is None
    empty = tmp_path / "an older run"
    assert snapshots.epochs(empty) == [] and snapshots.latest(empty) is None and snapshots.read_all(empty) == {}


def test_a_fashion_run_shows_its_own_panel_and_class_names(tmp_path):
    rng = np.random.default_rng(9)
    fashion = SimpleNamespace(x_test=rng.random((10_000, 28, 28)).astype("float32"), y_test=np.arange(10_000) % 10,
                              dataset="fashion")
    writer = snapshots.SnapshotWriter(tmp_path, fashion)
    writer.begin(builders.build_model())
    subjects = snapshots.read_subjects(tmp_path)
    assert subjects.class_names == datasets.FASHION.class_names
    assert subjects.panel_names == tuple(f"test #{index}" for index in datasets.FASHION.snapshot_panel)
    assert snapshots.latest(tmp_path).epoch == 0
