"""The Draw page's upload mode: a photo-like PNG of a real MNIST test digit is read right; a file that only pretends
to be a PNG gets a clear error, not a crash."""

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from lenet.data import sources

TEST_DIGITS = [0, 1, 3]  # indices into MNIST's test set: a 7, a 2 and a 0


@pytest.fixture(scope="module")
def mnist_test_set():
    splits = sources.load(log=lambda line: None)
    return splits.x_test, splits.y_test


def scanned_digit(image, path):
    """An MNIST digit as a scan might look: 8× larger (224×224), smoothly resampled, dark ink on light paper."""
    bright_ink = Image.fromarray(np.uint8(np.clip(image, 0, 1) * 255)).resize((224, 224), Image.Resampling.BICUBIC)
    Image.fromarray(255 - np.asarray(bright_ink)).save(path)
    return path


def choose_upload(studio):
    studio.open("/draw")
    studio.watch_runs()  # settled_prediction then waits for the answer to the last upload
    studio.page.locator('[data-testid="stRadio"]').get_by_text("Upload a photo", exact=True).click()  # not the page
    studio.wait_idle()
    file_input = studio.page.locator('[data-testid="stFileUploader"] input[type="file"]')
    expect(file_input).to_have_count(1)
    expect(studio.page.locator('[data-testid="stAlert"]').filter(has_text="Upload a photo or scan")).to_be_visible()
    return file_input


def test_an_uploaded_scan_of_a_test_digit_is_read_right(studio, mnist_test_set, tmp_path):
    images, labels = mnist_test_set
    file_input = choose_upload(studio)
    for index in TEST_DIGITS:
        path = scanned_digit(images[index], tmp_path / f"mnist-test-{index}.png")
        file_input.set_input_files(str(path))
        expect(studio.page.get_by_text(path.name)).to_be_visible(timeout=60_000)  # the uploader lists the file
        expect(studio.prediction()).to_have_text(str(labels[index]), timeout=60_000)
        assert studio.settled_prediction() == str(labels[index])
        expect(studio.page.get_by_text("What the model sees")).to_be_visible()
    expect(studio.page.locator('[data-testid="stAlert"]').filter(has_text="cannot be used")).to_have_count(0)
    expect(studio.exceptions()).to_have_count(0)
    studio.expect_no_console_errors()


def test_a_text_file_named_png_gets_a_clear_error(studio, tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("Shopping list: milk, eggs. Not an image at all.\n", encoding="utf-8")
    file_input = choose_upload(studio)
    file_input.set_input_files(str(path))
    error = studio.page.locator('[data-testid="stAlert"]').filter(has_text="That file cannot be used")
    expect(error).to_be_visible(timeout=60_000)
    expect(error).to_contain_text("notes.png")
    expect(error).to_contain_text("not a PNG, JPEG, BMP or GIF")
    studio.wait_idle()
    expect(studio.prediction()).to_have_count(0)
    expect(studio.exceptions()).to_have_count(0)
    studio.expect_no_console_errors()
