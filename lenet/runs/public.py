"""Public mode: the app hosted for a class, where no visitor can break it or spoil it for the others.

One switch: the environment variable LENET_PUBLIC=1 (README, "Hosting the app for a class"). Off, the app is the
single-user app it always was. On:
- a visitor may stop and delete only the runs they started (their owner id is in status.json); runs from the CLI
  are the host's, and nobody's to delete from the browser;
- each visitor has at most MAX_ACTIVE_PER_VISITOR run queued or training, the machine at most MAX_ACTIVE_RUNS;
- each visitor has their own "my digits", at most MAX_VISITOR_DIGITS;
- visitors' finished runs beyond MAX_KEPT_RUNS or MAX_KEPT_MB are deleted, oldest first, when a new one starts.
A visitor is known by a random token that the page keeps in its address (studio/visitor.py); only its hash is
stored, so nothing on disk or on screen lets one visitor act as another.
"""

import contextlib
import hashlib
import os
import re
import secrets
import time
from pathlib import Path

import filelock

from lenet import config as lenet_config, files
from lenet.runs import store, worker

PUBLIC_VARIABLE = "LENET_PUBLIC"
MAX_ACTIVE_PER_VISITOR = 1
MAX_ACTIVE_RUNS = 4  # queued or training, machine-wide: one trains at a time on 2 cores, the rest wait
MAX_KEPT_RUNS = 40  # visitors' ended runs kept on disk (each is about 1 MB)...
MAX_KEPT_MB = 200  # ...and at most this much of them
MAX_VISITOR_DIGITS = 1000  # each visitor's own "my digits"
DOUBLE_START_SECONDS = 3.0  # the same visitor starting the same settings again this soon is a double click
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")
ON_VALUES, OFF_VALUES = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")


def enabled():
    """Whether the app runs in public mode."""
    value = os.environ.get(PUBLIC_VARIABLE, "").strip().lower()
    if value not in ON_VALUES + OFF_VALUES:
        raise lenet_config.ConfigError(f"{PUBLIC_VARIABLE} must be 1 (public mode) or 0, got {value!r}")
    return value in ON_VALUES


def new_token():
    return secrets.token_urlsafe(18)


def valid_token(token):
    return isinstance(token, str) and TOKEN_PATTERN.fullmatch(token) is not None


def owner_id(token):
    """What status.json and folder names hold for a visitor: a hash, so the token itself is never on disk."""
    return hashlib.sha256(token.encode()).hexdigest()[:24]


def refusal(run, owner):
    """Why `owner` may not stop or delete `run`, or None if they may."""
    if not enabled() or (run.owner and run.owner == owner):
        return None
    if not run.owner:
        return "This run was started from the command line; only the host can stop or delete it."
    return "Only the visitor who started this run can stop or delete it."


def digits_store(owner):
    """The visitor's own "my digits" folder in public mode; None (the shared set) otherwise."""
    if not enabled():
        return None
    return files.my_digits_dir() / ".visitors" / owner  # a dot folder: never listed as the shared set's digits


def digits_capacity():
    return MAX_VISITOR_DIGITS if enabled() else None


def submit(train_config, owner, run_name=None, runs_root=None, **status):
    """Start a run for `owner`, within public mode's limits. Returns its folder; RunError says why not.

    A second Start with the same settings within DOUBLE_START_SECONDS returns the first run (a double click makes
    one run, in either mode). One start at a time takes a lock, so two clicks cannot both pass the checks.
    """
    root = store.store_root(runs_root)
    with _start_lock(root):
        mine = [run for run in store.list_runs(root) if run.owner == owner and run.state in store.ACTIVE_STATES]
        for run in mine:
            recent = time.time() - run.status.get("created", 0) < DOUBLE_START_SECONDS
            if recent and run.config == train_config.to_dict() and run.status.get("run_name") == (run_name or ""):
                return run.run_dir
        if enabled():
            _check_limits(root, mine)
            prune(root)
        return worker.start(train_config, run_name, root, owner=owner, **status)


def _check_limits(root, mine):
    if len(mine) >= MAX_ACTIVE_PER_VISITOR:
        raise store.RunError(f"you already have a run {mine[0].state} ({mine[0].run_id}); wait for it to end, or stop "
                            "it, before starting another")
    active = [run for run in store.list_runs(root) if run.state in store.ACTIVE_STATES]
    if len(active) >= MAX_ACTIVE_RUNS:
        raise store.RunError(f"the machine is busy: {len(active)} runs are queued or training, the most it takes at "
                            "once. Try again when one has ended")


def prune(root):
    """Delete visitors' ended runs beyond MAX_KEPT_RUNS (making room for one more) or MAX_KEPT_MB, oldest first.

    Never an active run, and never a CLI run (the host's). The bundled models live in models/, outside the store.
    """
    ended = [run for run in store.list_runs(root, include_unreadable=True)
             if run.owner and run.state not in store.ACTIVE_STATES]
    sizes = {run.run_id: _megabytes(run.run_dir) for run in ended}
    deleted = []
    for run in reversed(ended):  # oldest first
        if len(ended) - len(deleted) < MAX_KEPT_RUNS and sum(sizes.values()) <= MAX_KEPT_MB:
            break
        with contextlib.suppress(store.RunError):
            store.delete_run(run.run_id, root)
            deleted.append(run.run_id)
        sizes.pop(run.run_id)
    return deleted


def _megabytes(folder):
    total = 0
    for path in Path(folder).rglob("*"):
        with contextlib.suppress(OSError):
            total += path.stat().st_size if path.is_file() else 0
    return total / 2**20


@contextlib.contextmanager
def _start_lock(root):
    """One start at a time; the lock ends with its holder's process (see store.status_lock)."""
    lock = filelock.FileLock(root / ".start.lock")
    try:
        root.mkdir(parents=True, exist_ok=True)
        lock.acquire()
    except OSError as error:
        raise store.RunError(f"cannot start a run in {root}: {error.strerror or error}") from None
    try:
        yield
    finally:
        lock.release()
