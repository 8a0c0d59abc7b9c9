"""Benchmarks in the browser: how long from lifting the pen to seeing the Prediction, on the Draw page and on a bare
page holding only the canvas and a Prediction metric (the floor the canvas component sets), and from a new visitor's
first request to the Home page on screen.

Timings are recorded, never asserted. CI runs a short version and asserts only that every stroke got its Prediction;
LENET_LATENCY_BENCH=write takes the full samples and writes the table into BENCHMARKS.md (as `python -m lenet bench`
does: no test run rewrites a tracked file unless asked to).
"""

import os
import re
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import expect

from lenet.bench import engine
from tests.browser.conftest import DRAWINGS, Studio, pen_up_to_prediction, streamlit_server, table_row

WRITE = os.environ.get("LENET_LATENCY_BENCH") == "write"
STROKES = 20 if WRITE else len(DRAWINGS)  # the short version still draws every one of DRAWINGS once
COLD_STARTS = 5 if WRITE else 2


@pytest.fixture(scope="module")
def bare_url(tmp_path_factory):
    """tests/browser/bare_draw.py served by its own Streamlit server, like the app's in conftest.app_url."""
    log = tmp_path_factory.mktemp("bare") / "streamlit.log"
    with streamlit_server(Path(__file__).with_name("bare_draw.py"), log) as url:
        yield url


def pen_up_latencies(studio):
    """Pen up → Prediction for STROKES one-stroke digits on the open page; (milliseconds, misreads)."""
    latencies, readings = pen_up_to_prediction(studio, STROKES)
    assert len(latencies) == STROKES and min(latencies) > 0
    misreads = [f"{DRAWINGS[stroke % len(DRAWINGS)][0]} read as {read}" for stroke, read in enumerate(readings)
                if read != str(DRAWINGS[stroke % len(DRAWINGS)][0])]
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

    if WRITE:
        write_table(browser, latencies, floor, cold_title, cold_done, misreads)


def write_table(browser, latencies, floor, cold_title, cold_done, misreads):
    draw_p50, floor_p50 = np.median(latencies), np.median(floor)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    engine.replace_section("browser", "\n".join([
        f"Measured {datetime.now():%Y-%m-%d %H:%M} by "
        "`LENET_LATENCY_BENCH=write python -m pytest tests/browser/test_latency.py` in headless Chromium "
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
