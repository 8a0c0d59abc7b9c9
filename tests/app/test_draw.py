"""The Draw page through app.py with AppTest (the canvas is faked as tests/app/conftest.py explains)."""

import numpy as np
import pytest

from lenet import config as lenet_config
from lenet.data import my_digits, sources
from lenet.model import builders, card
from lenet.runs import store
from lenet.serve import inference
from tests.app.conftest import (CANVAS_SIZE, canvas_png, draw, new_app, open_draw_page, predictions, probability_bars,
                                rerun)


def bar_probabilities(app):
    """The ten probabilities of the page's bars, one per digit."""
    names, probabilities = probability_bars(app)
    assert names == [str(digit) for digit in range(10)]
    return probabilities


@pytest.fixture(scope="module")
def digits():
    """Two MNIST test digits (and their labels) that the bundled model reads correctly."""
    splits = sources.load(log=lambda line: None)
    classifier = inference.Classifier(lenet_config.BUNDLED_MODEL_PATH)
    right = classifier.probabilities(splits.x_test[:50]).argmax(axis=1) == splits.y_test[:50]
    chosen, labels = [], set()
    for index in np.flatnonzero(right):
        if splits.y_test[index] not in labels:
            chosen.append((splits.x_test[index], int(splits.y_test[index])))
            labels.add(splits.y_test[index])
    return chosen[:2]


def test_an_empty_canvas_asks_for_a_digit_and_predicts_nothing():
    app = open_draw_page()
    assert any("Draw a digit" in info.value for info in app.info)
    assert predictions(app) == []
    draw(app, np.zeros((28, 28), "float32"))  # a blank canvas, as after undoing every stroke
    assert any("Draw a digit" in info.value for info in app.info)
    assert predictions(app) == []
    speck = np.zeros((CANVAS_SIZE, CANVAS_SIZE), "float32")
    speck[140:143, 140:143] = 1.0  # a dot of 3×3 canvas pixels is a speck, not a digit
    draw(app, speck)
    assert any("No digit found" in info.value for info in app.info) and predictions(app) == []


def test_a_drawn_digit_is_classified_with_its_probabilities(digits):
    app = open_draw_page()
    for image, label in digits:
        draw(app, image)
        assert predictions(app) == [str(label)]
        probabilities = bar_probabilities(app)
        assert probabilities.shape == (10,) and probabilities.argmax() == label
        assert probabilities.sum() == pytest.approx(1.0, abs=1e-4)
        assert not any("Draw a digit" in info.value for info in app.info)


def test_the_drawing_survives_a_page_switch_and_clear_empties_it(digits):
    image, label = digits[0]
    app = draw(open_draw_page(), image)
    app.switch_page("pages/home.py")
    rerun(app)
    app.switch_page("pages/draw.py")
    rerun(app)
    assert predictions(app) == [str(label)]
    assert app.session_state["canvas_initial"] == app.session_state["drawing"]  # passed back as initial_drawing
    version = app.session_state["canvas_version"]
    next(button for button in app.button if button.label == "Clear").click()
    rerun(app)
    assert app.session_state["canvas_version"] == version + 1
    assert predictions(app) == [] and any("Draw a digit" in info.value for info in app.info)


def test_thats_a_saves_the_digit_in_my_digits(digits):
    image, label = digits[0]
    app = draw(open_draw_page(), image)
    assert my_digits.list_digits() == []
    wrong = (label + 1) % 10
    app.button(key=f"label-{wrong}").click()
    rerun(app)
    saved = my_digits.list_digits()
    assert [(digit.label, digit.prediction) for digit in saved] == [(wrong, label)]
    assert saved[0].image.shape == (28, 28) and saved[0].image.max() > 0.5
    with np.load(my_digits.store_path() / f"{saved[0].digit_id}.npz") as fields:
        assert fields["raw_drawing"].shape == (140, 140) and fields["raw_drawing"].dtype == np.uint8
    assert any("Saved as a" in toast.value for toast in app.toast)
    assert any("My digits: 1 saved" in caption.value for caption in app.caption)
    draw(app, image)  # the canvas was cleared for the next digit; draw again and confirm the prediction
    app.button(key="save-correct").click()
    rerun(app)
    assert [digit.label for digit in my_digits.list_digits()] == [wrong, label]
    assert any("My digits: 2 saved" in caption.value for caption in app.caption)


def test_a_teach_button_beside_an_empty_canvas_saves_nothing_and_says_why(digits):
    # The Teach buttons are drawn on whole-page runs only (studio/drawing.py), so they stand beside an empty canvas
    # too, and read the drawing when pressed: after a digit is drawn and cleared, pressing one saves nothing.
    image, _ = digits[0]
    app = open_draw_page()
    app.button(key="label-3").click()
    rerun(app)
    assert my_digits.list_digits() == []
    assert any("draw a digit first" in toast.value for toast in app.toast)
    draw(app, image)
    next(button for button in app.button if button.label == "Clear").click()
    rerun(app)
    app.button(key="label-3").click()
    rerun(app)
    assert my_digits.list_digits() == []
    assert any("My digits: 0 saved" in caption.value for caption in app.caption)


def test_the_model_chooser_switches_the_active_model(digits):
    run_dir = store.new_run(lenet_config.make_config("quick"))
    store.update_status(run_dir, state="finished")
    builders.build_model(lenet_config.ModelConfig(activation="tanh", pooling="average")).save(run_dir / store.MODEL_FILE)
    image, label = digits[0]
    bundled = bar_probabilities(draw(open_draw_page(), image))

    # The chooser is in app.py's sidebar, which AppTest shows on its first run only (later runs hold the page's
    # elements alone), so it is driven there, as on a visitor's first page.
    app = rerun(new_app())
    chooser = app.sidebar.selectbox(key="model_chooser")
    assert app.sidebar.caption[0].value.startswith("MNIST (digits), best preset")  # the active model's card
    assert chooser.options[0].startswith("Bundled MNIST model")
    bundled_count = sum(path.exists() for path in lenet_config.BUNDLED_MODELS.values())  # then Fashion-MNIST's
    assert chooser.options[bundled_count].startswith(f"Run {run_dir.name} (MNIST, finished")
    chooser.set_value(str(run_dir / store.MODEL_FILE))
    rerun(app)
    assert app.session_state["active_model"] == str(run_dir / store.MODEL_FILE)
    app.switch_page("pages/draw.py")
    assert not np.allclose(bar_probabilities(draw(rerun(app), image)), bundled, atol=1e-3)  # untrained: it differs


def test_an_upload_is_classified_and_a_bad_one_shows_an_error(digits):
    image, label = digits[1]
    app = open_draw_page()
    app.radio[0].set_value("Upload a photo")
    rerun(app)
    app.file_uploader[0].upload("broken.png", b"this is not an image", "image/png")
    rerun(app)
    assert any("cannot be used" in error.value and "broken.png" in error.value for error in app.error)
    assert predictions(app) == []
    app.file_uploader[0].set_value(("digit.png", canvas_png(image), "image/png"))
    rerun(app)
    assert not app.error and predictions(app) == [str(label)]


def test_the_expander_shows_feature_maps_and_filters(digits):
    image, _ = digits[0]
    app = draw(open_draw_page(), image)
    charts_closed = len(app.get("plotly_chart"))
    app.session_state["draw_layers"] = True  # open the expander, as a click does
    rerun(app)
    charts = app.get("plotly_chart")
    assert len(charts) == charts_closed + 5  # C1, S2, C3, S4 and C1's filters
    texts = " ".join(markdown.value for markdown in app.markdown)
    for name, shape in (("C1", "6 maps of 24×24"), ("S2", "6 maps of 12×12"), ("C3", "16 maps of 8×8"),
                        ("S4", "16 maps of 4×4")):
        assert f"**{name}**: {shape}" in texts
    assert "6 kernels of 5×5" in texts


def test_a_garment_model_is_sent_to_the_photo_page(tmp_path):
    path = tmp_path / "fashion.keras"
    fashion = lenet_config.make_config("quick", "fashion")
    card.save_model(builders.build_model(fashion.model_config()), path, card.for_config(fashion))
    app = rerun(new_app())
    app.session_state["active_model"] = str(path)
    app.switch_page("pages/draw.py")
    rerun(app)
    assert "Draw works with digit models" in app.info[0].value and "Fashion-MNIST garments" in app.info[0].value
    assert [link.proto.page for link in app.main.get("page_link")] == ["photo"]
    assert not app.main.get("radio") and predictions(app) == []  # no canvas, no upload: nothing to draw with


def test_a_deleted_active_model_falls_back_to_the_bundled_one(digits, tmp_path):
    app = rerun(new_app())
    app.session_state["active_model"] = str(tmp_path / "deleted-run" / "model.keras")
    app.switch_page("pages/draw.py")
    rerun(app)
    assert any("is gone" in warning.value for warning in app.warning)
    assert app.session_state["active_model"] == str(lenet_config.BUNDLED_MODEL_PATH)
    image, label = digits[0]
    assert predictions(draw(app, image)) == [str(label)]
