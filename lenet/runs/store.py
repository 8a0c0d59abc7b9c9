"""The run store: one folder per training run, shared by the CLI, the worker and the app.

runs/<run_id>/ holds config.json, status.json, metrics.jsonl (append-only), model.keras (the last completed
epoch), summary.json and test_predictions.npy. The folder is the truth: the app re-reads it, never its own memory.
"""

import contextlib
import csv
import io
import json
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import filelock
import psutil

from lenet import config as lenet_config, files
from lenet.data import datasets
from lenet.files import read_json, write_json
from lenet.runs import records
from lenet.train.run_files import METRICS_FILE, MODEL_FILE

ACTIVE_STATES = ("queued", "running")
STOP_FILE = "stop-requested"
KILL_NOTE_FILE = "kill-on-stop.json"  # why a requested stop ended in a kill, written before the kill (see read_status)
ORPHAN_SECONDS = 60
STALL_SECONDS = 30  # a running run with no new metric line for this long is shown as making no progress


class RunError(ValueError):
    """A run that does not exist, or cannot be read."""


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    run_dir: Path
    config: dict
    status: dict
    summary: dict
    problem: str = ""  # why the run cannot be read; such a run is listed as "unreadable: <why>" and used nowhere

    @property
    def state(self):
        return f"unreadable: {self.problem}" if self.problem else self.status.get("state", "unknown")

    @property
    def owner(self):
        """Who started it from the browser in public mode (lenet/runs/public.py); "" for the CLI's runs."""
        return self.status.get("owner", "")

    @property
    def model_path(self):
        path = self.run_dir / MODEL_FILE
        return path if not self.problem and path.is_file() else None


def store_root(runs_root=None):
    """The run store's folder; RunError if the path names something that is not a folder."""
    root = Path(runs_root or files.runs_dir())
    if root.exists() and not root.is_dir():
        raise RunError(f"the run store {root} is a file, not a folder: set LENET_RUNS_DIR to a folder (it is created "
                       "if missing), or move the file away")
    return root


def new_run(train_config, run_name=None, runs_root=None, **status):
    """Create runs/<id>/ with config.json and a queued status (plus `status`'s fields); return its folder.

    A full disk or a read-only store raises RunError and leaves no half-made run folder behind.
    """
    runs_root = store_root(runs_root)
    label = _slug(run_name or train_config.preset)
    run_dir = runs_root / f"{time.strftime('%Y%m%d-%H%M%S')}-{label}-{secrets.token_hex(2)}"
    try:
        runs_root.mkdir(parents=True, exist_ok=True)
        run_dir.mkdir()
        write_json(run_dir / "config.json", train_config.to_dict())
        write_json(run_dir / "status.json", {"state": "queued", "created": time.time(), "run_name": run_name or "",
                                             **status})
    except OSError as error:
        shutil.rmtree(run_dir, ignore_errors=True)
        raise RunError(f"cannot create a run in {runs_root}: {error.strerror or error}") from None
    return run_dir


def run_path(run_id, runs_root=None):
    run_dir = store_root(runs_root) / run_id
    if not run_id or "/" in run_id or "\\" in run_id or run_id in (".", "..") or not (run_dir / "config.json").exists():
        raise RunError(f"no run named {run_id!r} in {run_dir.parent}; `python -m lenet runs` lists them")
    return run_dir


@contextlib.contextmanager
def status_lock(run_dir, wait_seconds=None):
    """The app, the CLI and the worker all write status.json, so they take turns. TimeoutError (an OSError) after
    `wait_seconds`, for a caller that must not wait on a holder that may never let go (a SIGSTOPped worker).

    filelock takes the operating system's own lock (flock, or msvcrt's on Windows), which ends with its holder's
    process, so a killed worker never leaves status.json locked; where neither exists it falls back to a lock file
    that names its owner's pid, and breaks it once that process is gone.
    """
    lock = filelock.FileLock(Path(run_dir) / ".status.lock", timeout=-1 if wait_seconds is None else wait_seconds)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise TimeoutError(f"status.json of {Path(run_dir).name} stayed locked") from None
    try:
        yield
    finally:
        lock.release()


def update_status(run_dir, **fields):
    """Merge fields into status.json (a damaged one is replaced). OSError if the store cannot be written."""
    with status_lock(run_dir):
        status = read_json(Path(run_dir) / "status.json", {})
        status = {**(status if isinstance(status, dict) else {}), **fields}
        write_json(Path(run_dir) / "status.json", status)
    return status


def read_status(run_dir):
    """The run's status, checked: {"state": "unreadable", "problem": why} when status.json is damaged.

    A queued or running run whose worker process is gone reads as failed, or as stopped where a requested stop
    killed it (note_kill_on_stop). That is saved where the store can be written, and otherwise only reported:
    reading never fails because writing does.
    """
    status = _checked_status(run_dir)
    if _worker_gone(status):
        try:
            with status_lock(run_dir):
                status = _checked_status(run_dir)  # the worker may have finished just before exiting
                if _worker_gone(status):
                    status = _as_ended(run_dir, status)
                    write_json(Path(run_dir) / "status.json", status)
        except OSError:
            status = _as_ended(run_dir, status) if _worker_gone(status) else status
    return status


def note_kill_on_stop(run_dir, reason):
    """Say why a requested stop is about to kill the worker, before it does: whoever reads the run first once the
    worker is gone (the killer, a page, another visitor) then records the stop and the reason, never a crash.
    OSError if the store cannot be written; the run then reads as failed (killed), which is also true."""
    write_json(Path(run_dir) / KILL_NOTE_FILE, {"reason": reason})


def _as_ended(run_dir, status):
    note = read_json(Path(run_dir) / KILL_NOTE_FILE, None)
    if isinstance(note, dict) and isinstance(note.get("reason"), str):
        return _as_killed_on_stop(run_dir, status, note["reason"])
    return _as_failed(run_dir, status)


def _as_killed_on_stop(run_dir, status, reason):
    """The status of a run whose requested stop ended in a kill; writes the summary the worker could not."""
    run_dir = Path(run_dir)
    epochs = len(load_metrics(run_dir, kind="epoch")) if (run_dir / MODEL_FILE).is_file() else 0
    if not (run_dir / "summary.json").is_file():  # the worker died before it could write its own
        with contextlib.suppress(OSError):
            write_json(run_dir / "summary.json", {"stopped": True, "killed": True, "epochs_completed": epochs})
    return {**status, "state": "stopped", "ended": time.time(), "error": f"killed: {reason}"}


def _checked_status(run_dir):
    status, problem = records.read(Path(run_dir) / "status.json")
    if status is records.MISSING:
        return {"state": "unknown"}  # not written yet: its creator writes config.json first
    problem = problem or records.check_fields("status.json", status, records.STATUS_FIELDS, required=("state",))
    return {"state": "unreadable", "problem": problem} if problem else status


def _as_failed(run_dir, status):
    kept = " The model of the last completed epoch is kept." if (Path(run_dir) / MODEL_FILE).is_file() else ""
    process = f"The training process (pid {status['pid']})" if "pid" in status else "The run's creator"
    return {**status, "state": "failed", "ended": time.time(),
            "error": f"{process} ended without finishing: it was killed or crashed.{kept}"}


def _worker_gone(status):
    if status.get("state") not in ACTIVE_STATES:
        return False
    if "pid" not in status:
        # A run gets its process's pid as soon as it is created; one still without a pid long after was never
        # started (its creator died), and must not block the queue forever.
        return time.time() - status.get("created", 0) > ORPHAN_SECONDS
    return not process_alive(status["pid"], status.get("pid_started"))


def read_metrics(run_dir, offset=0):
    """Complete, valid metric records after byte `offset`, and the offset to continue from next time.

    Lines torn by a crash, and lines that are not records the pages can draw (lenet/runs/records.py), are skipped.
    """
    try:
        with open(Path(run_dir) / METRICS_FILE, "rb") as handle:
            handle.seek(offset)
            chunk = handle.read()
    except OSError:  # missing, a folder, unreadable: no metrics yet, never fatal
        return [], offset
    complete = chunk[: chunk.rfind(b"\n") + 1]  # a half-written last line waits for the next read
    valid = []
    for line in complete.splitlines():
        try:
            record = json.loads(line)
        except ValueError:  # bad JSON, or bytes that are not UTF-8
            continue
        if records.valid_record(record):
            valid.append(record)
    return valid, offset + len(complete)


def load_metrics(run_dir, kind=None):
    records, _ = read_metrics(run_dir)
    return [r for r in records if kind is None or r.get("kind") == kind]


def load_run(run_dir):
    """The run in `run_dir`, whatever its files hold: a damaged file makes it unreadable (RunInfo.problem)."""
    run_dir = Path(run_dir)
    config, problem = records.read(run_dir / "config.json")
    if problem is None:  # (a missing config.json is a problem too: from_dict refuses anything but a mapping)
        try:
            lenet_config.TrainConfig.from_dict(config)
        except (ValueError, TypeError) as error:
            problem = f"config.json: {error}"
    status = read_status(run_dir)
    problem = problem or status.get("problem")
    summary, summary_problem = records.read(run_dir / "summary.json")
    summary = {} if summary is records.MISSING else summary
    problem = problem or summary_problem or records.check_fields("summary.json", summary, records.SUMMARY_FIELDS)
    if problem:
        return RunInfo(run_dir.name, run_dir, {}, {"state": "unreadable", "created": _created(status, run_dir)}, {},
                       problem)
    return RunInfo(run_dir.name, run_dir, config, status, summary)


def _created(status, run_dir):
    try:
        return status["created"] if "created" in status else run_dir.stat().st_mtime
    except OSError:
        return 0


def list_runs(runs_root=None, include_unreadable=False):
    """Every run in the store, newest first. Unreadable runs only when asked for: the Runs page and `lenet runs`
    list them so they can be deleted; everything else (models, the queue, the Train page) never sees them."""
    root = Path(runs_root or files.runs_dir())
    try:
        folders = [path for path in root.iterdir() if (path / "config.json").exists()] if root.is_dir() else []
    except OSError:
        return []
    runs = [load_run(path) for path in folders]
    runs = [run for run in runs if include_unreadable or not run.problem]
    return sorted(runs, key=lambda run: run.status.get("created", 0), reverse=True)


def delete_run(run_id, runs_root=None):
    run = load_run(run_path(run_id, runs_root))
    if run.state in ACTIVE_STATES:
        raise RunError(f"run {run_id} is {run.state}; stop it before deleting it")
    try:
        shutil.rmtree(run.run_dir)
    except OSError as error:
        raise RunError(f"could not delete run {run_id}: {error.strerror or error}") from None


def quiet_seconds(run_dir):
    """Seconds since the run last wrote a metric line (or started, before its first): large when it is stuck."""
    run_dir = Path(run_dir)
    times = [read_status(run_dir).get("started", 0)]
    with contextlib.suppress(OSError):
        times.append((run_dir / "metrics.jsonl").stat().st_mtime)
    return time.time() - max(times)


def bundle_run(run_dir, model_path=None):
    """Copy a finished run's model to models/ as its dataset's bundled model; its card says how to train it again."""
    run = load_run(run_dir)
    if run.state != "finished" or run.model_path is None:
        raise RunError(f"run {run.run_id} is {run.state}; only a finished run's model can be bundled")
    dataset = run.config.get("dataset", datasets.DEFAULT)
    model_path = Path(model_path or lenet_config.BUNDLED_MODELS[dataset])
    files.write_atomic(model_path, run.model_path.read_bytes())  # the card inside comes along
    return model_path


def history_csv(run_dir):
    """The per-epoch history as CSV text, for download."""
    epochs = load_metrics(run_dir, kind="epoch")
    columns = ["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "seconds"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(epochs)
    return buffer.getvalue()


# How far a process's start time, as read by two processes, may differ and still be the same process. Linux gives it
# as the boot time (whole seconds in /proc/stat, moved by every clock adjustment) plus ticks since boot, so an NTP
# step moves every process's start time by a second: with an exact match, one such step in CI marked two live
# workers as crashed. A pid reused by another process starts far later than this.
START_TIME_SLACK = 2.5


def process_alive(pid, started=None):
    """True while process `pid` runs and is the one we started (not a zombie, not a reused pid)."""
    try:
        process = psutil.Process(pid)
        if process.status() in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD):
            return False
        return started is None or abs(process.create_time() - started) <= START_TIME_SLACK
    except (psutil.Error, OverflowError, ValueError):  # gone, or a pid no process can have
        return False


def process_start_time(pid):
    """When `pid` started, which tells a live worker from a later process that reuses its pid."""
    return psutil.Process(pid).create_time()


def _slug(text):
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")[:40] or "run"
