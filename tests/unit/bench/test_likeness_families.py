"""Leave one family out, on a tiny model and tiny data: the bookkeeping, not the figures (BENCHMARKS.md has those)."""

import types

import numpy as np
import pytest

from lenet import config
from lenet.bench import likeness_families
from lenet.data import gestures
from lenet.model import builders
from lenet.serve import digit_bank, likeness, outlier_bank
from lenet.train import likeness_fit
from tests import quick_worker

NO_FAMILY = 5 + 3  # broken digits and scrawls, which no family takes with it


@pytest.fixture(scope="module")
def tiny(monkeypatch_module):
    monkeypatch_module.setattr(likeness, "EPOCHS", quick_worker.QUICK_LIKENESS_EPOCHS)
    monkeypatch_module.setattr(likeness, "DIGIT_SAMPLE", 200)
    rng = np.random.default_rng(0)
    images = lambda count: rng.random((count, 28, 28)).astype(np.float32) * (rng.random((count, 28, 28)) < 0.2)
    monkeypatch_module.setattr(digit_bank, "digits", lambda: images(20))
    monkeypatch_module.setattr(digit_bank, "broken_digits", lambda: images(5))
    monkeypatch_module.setattr(outlier_bank, "scrawls", lambda: images(3))
    splits = types.SimpleNamespace(x_train=images(300), x_val=images(200), x_test=images(100), dataset="mnist")
    bank = ((("waves",),) * 40 + (("arcs",),) * 40 + (("waves", "arcs"),) * 10, images(90))
    return builders.build_model(config.ModelConfig()), splits, bank


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_each_family_is_fitted_without_its_drawings_and_scored_on_fresh_ones(tiny, monkeypatch):
    model, splits, bank = tiny
    fitted_on = []
    real_fit = likeness.fit
    monkeypatch.setattr(likeness, "fit", lambda train, validation, outliers, **options: (
        fitted_on.append((len(outliers["F5"]), options["seed"])), real_fit(train, validation, outliers, **options))[1])
    results = likeness_families.leave_one_family_out(model, splits, bank=bank, families=("waves", "arcs"),
                                                     per_family=6, seeds=(0, 1))
    # Without its 40 drawings and the 10 pairs that hold it, once per seed: both families with seed 0, then with 1.
    assert fitted_on == [(40 + NO_FAMILY, 0), (40 + NO_FAMILY, 0), (40 + NO_FAMILY, 1), (40 + NO_FAMILY, 1)]
    assert set(results) == {"waves", "arcs"}
    for figures in results.values():
        assert len(figures["abstained_by_seed"]) == 2
        assert figures["abstained"] == pytest.approx(np.mean(figures["abstained_by_seed"]))
        assert 0 <= figures["abstained"] <= 1 and 0 <= figures["test_abstained"] <= 1


def test_a_family_is_held_out_with_its_kin(tiny, monkeypatch):
    model, splits, (_, images) = tiny
    bank = ((("letters",),) * 30 + (("script",),) * 30 + (("waves",),) * 30, images)
    fitted_on = []
    real_fit = likeness.fit
    monkeypatch.setattr(likeness, "fit", lambda train, validation, outliers, **options: (
        fitted_on.append(len(outliers["F5"])), real_fit(train, validation, outliers, **options))[1])
    likeness_families.leave_one_family_out(model, splits, bank=bank, families=("letters", "waves"), per_family=4,
                                           seeds=(0,))
    assert fitted_on == [30 + NO_FAMILY, 60 + NO_FAMILY]  # letters go with the letters written as strokes; waves alone


def test_a_classifier_trained_with_outlier_exposure_is_trained_again_without_each_family_once_per_seed(tiny,
                                                                                                     monkeypatch):
    model, splits, bank = tiny
    trained_with = []
    monkeypatch.setattr(likeness_families, "_trained_without", lambda train_config, outliers: (
        trained_with.append((len(outliers), train_config.seed)), model)[1])
    fitted_with = []
    real_fit = likeness.fit
    monkeypatch.setattr(likeness, "fit", lambda *features, **options: (
        fitted_with.append((options["answer_layer"], options["seed"])), real_fit(*features, **options))[1])
    train_config = config.make_config("quick", outlier_weight=0.5, seed=7)
    results = likeness_families.leave_one_family_out(model, splits, bank=bank, families=("waves", "arcs"),
                                                     per_family=4, seeds=(0, 1), train_config=train_config)
    # Each family's classifier without its 40 drawings and 10 pairs, from each seed, not the model's own seed 7; its
    # detector started from the same seed.
    assert trained_with == [(40, 0), (40, 1), (40, 0), (40, 1)] and list(results) == ["waves", "arcs"]
    assert fitted_with == [(likeness.ANSWER_LAYER, 0), (likeness.ANSWER_LAYER, 1)] * 2
    assert all(len(figures["abstained_by_seed"]) == 2 for figures in results.values())


def test_the_table_has_a_row_per_family_each_seed_and_the_before_column_when_given():
    results = {"waves": {"abstained": 0.9, "abstained_by_seed": [0.85, 0.95], "test_abstained": 0.004}}
    lines = likeness_families.table_lines(results, before={"waves": 0.3})
    assert lines[0].count("|") == lines[1].count("|") == 6
    assert lines[2] == "| waves | 90% | 85% / 95% | 30% | 0.40% |"
    assert likeness_families.table_lines(results)[2] == "| waves | 90% | 85% / 95% | 0.40% |"


def test_the_gestures_are_each_scored_and_summed_up_in_a_sentence(tiny):
    model, splits, (_, images) = tiny
    stats = likeness.fit(*(likeness_fit.layer_features(model, part) for part in (splits.x_train, splits.x_val, images)))
    by_gesture = likeness_families.gestures_by_name(stats, model, each=1)
    assert set(by_gesture) == set(gestures.GESTURES) and all(share in (0.0, 1.0) for share in by_gesture.values())
    line = likeness_families.gestures_line({"caret": 1.0, "pi": 0.5, "x": 0.9})
    assert "refused **80.0%**" in line and "at least 85% of 2 kinds" in line and "the fewest: pi 50%, x 90%" in line
