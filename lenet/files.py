"""Where files live, and files that readers never see half-written: every write goes to a temporary file beside the target, then a rename.

One helper for the whole engine: the run store, the data cache, model files and "my digits" all write through it,
so a crash, a full disk or a read-only folder leaves either the old file or the new one, and no temporary file.
"""

import contextlib
import json
import os
import shutil
import stat
import tempfile
from pathlib import Path

# Where files live: the project folder, and the folders each environment variable may move elsewhere.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def runs_dir():
    """The run store: `runs/` in the project, or LENET_RUNS_DIR."""
    return Path(os.environ.get("LENET_RUNS_DIR") or PROJECT_ROOT / "runs")


def data_cache_dir(dataset_name):
    """A dataset's verified files: `data/<dataset>/` in the project, or under LENET_CACHE_DIR."""
    return Path(os.environ.get("LENET_CACHE_DIR") or PROJECT_ROOT / "data") / dataset_name


def my_digits_dir():
    """The "my digits" set, next to the run store: `my_digits/` in the project, or LENET_MY_DIGITS_DIR."""
    return Path(os.environ.get("LENET_MY_DIGITS_DIR") or runs_dir().parent / "my_digits")


class StorageError(ValueError):
    """Not enough free space, or a path that is not the kind of file expected; the message says what to do."""


@contextlib.contextmanager
def atomic_path(path, mode=0o644):
    """A temporary path beside `path` to write to; renamed onto `path` if the block succeeds, removed if it fails.

    The temporary name ends in the target's own suffix, because some writers (Keras's model.save) insist on it.
    `mode` is the file's permissions: 0o600 keeps a secret (the class host's token) to the app's own user.
    """
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=f".tmp{path.suffix}")
    os.close(handle)
    try:
        yield Path(temporary)
        os.chmod(temporary, mode)  # mkstemp makes it private; runs, models and the cache are for anyone using the app
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)  # gone after a successful rename; removed after a failure


def write_atomic(path, data, mode=0o644):
    """Write bytes or text to `path` atomically, creating its folder if needed."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path, mode) as temporary:
        temporary.write_bytes(data.encode() if isinstance(data, str) else data)


def write_json(path, value):
    write_atomic(path, json.dumps(value, indent=1))


def read_json(path, default=None):
    """The JSON value in a file, or `default` when the file is missing, unreadable or not JSON."""
    try:
        return json.loads(Path(path).read_bytes())
    except (OSError, ValueError):  # ValueError covers bad JSON and bytes that are not UTF-8
        return default


def open_regular_file(path):
    """Open `path` for reading in binary, refusing anything but a regular file.

    A FIFO would block the reader forever and a device might never end; opening without blocking and checking what
    was opened (not what the path named a moment before) rules both out.
    """
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            kind = "a folder" if stat.S_ISDIR(mode) else "a pipe" if stat.S_ISFIFO(mode) else "not a regular file"
            raise StorageError(f"{Path(path).name} is {kind}; give a regular file")
        os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def free_megabytes(folder):
    """Free space on the file system that holds `folder` (or would hold it, if it does not exist yet)."""
    folder = Path(folder).absolute()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return shutil.disk_usage(folder).free / 2**20


def check_free_space(folder, megabytes, what):
    """Refuse to start `what` when `folder`'s disk has less than `megabytes` free."""
    free = free_megabytes(folder)
    if free < megabytes:
        raise StorageError(f"not enough free disk space for {what}: {free:.0f} MB free in {folder}, "
                           f"{megabytes:.0f} MB needed. Free some space (delete old runs) and try again")
    return free
