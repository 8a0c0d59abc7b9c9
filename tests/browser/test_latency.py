"""Benchmarks in the browser, recorded in BENCHMARKS.md, not asserted: how long from lifting the pen to seeing the
Prediction, on the Draw page and on a bare page holding only the canvas and a Prediction metric (the floor the canvas
component sets), and from a new visitor's first request to the Home page on screen."""

import os
import re
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import expect

from lenet.bench import engine
from tests.browser.conftest import Studio, streamlit_server

STROKES = 20
COLD_STARTS = 5
# One-stroke digits in a few places, so that pen-up is the end of the drawing.
DRAWINGS = [(0, (60, 40, 160, 210)), (1, (110, 45, 45, 200)), (7, (50, 45, 170, 210)), (3, (135, 100, 120, 165)),
            (2, (40, 60, 150, 180))]
# In the page's own clock: when the pen was last lifted, and when a Prediction metric was first in the page.
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


def table_row(what, samples_ms):
    p50, p95 = np.percentile(samples_ms, [50, 95])
    return f"| {what} | {len(samples_ms)} | {p50:.0f} ms | {p95:.0f} ms | {max(samples_ms):.0f} ms |"


@pytest.fixture(scope="module")
def bare_url(tmp_path_factory):
    """tests/browser/bare_draw.py served by its own Streamlit server, like the app's in conftest.app_url."""
    log = tmp_path_factory.mktemp("bare") / "streamlit.log"
    with streamlit_server(Path(__file__).with_name("bare_draw.py"), log) as url:
        yield url


def pen_up_latencies(studio):
    """Pen up → Prediction for STROKES one-stroke digits on the open page; (milliseconds, misreads)."""
    latencies, misreads = [], []
    for stroke in range(STROKES):
        digit, place = DRAWINGS[stroke % len(DRAWINGS)]
        studio.clear()
        studio.page.evaluate(TIMING_JS)
        studio.draw_digit(digit, place)
        studio.page.wait_for_function("() => window.penTiming.shown !== null", timeout=90_000)
        timing = studio.page.evaluate("window.penTiming")
        latencies.append(timing["shown"] - timing["up"])
        studio.wait_idle()  # one stroke, one update: the first Prediction is the final one
        read = studio.prediction().inner_text()
        if read != str(digit):
            misreads.append(f"{digit} read as {read}")
    assert len(latencies) == STROKES and min(latencies) > 0
    return latencies, misreads


def test_pen_up_to_prediction_and_cold_start(studio, browser, bare_url):
    studio.open("/draw")
    latencies, misreads = pen_up_latencies(studio)
    bare_page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    bare_page.app_url, bare_page.console_errors = bare_url, []
    bare = Studio(bare_page)
    bare.open("/")
    floor, _ = pen_up_latencies(bare)
    bare_page.context.close()
    draw_p50, floor_p50 = np.median(latencies), np.median(floor)
    print(f"pen up → Prediction, median: Draw {draw_p50:.0f} ms, bare canvas page {floor_p50:.0f} ms, "
          f"ratio {draw_p50 / floor_p50:.2f}")

    cold_title, cold_done = [], []
    for _ in range(COLD_STARTS):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        visitor = context.new_page()
        started = time.perf_counter()
        visitor.goto(studio.page.app_url + "/")
        expect(visitor.locator("h1").filter(has_text="LeNet-5 Studio")).to_be_visible(timeout=90_000)
        cold_title.append((time.perf_counter() - started) * 1000)
        home_metric = visitor.locator('[data-testid="stMetric"]').filter(has_text="Test accuracy")
        expect(home_metric).to_be_visible(timeout=90_000)
        visitor.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=90_000)
        cold_done.append((time.perf_counter() - started) * 1000)
        context.close()

    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    engine.replace_section("browser", "\n".join([
        f"Measured {datetime.now():%Y-%m-%d %H:%M} by `tests/browser/test_latency.py` in headless Chromium "
        f"{browser.version} (Debian's `/usr/bin/chromium`, driven by Playwright) against `streamlit run app.py` on "
        f"this machine: {engine.cpu_description()}, load average {load} at the end (the browser, the app and the test share these cores).",
        "",
        "| what | samples | p50 | p95 | max |",
        "|---|---|---|---|---|",
        table_row("pen up → Prediction on the page (Draw)", latencies),
        table_row("pen up → Prediction on a bare page: only the canvas and the metric (the floor)", floor),
        table_row("cold start → Home title visible (new browser context)", cold_title),
        table_row("cold start → Home page fully drawn (script finished)", cold_done),
        "",
        "- Pen up → Prediction: from the `pointerup` that ends a one-stroke digit to the Prediction metric entering the "
        "page, both in the page's clock. It includes the canvas component's 200 ms debounce before it sends the "
        "drawing, the websocket round trip, the rerun of the Draw page (preprocessing and the forward pass are a few "
        "ms of it) and React's update. The canvas was cleared before each stroke, so each Prediction is a fresh one.",
        f"- Draw ÷ the bare page, medians: **{draw_p50 / floor_p50:.2f}** ({draw_p50:.0f} ms ÷ {floor_p50:.0f} ms). "
        "The bare page (`tests/browser/bare_draw.py`, served by its own server in the same run) holds only the "
        "canvas, Clear and the Prediction metric, so its time is what the canvas component and Streamlit cost.",
        "- Cold start: a new browser context (no cache, new Streamlit session) opening `/` on an already running "
        "server, timed from `goto` in the test.",
        f"- Misreads in these {STROKES} strokes: {', '.join(misreads) if misreads else 'none'}.",
    ]))
    assert re.search(r"pen up → Prediction", engine.BENCHMARKS_FILE.read_text(encoding="utf-8"))
