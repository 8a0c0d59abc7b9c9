""""My digits": drawings a person labelled, kept to fine-tune or retrain the model with.

One small .npz file per digit, written to a temporary file and renamed: a crash while saving loses at most that
digit, never the set, and a torn file is skipped on reading. Export and import move the whole set as one .npz. An
import is all or nothing: its digits are written into a hidden staging folder, which one rename then moves into the
store as a batch folder (import-<time>-<random>/), so a crash or a full disk leaves the set as it was.
"""

import io
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lenet import files
from lenet.data import npz

MAX_IMPORT_DIGITS = 20_000  # one import; its arrays' headers are checked against this before any data is read
MAX_IMPORT_BYTES = 128 * 2**20  # a file on disk (the app's uploads are capped lower, in .streamlit/config.toml)
DISK_PER_DIGIT_MB = 4 / 1024  # one small file takes a 4 KB block
MIN_FREE_MB = 50
IMAGE_DTYPES = ("uint8", "float16", "float32", "float64")
DIGIT_ID = re.compile(r"(import-[A-Za-z0-9-]+/)?[A-Za-z0-9-]+")  # a digit file, or one in an import's batch folder
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
    return Path(store_dir or files.my_digits_dir())


def save_digit(image, label, prediction=-1, raw_drawing=None, store_dir=None, saved_at=None, capacity=None,
               digit_id=None):
    """Store one labelled 28×28 digit (and, optionally, the raw drawing). Returns its id.

    `capacity` caps the set (public mode gives each visitor their own, capped); a full disk is a MyDigitsError.
    `digit_id` names the file instead of a new random id (the class set names digits by their content).
    """
    image = _check_images(np.asarray(image)[None], "the digit")[0]
    label = _check_labels(np.asarray([label]), 1)[0]
    prediction = _check_predictions(np.asarray([prediction]), 1)[0]
    _check_room(store_dir, 1, capacity)
    folder = store_path(store_dir)
    fields = {"image": _to_uint8(image), "label": label, "prediction": prediction,
              "saved_at": time.time() if saved_at is None else float(saved_at)}
    if raw_drawing is not None:
        fields["raw_drawing"] = np.asarray(raw_drawing, dtype="uint8")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        digit_id = digit_id or _new_id(folder)
        _write_npz_atomically(folder / f"{digit_id}.npz", fields)
    except OSError as error:
        raise MyDigitsError(f"could not save the digit: {error.strerror or error}") from None
    return digit_id


def _check_room(store_dir, count, capacity):
    """Refuse `count` more digits beyond `capacity`, or when the disk is nearly full."""
    if capacity is not None and count_digits(store_dir) + count > capacity:
        raise MyDigitsError(f"my digits hold at most {capacity:,}; this would make {count_digits(store_dir) + count:,}. "
                            "Delete some first")
    try:
        files.check_free_space(store_path(store_dir), MIN_FREE_MB + count * DISK_PER_DIGIT_MB, f"{count:,} digits")
    except files.StorageError as error:
        raise MyDigitsError(str(error)) from None


def _new_id(folder):
    # 48 random bits: an import saves thousands of digits within one second, and a repeated id would overwrite one.
    while True:
        digit_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(6)}"
        if not (folder / f"{digit_id}.npz").exists():
            return digit_id


def list_digits(store_dir=None):
    """Every readable digit, oldest first. Torn or foreign files are skipped, never fatal."""
    digits = []
    for path in sorted(_digit_files(store_dir)):
        try:
            with np.load(path, allow_pickle=False) as fields:
                digit = MyDigit(_digit_id(path, store_dir), fields["image"].astype("float32") / 255.0, int(fields["label"]),
                                int(fields["prediction"]), float(fields["saved_at"]))
        except Exception:  # a file cut short by a crash: that one digit is lost, the set is not
            continue
        if digit.image.shape == (28, 28) and 0 <= digit.label <= 9:  # a foreign .npz is skipped too
            digits.append(digit)
    return sorted(digits, key=lambda digit: digit.saved_at)


def count_digits(store_dir=None):
    """How many digits the store holds, without reading them: cheap enough for every stroke on the Draw page."""
    return sum(1 for _ in _digit_files(store_dir))


def _digit_files(store_dir):
    # Names starting with a dot are files still being written (lenet.files), staged imports, or visitors' own sets
    # (lenet/runs/public.py): not digits of this set. Imports are batch folders one level down.
    store = store_path(store_dir)
    for path in [*store.glob("*.npz"), *store.glob("*/*.npz")]:
        if not any(part.startswith(".") for part in path.relative_to(store).parts):
            yield path


def _digit_id(path, store_dir):
    return path.relative_to(store_path(store_dir)).with_suffix("").as_posix()


def delete_digit(digit_id, store_dir=None):
    path = store_path(store_dir) / f"{digit_id}.npz"
    if not isinstance(digit_id, str) or not DIGIT_ID.fullmatch(digit_id) or not path.is_file():
        raise MyDigitsError(f"no digit {digit_id!r} in {store_path(store_dir)}")
    try:
        path.unlink()
        if path.parent != store_path(store_dir) and not any(path.parent.iterdir()):
            path.parent.rmdir()  # the last digit of an import's batch
    except OSError as error:
        raise MyDigitsError(f"could not delete the digit: {error.strerror or error}") from None


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


def export_npz(store_dir=None, digits=None):
    """The whole set (or `digits`, MyDigit-like) as .npz bytes: images (N, 28, 28) uint8, labels, predictions and
    saved_at."""
    digits = list_digits(store_dir) if digits is None else digits
    images, labels = as_arrays(digits)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, images=_to_uint8(images), labels=labels,
                        predictions=np.asarray([d.prediction for d in digits], "int32"),
                        saved_at=np.asarray([d.saved_at for d in digits], "float64"))
    return buffer.getvalue()


def import_npz(source, store_dir=None, capacity=None):
    """Add the digits of an exported .npz (a path, bytes or a file object). Returns their ids.

    Every array's header is checked before its data is read, so a small file claiming a million digits is refused
    without allocating them; then every value is checked, then all digits are stored, or none.
    """
    try:
        with npz.open_archive(source, MAX_IMPORT_BYTES) as archive:
            headers = npz.headers(archive)
            count = _check_headers(headers)
            _check_room(store_dir, count, capacity)
            arrays = {name: npz.read_array(archive, name) for name in ("images", "labels", "predictions", "saved_at")
                      if name in headers}
    except npz.NpzError as error:
        raise MyDigitsError(f"{error}; export one from the My digits page or `python -m lenet my-digits export`") from None
    images = _check_images(arrays["images"], "images")
    labels = _check_labels(arrays["labels"], len(images))
    predictions = arrays.get("predictions")
    predictions = [-1] * len(images) if predictions is None else _check_predictions(predictions, len(images))
    saved_at = arrays.get("saved_at")
    if saved_at is None or saved_at.shape != (len(images),) or not np.issubdtype(saved_at.dtype, np.number) \
            or not np.isfinite(saved_at).all():
        saved_at = [None] * len(images)  # the import's own time, in the file's order
    return _store_batch(store_dir, images, labels, predictions, saved_at)


def _check_headers(headers):
    """The number of digits the arrays' headers announce, if they can be a my-digits export; MyDigitsError if not."""
    pickled = [name for name, (_, dtype) in headers.items() if dtype.hasobject]
    if pickled:
        raise MyDigitsError(f"not a readable .npz file: {pickled[0]} holds Python objects, which are never unpickled")
    missing = [name for name in ("images", "labels") if name not in headers]
    if missing:
        raise MyDigitsError(f"not a my-digits export: it has no {' or '.join(missing)} array")
    shape, dtype = headers["images"]
    if len(shape) != 3 or shape[1:] != (28, 28):
        raise MyDigitsError(f"images must be 28×28 digits shaped (N, 28, 28), got shape {shape}")
    if dtype.name not in IMAGE_DTYPES:
        raise MyDigitsError(f"images must be uint8 or floats in [0, 1], got {dtype}")
    if shape[0] > MAX_IMPORT_DIGITS:
        raise MyDigitsError(f"{shape[0]:,} digits is more than the {MAX_IMPORT_DIGITS:,} an import may hold")
    expected = {"labels": f"labels must be {shape[0]} whole numbers from 0 to 9",
                "predictions": f"predictions must be {shape[0]} whole numbers from 0 to 9, or -1 for unknown"}
    for name, message in expected.items():
        if name in headers and (headers[name][0] != (shape[0],) or not np.issubdtype(headers[name][1], np.integer)):
            raise MyDigitsError(message)
    return shape[0]


def _store_batch(store_dir, images, labels, predictions, saved_at):
    """Write every digit into a hidden staging folder, then move it into the store with one rename."""
    store = store_path(store_dir)
    staging = store / f".import-{secrets.token_hex(6)}"
    batch = f"import-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"
    try:
        staging.mkdir(parents=True)
        names = []
        for image, label, prediction, time_saved in zip(images, labels, predictions, saved_at):
            name = _new_id(staging)
            np.savez(staging / f"{name}.npz", image=_to_uint8(image), label=label, prediction=prediction,
                     saved_at=time.time() if time_saved is None else float(time_saved))
            names.append(f"{batch}/{name}")
        staging.rename(store / batch)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise MyDigitsError(f"could not store the digits ({error.strerror or error}); nothing was imported") from None
    return names


def _check_images(images, name):
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise MyDigitsError(f"{name} must be 28×28 digits shaped (N, 28, 28), got shape {images.shape}")
    if len(images) == 0:
        raise MyDigitsError(f"{name} holds no digits")
    if images.dtype == np.uint8:
        return images.astype("float32") / 255.0
    if not np.issubdtype(images.dtype, np.floating) or not np.isfinite(images).all() or images.min() < 0 or images.max() > 1:
        raise MyDigitsError(f"{name} must be uint8 or floats in [0, 1]")
    return images.astype("float32")


def _check_labels(labels, count):
    if labels.shape != (count,) or not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0 or labels.max() > 9:
        raise MyDigitsError(f"labels must be {count} whole numbers from 0 to 9")
    return [int(label) for label in labels]


def _check_predictions(predictions, count):
    if predictions.shape != (count,) or not np.issubdtype(predictions.dtype, np.integer) \
            or predictions.min() < -1 or predictions.max() > 9:
        raise MyDigitsError(f"predictions must be {count} whole numbers from 0 to 9, or -1 for unknown")
    return [int(prediction) for prediction in predictions]


def _to_uint8(images):
    return np.clip(np.rint(np.asarray(images) * 255.0), 0, 255).astype("uint8")


def _write_npz_atomically(path, fields):
    with files.atomic_path(path) as temporary:
        np.savez(temporary, **fields)
