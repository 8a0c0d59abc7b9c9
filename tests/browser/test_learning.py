"""Watch it learn, in a real browser: a quick run's snapshot shows while it trains, and its replay plays.

Training here is real (the quick preset, 2 epochs), so waits are generous deadlines, not expectations.
"""

import re
import time

from playwright.sync_api import expect

from tests.browser.test_train import RUN_SECONDS, choose_quick_settings, start_run, wait_for_state

LIVE_CAPTION = re.compile(r"^Epoch (\d+) snapshot")
REPLAY_CAPTION = re.compile(r"^Epoch (\d+) of (\d+)$")


def captions(studio, pattern):
    """The numbers in the page's captions that match `pattern`, read in one call (the live view re-renders)."""
    texts = studio.page.locator('[data-testid="stCaptionContainer"]').all_inner_texts()
    return [int(match.group(1)) for match in (pattern.match(text.strip()) for text in texts) if match]


def run_state(studio, run_id):
    header = studio.page.locator("h3").filter(has_text=re.compile(rf"^Run {re.escape(run_id)} · "))
    return header.inner_text().rsplit("· ", 1)[1] if header.count() else None


def test_the_live_snapshot_appears_while_training_and_the_replay_plays(studio):
    studio.open("/train")
    choose_quick_settings(studio)
    run_id, _ = start_run(studio)

    # Live: a snapshot of a finished epoch shows while the run is still training (epoch 0 is the untrained network).
    seen_live = set()
    deadline = time.time() + RUN_SECONDS
    while not (seen_live - {0}) and time.time() < deadline:
        if run_state(studio, run_id) == "running":
            seen_live.update(captions(studio, LIVE_CAPTION))
        time.sleep(0.5)
    assert seen_live - {0}, f"no trained epoch's snapshot showed while the run trained (saw {seen_live})"
    expect(studio.page.get_by_role("img", name=re.compile(r"^C1 filters at epoch"))).to_have_count(1)
    expect(studio.page.get_by_text(re.compile(r"^The panel: \d+ of 16 right$"))).to_have_count(1)

    # Finished: the replay starts at the last epoch; Play steps through every epoch and stops at the end.
    wait_for_state(studio, run_id, ["finished"], RUN_SECONDS)
    studio.wait_idle()
    assert captions(studio, REPLAY_CAPTION) == [2]
    studio.page.get_by_role("button", name=re.compile("Play")).click()
    expect(studio.page.get_by_role("button", name=re.compile("Pause"))).to_have_count(1, timeout=60_000)
    shown = []
    deadline = time.time() + 180  # three epochs at 0.8 s a tick, on a machine that may be very busy
    while time.time() < deadline:
        now = captions(studio, REPLAY_CAPTION)
        if now and (not shown or shown[-1] != now[0]):
            shown.append(now[0])
        if 0 in shown and shown[-1] == 2 and studio.page.get_by_role("button", name=re.compile("Play")).count():
            break
        time.sleep(0.1)
    assert 0 in shown and shown[shown.index(0):] == [0, 1, 2], f"the replay showed epochs {shown}"
    expect(studio.page.get_by_role("img", name="C1 filters at epoch 2")).to_have_count(1)
    expect(studio.exceptions()).to_have_count(0)
    studio.expect_no_console_errors()
