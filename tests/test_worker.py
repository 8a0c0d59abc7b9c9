"""A short real training run through the worker process: queue, stream metrics, stop, kill. Uses real MNIST."""

import time

import numpy as np
import pytest

from lenet import config, inference, runs, worker

pytestmark = pytest.mark.mnist
DEADLINE_SECONDS = 600  # a guard against hanging, not a timing assertion


def wait_until(condition, what):
    deadline = time.time() + DEADLINE_SECONDS
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}")


def epochs_logged(run_dir):
    return len(runs.load_metrics(run_dir, kind="epoch"))


def test_queue_stream_stop_and_kill(monkeypatch):
    monkeypatch.setenv("LENET_MAX_WORKERS", "1")
    small = dict(epochs=6, batch_size=512)
    first = worker.start(config.make_config("quick", **small), run_name="first")
    second = worker.start(config.make_config("quick", **small), run_name="second")

    # One slot: the second run waits in the queue while the first trains and streams metrics.
    wait_until(lambda: runs.read_status(first)["state"] == "running", "the first run to start")
    wait_until(lambda: runs.load_metrics(first, kind="batch"), "per-batch metrics")
    assert runs.read_status(second)["state"] == "queued"
    assert [run.run_dir for run in worker.queue()] == [second]

    # Stop keeps the model of the last completed epoch and marks the run stopped.
    wait_until(lambda: epochs_logged(first) >= 1, "the first epoch")
    status = worker.stop(first, timeout=120)
    assert status["state"] == "stopped"
    summary = runs.read_json(first / "summary.json")
    assert summary["stopped"] and summary["epochs_completed"] == epochs_logged(first) < 6
    assert summary["test_accuracy"] > 0.9
    first_epoch = runs.load_metrics(first, kind="epoch")[0]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "seconds"} <= set(first_epoch)

    # The slot passes to the queued run; SIGKILL makes it read as failed, and its checkpoint still loads.
    wait_until(lambda: epochs_logged(second) >= 1, "the second run's first epoch")
    status = worker.kill(second)
    assert status["state"] == "failed" and "killed" in status["error"]
    model = inference.load_model(second / runs.MODEL_FILE)
    assert model.predict(np.zeros((1, 28, 28, 1), "float32"), verbose=0).shape == (1, 10)


def test_stopping_a_queued_run_never_trains_it(monkeypatch):
    monkeypatch.setenv("LENET_MAX_WORKERS", "1")
    run_dir = runs.new_run(config.make_config("quick"))
    worker.request_stop(run_dir)
    assert worker.execute(run_dir) is None
    assert runs.read_status(run_dir)["state"] == "stopped"
    assert not (run_dir / runs.MODEL_FILE).exists()


def test_the_worker_cap_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("LENET_MAX_WORKERS", "3")
    assert worker.max_workers() == 3
    monkeypatch.setenv("LENET_MAX_WORKERS", "zero")
    with pytest.raises(config.ConfigError, match="LENET_MAX_WORKERS"):
        worker.max_workers()
