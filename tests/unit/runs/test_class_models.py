"""Class mode's models (lenet/runs/class_models.py): versions, rollback, the retrain recipe and the worker's hook,
and the before → after figures; and the challenge and boards (lenet/runs/class_boards.py)."""

import os
import types

import numpy as np
import pytest

from lenet import config
from lenet.data import datasets
from lenet.model import builders, card
from lenet.runs import class_boards, class_models, class_rules, public, store, worker
from lenet.runs.class_models import ClassModels
from lenet.runs.class_set import ClassSet, ClassSetError

ALICE, BOB, CAROL = (public.owner_id(f"{name}-token-0123456789") for name in ("alice", "bob", "carol"))


def tiny_model(path, answer=None, test_accuracy=0.9, dataset=datasets.DEFAULT):
    """A small .keras model with its card; with `answer`, it answers that class for every image."""
    train_config = config.make_config("quick", dataset)
    model = builders.build_model(train_config.model_config())
    if answer is not None:
        output = model.get_layer("OUTPUT")
        bias = np.full(10, -20.0, "float32")
        bias[answer] = 20.0
        output.set_weights([np.zeros_like(output.get_weights()[0]), bias])
    card.save_model(model, path, card.for_config(train_config).replace(test_accuracy=test_accuracy))
    return path


def images(count, seed=0):
    return np.random.default_rng(seed).random((count, 28, 28)).astype("float32")


def visitor(class_set, name, held_out):
    """An owner id on the chosen side of the held-out split, with a nickname."""
    owner = next(public.owner_id(f"{name}-{n}") for n in range(1000)
                 if class_rules.is_held_out(public.owner_id(f"{name}-{n}")) == held_out)
    class_set.set_nickname(owner, name)
    return owner


def test_no_class_model_until_the_host_accepts_one():
    assert class_models.current_class_model() is None and ClassModels().versions() == []


def test_versions_are_kept_and_any_one_is_a_rollback_away(tmp_path):
    models = ClassModels()
    first = models.accept(tiny_model(tmp_path / "a.keras", test_accuracy=0.91), run_id="run-a")
    second = models.accept(tiny_model(tmp_path / "b.keras", test_accuracy=0.95), run_id="run-b")
    versions = [(model.version, model.run_id, model.test_accuracy) for model in models.versions()]
    assert versions == [(1, "run-a", 0.91), (2, "run-b", 0.95)]
    assert class_models.current_class_model() == second.path and second.path.read_bytes() == \
        (tmp_path / "b.keras").read_bytes()
    assert models.rollback(1).version == 1 and class_models.current_class_model() == first.path
    third = models.accept(tmp_path / "b.keras")  # after a rollback, a new model is a new version: nothing is lost
    assert third.version == 3 and [m.version for m in models.versions()] == [1, 2, 3]
    with pytest.raises(ClassSetError, match="no class model version 7; the versions are: 1, 2, 3"):
        models.rollback(7)
    assert models.current().version == 3
    assert sorted(path.name for path in models.folder.iterdir()) == ["index.json", "v1.keras", "v2.keras", "v3.keras"]


def test_only_a_digit_model_becomes_the_class_model(tmp_path):
    with pytest.raises(ClassSetError, match="Fashion-MNIST model"):
        ClassModels().accept(tiny_model(tmp_path / "shirts.keras", dataset="fashion"))
    (tmp_path / "junk.keras").write_bytes(b"not a zip")
    with pytest.raises(ClassSetError, match="junk.keras"):
        ClassModels().accept(tmp_path / "junk.keras")
    assert ClassModels().versions() == []


def test_retrain_fine_tunes_the_class_model_with_a_frozen_copy_of_the_training_part(tmp_path):
    class_set = ClassSet()
    with pytest.raises(ClassSetError, match="no digits to train with"):
        class_models.retrain_config()
    trainer, held = visitor(class_set, "trainer", False), visitor(class_set, "held", True)
    class_set.give_many(trainer, images(4), [1, 2, 3, 4])
    class_set.give_many(held, images(3, seed=1), [5, 6, 7])
    ClassModels().accept(tiny_model(tmp_path / "class.keras"))
    train_config, status = class_models.retrain_config(epochs=1)
    assert train_config.init_model == str(class_models.current_class_model().resolve())
    assert train_config.my_digits and train_config.epochs == 1
    assert train_config.learning_rate == config.FINETUNE_LEARNING_RATE
    class_set.give(trainer, images(1, seed=2)[0], 8)  # given after the retrain began: not in its digits
    frozen_images, frozen_labels = worker.training_digits(train_config, status)
    assert sorted(frozen_labels) == [1, 2, 3, 4] and frozen_images.shape == (4, 28, 28)
    np.testing.assert_allclose(np.sort(frozen_images.ravel()), np.sort(images(4).ravel()), atol=0.5 / 255)


def test_the_worker_reads_my_digits_when_the_run_is_no_class_retrain(tmp_path):
    from lenet.data import my_digits

    my_digits.save_digit(images(1)[0], 6)
    _, labels = worker.training_digits(config.make_config("quick", my_digits=True), {})
    assert list(labels) == [6]
    with pytest.raises(ClassSetError, match="missing or damaged"):
        worker.training_digits(config.make_config("quick"), {"training_digits": str(tmp_path / "gone.npz")})


def test_a_retrain_run_keeps_its_frozen_digits_in_its_status(tmp_path):
    class_set = ClassSet()
    class_set.give(visitor(class_set, "trainer", False), images(1)[0], 3)
    train_config, status = class_models.retrain_config(model_path=tiny_model(tmp_path / "base.keras"))
    run_dir = store.new_run(train_config, **status)
    assert store.load_run(run_dir).status["training_digits"] == status["training_digits"]
    assert not store.load_run(run_dir).problem


def test_old_frozen_digits_are_pruned_but_never_those_a_waiting_retrain_needs(tmp_path):
    class_set = ClassSet()
    class_set.give(visitor(class_set, "trainer", False), images(1)[0], 3)
    base = tiny_model(tmp_path / "base.keras")
    train_config, waiting = class_models.retrain_config(model_path=base)
    store.new_run(train_config, **waiting)  # queued, with no worker yet: its digits are still to be read
    made = [class_models.retrain_config(model_path=base)[1]["training_digits"]
            for _ in range(class_models.KEEP_FROZEN + 2)]
    kept = sorted((class_set.folder / class_models.FROZEN_FOLDER).glob("*.npz"))
    assert sorted(map(str, kept)) == sorted([waiting["training_digits"], *made[-class_models.KEEP_FROZEN:]])


def test_before_and_after_on_held_out_fooling_and_test_digits(tmp_path):
    class_set = ClassSet()
    held, trainer = visitor(class_set, "held", True), visitor(class_set, "trainer", False)
    class_set.give_many(held, images(4), [7, 7, 7, 2])
    class_set.accept_fooling(class_set.give(trainer, images(1, seed=1)[0], 7, fooling=True))
    splits = types.SimpleNamespace(x_test=images(5, seed=2), y_test=np.array([3, 3, 3, 3, 7]))
    figures = class_models.compare(tiny_model(tmp_path / "threes.keras", answer=3),
                                   tiny_model(tmp_path / "sevens.keras", answer=7), splits)
    assert figures["held_out"] == class_models.Comparison(0.0, 0.75, 4)
    assert figures["fooling"] == class_models.Comparison(0.0, 1.0, 1)
    assert figures["mnist_test"] == class_models.Comparison(0.8, 0.2, 5)


def test_no_digits_to_measure_is_none_not_zero(tmp_path):
    splits = types.SimpleNamespace(x_test=images(2), y_test=np.array([3, 3]))
    model = tiny_model(tmp_path / "threes.keras", answer=3)
    figures = class_models.compare(model, model, splits)
    assert figures["held_out"] == figures["fooling"] == class_models.Comparison(None, None, 0)


def prediction(label, abstained=False):
    return types.SimpleNamespace(label=label, abstained=abstained)


def test_a_drawing_fools_the_class_model_by_another_answer_or_an_abstention():
    assert class_boards.judge_challenge(prediction(3), 8).fooled
    assert "reads a 3" in class_boards.judge_challenge(prediction(3), 8).message
    assert class_boards.judge_challenge(prediction(8, abstained=True), 8).fooled  # abstains on a digit one stands by
    assert not class_boards.judge_challenge(prediction(8), 8).fooled
    assert not class_boards.judge_challenge(prediction(None), 8).fooled  # nothing drawn
    assert class_boards.judge_challenge(prediction(3), np.int64(8)).fooled  # a label from a numpy array
    for wrong in (10, -1, "8", 8.0, True):
        with pytest.raises(ValueError, match="from 0 to 9"):
            class_boards.judge_challenge(prediction(3), wrong)


def test_the_fooling_board_counts_only_accepted_fooling_digits():
    class_set = ClassSet()
    for owner, name in ((ALICE, "alice"), (BOB, "Bob"), (CAROL, "carol")):
        class_set.set_nickname(owner, name)
    for seed in range(3):
        class_set.accept_fooling(class_set.give(BOB, images(1, seed=seed)[0], 1, fooling=True))
    for seed in range(10, 12):
        class_set.accept_fooling(class_set.give(ALICE, images(1, seed=seed)[0], 1, fooling=True))
        class_set.accept_fooling(class_set.give(CAROL, images(1, seed=seed)[0], 1, fooling=True))
    class_set.give(ALICE, images(1, seed=20)[0], 1, fooling=True)  # awaiting review: counts for nothing yet
    class_set.give(CAROL, images(1, seed=20)[0], 1)  # a plain digit: no fooling at all
    assert class_boards.fooling_board(class_set) == [("Bob", 3), ("alice", 2), ("carol", 2)]


def finished_run(owner, accuracy, wall_seconds, preset="quick", **settings):
    status = {"owner": owner} if owner else {}
    run_dir = store.new_run(config.make_config(preset, **settings), **status)
    store.update_status(run_dir, state="finished", pid=os.getpid())
    store.write_json(run_dir / "summary.json", {"test_accuracy": accuracy, "wall_seconds": wall_seconds})
    return run_dir.name


def test_the_runs_board_ranks_visitors_runs_by_accuracy_then_time():
    class_set = ClassSet()
    class_set.set_nickname(ALICE, "Alice")
    slow, fast = finished_run(ALICE, 0.99, 300), finished_run(BOB, 0.99, 100, epochs=3)
    best = finished_run(ALICE, 0.995, 900, preset="best")
    finished_run("", 0.999, 10)  # the host's run from the command line: not a visitor's
    finished_run(ALICE, 0.999, 10, dataset="fashion")  # another dataset's accuracy does not compare
    board = class_boards.runs_board(class_set=class_set)
    assert [row.run_id for row in board] == [best, fast, slow]
    assert [row.nickname for row in board] == ["Alice", class_boards.NO_NICKNAME, "Alice"]
    assert (board[1].preset, board[1].settings) == ("quick", {"epochs": 3})
    assert (board[0].test_accuracy, board[0].wall_seconds, board[2].settings) == (0.995, 900.0, {})
