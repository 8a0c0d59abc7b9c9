"""Drawing stays quick while a run trains: pen-up → Prediction (measured in the page, as test_latency.py does) for
one visitor on an idle server, one visitor while a run trains, and three visitors drawing at once while it trains.

Marker `load`. CI runs the short version (a few strokes per phase) and asserts only what must hold under any load:
no errors, and every visitor got a Prediction for every stroke. LENET_LOAD_TEST=full runs 20 strokes per visitor
and writes the table into BENCHMARKS.md; timings are recorded, never asserted (the goals are in the table).
"""

import os
import re
import threading
from datetime import datetime

import numpy as np
import pytest
from playwright.sync_api import sync_playwright

from lenet.bench import engine
from lenet.bench.visitors import CHROMIUM, CHROMIUM_FLAGS
from lenet.runs import store, worker
from tests.browser.conftest import LOAD_TIMEOUT_MS, Studio, pen_up_under_load, start_training, table_row

pytestmark = pytest.mark.load
FULL = os.environ.get("LENET_LOAD_TEST") == "full"
STROKES = 20 if FULL else 3  # per visitor and phase
VISITORS = 3


def drawing_visitor(address, strokes, first, results, ready, go):
    """One more visitor, in a thread with its own Playwright and Chromium (Playwright objects stay in one thread)."""
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            page.console_errors, page.app_url = [], address
            page.on("console", lambda message: message.type == "error" and page.console_errors.append(
                f"{message.text} [at {message.location.get('url', '?')}]"))  # as the page fixture does
            studio = Studio(page)
            studio.open("/draw")
            ready.wait()  # every visitor has the Draw page open: now they all draw at once
            go.wait()
            latencies, readings = pen_up_under_load(studio, strokes, first)
            results.append({"latencies": latencies, "readings": readings, "errors": studio.console_errors(),
                            "exceptions": studio.exceptions().count()})
            browser.close()
    except Exception as error:  # reported by the test, with the other visitors' results
        results.append({"failure": f"{type(error).__name__}: {error}"})
        ready.abort()


def three_visitors_at_once(studio, strokes):
    """The test's own visitor and two more draw at the same time; one result per visitor."""
    results, ready, go = [], threading.Barrier(VISITORS), threading.Barrier(VISITORS)
    others = [threading.Thread(target=drawing_visitor, args=(studio.page.app_url, strokes, index + 1, results, ready,
                                                             go)) for index in range(VISITORS - 1)]
    for thread in others:
        thread.start()
    try:
        ready.wait(timeout=3 * LOAD_TIMEOUT_MS / 1000)
        go.wait(timeout=60)
        latencies, readings = pen_up_under_load(studio, strokes)
        results.append({"latencies": latencies, "readings": readings, "errors": studio.console_errors(),
                        "exceptions": studio.exceptions().count()})
    except threading.BrokenBarrierError:
        results.append({"failure": "the other visitors never had the Draw page open"})
    finally:
        for thread in others:
            thread.join(timeout=30 * 60)
    return results


def test_drawing_while_a_run_trains(studio, browser):
    studio.open("/draw")
    idle, idle_readings = pen_up_under_load(studio, STROKES)
    run_dir = start_training()
    try:
        training, training_readings = pen_up_under_load(studio, STROKES)
        crowd = three_visitors_at_once(studio, STROKES)
        still_training = store.read_status(run_dir)["state"] == "running"
    finally:
        worker.kill(run_dir)

    failures = [result["failure"] for result in crowd if "failure" in result]
    assert not failures, failures
    assert len(crowd) == VISITORS
    for result in crowd:  # no errors, and every visitor got a Prediction for every stroke
        assert result["exceptions"] == 0 and not result["errors"], result
        assert len(result["latencies"]) == STROKES and all(re.fullmatch(r"\d", read) for read in result["readings"])
    assert all(re.fullmatch(r"\d", read) for read in idle_readings + training_readings)
    assert still_training  # the measurements really ran alongside training
    everyone = [latency for result in crowd for latency in result["latencies"]]
    print("pen up → Prediction, ms (p50, p95): "  # for the log of a short run; the full one writes BENCHMARKS.md
          + "; ".join(f"{what} {np.percentile(values, 50):.0f}, {np.percentile(values, 95):.0f}" for what, values in
                      (("idle", idle), ("training", training), (f"{VISITORS} at once", everyone))))
    if FULL:
        write_table(idle, training, everyone, browser)


def write_table(idle, training, crowd, browser):
    idle_p50, idle_p95 = np.percentile(idle, [50, 95])
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    engine.replace_section("load", "\n".join([
        f"Measured {datetime.now():%Y-%m-%d %H:%M} by `LENET_LOAD_TEST=full python -m pytest tests/browser/test_load.py` "
        f"in headless Chromium {browser.version} against `streamlit run app.py` on this machine: {engine.cpu_description()}, load "
        f"average {load} at the end. The run trains the `best` preset in a worker at nice {worker.WORKER_NICENESS}.",
        "",
        "| what | samples | p50 | p95 | max |",
        "|---|---|---|---|---|",
        table_row("one visitor, idle server", idle),
        table_row("one visitor, a run training", training),
        table_row(f"{VISITORS} visitors at once, a run training (every stroke of each)", crowd),
        "",
        f"- One visitor while a run trains: p50 **{np.percentile(training, 50) / idle_p50:.2f}×** the idle p50 "
        "(goal ≤ 1.3×).",
        f"- {VISITORS} visitors at once while a run trains: p95 **{np.percentile(crowd, 95) / idle_p95:.2f}×** the "
        "idle p95 (goal ≤ 3×); no errors.",
        "- Each phase clears the canvas before every stroke, as test_latency.py does. The three visitors are three "
        "Chromium processes on the same cores as the app and the training worker.",
    ]), heading="## Drawing while a run trains")
