"""The Train page with a real training run: it trains in the background while the page follows it live, keeps
running while the visitor is elsewhere, can be stopped, and its model can then classify drawings.

Training here is real (the quick preset, 2 epochs of 50,000 images), so waits are generous deadlines: on CI's
2 slow cores an epoch takes 10–40 s, plus a few seconds to start TensorFlow.
"""

import re
import time

from playwright.sync_api import expect

from lenet import config

RUN_HEADER = re.compile(r"^Run (\S+) · (queued|running|finished|stopped|failed)$")
PROGRESS = re.compile(r"Epoch (\d+)/(\d+) · batch (\d+)/(\d+)")
# Points in the per-batch loss chart. Streamlit draws a Plotly chart only once it is in view, so this first scrolls
# the live view's last chart (the per-batch one) into view. All in one call: the live view re-renders every second
# (at the end of an epoch it replaces its charts), so an element found in one call may be gone by the next.
BATCH_POINTS_JS = """() => {
    const charts = document.querySelectorAll('[data-testid="stPlotlyChart"]');
    if (charts.length) charts[charts.length - 1].scrollIntoView({block: 'center'});
    const chart = [...document.querySelectorAll('.js-plotly-plot')]
        .find(plot => plot.layout?.title?.text?.includes('Training loss per batch'));  // the theme wraps it in <b>
    return chart ? chart.data[0].x.length : 0;
}"""
START_SECONDS, RUN_SECONDS = 300, 600  # deadlines, not expectations


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
        expect(field).to_have_value(value)
        studio.wait_idle()


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


def progress_step(studio):
    """Batches done so far over all epochs, read from the live progress bar's text."""
    bar = studio.page.locator('[data-testid="stProgress"]').filter(has_text=PROGRESS)
    text = bar.inner_text(timeout=START_SECONDS * 1000)
    epoch, _, batch, steps = map(int, PROGRESS.search(text).groups())
    return (epoch - 1) * steps + batch


def batch_chart_points(studio):
    return studio.page.evaluate(BATCH_POINTS_JS)


def wait_until(condition, seconds, message):
    deadline = time.time() + seconds
    while not condition():
        assert time.time() < deadline, message
        time.sleep(1)


SETTINGS = {"Epochs": "2", "Batch size": "512"}  # the quick preset with a big batch, to keep the runs short


def choose_quick_settings(studio):
    studio.page.get_by_role("combobox", name="Preset").click()
    studio.page.get_by_role("option", name="quick", exact=True).click()
    quick = config.get_preset("quick")
    expect(studio.page.get_by_label("Batch size", exact=True)).to_have_value(str(quick.batch_size), timeout=60_000)
    expect(studio.page.get_by_label("Weight averaging", exact=True)).to_have_value(f"{quick.ema_momentum:.4f}")
    fill_settings(studio, SETTINGS)


def expect_quick_settings(studio):
    expect(studio.page.get_by_role("combobox", name="Preset")).to_have_value("quick")
    for label, value in SETTINGS.items():
        expect(studio.page.get_by_label(label, exact=True)).to_have_value(value)
    learning_rate = f"{config.get_preset('quick').learning_rate:.4f}"
    expect(studio.page.get_by_label("Learning rate", exact=True)).to_have_value(learning_rate)


def test_train_follow_stop_and_draw_with_the_new_model(studio):
    studio.open("/train")
    choose_quick_settings(studio)
    first_run, state = start_run(studio)
    assert "quick" in first_run and state in ("queued", "running")
    # On a shared app the page may still hold the last run's caption, with the same settings, as it redraws.
    expect(studio.page.get_by_text("quick preset: epochs 2, batch_size 512, learning_rate 0.003").first).to_be_visible()

    # Live: the progress bar and the per-batch loss chart advance while it trains.
    step = progress_step(studio)
    wait_until(lambda: batch_chart_points(studio) > 0, RUN_SECONDS, "the per-batch chart never appeared")
    points = batch_chart_points(studio)
    wait_until(lambda: progress_step(studio) > step, RUN_SECONDS, f"the progress stayed at batch {step}")
    wait_until(lambda: batch_chart_points(studio) > points, RUN_SECONDS,
               f"the per-batch chart stayed at {points} points")

    # Away and back: the run goes on without the page, and the page finds it again, settings and all.
    studio.go("Home")
    studio.go("Train")
    expect_quick_settings(studio)
    run_id, state = run_header(studio)
    assert (run_id, state in ("running", "finished")) == (first_run, True)
    wait_for_state(studio, first_run, ["finished"], RUN_SECONDS)
    expect(studio.page.locator('[data-testid="stMetric"]').filter(has_text="Test accuracy")).to_contain_text("%")
    expect(studio.page.locator('[data-testid="stMetric"]').filter(has_text="Epochs completed")).to_contain_text("2")
    studio.page.get_by_role("button", name="Use this model for drawing").click()
    expect(studio.page.get_by_text("Draw uses this model.")).to_be_visible(timeout=60_000)

    # A second run, stopped on request.
    second_run, state = start_run(studio)
    assert second_run != first_run and state in ("queued", "running")
    expect(studio.page.get_by_text("Not started")).to_have_count(0)
    # The run's Stop button, by its key: while a script runs, Streamlit's own toolbar shows a "Stop" button too.
    studio.page.locator(".st-key-train_stop").get_by_role("button", name="Stop").click(timeout=60_000)
    wait_for_state(studio, second_run, ["stopped"], START_SECONDS)
    expect(studio.page.get_by_text("Stopped by request")).to_be_visible()

    # The first run's model now classifies drawings.
    studio.go("Draw")
    expect(studio.page.get_by_role("combobox", name="Active model")).to_have_value(
        re.compile(rf"^Run {first_run} \(MNIST, finished"))
    studio.draw_digit(7, (50, 45, 170, 210))
    assert re.fullmatch(r"\d", studio.settled_prediction(timeout_seconds=120))
    expect(studio.exceptions()).to_have_count(0)
    studio.expect_no_console_errors()
