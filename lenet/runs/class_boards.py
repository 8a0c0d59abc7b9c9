"""Class mode's challenge and boards: whether a drawing fools the class model, who fooled it most, and whose
training runs did best.

The boards are read from the class set and the run store each time they are shown; they keep nothing of their own.
"""

from dataclasses import dataclass, field

import numpy as np

from lenet import config as lenet_config
from lenet.data import datasets
from lenet.runs import store
from lenet.runs.class_set import ClassSet

NO_NICKNAME = "(no nickname)"


@dataclass(frozen=True)
class Verdict:
    fooled: bool  # True: the drawing goes to the class set as a fooling digit, for the host to review
    message: str  # what the Draw page says, in a sentence


def judge_challenge(classifier_prediction, stated_label):
    """Whether a drawing the visitor says is `stated_label` fools the class model.

    `classifier_prediction` is the class model's lenet.serve.inference.Prediction for the drawing. It fools the
    model when the model answers another digit, or abstains ("not a digit") on a digit the visitor stands by.
    """
    if isinstance(stated_label, bool) or not isinstance(stated_label, (int, np.integer)) or not 0 <= stated_label <= 9:
        raise ValueError(f"say which digit you drew, from 0 to 9 (got {stated_label!r})")
    if classifier_prediction.label is None:
        return Verdict(False, "Draw a digit first.")
    if classifier_prediction.abstained:
        return Verdict(True, f"You fooled the class model: it says this is not a digit, and you say it is a "
                             f"{stated_label}.")
    if classifier_prediction.label != stated_label:
        return Verdict(True, f"You fooled the class model: it reads a {classifier_prediction.label}, and you say it "
                             f"is a {stated_label}.")
    return Verdict(False, f"The class model reads it as a {stated_label}, as you do: not fooled this time.")


def fooling_board(class_set=None):
    """[(nickname, accepted fooling digits)], most first: only fooling digits the host accepted count."""
    class_set = class_set or ClassSet()
    counts = {}
    for digit in class_set.digits("accepted"):
        counts[digit.owner] = counts.get(digit.owner, 0) + 1
    names = class_set.nicknames()
    board = [(names.get(owner, NO_NICKNAME), count) for owner, count in counts.items()]
    return sorted(board, key=lambda row: (-row[1], row[0].casefold()))


@dataclass(frozen=True)
class BoardRun:
    nickname: str
    run_id: str
    test_accuracy: float
    wall_seconds: float
    preset: str
    settings: dict = field(default_factory=dict)  # only the settings that differ from the preset's


def runs_board(runs_root=None, class_set=None, dataset=datasets.DEFAULT):
    """Visitors' finished runs on `dataset`, best test accuracy first and, at equal accuracy, fastest first.

    Only runs a visitor started from the browser count (those with an owner); the class model's retrains (which
    train with the class set) do not.
    """
    names = (class_set or ClassSet()).nicknames()
    board = []
    for run in store.list_runs(runs_root):
        accuracy = run.summary.get("test_accuracy")
        if not run.owner or run.state != "finished" or accuracy is None or run.status.get("training_digits") \
                or run.config.get("dataset") != dataset:
            continue
        board.append(BoardRun(names.get(run.owner, NO_NICKNAME), run.run_id, float(accuracy),
                              float(run.summary.get("wall_seconds", float("inf"))), run.config.get("preset", ""),
                              _changed_settings(run.config)))
    return sorted(board, key=lambda row: (-row.test_accuracy, row.wall_seconds))


def _changed_settings(run_config):
    """The settings a run changed from its preset: the preset's name says the rest."""
    try:
        preset = lenet_config.get_preset(run_config.get("preset"), run_config.get("dataset")).to_dict()
    except (ValueError, KeyError):
        preset = {}
    return {name: value for name, value in run_config.items()
            if name not in ("preset", "dataset") and preset.get(name) != value}
