"""A class arrives at once: on a server that has just started, 8 visitors open the 8 pages by their URLs within the
same seconds, one of them reloading Draw at once. Every page renders through the router: its own heading, its
sidebar entry marked as the current page, every page listed by title, no error box, no traceback and no console
error. Reloaded once the server has served them, each page renders the same way again; a drawing on Draw is
answered, and the server prints none of TensorFlow's start-up notices.

Streamlit serves a folder named pages/ as an old-style multipage app until st.navigation has run once, so on a fresh
server a page's URL runs that page alone; studio.router.require_router sends each such run through the router.
This test starts its own server even when LENET_APP_URL names one: only a fresh server shows the race.
"""

import re
import time

import pytest
from playwright.sync_api import expect

from lenet.bench import visitors
from tests.browser.conftest import (PAGES, TITLES, Studio, collect_console_errors, new_visitor_context, sidebar_titles,
                                    streamlit_server)
from tests.conftest import TENSORFLOW_NOTICES

ARRIVAL_TIMEOUT_MS = 240_000  # 8 first runs at once on a busy 2-core machine, each loading TensorFlow's models
ERROR_BOXES = '[data-testid="stException"], [data-testid="stAlertContentError"]'
IDLE = '[data-testid="stApp"][data-test-connection-state="CONNECTED"][data-test-script-state="notRunning"]'


def expect_page_by_url(page, title, path, heading):
    """The page at `path` rendered through the router, with no error in it or in the console."""
    page.locator(IDLE).wait_for(timeout=ARRIVAL_TIMEOUT_MS)
    expect(page.locator("h1").first).to_contain_text(heading, timeout=ARRIVAL_TIMEOUT_MS)
    errors = page.locator(ERROR_BOXES).all_inner_texts()
    assert not errors, f"{path} shows an error: {errors}"
    # Through the router: its sidebar lists the 8 pages by title, not the files of pages/, and marks this one.
    expect(page.locator('[data-testid="stSidebarNav"] a')).to_have_count(len(PAGES))
    assert sidebar_titles(page) == TITLES, (path, sidebar_titles(page))
    expect(page.locator('[data-testid="stSidebarNav"] a[aria-current="page"]')).to_contain_text(title)
    assert re.search(re.escape(path) + "$", page.url), (path, page.url)
    Studio(page).expect_no_console_errors()


@pytest.mark.slow
def test_eight_visitors_opening_every_page_of_a_fresh_server_at_once_see_no_error(browser, tmp_path):
    log = tmp_path / "streamlit.log"
    draw = [path for _, path, _ in PAGES].index("/draw")
    with streamlit_server("app.py", log, LENET_RUNS_DIR=str(tmp_path / "runs"),
                          LENET_MY_DIGITS_DIR=str(tmp_path / "my_digits")) as url:
        contexts = [new_visitor_context(browser) for _ in PAGES]
        try:
            pages = [context.new_page() for context in contexts]
            for page, (_, path, _) in zip(pages, PAGES):  # "commit": on to the next visitor once this one is answered
                collect_console_errors(page)
                page.goto(url + path, wait_until="commit")
            pages[draw].reload(wait_until="commit")
            pages[draw].console_errors.clear()  # the first load's, cut short by the reload
            for page, page_entry in zip(pages, PAGES):
                expect_page_by_url(page, *page_entry)
            # Each page by its URL again, now that the server has run the router: a new session each.
            for page in pages:
                page.reload(wait_until="commit")
            for page, page_entry in zip(pages, PAGES):
                expect_page_by_url(page, *page_entry)
            # A drawing on Draw runs the model: the server loaded TensorFlow and used it, and prints none of its
            # notices (below). This was the app server of its own in test_portable.py; one fresh server does both.
            visitors.draw(pages[draw])
            time.sleep(1)  # what the server prints in the moment after the drawing's answer, in its log too
        finally:
            for context in contexts:
                context.close()
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in text and "KeyError" not in text, text[-4000:]
    assert "You can now view your Streamlit app" in text and not TENSORFLOW_NOTICES.findall(text), text[-4000:]
