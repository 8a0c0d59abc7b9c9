"""Draw's "That doesn't look like a digit" state and its "Why this digit?" views, through app.py with AppTest: the
views compute nothing while closed, and render for a drawn digit and for an upload; the photo page abstains too."""

import numpy as np
import pytest

from lenet import config as lenet_config
from lenet.data import synthetic
from lenet.model import builders, card
from lenet.serve import inference
from studio import loaders, why
from tests.app.conftest import open_draw_page, open_page, png_of, predictions, rerun, send_drawing

pytestmark = pytest.mark.mnist


@pytest.fixture(scope="module")
def drawings():
    """A stroke-drawn digit and a non-digit drawing that the bundled model reads right and abstains on."""
    classifier = inference.Classifier(lenet_config.BUNDLED_MODEL_PATH)
    digit = next((label, image) for label, image in synthetic.stroke_digits(20, seed=3)
                 if classifier.classify(image).label == label and not classifier.classify(image).abstained)
    other = next(image for kind, image in synthetic.non_digits(30, seed=3)
                 if image[..., 3].min() < 255 and classifier.classify(image).abstained)  # drawn on the canvas
    return digit, other


def captions(app):
    """Every caption's text: st.caption's and those under images."""
    under_images = [image.proto.imgs[0].caption for image in app.get("image")]
    return " ".join([caption.value for caption in app.caption] + under_images)


def open_why(app, tab=None):
    app.session_state["draw_why"] = True  # open the expander, as a click does
    if tab:
        app.session_state["draw_why_tab"] = tab
    return rerun(app)


def test_a_non_digit_drawing_is_not_a_digit_and_can_still_be_taught(drawings):
    _, other = drawings
    app = send_drawing(open_draw_page(), png_of(other))
    assert predictions(app) == ["Not a digit"]
    warning = app.warning[0].value
    assert "That doesn't look like a digit" in warning and "of 100" in warning
    labels = [button.label for button in app.button]
    assert all(str(digit) in labels for digit in range(10))  # the teach buttons stay
    assert not any(label.startswith("Right, save as") for label in labels)


def test_the_why_views_compute_only_when_open_and_render_for_a_drawn_digit(drawings, monkeypatch):
    (label, image), _ = drawings
    built = []
    loaders._explainer.clear()
    original = loaders.attribution.Explainer
    monkeypatch.setattr(loaders.attribution, "Explainer",
                        lambda model, **options: built.append(options) or original(model, **options))
    app = send_drawing(open_draw_page(), png_of(image))
    assert predictions(app) == [str(label)]
    assert not built and "Integrated gradients" not in captions(app)  # closed: nothing computed

    app = open_why(app)  # the first tab: the evidence map
    assert built and "Integrated gradients" in captions(app)
    assert built[0]["class_means"].shape == (10, 28, 28)  # the card's, for where the gradient vanishes
    assert f"Red: ink that made it a {label}; blue: ink against" in captions(app)

    app = open_why(app, why.TABS[1])  # what would make it a k? The default k is the runner-up
    target = app.session_state["draw_why_target"]
    assert target != label
    assert f"After: p({target}) = " in captions(app)
    assert "makes the network answer" in captions(app) or "No change within" in captions(app)

    app = open_why(app, why.TABS[2])  # the preprocessing strip
    text = captions(app)
    assert "1. The ink and its bounding box" in text and "2. Scaled to" in text and "3. Into 28×28, moved" in text
    assert len(built) == 1  # one Explainer per model file, reused across reruns


def test_the_why_views_render_for_an_upload(drawings):
    (label, image), _ = drawings
    app = open_draw_page()
    app.radio[0].set_value("Upload a photo")
    rerun(app)
    app.file_uploader[0].upload("digit.png", png_of(image), "image/png")
    app = open_why(rerun(app))
    assert predictions(app) == [str(label)] and "Integrated gradients" in captions(app)
    app = open_why(app, why.TABS[2])
    assert "1. The ink and its bounding box" in captions(app)


def test_the_photo_page_says_an_upload_does_not_look_like_a_digit(drawings):
    _, other = drawings
    app = open_page("pages/photo.py")  # the bundled MNIST model
    app.file_uploader[0].upload("smiley.png", png_of(other), "image/png")
    rerun(app)
    assert next(metric.value for metric in app.metric if metric.label == "Prediction") == "Not a digit"
    assert "That doesn't look like a digit" in app.warning[0].value


def test_a_model_without_likeness_statistics_still_classifies_and_says_it_cannot_judge(tmp_path, drawings):
    (label, image), _ = drawings
    path = tmp_path / "old.keras"
    quick = lenet_config.make_config("quick")
    card.save_model(builders.build_model(quick.model_config()), path, card.for_config(quick))  # no likeness in card
    app = open_draw_page()
    app.session_state["active_model"] = str(path)
    app = send_drawing(rerun(app), png_of(image))
    assert predictions(app) and predictions(app)[0] in [str(digit) for digit in range(10)]
    assert "cannot judge whether this looks like a digit" in captions(app)


def test_the_photo_page_of_a_garment_model_without_statistics_cannot_judge(tmp_path):
    path = tmp_path / "fashion.keras"
    fashion = lenet_config.make_config("quick", "fashion")
    card.save_model(builders.build_model(fashion.model_config()), path, card.for_config(fashion))
    app = open_page("pages/photo.py", active_model=str(path))
    photo = np.full((200, 200), 255, np.uint8)
    photo[30:170, 60:140] = 40  # a dark block on white: a garment-ish shape
    app.file_uploader[0].upload("block.png", png_of(photo), "image/png")
    rerun(app)
    assert "cannot judge whether this looks like a garment" in captions(app)
