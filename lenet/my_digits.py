""""My digits": drawings a person labelled, kept to fine-tune or retrain the model with.

One small .npz file per digit, written to a temporary file and renamed: a crash while saving loses at most that
digit, never the set, and a torn file is skipped on reading. Export and import move the whole set as one .npz.
"""

import io
import os
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lenet import config as lenet_config

MAX_IMPORT_DIGITS = 20_000
HOLDOUT_MINIMUM = 20  # with fewer digits than this, every one trains and accuracy is measured on all of them
HOLDOUT_EVERY = 4  # otherwise every 4th digit of each class (by time) is held out to measure accuracy


class MyDigitsError(ValueError):
    """A malformed import, or a digit that cannot be stored."""


@dataclass(frozen=True)
class MyDigit:
    digit_id: str
    image: np.ndarray  # 28×28 float32 in [0, 1], what the model sees
    label: int
    prediction: int  # the model's reading when it was saved; -1 if unknown
    saved_at: float


def store_path(store_dir=None):
    return Path(store_dir or lenet_config.my_digits_dir())


def save_digit(image, label, prediction=-1, raw_drawing=None, store_dir=None):
    """Store one labelled 28×28 digit (and, optionally, the raw drawing). Returns its id."""
    image = _check_images(np.asarray(image)[None], "the digit")[0]
    label = _check_labels(np.asarray([label]), 1)[0]
    folder = store_path(store_dir)
    folder.mkdir(parents=True, exist_ok=True)
    digit_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"
    fields = {"image": _to_uint8(image), "label": label, "prediction": int(prediction), "saved_at": time.time()}
    if raw_drawing is not None:
        fields["raw_drawing"] = np.asarray(raw_drawing, dtype="uint8")
    _write_npz_atomically(folder / f"{digit_id}.npz", fields)
    return digit_id


def list_digits(store_dir=None):
    """Every readable digit, oldest first. Torn or foreign files are skipped, never fatal."""
    digits = []
    for path in sorted(store_path(store_dir).glob("*.npz")):
        try:
            with np.load(path) as fields:
                digits.append(MyDigit(path.stem, fields["image"].astype("float32") / 255.0, int(fields["label"]),
                                      int(fields["prediction"]), float(fields["saved_at"])))
        except Exception:  # a file cut short by a crash: that one digit is lost, the set is not
            continue
    return sorted(digits, key=lambda digit: digit.saved_at)


def delete_digit(digit_id, store_dir=None):
    path = store_path(store_dir) / f"{digit_id}.npz"
    if "/" in digit_id or not path.exists():
        raise MyDigitsError(f"no digit {digit_id!r} in {store_path(store_dir)}")
    path.unlink()


def class_counts(digits):
    return np.bincount([digit.label for digit in digits], minlength=10)


def split_holdout(digits):
    """(train, held_out): every HOLDOUT_EVERY-th digit of each class is held out once there are enough digits."""
    if len(digits) < HOLDOUT_MINIMUM:
        return list(digits), []
    seen, train, held_out = [0] * 10, [], []
    for digit in digits:
        seen[digit.label] += 1
        (held_out if seen[digit.label] % HOLDOUT_EVERY == 0 else train).append(digit)
    return train, held_out


def as_arrays(digits):
    images = np.stack([digit.image for digit in digits]) if digits else np.zeros((0, 28, 28), "float32")
    return images.astype("float32"), np.asarray([digit.label for digit in digits], dtype="int32")


def training_arrays(store_dir=None):
    """The images and labels to train on: the set less its held-out part."""
    return as_arrays(split_holdout(list_digits(store_dir))[0])


def evaluation_arrays(store_dir=None):
    """The digits to measure accuracy on: the held-out part, or every digit when the set is small."""
    train, held_out = split_holdout(list_digits(store_dir))
    return as_arrays(held_out or train)


def export_npz(store_dir=None):
    """The whole set as .npz bytes: images (N, 28, 28) uint8, labels, predictions and saved_at."""
    digits = list_digits(store_dir)
    images, labels = as_arrays(digits)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, images=_to_uint8(images), labels=labels,
                        predictions=np.asarray([d.prediction for d in digits], "int32"),
                        saved_at=np.asarray([d.saved_at for d in digits], "float64"))
    return buffer.getvalue()


def import_npz(source, store_dir=None):
    """Add the digits of an exported .npz (a path, bytes or a file object). All are checked before any is stored."""
    try:
        raw = source if isinstance(source, bytes) else Path(source).read_bytes() if isinstance(source, (str, Path)) else source.read()
        with np.load(io.BytesIO(raw), allow_pickle=False) as fields:
            images, labels = np.asarray(fields["images"]), np.asarray(fields["labels"])
            predictions = np.asarray(fields["predictions"]) if "predictions" in fields else np.full(len(labels), -1)
    except KeyError as missing:
        raise MyDigitsError(f"not a my-digits export: it has no {missing} array") from None
    except Exception as error:
        raise MyDigitsError(f"not a readable .npz file ({error}); export one from the My digits page or "
                            "`python -m lenet my-digits export`") from None
    images = _check_images(images, "images")
    labels = _check_labels(labels, len(images))
    if len(images) > MAX_IMPORT_DIGITS:
        raise MyDigitsError(f"{len(images)} digits is more than the {MAX_IMPORT_DIGITS} an import may hold")
    return [save_digit(image, label, int(prediction), store_dir=store_dir)
            for image, label, prediction in zip(images, labels, predictions)]


def _check_images(images, name):
    if images.ndim != 3 or images.shape[1:] != (28, 28) or len(images) == 0:
        raise MyDigitsError(f"{name} must be 28×28 digits shaped (N, 28, 28), got shape {images.shape}")
    if images.dtype == np.uint8:
        return images.astype("float32") / 255.0
    if not np.issubdtype(images.dtype, np.floating) or not np.isfinite(images).all() or images.min() < 0 or images.max() > 1:
        raise MyDigitsError(f"{name} must be uint8 or floats in [0, 1]")
    return images.astype("float32")


def _check_labels(labels, count):
    if labels.shape != (count,) or not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0 or labels.max() > 9:
        raise MyDigitsError(f"labels must be {count} whole numbers from 0 to 9")
    return [int(label) for label in labels]


def _to_uint8(images):
    return np.clip(np.rint(np.asarray(images) * 255.0), 0, 255).astype("uint8")


def _write_npz_atomically(path, fields):
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".", suffix=".tmp", delete=False) as temporary:
        np.savez(temporary, **fields)
    os.replace(temporary.name, path)
