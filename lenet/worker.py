"""Training in a separate process, so it survives Streamlit's re-runs and outlives the browser tab.

start() launches `python -m lenet.worker RUN_DIR`, which waits its turn for a training slot (at most
LENET_MAX_WORKERS runs train at once, default 1, the rest queue in the order they were started), trains, and
records the outcome in status.json. Stop asks through a file in the run folder; kill is SIGKILL, after which the
run reads as failed and its last checkpoint is still there.
"""

import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from lenet import config as lenet_config
from lenet import runs

MAX_WORKERS_VARIABLE = "LENET_MAX_WORKERS"
POLL_SECONDS = 0.5


def max_workers():
    value = os.environ.get(MAX_WORKERS_VARIABLE, "1")
    if not value.isdigit() or int(value) < 1:
        raise lenet_config.ConfigError(f"{MAX_WORKERS_VARIABLE} must be a whole number ≥ 1, got {value!r}")
    return int(value)


def start(train_config, run_name=None, runs_root=None):
    """Create a run and train it in a new background process. Returns the run folder at once."""
    run_dir = runs.new_run(train_config, run_name, runs_root)
    with open(run_dir / "worker.log", "ab") as worker_log:
        process = subprocess.Popen(
            [sys.executable, "-m", "lenet.worker", str(run_dir)], cwd=lenet_config.PROJECT_ROOT,
            stdout=worker_log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own session: a Ctrl-C in the server's terminal does not reach it
        )
    _record_process(run_dir, process.pid)
    return run_dir


def execute(run_dir, log=None):
    """Wait for a training slot, train, and record the outcome. Runs in the worker, or in the CLI's process."""
    run_dir = Path(run_dir)
    _record_process(run_dir, os.getpid())
    signalled = []
    for signal_number in (signal.SIGTERM, signal.SIGINT):  # a polite kill or Ctrl-C means "stop soon", as Stop does
        signal.signal(signal_number, lambda number, frame: signalled.append(number))
    slot = wait_for_turn(run_dir, should_stop=lambda: bool(signalled))
    if slot is None:
        runs.update_status(run_dir, state="stopped", ended=time.time(), error="stopped before it started")
        return None
    try:
        from lenet import my_digits, training  # TensorFlow loads here, not when the app merely starts a run

        train_config = lenet_config.TrainConfig.from_dict(runs.read_json(run_dir / "config.json"))
        extra = my_digits.training_arrays() if train_config.my_digits else None
        runs.update_status(run_dir, state="running", started=time.time())
        summary = training.train(train_config, run_dir, lambda: bool(signalled) or stop_requested(run_dir), log, extra)
        runs.update_status(run_dir, state="stopped" if summary["stopped"] else "finished", ended=time.time())
        return summary
    except Exception as error:
        runs.update_status(run_dir, state="failed", ended=time.time(), error=f"{type(error).__name__}: {error}")
        raise
    finally:
        slot.close()  # closing the file releases its lock; so does the process dying


def wait_for_turn(run_dir, should_stop=lambda: False):
    """Block until this run is first in the queue and a slot is free; return the held slot, or None if stopped."""
    slots = run_dir.parent / ".slots"
    slots.mkdir(exist_ok=True)
    while True:
        if should_stop() or stop_requested(run_dir):
            return None
        waiting = queue(run_dir.parent)
        if not waiting or waiting[0].run_dir == run_dir:
            slot = _take_free_slot(slots)
            if slot:
                return slot
        time.sleep(POLL_SECONDS)


def queue(runs_root=None):
    """Queued runs whose process is alive, in the order they will train."""
    waiting = [run for run in runs.list_runs(runs_root) if run.state == "queued"]
    return sorted(waiting, key=lambda run: run.status.get("created", 0))


def stop_requested(run_dir):
    return (Path(run_dir) / runs.STOP_FILE).exists()


def request_stop(run_dir):
    """Ask the worker to stop within a second or so (it checks between calls into TensorFlow).

    It keeps the model of the last completed epoch.
    """
    (Path(run_dir) / runs.STOP_FILE).touch()


def stop(run_dir, timeout=60.0):
    """Request a stop and wait for it; kill the worker if it has not stopped within `timeout` seconds."""
    request_stop(run_dir)
    deadline = time.time() + timeout
    while runs.read_status(run_dir).get("state") in runs.ACTIVE_STATES and time.time() < deadline:
        time.sleep(0.2)
    if runs.read_status(run_dir).get("state") in runs.ACTIVE_STATES:
        kill(run_dir)
    return runs.read_status(run_dir)


def kill(run_dir):
    """SIGKILL the worker. The run then reads as failed; its last checkpoint stays loadable."""
    status = runs.read_status(run_dir)
    if "pid" in status and runs.process_alive(status["pid"], status.get("pid_started")):
        os.kill(status["pid"], signal.SIGKILL)
        deadline = time.time() + 10
        while runs.process_alive(status["pid"], status.get("pid_started")) and time.time() < deadline:
            time.sleep(0.05)
    return runs.read_status(run_dir)


def _take_free_slot(slots):
    for index in range(max_workers()):
        handle = open(slots / f"slot-{index}.lock", "w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:
            handle.close()
    return None


def _record_process(run_dir, pid):
    try:
        runs.update_status(run_dir, pid=pid, pid_started=runs.process_start_time(pid))
    except Exception:  # the process already ended: record the pid alone, and read_status will mark it failed
        runs.update_status(run_dir, pid=pid)


if __name__ == "__main__":
    execute(sys.argv[1], log=lambda line: print(line, flush=True))
