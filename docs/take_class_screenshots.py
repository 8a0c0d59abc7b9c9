"""Take the README's class mode screenshots from the real app: `python docs/take_class_screenshots.py`.

In a scratch store: six visitors give 30 dot-matrix digits each (tests/unit/runs/test_class_scripted.py's
style); the drawings the bundled model misreads become their fooling digits (most accepted, one awaiting review);
two visitors' quick runs train for the runs board. Then the app is served in public mode, the host opens the host
link, retrains the class model for one epoch of MNIST, and the Class page (before → after) and the Runs page's
boards are saved into docs/screenshots/. Everything is real; it takes a few minutes of training.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SCRATCH = Path(tempfile.mkdtemp(prefix="lenet-class-shots-"))
os.environ.update(LENET_RUNS_DIR=str(SCRATCH / "runs"), LENET_MY_DIGITS_DIR=str(SCRATCH / "my_digits"))

from playwright.sync_api import sync_playwright  # noqa: E402

from lenet import config  # noqa: E402
from lenet.bench.visitors import CHROMIUM, CHROMIUM_FLAGS  # noqa: E402
from lenet.runs import class_rules, public, store, worker  # noqa: E402
from lenet.runs.class_set import ClassSet  # noqa: E402
from lenet.serve import inference  # noqa: E402
from tests.browser.conftest import streamlit_server  # noqa: E402
from tests.unit.runs.test_class_scripted import dot_digits  # noqa: E402

HOST_TOKEN = "screenshot-host-token-0123456789abcdef"
NICKNAMES = ("Ada", "Bo", "Chen", "Dara", "Eli", "Fay")
HELD_OUT = "Fay"  # the class holds one visitor in 5 out: Fay's digits measure the class model
SHOTS = ROOT / "docs" / "screenshots"


def seed_class():
    class_set, classifier = ClassSet(), inference.Classifier()
    owners = [next(owner for owner in (public.owner_id(f"screenshot-{name.lower()}-{n:012d}") for n in range(1000))
                   if class_rules.is_held_out(owner) == (name == HELD_OUT)) for name in NICKNAMES]
    for number, (owner, name) in enumerate(zip(owners, NICKNAMES)):
        class_set.set_nickname(owner, name)
        class_set.give_many(owner, *dot_digits(30, seed=100 + number))
        challenges, labels = dot_digits(20, seed=200 + number)  # drawn for Challenge: the misread ones fool it
        readings = classifier.probabilities(challenges).argmax(axis=1)
        fooled = [(image, label, int(reading)) for image, label, reading in zip(challenges, labels, readings)
                  if reading != label][:3 - number % 3]
        for image, label, reading in fooled:
            class_set.give(owner, image, label, fooling=True, prediction=reading)
    for digit in class_set.digits("fooling")[:-1]:  # all but one reviewed and accepted
        class_set.accept_fooling(digit.digit_id)
    runs = [worker.start(config.make_config("quick", epochs=1, batch_size=512), owner=owners[0]),
            worker.start(config.make_config("quick", epochs=1, batch_size=256, activation="relu"), owner=owners[1])]
    while any(store.read_status(run).get("state") in store.ACTIVE_STATES for run in runs):
        time.sleep(2)


def main():
    seed_class()
    with streamlit_server("app.py", SCRATCH / "streamlit.log", LENET_PUBLIC="1", LENET_HOST_TOKEN=HOST_TOKEN) as url:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            host = browser.new_page(viewport={"width": 1400, "height": 1000})
            host.goto(f"{url}/class?host={HOST_TOKEN}")
            host.get_by_role("button", name="Retrain the class model").wait_for(timeout=120_000)
            epochs = host.get_by_label("Epochs", exact=True)
            try:
                epochs.fill("1", timeout=30_000)
            except Exception:
                host.screenshot(path="/tmp/class-shot-fail.png", full_page=True)
                raise
            epochs.press("Enter")
            time.sleep(2)
            host.get_by_role("button", name="Retrain the class model").click()
            host.get_by_role("button", name="Accept: make it the class model").wait_for(timeout=1_500_000)
            time.sleep(4)
            host.screenshot(path=str(SHOTS / "class.png"), full_page=True)
            print("saved class")
            host.get_by_role("button", name="Accept: make it the class model").click()
            visitor = browser.new_page(viewport={"width": 1400, "height": 800})
            visitor.goto(f"{url}/runs")
            visitor.get_by_text("Who fooled the class model").wait_for(timeout=120_000)
            visitor.locator('[data-testid="stDataFrame"] canvas').first.wait_for(timeout=120_000)
            time.sleep(8)  # the tables' canvases finish drawing
            visitor.screenshot(path=str(SHOTS / "class_boards.png"))
            print("saved class_boards")
            browser.close()


if __name__ == "__main__":
    main()
