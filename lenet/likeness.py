"""Digit-likeness: how much a drawing looks like the digits the model was trained on, so the app can abstain on a
letter, a smiley or a scribble instead of calling it a digit.

The method ("cosine-mahalanobis", Lee et al. 2018 with length-normalised features): when training ends, take a
hidden layer's activations (F5 by default) for every training digit and scale each to length 1, so only the pattern
of the activations counts, not their overall strength. Fit one Gaussian per digit class, with a covariance shared by
all classes. A drawing's distance is its Mahalanobis distance to the nearest class centre: a distance measured in
units of how much the digits themselves vary in each direction. The score is a percentile: the share of validation
digits that lie farther out than the drawing, so 40 means "more typical than 40% of the validation digits". The
drawing is called digit-like when its score is at least `stats.threshold`, which by default keeps 99.5% of the
validation digits.

Why F5 and the length-normalisation: on the bundled relu model they catch far more non-digits than F6's raw features
for the same 0.5% of validation digits lost (about 52% of lenet.synthetic.non_digits against 7%; 29% with F6 scaled
to length 1); for the tanh "seed" model F5 and F6 do about equally well (28–29%). Non-digits that share a digit's
parts (H, W, R and E, a square, a heart) mostly still pass: the network's features do not tell them apart. numpy
only: the caller extracts the features, from the layer named in the statistics.
"""

import json
from dataclasses import dataclass
from functools import cached_property

import numpy as np

METHOD = "cosine-mahalanobis"
VERSION = 1
KEEP_SHARE = 0.995  # the default share of validation digits called digit-like
SHRINKAGE = 1e-3  # added to the covariance's diagonal, as a share of its average variance: dead units have none
QUANTILE_COUNT = 1001  # validation distances stored at every 0.1% of the validation digits
SIGNIFICANT_DIGITS = 7  # stored numbers are rounded so the JSON stays small (about 110 kB for F5)


class LikenessError(ValueError):
    """Statistics or features that do not fit together, or a stored dict that is not likeness statistics."""


@dataclass(frozen=True)
class LikenessStats:
    """What `fit` learned, as plain lists and floats, stored inside a model file (see to_dict)."""

    layer: str  # the layer whose activations are the features, e.g. "F5"
    whitening: list  # lower-triangular rows: row i holds i + 1 numbers; whitened = unit_features @ W
    class_centres: list  # ten whitened class means
    validation_quantiles: list  # QUANTILE_COUNT distances of validation digits, from the nearest to the farthest
    threshold: float  # percentile at or above which a drawing is digit-like
    method: str = METHOD
    version: int = VERSION

    def to_dict(self):
        return {"method": self.method, "version": self.version, "layer": self.layer, "threshold": self.threshold,
                "whitening": self.whitening, "class_centres": self.class_centres,
                "validation_quantiles": self.validation_quantiles}

    @classmethod
    def from_dict(cls, stored):
        if not isinstance(stored, dict) or stored.get("method") != METHOD or stored.get("version") != VERSION:
            found = (stored.get("method"), stored.get("version")) if isinstance(stored, dict) else type(stored).__name__
            raise LikenessError(f"expected likeness statistics with method {METHOD!r} version {VERSION}, got {found}; "
                                "refit them with lenet.likeness.fit from the model's training features")
        return cls(layer=stored["layer"], whitening=stored["whitening"], class_centres=stored["class_centres"],
                   validation_quantiles=stored["validation_quantiles"], threshold=stored["threshold"])

    def to_json(self):
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @cached_property
    def matrices(self):
        """The whitening matrix and the class centres as arrays, built once from the lists."""
        size = len(self.whitening)
        whitening = np.zeros((size, size))
        for i, row in enumerate(self.whitening):
            whitening[i, : len(row)] = row
        return whitening, np.asarray(self.class_centres)


def fit(train_features, train_labels, validation_features, layer="F5", keep_share=KEEP_SHARE):
    """Statistics of the training digits' features, calibrated so `keep_share` of validation digits are digit-like."""
    features = _unit_rows(_as_matrix(train_features, "train_features"))
    labels = np.asarray(train_labels).astype(int).ravel()
    if len(labels) != len(features):
        raise LikenessError(f"{len(features)} feature rows but {len(labels)} labels")
    missing = sorted(set(range(10)) - set(labels.tolist()))
    if missing:
        raise LikenessError(f"every digit 0-9 needs training examples; none for {missing}")
    if not 0.5 <= keep_share < 1:
        raise LikenessError(f"keep_share is the share of validation digits to keep, from 0.5 to below 1; got {keep_share}")
    one_hot = np.eye(10, dtype=np.float32)[labels]
    features = features.astype(np.float32)  # float32 halves the time of the big products; the sums stay exact enough
    means = (one_hot.T @ features) / one_hot.sum(axis=0)[:, None]
    centred = features - means[labels]
    covariance = (centred.T @ centred).astype(np.float64) / len(features)
    covariance += SHRINKAGE * np.trace(covariance) / len(covariance) * np.eye(len(covariance))
    # A Cholesky factor of the inverse covariance turns Mahalanobis distances into ordinary ones.
    whitening = _rounded(np.linalg.cholesky(np.linalg.inv(covariance)))
    centres = _rounded(means @ whitening)
    validation = np.sort(_distances(_as_matrix(validation_features, "validation_features"), whitening, centres))
    quantiles = _rounded(np.quantile(validation, np.linspace(0, 1, QUANTILE_COUNT)))
    return LikenessStats(layer=layer, whitening=[row[: i + 1].tolist() for i, row in enumerate(whitening)],
                         class_centres=centres.tolist(), validation_quantiles=quantiles.tolist(),
                         threshold=round(100 * (1 - keep_share), 6))


def score(stats, features):
    """One percentile per row (0-100): the share of validation digits farther from every digit class than it is."""
    whitening, centres = stats.matrices
    features = _as_matrix(features, "features")
    if features.shape[1] != len(whitening):
        raise LikenessError(f"these statistics are for {len(whitening)} {stats.layer} features per row, "
                            f"got {features.shape[1]}; pass the model's {stats.layer} activations")
    distances = _distances(features, whitening, centres)
    quantiles = np.asarray(stats.validation_quantiles)
    shares = np.linspace(0, 1, len(quantiles))
    return 100 * (1 - np.interp(distances, quantiles, shares, left=0.0, right=1.0))


def is_like(stats, scores):
    """True where a score is digit-like: at or above the statistics' threshold."""
    return np.asarray(scores) >= stats.threshold


def _distances(features, whitening, centres):
    whitened = _unit_rows(features) @ whitening
    squared = (whitened**2).sum(axis=1)[:, None] - 2 * whitened @ centres.T + (centres**2).sum(axis=1)[None]
    return np.sqrt(np.maximum(squared.min(axis=1), 0.0))


def _unit_rows(features):
    return features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)


def _as_matrix(features, name):
    features = np.asarray(features, dtype=np.float64)
    if features.ndim == 1:
        features = features[None]
    if features.ndim != 2 or len(features) == 0 or not np.isfinite(features).all():
        raise LikenessError(f"{name} must be a non-empty (rows, features) array of finite numbers, got shape "
                            f"{features.shape}")
    return features


def _rounded(values):
    return np.vectorize(lambda value: float(f"{value:.{SIGNIFICANT_DIGITS}g}"))(values)
