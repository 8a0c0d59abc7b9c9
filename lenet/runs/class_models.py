"""Class mode's models: retraining the class model with the class set, its versions, and before → after figures.

The class model is the active model of every visitor who has not chosen another. Each accepted model is copied
into the class folder as models/vN.keras (written to a temporary file and renamed), and models/index.json says
which version is current; nothing is deleted, so a rollback to any earlier version is one change of the index. With
no version yet, callers use the bundled model.
"""

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lenet import config as lenet_config, files
from lenet.data import datasets
from lenet.model import card
from lenet.runs import store
from lenet.runs.class_set import ClassSet, ClassSetError
from lenet.train import finetune

MODELS_FOLDER = "models"
INDEX_FILE = "index.json"
TRAINING_DIGITS_STATUS = "training_digits"  # status.json's field naming a retrain's frozen digits; the worker reads it
FROZEN_FOLDER = "frozen"
KEEP_FROZEN = 3  # the worker reads its frozen digits once, as it starts: a few spare copies are plenty to look into


@dataclass(frozen=True)
class ClassModel:
    version: int
    path: Path
    accepted_at: float
    run_id: str  # the run whose model it is; "" when it came from elsewhere
    test_accuracy: float | None  # from the model's card


class ClassModels:
    """The class model's versions in `folder` (default: the class set's folder in the run store)."""

    def __init__(self, folder=None):
        self.class_set = ClassSet(folder)
        self.folder = self.class_set.folder / MODELS_FOLDER

    def _index(self):
        index = files.read_json(self.folder / INDEX_FILE, default={})
        return index if isinstance(index, dict) and isinstance(index.get("versions"), list) else {"versions": []}

    def versions(self):
        """Every accepted class model, oldest first."""
        return [ClassModel(entry["version"], self.folder / f"v{entry['version']}.keras", entry["accepted_at"],
                           entry.get("run_id", ""), entry.get("test_accuracy"))
                for entry in self._index()["versions"]]

    def current(self):
        """The current class model (a ClassModel), or None before the host accepts the first one."""
        number = self._index().get("current")
        return next((model for model in self.versions() if model.version == number), None)

    def current_path(self):
        model = self.current()
        return model.path if model and model.path.is_file() else None

    def accept(self, model_path, run_id=""):
        """Make a digit model (a retrain run's model.keras) the new class model. Returns its ClassModel."""
        model_path = Path(model_path)
        try:
            model_card = card.read(model_path)
        except card.CardError as error:
            raise ClassSetError(f"{model_path.name}: {error}") from None
        if not model_card.dataset_info.is_digits:
            raise ClassSetError(f"{model_path.name} is a {model_card.dataset_info.title} model; the class model reads "
                                "digits. Accept an MNIST model")
        with self.class_set.lock():
            index = self._index()
            version = max((entry["version"] for entry in index["versions"]), default=0) + 1
            self.folder.mkdir(parents=True, exist_ok=True)
            with files.atomic_path(self.folder / f"v{version}.keras") as temporary:
                shutil.copyfile(model_path, temporary)
            index["versions"].append({"version": version, "accepted_at": time.time(), "run_id": run_id,
                                      "test_accuracy": model_card.test_accuracy})
            files.write_json(self.folder / INDEX_FILE, {**index, "current": version})
        return self.current()

    def rollback(self, version):
        """Make an earlier (or any) accepted version the class model again."""
        with self.class_set.lock():
            index = self._index()
            if version not in [entry["version"] for entry in index["versions"]]:
                known = ", ".join(str(entry["version"]) for entry in index["versions"]) or "none yet"
                raise ClassSetError(f"there is no class model version {version!r}; the versions are: {known}")
            files.write_json(self.folder / INDEX_FILE, {**index, "current": version})
        return self.current()


def current_class_model(folder=None):
    """The current class model's path, or None (then use the bundled model)."""
    return ClassModels(folder).current_path()


def retrain_config(model_path=None, epochs=None, learning_rate=None, folder=None):
    """(TrainConfig, status fields) that fine-tune the class model on MNIST plus the class set's training part.

    The recipe is My digits' (lenet.train.finetune.retrain_config), from `model_path` (default: the current class
    model, else the bundled one). The training digits are frozen into one .npz now, so digits given while the
    run waits or trains do not change what it learns. Start it with public.submit(config, owner, **status) or
    worker.start(config, **status): the status fields tell the worker to read the frozen digits.
    """
    class_set = ClassSet(folder)
    digits = class_set.training_digits()
    if not digits:
        raise ClassSetError("the class set has no digits to train with yet (held-out visitors' digits only measure "
                            "the model): ask the class to give some first")
    model_path = model_path or current_class_model(folder) or lenet_config.BUNDLED_MODEL_PATH
    train_config = finetune.retrain_config("finetune", model_path, epochs, learning_rate, digit_count=len(digits))
    frozen = class_set.folder / FROZEN_FOLDER / f"{time.strftime('%Y%m%d-%H%M%S')}-{time.time_ns() % 10**9:09d}-" \
        f"{len(digits)}.npz"
    files.write_atomic(frozen, class_set.export_npz(digits))
    prune_frozen(class_set.folder, keep={frozen})
    return train_config, {TRAINING_DIGITS_STATUS: str(frozen)}


def prune_frozen(folder=None, keep=(), runs_root=None):
    """Delete retrains' frozen digits beyond the newest KEEP_FROZEN, except `keep` and those a queued or running
    retrain still names (a queued one has not read its own yet). Returns the deleted paths."""
    frozen_folder = ClassSet(folder).folder / FROZEN_FOLDER
    active = {Path(run.status[TRAINING_DIGITS_STATUS]) for run in store.list_runs(runs_root)
              if run.state in store.ACTIVE_STATES and run.status.get(TRAINING_DIGITS_STATUS)}
    newest_first = sorted(frozen_folder.glob("*.npz"), key=lambda path: (path.stat().st_mtime, path.name),
                          reverse=True)
    kept = {Path(path) for path in keep} | active
    deleted = [path for path in newest_first[KEEP_FROZEN:] if path not in kept]
    for path in deleted:
        path.unlink(missing_ok=True)
    return deleted


@dataclass(frozen=True)
class Comparison:
    before: float | None  # accuracy from 0 to 1, or None when there is nothing to measure
    after: float | None
    count: int


def compare(before_path, after_path, splits=None, folder=None):
    """Before → after accuracy of two models: {"held_out", "fooling", "mnist_test": Comparison}.

    Accuracy is the top answer's, as the test accuracy is; an abstention does not count against it. `splits` is
    MNIST's (lenet.data.sources.load), or any object with x_test and y_test.
    """
    from lenet.data import sources
    from lenet.serve.inference import Classifier  # TensorFlow loads here, when the host asks for the figures

    class_set = ClassSet(folder)
    splits = splits or sources.load(datasets.DEFAULT)
    sets = {"held_out": class_set.held_out_arrays(), "fooling": class_set.fooling_arrays(),
            "mnist_test": (splits.x_test, splits.y_test)}
    models = [Classifier(before_path), Classifier(after_path)]
    return {name: Comparison(*[_accuracy(model, images, labels) for model in models], len(labels))
            for name, (images, labels) in sets.items()}


def _accuracy(classifier, images, labels):
    if len(labels) == 0:
        return None
    return float(np.mean(classifier.probabilities(images).argmax(axis=1) == np.asarray(labels)))
