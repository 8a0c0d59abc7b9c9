import json

import numpy as np
import pytest

from lenet import config
from lenet.bench import why_figures
from lenet.data import sources, synthetic
from lenet.model import builders, card
from lenet.serve import inference, likeness, preprocess
from lenet.train import likeness_fit


def features(rows, seed, outliers=False, views=likeness.VIEWS):
    """S4- and F5-like activations, and F5's of each view: digits in ten tight clusters, outliers spread in directions
    no digit takes."""
    rng = np.random.default_rng(seed)
    view_names = likeness.input_names(layers=(), views=views)
    if outliers:
        return {"S4": rng.normal(0, 1, (rows, 4, 4, 2)), "F5": rng.normal(0, 1, (rows, 12)) - 0.5,
                **{name: rng.normal(0, 1, (rows, 12)) - 0.5 for name in view_names}}
    labels = np.arange(rows) % 10
    directions = np.eye(12)[labels] + 0.3
    return {"S4": np.abs(directions[:, :8]).reshape(rows, 2, 2, 2).repeat(2, 1).repeat(2, 2)
            + rng.normal(0, 0.05, (rows, 4, 4, 2)), "F5": directions + rng.normal(0, 0.05, (rows, 12)),
            **{name: np.roll(directions, shift, axis=1) + rng.normal(0, 0.05, (rows, 12))
               for shift, name in enumerate(view_names, start=1)}}


@pytest.fixture(scope="module")
def small_stats():
    return likeness.fit(features(2000, 0), features(1000, 1), features(500, 2, outliers=True))


def test_cluster_members_are_like_and_outliers_are_not(small_stats):
    like = likeness.is_like(small_stats, likeness.score(small_stats, features(500, 3)))
    assert like.mean() >= 0.98
    unlike = ~likeness.is_like(small_stats, likeness.score(small_stats, features(200, 4, outliers=True)))
    assert unlike.mean() >= 0.95


def test_the_threshold_keeps_the_chosen_share_of_validation_digits():
    validation = features(1000, 1)
    stats = likeness.fit(features(2000, 0), validation, features(500, 2, outliers=True), keep_share=0.9)
    assert stats.threshold == pytest.approx(10.0)
    assert likeness.is_like(stats, likeness.score(stats, validation)).mean() == pytest.approx(0.9, abs=0.003)


def test_fewer_drawings_than_one_batch_are_fitted_in_one_batch():
    # A tiny run's detector (a class model, a quick test fit) may see fewer drawings than likeness.BATCH_SIZE.
    rows = likeness.BATCH_SIZE // 4
    stats = likeness.fit(features(rows, 0), features(rows, 1), features(rows, 2, outliers=True))
    scores = likeness.score(stats, features(rows, 3) | features(rows, 4, outliers=True))
    assert len(scores) == rows and ((0 <= scores) & (scores <= 100)).all()


def test_statistics_round_trip_through_json_exactly(small_stats):
    stored = json.loads(small_stats.to_json())
    restored = likeness.LikenessStats.from_dict(stored)
    assert restored == small_stats and restored.to_dict() == small_stats.to_dict()
    assert stored["layers"] == ["S4", "F5"] and stored["views"] == ["mirrored", "upside down", "half turn"]
    assert restored.inputs == ["S4", "F5", "F5 mirrored", "F5 upside down", "F5 half turn"]
    test = features(20, 5)
    assert np.array_equal(likeness.score(restored, test), likeness.score(small_stats, test))


def test_statistics_fitted_with_the_mirror_alone_still_score_as_they_were_fitted():
    # Model cards of version 3 made before the two turns read F5 of the mirror only: they must not need the others.
    read_then = {"S4", "F5", "F5 mirrored"}
    made_then = likeness.fit(*(
        {name: values for name, values in features(rows, seed, outliers).items() if name in read_then}
        for rows, seed, outliers in [(2000, 0, False), (1000, 1, False), (500, 2, True)]), views=("mirrored",))
    assert made_then.version == 3  # a fit that reads no answer is what version 3 read
    stored = {name: value for name, value in json.loads(made_then.to_json()).items() if not name.startswith(
        ("answer", "combined"))}
    restored = likeness.LikenessStats.from_dict(stored)
    assert (restored.version, restored.inputs) == (3, ["S4", "F5", "F5 mirrored"])
    test = features(200, 3) | features(200, 4, outliers=True)  # every view's activations are there; two are not read
    assert np.array_equal(likeness.score(restored, test), likeness.score(made_then, test))


def test_statistics_of_version_2_without_views_still_score_as_they_were_fitted():
    # Model cards made before the views (likeness version 2) hold no "views": their detectors read S4 and F5 alone.
    plain = {"S4", "F5"}
    made_then = likeness.fit(*(
        {name: values for name, values in features(rows, seed, outliers).items() if name in plain}
        for rows, seed, outliers in [(2000, 0, False), (1000, 1, False), (500, 2, True)]), views=())
    stored = {name: value for name, value in made_then.to_dict().items() if name != "views"} | {"version": 2}
    restored = likeness.LikenessStats.from_dict(stored)
    assert (restored.version, restored.inputs) == (2, ["S4", "F5"])
    test = features(200, 3) | features(200, 4, outliers=True)  # the views' activations are there, and not read
    assert np.array_equal(likeness.score(restored, test), likeness.score(made_then, test))


def test_the_mirror_and_every_view_go_through_in_one_batch_and_split_back_by_name():
    images = np.arange(2 * 28 * 28, dtype=np.float32).reshape(2, 28, 28, 1)
    assert np.array_equal(likeness.VIEW_MAKERS["mirrored"](images)[0, :, 0], images[0, :, 27])  # right column left
    assert np.array_equal(likeness.VIEW_MAKERS["upside down"](images)[0, 0], images[0, 27])  # bottom row on top
    assert likeness.VIEW_MAKERS["half turn"](images)[0, 0, 0, 0] == images[0, 27, 27, 0]  # bottom right top left
    batch = likeness.with_views(images)
    assert batch.shape == (2 * (1 + len(likeness.VIEWS)), 28, 28, 1) and np.array_equal(batch[:2], images)
    for index, view in enumerate(likeness.VIEWS, start=1):
        assert np.array_equal(batch[2 * index : 2 * index + 2], likeness.VIEW_MAKERS[view](images))
    read = {"S4": batch * 2, "F5": batch + 1}  # as if a layer read the whole batch
    split = likeness.split_views(read, len(images))
    assert list(split) == ["S4", "F5", *(f"F5 {view}" for view in likeness.VIEWS)] == likeness.input_names()
    assert np.array_equal(split["S4"], images * 2) and np.array_equal(split["F5 mirrored"], batch[2:4] + 1)


def test_one_layer_read_alone_keeps_its_rows():
    model = builders.build_model()
    images = np.random.default_rng(0).random((3, 28, 28), dtype=np.float32)
    read = likeness_fit.layer_features(model, images, layers=("F5",), views=())
    assert list(read) == ["F5"] and read["F5"].shape == (3, 120)
    both = likeness_fit.layer_features(model, images, layers=("S4", "F5"), views=())
    assert np.allclose(read["F5"], both["F5"], atol=1e-6)


def test_wrong_statistics_and_features_are_refused_with_a_reason(small_stats):
    with pytest.raises(likeness.LikenessError,
                       match="method 'negative-class-detector' version 2, 3 or 4, got \\('cosine-mahalanobis', 1\\)"):
        likeness.LikenessStats.from_dict({"method": "cosine-mahalanobis", "version": 1})
    with pytest.raises(likeness.LikenessError, match="views \\['sideways'\\], which this version cannot make"):
        likeness.LikenessStats.from_dict(small_stats.to_dict() | {"views": ["mirrored", "sideways"]})
    with pytest.raises(likeness.LikenessError, match="activations \\['S4', 'F5', 'F5 mirrored', 'F5 upside down', "
                                                     "'F5 half turn'\\]"):
        likeness.score(small_stats, {"F5": np.ones((2, 12))})
    views = {name: np.ones((2, 12)) for name in ("F5 mirrored", "F5 upside down", "F5 half turn")}
    with pytest.raises(likeness.LikenessError, match="for 80 S4 \\+ F5 \\+ F5 mirrored \\+ F5 upside down \\+ F5 half "
                                                     "turn activations per drawing"):
        likeness.score(small_stats, {"S4": np.ones((2, 32)), "F5": np.ones((2, 5)), **views})
    with pytest.raises(likeness.LikenessError, match="one row per drawing"):
        likeness.score(small_stats, {"S4": np.ones(32), "F5": np.ones(12), **{name: np.ones(12) for name in views}})
    with pytest.raises(likeness.LikenessError, match="keep_share"):
        likeness.fit(features(100, 0), features(100, 1), features(50, 2, outliers=True), keep_share=1.0)


def answered(rows, seed, sure):
    """The classifier's answer for `rows` drawings: one class at about 0.9 where it is sure, near 1/10 each where
    not."""
    rng = np.random.default_rng(seed)
    probabilities = rng.dirichlet(np.full(10, 50.0 if not sure else 1.0), rows)
    if sure:
        probabilities = 0.1 * probabilities
        probabilities[np.arange(rows), np.arange(rows) % 10] += 0.9
    return {likeness.ANSWER_LAYER: probabilities}


@pytest.fixture(scope="module")
def stats_with_answer():
    return likeness.fit(features(2000, 0), features(1000, 1) | answered(1000, 1, sure=True),
                        features(500, 2, outliers=True), answer_layer=likeness.ANSWER_LAYER)


def test_an_unsure_answer_lowers_the_score_and_the_threshold_still_keeps_its_share(stats_with_answer):
    digits = features(400, 3)
    sure, unsure = (likeness.score(stats_with_answer, digits | answered(400, 4, sure)) for sure in (True, False))
    assert (unsure < sure).mean() > 0.95
    assert likeness.is_like(stats_with_answer, unsure).mean() < likeness.is_like(stats_with_answer, sure).mean()
    validation = features(1000, 1) | answered(1000, 1, sure=True)
    kept = likeness.is_like(stats_with_answer, likeness.score(stats_with_answer, validation)).mean()
    assert kept == pytest.approx(likeness.KEEP_SHARE, abs=0.003)
    assert stats_with_answer.inputs[-1] == likeness.ANSWER_LAYER


def test_statistics_that_read_the_answer_survive_json_and_need_the_answer(stats_with_answer):
    restored = likeness.LikenessStats.from_dict(json.loads(stats_with_answer.to_json()))
    assert restored == stats_with_answer and restored.version == 4
    test = features(50, 5) | answered(50, 5, sure=False)
    assert np.array_equal(likeness.score(restored, test), likeness.score(stats_with_answer, test))
    with pytest.raises(likeness.LikenessError, match="\\['OUTPUT'\\]"):
        likeness.score(restored, features(50, 5))
    with pytest.raises(likeness.LikenessError, match="lack its quantiles"):
        likeness.LikenessStats.from_dict(stats_with_answer.to_dict() | {"answer_quantiles": []})


# With the bundled model, the likeness statistics its card holds (fitted by lenet.train.likeness_fit when it was
# trained), and real MNIST.

@pytest.fixture(scope="module")
def bundled():
    splits = sources.load(log=lambda line: None)
    classifier = inference.Classifier()
    assert classifier.likeness == likeness.LikenessStats.from_dict(card.read(config.BUNDLED_MODEL_PATH).likeness)
    return classifier, classifier.likeness, splits


def judge(bundled, drawings):
    """(model's digit, digit-like?) for each canvas drawing, or (None, False) where no ink was found."""
    classifier, stats, _ = bundled
    digit_images = [preprocess.to_mnist_digit(image) for image in drawings]
    found = [index for index, image in enumerate(digit_images) if image is not None]
    images = np.stack([digit_images[index] for index in found])
    features = likeness_fit.layer_features(classifier.model, images, answer_layer=stats.answer_layer)
    like = likeness.is_like(stats, likeness.score(stats, features))
    results = [(None, False)] * len(drawings)
    for index, digit, is_digit in zip(found, classifier.probabilities(images).argmax(axis=1), like):
        results[index] = (int(digit), bool(is_digit))
    return results


def read_right(bundled, drawings):
    """For each (label, canvas drawing): read as its label and not abstained on."""
    judged = judge(bundled, [image for _, image in drawings])
    return np.array([digit == label and is_digit for (label, _), (digit, is_digit) in zip(drawings, judged)])


@pytest.mark.mnist
def test_mnist_test_digits_are_digit_like_and_the_rest_are_read_as_well(bundled):
    classifier, stats, splits = bundled
    features = likeness_fit.layer_features(classifier.model, splits.x_test, answer_layer=stats.answer_layer)
    like = likeness.is_like(stats, likeness.score(stats, features))
    right = classifier.probabilities(splits.x_test).argmax(axis=1) == splits.y_test
    assert 1 - like.mean() <= 0.01
    assert right[like].mean() >= right.mean()


@pytest.mark.mnist
def test_stroke_digits_are_read_right_counting_abstentions_as_errors(bundled):
    drawings = synthetic.stroke_digits(500, seed=0)
    assert read_right(bundled, drawings).sum() >= 0.98 * len(drawings)


@pytest.mark.mnist
def test_small_digits_drawn_with_the_sliders_own_pen_are_read_right(bundled):
    # 15-35% of the canvas high with its 20-pixel pen: strokes up to a third of the digit's height wide, which Draw's
    # preparation thins to an MNIST writer's pen (88% of these were read right before it did).
    drawings = synthetic.stroke_digits(300, seed=0, heights=synthetic.SMALL_HEIGHT_RANGE,
                                       pen=synthetic.DEFAULT_STROKE_WIDTH)
    assert read_right(bundled, drawings).sum() >= 0.97 * len(drawings)


@pytest.mark.mnist
def test_digits_in_styles_nothing_here_trains_on_are_read(bundled):
    # A held-out check of hands unlike the usual styles'. Every digit is read but the long-flagged 1, which the
    # bundled model reads as a 7 (MNIST's writers seldom flag a 1; BENCHMARKS.md, "Typefaces this machine does not
    # hold"): 89% of the bench's 500 in all.
    drawings = synthetic.stroke_digits(300, seed=0, styles=synthetic.OTHER_DIGIT_STYLES)
    right = read_right(bundled, drawings)
    labels = np.array([label for label, _ in drawings])
    assert right.mean() >= 0.85
    assert all(right[labels == digit].mean() >= 0.9 for digit in range(10) if digit != 1)


@pytest.mark.mnist
def test_mnist_test_digits_drawn_big_are_read_as_well_as_mnists_own_arrays(bundled):
    # Real handwriting through Draw's preparation: 3,000 of MNIST's test digits enlarged to the canvas's size and
    # prepared as a drawing is, against the same digits read as MNIST's 28×28 arrays. Widening every pen thinner than
    # 0.12 of the digit (preparation version 3) read 11 fewer right and abstained on 12 more; a pen within MNIST's
    # writers' range is now left as drawn.
    classifier, _, splits = bundled
    figures = why_figures.drawn_big(classifier, splits.x_test[:3000], splits.y_test[:3000])
    assert figures["drawn_big_read_right"] >= figures["test_read_right"] - 0.002
    assert figures["drawn_big_abstained"] <= figures["test_abstained"] + 0.002


@pytest.mark.mnist
def test_generated_non_digits_are_abstained_on(bundled):
    # The detector never saw these drawings: lenet.serve.outlier_bank draws its own, with other designs and seeds.
    judged = judge(bundled, [image for _, image in synthetic.non_digits(seed=2)])
    assert sum(not is_digit for _, is_digit in judged) >= 0.9 * len(judged)


@pytest.mark.mnist
def test_digits_redrawn_as_by_other_writers_are_still_read(bundled):
    splits = bundled[2]
    drawings = synthetic.redrawn_digits(splits.x_test[:300], seed=1)
    judged = judge(bundled, drawings)
    assert sum(is_digit for _, is_digit in judged) >= 0.96 * len(drawings)
