"""The Upload a photo page through app.py with AppTest: a garment model classifies a photo prepared the way
Fashion-MNIST was made, and names its class; a digit model works too; a bad file gets a clear error."""

import numpy as np
import pytest

from lenet import config as lenet_config
from lenet.data import datasets
from lenet.model import builders, card
from lenet.serve import inference, preprocess
from tests.app.conftest import open_page, png_of, probability_bars, rerun

PAGE = "pages/photo.py"


def prediction(app):
    return next((metric.value for metric in app.metric if metric.label == "Prediction"), None)


@pytest.fixture
def fashion_model(tmp_path):
    """An untrained Fashion-MNIST model with its card: the page must show whatever it predicts, by class name."""
    path = tmp_path / "fashion.keras"
    fashion = lenet_config.make_config("quick", "fashion")
    card.save_model(builders.build_model(fashion.model_config()), path, card.for_config(fashion))
    return path


def test_a_garment_photo_is_classified_by_class_name(fashion_model, garment_photo, png_bytes):
    app = open_page(PAGE, active_model=str(fashion_model))
    assert datasets.FASHION.image_note in app.caption[0].value
    assert app.info[0].value.startswith("Upload a photo of one garment") and prediction(app) is None
    photo = garment_photo("Trouser")
    app.file_uploader[0].upload("trousers.png", png_bytes(photo), "image/png")
    rerun(app)
    expected = inference.Classifier(fashion_model).classify(preprocess.load_image(png_bytes(photo)))
    assert prediction(app) == datasets.FASHION.class_names[expected.label]
    names, probabilities = probability_bars(app)
    assert names == list(datasets.FASHION.class_names)
    assert np.allclose(probabilities, expected.probabilities, atol=1e-5)
    assert [image.proto.imgs[0].caption for image in app.image] == ["trousers.png", "What the model sees (28×28)"]


def test_a_file_that_is_not_an_image_gets_a_clear_error(fashion_model):
    app = open_page(PAGE, active_model=str(fashion_model))
    app.file_uploader[0].upload("notes.png", b"Shopping list: milk, eggs.", "image/png")
    rerun(app)
    assert any("That file cannot be used" in error.value and "notes.png" in error.value for error in app.error)
    assert prediction(app) is None


def test_a_blank_photo_finds_no_garment(fashion_model, garment_photo, png_bytes):
    app = open_page(PAGE, active_model=str(fashion_model))
    app.file_uploader[0].upload("white.png", png_bytes(garment_photo("Trouser").point(lambda value: 250)), "image/png")
    rerun(app)
    assert any(info.value.startswith("No garment found") for info in app.info) and prediction(app) is None


@pytest.mark.fashion
def test_a_test_image_made_into_a_photo_is_classified(fashion_model):
    app = open_page(PAGE, active_model=str(fashion_model))
    next(button for button in app.button if button.label == "Try a test image").click()
    rerun(app)
    caption = app.image[0].proto.imgs[0].caption
    assert caption.startswith("test image #") and caption.split("labelled ")[1] in datasets.FASHION.class_names
    assert prediction(app) in datasets.FASHION.class_names


def test_a_digit_model_reads_a_photo_as_a_digit_and_points_to_draw():
    app = open_page(PAGE)  # the bundled MNIST model
    assert [link.proto.page for link in app.main.get("page_link")] == ["draw"]
    digit = np.full((200, 200), 255, np.uint8)
    digit[40:160, 90:110] = 20  # a dark 1 on white paper
    app.file_uploader[0].upload("one.png", png_of(digit), "image/png")
    rerun(app)
    assert prediction(app) == "1"
