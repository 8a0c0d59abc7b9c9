"""Human in the loop: a digit drawn on the Draw page and labelled with "That's a …" is saved, and listed on the
My digits page."""

import re

from playwright.sync_api import expect


def saved_count(studio):
    caption = studio.page.get_by_text(re.compile(r"^My digits: \d+ saved$"))
    expect(caption).to_be_visible()
    return int(re.search(r"\d+", caption.inner_text()).group())


def test_a_labelled_drawing_is_saved_and_listed(studio):
    studio.open("/draw")
    before = saved_count(studio)
    studio.draw_digit(4, (60, 40, 150, 200))
    assert studio.settled_prediction() == "4"
    expect(studio.page.get_by_text("Teach it:")).to_be_visible()
    studio.page.locator(".st-key-label-4").get_by_role("button", name="4", exact=True).click()
    expect(studio.page.get_by_text(f"My digits: {before + 1} saved", exact=True)).to_be_visible(timeout=60_000)
    expect(studio.page.locator('[data-testid="stToast"]')).to_contain_text("Saved as a 4")
    studio.wait_idle()
    expect(studio.prediction()).to_have_count(0)  # saving clears the canvas for the next digit
    assert studio.canvas_ink() == 0

    studio.go("My digits")
    expect(studio.heading()).to_contain_text("My digits")
    expect(studio.page.get_by_text(f"{before + 1} digits", exact=True)).to_be_visible()
    newest = studio.page.locator('[data-testid="stImage"]').first  # the grid shows the newest digit first
    expect(newest).to_contain_text(re.compile(r"^4( \(read as \d\))?$"))
    expect(studio.page.get_by_role("button", name="Delete")).to_have_count(min(before + 1, 100))
    expect(studio.exceptions()).to_have_count(0)
    studio.expect_no_console_errors()
