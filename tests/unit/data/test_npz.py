import numpy as np

from lenet.data import npz


def test_a_cache_file_written_is_read_back_whole(tmp_path):
    path = tmp_path / "new folder" / "cache.npz"
    arrays = {"images": np.arange(12, dtype=np.float32).reshape(3, 4), "names": np.array(["a", "b+c"])}
    npz.write_cache(path, arrays)
    stored = npz.read_all(path)
    assert set(stored) == set(arrays) and all(np.array_equal(stored[name], arrays[name]) for name in arrays)
    assert [entry.name for entry in path.parent.iterdir()] == ["cache.npz"]  # no temporary file left behind


def test_a_cache_that_cannot_be_written_keeps_nothing_and_raises_nothing(tmp_path):
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder would be", encoding="utf-8")
    npz.write_cache(blocker / "cache.npz", {"images": np.zeros(3)})
    assert npz.read_all(blocker / "cache.npz") is None and blocker.read_text(encoding="utf-8").startswith("a file")


def test_cached_arrays_are_made_once_and_made_again_when_the_file_holds_other_names_or_is_damaged(tmp_path):
    path, made = tmp_path / "cache.npz", []

    def make():
        made.append(1)
        return {"images": np.full((2, 2), len(made), np.float32)}

    first = npz.cached(path, make, names=("images",))
    assert made == [1] and np.array_equal(npz.cached(path, make, names=("images",))["images"], first["images"])
    assert npz.cached(path, make)["images"][0, 0] == 1 and made == [1]  # no names given: whatever is stored
    assert npz.cached(path, make, names=("images", "labels"))["images"][0, 0] == 2 and made == [1, 1]
    path.write_bytes(b"not an npz")
    assert npz.cached(path, make)["images"][0, 0] == 3 and npz.read_all(path)["images"][0, 0] == 3
