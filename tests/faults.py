"""Storage faults for tests: a folder that refuses every write, as a read-only or full disk does.

Tests run as root on some machines, where chmod cannot make a folder read-only, so the refusal is made where
Python asks the kernel: os.open with write flags, open/io.open in a writing mode, and the calls that create,
rename or remove entries. Only paths under the given folder are refused; everything else works.
"""

import builtins
import errno
import io
import os

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
ENTRY_CALLS = ("mkdir", "unlink", "remove", "rmdir", "rename", "replace", "utime", "chmod")


def refuse_writes(monkeypatch, folder, error_number=errno.EROFS):
    """From now on, every write under `folder` fails with OSError(error_number), reads still work."""
    folder = os.path.abspath(folder)

    def inside(path):
        try:
            return os.path.abspath(os.fsdecode(path)).startswith(folder)
        except TypeError:  # a file descriptor
            return False

    def fail(path):
        raise OSError(error_number, os.strerror(error_number), os.fsdecode(path))

    real_os_open, real_open = os.open, io.open

    def guarded_os_open(path, flags, *args, **kwargs):
        # A relative name with dir_fd (shutil.rmtree's way) is refused too: only our own code works in these tests.
        if flags & WRITE_FLAGS and (inside(path) or kwargs.get("dir_fd") is not None):
            fail(path)
        return real_os_open(path, flags, *args, **kwargs)

    def guarded_open(file, mode="r", *args, **kwargs):
        if isinstance(file, (str, bytes, os.PathLike)) and set(mode) & set("wax+") and inside(file):
            fail(file)
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", guarded_os_open)
    monkeypatch.setattr(io, "open", guarded_open)
    monkeypatch.setattr(builtins, "open", guarded_open)
    for name in ENTRY_CALLS:
        real = getattr(os, name)

        def guarded(*paths, _real=real, **kwargs):
            if any(inside(path) for path in paths if isinstance(path, (str, bytes, os.PathLike))) \
                    or kwargs.get("dir_fd") is not None:
                fail(paths[0])
            return _real(*paths, **kwargs)

        monkeypatch.setattr(os, name, guarded)


def files_under(folder):
    """Every file and folder under `folder`, relative, as sorted strings: to compare a store before and after."""
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))
