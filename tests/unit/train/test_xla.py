"""XLA (issue 22): one switch in the config and on the command line, and training with it still reproduces a seed's
weights, stops within a call, and writes snapshots and live metrics. Trains on small generated data."""

import argparse
import shlex

import numpy as np
import pytest

from lenet import config
from lenet.data import datasets, sources
from lenet.runs import store
from lenet.serve import inference
from lenet.train import command, snapshots, training
from tests import quick_worker

TRAIN_SIZE = 500  # not a multiple of the batch size, so the last batch of each epoch has a shape of its own


@pytest.fixture(autouse=True)
def quick_likeness_fit(monkeypatch):
    """A run ends by fitting its model's likeness detectors (lenet.serve.likeness), about two CPU seconds that check
    nothing about XLA: a quick fit (tests/quick_worker.py), not the full one."""
    quick_worker.quick_likeness(monkeypatch.setattr)


def load_generated(monkeypatch, test_count):
    """Random images in MNIST's shapes, loaded in place of MNIST."""
    rng = np.random.default_rng(0)

    def split(count):
        return rng.random((count, 28, 28), dtype=np.float32), (np.arange(count) % 10).astype("int32")

    splits = sources.Splits(*split(TRAIN_SIZE), *split(200), *split(test_count), source="generated", dataset="mnist")
    monkeypatch.setattr(sources, "load", lambda *arguments, **keywords: splits)
    return splits


@pytest.fixture
def generated_mnist(monkeypatch):
    """Generated MNIST with as many test images as the snapshot panel reaches (a run ends by testing its model on
    all of them)."""
    return load_generated(monkeypatch, max(datasets.MNIST.snapshot_panel) + 1)


@pytest.fixture
def small_generated_mnist(monkeypatch):
    """Generated MNIST with a small test set, for runs without snapshots: a run ends by testing its model on all of
    it, work that checks nothing about XLA."""
    return load_generated(monkeypatch, 200)


def train_parser():
    parser = argparse.ArgumentParser()
    command.add_train_arguments(parser)
    return parser


def test_xla_is_off_in_every_preset_and_in_configs_saved_before_the_setting():
    assert not any(preset.jit_compile for presets in config.PRESETS.values() for preset in presets.values())
    older = config.make_config("best").to_dict()
    del older["jit_compile"]
    assert config.TrainConfig.from_dict(older) == config.make_config("best")


def test_the_switch_must_be_true_or_false():
    with pytest.raises(config.ConfigError, match="jit_compile must be true or false, got 'yes'"):
        config.make_config("seed", jit_compile="yes")


@pytest.mark.parametrize("words, expected", [
    (["--jit"], True), (["--no-jit"], False), (["--jit-compile", "true"], True), (["--jit-compile", "no"], False),
    ([], False),
])
def test_the_command_line_turns_xla_on_and_off(words, expected):
    arguments = train_parser().parse_args(["--preset", "best", *words])
    assert command.config_from_arguments(arguments).jit_compile is expected


@pytest.mark.parametrize("train_config", [
    config.make_config("best", jit_compile=True),
    config.make_config("seed", "fashion", jit_compile=True, batch_norm=True, epochs=3),
    config.make_config("quick"),
])
def test_a_reproduce_line_names_xla_once_and_parses_back(train_config):
    words = shlex.split(command.train_command(train_config))
    assert words.count("--jit") == int(train_config.jit_compile) and "--jit-compile" not in words
    assert command.config_from_arguments(train_parser().parse_args(words[4:])) == train_config


def saved_weights(run_dir):
    return inference.load_model(run_dir / store.MODEL_FILE).get_weights()


@pytest.mark.slow
def test_one_seed_trains_the_same_weights_with_xla_and_writes_snapshots_and_metrics(generated_mnist):
    # Everything that runs inside the compiled step: batch normalization, the weight average, label smoothing and
    # the one-cycle schedule; the distortions run in tf.data, before the step.
    train_config = config.make_config("best", epochs=2, batch_size=64, label_smoothing=0.1, jit_compile=True)
    runs = [store.new_run(train_config) for _ in range(2)]
    # The second without snapshots: writing them must not change what is learnt.
    summaries = [training.train(train_config, run_dir, with_snapshots=first)
                 for run_dir, first in zip(runs, (True, False))]
    assert all(summary["xla"] and summary["epochs_completed"] == 2 for summary in summaries)
    assert summaries[0]["process"] == training.process_facts()  # what set this process's speed, for the bench
    first, second = (saved_weights(run_dir) for run_dir in runs)
    assert len(first) == len(second) and all(np.array_equal(a, b) for a, b in zip(first, second))
    assert snapshots.epochs(runs[0]) == [0, 1, 2]
    batches, epochs = store.load_metrics(runs[0], kind="batch"), store.load_metrics(runs[0], kind="epoch")
    assert batches and all(np.isfinite(record["loss"]) for record in batches)
    assert [record["epoch"] for record in epochs] == [1, 2]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"} <= set(epochs[-1])


@pytest.mark.parametrize("settings", [
    dict(variant="32x32", optimizer="sgd", schedule="cosine"),
    dict(activation="relu", pooling="max", optimizer="rmsprop", ema_momentum=0.9),
])
@pytest.mark.slow
def test_every_optimizer_and_schedule_compiles_with_xla(small_generated_mnist, settings):
    train_config = config.make_config("seed", epochs=1, batch_size=100, jit_compile=True, **settings)
    summary = training.train(train_config, store.new_run(train_config), with_snapshots=False)
    assert summary["xla"] and np.isfinite(summary["test_loss"])


@pytest.mark.slow
@pytest.mark.parametrize("jit_compile", [True, False])
def test_stop_takes_effect_at_the_end_of_the_call_it_was_asked_in(small_generated_mnist, monkeypatch, jit_compile):
    # 4 batches per call into TensorFlow; the third check says stop, so training ends after 12 of the epoch's 63.
    monkeypatch.setattr(training, "SAMPLES_PER_EXECUTION", 32)
    monkeypatch.setattr(training, "BATCH_LOG_SECONDS", 0)  # a batch record at every check
    checks = []

    def should_stop():
        checks.append(True)
        return len(checks) >= 3

    train_config = config.make_config("quick", batch_size=8, jit_compile=jit_compile)
    run_dir = store.new_run(train_config)
    summary = training.train(train_config, run_dir, should_stop=should_stop, with_snapshots=False)
    assert summary["stopped"] and summary["epochs_completed"] == 0 and len(checks) == 3
    assert [record["step"] for record in store.load_metrics(run_dir, kind="batch")] == [4, 8, 12]


def test_each_run_records_what_sets_its_process_speed(monkeypatch):
    import os

    for name in training.THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    facts = training.process_facts()
    assert facts["thread_variables"] == {"OMP_NUM_THREADS": "1"}
    assert facts["niceness"] == os.nice(0) and 1 <= facts["usable_cores"] <= facts["cores"] == os.cpu_count()
    assert facts["intra_op_threads"] >= 0 and facts["inter_op_threads"] >= 0
