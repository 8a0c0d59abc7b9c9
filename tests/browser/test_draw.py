"""The Draw page with a real mouse: digits drawn at different sizes and places are read right, Clear empties the
canvas, and the drawing survives a trip to another page."""

from playwright.sync_api import expect

# Where each digit goes on the 280×280 canvas: (left, top, width, height) in canvas pixels.
PLACES = [
    (0, (60, 40, 160, 210), "large, centred"),
    (1, (110, 45, 45, 200), "tall and narrow, centred"),
    (3, (135, 100, 120, 165), "medium, lower right"),
    (4, (20, 40, 140, 170), "medium, upper left"),
    (7, (10, 190, 60, 80), "small, in the bottom-left corner"),
]


def test_digits_drawn_with_the_mouse_are_read_right(studio):
    studio.open("/draw")
    expect(studio.canvas()).to_have_count(1)
    box = studio.canvas().bounding_box()
    assert (box["width"], box["height"]) == (280, 280)
    # The pen: 20 px on the 280 px canvas is 2 px at MNIST's 28×28, about the width of MNIST's strokes.
    expect(studio.page.get_by_role("slider", name="Stroke width")).to_have_value("20")
    misreads = []
    for digit, place, where in PLACES:
        studio.clear()
        studio.draw_digit(digit, place)
        read = studio.settled_prediction()
        if read != str(digit):
            misreads.append(f"{digit} drawn {where} was read as {read}")
        expect(studio.page.get_by_text("What the model sees")).to_be_visible()
    assert not misreads, "; ".join(misreads)
    expect(studio.exceptions()).to_have_count(0)
    studio.expect_no_console_errors()


def test_clear_empties_the_canvas(studio):
    studio.open("/draw")
    studio.draw_digit(0, (60, 40, 160, 210))
    assert studio.settled_prediction() == "0"
    assert studio.canvas_ink() > 0
    studio.clear()  # presses Clear and waits for the page to settle
    expect(studio.page.locator('[data-testid="stAlert"]').filter(has_text="Draw a digit…")).to_be_visible()
    expect(studio.prediction()).to_have_count(0)
    expect(studio.page.get_by_text("What the model sees")).to_have_count(0)
    assert studio.canvas_ink() == 0


def test_the_drawing_survives_a_trip_to_another_page(studio):
    studio.open("/draw")
    studio.draw_digit(7, (50, 45, 170, 210))
    assert studio.settled_prediction() == "7"
    studio.go("Home")
    expect(studio.heading()).to_contain_text("LeNet-5 Studio")
    studio.go("Draw")
    assert studio.settled_prediction() == "7"
    # The canvas itself shows the drawing again, not only the prediction kept in the session.
    assert studio.canvas_ink() > 0
    expect(studio.exceptions()).to_have_count(0)
    studio.expect_no_console_errors()
