"""AppTest helpers shared by the page tests: open a page as a new visitor would (every session sharing one lookup of
the installed components, as a server's visitors do), rerun it, draw on the Draw page's canvas, read metrics and
chart numbers, and train a run the page started in this process (in_process_worker).

The canvas is faked through its session-state value: streamlit-drawable-canvas 0.13 is a Components v2 widget whose
state under its key ("canvas-<version>") is {"drawing": {"raw": <fabric json>, "data": <PNG data URL>}}, which is
what the browser sends after each stroke.
"""

import base64
import functools
import html
import io
import re
import signal
import subprocess
import types
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.components.v2.component_manager import BidiComponentManager
from streamlit.testing.v1 import AppTest

from lenet import files
from lenet.data import sources
from lenet.runs import worker
from studio import drawing
from tests import quick_worker, tiny_data
from tests.conftest import sleeping_process

APP = str(files.PROJECT_ROOT / "app.py")
CANVAS_SIZE = 280


def new_app():
    """A new visitor's session of app.py, not run yet."""
    app = AppTest.from_file(APP, default_timeout=60)
    app._bidi_component_manager = _components()  # AppTest's own attribute: it looks the components up while it is None
    return app


@functools.cache
def _components():
    """The installed Streamlit components (the drawable canvas among them), looked up once for every session, as a
    server does for all its visitors: each new AppTest would read every installed package's metadata for them,
    0.1 s of CPU."""
    manager = BidiComponentManager()
    manager.discover_and_register_components(start_file_watching=False)
    return manager


def open_page(page, query_params=None, **state):
    """A new visitor's session (a first visit, or a reload of an address with `query_params`) on `page`, with
    `state` set in the session first. Any exception fails the test."""
    app = new_app()
    for name, value in (query_params or {}).items():
        app.query_params[name] = value
    for name, value in state.items():
        app.session_state[name] = value
    rerun(app)  # app.py first: it initialises the session state, then the page can be switched to
    app.switch_page(page)
    return rerun(app)


def rerun(app):
    app.run()
    assert not app.exception, [error.value for error in app.exception]
    return app


def open_draw_page(**state):
    return open_page("pages/draw.py", **state)


def canvas_png(digit_image):
    """A digit as the canvas draws it: 280×280 RGBA, white ink on an opaque black background (28×28 is enlarged)."""
    grey = Image.fromarray(np.uint8(digit_image * 255)).resize((CANVAS_SIZE, CANVAS_SIZE), Image.Resampling.BILINEAR)
    grey = np.asarray(grey)
    return png_of(np.dstack([grey, grey, grey, np.full_like(grey, 255)]))


def png_of(array):
    """An image array (greyscale, RGB or RGBA uint8) as PNG bytes."""
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def send_drawing(app, png):
    """What the browser does after a stroke: the canvas widget's state becomes the drawing and its PNG."""
    key = f"{drawing.CANVAS_KEY_PREFIX}{app.session_state['canvas_version']}"
    url = "data:image/png;base64," + base64.b64encode(png).decode()
    app.session_state[key] = {"drawing": {"raw": {"objects": [{"type": "Path", "path": []}]}, "data": url}}
    return rerun(app)


def draw(app, digit_image):
    """Draw a 28×28 digit image (floats in [0, 1]) on the canvas."""
    return send_drawing(app, canvas_png(digit_image))


def button(app, label):
    """The button labelled `label`."""
    return next(widget for widget in app.button if widget.label == label)


def predictions(app):
    return [metric.value for metric in app.metric if metric.label == "Prediction"]


def plotly_array(value):
    """A numeric field of a plotly trace: plotly sends numpy arrays as {"dtype", "bdata" (base64), "shape"}."""
    if isinstance(value, dict):
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = [int(size) for size in str(value.get("shape", len(array))).split(",")]
        return array.reshape(shape)
    return np.array(value, dtype=float)


BAR = re.compile(r'title="([^"]*): [^"]*" data-probability="([^"]*)"')


def probability_bars(app):
    """(class names, probabilities) of the page's probability bars (studio.figures.probability_bars)."""
    body = next(element.proto.body for element in app.get("html") if "data-probability" in element.proto.body)
    bars = BAR.findall(body)
    return [html.unescape(name) for name, _ in bars], np.array([float(value) for _, value in bars])


@pytest.fixture
def in_process_worker(monkeypatch):
    """() -> the folders of the runs started since, each trained to its end here and now, as a worker would.

    lenet.runs.worker.start checks and makes its run as always, but the process it starts only sleeps in the
    worker's place (a worker imports TensorFlow: seconds of CPU), until the test ends or Stop kills it. Calling the
    fixture's value runs lenet.runs.worker.execute, the worker's own work, on each started run in this process, on
    the tiny splits (tests/tiny_data.py). The queue, Stop and a reload need real workers (tests/app/test_train.py).
    A run trained here records this process's pid as its worker's, as a worker records its own: never kill it.
    """
    started, stand_ins = [], []

    def stand_in(arguments, **options):
        started.append(Path(arguments[-1]))  # `python -m MODULE RUN_DIR`
        stand_ins.append(sleeping_process())
        return stand_ins[-1]

    monkeypatch.setattr(worker, "subprocess", types.SimpleNamespace(
        Popen=stand_in, STDOUT=subprocess.STDOUT, DEVNULL=subprocess.DEVNULL))

    def train_started():
        trained, started[:] = list(started), []
        for run_dir in trained:
            _execute_here(run_dir)
        return trained

    yield train_started
    for process in stand_ins:
        process.kill()
        process.wait()


def _execute_here(run_dir):
    """worker.execute in this process, with the tiny splits for the training only: the pages keep the splits they
    load (st.cache_resource), so they must never load these. The stop signals' handlers it sets are undone. Its
    likeness detector is a quick fit (tests/quick_worker.py): no test here checks what it abstains on."""
    handlers = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(sources, "load", tiny_data.load)
            quick_worker.quick_likeness(patch.setattr)
            worker.execute(run_dir)
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
