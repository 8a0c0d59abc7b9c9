"""Public mode in a real browser: a second visitor can neither stop nor delete the first visitor's run, nor see
their digits; the first keeps their run across a reload and stops it on request once it trains; stored text with
markdown in it shows as typed.

It visits the public-mode server it shares with test_class.py (conftest.public_server; the session's server runs
without LENET_PUBLIC); its workers train on the tiny real splits (tests/tiny_data.py): nothing here is about accuracy.
"""

import re

from playwright.sync_api import expect

from lenet import config
from lenet.runs import store
from tests.browser.conftest import (LOAD_TIMEOUT_MS, RUN_HEADER, START_SECONDS, choose_preset, fill_settings, go,
                                    start_run, visitor, wait_for_state)

MARKDOWN_ERROR = "[click me](javascript:alert(1)) **bold** <b>tag</b>"
WAIT = LOAD_TIMEOUT_MS  # deadlines for a busy machine, not expectations


def start_quick_run(studio):
    """The quick preset with a big batch and the most epochs (tiny ones: still training while the other visitor
    looks and until Stop); its run id."""
    choose_preset(studio, "quick")
    fill_settings(studio, {"Epochs": str(config.EPOCH_RANGE[1]), "Batch size": "512"})
    run_id, state = start_run(studio)  # the new run's, not the class retrain's test_class.py left on the server
    assert state in ("queued", "running")
    return run_id


def test_a_second_visitor_cannot_stop_or_delete_the_first_visitors_run_or_see_their_digits(browser, public_server):
    address, runs_root = public_server
    alice_context, alice = visitor(browser, address)
    bob_context, bob = visitor(browser, address)
    try:
        # Alice draws and keeps a digit, then starts a run long enough to still be training below.
        alice.open("/draw")
        assert re.search(r"[?&]visitor=[\w-]{16,}", alice.page.url)  # her token, in the address
        alice.draw_digit(7, (50, 45, 170, 210))
        alice.settled_prediction()
        alice.page.locator(".st-key-label-7").get_by_role("button", name="7", exact=True).click()
        expect(alice.page.get_by_text("My digits: 1 saved", exact=True)).to_be_visible(timeout=WAIT)
        go(alice, "Train")
        run_id = start_quick_run(alice)
        expect(alice.page.get_by_text("Not started")).to_have_count(0)  # the run started, with no problem to report
        # One run at a time: Start waits for this one. Alice, who started it, may stop it.
        expect(alice.page.get_by_role("button", name="Start", exact=True)).to_be_disabled(timeout=WAIT)
        alice_stop = alice.page.locator(".st-key-train_stop").get_by_role("button", name="Stop")
        expect(alice_stop).to_be_visible(timeout=WAIT)

        # Bob sees her run, but has no Stop for it and cannot delete it; her digit is not his.
        bob.open("/train")
        expect(bob.page.locator("h3").filter(has_text=RUN_HEADER)).to_contain_text(run_id, timeout=WAIT)
        only_hers = "Only the visitor who started this run can stop or delete it."
        expect(bob.page.get_by_text(only_hers)).to_be_visible(timeout=WAIT)
        expect(bob.page.locator(".st-key-train_stop")).to_have_count(0, timeout=WAIT)
        go(bob, "Runs")
        expect(bob.page.get_by_text(only_hers)).to_be_visible(timeout=WAIT)
        expect(bob.page.get_by_role("button", name="Delete run")).to_be_disabled(timeout=WAIT)
        go(bob, "My digits")
        expect(bob.page.get_by_text(re.compile("^No digits yet"))).to_be_visible(timeout=WAIT)
        go(bob, "Draw")
        expect(bob.page.get_by_text("My digits: 0 saved", exact=True)).to_be_visible(timeout=WAIT)

        # A reload keeps Alice's token, so the run is still hers to stop, and her digit still hers.
        alice.page.reload()
        alice.wait_idle()
        assert RUN_HEADER.match(alice.page.locator("h3").filter(has_text=RUN_HEADER).inner_text().strip())
        # Stopped once it trains (stopped while queued, it would say it never started).
        wait_for_state(alice, run_id, ["running"], START_SECONDS)
        alice.page.locator(".st-key-train_stop").get_by_role("button", name="Stop").click(timeout=WAIT)
        expect(alice.page.locator("h3").filter(has_text=f"Run {run_id} · stopped")).to_have_count(1, timeout=300_000)
        expect(alice.page.get_by_text("Stopped by request")).to_be_visible(timeout=WAIT)
        go(alice, "My digits")
        expect(alice.page.get_by_text("1 digits", exact=True)).to_be_visible(timeout=WAIT)

        # A stored error text with markdown in it is shown as typed: no link, no bold.
        failed = store.new_run(config.make_config("quick"), runs_root=runs_root)
        store.update_status(failed, state="failed", error=MARKDOWN_ERROR)
        go(bob, "Runs")
        chosen = bob.page.get_by_role("combobox", name="Run", exact=True)
        expect(chosen).to_have_value(re.compile(f"^{failed.name}"), timeout=WAIT)  # the newest run is chosen first
        alert = bob.page.locator('[data-testid="stAlert"]').filter(has_text="click me")
        expect(alert).to_have_text(MARKDOWN_ERROR, timeout=WAIT)
        expect(alert.locator("a, strong, b")).to_have_count(0, timeout=WAIT)
        for studio in (alice, bob):
            expect(studio.exceptions()).to_have_count(0, timeout=WAIT)
            studio.expect_no_console_errors()
    finally:
        alice_context.close()
        bob_context.close()
