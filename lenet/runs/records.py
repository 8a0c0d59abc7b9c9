"""What a run folder's files must hold, checked where they are read.

Anything can be on disk: a crash, a full disk, another program or a curious person can leave bytes that are not
UTF-8, `null`, `[]`, or a string where a number belongs. Readers use these checks so that one bad file makes its
run "unreadable: <why>" and never breaks a page, the CLI or the queue.
"""

import json
import math
from pathlib import Path

STATES = ("queued", "running", "finished", "stopped", "failed")
RECORD_KINDS = ("start", "batch", "epoch")


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _whole(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _positive_whole(value):
    return _whole(value) and value >= 1


def _finite(value):
    return _number(value) and math.isfinite(value)


def _text(value):
    return isinstance(value, str)


def _state(value):
    return value in STATES


def _matrix(value):
    return isinstance(value, list) and all(isinstance(row, list) and all(_whole(cell) for cell in row) for row in value)


def _numbers(value):
    return isinstance(value, list) and all(_number(item) for item in value)


# Each file's known fields and what each must be. Fields not listed are kept as they are: other code may add its own.
STATUS_FIELDS = {"state": _state, "created": _finite, "started": _finite, "ended": _finite, "pid": _positive_whole,
                 "pid_started": _finite, "error": _text, "run_name": _text, "owner": _text, "my_digits_store": _text,
                 "training_digits": _text}
SUMMARY_FIELDS = {"stopped": lambda value: isinstance(value, bool), "killed": lambda value: isinstance(value, bool),
                  "epochs_completed": _whole, "train_seconds": _number, "wall_seconds": _number,
                  "peak_memory_mb": _number, "test_accuracy": _number, "test_loss": _number, "params": _whole,
                  "model_path": _text, "confusion_matrix": _matrix, "per_class_accuracy": _numbers}
# Metric records: the fields each kind must have (the pages read them all), and optional ones that must be numbers.
RECORD_FIELDS = {
    "start": {"epochs": _positive_whole, "steps_per_epoch": _positive_whole},
    "batch": {"epoch": _positive_whole, "batch": _positive_whole, "step": _positive_whole, "loss": _number,
              "seconds": _number},
    "epoch": {"epoch": _positive_whole, "loss": _number, "accuracy": _number, "val_loss": _number,
              "val_accuracy": _number},
}
RECORD_NUMBERS = ("time", "accuracy", "learning_rate", "seconds", "epoch_seconds")
MISSING = object()  # what read() returns for a file that does not exist (which is not the same as `null`)


def read(path):
    """(value, problem): the JSON in `path`, or None and why not. A missing file is (MISSING, None), not a problem."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return MISSING, None
    except OSError as error:
        return None, f"{path.name} cannot be read ({error.strerror or error})"
    try:
        return json.loads(raw.decode("utf-8")), None
    except UnicodeDecodeError:
        return None, f"{path.name} is not UTF-8 text"
    except ValueError:
        return None, f"{path.name} is not valid JSON"


def check_fields(name, values, fields, required=()):
    """Why `values` (read from file `name`) is not a mapping of valid fields, or None if it is."""
    if not isinstance(values, dict):
        return f"{name} holds {_kind(values)}, not a mapping of fields"
    for field in required:
        if field not in values:
            return f"{name} has no {field!r}"
    for field, valid in fields.items():
        if field in values and not valid(values[field]):
            return f"{name}: {field} is {_kind(values[field])}, which is not valid there"
    return None


def _kind(value):
    # The type, never the value: file contents are not echoed into messages the pages show.
    names = {type(None): "null", bool: "a true/false", int: "a whole number", float: "a number", str: "a text",
             list: "a list", dict: "a mapping"}
    return names.get(type(value), type(value).__name__)


def valid_record(record):
    """Whether a metric line is a record the pages can draw: a known kind with every field it needs, as numbers.

    Records of kinds this module does not know (added by newer code) pass unchanged; their readers check them.
    """
    if not isinstance(record, dict) or not isinstance(record.get("kind"), str):
        return False
    required = RECORD_FIELDS.get(record["kind"])
    if required is None:
        return True
    if any(not valid(record.get(field)) for field, valid in required.items()):
        return False
    return all(_number(record[field]) for field in RECORD_NUMBERS if field in record)
