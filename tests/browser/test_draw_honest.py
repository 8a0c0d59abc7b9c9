"""Draw is honest about what it reads on a phone too (390×844, touch): a smiley is "not a digit", a digit is read,
and the answer stays in view while drawing, whole (never cut off), on a bar the page's colour in either theme, as
the phone's setting changes; and Undo is shown, though a finger cannot hover to reveal it. (With a mouse:
test_draw.py.)"""

from playwright.sync_api import expect

from studio import why
from tests.browser.conftest import (CANVAS_READY_JS, DIGIT_STROKES, LOAD_TIMEOUT_MS, POLL_MS, SEEN_OPACITY_JS, SMILEY,
                                    Studio, new_visitor_context)

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "device_scale_factor": 2}
BAR_AND_PAGE_COLOURS_JS = f"""() => [document.querySelector('.st-key-{why.ANSWER_KEY} [data-testid="stMetric"]'),
    document.querySelector('.stApp')].map(element => getComputedStyle(element).backgroundColor)"""
# The page's colour is the theme's own (`known`), or, for a theme not seen yet, none of the others'; and it has held
# since the last check (a colour in mid-transition is neither theme's).
THEME_APPLIED_JS = """([known, others]) => {
    const colour = getComputedStyle(document.querySelector('.stApp')).backgroundColor;
    const steady = colour === window.lastPageColour;
    window.lastPageColour = colour;
    return steady && (known ? colour === known : !others.includes(colour));
}"""


def touch_draw(studio, strokes, box):
    """Draw with a finger: touch events through Chromium's DevTools protocol, as a phone sends them."""
    page = studio.page
    studio.watch_runs()  # a finger lifted is a pen-up too: settled_prediction waits for its answer
    page.locator("canvas.upper-canvas").scroll_into_view_if_needed()
    page.wait_for_function(CANVAS_READY_JS, arg=300, polling=POLL_MS, timeout=LOAD_TIMEOUT_MS)
    origin = page.locator("canvas.upper-canvas").bounding_box()
    session = page.context.new_cdp_session(page)
    left, top, width, height = box
    for stroke in strokes:
        points = [{"x": origin["x"] + left + x * width, "y": origin["y"] + top + y * height} for x, y in stroke]
        session.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [points[0]]})
        for point in points[1:]:
            session.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
        session.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    session.detach()


def in_view(page, locator):
    """True if the element's centre lies inside the viewport and nothing covers it there."""
    box = locator.bounding_box()
    viewport = page.viewport_size
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    if not (0 <= x <= viewport["width"] and 0 <= y <= viewport["height"]):
        return False
    # The canvas lives in a component's shadow root: ask that root what lies at the point.
    return locator.evaluate(f"element => element.contains(element.getRootNode().elementFromPoint({x}, {y}))")


def in_each_theme(studio, answer, backgrounds):
    """The answer in view, whole (never cut off), on a bar the page's colour, in the light theme and in the dark one
    (Streamlit follows the phone's setting as it changes). `backgrounds` gathers each theme's page colour."""
    for scheme in ("light", "dark"):
        studio.page.emulate_media(color_scheme=scheme)
        # The page takes the theme's colour: the one it had in this theme before, or a new one for a theme first seen.
        studio.page.wait_for_function(THEME_APPLIED_JS, arg=[backgrounds.get(scheme), list(backgrounds.values())],
                                      polling=POLL_MS, timeout=LOAD_TIMEOUT_MS)
        bar, background = studio.page.evaluate(BAR_AND_PAGE_COLOURS_JS)
        assert bar == background, f"in the {scheme} theme the pinned answer is {bar} on a page of {background}"
        backgrounds[scheme] = background
        assert in_view(studio.page, studio.prediction()), f"the answer is out of sight on a phone ({scheme})"
        assert studio.answer_cut_off() == [], scheme  # "{answer}" and its likeness or probability, whole
        assert studio.prediction().inner_text() == answer


def test_on_a_phone_the_answer_stays_in_view_while_drawing_in_either_theme(browser, app_url):
    context = new_visitor_context(browser, **PHONE, color_scheme="light")
    try:
        page = context.new_page()
        page.app_url, page.console_errors = app_url, []
        studio = Studio(page)
        studio.open("/draw")
        backgrounds = {}
        touch_draw(studio, SMILEY, (40, 40, 200, 200))
        assert studio.settled_prediction() == "Not a digit"
        in_each_theme(studio, "Not a digit", backgrounds)
        assert backgrounds["light"] != backgrounds["dark"]
        studio.clear()
        touch_draw(studio, DIGIT_STROKES[7], (50, 45, 170, 210))
        assert studio.settled_prediction() == "7"
        canvas = page.locator("canvas.upper-canvas")
        assert in_view(page, canvas)  # the canvas and the answer, together
        in_each_theme(studio, "7", backgrounds)
        assert in_view(page, canvas)
        undo_with_a_finger(studio, (50, 45, 170, 210))
        expect(studio.exceptions()).to_have_count(0)
    finally:
        context.close()


def undo_with_a_finger(studio, box):
    """A loop drawn around the 7 on the canvas (no longer a 7), then Undo, seen and tapped: the 7 again, as it was."""
    undo = studio.page.get_by_role("button", name="Undo")
    assert undo.evaluate(SEEN_OPACITY_JS) == 1, "Undo is hidden on a phone: no finger hovers to show the toolbar"
    ink = studio.canvas_ink()
    touch_draw(studio, [[(0.5, 0.0), (0.0, 0.5), (0.5, 1.0), (1.0, 0.5), (0.5, 0.0)]], box)
    assert studio.settled_prediction() != "7"
    undo.tap()
    expect(studio.prediction()).to_have_text("7", timeout=LOAD_TIMEOUT_MS)
    assert studio.canvas_ink() == ink
