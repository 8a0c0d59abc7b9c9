"""Visitors for the memory bench: headless Chromium pages that open the app and draw on Draw.

Driven by Playwright, a test tool (requirements-test.txt), imported only when visitors are wanted, in Debian's
headless Chromium (never `playwright install`). One thread drives every page (Playwright's objects stay in their
thread), so "visitors drawing at once" means strokes from each in turn, each waiting for its Prediction.
"""

import contextlib
import os

# Debian's chromium-headless-shell first: Chromium's own headless build, without the desktop browser's window and
# compositing machinery, paints the same visits with about a sixth less CPU (six visitors' Draw, strokes and three more
# pages each: 32 CPU s against 38). Debian's full chromium where only it is installed; LENET_CHROMIUM names another.
CHROMIUM_BUILDS = ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium")
CHROMIUM = os.environ.get("LENET_CHROMIUM") or next(
    (path for path in CHROMIUM_BUILDS if os.path.exists(path)), CHROMIUM_BUILDS[0])
INSTALL_CHROMIUM = "apt-get install -y chromium-headless-shell"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1400, "height": 1000}  # a desktop window: the layout every visitor here, and the tests', sees
TIMEOUT_MS = 180_000  # a first visit loads TensorFlow and the model on a busy machine
IDLE = '[data-testid="stApp"][data-test-connection-state="CONNECTED"][data-test-script-state="notRunning"]'
# A stroke in unit coordinates of the canvas: a 7, which any digit model reads as some digit.
STROKE = [(0.3, 0.25), (0.7, 0.25), (0.45, 0.8)]


@contextlib.contextmanager
def browser():
    """A headless Chromium, closed when the block ends."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise RuntimeError("the memory bench's visitors need Playwright: pip install -r requirements-test.txt, and "
                           f"Chromium ({INSTALL_CHROMIUM})") from None
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


def visit(chromium, address, path="/draw"):
    """A new visitor (its own browser context, so its own Streamlit session) on `path`, once the page has run."""
    page = chromium.new_context(viewport=VIEWPORT).new_page()
    page.goto(address + path, timeout=TIMEOUT_MS)
    wait_idle(page)
    return page


def wait_idle(page):
    page.locator(IDLE).wait_for(timeout=TIMEOUT_MS)


def draw(page):
    """One stroke on Draw's canvas, then wait until the page shows its Prediction and is idle again."""
    canvas = page.locator("canvas.upper-canvas")
    canvas.wait_for(timeout=TIMEOUT_MS)
    box = canvas.bounding_box()
    points = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in STROKE]
    page.mouse.move(*points[0], steps=5)
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*point, steps=4)
    page.mouse.up()
    page.locator('[data-testid="stMetric"]').filter(has_text="Prediction").wait_for(timeout=TIMEOUT_MS)
    wait_idle(page)
