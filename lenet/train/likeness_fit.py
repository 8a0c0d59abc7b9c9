"""Digit-likeness for a Keras LeNet-5: read the layers the detector needs, and fit it when training ends.

lenet.serve.likeness works on plain arrays; this module runs the model to get them, for the training and validation
digits and for the non-digits: the outlier bank's and, for a digit model, broken digits and scrawls. lenet.train.refit
fits a saved model's detector again, in its card, after the non-digits or the method changed (`python -m lenet
refit-likeness`).
"""

from functools import lru_cache

import numpy as np

from lenet.data import datasets
from lenet.explain import feature_map
from lenet.serve import digit_bank, likeness, outlier_bank
from lenet.train import pipeline

BATCH_SIZE = 1000


def layer_features(model, digit_images, layers=likeness.LAYERS, views=likeness.VIEWS, answer_layer=""):
    """{input name: activations} for (N, 28, 28) digit images in [0, 1] or as uint8 pixels (lenet.train.pipeline), as
    lenet.serve.likeness.score takes them: each of `layers` for the images, likeness.VIEW_LAYER for each view, and
    the answer's layer when `answer_layer` names it."""
    images = np.asarray(pipeline.unit_floats(np.asarray(digit_images)), np.float32).reshape(-1, 28, 28, 1)
    layers, views = tuple(layers), tuple(views)
    read, reader = _reader(model, layers, views, answer_layer)
    chunks = []
    for start in range(0, len(images), BATCH_SIZE):
        chunk = images[start : start + BATCH_SIZE]
        outputs = reader(likeness.with_views(chunk, views))
        chunks.append(likeness.split_views(dict(zip(read, outputs)), len(chunk), layers, views, answer_layer))
    return {name: np.concatenate([chunk[name] for chunk in chunks])
            for name in likeness.input_names(layers, views, answer_layer)}


@lru_cache(maxsize=4)
def _reader(model, layers, views, answer_layer):
    """(the layers read, a traced call that reads them for a batch of any size). Traced once per model and layers,
    not per call: a fit reads four sets of images. Traced, the reading takes a third less CPU than calling the model
    eagerly (0.33 against 0.55 s for 10,000 images), and a fit reads each drawing once more for each view."""
    read = likeness.layers_read(layers, views, answer_layer)
    return read, feature_map.feature_function(model, read)  # a list of outputs, even of one layer


def fit_for_model(model, splits, keep_share=likeness.KEEP_SHARE, answer_layer=""):
    """Likeness statistics for a trained model, from its dataset's training and validation images, the outlier bank
    and no_family_non_digits_for its dataset, reading the classifier's answer too when `answer_layer` names it
    (answer_layer_for). Only a sample of the training images is read (teaching_digits)."""
    _, bank_images = outlier_bank.bank()
    outliers = np.concatenate([bank_images, no_family_non_digits_for(splits)])
    return likeness.fit(layer_features(model, teaching_digits(splits)),
                        layer_features(model, splits.x_val, answer_layer=answer_layer),
                        layer_features(model, outliers), keep_share=keep_share, answer_layer=answer_layer)


def answer_layer_for(train_config):
    """The layer whose answer the likeness check reads beside its detectors, or "" for none: the answer is read only
    where the classifier learned to answer non-digits flatly (TrainConfig.outlier_weight). From a plain classifier
    it refused less of the families left out than the detectors alone (73.4% against 80.5%, 12-06)."""
    return likeness.ANSWER_LAYER if train_config.outlier_weight > 0 else ""


def teaching_digits(splits):
    """The images the detectors learn to keep: likeness.DIGIT_SAMPLE of the training images (training_sample), and
    for a digit dataset the digits of lenet.serve.digit_bank, drawn as hands draw on the canvas, steady and shaky. The
    threshold is still set on the validation images alone."""
    sample = training_sample(splits.x_train)
    if not datasets.get(splits.dataset).is_digits:
        return sample
    return np.concatenate([pipeline.unit_floats(sample), digit_bank.digits()])


def no_family_non_digits_for(splits):
    """The non-digits the detectors learn to refuse beside the outlier bank: for a digit dataset, the broken digits of
    lenet.serve.digit_bank and the bank's scrawls (outlier_bank.scrawls), both of them strokes close to a digit's;
    for another dataset, none (neither was measured there). They belong to no family of the bank, so no family takes
    them with it when it is left out (lenet.bench.likeness_families)."""
    if not datasets.get(splits.dataset).is_digits:
        return np.zeros((0, 28, 28), np.float32)
    return np.concatenate([digit_bank.broken_digits(), outlier_bank.scrawls()])


def training_sample(train_images):
    """The training digits the detectors learn from: likeness.DIGIT_SAMPLE of them, the same ones every time."""
    sample = np.random.default_rng(0).choice(len(train_images), min(len(train_images), likeness.DIGIT_SAMPLE),
                                             replace=False)
    return np.asarray(train_images)[np.sort(sample)]
