"""Fashion-MNIST end to end in the real app: train the quick preset on it, read class names in the confusion matrix,
then classify a photo of a garment with the new model on the Upload a photo page; Draw says it is for digits.

Training is real (one epoch of the tiny splits), so waits are generous deadlines (conftest.py).
"""

import re

from playwright.sync_api import expect

from lenet.data import datasets
from tests.browser.conftest import RUN_SECONDS, choose, choose_preset, fill_settings, start_run, wait_for_state

CLASS_NAMES = datasets.FASHION.class_names
SETTINGS = {"Epochs": "1", "Batch size": "512"}  # the quick preset, shorter still


def test_train_fashion_read_class_names_and_classify_a_garment_photo(studio, tmp_path, garment_photo):
    studio.open("/train")
    choose(studio, "Dataset", "Fashion-MNIST")
    expect(studio.page.get_by_text("Fashion-MNIST: 10 classes (T-shirt/top, Trouser")).to_be_visible()
    choose_preset(studio, "quick", datasets.FASHION.name)
    fill_settings(studio, SETTINGS)
    run_id, state = start_run(studio)
    expect(studio.page.get_by_text("Fashion-MNIST, quick preset: epochs 1, batch_size 512")).to_be_visible()
    wait_for_state(studio, run_id, ["finished"], RUN_SECONDS)

    # The confusion matrix names its rows and columns by class. Plotly draws a chart once it is in view.
    expect(studio.page.get_by_text("Confusion matrix on the 10,000 test garments")).to_be_visible()
    matrix = studio.page.locator('[data-testid="stPlotlyChart"]').first
    matrix.scroll_into_view_if_needed()
    for axis in ("xtick", "ytick"):
        ticks = matrix.locator(f"g.{axis} text")
        expect(ticks).to_have_count(len(CLASS_NAMES), timeout=60_000)
        assert ticks.all_text_contents() == list(CLASS_NAMES)
    expect(studio.page.get_by_text(re.compile(r"^\d+ test garments are an? \S"))).to_be_visible()

    studio.page.get_by_role("button", name="Use this model for photos").click()
    expect(studio.page.get_by_text("Upload a photo uses this model.")).to_be_visible(timeout=60_000)

    # Draw is for digits; the garment model classifies photos instead.
    studio.go("Draw")
    expect(studio.page.get_by_text("Draw works with digit models")).to_be_visible()
    studio.page.locator('[data-testid="stPageLink-NavLink"]').filter(has_text="Upload a photo").click()
    studio.page.wait_for_url(re.compile(r"/photo$"))
    studio.wait_idle()
    expect(studio.heading()).to_contain_text("Upload a photo")
    expect(studio.page.get_by_role("combobox", name="Active model")).to_have_value(
        re.compile(rf"^Run {run_id} \(Fashion-MNIST, finished"))
    path = tmp_path / "trousers.png"
    garment_photo("Trouser").save(path)
    studio.page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
    expect(studio.page.get_by_text("What the model sees (28×28)")).to_be_visible(timeout=60_000)
    name = studio.prediction().inner_text(timeout=60_000).strip()
    # A one-epoch model's likeness check may find this photo, drawn in code, unlike its training garments: then it
    # says so in the garment's words, instead of a class name.
    assert name in CLASS_NAMES or name == f"Not a {datasets.FASHION.noun}", name
    expect(studio.exceptions()).to_have_count(0)
    studio.expect_no_console_errors()
