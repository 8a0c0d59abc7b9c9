"""Training snapshots: at the end of every epoch, a small record of what the network has become.

runs/<id>/snapshots/ holds
- subjects.npz, written once when training begins: the panel (the dataset's 16 chosen test images, then up to
  MY_DIGITS_SHOWN of the user's "my digits" when the run trains with them), their labels and names, the map's test
  images (MAP_PER_CLASS of each class) and the class names;
- epoch-0000.npz (the untrained network), epoch-0001.npz, …: C1's filters, the panel's probabilities and the map's
  2-D positions (lenet.explain.feature_map: PCA of F6's feature directions, turned onto the previous epoch's by
  Procrustes, so the map stays comparable from epoch to epoch).

Each file is written atomically (lenet.files), about 10 KB an epoch: 200 epochs stay under 2.5 MB. Readers skip a
missing or unreadable file, as metrics.jsonl's readers skip a torn line.
"""

import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lenet import config as lenet_config, files
from lenet.data import datasets
from lenet.explain import feature_map

FOLDER = "snapshots"
SUBJECTS_FILE = "subjects.npz"
EPOCH_FILE = re.compile(r"^epoch-(\d{4})\.npz$")
MAP_PER_CLASS = 100  # 1,000 test images on a ten-class map
MY_DIGITS_SHOWN = 16  # the newest of my digits join the panel; a big imported set would crowd it
FILTER_LAYER = "C1"


@dataclass(frozen=True)
class Subjects:
    """What every snapshot of a run shows: the panel and the map's images, fixed for the whole run."""
    class_names: tuple
    panel_images: np.ndarray  # (P, 28, 28) uint8
    panel_labels: np.ndarray  # (P,)
    panel_names: tuple  # "test #123" or "my digit 3"
    map_indices: np.ndarray  # (M,) indices into the test set
    map_labels: np.ndarray  # (M,)


@dataclass(frozen=True)
class Snapshot:
    epoch: int  # 0 is the network before training
    filters: np.ndarray  # C1's kernels, (5, 5, 1, 6)
    probabilities: np.ndarray  # (P, classes) for the panel
    positions: np.ndarray  # (M, 2) of the map's images


def folder(run_dir):
    return Path(run_dir) / FOLDER


def choose_subjects(splits, extra_training=None):
    """The panel and the map for a run on `splits`, with the newest of my digits when they are trained on."""
    dataset = datasets.get(splits.dataset)
    panel = list(dataset.snapshot_panel)
    images = [splits.x_test[panel]]
    labels = [np.asarray(splits.y_test)[panel]]
    names = [f"test #{index}" for index in panel]
    if extra_training is not None and len(extra_training[0]):
        mine = slice(-MY_DIGITS_SHOWN, None)  # my digits come oldest first
        images.append(np.asarray(extra_training[0], dtype="float32")[mine])
        labels.append(np.asarray(extra_training[1])[mine])
        names += [f"my digit {number}" for number in range(1, len(labels[-1]) + 1)]
    map_indices = feature_map.first_per_class(splits.y_test, MAP_PER_CLASS, dataset.num_classes)
    return Subjects(dataset.class_names, _to_uint8(np.concatenate(images)), np.concatenate(labels).astype("int32"),
                    tuple(names), map_indices.astype("int32"), np.asarray(splits.y_test)[map_indices].astype("int32"))


class SnapshotWriter:
    """Writes a run's snapshots; training calls begin(model) once, then write(model, epoch) after each epoch."""

    def __init__(self, run_dir, splits, extra_training=None):
        self.folder = folder(run_dir)
        self.subjects = choose_subjects(splits, extra_training)
        # One batch holds the panel and the map's images, so each snapshot is one pass through the network.
        self.images = np.concatenate([self.subjects.panel_images.astype("float32") / 255.0,
                                      splits.x_test[self.subjects.map_indices]])
        self.previous_positions = None

    def begin(self, model):
        """Write the subjects and the untrained network's snapshot (epoch 0)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        subjects = self.subjects
        _write_npz(self.folder / SUBJECTS_FILE, class_names=np.asarray(subjects.class_names),
                   panel_images=subjects.panel_images, panel_labels=subjects.panel_labels,
                   panel_names=np.asarray(subjects.panel_names), map_indices=subjects.map_indices,
                   map_labels=subjects.map_labels)
        self.features = feature_map.feature_function(model, (lenet_config.FEATURE_LAYER, lenet_config.LAYER_NAMES[-1]))
        return self.write(model, 0)

    def write(self, model, epoch):
        """Write epoch `epoch`'s snapshot of `model`; returns the seconds it took."""
        started = time.perf_counter()
        features, probabilities = self.features(self.images)
        panel_size = len(self.subjects.panel_labels)
        positions = feature_map.epoch_positions(feature_map.directions(features[panel_size:]), self.previous_positions)
        self.previous_positions = positions
        _write_npz(self.folder / f"epoch-{epoch:04d}.npz", epoch=np.int32(epoch),
                   filters=model.get_layer(FILTER_LAYER).get_weights()[0].astype("float32"),
                   probabilities=probabilities[:panel_size].astype("float32"), positions=positions)
        return time.perf_counter() - started


def epochs(run_dir):
    """The epochs that have a snapshot file, in order (a file may still prove unreadable)."""
    found = folder(run_dir)
    if not found.is_dir():
        return []
    return sorted(int(match.group(1)) for match in map(EPOCH_FILE.match, (path.name for path in found.iterdir()))
                  if match)


def read_subjects(run_dir):
    """The run's Subjects, or None when it has none (an older run) or the file is unreadable."""
    fields = _read_npz(folder(run_dir) / SUBJECTS_FILE)
    try:
        return Subjects(tuple(str(name) for name in fields["class_names"]), fields["panel_images"],
                        fields["panel_labels"], tuple(str(name) for name in fields["panel_names"]),
                        fields["map_indices"], fields["map_labels"])
    except (KeyError, TypeError):
        return None


def read_snapshot(run_dir, epoch):
    """Epoch `epoch`'s snapshot, or None when it is missing or unreadable."""
    fields = _read_npz(folder(run_dir) / f"epoch-{epoch:04d}.npz")
    try:
        return Snapshot(int(fields["epoch"]), fields["filters"], fields["probabilities"], fields["positions"])
    except (KeyError, TypeError):
        return None


def read_all(run_dir):
    """Every readable snapshot of a run, by epoch; unreadable ones are left out."""
    found = (read_snapshot(run_dir, epoch) for epoch in epochs(run_dir))
    return {snapshot.epoch: snapshot for snapshot in found if snapshot is not None}


def latest(run_dir):
    """The newest readable snapshot, or None: a half-written or damaged last file falls back to the one before."""
    for epoch in reversed(epochs(run_dir)):
        snapshot = read_snapshot(run_dir, epoch)
        if snapshot is not None:
            return snapshot
    return None


def total_bytes(run_dir):
    found = folder(run_dir)
    return sum(path.stat().st_size for path in found.iterdir()) if found.is_dir() else 0


def _write_npz(path, **arrays):
    with files.atomic_path(path) as temporary:
        np.savez(temporary, **arrays)


def _read_npz(path):
    """The arrays in an .npz file as a dict, or {} when it is missing or damaged."""
    try:
        with np.load(path, allow_pickle=False) as fields:
            return {name: fields[name] for name in fields.files}
    except Exception:  # missing, cut short by a crash, or not an .npz: treated as absent, never fatal
        return {}


def _to_uint8(images):
    return np.clip(np.rint(np.asarray(images) * 255.0), 0, 255).astype("uint8")
