"""Every page of the app in a real browser: it renders its own content, with no exception and no console error, by
the sidebar in one session. Each page opened by its URL, on a fresh server and on one that has served it already, is
test_arrival.py's."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PAGES, TITLES, sidebar_titles


def expect_page(studio, title, heading):
    """The page's own heading, its sidebar entry marked as the current page, every page listed by title, no error."""
    expect(studio.heading()).to_contain_text(heading)
    expect(studio.page.locator('[data-testid="stSidebarNav"] a[aria-current="page"]')).to_contain_text(title)
    assert sidebar_titles(studio.page) == TITLES
    expect(studio.exceptions()).to_have_count(0)


@pytest.mark.first_request
def test_the_servers_first_request_renders_through_the_router_and_the_sidebar_leads_to_every_page(studio):
    # A folder named pages/ makes Streamlit serve an old-style multipage app until app.py's st.navigation has run
    # once; studio/router.py switches to the router. Without it, /train would run alone and the sidebar would list
    # raw file names (common, draw, home, …). With LENET_APP_URL the server may have been used already, and this
    # only checks that a direct URL works.
    studio.open("/train")
    expect(studio.heading()).to_have_text("Train")
    expect(studio.page.get_by_role("button", name="Start")).to_be_visible()
    expect(studio.page.get_by_text("Preset", exact=True)).to_be_visible()
    expect(studio.page.locator('[data-testid="stSidebarNav"] a')).to_have_count(len(PAGES))
    assert re.search(r"/train$", studio.page.url)
    expect_page(studio, "Train", "Train")
    studio.expect_no_console_errors()

    # From there, the sidebar leads to every page in the same session, Train last.
    train = TITLES.index("Train")
    for title, path, heading in PAGES[:train] + PAGES[train + 1:] + [PAGES[train]]:
        studio.go(title)
        assert studio.page.url == studio.page.app_url + path
        expect_page(studio, title, heading)
    studio.expect_no_console_errors()
