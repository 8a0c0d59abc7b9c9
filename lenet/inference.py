"""Inference: load a model safely, classify images in a few milliseconds, and expose feature maps and filters."""

from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from lenet import config as lenet_config
from lenet import preprocess

BATCH_SIZE = 1000


class ModelLoadError(ValueError):
    """A model file that is missing, unreadable, unsafe or not a 28×28 → 10 classifier."""


@dataclass(frozen=True)
class Prediction:
    digit: int | None  # None when the image holds no digit
    probabilities: np.ndarray | None  # ten probabilities, or None
    digit_image: np.ndarray | None  # the 28×28 image the model saw, or None


def load_model(path):
    """Load a .keras model with Keras's safe_mode, which refuses models that carry code (Lambda layers)."""
    path = Path(path)
    if not path.is_file():
        raise ModelLoadError(f"no model file at {path}")
    try:
        model = keras.models.load_model(path, safe_mode=True, compile=False)
    except Exception as error:  # Keras raises many kinds of errors for bad files; all mean "cannot use this file".
        if "safe_mode" in str(error) or "lambda" in str(error).lower():
            raise ModelLoadError(f"refused to load {path.name}: it contains code (a Lambda layer), which could run "
                                 "anything on this machine. Use a model without Lambda layers.") from None
        raise ModelLoadError(f"could not load {path.name} as a Keras model: {error}") from None
    if tuple(model.input_shape[1:]) != (28, 28, 1) or tuple(model.output_shape[1:]) != (10,):
        raise ModelLoadError(f"{path.name} maps {model.input_shape} to {model.output_shape}; "
                             "expected (None, 28, 28, 1) to (None, 10)")
    return model


class Classifier:
    """A model ready for fast inference. Build once and reuse: the first call traces the graph."""

    def __init__(self, model_path=None):
        self.model_path = Path(model_path or lenet_config.BUNDLED_MODEL_PATH)
        self.model = load_model(self.model_path)
        signature = [tf.TensorSpec([None, 28, 28, 1], tf.float32)]
        # A traced graph skips model.predict's per-call set-up (about 37 ms), which matters when classifying
        # every stroke.
        self._forward = tf.function(lambda images: self.model(images, training=False), input_signature=signature)
        names = [name for name in lenet_config.FEATURE_MAP_LAYERS if name in self.layer_names]
        feature_model = keras.Model(self.model.inputs, [self.model.get_layer(name).output for name in names])
        self._features = tf.function(lambda images: feature_model(images, training=False), input_signature=signature)
        self._feature_names = names

    @property
    def layer_names(self):
        return [layer.name for layer in self.model.layers]

    def probabilities(self, images):
        """Class probabilities, shape (N, 10), for images of shape (N, 28, 28) or one (28, 28) image."""
        images = _as_batch(images)
        chunks = [self._forward(images[start:start + BATCH_SIZE]).numpy() for start in range(0, len(images), BATCH_SIZE)]
        return np.concatenate(chunks) if chunks else np.zeros((0, 10), dtype="float32")

    def classify(self, image):
        """Preprocess any image (canvas RGBA, upload, either polarity) and classify it."""
        digit_image = preprocess.to_mnist_digit(image)
        if digit_image is None:
            return Prediction(None, None, None)
        probabilities = self.probabilities(digit_image)[0]
        return Prediction(int(probabilities.argmax()), probabilities, digit_image)

    def feature_maps(self, digit_image):
        """C1, S2, C3 and S4 activations for one 28×28 image, each shaped (height, width, channels)."""
        outputs = self._features(_as_batch(digit_image))
        return {name: output.numpy()[0] for name, output in zip(self._feature_names, outputs)}

    def filters(self, layer_name="C1"):
        """A convolution layer's kernels, shaped (height, width, in_channels, out_channels)."""
        return self.model.get_layer(layer_name).get_weights()[0]


def _as_batch(images):
    images = np.asarray(images, dtype="float32")
    if images.ndim == 2:
        images = images[None]
    if images.ndim == 3:
        images = images[..., None]
    return images
