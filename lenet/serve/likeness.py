"""Digit-likeness: how much a drawing looks like the digits the model was trained on, so the app can abstain on a
letter, a smiley or a scribble instead of calling it a digit.

The method ("negative-class detector"): when training ends, a tiny second network, the detector, learns beside the
classifier to tell the model's training digits from a bank of non-digits drawn in code and by people
(lenet.serve.outlier_bank). It reads the classifier's own activations for a drawing: S4's maps, which still say
where the strokes are, and F5's 120 features; and F5 again for the drawing mirrored left to right, upside down and
turned half round (VIEWS), each input scaled to length 1 so that only its pattern counts. Six such detectors (one
hidden layer of 64 units each, different random starts) vote by averaging. The classifier alone cannot do this: F5
and F6 keep only what tells one digit from another, so an H lands among the 4s and a square among the 0s; S4 still
sees the two parallel bars or the four corners. The views help with kinds of drawing the bank never taught
(BENCHMARKS.md), likely because a mirrored or upturned digit gets an answer typical of mirrored or upturned digits,
which a mirrored letter or hook does not.

A classifier trained to give non-digits a flat answer (outlier exposure: TrainConfig.outlier_weight) has a second
voice worth hearing: how sure its answer is. Its statistics then also read the answer (ANSWER_LAYER), and a drawing's
score averages two percentiles, the detectors' and the answer's top probability, each among the validation digits.

The score is a percentile: the share of validation digits that the detectors find less digit-like than the drawing,
so 40 means "more typical than 40% of validation digits". A drawing is digit-like when its score is at least
`stats.threshold`, which by default keeps 99.2% of the validation digits. Fitting takes about 7.5 CPU seconds, and
reading the layers it learns from, for the drawings and their three views (lenet.train.likeness_fit), about 5.5 more.
"""

import base64
import json
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.special import expit
from threadpoolctl import threadpool_limits

METHOD = "negative-class-detector"
VERSION = 4  # 3: the views (VIEWS) read beside the layers; 4: the classifier's answer read too (answer_layer)
VERSION_WITHOUT_ANSWER = 3  # what a fit that reads no answer is: the app before version 4 reads it as well
READABLE_VERSIONS = (2, 3, 4)  # older statistics read no answer (and version 2 no views), and score as fitted
LAYERS = ("S4", "F5")  # the layers whose activations the detector reads, in this order
VIEW_LAYER = "F5"  # the layer read for each view of the drawing
ANSWER_LAYER = "OUTPUT"  # the classifier's class probabilities, as lenet.model.builders names its last layer
# The views of a drawing the classifier also reads, by name: (N, 28, 28[, 1]) images in, the same shape out. Each
# is one more pass of the classifier over every drawing a fit reads. Left out one family at a time, fits with the mirror
# refused 82.6% of a family on average against 79.1% without it (three detector seeds each). With the two turns as
# well, on the bundled model (20,000 digits, 64 units, seeds 0-2): 87.4% against 87.1%, and on drawings no bank made,
# 230 generated non-digits 98.2% against 95.9% and letters and symbols in 38 system typefaces 79.8% against 78.4%,
# MNIST test abstained 0.71% against 0.78% (BENCHMARKS.md, "Not a digit, family by family"). The cost: a run's end
# reads and fits in about 10 CPU s against 6.5; one drawing is classified in 3.3 ms against 3.2 (2.7 without a check).
VIEW_MAKERS = {"mirrored": lambda images: images[:, :, ::-1],  # left to right
               "upside down": lambda images: images[:, ::-1],
               "half turn": lambda images: images[:, ::-1, ::-1]}
VIEWS = tuple(VIEW_MAKERS)
# The default share of validation digits called digit-like. The oddest digits' scores fall steeply, so each 0.1% of
# them given up refuses more of a kind of drawing never seen. On the bundled model (10,000 digits taught), 99.2% against
# 99.4%: families left out of fitting 85.0% refused against 82.4% (mean of two detector seeds), doodles no bank
# teaches 88.9% against 85.7%, letters and symbols in 38 system typefaces 77.7% against 74.2%; MNIST test abstained
# 0.73% against 0.49% (the goal: at most 1%), accuracy on the rest and stroke digits read right unchanged.
KEEP_SHARE = 0.992
# Averaging detectors steadies what any one of them learned from a random start. Six, not three (bank v5, detector seeds
# 0-2 of the card's fit): letters and symbols in 38 typefaces refused 92.4-94.9% against 89.5-94.2%, 230 generated
# non-digits 98.3-99.1% against the same, families left out 85.9% and 86.1% against 85.6% twice (seeds 0, 1); for a fit
# of about 7.5 CPU s against 4 at a run's end, and about 300 KB more in a model file.
DETECTORS = 6
# Hidden units per detector. Families left out of fitting, refused with 20,000 digits at 99.2% kept (the mean of
# detector seeds 0, 1 and 2): 86.1% with 32 units, 87.1% with 64; with another sample of 20,000 digits, 86.0% and
# 87.3% (and 86.7% with 32 units in 5 detectors). 64 take a fit 3.3 CPU s against 2.2, and a model file grows by their
# weights (the bundled one 432 kB against 337; tests/unit/model/test_bundled_models.py keeps it small).
HIDDEN_UNITS = 64
# Training digits the detectors learn from, beside the bank's non-digits. Families left out of fitting, refused at
# 99.2% kept by detectors of 32 units (mean of three detector seeds): 84.8% with 10,000, 86.0% with 20,000, 86.3%
# with 40,000 (5,000 did worse). 20,000 cost a run's end (reading the digits and their mirrors, and fitting) 1.2 CPU s
# more than 10,000 (5.3 against 4.1), and 40,000 about twice that again, for a quarter of 20,000's gain.
DIGIT_SAMPLE = 20000
# 10 passes over the data: 40 abstained on no more of the families left out of fitting (79.2% against 79.1%, the mean
# over three detector seeds; BENCHMARKS.md, "Not a digit, family by family") for 3.3 times the CPU at every run's end.
# Batches of 256, not 128 (three views, seeds 0-2): families left out 87.7% against 87.4%; on drawings no bank made,
# generated non-digits 98.8% against 98.2%, typefaces 81.5% against 79.8%, unseen doodles 89.9% against 89.2%; MNIST
# test abstained 0.79% against 0.71%; and a fit 3.6-4.8 CPU s against 4.0-5.5.
EPOCHS, BATCH_SIZE, LEARNING_RATE, WEIGHT_DECAY = 10, 256, 3e-3, 1e-4
QUANTILE_COUNT = 1001  # validation outputs stored at every 0.1% of the validation digits


class LikenessError(ValueError):
    """Statistics or features that do not fit together, or a stored dict that is not likeness statistics."""


@dataclass(frozen=True)
class LikenessStats:
    """What `fit` learned, stored inside a model file as JSON (see to_dict). Weights travel as base64 float16."""

    layers: list  # the layers whose activations score() needs, e.g. ["S4", "F5"]
    mean: list  # the digits' mean and spread of each detector input, to standardise them
    scale: list
    weights: dict  # {name: base64 float16 array} for hidden_weights, hidden_bias, output_weights, output_bias
    shapes: dict  # {name: shape} of each weight array: DETECTORS is the first dimension
    validation_quantiles: list  # QUANTILE_COUNT detector outputs of validation digits, from low to high
    threshold: float  # score at or above which a drawing is digit-like
    views: list = ()  # the VIEWS whose VIEW_LAYER activations score() needs, e.g. ["mirrored"]
    # Where the answer is read (answer_layer, e.g. "OUTPUT"): the validation digits' top probabilities, and the
    # average of the two percentiles for each validation digit, at every 0.1% of them. Empty: the detectors alone.
    answer_layer: str = ""
    answer_quantiles: list = ()
    combined_quantiles: list = ()
    method: str = METHOD
    version: int = VERSION

    def to_dict(self):
        return {"method": self.method, "version": self.version, "layers": list(self.layers), "views": list(self.views),
                "threshold": self.threshold, "mean": self.mean, "scale": self.scale, "weights": self.weights,
                "shapes": self.shapes, "validation_quantiles": self.validation_quantiles,
                "answer_layer": self.answer_layer, "answer_quantiles": list(self.answer_quantiles),
                "combined_quantiles": list(self.combined_quantiles)}

    @classmethod
    def from_dict(cls, stored):
        if (not isinstance(stored, dict) or stored.get("method") != METHOD
                or stored.get("version") not in READABLE_VERSIONS):
            found = (stored.get("method"), stored.get("version")) if isinstance(stored, dict) else type(stored).__name__
            raise LikenessError(f"expected likeness statistics with method {METHOD!r} version "
                                f"{', '.join(map(str, READABLE_VERSIONS[:-1]))} or {READABLE_VERSIONS[-1]}, "
                                f"got {found}; "
                                "refit them with `python -m lenet refit-likeness --model MODEL`")
        views = list(stored.get("views", []))
        if unknown := set(views) - set(VIEW_MAKERS):
            raise LikenessError(f"these statistics read views {sorted(unknown)}, which this version cannot make; "
                                "refit them with `python -m lenet refit-likeness --model MODEL`")
        answer = {name: stored.get(name) or default for name, default in (
            ("answer_layer", ""), ("answer_quantiles", ()), ("combined_quantiles", ()))}
        if bool(answer["answer_layer"]) != bool(answer["answer_quantiles"]) or (
                len(answer["answer_quantiles"]) != len(answer["combined_quantiles"])):
            raise LikenessError("these statistics read the classifier's answer but lack its quantiles (or the other "
                                "way round); refit them with `python -m lenet refit-likeness --model MODEL`")
        return cls(**{name: stored[name] for name in ("layers", "mean", "scale", "weights", "shapes",
                                                      "validation_quantiles", "threshold", "version")},
                   views=views, **answer)

    @property
    def inputs(self):
        """The names of the activations score() reads, as input_names gives them: the detectors', then the answer."""
        return input_names(self.layers, self.views, self.answer_layer)

    def to_json(self):
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @cached_property
    def arrays(self):
        """The detectors' weights and the standardisation as arrays, decoded once."""
        arrays = {name: np.frombuffer(base64.b64decode(text), np.float16).astype(np.float32).reshape(self.shapes[name])
                  for name, text in self.weights.items()}
        return {**arrays, "mean": np.asarray(self.mean, np.float32), "scale": np.asarray(self.scale, np.float32)}


def input_names(layers=LAYERS, views=VIEWS, answer_layer=""):
    """The activations read, in order: each layer's, VIEW_LAYER's for each view ("F5 mirrored"), then the answer's
    when `answer_layer` names it. All but the answer are the detectors' inputs."""
    return [*layers, *(f"{VIEW_LAYER} {view}" for view in views), *([answer_layer] if answer_layer else [])]


def layers_read(layers=LAYERS, views=VIEWS, answer_layer=""):
    """The classifier's layers a reading of these inputs needs: each of `layers`, VIEW_LAYER if there are views, and
    the answer's layer if it is read."""
    return list(dict.fromkeys([*layers, *([VIEW_LAYER] if views else []), *([answer_layer] if answer_layer else [])]))


def with_views(images, views=VIEWS):
    """One batch of the images followed by each view of them, so that one pass of the classifier reads them all."""
    images = np.asarray(images)
    return np.concatenate([images, *(np.ascontiguousarray(VIEW_MAKERS[view](images)) for view in views)])


def split_views(outputs, count, layers=LAYERS, views=VIEWS, answer_layer=""):
    """{input name: activations} from {layer: activations} of a with_views batch of `count` images: each of `layers`
    (and the answer's, when read) for the images themselves, and VIEW_LAYER for each view."""
    own_layers = [*layers, *([answer_layer] if answer_layer else [])]
    features = {layer: np.asarray(outputs[layer])[:count] for layer in own_layers}
    for index, view in enumerate(views, start=1):
        features[f"{VIEW_LAYER} {view}"] = np.asarray(outputs[VIEW_LAYER])[index * count:(index + 1) * count]
    return features


def fit(train_features, validation_features, outlier_features, keep_share=KEEP_SHARE, seed=0, views=VIEWS,
        answer_layer=""):
    """Teach detectors digits from outliers, then calibrate on validation digits so `keep_share` of them pass.

    Each argument is a dict {input name: activations} for input_names(LAYERS, views) (lenet.train.likeness_fit
    reads them): training digits, validation digits, and non-digits. With `answer_layer`, the validation digits'
    features also hold the classifier's answer under that name, and the score averages it in (the module's docstring).
    """
    names = input_names(LAYERS, views)
    train, validation, outliers = (_checked(features, name, names) for features, name in [
        (train_features, "train_features"), (validation_features, "validation_features"),
        (outlier_features, "outlier_features")])
    if not 0.5 <= keep_share < 1:
        raise LikenessError(f"keep_share is the share of validation digits to keep, from 0.5 to below 1; got {keep_share}")
    rng = np.random.default_rng(seed)
    rows = len(train[names[0]])
    digits = _inputs(train, names)[rng.choice(rows, min(DIGIT_SAMPLE, rows), replace=False)]
    mean, scale = digits.mean(axis=0), digits.std(axis=0) + 1e-3 * digits.std(axis=0).mean() + 1e-6
    digits, others = (digits - mean) / scale, (_inputs(outliers, names) - mean) / scale
    # One BLAS thread: these matrices are small, and with TensorFlow loaded in the same process, OpenBLAS's threads
    # fight TensorFlow's for the cores. Measured on 2 cores: 21 s with the default threads, 1.0 s with one.
    with threadpool_limits(1):
        trained = [_train_detector(digits, others, rng) for _ in range(DETECTORS)]
    # float16 halves the stored size; the calibration below uses the rounded weights, exactly as score() will.
    weights = {name: np.stack([detector[name] for detector in trained]).astype(np.float16) for name in trained[0]}
    arrays = {**{name: value.astype(np.float32) for name, value in weights.items()}, "mean": mean, "scale": scale}
    outputs = _outputs(validation, names, arrays)
    quantiles, answer = _quantiles(outputs), {}
    if answer_layer:
        answered = _top_probability(_checked(validation_features, "validation_features", [answer_layer]), answer_layer)
        answer = {"answer_layer": answer_layer, "answer_quantiles": _quantiles(answered)}
        answer["combined_quantiles"] = _quantiles(_combined(_percentile(outputs, quantiles),
                                                            _percentile(answered, answer["answer_quantiles"])))
    return LikenessStats(
        layers=list(LAYERS), views=list(views), mean=mean.tolist(), scale=scale.tolist(),
        weights={name: base64.b64encode(value.tobytes()).decode("ascii") for name, value in weights.items()},
        shapes={name: list(value.shape) for name, value in weights.items()},
        validation_quantiles=quantiles, threshold=round(100 * (1 - keep_share), 6),
        version=VERSION if answer_layer else VERSION_WITHOUT_ANSWER, **answer)


def score(stats, features):
    """One percentile per row (0-100): the share of validation digits that look less like a digit than it does."""
    names = input_names(stats.layers, stats.views)
    detected = _percentile(_outputs(_checked(features, "features", names, stats.arrays), names, stats.arrays),
                           stats.validation_quantiles)
    if not stats.answer_layer:
        return 100 * detected
    answered = _top_probability(_checked(features, "features", [stats.answer_layer]), stats.answer_layer)
    return 100 * _percentile(_combined(detected, _percentile(answered, stats.answer_quantiles)),
                             stats.combined_quantiles)


def is_like(stats, scores):
    """True where a score is digit-like: at or above the statistics' threshold."""
    return np.asarray(scores) >= stats.threshold


def _quantiles(values):
    return np.quantile(values, np.linspace(0, 1, QUANTILE_COUNT)).tolist()


def _percentile(values, quantiles):
    """The share (0-1) of validation digits below each value, from their stored quantiles."""
    quantiles = np.asarray(quantiles)
    return np.interp(values, quantiles, np.linspace(0, 1, len(quantiles)), left=0.0, right=1.0)


def _top_probability(features, answer_layer):
    return features[answer_layer].max(axis=1)


def _combined(detected, answered):
    """The detectors' and the answer's percentiles weigh the same. Left out one family at a time, each family's
    classifier trained with outlier exposure without it (19 families, the mean of three detector seeds; 12-06):
    85.4% refused against 83.6% by the detectors alone and 78.9% by the answer alone; the lower of the two, 84.6%."""
    return (detected + answered) / 2


def _train_detector(digits, others, rng):
    """One hidden layer, logistic loss with digits and non-digits weighing the same in all, Adam on mini-batches."""
    inputs = np.vstack([digits, others]).astype(np.float32)
    is_digit = np.concatenate([np.ones(len(digits)), np.zeros(len(others))]).astype(np.float32)
    weight = np.where(is_digit == 1, len(inputs) / (2 * len(digits)), len(inputs) / (2 * len(others))).astype(np.float32)
    units = inputs.shape[1]
    params = {"hidden_weights": rng.normal(0, units**-0.5, (units, HIDDEN_UNITS)).astype(np.float32),
              "hidden_bias": np.zeros(HIDDEN_UNITS, np.float32),
              "output_weights": rng.normal(0, HIDDEN_UNITS**-0.5, HIDDEN_UNITS).astype(np.float32),
              "output_bias": np.zeros((), np.float32)}
    moments = {name: (np.zeros_like(value), np.zeros_like(value)) for name, value in params.items()}
    step = 0
    for _ in range(EPOCHS):
        for batch in np.array_split(rng.permutation(len(inputs)), max(1, len(inputs) // BATCH_SIZE)):
            hidden = np.tanh(inputs[batch] @ params["hidden_weights"] + params["hidden_bias"])
            logits = hidden @ params["output_weights"] + params["output_bias"]
            error = weight[batch] * (expit(logits) - is_digit[batch]) / len(batch)  # d(loss)/d(logits)
            back = np.outer(error, params["output_weights"]) * (1 - hidden**2)
            gradients = {"hidden_weights": inputs[batch].T @ back + WEIGHT_DECAY * params["hidden_weights"],
                         "hidden_bias": back.sum(axis=0),
                         "output_weights": hidden.T @ error + WEIGHT_DECAY * params["output_weights"],
                         "output_bias": error.sum()}
            step += 1
            for name, gradient in gradients.items():  # Adam, with its usual constants
                first, second = moments[name]
                first, second = 0.9 * first + 0.1 * gradient, 0.999 * second + 0.001 * gradient**2
                moments[name] = first, second
                params[name] = params[name] - LEARNING_RATE * (first / (1 - 0.9**step)) / (
                    np.sqrt(second / (1 - 0.999**step)) + 1e-8)
    return params


def _inputs(features, names):
    """The named activations side by side, each scaled to length 1: the pattern of activity counts, not its
    strength."""
    return np.hstack([features[name] / np.maximum(np.linalg.norm(features[name], axis=1, keepdims=True), 1e-12)
                      for name in names]).astype(np.float32)


def _outputs(features, names, arrays):
    """The detectors' average logit: high for digit-like drawings."""
    inputs = (_inputs(features, names) - arrays["mean"]) / arrays["scale"]
    hidden = np.tanh(np.einsum("ni,dih->dnh", inputs, arrays["hidden_weights"]) + arrays["hidden_bias"][:, None])
    return (np.einsum("dnh,dh->dn", hidden, arrays["output_weights"]) + arrays["output_bias"][:, None]).mean(axis=0)


def _checked(features, name, names, arrays=None):
    """The features as a dict of (rows, units) float arrays, one per input in `names`, all with the same rows."""
    if not isinstance(features, dict) or set(names) - set(features):
        raise LikenessError(f"{name} must be a dict with the activations {list(names)}")
    checked = {}
    for input_name in names:
        values = np.asarray(features[input_name], dtype=np.float32)
        if values.ndim < 2 or values.size == 0 or not np.isfinite(values).all():
            raise LikenessError(f"{name}[{input_name!r}] must be a non-empty array of finite numbers with one row "
                                f"per drawing, got shape {values.shape}")
        checked[input_name] = values.reshape(len(values), -1)
    if len({len(values) for values in checked.values()}) > 1:
        raise LikenessError(f"{name} has a different number of rows for each input")
    widths = {input_name: values.shape[1] for input_name, values in checked.items()}
    if arrays is not None and sum(widths.values()) != len(arrays["mean"]):
        raise LikenessError(f"these statistics are for {len(arrays['mean'])} {' + '.join(names)} activations per "
                            f"drawing, got {widths}; pass the activations of the model they were fitted for")
    return checked
