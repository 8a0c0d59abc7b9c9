"""Take the README's screenshots from the real app in headless Chromium: `python docs/take_screenshots.py`.

Serves the app on a free port with the run store named by LENET_RUNS_DIR (default: the project's runs/), draws a 7 on
the Draw page, and saves one PNG per page into docs/screenshots/, Draw's answer to an ∩ ("That doesn't look like a
digit"), and Draw on a 390×844 phone screen.
"""

import sys
import tempfile
import time
import types
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from lenet.bench.visitors import CHROMIUM, CHROMIUM_FLAGS  # noqa: E402
from tests.browser.conftest import DIGIT_STROKES, NOT_DIGITS, streamlit_server  # noqa: E402
from tests.browser.test_draw_honest import PHONE, touch_draw  # noqa: E402

PAGES = {"home": "Home", "draw": "Draw", "photo": "Upload a photo", "train": "Train", "dataset": "Dataset",
         "my_digits": "My digits", "model": "Model", "runs": "Runs"}
SEVEN = [[(0.15, 0.1), (0.85, 0.1), (0.4, 0.9)]]


def draw(page, strokes, box=(40, 40, 200, 200)):
    """Draw with the mouse, each stroke's points (0-1 each way) scaled into `box` (left, top, width, height) on the
    canvas."""
    origin = page.locator("canvas.upper-canvas").bounding_box()
    left, top, width, height = box
    for stroke in strokes:
        points = [(origin["x"] + left + x * width, origin["y"] + top + y * height) for x, y in stroke]
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1:]:
            page.mouse.move(*point, steps=10)
        page.mouse.up()


def not_a_digit(page):
    """Draw's answer to an ∩ (the README's "That doesn't look like a digit"): the canvas and the answer beside it."""
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text="Draw").first.click()
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=60_000)
    page.get_by_role("button", name="Clear").click()  # the 7 drawn before is still there: the drawing is kept
    page.get_by_text("Draw a digit…").wait_for(timeout=60_000)
    [(_, arch, box)] = [drawing for drawing in NOT_DIGITS if drawing[0] == "an ∩"]
    draw(page, arch, box)
    page.get_by_text("That doesn't look like a digit").wait_for(timeout=60_000)
    time.sleep(2)
    page.locator('[data-testid="stHorizontalBlock"]').first.screenshot(
        path=str(ROOT / "docs" / "screenshots" / "not-a-digit.png"))
    print("saved not-a-digit")


def main():
    with tempfile.TemporaryDirectory() as scratch, streamlit_server("app.py", Path(scratch) / "streamlit.log") as url:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            navigation = page.locator('[data-testid="stSidebarNav"]')
            navigation.get_by_text("LeNet-5 Studio", exact=True).wait_for(timeout=60_000)  # app.py's router is up
            for name, title in PAGES.items():
                navigation.locator("a").filter(has_text=title).first.click()
                page.wait_for_load_state("networkidle")
                if name == "draw":
                    draw(page, SEVEN)
                    page.get_by_text("Prediction").wait_for(timeout=60_000)
                time.sleep(4)  # charts and images finish drawing
                page.screenshot(path=str(ROOT / "docs" / "screenshots" / f"{name}.png"), full_page=True)
                print("saved", name)
            not_a_digit(page)
            phone = browser.new_context(**PHONE).new_page()  # 390×844, drawn with touch events
            phone.goto(f"{url}/draw")
            phone.locator("canvas.upper-canvas").wait_for(timeout=60_000)
            # touch_draw takes a test's page holder; the wait for the answer is the line below.
            touch_draw(types.SimpleNamespace(page=phone, watch_runs=lambda: None), DIGIT_STROKES[7], (50, 45, 170, 210))
            phone.get_by_text("Prediction").wait_for(timeout=60_000)
            time.sleep(2)
            phone.screenshot(path=str(ROOT / "docs" / "screenshots" / "phone-draw.png"))
            print("saved phone-draw")
            browser.close()


if __name__ == "__main__":
    main()
