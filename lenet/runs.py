"""The run store: one folder per training run, shared by the CLI, the worker and the app.

runs/<run_id>/ holds config.json, status.json, metrics.jsonl (append-only), model.keras (the last completed
epoch), summary.json and test_predictions.npy. The folder is the truth: the app re-reads it, never its own memory.
"""

import contextlib
import csv
import fcntl
import io
import json
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from lenet import config as lenet_config
from lenet import datasets, files
from lenet.files import read_json, write_json

ACTIVE_STATES = ("queued", "running")
MODEL_FILE = "model.keras"
STOP_FILE = "stop-requested"
ORPHAN_SECONDS = 60


class RunError(ValueError):
    """A run that does not exist, or cannot be read."""


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    run_dir: Path
    config: dict
    status: dict
    summary: dict

    @property
    def state(self):
        return self.status.get("state", "unknown")

    @property
    def model_path(self):
        path = self.run_dir / MODEL_FILE
        return path if path.exists() else None


def new_run(train_config, run_name=None, runs_root=None):
    """Create runs/<id>/ with config.json and a queued status; return its folder."""
    runs_root = Path(runs_root or lenet_config.runs_dir())
    runs_root.mkdir(parents=True, exist_ok=True)
    label = _slug(run_name or train_config.preset)
    run_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{label}-{secrets.token_hex(2)}"
    run_dir = runs_root / run_id
    run_dir.mkdir()
    write_json(run_dir / "config.json", train_config.to_dict())
    write_json(run_dir / "status.json", {"state": "queued", "created": time.time(), "run_name": run_name or ""})
    return run_dir


def run_path(run_id, runs_root=None):
    run_dir = Path(runs_root or lenet_config.runs_dir()) / run_id
    if not run_id or "/" in run_id or not (run_dir / "config.json").exists():
        raise RunError(f"no run named {run_id!r} in {run_dir.parent}; `python -m lenet runs` lists them")
    return run_dir


@contextlib.contextmanager
def _status_lock(run_dir):
    # The app, the CLI and the worker all write status.json, so they take turns.
    with open(Path(run_dir) / ".status.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def update_status(run_dir, **fields):
    """Merge fields into status.json."""
    with _status_lock(run_dir):
        status = read_json(Path(run_dir) / "status.json", {})
        status.update(fields)
        write_json(Path(run_dir) / "status.json", status)
    return status


def read_status(run_dir):
    """The run's status; a queued or running run whose worker process is gone is marked failed here."""
    status = read_json(Path(run_dir) / "status.json", {"state": "unknown"})
    if _worker_gone(status):
        with _status_lock(run_dir):
            status = read_json(Path(run_dir) / "status.json", {})  # the worker may have finished just before exiting
            if _worker_gone(status):
                kept = " The model of the last completed epoch is kept." if (Path(run_dir) / MODEL_FILE).exists() else ""
                process = f"The training process (pid {status['pid']})" if "pid" in status else "The run's creator"
                status.update(state="failed", ended=time.time(),
                              error=f"{process} ended without finishing: it was killed or crashed.{kept}")
                write_json(Path(run_dir) / "status.json", status)
    return status


def _worker_gone(status):
    if status.get("state") not in ACTIVE_STATES:
        return False
    if "pid" not in status:
        # A run gets its process's pid as soon as it is created; one still without a pid long after was never
        # started (its creator died), and must not block the queue forever.
        return time.time() - status.get("created", 0) > ORPHAN_SECONDS
    return not process_alive(status["pid"], status.get("pid_started"))


def append_metric(run_dir, record):
    # One write call per line: a crash leaves at most a half line at the end, which readers skip.
    with open(Path(run_dir) / "metrics.jsonl", "a") as handle:
        handle.write(json.dumps(record) + "\n")


def read_metrics(run_dir, offset=0):
    """Complete metric lines after byte `offset`, and the offset to continue from next time."""
    try:
        with open(Path(run_dir) / "metrics.jsonl", "rb") as handle:
            handle.seek(offset)
            chunk = handle.read()
    except FileNotFoundError:
        return [], offset
    complete = chunk[: chunk.rfind(b"\n") + 1]  # a half-written last line waits for the next read
    records = []
    for line in complete.splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line torn by a crash is skipped, never fatal
    return records, offset + len(complete)


def load_metrics(run_dir, kind=None):
    records, _ = read_metrics(run_dir)
    return [r for r in records if kind is None or r.get("kind") == kind]


def load_run(run_dir):
    run_dir = Path(run_dir)
    return RunInfo(run_dir.name, run_dir, read_json(run_dir / "config.json", {}), read_status(run_dir),
                   read_json(run_dir / "summary.json", {}))


def list_runs(runs_root=None):
    """Every run in the store, newest first."""
    root = Path(runs_root or lenet_config.runs_dir())
    if not root.is_dir():
        return []
    folders = [path for path in root.iterdir() if (path / "config.json").exists()]
    runs = [load_run(path) for path in folders]
    return sorted(runs, key=lambda run: run.status.get("created", 0), reverse=True)


def delete_run(run_id, runs_root=None):
    run = load_run(run_path(run_id, runs_root))
    if run.state in ACTIVE_STATES:
        raise RunError(f"run {run_id} is {run.state}; stop it before deleting it")
    shutil.rmtree(run.run_dir)


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


def process_alive(pid, started=None):
    """True while process `pid` runs and is the one we started (not a zombie, not a reused pid)."""
    try:
        process = psutil.Process(pid)
        if process.status() in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD):
            return False
        return started is None or abs(process.create_time() - started) < 0.01
    except psutil.Error:
        return False


def process_start_time(pid):
    """When `pid` started, which tells a live worker from a later process that reuses its pid."""
    return psutil.Process(pid).create_time()


def _slug(text):
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")[:40] or "run"
