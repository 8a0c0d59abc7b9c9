"""The Train page with a real training run: it trains in the background while the page follows it live (progress,
the per-batch loss and the snapshot of each finished epoch), keeps running while the visitor is elsewhere, replays
its epochs once finished, and its model can then classify drawings. (A run stopped on request from the Train page:
test_public.py, where its owner stops it.)

Training here is real (the quick preset, a few epochs of the tiny splits), so waits are generous deadlines.
"""

import re
import time

from playwright.sync_api import expect

from lenet import config
from tests.browser.conftest import (QUICK_EPOCHS, QUICK_SETTINGS, RUN_SECONDS, START_SECONDS, choose_quick_settings,
                                    run_header, start_run, wait_for_state)

PROGRESS = re.compile(r"Epoch (\d+)/(\d+) · batch (\d+)/(\d+)")
LIVE_CAPTION = re.compile(r"^Epoch (\d+) snapshot")
REPLAY_CAPTION = re.compile(r"^Epoch (\d+) of (\d+)$")
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
        time.sleep(0.25)  # each look is one cheap call into the page: a tiny epoch is over in a second or two


def captions(studio, pattern):
    """The numbers in the page's captions that match `pattern`, read in one call (the live view re-renders)."""
    texts = studio.page.locator('[data-testid="stCaptionContainer"]').all_inner_texts()
    return [int(match.group(1)) for match in (pattern.match(text.strip()) for text in texts) if match]


def run_state(studio, run_id):
    header = studio.page.locator("h3").filter(has_text=re.compile(rf"^Run {re.escape(run_id)} · "))
    return header.inner_text().rsplit("· ", 1)[1] if header.count() else None


def expect_quick_settings(studio):
    expect(studio.page.get_by_role("combobox", name="Preset")).to_have_value("quick")
    for label, value in QUICK_SETTINGS.items():
        expect(studio.page.get_by_label(label, exact=True)).to_have_value(value)
    learning_rate = f"{config.get_preset('quick').learning_rate:.4f}"
    expect(studio.page.get_by_label("Learning rate", exact=True)).to_have_value(learning_rate)


def expect_live_progress(studio):
    """The progress bar and the per-batch loss chart advance while it trains."""
    step = progress_step(studio)
    wait_until(lambda: batch_chart_points(studio) > 0, RUN_SECONDS, "the per-batch chart never appeared")
    points = batch_chart_points(studio)
    wait_until(lambda: progress_step(studio) > step, RUN_SECONDS, f"the progress stayed at batch {step}")
    wait_until(lambda: batch_chart_points(studio) > points, RUN_SECONDS,
               f"the per-batch chart stayed at {points} points")


def expect_live_snapshot(studio, run_id):
    """A snapshot of a finished epoch shows while the run is still training (epoch 0 is the untrained network)."""
    seen_live = set()
    deadline = time.time() + RUN_SECONDS
    while not (seen_live - {0}) and time.time() < deadline:
        if run_state(studio, run_id) == "running":
            seen_live.update(captions(studio, LIVE_CAPTION))
        time.sleep(0.5)
    assert seen_live - {0}, f"no trained epoch's snapshot showed while the run trained (saw {seen_live})"
    expect(studio.page.get_by_role("img", name=re.compile(r"^C1 filters at epoch"))).to_have_count(1)
    expect(studio.page.get_by_text(re.compile(r"^The panel: \d+ of 16 right$"))).to_have_count(1)


# Every replay caption the page shows, in order, recorded by the page itself: a test that polls from outside can miss
# an epoch shown for one 0.8 s tick when the machine is busy.
RECORD_REPLAY_JS = """pattern => {
    window.replayShown = [];
    new MutationObserver(() => {
        for (const caption of document.querySelectorAll('[data-testid="stCaptionContainer"]')) {
            const match = caption.innerText.trim().match(new RegExp(pattern));
            const epoch = match && Number(match[1]);
            if (match && window.replayShown.at(-1) !== epoch) window.replayShown.push(epoch);
        }
    }).observe(document.body, {childList: true, subtree: true, characterData: true});
}"""


def expect_replay_plays_every_epoch(studio):
    """Finished: the replay starts at the last epoch; Play steps through every epoch and stops at the end."""
    studio.wait_idle()
    assert captions(studio, REPLAY_CAPTION) == [QUICK_EPOCHS]
    studio.page.evaluate(RECORD_REPLAY_JS, REPLAY_CAPTION.pattern)
    studio.page.get_by_role("button", name=re.compile("Play")).click()
    expect(studio.page.get_by_role("button", name=re.compile("Pause"))).to_have_count(1, timeout=60_000)
    shown = []
    deadline = time.time() + 180  # a few epochs at 0.8 s a tick, on a machine that may be very busy
    while time.time() < deadline:
        shown = studio.page.evaluate("window.replayShown")
        played_to_the_end = 0 in shown and shown[-1] == QUICK_EPOCHS
        if played_to_the_end and studio.page.get_by_role("button", name=re.compile("Play")).count():
            break
        time.sleep(0.1)
    assert 0 in shown and shown[shown.index(0):] == list(range(QUICK_EPOCHS + 1)), f"the replay showed epochs {shown}"
    expect(studio.page.get_by_role("img", name=f"C1 filters at epoch {QUICK_EPOCHS}")).to_have_count(1)


def test_train_follow_replay_and_draw_with_the_new_model(studio):
    studio.open("/train")
    choose_quick_settings(studio)
    first_run, state = start_run(studio)
    assert "quick" in first_run and state in ("queued", "running")
    # On a shared app the page may still hold the last run's caption, with the same settings, as it redraws.
    expect(studio.page.get_by_text(f"quick preset: epochs {QUICK_EPOCHS}, batch_size 512, learning_rate 0.003").first
           ).to_be_visible()
    expect_live_progress(studio)
    expect_live_snapshot(studio, first_run)

    # Away and back: the run goes on without the page, and the page finds it again, settings and all.
    studio.go("Home")
    studio.go("Train")
    expect_quick_settings(studio)
    run_id, state = run_header(studio)
    assert (run_id, state in ("running", "finished")) == (first_run, True)
    wait_for_state(studio, first_run, ["finished"], RUN_SECONDS)
    expect_replay_plays_every_epoch(studio)
    expect(studio.page.locator('[data-testid="stMetric"]').filter(has_text="Test accuracy")).to_contain_text("%")
    expect(studio.page.locator('[data-testid="stMetric"]').filter(has_text="Epochs completed")).to_contain_text(
        str(QUICK_EPOCHS))
    studio.page.get_by_role("button", name="Use this model for drawing").click()
    expect(studio.page.get_by_text("Draw uses this model.")).to_be_visible(timeout=60_000)

    # The run's model now classifies drawings.
    studio.go("Draw")
    expect(studio.page.get_by_role("combobox", name="Active model")).to_have_value(
        re.compile(rf"^Run {first_run} \(MNIST, finished"))
    studio.draw_digit(7, (50, 45, 170, 210))
    assert re.fullmatch(r"\d", studio.settled_prediction(timeout_seconds=120))
    expect(studio.exceptions()).to_have_count(0)
    studio.expect_no_console_errors()
