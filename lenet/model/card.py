"""The model card: what a saved model is, stored inside its own .keras file.

A .keras file is a zip archive, and Keras reads only its own members, so the card travels inside the file as one
more member, lenet_card.json: copied, downloaded, bundled or fine-tuned, a model always says which dataset and
classes it knows, how it was trained, how well it did, and what the "not a digit" check needs. Code reads the card
and never guesses from layers. A model file from elsewhere, with no card, reads as an MNIST digit model and says so.
"""

import dataclasses
import json
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lenet import config as lenet_config, files
from lenet.data import browse, datasets

CARD_MEMBER = "lenet_card.json"
CARD_VERSION = 1


class CardError(ValueError):
    """A model card that is damaged or describes something this version cannot use."""


class ModelLoadError(ValueError):
    """A model file that is missing, unreadable, unsafe, or not a classifier of its dataset's 28×28 images.

    Defined beside the card, below Keras: what the card alone shows is refused before Keras loads (lenet.serve.inference
    raises it too)."""


@dataclass(frozen=True)
class ModelCard:
    dataset: str = datasets.DEFAULT
    class_names: tuple = ()  # the dataset's, copied so the file describes itself wherever it goes
    config: dict = dataclasses.field(default_factory=dict)  # the full TrainConfig, as TrainConfig.to_dict()
    test_accuracy: float | None = None  # on the dataset's 10,000 test images; None until the run has ended
    test_loss: float | None = None
    likeness: dict | None = None  # the statistics lenet.serve.likeness needs to say "not a digit"; None if not computed
    # Each class's mean training image, 784 bytes in hex per class (see class_means_of): where the network's gradient
    # vanishes, "What would make it a k?" steps towards k's mean (lenet.explain.attribution). None if not computed.
    class_means: list | None = None
    run_id: str = ""
    reproduce: str = ""  # the command line that trains this model again
    saved_at: float = 0.0
    found: bool = True  # False for a file with no card, which reads as an MNIST digit model

    def __post_init__(self):
        dataset = datasets.get(self.dataset)  # an unknown dataset raises DatasetError, a ValueError
        if not self.class_names:
            object.__setattr__(self, "class_names", dataset.class_names)
        if self.class_means is not None:
            self.class_mean_images()  # a damaged entry fails here, when the card is read, not in an explanation

    def class_mean_images(self):
        """(classes, 28, 28) float32 in [0, 1]: each class's mean training image; None where the card has none."""
        if self.class_means is None:
            return None
        classes = datasets.get(self.dataset).num_classes
        try:
            means = np.stack([np.frombuffer(bytes.fromhex(row), np.uint8) for row in self.class_means])
        except (TypeError, ValueError):
            raise CardError("the model card's class means are not hex strings of bytes") from None
        if means.shape != (classes, 28 * 28):
            raise CardError(f"the model card's class means are {means.shape}; expected ({classes}, 784)")
        return means.reshape(classes, 28, 28).astype(np.float32) / 255.0

    @property
    def dataset_info(self):
        return datasets.get(self.dataset)

    @property
    def architecture(self):
        """variant, activation and pooling, from the training config; None when the card does not say."""
        if not self.config:
            return None
        try:
            return lenet_config.TrainConfig.from_dict(self.config).model_config()
        except ValueError:
            return None

    def describe(self):
        """One line for people: the dataset, the recipe and the test accuracy, or why they are unknown."""
        if not self.found:
            return "no model card: read as an MNIST digit model; its training and accuracy are unknown"
        accuracy = f", {self.test_accuracy:.2%} on the test set" if self.test_accuracy is not None else ""
        preset = f"{self.config.get('preset')} preset" if self.config.get("preset") else "unknown recipe"
        return f"{self.dataset_info.title} ({self.dataset_info.noun}s), {preset}{accuracy}"

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)

    def to_dict(self):
        values = {**dataclasses.asdict(self), "class_names": list(self.class_names)}
        del values["found"]  # a written card is found by definition
        return {"card_version": CARD_VERSION, **values}

    @classmethod
    def from_dict(cls, values):
        if not isinstance(values, dict):
            raise CardError(f"a model card is a JSON object, got {type(values).__name__}")
        if values.get("card_version") != CARD_VERSION:
            raise CardError(f"model card version {values.get('card_version')!r}; this version reads {CARD_VERSION}")
        known = {field.name for field in dataclasses.fields(cls)} - {"found"}
        fields = {name: value for name, value in values.items() if name in known}
        try:
            card = cls(**{**fields, "class_names": tuple(fields.get("class_names", ()))})
        except (TypeError, ValueError) as error:
            raise CardError(f"the model card is damaged: {error}") from None
        if len(card.class_names) != card.dataset_info.num_classes or not isinstance(card.config, dict):
            raise CardError(f"the model card is damaged: {len(card.class_names)} class names for {card.dataset}")
        return card


def class_means_of(images, labels, num_classes):
    """ModelCard.class_means for (N, 28, 28) images, uint8 pixels or floats in [0, 1], and their labels: each class's
    mean, to the nearest 1/255, as the 784 bytes' hex; None when some class has no images (a small test split)."""
    labels = np.asarray(labels)
    if set(np.unique(labels).tolist()) != set(range(num_classes)):
        return None
    scale = 1.0 if np.asarray(images).dtype == np.uint8 else 255.0  # a mean of pixels is already in levels of ink
    means = browse.class_means(images, labels)[:num_classes] * scale
    return [np.rint(np.clip(mean, 0, 255)).astype(np.uint8).tobytes().hex() for mean in means]


def for_config(train_config, run_id="", reproduce=""):
    """The card of a model being trained with `train_config`; test figures and likeness are added when it ends."""
    dataset = datasets.get(train_config.dataset)
    return ModelCard(dataset.name, dataset.class_names, train_config.to_dict(), run_id=run_id, reproduce=reproduce)


def read(path):
    """The card inside a .keras file; a default MNIST card (found=False) when it has none. CardError if damaged."""
    try:
        with zipfile.ZipFile(path) as archive:
            if CARD_MEMBER not in archive.namelist():
                return ModelCard(found=False)
            raw = archive.read(CARD_MEMBER)
    except (OSError, zipfile.BadZipFile) as error:
        raise CardError(f"cannot read {path}: {error}") from None
    try:
        values = json.loads(raw)
    except ValueError:
        raise CardError(f"the model card in {path} is not JSON") from None
    return ModelCard.from_dict(values)


def read_for_model(path):
    """read(path) for a model about to be loaded: a damaged card is a ModelLoadError that names the file."""
    try:
        return read(path)
    except ValueError as error:  # a CardError, or a card naming an unknown dataset
        raise ModelLoadError(f"{Path(path).name}: {error}") from None


def save_model(model, path, card):
    """Save a Keras model with its card in one atomic step: a reader sees the old file or the new one, whole."""
    with files.atomic_path(path) as temporary:
        model.save(temporary)
        _add_card(temporary, card)


def write(path, card):
    """Replace the card inside an existing .keras file, atomically."""
    with files.atomic_path(path) as temporary:
        with zipfile.ZipFile(path) as source, zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as target:
            for item in source.infolist():
                if item.filename != CARD_MEMBER:
                    target.writestr(item, source.read(item.filename))
        _add_card(temporary, card)


def _add_card(archive_path, card):
    card = card.replace(saved_at=time.time())
    with zipfile.ZipFile(archive_path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(CARD_MEMBER, json.dumps(card.to_dict(), indent=1))
