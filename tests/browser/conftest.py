"""Browser fixtures: the app served by `streamlit run`, driven by Playwright in Debian's headless Chromium.

.ci/run starts the app and sets LENET_APP_URL; without it, the session starts its own server on a free port and
stops it at the end, pass or fail. Either server's training workers train on the tiny real splits of
tests/tiny_data.py (LENET_WORKER_MODULE), so a run takes seconds; the tests here follow, stop and use runs, and none
is about accuracy. Never `playwright install`: the browser is Debian's (lenet.bench.visitors.CHROMIUM).
"""

import contextlib
import math
import os
import re
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError, expect

from lenet import config, files
from lenet.bench import memory
from lenet.bench.visitors import VIEWPORT
from lenet.data import datasets, gestures
from lenet.runs import store, worker
from tests import tiny_data

# The benchmarks asked for (tests/browser/test_latency.py) time what a visitor sees: they keep the browser's defaults.
WRITE_LATENCY = os.environ.get("LENET_LATENCY_BENCH") == "write"
LOAD_FULL = os.environ.get("LENET_LOAD_TEST") == "full"
# Every other visit asks for reduced motion (prefers-reduced-motion, as a visitor may): with no GPU, Chromium paints
# each frame of Streamlit's animations on the CPU, and 24 page views with 18 strokes took 36.0-36.4 CPU s of it
# against 39.0-40.1 s with motion (six visitors, 2026-12-05). The tests check what pages say and do, not how they move.
MOTION = "no-preference" if WRITE_LATENCY or LOAD_FULL else "reduce"
# wait_for_function checks its condition at this interval, not on every animation frame (Playwright's default): a
# check on every frame makes Chromium render frames while it waits, and CANVAS_READY_JS walks the whole page.
POLL_MS = 40
SERVER_START_SECONDS = 120
TRAINING_START_SECONDS = 300  # a deadline for TensorFlow to start in a worker and its first batches to log
LOAD_TIMEOUT_MS = 90_000  # a page's first run may load TensorFlow, MNIST or a model on a busy 2-core machine
# Known-benign console errors: when a visitor's first request is a page's URL (/train), Streamlit's frontend first
# probes /train/_stcore/health and /train/_stcore/host-config as if the app lived under /train, gets 404 and falls
# back to /. Nothing else is filtered.
BENIGN_CONSOLE = re.compile(r"^Failed to load resource: the server responded with a status of 404 .* \[at "
                            r"https?://[^/]+/[a-z_]+/_stcore/(health|host-config)\]$")


def pytest_configure(config):
    config.addinivalue_line("markers", "first_request: must be the first request the app server sees; runs first")


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the xdist_group marks added here
def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
        if "app_url" in item.fixturenames:
            # The session's one app server: pytest-xdist (pytest.ini) runs the tests that visit it in one worker, one
            # after another in this order, as they would run without it; tests with servers of their own run beside.
            item.add_marker(pytest.mark.xdist_group("app_server"))
        elif "public_server" in item.fixturenames:
            item.add_marker(pytest.mark.xdist_group("public_server"))  # as above, for the public-mode server


# Every page of the app: (sidebar title, URL path, the page's heading), in the sidebar's order (test_pages.py,
# test_arrival.py).
PAGES = [
    ("Home", "/", "LeNet-5 Studio"),
    ("Draw", "/draw", "Draw a digit"),
    ("Upload a photo", "/photo", "Upload a photo"),
    ("Train", "/train", "Train"),
    ("Dataset", "/dataset", "Dataset"),
    ("My digits", "/my_digits", "My digits"),
    ("Model", "/model", "Model"),
    ("Runs", "/runs", "Runs"),
]
TITLES = [title for title, _, _ in PAGES]


def sidebar_titles(page):
    """The sidebar's page titles, without their icons."""
    labels = page.locator('[data-testid="stSidebarNav"] a').all_inner_texts()
    return [label.strip().splitlines()[-1].strip() for label in labels]


def collect_console_errors(page):
    """Keep the page's console errors in page.console_errors, with where each came from (Studio.console_errors)."""
    page.console_errors = []
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(
        f"{message.text} [at {message.location.get('url', '?')}]"))


def wait_for_health(url, deadline_seconds=SERVER_START_SECONDS):
    deadline = time.time() + deadline_seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"the app at {url} did not become healthy within {deadline_seconds} s")


@contextlib.contextmanager
def streamlit_server(script, log_path, **environment):
    """Serve `script` (a path from the project root) with `streamlit run` on a free port; yields its address.

    The bench's own server (lenet.bench.memory.serve_app); PYTHONPATH lets a script beside the tests (bare_draw.py)
    import the project's packages.
    """
    with memory.serve_app(script, log_path, PYTHONPATH=str(files.PROJECT_ROOT), **environment) as (address, _):
        yield address


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    if os.environ.get("LENET_APP_URL"):
        url = os.environ["LENET_APP_URL"].rstrip("/")
        wait_for_health(url)
        yield url
        return
    scratch = tmp_path_factory.mktemp("app")  # pytest keeps the last three sessions' folders and removes older ones
    with streamlit_server("app.py", scratch / "streamlit.log", LENET_RUNS_DIR=str(scratch / "runs"),
                          LENET_MY_DIGITS_DIR=str(scratch / "my_digits"),
                          **{worker.WORKER_MODULE_VARIABLE: tiny_data.__name__}) as url:  # as .ci/run's server
        yield url


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.call_failed = report.failed  # read by the page fixture, which keeps a screenshot of a failure
    return report


def new_visitor_context(browser, **options):
    """A browser context for visitors: the desktop viewport and reduced motion (MOTION), unless `options` say else."""
    return browser.new_context(**({"viewport": VIEWPORT, "reduced_motion": MOTION} | options))


@pytest.fixture(scope="session")
def visitors_tabs(browser):
    """One browser context for the shared app server's visitors, a tab each (the page fixture). A Streamlit session
    belongs to a tab's connection, not to its context, and the app keeps no visitor's state in cookies or web
    storage (Streamlit keeps only the theme and the sidebar's width and state there, which no test here changes), so
    each tab is a visitor of its own. What the tabs share is the browser's cache of the app's scripts, which a new
    context fetches and compiles again: about a CPU second a visitor on CI's two cores."""
    context = new_visitor_context(browser)
    yield context
    context.close()


@pytest.fixture
def page(visitors_tabs, app_url, request):
    """A fresh visitor (a new tab, so its own Streamlit session), with console errors collected."""
    opened = visitors_tabs.new_page()
    collect_console_errors(opened)
    opened.app_url = app_url
    yield opened
    if getattr(request.node, "call_failed", False):
        shots = Path(tempfile.gettempdir()) / "lenet-browser-failures"
        shots.mkdir(exist_ok=True)
        shot = shots / (re.sub(r"[^\w.-]+", "_", request.node.name) + ".png")
        try:
            opened.screenshot(path=str(shot), full_page=True)
            print(f"screenshot of the failure: {shot}")
        except Exception as error:  # the page may be gone; the failure itself is what matters
            print(f"no screenshot of the failure: {error}")
    opened.close()


def arc(centre_x, centre_y, radius_x, radius_y, start_degrees, end_degrees, points=24):
    """Points along an elliptical arc in unit coordinates (y down); degrees grow clockwise on screen."""
    return [(centre_x + radius_x * math.cos(math.radians(angle)), centre_y + radius_y * math.sin(math.radians(angle)))
            for angle in (start_degrees + (end_degrees - start_degrees) * i / points for i in range(points + 1))]


# Each digit as a person writes it: strokes (polylines) in a unit box, x to the right and y down.
DIGIT_STROKES = {
    0: [arc(0.5, 0.5, 0.46, 0.5, -100, -460)],  # anticlockwise from the top, closing with a small overlap
    1: [[(0.7, 0.0), (0.55, 0.5), (0.35, 1.0)]],
    2: [arc(0.48, 0.3, 0.42, 0.3, -165, 15, 16) + [(0.6, 0.62), (0.02, 1.0), (0.55, 0.97), (1.0, 0.98)]],
    3: [arc(0.48, 0.26, 0.42, 0.26, -150, 95, 16) + arc(0.46, 0.74, 0.48, 0.26, -85, 150, 16)],
    4: [[(0.45, 0.0), (0.0, 0.62), (1.0, 0.62)], [(0.72, 0.25), (0.7, 1.0)]],
    5: [[(0.9, 0.02), (0.2, 0.02), (0.16, 0.45)] + arc(0.45, 0.7, 0.45, 0.3, -130, 150, 16)],  # the bar, then the belly
    6: [[(0.75, 0.0), (0.4, 0.15), (0.18, 0.4)] + arc(0.5, 0.72, 0.4, 0.28, 180, -180, 24)],  # down, then the loop
    7: [[(0.0, 0.06), (0.5, 0.02), (1.0, 0.0), (0.7, 0.45), (0.42, 1.0)]],
    8: [[(0.5 + 0.4 * math.sin(2 * t), 0.5 - 0.5 * math.cos(t)) for t in (math.pi * i / 16 for i in range(33))]],
    9: [arc(0.45, 0.3, 0.4, 0.28, 10, -360, 24) + [(0.82, 0.6), (0.75, 1.0)]],  # the loop, then the tail
}
# Not digits, drawn as a person would: a smiley, an ∩ (the bundled model once read it as a 7) and a ∿ wave (as 5, 2
# or 1), each with the box it is drawn in.
SMILEY = [arc(0.5, 0.5, 0.5, 0.5, 0, 360, 32), arc(0.5, 0.55, 0.28, 0.22, 20, 160, 12),
          [(0.32, 0.3), (0.34, 0.36)], [(0.66, 0.3), (0.68, 0.36)]]
NOT_DIGITS = [("a smiley", SMILEY, (40, 40, 200, 200)), ("an ∩", [arc(0.5, 1.0, 0.5, 1.0, 180, 360)], (50, 60, 180, 170)),
              ("a ∿ wave", [[(i / 30, 0.5 - 0.5 * math.sin(2 * math.pi * i / 30)) for i in range(31)]],
               (30, 100, 220, 90)),
              ("a ] bracket", gestures.GESTURES["right bracket"][0], (100, 40, 70, 200)),
              ("a ? question mark", [[(0.1, 0.25), (0.2, 0.08), (0.4, 0), (0.65, 0.02), (0.85, 0.15), (0.85, 0.35),
                                      (0.7, 0.5), (0.5, 0.6), (0.5, 0.8)], [(0.5, 0.97), (0.5, 1)]],
               (70, 30, 140, 220)),
              ("a ϟ lightning bolt", gestures.GESTURES["lightning bolt"][0], (80, 45, 120, 210))]


# The drawing canvas lives in the component's shadow root. After Clear (a new canvas key) Streamlit mounts a new canvas
# while the old one lingers for a moment as a stale or "retained" element, and the new one shows unstyled until the
# component's stylesheet applies (its background canvas then sits above the drawing canvas, 288 px lower). A stroke
# in that moment lands on the old, disposed canvas (whose drag-and-drop is no longer suppressed, so Chromium starts a
# native drag) or beside the canvas. So: draw only when the script is idle, no element is stale or retained, there is
# one canvas, not one from before Clear, styled, and it has stayed in place for a short while.
CANVAS_READY_JS = """minimumMs => {
    const app = document.querySelector('[data-testid="stApp"]');
    const settled = app?.getAttribute('data-test-script-state') === 'notRunning'
        && !document.querySelector('[data-stale="true"], [data-retained]');
    const canvases = [];
    for (const host of document.querySelectorAll('*'))
        if (host.shadowRoot) canvases.push(...host.shadowRoot.querySelectorAll('canvas.upper-canvas'));
    if (!settled || canvases.length !== 1 || !canvases[0].isConnected || canvases[0].replaced) return false;
    const background = canvases[0].getRootNode().querySelector('canvas.dc-background-canvas');
    if (!background || getComputedStyle(background).position !== 'absolute') return false;  // not styled yet
    const canvas = canvases[0], place = JSON.stringify(canvas.getBoundingClientRect());
    if (canvas.place !== place || !canvas.placedAt || performance.now() - canvas.checkedAt > 100)
        [canvas.place, canvas.placedAt] = [place, performance.now()];  // moved, or not settled at the last check
    canvas.checkedAt = performance.now();
    return performance.now() - canvas.placedAt >= minimumMs;
}"""
CANVAS_AT_JS = """([canvas, x, y]) => {
    const root = canvas.getRootNode();
    if (!canvas.isConnected || !root.elementFromPoint) return 'replaced';  // re-mounted since the ready check
    const found = root.elementFromPoint(x, y);
    if (found === canvas) return null;
    const where = rect => JSON.stringify(rect);
    return `${found?.tagName}.${found?.className} "${found?.textContent?.slice(0, 60)}" at `
        + `${where(found?.getBoundingClientRect())} (canvas at ${where(canvas.getBoundingClientRect())})`;
}"""
CANVAS_INK_JS = """canvas => {
    const drawing = canvas.parentElement.querySelector('canvas.lower-canvas');
    const pixels = drawing.getContext('2d').getImageData(0, 0, drawing.width, drawing.height).data;
    let bright = 0;
    for (let i = 0; i < pixels.length; i += 4) bright += pixels[i] > 128;
    return bright;
}"""
# How opaque an element looks: its opacity times its ancestors', up through the shadow root it may live in.
SEEN_OPACITY_JS = """element => {
    let opacity = 1;
    for (let node = element; node; node = node.parentElement || node.getRootNode().host) {
        opacity *= parseFloat(getComputedStyle(node).opacity);
    }
    return opacity;
}"""
# When the app has answered a drawing, watched from inside the page, in its own clock. The canvas sends its drawing
# 200 ms after the last pen-up (debounced: a stroke lifted sooner restarts the wait), a click or an upload sends at
# once, and each message the server gets while a run is under way stops that run and starts another. So the
# Prediction on screen is the answer to the last stroke once (1) a message left the page after the last pen-up on
# the canvas, (2) the server answered the last message: a run started after it, or a message came back after it (a
# short run's start and end can reach the page within one frame, so that the run-state attribute never changes),
# and (3) the app has been idle, with no message from the server, for SETTLED_QUIET_MS since: a run stopped for a
# newer one is followed by that one's start within milliseconds.
SETTLED_QUIET_MS = 250
RUN_WATCH_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (window.runWatch?.app === app) return;
    const now = () => performance.now(), state = () => app.getAttribute('data-test-script-state');
    const watch = window.runWatch = {app, state: state(), changed: now(), starts: [], penUp: null, sent: null,
                                     received: null};
    new MutationObserver(() => {
        if (state() === watch.state) return;
        [watch.state, watch.changed] = [state(), now()];
        if (watch.state === 'running') watch.starts.push(watch.changed);
    }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
    document.addEventListener('pointerup', event => {  // a mouse button or a finger lifted from the canvas
        if (event.composedPath()[0]?.classList?.contains('upper-canvas')) watch.penUp = now();
    }, true);
    const send = WebSocket.prototype.send;  // every message to the server (Streamlit's one websocket), and back
    WebSocket.prototype.send = function (...message) {
        if (!this.runWatchListens) {
            this.runWatchListens = true;
            this.addEventListener('message', () => { window.runWatch.received = now(); });
        }
        window.runWatch.sent = now();
        return send.apply(this, message);
    };
}"""
SETTLED_JS = """quietMs => {
    const watch = window.runWatch, now = performance.now();
    if (watch.state !== 'notRunning' || watch.app.getAttribute('data-test-connection-state') !== 'CONNECTED')
        return false;
    if (watch.penUp !== null && !(watch.sent > watch.penUp)) return false;  // the drawing has not left the page yet
    const answered = watch.sent === null || watch.received > watch.sent
        || watch.starts.some(started => started > watch.sent);
    return answered && now - Math.max(watch.changed, watch.received ?? 0) >= quietMs;
}"""
WATCH_STATE_JS = """() => {
    const {app, ...watch} = window.runWatch, now = performance.now();
    return JSON.stringify({...watch, now, starts: watch.starts.slice(-5)});
}"""
# Moving the mouse between two points of a stroke in steps of at most this many pixels (and at most 3 steps) keeps
# a long straight line's corners sharp, as a hand draws them; the canvas smooths a path through the points it gets,
# and the short segments of an arc need no steps between them.
PEN_STEP_PX = 30


def pen_steps(start, end):
    return max(1, min(3, math.ceil(math.dist(start, end) / PEN_STEP_PX)))


# The parts of an element whose text does not fit in them (cut off, or ended with "…"), by their layout, not pixels.
CUT_OFF_JS = """element => [element, ...element.querySelectorAll('*')]
    .filter(node => node.clientWidth > 0 && node.scrollWidth > node.clientWidth)
    .map(node => `${node.getAttribute('data-testid') || node.tagName} "${node.textContent}": ` +
                 `${node.scrollWidth} px of text in ${node.clientWidth} px`)"""


class Studio:
    """Drives the app in one browser page: navigation, Streamlit's run state, the Draw page's canvas and metric."""

    def __init__(self, page):
        self.page = page

    def open(self, path="/"):
        self.page.goto(self.page.app_url + path)
        self.wait_idle()

    def wait_idle(self, timeout=LOAD_TIMEOUT_MS):
        """Until the app is connected and its script has finished running (fragments may start again later)."""
        self.page.locator('[data-testid="stApp"][data-test-connection-state="CONNECTED"]'
                          '[data-test-script-state="notRunning"]').wait_for(timeout=timeout)

    def sidebar_link(self, title):
        return self.page.locator('[data-testid="stSidebarNav"] a').filter(
            has=self.page.get_by_text(title, exact=True))

    def go(self, title):
        """Open a page through the sidebar, as a visitor does (same session, so session state carries over)."""
        link = self.sidebar_link(title)
        address = link.get_attribute("href")
        link.click()
        self.page.wait_for_url(address)
        self.wait_idle()

    def console_errors(self):
        """The console errors the app caused, without the known-benign ones (see BENIGN_CONSOLE)."""
        return [error for error in self.page.console_errors if not BENIGN_CONSOLE.match(error)]

    def expect_no_console_errors(self):
        errors = self.console_errors()
        assert not errors, "the app caused console errors:\n" + "\n".join(errors)  # all of them, not pytest's first

    def heading(self):
        return self.page.locator("h1").first

    def exceptions(self):
        return self.page.locator('[data-testid="stException"]')

    # The Draw page.
    def canvas(self):
        return self.page.locator("canvas.upper-canvas")  # in the component's shadow root; locators pierce it

    def draw(self, strokes, box, steps=None, watch=True):
        """Draw strokes (unit coordinates) into box = (left, top, width, height), in canvas pixels, with the mouse.

        Between two points of a stroke the mouse moves in `steps` steps; by default one per PEN_STEP_PX of the way,
        up to 3 (pen_steps). watch=False leaves the page as it was before the run watch (test_latency's timings).
        Keep boxes out of the canvas's top-right corner (x > 135, y < 35): the component's toolbar covers it while
        the mouse is over the canvas, so a stroke starting there never reaches the canvas.
        """
        left, top, width, height = box
        if watch:  # before the pen comes down: settled_prediction waits for the answer to its last pen-up
            self.watch_runs()
        for _ in range(3):
            # On a busy machine the component may mount its canvas again just after it looked settled, and strokes
            # on the old one are lost. A person would see the new canvas and draw again; so does this, but only when
            # the canvas drawn on is provably gone: on a canvas still in the page, no ink is a failure.
            self.page.wait_for_function(CANVAS_READY_JS, arg=300, polling=POLL_MS, timeout=LOAD_TIMEOUT_MS)
            canvas = self.canvas().element_handle()
            ink_before = canvas.evaluate(CANVAS_INK_JS)
            origin = canvas.bounding_box()
            for stroke in strokes:
                points = [(origin["x"] + left + x * width, origin["y"] + top + y * height) for x, y in stroke]
                self.page.mouse.move(*points[0], steps=5)  # a hand enters the canvas before the pen touches it
                covering = canvas.evaluate(f"canvas => ({CANVAS_AT_JS})([canvas, {points[0][0]}, {points[0][1]}])")
                if covering == "replaced":
                    break
                assert covering is None, f"the pen would start on {covering}, not on the canvas"
                self.page.mouse.down()
                for start, end in zip(points, points[1:]):
                    self.page.mouse.move(*end, steps=steps or pen_steps(start, end))
                self.page.mouse.up()
            # Fabric paints the finished path on its next frame; no new ink means the strokes never reached it.
            deadline = time.time() + 10
            while canvas.evaluate("canvas => canvas.isConnected") and canvas.evaluate(CANVAS_INK_JS) <= ink_before:
                assert time.time() < deadline, "the strokes left no ink on the canvas"
                self.page.wait_for_timeout(50)
            if canvas.evaluate("canvas => canvas.isConnected"):
                return
        raise AssertionError("the canvas was replaced under the pen three times running")

    def canvas_ink(self):
        """How many bright pixels the (settled) canvas holds: 0 when it is empty."""
        self.page.wait_for_function(CANVAS_READY_JS, arg=300, polling=POLL_MS, timeout=LOAD_TIMEOUT_MS)
        return self.canvas().evaluate(CANVAS_INK_JS)

    def draw_digit(self, digit, box):
        self.draw(DIGIT_STROKES[digit], box)

    def prediction(self):
        return self.page.locator('[data-testid="stMetric"]').filter(has_text="Prediction").locator(
            '[data-testid="stMetricValue"]')

    def answer_cut_off(self):
        """The parts of the Prediction metric (its value and the chip below it) that are cut off: [] if none."""
        return self.page.locator('[data-testid="stMetric"]').filter(has_text="Prediction").evaluate(CUT_OFF_JS)

    def watch_runs(self):
        """Start watching Streamlit's runs from inside the page (RUN_WATCH_JS); again after a new page load."""
        self.page.evaluate(RUN_WATCH_JS)

    def settled_prediction(self, timeout_seconds=90):
        """The Prediction once the app has answered the last drawing, click or upload (SETTLED_JS): each stroke can
        trigger a rerun of its own, and the answer on screen is final only after the last one."""
        self.watch_runs()
        try:
            self.page.wait_for_function(SETTLED_JS, arg=SETTLED_QUIET_MS, polling=POLL_MS,
                                        timeout=timeout_seconds * 1000)
        except PlaywrightTimeoutError:
            watch = self.page.evaluate(WATCH_STATE_JS)
            raise AssertionError(f"the app did not answer within {timeout_seconds} s; what the page saw: {watch}")
        return self.prediction().inner_text(timeout=timeout_seconds * 1000)

    def clear(self):
        """Press Clear and wait for the empty canvas: no Prediction, the prompt to draw."""
        self.canvas().evaluate_all("canvases => canvases.forEach(canvas => canvas.replaced = true)")
        self.page.get_by_role("button", name="Clear").click()
        prompt = self.page.locator('[data-testid="stAlert"]').filter(has_text="Draw a digit…")
        prompt.wait_for(timeout=LOAD_TIMEOUT_MS)
        self.wait_idle()
        self.prediction().wait_for(state="detached", timeout=LOAD_TIMEOUT_MS)


@pytest.fixture
def studio(page):
    return Studio(page)


# The public-mode server (LENET_PUBLIC=1) with a known host token, shared by test_public.py and test_class.py: one
# server start, and one TensorFlow start in it, for both. pytest-xdist runs its tests in one worker, one after another
# (pytest_collection_modifyitems), so the one server is started once per session.
HOST_TOKEN = "browser-host-token-0123456789abcdef"


@pytest.fixture(scope="session")
def public_server(tmp_path_factory):
    """(address, run store) of an app server in public mode with stores of its own, stopped at the end; its workers
    train on the tiny real splits (tests/tiny_data.py), as the session's do."""
    scratch = tmp_path_factory.mktemp("public-app")
    with streamlit_server("app.py", scratch / "streamlit.log", LENET_PUBLIC="1", LENET_HOST_TOKEN=HOST_TOKEN,
                          LENET_RUNS_DIR=str(scratch / "runs"), LENET_MY_DIGITS_DIR=str(scratch / "my_digits"),
                          **{worker.WORKER_MODULE_VARIABLE: tiny_data.__name__}) as url:
        try:
            yield url, scratch / "runs"
        finally:
            for run in store.list_runs(scratch / "runs"):  # workers outlive the server: end any a test left
                if run.state in store.ACTIVE_STATES:
                    worker.kill(run.run_dir)


def visitor(browser, address):
    """A new visitor: their own browser context, so their own session and no token yet."""
    context = new_visitor_context(browser)
    page = context.new_page()
    page.set_default_timeout(LOAD_TIMEOUT_MS)  # a busy machine: these are deadlines, not expectations
    page.set_default_navigation_timeout(3 * LOAD_TIMEOUT_MS)  # a first page load while a run starts TensorFlow
    collect_console_errors(page)
    page.app_url = address
    return context, Studio(page)


def go(studio, title):
    """Studio.go, for addresses that gain ?visitor=… once the page has run (public mode)."""
    link = studio.sidebar_link(title)
    address = link.get_attribute("href")
    link.click()
    studio.page.wait_for_url(re.compile(re.escape(address) + r"\?visitor=[\w-]+$"), timeout=LOAD_TIMEOUT_MS)
    studio.wait_idle()


# The Train page: settings, Start, and the run it shows. Training in the browser tests is real (the app's own worker
# on the tiny splits), so waits are generous deadlines: on CI's 2 busy cores starting TensorFlow takes seconds.

RUN_HEADER = re.compile(r"^Run (\S+) · (queued|running|finished|stopped|failed)$")
START_SECONDS, RUN_SECONDS = 300, 600  # deadlines, not expectations
# The quick preset with a big batch. A tiny epoch is one call into TensorFlow, so the page sees one progress step per
# epoch: enough epochs that a run is seen advancing, and showing a finished epoch, while it still trains.
QUICK_EPOCHS = 5
QUICK_SETTINGS = {"Epochs": str(QUICK_EPOCHS), "Batch size": "512"}


def run_header(studio):
    """(run id, state) of the run the page shows."""
    header = studio.page.locator("h3").filter(has_text=RUN_HEADER)
    expect(header).to_have_count(1, timeout=60_000)
    return RUN_HEADER.match(header.inner_text().strip()).groups()


def fill_settings(studio, settings):
    """Type each {label: value} into the Train page's number fields, one rerun at a time."""
    for label, value in settings.items():
        field = studio.page.get_by_label(label, exact=True)
        field.fill(value)
        field.press("Enter")
        expect(field).to_have_value(value, timeout=60_000)
        studio.wait_idle()


def choose(studio, box, option):
    """Pick `option` in the select box labelled `box`, and wait for the rerun it starts."""
    studio.page.get_by_role("combobox", name=box).click()
    studio.page.get_by_role("option", name=option, exact=True).click()
    studio.wait_idle()


def choose_preset(studio, name, dataset=datasets.DEFAULT):
    """Choose a preset on the Train page and wait until the form shows its values: typing into a field before the
    preset's rerun lands would be overwritten by it."""
    choose(studio, "Preset", name)
    preset = config.get_preset(name, dataset)
    expect(studio.page.get_by_label("Epochs", exact=True)).to_have_value(str(preset.epochs), timeout=60_000)
    expect(studio.page.get_by_label("Batch size", exact=True)).to_have_value(str(preset.batch_size))
    expect(studio.page.get_by_label("Weight averaging", exact=True)).to_have_value(f"{preset.ema_momentum:.4f}")
    studio.wait_idle()


def choose_quick_settings(studio):
    choose_preset(studio, "quick")
    fill_settings(studio, QUICK_SETTINGS)


def start_run(studio):
    """Press Start; returns (run id, state) of the new run once the page shows it."""
    header = studio.page.locator("h3").filter(has_text=RUN_HEADER)
    before = RUN_HEADER.match(header.inner_text().strip()).group(1) if header.count() else None
    studio.page.get_by_role("button", name="Start", exact=True).click()
    expect(header.filter(has_not_text=f"Run {before} ")).to_have_count(1, timeout=60_000)
    return run_header(studio)


def wait_for_state(studio, run_id, states, seconds):
    expect(studio.page.locator("h3").filter(has_text=re.compile(rf"^Run {re.escape(run_id)} · ({'|'.join(states)})$"))
           ).to_have_count(1, timeout=seconds * 1000)


# Pen up → Prediction, measured in the page's own clock (test_latency.py).

# One-stroke digits in a few places, so that pen-up is the end of the drawing.
DRAWINGS = [(0, (60, 40, 160, 210)), (1, (110, 45, 45, 200)), (7, (50, 45, 170, 210)), (3, (135, 100, 120, 165)),
            (2, (40, 60, 150, 180))]
# When the pen was last lifted, and when a Prediction metric was first in the page.
TIMING_JS = """() => {
    window.penTiming = {up: null, shown: null};
    if (window.penTimingInstalled) return;
    window.penTimingInstalled = true;
    document.addEventListener('pointerup', () => { window.penTiming.up = performance.now(); }, true);
    new MutationObserver(() => {
        if (window.penTiming.shown === null && document.querySelector('[data-testid="stMetricValue"]'))
            window.penTiming.shown = performance.now();
    }).observe(document.body, {childList: true, subtree: true, characterData: true});
}"""


def pen_up_to_prediction(studio, strokes, first=0, timeout=LOAD_TIMEOUT_MS):
    """Draw `strokes` one-stroke digits on a cleared canvas; (latencies in ms, readings) measured in the page."""
    latencies, readings = [], []
    for stroke in range(first, first + strokes):
        digit, place = DRAWINGS[stroke % len(DRAWINGS)]
        studio.clear()
        studio.page.evaluate(TIMING_JS)
        studio.draw(DIGIT_STROKES[digit], place, steps=3, watch=False)  # as measured before settled_prediction's watch
        studio.page.wait_for_function("() => window.penTiming.shown !== null", polling=POLL_MS, timeout=timeout)
        timing = studio.page.evaluate("window.penTiming")
        latencies.append(timing["shown"] - timing["up"])
        studio.wait_idle(timeout=timeout)  # one stroke, one update: the first Prediction is the final one
        readings.append(studio.prediction().inner_text())
    return latencies, readings


def pen_up_under_load(studio, strokes, first=0):
    """pen_up_to_prediction with deadlines for a machine that is also training."""
    return pen_up_to_prediction(studio, strokes, first, timeout=3 * LOAD_TIMEOUT_MS)


def start_training():
    """A real run in a real worker (lowest priority), long enough to outlast the measurements; waits for batches."""
    run_dir = worker.start(config.make_config("best", epochs=100), run_name="load-test")
    deadline = time.time() + TRAINING_START_SECONDS
    while not store.load_metrics(run_dir, kind="batch"):
        assert store.read_status(run_dir)["state"] in store.ACTIVE_STATES, store.read_status(run_dir)
        assert time.time() < deadline, "the run never started training"
        time.sleep(1)
    return run_dir


def table_row(what, samples_ms):
    p50, p95 = np.percentile(samples_ms, [50, 95])
    return f"| {what} | {len(samples_ms)} | {p50:.0f} ms | {p95:.0f} ms | {max(samples_ms):.0f} ms |"
