"""A .npz archive read with care: every array's shape and dtype come from its header, before any data is read.

A .npz is a zip of .npy files, and a few hundred kilobytes of zeros can decompress into gigabytes. Reading the
headers first lets a caller refuse a file by what it claims to hold, without allocating it.
"""

import io
import zipfile
import zlib
from pathlib import Path

import numpy as np

from lenet import files

HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


class NpzError(ValueError):
    """Not a .npz archive, or one whose arrays cannot be read safely."""


def open_archive(source, max_bytes):
    """A zipfile.ZipFile over `source`: a path (a regular file only), bytes, or a file object such as an upload."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        handle = io.BytesIO(bytes(source))
    elif isinstance(source, (str, Path)):
        try:
            handle = files.open_regular_file(source)
        except OSError as error:
            raise NpzError(f"cannot read {Path(source).name}: {error.strerror or error}") from None
        except files.StorageError as error:
            raise NpzError(str(error)) from None
    elif hasattr(source, "getvalue"):  # an upload, already in memory (and within the upload cap)
        handle = io.BytesIO(source.getvalue())
    else:
        handle = io.BytesIO(source.read(max_bytes + 1))
    size = handle.seek(0, io.SEEK_END)
    handle.seek(0)
    if size > max_bytes:
        handle.close()
        raise NpzError(f"the file is {size / 2**20:.0f} MB; the limit is {max_bytes / 2**20:.0f} MB")
    if handle.read(2) != b"PK":  # np.load would try to unpickle anything else
        handle.close()
        raise NpzError("not a .npz file (a .npz is a zip archive of arrays)")
    try:
        return zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        handle.close()
        raise NpzError(f"not a readable .npz file ({error})") from None


def headers(archive):
    """{array name: (shape, dtype)} of every .npy member, read from the headers alone."""
    found = {}
    for info in archive.infolist():
        if not info.filename.endswith(".npy"):
            continue
        try:
            with archive.open(info) as member:
                reader = HEADER_READERS.get(np.lib.format.read_magic(member))
                if reader is None:
                    raise NpzError(f"{info.filename} has a .npy format this app does not read")
                shape, _, dtype = reader(member)
        except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError) as error:
            raise NpzError(f"{info.filename} cannot be read ({error})") from None
        found[info.filename[: -len(".npy")]] = (shape, dtype)
    return found


def read_array(archive, name):
    """One array's data; call it only after its header passed the caller's checks."""
    try:
        with archive.open(f"{name}.npy") as member:
            return np.lib.format.read_array(member, allow_pickle=False)
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError) as error:
        raise NpzError(f"{name} cannot be read ({error})") from None


def read_all(path):
    """Every array in an .npz file that this program wrote itself (a cache), or None when it is missing or unreadable.

    Pickles are never loaded. Archives from outside go through open_archive and read_array instead, which check the
    headers first.
    """
    try:
        with np.load(path, allow_pickle=False) as stored:
            return {name: stored[name] for name in stored.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):
        return None


def cached(path, make, names=None):
    """The arrays cached at `path` ({name: array}) when they are there, readable and, given `names`, exactly those;
    otherwise make()'s, cached there first. A read-only cache keeps nothing, and the next call makes them again."""
    stored = read_all(path)
    if stored and (names is None or set(stored) == set(names)):
        return stored
    made = make()
    write_cache(path, made)
    return made


def write_cache(path, arrays):
    """Keep `arrays` ({name: array}) in a cache file for read_all, atomically. A read-only cache keeps nothing, and says nothing: the
    caller makes the arrays again next time, which costs time, not correctness."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with files.atomic_path(path) as temporary:
            np.savez_compressed(temporary, **arrays)
    except OSError:
        pass
