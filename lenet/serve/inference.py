"""Inference: load a model safely with its card, classify images in a few milliseconds, expose feature maps and filters."""

import stat
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from lenet import config as lenet_config
from lenet.model import builders
# The model card inside a .keras file (a default MNIST card if it has none); ModelLoadError if it is damaged.
from lenet.model.card import ModelLoadError, read_for_model as read_card
from lenet.serve import likeness, photo, preprocess

BATCH_SIZE = 1000
# How an upload or a drawing becomes the 28×28 image a model sees, by its dataset's image style (lenet/data/datasets.py).
PREPARE = {"digit": preprocess.to_mnist_digit, "photo": photo.to_fashion_image}


@dataclass(frozen=True)
class Prediction:
    label: int | None  # the class, or None when the image holds nothing to classify
    probabilities: np.ndarray | None  # one probability per class, or None
    image: np.ndarray | None  # the 28×28 image the model saw, or None
    likeness: float | None = None  # how typical of the training images it is, 0-100 (lenet.serve.likeness); None: unknown
    looks_like: bool | None = None  # False: unlike the dataset, so the model abstains; None: it cannot judge

    @property
    def abstained(self):
        return self.looks_like is False


def model_file_time(path):
    """A model file's modification time: the app's cache key for what it reads from the file, which changes when the
    file is rewritten. ModelLoadError where there is no such file (deleted, even between a check and the read)."""
    try:
        status = Path(path).stat()
    except OSError:
        status = None
    if status is None or not stat.S_ISREG(status.st_mode):
        raise ModelLoadError(f"no model file at {path}")
    return status.st_mtime


def load_model(path):
    """Load a .keras model with Keras's safe_mode, which refuses models that carry code (Lambda layers)."""
    path = Path(path)
    model_file_time(path)  # ModelLoadError where there is no model file
    try:
        model = keras.models.load_model(path, safe_mode=True, compile=False)
    except Exception as error:  # Keras raises many kinds of errors for bad files; all mean "cannot use this file".
        if "safe_mode" in str(error) or "lambda" in str(error).lower():
            raise ModelLoadError(f"refused to load {path.name}: it contains code (a Lambda layer), which could run "
                                 "anything on this machine. Use a model without Lambda layers.") from None
        raise ModelLoadError(f"could not load {path.name} as a Keras model: {error}") from None
    return model


class Classifier:
    """A model and its card, ready for fast inference. Build once and reuse: the first call traces the graph."""

    def __init__(self, model_path=None):
        self.model_path = Path(model_path or lenet_config.BUNDLED_MODEL_PATH)
        self.card = read_card(self.model_path)
        self.dataset = self.card.dataset_info
        self.model = load_model(self.model_path)
        expected = (builders.INPUT_SHAPE, (self.dataset.num_classes,))
        if (tuple(self.model.input_shape[1:]), tuple(self.model.output_shape[1:])) != expected:
            raise ModelLoadError(f"{self.model_path.name} maps {self.model.input_shape} to {self.model.output_shape}; "
                                 f"{self.dataset.title} models map (None, 28, 28, 1) to (None, "
                                 f"{self.dataset.num_classes})")
        signature = [tf.TensorSpec([None, *builders.INPUT_SHAPE], tf.float32)]
        # A traced graph skips model.predict's per-call set-up (about 37 ms), which matters when classifying
        # every stroke.
        self._forward = tf.function(lambda images: self.model(images, training=False), input_signature=signature)
        names = [name for name in lenet_config.FEATURE_MAP_LAYERS if name in self.layer_names]
        feature_model = keras.Model(self.model.inputs, [self.model.get_layer(name).output for name in names])
        self._features = tf.function(lambda images: feature_model([images], training=False),
                                     input_signature=signature)
        self._feature_names = names
        self.likeness = self._likeness_statistics()
        # One traced call gives the probabilities and the features the likeness check reads, so judging a drawing
        # costs no second pass through the network.
        self._judged_layers = likeness.layers_read(*self._likeness_reads) if self.likeness else []
        judged = [self.model.get_layer(name).output for name in self._judged_layers]
        judge_model = keras.Model(self.model.inputs, [self.model.outputs[0], *judged])
        self._judge = tf.function(lambda images: judge_model([images], training=False), input_signature=signature)

    def _likeness_statistics(self):
        """The card's likeness statistics, or None when the model has none (it still classifies, but cannot judge)."""
        if not self.card.likeness:
            return None
        try:
            stats = likeness.LikenessStats.from_dict(self.card.likeness)
            for name in likeness.layers_read(stats.layers, stats.views, stats.answer_layer):
                self.model.get_layer(name)
            return stats
        except ValueError:  # statistics of another method or version, or for a layer this model lacks
            return None

    @property
    def _likeness_reads(self):
        """(layers, views, answer layer) that the likeness statistics read."""
        return self.likeness.layers, self.likeness.views, self.likeness.answer_layer

    @property
    def layer_names(self):
        return [layer.name for layer in self.model.layers]

    @property
    def class_names(self):
        return self.card.class_names

    def probabilities(self, images):
        """Class probabilities, shape (N, classes), for images of shape (N, 28, 28) or one (28, 28) image."""
        images = as_batch(images)
        chunks = [self._forward(images[start:start + BATCH_SIZE]).numpy() for start in range(0, len(images), BATCH_SIZE)]
        return np.concatenate(chunks) if chunks else np.zeros((0, self.dataset.num_classes), dtype="float32")

    def prepare(self, image):
        """Any image (canvas RGBA, upload, either polarity) as the 28×28 input this model's dataset expects, or None."""
        return PREPARE[self.dataset.image_style](image)

    def judge(self, images):
        """(probabilities, likeness scores) for a batch; the scores are None when the model cannot judge likeness.

        The views of each drawing that the likeness statistics read go through the network in the same call."""
        images = as_batch(images)
        views = self.likeness.views if self.likeness else []
        probabilities, features = [], []
        for start in range(0, len(images), BATCH_SIZE):
            chunk = images[start:start + BATCH_SIZE]
            outputs = self._judge(likeness.with_views(chunk, views))
            outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]  # a model with one output
            probabilities.append(np.asarray(outputs[0])[:len(chunk)])
            if self.likeness:
                read = dict(zip(self._judged_layers, outputs[1:]))
                features.append(likeness.split_views(read, len(chunk), *self._likeness_reads))
        probabilities = np.concatenate(probabilities)
        if not self.likeness:
            return probabilities, None
        features = {name: np.concatenate([chunk[name] for chunk in features]) for name in self.likeness.inputs}
        return probabilities, likeness.score(self.likeness, features)

    def classify(self, image):
        """Prepare any image the way this model's dataset was made, classify it, and judge whether it is like them."""
        prepared = self.prepare(image)
        if prepared is None:
            return Prediction(None, None, None)
        probabilities, scores = self.judge(prepared)
        if scores is None:
            return Prediction(int(probabilities[0].argmax()), probabilities[0], prepared)
        looks_like = bool(likeness.is_like(self.likeness, scores)[0])
        return Prediction(int(probabilities[0].argmax()), probabilities[0], prepared, float(scores[0]), looks_like)

    def feature_maps(self, image):
        """C1, S2, C3 and S4 activations for one 28×28 image, each shaped (height, width, channels)."""
        outputs = self._features(as_batch(image))
        return {name: output.numpy()[0] for name, output in zip(self._feature_names, outputs)}

    def filters(self, layer_name="C1"):
        """A convolution layer's kernels, shaped (height, width, in_channels, out_channels)."""
        return self.model.get_layer(layer_name).get_weights()[0]


def as_batch(images):
    """Images as a float32 batch (N, 28, 28, 1), from (28, 28), (N, 28, 28) or (N, 28, 28, 1)."""
    images = np.asarray(images, dtype="float32")
    if images.ndim == 2:
        images = images[None]
    if images.ndim == 3:
        images = images[..., None]
    return images
