"""Real training runs through the worker process (on tiny real splits): queue, stream metrics, stop, kill."""

import math
import os
import signal
import time

import numpy as np
import pytest

from lenet import config
from lenet.runs import store, worker
from lenet.serve import inference
from lenet.train import finetune, run_files
from studio import live_runs
from tests import tiny_data
from tests.conftest import sleeping_process, wait_until

pytestmark = pytest.mark.mnist


def epochs_logged(run_dir):
    return len(store.load_metrics(run_dir, kind="epoch"))


@pytest.mark.slow
def test_queue_stream_stop_and_a_paused_worker_is_killed(monkeypatch, quick_tiny_worker):
    monkeypatch.setenv("LENET_MAX_WORKERS", "1")
    monkeypatch.setattr(worker, "STOP_GRACE_SECONDS", 1)  # the escalation, not the wait, is what is tested
    small = dict(epochs=30, batch_size=32)  # a tiny epoch of small batches: a trained model, far from the last epoch
    first = worker.start(config.make_config("quick", **small), run_name="first")
    second = worker.start(config.make_config("quick", epochs=100, batch_size=512), run_name="second")

    # One slot: the second run waits in the queue while the first trains and streams metrics.
    wait_until(lambda: store.read_status(first)["state"] == "running", "the first run to start")
    wait_until(lambda: store.load_metrics(first, kind="batch"), "per-batch metrics")
    # LENET_WORKER_MODULE (quick_tiny_worker) started the tiny-splits worker: its epochs are the tiny splits'.
    tiny_steps = math.ceil(tiny_data.TRAIN_SIZE / small["batch_size"])
    assert store.load_metrics(first, kind="start")[0]["steps_per_epoch"] == tiny_steps
    assert store.read_status(second)["state"] == "queued"
    assert [run.run_dir for run in worker.queue()] == [second]

    # Stop keeps the model of the last completed epoch and marks the run stopped.
    wait_until(lambda: epochs_logged(first) >= 1, "the first epoch")
    status = worker.stop(first, timeout=120)
    assert status["state"] == "stopped"
    summary = store.read_json(first / "summary.json")
    assert summary["stopped"] and summary["epochs_completed"] == epochs_logged(first) < 30
    assert summary["test_accuracy"] > 0.9
    first_epoch = store.load_metrics(first, kind="epoch")[0]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "seconds"} <= set(first_epoch)

    # The slot passes to the queued run. Its worker trains at the lowest priority, TensorFlow's threads too; paused
    # with SIGSTOP it never notices a stop, so the app's Stop kills it (SIGKILL) and its checkpoint still loads.
    wait_until(lambda: epochs_logged(second) >= 1, "the second run's first epoch")
    pid = store.read_status(second)["pid"]
    threads = training_threads_niceness(pid)
    assert len(threads) > 4 and set(threads) == {worker.WORKER_NICENESS}
    os.kill(pid, signal.SIGSTOP)
    kept = epochs_logged(second)
    worker.stop_soon(second)
    wait_until(lambda: store.read_status(second)["state"] not in store.ACTIVE_STATES, "the escalated stop")
    status = store.read_status(second)
    assert status["state"] == "stopped" and status["error"].startswith("killed: it did no work for 1 s")
    assert not store.process_alive(pid)
    model = inference.load_model(second / store.MODEL_FILE)
    assert model.predict(np.zeros((1, 28, 28, 1), "float32"), verbose=0).shape == (1, 10)
    assert store.load_run(second).summary["epochs_completed"] == kept


def test_stopping_a_queued_run_never_trains_it(monkeypatch):
    monkeypatch.setenv("LENET_MAX_WORKERS", "1")
    run_dir = store.new_run(config.make_config("quick"))
    worker.request_stop(run_dir)
    assert worker.execute(run_dir) is None
    assert store.read_status(run_dir)["state"] == "stopped"
    assert not (run_dir / store.MODEL_FILE).exists()


def test_the_worker_cap_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("LENET_MAX_WORKERS", "3")
    assert worker.max_workers() == 3
    monkeypatch.setenv("LENET_MAX_WORKERS", "zero")
    with pytest.raises(config.ConfigError, match="LENET_MAX_WORKERS"):
        worker.max_workers()


# Issue 12: the worker's priority, Stop's escalation, true stop messages, stalls, and checks at submission.

def fake_worker_run(epochs_done=0, model=False, start_process=sleeping_process, **status):
    """A running run whose "worker" is a process of our own, sleeping unless told otherwise (the test kills it)."""
    import shutil

    process = start_process()
    run_dir = store.new_run(config.make_config("quick"))
    for epoch in range(1, epochs_done + 1):
        run_files.append_metric(run_dir, {"kind": "epoch", "epoch": epoch, "loss": 0.5, "accuracy": 0.9, "val_loss": 0.4,
                                     "val_accuracy": 0.9})
    if model:
        shutil.copy(config.BUNDLED_MODEL_PATH, run_dir / store.MODEL_FILE)
    store.update_status(run_dir, state="running", started=time.time(), pid=process.pid,
                       pid_started=store.process_start_time(process.pid), **status)
    return run_dir, process


def stopped_by_a_kill(run_dir, process):
    """The app's Stop on a run whose "worker" is `process`: waits for the escalation's SIGKILL; the run's status."""
    try:
        worker.stop_soon(run_dir)
        wait_until(lambda: store.read_status(run_dir)["state"] not in store.ACTIVE_STATES, "the escalated stop")
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        process.kill()
    return store.read_status(run_dir)


@pytest.mark.parametrize("epochs_done", [0, 2])
def test_stop_kills_a_paused_worker_after_the_grace_period_and_keeps_the_checkpoint(epochs_done, monkeypatch):
    monkeypatch.setattr(worker, "STOP_GRACE_SECONDS", 1)
    run_dir, sleeper = fake_worker_run(epochs_done, model=bool(epochs_done))
    os.kill(sleeper.pid, signal.SIGSTOP)  # as `kill -STOP`: it will never notice the request
    model_bytes = (run_dir / store.MODEL_FILE).read_bytes() if epochs_done else None
    status = stopped_by_a_kill(run_dir, sleeper)
    assert status["state"] == "stopped"
    assert status["error"] == "killed: it did no work for 1 s after the request (paused or stuck)"
    run = store.load_run(run_dir)
    assert run.summary == {"stopped": True, "killed": True, "epochs_completed": epochs_done}
    message = live_runs.outcome_message(run)
    if epochs_done:
        assert (run_dir / store.MODEL_FILE).read_bytes() == model_bytes
        assert message.startswith("Stopped by request after 2 completed epochs; the model of epoch 2 is kept.")
        assert "It was not tested." in message
    else:
        assert message.startswith("Stopped by request during the first epoch, so no model was kept.")


def working_process():
    """A process that only computes, to stand in for a busy worker; as sleeping_process, the caller kills it."""
    import subprocess
    import sys

    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def fake_busy_worker_run():
    """As fake_worker_run, with a worker that keeps working (as one on a busy machine, slowly) and never stops."""
    return fake_worker_run(1, model=True, start_process=working_process)


def test_a_worker_that_keeps_working_is_not_killed_by_the_grace_period(monkeypatch):
    # On a busy machine a worker at the lowest priority gets a sliver of a core: a stop takes it long, and it is
    # slow, not stuck. CI once killed such a worker 10 s after its Stop, and lost its test figures.
    monkeypatch.setattr(worker, "STOP_GRACE_SECONDS", 0.5)  # long beside a time slice, even on a loaded machine
    monkeypatch.setattr(worker, "POLL_SECONDS", 0.05)  # the escalation looks 50 times in the wait below
    run_dir, busy = fake_busy_worker_run()
    try:
        worker.stop_soon(run_dir)
        time.sleep(2.5)  # five grace periods
        assert store.process_alive(busy.pid) and store.read_status(run_dir)["state"] == "running"
    finally:
        busy.kill()
        busy.wait()


def test_a_worker_still_working_at_the_limit_is_killed(monkeypatch):
    monkeypatch.setattr(worker, "STOP_LIMIT_SECONDS", 0.5)
    monkeypatch.setattr(worker, "POLL_SECONDS", 0.05)
    run_dir, busy = fake_busy_worker_run()
    status = stopped_by_a_kill(run_dir, busy)
    assert status["state"] == "stopped" and status["error"] == "killed: it had not stopped 0.5 s after the request"
    assert store.load_run(run_dir).summary == {"stopped": True, "killed": True, "epochs_completed": 1}


def test_the_work_watch_times_stillness_from_the_last_work_and_the_limit_from_the_request(monkeypatch):
    now = [0.0]
    work = iter([5.0, 5.0, 5.5, 5.5, 5.5, 6.0, 7.0])
    monkeypatch.setattr(worker, "process_work", lambda pid: next(work))
    monkeypatch.setattr(worker, "STOP_GRACE_SECONDS", 10)
    monkeypatch.setattr(worker, "STOP_LIMIT_SECONDS", 300)
    watch = worker.WorkWatch(clock=lambda: now[0])
    assert watch.reason_to_kill(1) is None  # the first look
    now[0] = 9.0
    assert watch.reason_to_kill(1) is None  # still for 9 s
    assert watch.reason_to_kill(1) is None  # it worked: stillness counts again from now
    now[0] = 19.0
    assert watch.reason_to_kill(1) is None
    now[0] = 19.5
    assert watch.reason_to_kill(1) == "it did no work for 10 s after the request (paused or stuck)"
    now[0] = 299.0
    assert watch.reason_to_kill(1) is None  # working, slowly
    now[0] = 300.5
    assert watch.reason_to_kill(1) == "it had not stopped 300 s after the request"
    monkeypatch.setattr(worker, "process_work", lambda pid: None)
    assert watch.reason_to_kill(1) is None  # gone: read_status says how it ended


def test_the_stop_messages_say_what_is_kept():
    run_dir = store.new_run(config.make_config("quick"))
    assert "No epoch has completed yet, so no model will be kept" in live_runs.stopping_message(run_dir)
    run_files.append_metric(run_dir, {"kind": "epoch", "epoch": 1, "loss": 0.5, "accuracy": 0.9, "val_loss": 0.4,
                                 "val_accuracy": 0.9})
    assert "the model of epoch 1, the last completed one, is kept" in live_runs.stopping_message(run_dir)
    store.update_status(run_dir, state="stopped", error=worker.STOPPED_BEFORE_START)
    assert live_runs.outcome_message(store.load_run(run_dir)) == "Stopped before it started training; no model was kept."


def test_a_running_run_without_new_metrics_shows_no_progress():
    import os

    run_dir = store.new_run(config.make_config("quick"))
    store.update_status(run_dir, state="running", started=time.time() - 500, pid=os.getpid(),
                       pid_started=store.process_start_time(os.getpid()))
    run_files.append_metric(run_dir, {"kind": "start", "epochs": 2, "steps_per_epoch": 10, "time": time.time()})
    assert live_runs.stall_note(run_dir) is None
    os.utime(run_dir / "metrics.jsonl", (time.time() - 95, time.time() - 95))
    assert live_runs.stall_note(run_dir).startswith("No progress for 95 s")


def test_a_queued_worker_runs_at_the_lowest_priority_and_a_killed_one_reads_as_failed():
    import psutil

    priority = psutil.Process().nice()  # 0 in CI; more where the suite itself runs under `nice`
    blocker = store.new_run(config.make_config("quick"))  # first in the queue, alive as this test's process
    store.update_status(blocker, pid=os.getpid(), pid_started=store.process_start_time(os.getpid()))
    run_dir, killed = worker.start(config.make_config("quick")), worker.start(config.make_config("quick"))
    try:
        pid = store.read_status(run_dir)["pid"]
        wait_until(lambda: psutil.Process(pid).nice() == worker.WORKER_NICENESS, "the worker to lower its priority")
        # SIGKILL (kill without a reason): the run reads as failed, killed, wherever it was (queued here; a
        # training worker's kill is in tests/unit/test_windows.py).
        status = worker.kill(killed)
        assert status["state"] == "failed" and "killed" in status["error"]
    finally:
        worker.request_stop(run_dir)
        worker.kill(killed)
    wait_until(lambda: store.read_status(run_dir)["state"] == "stopped", "the queued worker to stop")
    assert psutil.Process().nice() == priority  # the starting process (the app's server) keeps its priority


@pytest.mark.parametrize("init_model, message", [
    ("missing.keras", "is not a file"),
    (".", "is not a file"),
    ("fifo", "is not a file"),
    ("notes.keras", "cannot read"),
])
def test_a_model_to_finetune_is_checked_when_the_run_is_submitted(init_model, message, tmp_path):
    import os

    from lenet.serve import inference

    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "notes.keras").write_text("not a model", encoding="utf-8")
    path = tmp_path / init_model if init_model != "." else tmp_path
    with pytest.raises(inference.ModelLoadError, match=message):
        worker.start(config.make_config("quick", init_model=str(path)))
    assert store.list_runs() == []


def test_a_model_of_another_dataset_is_refused_for_finetuning():
    from lenet.serve import inference

    with pytest.raises(inference.ModelLoadError, match="is a MNIST model; it cannot be fine-tuned on fashion"):
        finetune.load_init_model(config.make_config("quick", "fashion", init_model=str(config.BUNDLED_MODEL_PATH)))
    finetune.load_init_model(config.make_config("quick", init_model=str(config.BUNDLED_MODEL_PATH)))  # fine


def training_threads_niceness(pid):
    """The nice value of every thread of process `pid` (field 19 of /proc/<pid>/task/<tid>/stat)."""
    from pathlib import Path

    values = []
    for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
        values.append(int(stat.read_text(encoding="utf-8").rsplit(")", 1)[1].split()[16]))
    return values
