"""Training in a separate process, so it survives Streamlit's re-runs and outlives the browser tab.

start() launches `python -m lenet.runs.worker RUN_DIR`, which waits its turn for a training slot (at most
LENET_MAX_WORKERS runs train at once, default 1, the rest queue in the order they were started), trains, and
records the outcome in status.json. Workers run at the lowest CPU priority, so the app's visitors are served first.
Stop asks through a file in the run folder, and the app's Stop kills a worker that does no work after the request,
or has not stopped minutes later; kill is SIGKILL (TerminateProcess on Windows), after which the run's last
checkpoint is still there (checkpoints are written atomically).

A test seam: LENET_WORKER_MODULE names the module that `python -m` runs as the worker (default lenet.runs.worker).
The tests name tests.tiny_data, which is this worker training on tiny real splits, so that an app server started for
the browser tests trains in seconds.
"""

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import filelock
import psutil

from lenet import config as lenet_config, files
from lenet.runs import store
from lenet.train import finetune

MAX_WORKERS_VARIABLE = "LENET_MAX_WORKERS"
WORKER_MODULE_VARIABLE = "LENET_WORKER_MODULE"  # the test seam in this module's docstring
POLL_SECONDS = 0.5
WORKER_NICENESS = 19  # the lowest priority: on a shared machine a visitor's drawing is served before training
MIN_FREE_MB = 100  # a run writes a few MB at most; below this the disk is as good as full
# Stop's escalation (stop_soon) tells a stuck worker from a slow one by its CPU time: at the lowest priority on a
# busy machine a worker gets a sliver of a core, and stopping (testing and fitting the kept model, about 15 s of
# work) can take minutes there. CI's tests once saw such a worker killed 10 s after Stop, its test figures lost.
STOP_GRACE_SECONDS = 10  # a worker that does no work at all for this long after a stop request is paused or stuck
STOP_LIMIT_SECONDS = 300  # and however busy the machine, a stop ends within this long of the request
STOPPED_BEFORE_START = "stopped before it started"


def max_workers():
    value = os.environ.get(MAX_WORKERS_VARIABLE, "1")
    if not value.isdigit() or int(value) < 1:
        raise lenet_config.ConfigError(f"{MAX_WORKERS_VARIABLE} must be a whole number ≥ 1, got {value!r}")
    return int(value)


def start(train_config, run_name=None, runs_root=None, **status):
    """Check, create a run and train it in a new background process. Returns the run folder at once.

    What would only fail in the worker is refused here, with a message: a model to fine-tune that is missing or
    does not load, and a nearly full disk. `status` adds fields to status.json (public mode's owner, for one).
    """
    finetune.load_init_model(train_config)
    root = store.store_root(runs_root)
    try:
        files.check_free_space(root, MIN_FREE_MB, "a training run")
    except files.StorageError as error:
        raise store.RunError(str(error)) from None
    run_dir = store.new_run(train_config, run_name, root, **status)
    module = os.environ.get(WORKER_MODULE_VARIABLE, "lenet.runs.worker")
    try:
        with open(run_dir / "worker.log", "ab") as worker_log:
            process = subprocess.Popen(
                [sys.executable, "-m", module, str(run_dir)], cwd=files.PROJECT_ROOT,
                stdout=worker_log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, **detached(),
            )
        _record_process(run_dir, process.pid)
    except OSError as error:  # no process could start (disk full, no memory): nothing is left queued
        import shutil

        shutil.rmtree(run_dir, ignore_errors=True)
        raise store.RunError(f"could not start a training process: {error.strerror or error}") from None
    return run_dir


def detached(platform=sys.platform):
    """Popen's arguments that put a worker in its own session (POSIX) or process group (Windows), so a Ctrl-C in
    the server's terminal does not reach it."""
    if platform == "win32":
        return {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0x200)}
    return {"start_new_session": True}


def lower_priority(process=None, platform=sys.platform):
    """The lowest CPU priority that still runs: nice 19, or Windows's below-normal class."""
    process = process or psutil.Process()
    if platform == "win32":
        process.nice(getattr(psutil, "BELOW_NORMAL_PRIORITY_CLASS", 0x4000))
        return
    process.nice(WORKER_NICENESS)
    if platform.startswith("linux"):
        # Linux priorities belong to threads, and a library may have started one on import: lower each thread
        # there is now. Threads started later (TensorFlow's pools) inherit the priority of the thread that starts them.
        for thread in process.threads():
            with contextlib.suppress(psutil.Error):
                psutil.Process(thread.id).nice(WORKER_NICENESS)
        lower_session_group(process.pid)


def lower_session_group(pid):
    """Give a worker's session the lowest priority too, where Linux groups sessions ("autogroups").

    The kernel then shares the cores between sessions first, by each group's own nice value, and ranks threads by
    theirs only within a group. A worker is a session of its own (detached), so its nice 19 alone ranked it against
    nothing: it took a full share of a busy core beside the app server's session, and a visitor's drawing waited on
    it. Only a session leader lowers its group: a worker run from a shell would otherwise lower the shell's whole
    session. Nothing happens where there are no autogroups (the file is missing, or the kernel turned them off)."""
    with contextlib.suppress(OSError):
        if os.getsid(pid) == pid:
            Path(f"/proc/{pid}/autogroup").write_text(f"{WORKER_NICENESS}\n", encoding="utf-8")


def execute(run_dir, log=None):
    """Wait for a training slot, train, and record the outcome. Runs in the worker, or in the CLI's process."""
    run_dir = Path(run_dir)
    _record_process(run_dir, os.getpid())
    signalled = []
    for signal_number in (signal.SIGTERM, signal.SIGINT):  # a polite kill or Ctrl-C means "stop soon", as Stop does
        signal.signal(signal_number, lambda number, frame: signalled.append(number))
    slot = wait_for_turn(run_dir, should_stop=lambda: bool(signalled))
    if slot is None:
        store.update_status(run_dir, state="stopped", ended=time.time(), error=STOPPED_BEFORE_START)
        return None
    try:
        from lenet.train import training  # TensorFlow loads here, not when the app merely starts a run

        train_config = lenet_config.TrainConfig.from_dict(store.read_json(run_dir / "config.json"))
        extra = training_digits(train_config, store.read_status(run_dir)) if train_config.my_digits else None
        store.update_status(run_dir, state="running", started=time.time())
        summary = training.train(train_config, run_dir, _stop_check(run_dir, signalled), log, extra)
        store.update_status(run_dir, state="stopped" if summary["stopped"] else "finished", ended=time.time())
        return summary
    except Exception as error:
        store.update_status(run_dir, state="failed", ended=time.time(), error=f"{type(error).__name__}: {error}")
        raise
    finally:
        slot.release()  # so does the process dying: see _take_free_slot


def training_digits(train_config, status):
    """The digits a run mixes into its training set: a class retrain's frozen class digits (lenet/runs/class_models.py),
    else my digits (in public mode, the visitor's own)."""
    if status.get("training_digits"):
        from lenet.runs import class_set

        return class_set.frozen_arrays(status["training_digits"])
    from lenet.data import my_digits

    return my_digits.training_arrays(status.get("my_digits_store"))


def _stop_check(run_dir, signalled):
    """should_stop for training: true once asked to stop, by Stop's file or a signal."""
    return lambda: bool(signalled) or stop_requested(run_dir)


def slots_folder(runs_root):
    """Where the training slots' lock files live, beside the runs they serve."""
    return Path(runs_root) / ".slots"


def wait_for_turn(run_dir, should_stop=lambda: False):
    """Block until this run is first in the queue and a slot is free; return the held slot, or None if stopped."""
    slots = slots_folder(run_dir.parent)
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
    waiting = [run for run in store.list_runs(runs_root) if run.state == "queued"]
    return sorted(waiting, key=lambda run: run.status.get("created", 0))


def stop_requested(run_dir):
    return (Path(run_dir) / store.STOP_FILE).exists()


def request_stop(run_dir):
    """Ask the worker to stop within a second or so (it checks between calls into TensorFlow).

    It keeps the model of the last completed epoch.
    """
    (Path(run_dir) / store.STOP_FILE).touch()


def stop(run_dir, timeout=60.0):
    """Request a stop and wait for it; kill the worker if it has not stopped within `timeout` seconds."""
    request_stop(run_dir)
    deadline = time.time() + timeout
    while store.read_status(run_dir).get("state") in store.ACTIVE_STATES and time.time() < deadline:
        time.sleep(0.2)
    if store.read_status(run_dir).get("state") in store.ACTIVE_STATES:
        kill(run_dir, reason=f"it had not stopped {timeout:g} s after the request")
    return store.read_status(run_dir)


def stop_soon(run_dir):
    """The app's Stop: ask politely, and kill the worker in the background if it does not stop.

    Killed: when it does no work for STOP_GRACE_SECONDS (stuck, or paused with SIGSTOP), or has not stopped
    STOP_LIMIT_SECONDS after the request. Either way the last completed epoch's model is kept.
    """
    request_stop(run_dir)
    threading.Thread(target=_escalate, args=(Path(run_dir),), daemon=True).start()


def _escalate(run_dir):
    watch = WorkWatch()
    while (status := store.read_status(run_dir)).get("state") in store.ACTIVE_STATES:
        reason = watch.reason_to_kill(status.get("pid"))
        if reason:
            kill(run_dir, reason=reason)
            return
        time.sleep(POLL_SECONDS)


class WorkWatch:
    """Whether a worker asked to stop calls for a kill: it did no work (CPU time) for STOP_GRACE_SECONDS, or the
    request, made at the first look, is STOP_LIMIT_SECONDS old."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.asked = clock()
        self.last_work = self.last_change = None

    def reason_to_kill(self, pid):
        work, now = process_work(pid), self.clock()
        if work is None:  # no pid yet, or gone: read_status records how it ended
            return None
        if self.last_work is None or work > self.last_work:
            self.last_work, self.last_change = work, now
        if now - self.last_change > STOP_GRACE_SECONDS:
            return f"it did no work for {STOP_GRACE_SECONDS:g} s after the request (paused or stuck)"
        if now - self.asked > STOP_LIMIT_SECONDS:
            return f"it had not stopped {STOP_LIMIT_SECONDS:g} s after the request"
        return None


def process_work(pid):
    """The CPU seconds process `pid` has used, or None when there is no such process."""
    try:
        times = psutil.Process(pid).cpu_times()
    except (psutil.Error, TypeError, ValueError, OverflowError):  # gone, or no pid (None) or an impossible one
        return None
    return times.user + times.system


def kill(run_dir, reason=None):
    """Kill the worker at once (SIGKILL, or TerminateProcess on Windows); its last checkpoint stays loadable.

    Without a reason the run then reads as failed (killed or crashed). With one, the kill ends a requested stop:
    the reason is noted first, so the run reads as stopped, with the reason and the epochs it completed, however
    soon anyone reads it (store.note_kill_on_stop).
    """
    status = store.read_status(run_dir)
    if "pid" not in status or not store.process_alive(status["pid"], status.get("pid_started")):
        return status
    if reason:
        with contextlib.suppress(OSError):  # a store that cannot be written: it reads as failed (killed), also true
            store.note_kill_on_stop(run_dir, reason)
    with contextlib.suppress(psutil.NoSuchProcess):  # it may have ended on its own a moment ago
        psutil.Process(status["pid"]).kill()
    deadline = time.time() + 10
    while store.process_alive(status["pid"], status.get("pid_started")) and time.time() < deadline:
        time.sleep(0.05)
    return store.read_status(run_dir)  # records the end, if no reader has yet


def _take_free_slot(slots):
    """A held slot lock, or None when all are taken. The operating system's lock (flock, msvcrt's on Windows) ends
    with its holder's process, so a killed worker's slot is free at once; filelock's fallback where neither exists
    breaks a lock whose owner's pid is gone."""
    for index in range(max_workers()):
        slot = filelock.FileLock(slots / f"slot-{index}.lock", timeout=0)
        try:
            slot.acquire()
            return slot
        except filelock.Timeout:
            continue
    return None


def _record_process(run_dir, pid):
    try:
        store.update_status(run_dir, pid=pid, pid_started=store.process_start_time(pid))
    except Exception:  # the process already ended: record the pid alone, and read_status will mark it failed
        store.update_status(run_dir, pid=pid)


if __name__ == "__main__":
    lower_priority()  # before TensorFlow loads and starts its thread pools, which then inherit it
    execute(sys.argv[1], log=lambda line: print(line, flush=True))
