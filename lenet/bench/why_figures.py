"""Benchmarks of issue 9, run by `python -m lenet bench`: the digit-likeness figures of the bundled model, and the
server-side time of Draw's "Why this digit?" views (the evidence map and the counterfactual) on real drawings, and
how often the counterfactual reaches the digit asked for.

The drawings are made in code (lenet.data.synthetic) with their own seed, so they are fresh ones, not the tests' set.
"""

import time

import numpy as np

from lenet.data import synthetic
from lenet.explain import attribution
from lenet.serve import inference, likeness
from lenet.train import metrics

SEED = 1  # the tests draw with seed 0
STROKE_DIGITS, NON_DIGITS = 500, 230
EXPLAIN_REPEATS = 60
SEARCH_DRAWINGS = 20  # × the 9 digits each is not: the counterfactual searches whose success is counted


def likeness_figures(splits, classifier=None):
    """MNIST test: share abstained and accuracy on the rest vs plain; generated non-digits abstained; stroke digits
    read right, an abstention counting as an error, overall and per digit, as the bench draws them, drawn small
    with the slider's own pen, and in the styles that nothing here trains on; MNIST's test digits drawn big. None
    when the model has no likeness statistics."""
    classifier = classifier or inference.Classifier()
    if classifier.likeness is None:
        return None
    probabilities, like = _judged(classifier, splits.x_test)
    test = metrics.abstention_figures(splits.y_test.astype(int), probabilities, like)
    plain = float((probabilities.argmax(axis=1) == splits.y_test).mean())
    others = [classifier.classify(image) for _, image in synthetic.non_digits(NON_DIGITS, seed=SEED)]
    drawn = synthetic.stroke_digits(STROKE_DIGITS, seed=SEED)
    drawn_small = synthetic.stroke_digits(STROKE_DIGITS, seed=SEED, heights=synthetic.SMALL_HEIGHT_RANGE,
                                          pen=synthetic.DEFAULT_STROKE_WIDTH)
    other_styles = synthetic.stroke_digits(STROKE_DIGITS, seed=SEED, styles=synthetic.OTHER_DIGIT_STYLES)
    return {"test_abstained": test["abstained"], "test_accuracy_on_rest": test["accuracy_on_rest"],
            "test_accuracy": plain, "test_read_right": _read_right_share(probabilities, like, splits.y_test),
            **_drawn_big(classifier, splits.x_test, splits.y_test), "non_digits": len(others),
            "non_digits_abstained": float(np.mean([prediction.abstained for prediction in others])),
            "stroke_digits": len(drawn), "stroke_styles_taught": bool(classifier.card.config.get("drawn_digits")),
            **_read_right(classifier, drawn),
            **_read_right(classifier, drawn_small, prefix="small_"),
            **_read_right(classifier, other_styles, prefix="other_style_")}


def drawn_big(classifier, images, labels):
    """MNIST-style digits read right (an abstention counting as an error) and abstained on, as 28×28 arrays and
    drawn big: enlarged to the canvas's size and prepared as Draw prepares a drawing. Real handwriting through
    Draw's preparation should read as well as the arrays do."""
    probabilities, like = _judged(classifier, images)
    return {"test_read_right": _read_right_share(probabilities, like, labels),
            "test_abstained": _abstained_share(probabilities, like, labels), **_drawn_big(classifier, images, labels)}


def _drawn_big(classifier, images, labels):
    """drawn_big's figures for the digits drawn big alone."""
    probabilities, like = _judged(classifier, [classifier.prepare(image) for image in
                                               synthetic.enlarged_digits(images)])
    return {"drawn_big_read_right": _read_right_share(probabilities, like, labels),
            "drawn_big_abstained": _abstained_share(probabilities, like, labels)}


def _judged(classifier, images):
    """(probabilities, whether each looks like a digit) for a batch of 28×28 images."""
    probabilities, scores = classifier.judge(np.stack(images))
    return probabilities, likeness.is_like(classifier.likeness, scores)


def _abstained_share(probabilities, like, labels):
    """The share abstained on, as `evaluate` and a run's summary count it."""
    return metrics.abstention_figures(labels, probabilities, like)["abstained"]


def _read_right_share(probabilities, like, labels):
    """The share read as their label and not abstained on."""
    return float(((probabilities.argmax(axis=1) == labels) & like).mean())


def _read_right(classifier, digits, prefix=""):
    """The share of (label, drawing) pairs read as their label and not abstained on, overall and per digit."""
    read_right = np.array([(prediction := classifier.classify(image)).label == label and not prediction.abstained
                           for label, image in digits])
    labels = np.array([label for label, _ in digits])
    return {f"{prefix}stroke_digits_read_right": float(np.mean(read_right)),
            f"{prefix}stroke_digits_per_class": [float(read_right[labels == digit].mean()) for digit in range(10)]}


def _per_class(figures, prefix=""):
    """The stroke digits' weakest class and every class's share, when measured (results from before lack them)."""
    shares = figures.get(f"{prefix}stroke_digits_per_class")
    if not shares:
        return ""
    weakest = int(np.argmin(shares))
    return (f"; weakest digit {weakest} at **{shares[weakest]:.0%}** (goal ≥ 97%), per digit 0–9: "
            + " / ".join(f"{share:.0%}" for share in shares))


def _taught(figures):
    """The line's words that the model trains on other drawings of the stroke digits' styles, where it does."""
    if not figures.get("stroke_styles_taught"):
        return ""
    return " (in styles the model trains on: other drawings of them are its `drawn_digits`)"


def _small(figures):
    """The line's words on digits drawn small with the slider's own pen, when measured (results from before lack
    them)."""
    if "small_stroke_digits_read_right" not in figures:
        return ""
    low, high = synthetic.SMALL_HEIGHT_RANGE
    return (f" As many drawn small ({low:.0%}–{high:.0%} of the canvas high) with the slider's "
            f"{synthetic.DEFAULT_STROKE_WIDTH}-pixel pen, read right "
            f"**{figures['small_stroke_digits_read_right']:.1%}**{_per_class(figures, 'small_')}.")


def _other_styles(figures):
    """The line's words on digits in the styles nothing here trains on, when measured (results from before lack
    them)."""
    if "other_style_stroke_digits_read_right" not in figures:
        return ""
    shares = figures["other_style_stroke_digits_per_class"]
    return (f" As many in styles that nothing here trains on (`synthetic.OTHER_DIGIT_STYLES`: a long-flagged 1, a "
            f"6 whose top curls over, …), read right **{figures['other_style_stroke_digits_read_right']:.1%}**, per "
            "digit 0–9: " + " / ".join(f"{share:.0%}" for share in shares) + ".")


def _drawn_big_words(figures):
    """The line's words on MNIST's test digits drawn big, when measured (results from before lack them)."""
    if "drawn_big_read_right" not in figures:
        return ""
    return (f" MNIST's test digits drawn big (enlarged to the canvas's {synthetic.CANVAS_SIZE} pixels) and prepared as "
            f"Draw prepares a drawing, read right **{figures['drawn_big_read_right']:.2%}**, abstained "
            f"{figures['drawn_big_abstained']:.2%} (as 28×28 arrays: {figures['test_read_right']:.2%}, "
            f"{figures['test_abstained']:.2%}).")


def explanation_figures(classifier=None, repeats=EXPLAIN_REPEATS, search_drawings=SEARCH_DRAWINGS):
    """p50 and p95 in ms of the evidence map and of the counterfactual (towards the runner-up digit), on stroke
    digits prepared as Draw prepares them, once the graphs are traced; each timed `repeats` times. Then the share of
    counterfactual searches that reach their digit: from each of the first `search_drawings` drawings, towards each
    digit it is not read as, as a learner's "What would make it a k?" asks."""
    classifier = classifier or inference.Classifier()
    explainer = attribution.Explainer(classifier.model, class_means=classifier.card.class_mean_images())
    drawn = []  # (image, answer, runner-up)
    for _, drawing in synthetic.stroke_digits(20, seed=SEED):
        prediction = classifier.classify(drawing)
        drawn.append((prediction.image, prediction.label, int(np.argsort(prediction.probabilities)[-2])))
    explainer.evidence(drawn[0][0])
    explainer.counterfactual(drawn[0][0], drawn[0][2])  # the first calls trace the graphs
    evidence = _timings(lambda index: explainer.evidence(drawn[index % len(drawn)][0]), repeats)
    counterfactual = _timings(lambda index: _towards_runner_up(explainer, drawn[index % len(drawn)]), repeats)
    reached = [explainer.counterfactual(image, target).succeeded for image, answer, _ in drawn[:search_drawings]
               for target in range(10) if target != answer]
    return {"evidence_p50_ms": evidence[0], "evidence_p95_ms": evidence[1],
            "counterfactual_p50_ms": counterfactual[0], "counterfactual_p95_ms": counterfactual[1],
            "counterfactual_searches": len(reached), "counterfactual_reached": float(np.mean(reached))}


def _towards_runner_up(explainer, drawn):
    image, _, runner_up = drawn
    return explainer.counterfactual(image, runner_up)


def _timings(call, repeats):
    milliseconds = []
    for index in range(repeats):
        started = time.perf_counter()
        call(index)
        milliseconds.append((time.perf_counter() - started) * 1000)
    return float(np.percentile(milliseconds, 50)), float(np.percentile(milliseconds, 95))


def lines(results):
    """The report's lines; absent from results written before these were measured."""
    found = []
    if results.get("likeness"):
        figures = results["likeness"]
        found.append(
            f"- Digit-likeness (bundled model): MNIST test abstained **{figures['test_abstained']:.2%}** (goal ≤ 1.0%), "
            f"accuracy on the rest {figures['test_accuracy_on_rest']:.2%} vs {figures['test_accuracy']:.2%} plain; "
            f"{figures['non_digits']} generated non-digits abstained **{figures['non_digits_abstained']:.1%}** (goal "
            f"≥ 90%); {figures['stroke_digits']} stroke-drawn digits{_taught(figures)} read right, abstentions as "
            "errors, "
            f"**{figures['stroke_digits_read_right']:.1%}** (goal ≥ 99.0%){_per_class(figures)}.{_small(figures)}"
            f"{_other_styles(figures)}{_drawn_big_words(figures)}")
    if results.get("explanations"):
        timing = results["explanations"]
        found.append(
            f"- Why this digit? (server side, stroke digits): evidence map p50 **{timing['evidence_p50_ms']:.1f} ms**, "
            f"p95 {timing['evidence_p95_ms']:.1f} ms (goal p50 ≤ 50 ms); counterfactual p50 "
            f"**{timing['counterfactual_p50_ms']:.0f} ms**, p95 {timing['counterfactual_p95_ms']:.0f} ms "
            f"(goal p50 ≤ 300 ms){_reached(timing)}.")
    return found


def _reached(timing):
    """How many counterfactual searches reached their digit, when measured (results from before lack it)."""
    if "counterfactual_reached" not in timing:
        return ""
    return (f"; {timing['counterfactual_searches']} searches, from stroke digits towards every digit they are not, "
            f"reached it **{timing['counterfactual_reached']:.1%}**")
