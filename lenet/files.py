"""Where files live, and files that readers never see half-written: every write goes to a temporary file beside the
target, then a rename.

One helper for the whole engine: the run store, the data cache, model files and "my digits" all write through it,
so a crash, a full disk or a read-only folder leaves either the old file or the new one, and no temporary file.
"""

import contextlib
import json
import os
import shutil
import stat
import sys
import tempfile
import time
from pathlib import Path

# Where files live: the project folder, and the folders each environment variable may move elsewhere.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
HOME_VARIABLE = "LENET_HOME"
FALLBACK_HOME = Path.home() / ".lenet-studio"  # for an install folder nobody may write to (a shared or system one)
_said = set()


def home_dir():
    """Where runs/, data/ and my_digits/ live: LENET_HOME, else the project folder, else (when that folder may not
    be written) FALLBACK_HOME, which is said once on stderr; home_note() says it to the app's visitors."""
    if os.environ.get(HOME_VARIABLE):
        return Path(os.environ[HOME_VARIABLE])
    if project_writable():
        return PROJECT_ROOT
    if FALLBACK_HOME not in _said:
        _said.add(FALLBACK_HOME)
        print(home_note(), file=sys.stderr)
    return FALLBACK_HOME


def home_note():
    """A sentence for the user when runs, data and digits are not in the project folder, else None."""
    if os.environ.get(HOME_VARIABLE) or project_writable():
        return None
    return (f"The app's folder {PROJECT_ROOT} is read-only, so runs, downloaded data and your digits are kept in "
            f"{FALLBACK_HOME}. Set {HOME_VARIABLE} to a writable folder to keep them elsewhere.")


def project_writable():
    """Whether this process may write in the project folder (not on a read-only mount, a shared install, ...)."""
    return os.access(PROJECT_ROOT, os.W_OK)


def runs_dir():
    """The run store: LENET_RUNS_DIR, or `runs/` in home_dir()."""
    return Path(os.environ.get("LENET_RUNS_DIR") or home_dir() / "runs")


def data_cache_dir(dataset_name):
    """A dataset's verified files: under LENET_CACHE_DIR, or `data/<dataset>/` in home_dir()."""
    return Path(os.environ.get("LENET_CACHE_DIR") or home_dir() / "data") / dataset_name


def my_digits_dir():
    """The "my digits" set, next to the run store: LENET_MY_DIGITS_DIR, or `my_digits/` beside runs_dir()."""
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
        replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)  # gone after a successful rename; removed after a failure


def replace(source, target, tries=6):
    """os.replace, retried briefly where Windows refuses to replace a file another process has open for a moment
    (our readers read whole files and close them at once; a virus scanner or indexer may not)."""
    for attempt in range(tries):
        try:
            return os.replace(source, target)
        except PermissionError:
            if attempt == tries - 1:
                raise
            time.sleep(0.02 * 2**attempt)


def write_atomic(path, data, mode=0o644):
    """Write bytes or text to `path` atomically, creating its folder if needed."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path, mode) as temporary:
        temporary.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


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

    A FIFO would block the reader forever and a device might never end. So the path is checked before it is opened
    (on every OS; POSIX's non-blocking open is not on Windows), and what was opened is checked again.
    """
    _check_regular(os.stat(path).st_mode, path)
    handle = open(path, "rb")
    try:
        _check_regular(os.fstat(handle.fileno()).st_mode, path)  # the path may have been swapped in between
        return handle
    except BaseException:
        handle.close()
        raise


def _check_regular(mode, path):
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "a pipe" if stat.S_ISFIFO(mode) else "not a regular file"
        raise StorageError(f"{Path(path).name} is {kind}; give a regular file")


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
