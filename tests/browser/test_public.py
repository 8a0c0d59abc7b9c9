"""Public mode in a real browser: a second visitor can neither stop nor delete the first visitor's run, nor see
their digits; the first keeps their run across a reload; stored text with markdown in it shows as typed.

This module starts its own app server with LENET_PUBLIC=1 (the session's server runs without it); its workers train
on the tiny real splits (tests/tiny_data.py), as the session's do: nothing here is about accuracy.
"""

import re

import pytest
from playwright.sync_api import expect

from lenet import config
from lenet.runs import store, worker
from tests import tiny_data
from tests.browser.conftest import LOAD_TIMEOUT_MS, RUN_HEADER, Studio, choose_preset, fill_settings, streamlit_server

MARKDOWN_ERROR = "[click me](javascript:alert(1)) **bold** <b>tag</b>"
WAIT = LOAD_TIMEOUT_MS  # deadlines for a busy machine, not expectations


@pytest.fixture(scope="module")
def public_server(tmp_path_factory):
    """(address, run store) of an app server in public mode with stores of its own, stopped at the end."""
    scratch = tmp_path_factory.mktemp("public-app")
    with streamlit_server("app.py", scratch / "streamlit.log", LENET_PUBLIC="1", LENET_RUNS_DIR=str(scratch / "runs"),
                          LENET_MY_DIGITS_DIR=str(scratch / "my_digits"),
                          **{worker.WORKER_MODULE_VARIABLE: tiny_data.__name__}) as url:
        try:
            yield url, scratch / "runs"
        finally:
            for run in store.list_runs(scratch / "runs"):  # workers outlive the server: end any this test left
                if run.state in store.ACTIVE_STATES:
                    worker.kill(run.run_dir)


def visitor(browser, address):
    """A new visitor: their own browser context, so their own session and no token yet."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(LOAD_TIMEOUT_MS)  # a busy machine: these are deadlines, not expectations
    page.set_default_navigation_timeout(3 * LOAD_TIMEOUT_MS)  # a first page load while a run starts TensorFlow
    page.console_errors = []
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(
        f"{message.text} [at {message.location.get('url', '?')}]"))  # as the page fixture does
    page.app_url = address
    return context, Studio(page)


def go(studio, title):
    """Studio.go, for addresses that gain ?visitor=… once the page has run."""
    link = studio.sidebar_link(title)
    address = link.get_attribute("href")
    link.click()
    studio.page.wait_for_url(re.compile(re.escape(address) + r"\?visitor=[\w-]+$"), timeout=WAIT)
    studio.wait_idle()


def start_quick_run(studio):
    """The quick preset with a big batch and the most epochs (tiny ones: still training while the other visitor
    looks and until Stop); its run id."""
    choose_preset(studio, "quick")
    fill_settings(studio, {"Epochs": str(config.EPOCH_RANGE[1]), "Batch size": "512"})
    studio.page.get_by_role("button", name="Start", exact=True).click()
    header = studio.page.locator("h3").filter(has_text=RUN_HEADER)
    expect(header).to_have_count(1, timeout=WAIT)
    return RUN_HEADER.match(header.inner_text().strip()).group(1)


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
        alice.page.locator(".st-key-train_stop").get_by_role("button", name="Stop").click(timeout=WAIT)
        expect(alice.page.locator("h3").filter(has_text=f"Run {run_id} · stopped")).to_have_count(1, timeout=300_000)
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
