"""Shared fixtures: every test gets its own run store and my-digits folder, never the project's; tiny real splits for
tests that need some training; a store that refuses writes; photos of garments."""

import builtins
import contextlib
import errno
import io
import os
import re
import time
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFilter

from tests import quick_worker, tiny_data


@pytest.fixture(autouse=True)
def isolated_stores(tmp_path, monkeypatch):
    monkeypatch.setenv("LENET_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("LENET_MY_DIGITS_DIR", str(tmp_path / "my_digits"))
    return tmp_path


def sleeping_process():
    """A process that only sleeps, to stand in for a worker: Stop or kill may end it, never this test's own process.
    The caller kills it at the end."""
    import subprocess
    import sys

    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])


WAIT_SECONDS = 600  # a guard against hanging, not a timing assertion


def wait_until(condition, what):
    """Poll `condition` until it holds; fail, naming `what` was awaited, if it never does."""
    deadline = time.time() + WAIT_SECONDS
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}")


# What TensorFlow prints on a machine without a GPU before its log level is read (lenet/__init__.py): a command line
# (tests/unit/test_cli.py) and the app server (tests/browser/test_arrival.py) print none of it.
TENSORFLOW_NOTICES = re.compile(
    r"oneDNN custom operations|Could not find cuda drivers|absl::InitializeLog|cpu_feature_guard")


def pytest_collection_modifyitems(items):
    # The suite's one order. Streamlit's pages/ quirk shows only on an app server's very first request, so the test
    # marked first_request (tests/browser/conftest.py) goes before all others. Then pytest-xdist (pytest.ini) hands
    # each test to whichever process is free, in this order: the slow ones first, so that neither process is left
    # with one at the end while the other has nothing to do. Stable: within a group the order stays.
    items.sort(key=lambda item: (item.get_closest_marker("first_request") is None,
                                 item.get_closest_marker("slow") is None))


# Training on tiny real splits (tests/tiny_data.py, which cuts them once per process).

@pytest.fixture
def tiny_worker(monkeypatch):
    """Workers started by lenet.runs.worker.start are tests.tiny_data (the worker's test seam): they train on the tiny
    splits, and nothing else about them changes."""
    from lenet.runs import worker

    monkeypatch.setenv(worker.WORKER_MODULE_VARIABLE, tiny_data.__name__)


@pytest.fixture
def quick_tiny_worker(monkeypatch):
    """As tiny_worker, and the workers fit their likeness detectors quickly (tests/quick_worker.py): for tests that
    check nothing about what a detector abstains on."""
    from lenet.runs import worker

    monkeypatch.setenv(worker.WORKER_MODULE_VARIABLE, quick_worker.__name__)


@pytest.fixture
def tiny_training(monkeypatch, tiny_worker):
    """Training in this process and in started workers reads the tiny splits.

    Not for AppTest tests: the pages keep the splits they load for the whole process (st.cache_resource).
    """
    from lenet.data import sources

    monkeypatch.setattr(sources, "load", tiny_data.load)
    return tiny_data.tiny_splits


# Storage faults: a folder that refuses every write, as a read-only or full disk does.
#
# Tests run as root on some machines, where chmod cannot make a folder read-only, so the refusal is made where
# Python asks the kernel: os.open with write flags, open/io.open in a writing mode, and the calls that create,
# rename or remove entries. Only paths under the given folder are refused; everything else works.

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
ENTRY_CALLS = ("mkdir", "unlink", "remove", "rmdir", "rename", "replace", "utime", "chmod")


def _refuse_writes(monkeypatch, folder, error_number):
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


@pytest.fixture
def refuse_writes():
    """`with refuse_writes(folder):` every write under `folder` fails with OSError(error_number); reads still work."""
    @contextlib.contextmanager
    def refusing(folder, error_number=errno.EROFS):
        with pytest.MonkeyPatch.context() as patch:
            _refuse_writes(patch, folder, error_number)
            yield

    return refusing


@pytest.fixture
def files_under():
    """(folder) -> every file and folder under it, relative, as sorted strings: to compare a store before and after."""
    return lambda folder: sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


# Photos of garments as a shop would take them, drawn with Pillow: a coloured garment on a light background, large,
# with soft edges. For the photo pipeline, the Upload a photo page and the Fashion-MNIST journey.

GARMENTS = {  # each garment: its photo's size, background, colour and outline (x, y in pixels)
    "Trouser": ((500, 800), (250, 250, 250), (50, 50, 60),
                [(150, 60), (350, 60), (390, 740), (290, 740), (250, 260), (210, 740), (110, 740)]),
    "T-shirt/top": ((600, 700), (255, 255, 255), (40, 90, 170),
                    [(200, 100), (260, 80), (300, 120), (340, 80), (400, 100), (540, 220), (480, 300), (430, 250),
                     (430, 620), (170, 620), (170, 250), (120, 300), (60, 220)]),
}


def _garment_photo(name):
    size, background, colour, outline = GARMENTS[name]
    picture = Image.new("RGB", size, background)
    ImageDraw.Draw(picture).polygon(outline, fill=colour)
    return picture.filter(ImageFilter.GaussianBlur(1.5))


def _png_bytes(picture):
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="session")
def garment_photo():
    """(name, a key of GARMENTS) -> a PIL photo of that garment."""
    return _garment_photo


@pytest.fixture(scope="session")
def png_bytes():
    """(PIL picture) -> its PNG file's bytes."""
    return _png_bytes


# One Chromium for the whole session, shared by the browser tests and the unit tests that visit a server: Playwright's
# synchronous API runs one event loop per thread, so a second sync_playwright() in the same session would refuse.
@pytest.fixture(scope="session")
def browser():
    from lenet.bench.visitors import CHROMIUM, CHROMIUM_FLAGS, INSTALL_CHROMIUM

    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs it (`{INSTALL_CHROMIUM}`)")
        pytest.skip(f"{CHROMIUM} is missing; `{INSTALL_CHROMIUM}` to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()
