"""Digit-likeness for a Keras LeNet-5: read the layers the detector needs, and fit it when training ends.

lenet.serve.likeness works on plain arrays; this module runs the model to get them, for the training and validation
digits and for the bank of non-digits drawn in code. lenet.train.refit fits a saved model's detector again, in its
card, after the bank or the method changed (`python -m lenet refit-likeness`).
"""

import keras
import numpy as np

from lenet.serve import likeness, outlier_bank
from lenet.train import pipeline

BATCH_SIZE = 1000


def layer_features(model, digit_images, layers=likeness.LAYERS):
    """{layer: activations} for (N, 28, 28) digit images in [0, 1] or as uint8 pixels (lenet.train.pipeline), as
    lenet.serve.likeness.score takes them."""
    images = np.asarray(pipeline.unit_floats(np.asarray(digit_images)), np.float32).reshape(-1, 28, 28, 1)
    reader = keras.Model(model.inputs[0], [model.get_layer(layer).output for layer in layers])
    outputs = [[] for _ in layers]
    for start in range(0, len(images), BATCH_SIZE):
        for collected, output in zip(outputs, reader(images[start : start + BATCH_SIZE], training=False)):
            collected.append(np.asarray(output))
    return {layer: np.concatenate(collected) for layer, collected in zip(layers, outputs)}


def fit_for_model(model, train_images, validation_images, keep_share=likeness.KEEP_SHARE):
    """Likeness statistics for a trained model, from its training and validation digits and the outlier bank.

    Only a sample of the training digits is read: the detectors learn from likeness.DIGIT_SAMPLE of them.
    """
    _, outliers = outlier_bank.bank()
    return likeness.fit(layer_features(model, training_sample(train_images)),
                        layer_features(model, validation_images), layer_features(model, outliers),
                        keep_share=keep_share)


def training_sample(train_images):
    """The training digits the detectors learn from: likeness.DIGIT_SAMPLE of them, the same ones every time."""
    sample = np.random.default_rng(0).choice(len(train_images), min(len(train_images), likeness.DIGIT_SAMPLE),
                                             replace=False)
    return np.asarray(train_images)[np.sort(sample)]
