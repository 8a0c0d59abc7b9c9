"""Leave one family out: does "that doesn't look like a digit" hold for kinds of drawing the detector never saw?

For each family of the outlier bank, the detector is fitted on the bank without that family and its kin
(outlier_bank.KIN: letters go with letters written as strokes; drawings that pair one with another family go too)
and on the broken digits and the scrawls, which are of no family, then scored on fresh drawings of that family
alone, drawn with a seed the bank never uses. A detector that learned "unlike a digit" abstains on them; one that
learned the bank's designs does not. The same fits give the share of MNIST test digits abstained, so a gain on
non-digits cannot hide a loss on digits. A classifier trained with outlier exposure has seen the bank's drawings
too, so for such a model each family's classifier is trained again without the family and its kin, once per seed
(about 3 min each on 2 cores, twelve kin times three seeds), before its detectors are fitted.

`python -m lenet bench --likeness-families` writes the table for the bundled MNIST model into BENCHMARKS.md, with
what its card's own detector refuses of the doodles no bank teaches and of the pen gestures of lenet.data.gestures.
"""

import dataclasses
import tempfile
import time
from pathlib import Path

import numpy as np

from lenet import config as lenet_config
from lenet.bench import engine
from lenet.data import doodles, gestures, sources
from lenet.serve import inference, likeness, outlier_bank, preprocess
from lenet.train import likeness_fit, run_files, training

HELD_OUT_SEED = 20261204  # never the bank's seed, nor a test's small one
# Each left-out fit is made once per seed, and a family's figure is their mean. One fit's share of a family moves with
# the detectors' random start by up to 13 points (questions, 30-39% over seeds 0-2 on 12-06), and a classifier
# trained again without the family moves it by up to 18 more with its own training seed (questions 60/42/45%, 12-06):
# so where the classifier is trained again, each seed trains it as well as starting its detectors.
SEEDS = (0, 1, 2)
PER_FAMILY = 150
GESTURES_EACH = 30


def family_images(family, count=PER_FAMILY, seed=HELD_OUT_SEED):
    """`count` fresh drawings of one family as the model sees them (those that preprocess to nothing are skipped).

    Doodles come from the half of each thing's drawings that no bank teaches from, a few things each."""
    if family == outlier_bank.DOODLES:
        drawn_by_people = doodles.load()
        picked = np.random.default_rng(seed).choice(list(drawn_by_people), count, replace=False)
        canvases = doodles.sample({thing: drawn_by_people[thing] for thing in picked}, 1, seed, teaching=False)[1]
    else:
        canvases = [image for _, image in outlier_bank.drawings(count, seed, families=(family,))]
    return preprocess.to_mnist_digits(canvases)


def doodles_by_thing(stats, model, seed=HELD_OUT_SEED):
    """{thing: share refused} of the doodles no bank teaches from (the second half of each thing's drawings)."""
    drawn_by_people = doodles.load()
    every_one = max(len(made) for made in drawn_by_people.values())
    return _refused_by_name(stats, model, *doodles.sample(drawn_by_people, every_one, seed, teaching=False))


def gestures_by_name(stats, model, each=GESTURES_EACH):
    """{gesture: share refused} of lenet.data.gestures' pen gestures, `each` drawings of each."""
    return _refused_by_name(stats, model, *zip(*gestures.drawings(each)))


def _refused_by_name(stats, model, names, canvases):
    """{name: share refused} of canvas drawings, each named, in the order the names first come; a drawing that
    preprocesses to nothing is skipped."""
    kept = [(name, digit) for name, digit in zip(names, map(preprocess.to_mnist_digit, canvases)) if digit is not None]
    refused = ~likeness.is_like(stats, likeness.score(stats, likeness_fit.layer_features(
        model, np.stack([digit for _, digit in kept]), answer_layer=stats.answer_layer)))
    names = np.array([name for name, _ in kept])
    return {name: float(refused[names == name].mean()) for name in dict.fromkeys(names.tolist())}


def leave_one_family_out(model, splits, bank=None, families=outlier_bank.ALL_FAMILIES, per_family=PER_FAMILY,
                         seed=HELD_OUT_SEED, seeds=SEEDS, train_config=None):
    """{family: {"abstained": share of that family's fresh drawings refused, "abstained_by_seed": that share for each
    of `seeds`, "test_abstained": share of MNIST test digits refused}} for detectors fitted without the family and
    its kin, once per seed; both shares are means over the seeds. `bank` is (families per drawing, images), the
    outlier bank by default; a bank's own families that are not in `families` always stay in. `train_config` is the
    model's: where it trains with outlier exposure, each family's classifier is trained again without the family's
    drawings, once per seed with that seed, and the detectors read its answer as the model's card does."""
    bank = bank or outlier_bank.bank()
    retrains = bool(train_config and train_config.outlier_weight)
    answer_layer = likeness_fit.answer_layer_for(train_config) if train_config else ""
    by_kin = {}  # the families measured together: all at once, or one kin at a time where a classifier is retrained
    for family in families:
        by_kin.setdefault(frozenset(outlier_bank.kin(family)) if retrains else None, []).append(family)
    results = {}
    for measured in by_kin.values():
        fresh = {family: family_images(family, per_family, seed) for family in measured}
        results.update(_with_kin_left_out(model, splits, bank, fresh, seeds, train_config if retrains else None,
                                          answer_layer))
    return {family: results[family] for family in families}


def _with_kin_left_out(model, splits, bank, fresh, seeds, retrain_config, answer_layer):
    """leave_one_family_out's figures for the families of one kin (the keys of `fresh`, their fresh drawings). With
    `retrain_config`, a classifier is trained without them from each seed, in place of `model`."""
    bank_families, bank_images = bank
    kept_of = {family: np.array([not outlier_bank.kin(family) & set(drawn_from) for drawn_from in bank_families])
               for family in fresh}
    readings = None if retrain_config else _readings(model, splits, bank_images, fresh, answer_layer)
    shares = {family: [] for family in fresh}  # (the family's share refused, the test digits') per seed
    for fit_seed in seeds:
        if retrain_config:
            kept = kept_of[next(iter(fresh))]  # the same for every family of one kin
            classifier = _trained_without(dataclasses.replace(retrain_config, seed=fit_seed), bank_images[kept])
            readings = _readings(classifier, splits, bank_images, fresh, answer_layer)
        digits, bank_features, no_family_features, unseen = readings
        for family in fresh:
            outliers = {layer: np.concatenate([values[kept_of[family]], no_family_features[layer]])
                        for layer, values in bank_features.items()}
            stats = likeness.fit(digits["train"], digits["validation"], outliers, seed=fit_seed,
                                 answer_layer=answer_layer)
            shares[family].append((_refused(stats, unseen[family]), _refused(stats, digits["test"])))
    return {family: _means(by_seed) for family, by_seed in shares.items()}


def _means(by_seed):
    """A family's figures from its (share refused, test digits' share refused) for each seed."""
    refused, test = zip(*by_seed)
    return {"abstained": float(np.mean(refused)), "abstained_by_seed": list(refused),
            "test_abstained": float(np.mean(test))}


def _readings(classifier, splits, bank_images, fresh, answer_layer):
    """What one classifier's detectors are fitted and scored on: the digits' features, the bank's, those of the
    non-digits of no family that every fit keeps (likeness_fit.no_family_non_digits_for), and those of each family's
    fresh drawings."""
    unseen = {family: likeness_fit.layer_features(classifier, images, answer_layer=answer_layer)
              for family, images in fresh.items()}
    bank_features = likeness_fit.layer_features(classifier, bank_images)
    no_family_features = likeness_fit.layer_features(classifier, likeness_fit.no_family_non_digits_for(splits))
    return _digit_features(classifier, splits, answer_layer), bank_features, no_family_features, unseen


def _trained_without(train_config, outliers):
    """A classifier trained as `train_config` says, with `outliers` as the non-digits of its outlier exposure."""
    with tempfile.TemporaryDirectory() as run_dir:
        training.train(train_config, run_dir, outliers=outliers, with_snapshots=False)
        return inference.load_model(Path(run_dir) / run_files.MODEL_FILE)


def current_detector(stats, model, families=outlier_bank.ALL_FAMILIES, per_family=PER_FAMILY, seed=HELD_OUT_SEED):
    """{family: share refused} by already-fitted statistics (a model card's), on the same fresh drawings."""
    return {family: _refused(stats, likeness_fit.layer_features(model, family_images(family, per_family, seed),
                                                                answer_layer=stats.answer_layer))
            for family in families}


def table_lines(results, before=None):
    """Markdown rows: family, abstained after (the mean, then each seed's), the card's detector (when `before` is
    given), MNIST test abstained by those fits."""
    header = ("| family left out | abstained | each seed | " + ("the card's detector | " if before else "")
              + "MNIST test abstained |")
    lines = [header, "|---" * (5 if before else 4) + "|"]
    for family, figures in results.items():
        by_seed = " / ".join(f"{share:.0%}" for share in figures["abstained_by_seed"])
        was = f"{before[family]:.0%} | " if before else ""
        lines.append(f"| {family} | {figures['abstained']:.0%} | {by_seed} | {was}{figures['test_abstained']:.2%} |")
    return lines


def run_and_write(path=engine.BENCHMARKS_FILE):
    """The bundled MNIST model's table, printed and written into BENCHMARKS.md's "likeness-families" section."""
    classifier = inference.Classifier()
    train_config = lenet_config.TrainConfig.from_dict(classifier.card.config)
    results = leave_one_family_out(classifier.model, sources.load("mnist"), train_config=train_config)
    before = current_detector(classifier.likeness, classifier.model)
    by_thing = doodles_by_thing(classifier.likeness, classifier.model)
    by_gesture = gestures_by_name(classifier.likeness, classifier.model)
    lines = table_lines(results, before) + ["", doodles_line(by_thing), "", gestures_line(by_gesture)]
    print("\n".join(lines))
    engine.replace_section("likeness-families", "\n".join([
        f"Measured {time.strftime('%Y-%m-%d %H:%M')} with `python -m lenet bench --likeness-families` on "
        f"{engine.machine_description()}: each family left out of the bundled MNIST model's detector in turn, "
        f"fitted once with each seed {', '.join(map(str, SEEDS))}, then {PER_FAMILY} fresh drawings of it scored"
        f"{_retraining_clause(train_config)}; \"abstained\" and \"MNIST test abstained\" are the seeds' means; "
        "\"the card's detector\" is the model card's own, fitted on every family.", "", *lines]), path,
        heading="### Not a digit, family by family")
    return {"left_out": results, "card": before, "doodles_by_thing": by_thing, "gestures": by_gesture}


def _retraining_clause(train_config):
    """How the table's classifiers came about, where they were trained again."""
    if not train_config.outlier_weight:
        return ""
    return (" (the model trains with outlier exposure, so with each seed its classifier was also trained again, "
            "without the family and its kin, from that seed)")


def doodles_line(by_thing):
    """One sentence on the card's detector and the doodles no bank teaches from, thing by thing."""
    mean, at_goal, fewest = _summary(by_thing, 8)
    return (f"Doodles by people ({doodles.CREDIT}), the half of each thing's drawings that no bank teaches from, "
            f"{len(by_thing)} things: the card's detector refused **{mean:.1%}**, and at least 85% of "
            f"{at_goal} things' drawings; the fewest: {fewest}.")


def gestures_line(by_gesture):
    """One sentence on the card's detector and the pen gestures of lenet.data.gestures, gesture by gesture."""
    mean, at_goal, fewest = _summary(by_gesture, 6)
    return (f"Pen gestures of our own design ({len(by_gesture)} kinds, {GESTURES_EACH} drawings of each on the full "
            f"canvas, `lenet/data/gestures.py`, none drawn by the bank's code): the card's detector refused "
            f"**{mean:.1%}**, and at least 85% of {at_goal} kinds; the fewest: {fewest}.")


def _summary(shares_by_name, fewest_count):
    """(the mean share refused, how many names reach 85%, "name share, …" for the `fewest_count` fewest)."""
    shares = np.array(list(shares_by_name.values()))
    fewest = sorted(shares_by_name.items(), key=lambda item: item[1])[:fewest_count]
    return shares.mean(), (shares >= 0.85).sum(), ", ".join(f"{name} {share:.0%}" for name, share in fewest)


def _digit_features(model, splits, answer_layer=""):
    """The digits' features, read as the card's fit reads them (MNIST's: drawn digits taught as well)."""
    return {"train": likeness_fit.layer_features(model, likeness_fit.teaching_digits(splits)),
            "validation": likeness_fit.layer_features(model, splits.x_val, answer_layer=answer_layer),
            "test": likeness_fit.layer_features(model, splits.x_test, answer_layer=answer_layer)}


def _refused(stats, features):
    return float(1 - likeness.is_like(stats, likeness.score(stats, features)).mean())
