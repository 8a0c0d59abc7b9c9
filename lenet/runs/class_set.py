"""Class mode's class set: the digits a class gives to teach one model together, in the run store's .class/ folder.

A visitor (public mode's owner id, lenet/runs/public.py) picks a nickname, gives digits and may take back only
their own; the host removes any digit and accepts or removes fooling digits (drawings that fooled the class model,
lenet/runs/class_boards.py). A digit is one small .npz written as my digits writes its own (lenet/data/my_digits.py),
in a folder per kind and visitor; its name is a hash of its pixels and label, so giving the same digit twice stores
it once. The kind is the folder, so accepting a fooling digit is one rename. Gives and nicknames change under one
file lock: visitors giving at the same moment, from threads or processes, lose and duplicate nothing, and the caps
hold exactly. A fixed fifth of the visitors (not of the digits) is held out: their digits measure the class model
and never train it, so the held-out score is for handwriting the model has not seen.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lenet import files
from lenet.data import my_digits, npz
from lenet.runs import class_rules as rules
from lenet.runs.class_rules import ClassSetError


@dataclass(frozen=True)
class ClassDigit:
    digit_id: str  # "<kind>/<owner>/<name>"
    owner: str
    kind: str  # one of rules.KINDS
    image: np.ndarray  # 28×28 float32 in [0, 1]
    label: int
    prediction: int  # the class model's answer when it was given; -1 if unknown
    saved_at: float


class ClassSet:
    """The class set in `folder` (default: .class/ in the run store). Cheap to make: it holds only the path."""

    def __init__(self, folder=None):
        self.folder = Path(folder or files.runs_dir() / rules.CLASS_FOLDER)

    def lock(self):
        """The class's one lock, held while any change is checked and made: `with class_set.lock(): ...`."""
        return rules.locked(self.folder)

    # Nicknames.
    def nicknames(self):
        """{owner: nickname} of every visitor who picked one."""
        return files.read_json(self.folder / "nicknames.json", default={}) or {}

    def nickname(self, owner):
        return self.nicknames().get(owner)

    def set_nickname(self, owner, nickname):
        """Pick or change `owner`'s nickname; ClassSetError if it breaks a rule or another visitor has it."""
        owner, nickname = rules.checked_owner(owner), rules.clean_nickname(nickname)
        with self.lock():
            names, wanted = self.nicknames(), rules.same_name(nickname)
            if any(other != owner and rules.same_name(name) == wanted for other, name in names.items()):
                raise ClassSetError(f"another visitor is called {nickname!r} already; pick another nickname")
            files.write_json(self.folder / "nicknames.json", {**names, owner: nickname})
        return nickname

    # Giving and taking back.
    def give(self, owner, image, label, fooling=False, prediction=-1):
        """Give one digit (a fooling one awaits the host's review). Returns its id; giving it again keeps one copy."""
        return self.give_many(owner, [image], [label], fooling, [prediction])[0]

    def give_many(self, owner, images, labels, fooling=False, predictions=None):
        """Give several digits: all of them, or none when they would pass a cap. Returns their ids."""
        owner, kind = rules.checked_owner(owner), "fooling" if fooling else "given"
        predictions = [-1] * len(labels) if predictions is None else list(predictions)
        named = {rules.content_name(image, label): (image, label, prediction)
                 for image, label, prediction in zip(images, labels, predictions)}
        with self.lock():
            if self.nickname(owner) is None:
                raise ClassSetError("pick a nickname before giving digits to the class")
            folder = self.folder / kind / owner
            new = {name: digit for name, digit in named.items() if not (folder / f"{name}.npz").exists()}
            self._check_caps(owner, len(new))
            for name, (image, label, prediction) in new.items():
                try:
                    my_digits.save_digit(image, label, prediction, store_dir=folder, digit_id=name)
                except my_digits.MyDigitsError as error:
                    raise ClassSetError(str(error)) from None
        return [f"{kind}/{owner}/{rules.content_name(image, label)}" for image, label in zip(images, labels)]

    def _check_caps(self, owner, adding):
        mine, everyone = self.count(owner), self.count()
        if mine + adding > rules.MAX_VISITOR_DIGITS:
            raise ClassSetError(f"each visitor gives at most {rules.MAX_VISITOR_DIGITS} digits; you have given {mine}, "
                                f"so {max(rules.MAX_VISITOR_DIGITS - mine, 0)} more fit. Take some back first")
        if everyone + adding > rules.MAX_CLASS_DIGITS:
            raise ClassSetError(f"the class set is full: it holds at most {rules.MAX_CLASS_DIGITS:,} digits and "
                                f"has {everyone:,}, so {max(rules.MAX_CLASS_DIGITS - everyone, 0)} more fit. Ask the "
                                "host to make room")

    def take_back(self, owner, digit_id):
        """Remove a digit `owner` gave; ClassSetError for anyone else's."""
        kind, digit_owner, name = rules.parse_id(digit_id)
        if digit_owner != rules.checked_owner(owner):
            raise ClassSetError("you can take back only digits you gave yourself")
        self._remove(kind, digit_owner, name)

    def review_remove(self, digit_id):
        """The host removes any digit."""
        self._remove(*rules.parse_id(digit_id))

    def accept_fooling(self, digit_id):
        """The host accepts a fooling digit: it then trains (or measures) the class model and counts on the board.

        Returns its new id."""
        kind, owner, name = rules.parse_id(digit_id)
        if kind != "fooling":
            raise ClassSetError(f"{digit_id} is not a fooling digit awaiting review")
        with self.lock():
            source = self.folder / kind / owner / f"{name}.npz"
            target = self.folder / "accepted" / owner / f"{name}.npz"
            if not source.is_file():
                raise ClassSetError(f"no digit {digit_id} in the class set: someone removed it")
            target.parent.mkdir(parents=True, exist_ok=True)
            source.replace(target)
        return f"accepted/{owner}/{name}"

    def _remove(self, kind, owner, name):
        try:
            my_digits.delete_digit(name, store_dir=self.folder / kind / owner)
        except my_digits.MyDigitsError:
            raise ClassSetError(f"no digit {kind}/{owner}/{name} in the class set: it was removed already") from None

    # Reading.
    def count(self, owner=None):
        """How many digits the set holds (of every kind), or how many `owner` gave."""
        return sum(my_digits.count_digits(folder)
                   for kind in rules.KINDS for folder in self.folder.glob(f"{kind}/{owner or '*'}"))

    def digits(self, kind=None, owner=None):
        """The readable digits of one kind (default: all), of one owner (default: all), oldest first."""
        found = []
        for folder in sorted(self.folder.glob(f"{kind or '*'}/{owner or '*'}")):
            if folder.parent.name in rules.KINDS and rules.OWNER_PATTERN.fullmatch(folder.name):
                found += [ClassDigit(f"{folder.parent.name}/{folder.name}/{digit.digit_id}", folder.name,
                                     folder.parent.name, digit.image, digit.label, digit.prediction, digit.saved_at)
                          for digit in my_digits.list_digits(folder)]
        return sorted(found, key=lambda digit: digit.saved_at)

    def by_label(self, kind=None):
        """{label: [ClassDigit]}: the host's review grid, one row per label."""
        grid = {label: [] for label in range(10)}
        for digit in self.digits(kind):
            grid[digit.label].append(digit)
        return grid

    def training_digits(self):
        """The digits to train on: the given and accepted fooling digits of visitors who are not held out."""
        return [digit for digit in self.digits() if digit.kind != "fooling" and not rules.is_held_out(digit.owner)]

    def training_arrays(self):
        """(images, labels) of training_digits, as my digits gives its own."""
        return my_digits.as_arrays(self.training_digits())

    def held_out_arrays(self):
        """(images, labels) of the held-out visitors' given digits: handwriting the class model never trained on."""
        return my_digits.as_arrays([digit for digit in self.digits("given") if rules.is_held_out(digit.owner)])

    def fooling_arrays(self):
        """(images, labels) of every accepted fooling digit (those of visitors not held out also train the model)."""
        return my_digits.as_arrays(self.digits("accepted"))

    def export_npz(self, digits=None):
        """The given and accepted digits (or `digits`) as .npz bytes, in my digits' export format: My digits and
        `python -m lenet my-digits import` read it."""
        digits = [digit for digit in self.digits() if digit.kind != "fooling"] if digits is None else digits
        return my_digits.export_npz(digits=digits)


def frozen_arrays(path):
    """(images, labels) of an export this module wrote (a retrain's frozen training digits), for the worker."""
    arrays = npz.read_all(path)
    if arrays is None or "images" not in arrays or "labels" not in arrays:
        raise ClassSetError(f"the class digits to train with, {Path(path).name}, are missing or damaged; retrain again")
    return arrays["images"].astype("float32") / 255.0, arrays["labels"].astype("int32")


