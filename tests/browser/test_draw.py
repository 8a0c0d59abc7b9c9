"""The Draw page with a real mouse: a smiley is "not a digit" and teaching stays possible; digits drawn at different
sizes and places are read right; the drawing survives a trip to another page; Clear empties the canvas."""

from playwright.sync_api import expect

from tests.browser.conftest import SMILEY

# Where each digit goes on the 280×280 canvas: (left, top, width, height) in canvas pixels.
PLACES = [
    (0, (60, 40, 160, 210), "large, centred"),
    (1, (110, 45, 45, 200), "tall and narrow, centred"),
    (3, (135, 100, 120, 165), "medium, lower right"),
    (4, (20, 40, 140, 170), "medium, upper left"),
    (7, (10, 190, 60, 80), "small, in the bottom-left corner"),
]
NOT_A_DIGIT = "That doesn't look like a digit."


def test_draw_read_keep_and_clear(studio):
    studio.open("/draw")
    expect(studio.canvas()).to_have_count(1)
    box = studio.canvas().bounding_box()
    assert (box["width"], box["height"]) == (280, 280)
    # The pen: 20 px on the 280 px canvas is 2 px at MNIST's 28×28, about the width of MNIST's strokes.
    expect(studio.page.get_by_role("slider", name="Stroke width")).to_have_value("20")

    studio.draw(SMILEY, (40, 40, 200, 200))
    assert studio.settled_prediction() == "Not a digit"
    expect(studio.page.get_by_text(NOT_A_DIGIT)).to_be_visible()
    expect(studio.page.get_by_role("button", name="7", exact=True)).to_be_visible()  # teaching stays possible

    misreads = []
    for digit, place, where in PLACES:
        studio.clear()
        studio.draw_digit(digit, place)
        read = studio.settled_prediction()
        if read != str(digit):
            misreads.append(f"{digit} drawn {where} was read as {read}")
        expect(studio.page.get_by_text("What the model sees")).to_be_visible()
        expect(studio.page.get_by_text(NOT_A_DIGIT)).to_have_count(0)
    assert not misreads, "; ".join(misreads)

    # The last drawing, a 7, survives a trip to another page: the canvas itself shows it again, not only the
    # prediction kept in the session.
    studio.go("Home")
    expect(studio.heading()).to_contain_text("LeNet-5 Studio")
    studio.go("Draw")
    assert studio.settled_prediction() == "7"
    assert studio.canvas_ink() > 0

    studio.clear()  # presses Clear and waits for the page to settle
    expect(studio.page.locator('[data-testid="stAlert"]').filter(has_text="Draw a digit…")).to_be_visible()
    expect(studio.prediction()).to_have_count(0)
    expect(studio.page.get_by_text("What the model sees")).to_have_count(0)
    assert studio.canvas_ink() == 0
    expect(studio.exceptions()).to_have_count(0)
    studio.expect_no_console_errors()
