"""Leave one family out: does "that doesn't look like a digit" hold for kinds of drawing the detector never saw?

For each family of the outlier bank, the detector is fitted on the bank without that family and its kin
(outlier_bank.KIN: letters go with letters written as strokes; drawings that pair one with another family go too),
then scored on fresh drawings of that family alone, drawn with a seed the bank never uses. A detector that learned
"unlike a digit" abstains on them; one that learned the bank's designs does not. The same fits give the share of
MNIST test digits abstained, so a gain on non-digits cannot hide a loss on digits.

`python -m lenet bench --likeness-families` writes the table for the bundled MNIST model into BENCHMARKS.md.
"""

import time

import numpy as np

from lenet.bench import engine
from lenet.data import sources
from lenet.serve import inference, likeness, outlier_bank, preprocess
from lenet.train import likeness_fit

HELD_OUT_SEED = 20261204  # never the bank's seed, nor a test's small one
PER_FAMILY = 150


def family_images(family, count=PER_FAMILY, seed=HELD_OUT_SEED):
    """`count` fresh drawings of one family as the model sees them (those that preprocess to nothing are skipped)."""
    digits = (preprocess.to_mnist_digit(image) for _, image in outlier_bank.drawings(count, seed, families=(family,)))
    return np.stack([digit for digit in digits if digit is not None])


def leave_one_family_out(model, splits, bank=None, families=outlier_bank.FAMILIES, per_family=PER_FAMILY,
                         seed=HELD_OUT_SEED):
    """{family: {"abstained": share of that family's fresh drawings refused, "test_abstained": share of MNIST test
    digits refused}} for detectors fitted without the family and its kin. `bank` is (families per drawing, images),
    the outlier bank by default; a bank's own families that are not in `families` always stay in."""
    bank_families, bank_images = bank or outlier_bank.bank()
    bank_features = likeness_fit.layer_features(model, bank_images)
    digits = _digit_features(model, splits)
    results = {}
    for family in families:
        kept = np.array([not outlier_bank.kin(family) & set(drawn_from) for drawn_from in bank_families])
        stats = likeness.fit(digits["train"], digits["validation"],
                             {layer: values[kept] for layer, values in bank_features.items()})
        unseen = likeness_fit.layer_features(model, family_images(family, per_family, seed))
        results[family] = {"abstained": _refused(stats, unseen), "test_abstained": _refused(stats, digits["test"])}
    return results


def current_detector(stats, model, families=outlier_bank.FAMILIES, per_family=PER_FAMILY, seed=HELD_OUT_SEED):
    """{family: share refused} by already-fitted statistics (a model card's), on the same fresh drawings."""
    return {family: _refused(stats, likeness_fit.layer_features(model, family_images(family, per_family, seed)))
            for family in families}


def table_lines(results, before=None):
    """Markdown rows: family, abstained after (and before, when given), MNIST test abstained by that fit."""
    header = "| family left out | abstained | " + ("the card's detector | " if before else "") + "MNIST test abstained |"
    lines = [header, "|---" * (4 if before else 3) + "|"]
    for family, figures in results.items():
        was = f"{before[family]:.0%} | " if before else ""
        lines.append(f"| {family} | {figures['abstained']:.0%} | {was}{figures['test_abstained']:.2%} |")
    return lines


def run_and_write(path=engine.BENCHMARKS_FILE):
    """The bundled MNIST model's table, printed and written into BENCHMARKS.md's "likeness-families" section."""
    classifier = inference.Classifier()
    results = leave_one_family_out(classifier.model, sources.load("mnist"))
    before = current_detector(classifier.likeness, classifier.model)
    lines = table_lines(results, before)
    print("\n".join(lines))
    engine.replace_section("likeness-families", "\n".join([
        f"Measured {time.strftime('%Y-%m-%d %H:%M')} with `python -m lenet bench --likeness-families` on "
        f"{engine.machine_description()}: each family left out of the bundled MNIST model's detector in turn, "
        f"then {PER_FAMILY} fresh drawings of it scored; \"the card's detector\" is the model card's own, fitted on "
        "every family.", "", *lines]), path, heading="### Not a digit, family by family")
    return {"left_out": results, "card": before}


def _digit_features(model, splits):
    return {"train": likeness_fit.layer_features(model, likeness_fit.training_sample(splits.x_train)),
            "validation": likeness_fit.layer_features(model, splits.x_val),
            "test": likeness_fit.layer_features(model, splits.x_test)}


def _refused(stats, features):
    return float(1 - likeness.is_like(stats, likeness.score(stats, features)).mean())
