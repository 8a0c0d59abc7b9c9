"""Upload a photo: classify a photo with the active model, prepared the way its dataset's images were made.

Garment models (Fashion-MNIST) come here instead of Draw; digit models work too, through the digit pipeline.
"""

import numpy as np
import streamlit as st
from PIL import Image

from lenet.data import browse
from studio import components, figures, loaders, router, why

PHOTO_SIZE = 280  # a test image becomes a "photo" ten times its size
SHOWN_WIDTH = 224


def as_photo(image):
    """A dataset image (light on black, 28×28, in [0, 1]) as a product photo: dark on white, smoothly enlarged."""
    enlarged = Image.fromarray(np.uint8(255 - image * 255)).resize((PHOTO_SIZE, PHOTO_SIZE), Image.Resampling.BICUBIC)
    return np.asarray(enlarged)


def try_test_image(dataset_name):
    """Show a random test image of the dataset as a photo; a new uploader key drops any uploaded file."""
    test_labels = loaders.load_splits(dataset_name).y_test
    st.session_state["photo_sample"] = (dataset_name, int(np.random.default_rng().integers(len(test_labels))))
    st.session_state["photo_uploader"] += 1


def chosen_photo(dataset):
    """(image, description) of the uploaded photo or the test image chosen, or (None, None) if there is neither."""
    upload_column, sample_column = st.columns([3, 1], vertical_alignment="bottom")
    upload = upload_column.file_uploader(f"A photo of one {dataset.noun}, on a plain background",
                                         type=components.UPLOAD_TYPES,
                                         key=f"photo_upload_{st.session_state['photo_uploader']}")
    sample_column.button("Try a test image", on_click=try_test_image, args=(dataset.name,),
                         help=f"A random {dataset.title} test image, made into a photo again: dark on white, "
                              f"{PHOTO_SIZE}×{PHOTO_SIZE} pixels.")
    if upload is not None:
        st.session_state["photo_sample"] = None
        image = components.read_upload(upload)
        return (image, upload.name) if image is not None else (None, None)
    sample = st.session_state["photo_sample"]
    if sample and sample[0] == dataset.name:
        splits = loaders.load_splits(dataset.name)
        index = sample[1]
        return as_photo(splits.x_test[index]), f"test image #{index}, labelled {dataset.class_name(splits.y_test[index])}"
    return None, None


router.require_router()
st.title("📷 Upload a photo")
classifier = loaders.active_classifier_or_stop()
dataset = classifier.dataset
st.caption(f"The active model reads {dataset.title} {dataset.noun}s. {dataset.image_note} A photo is prepared the "
           "same way, so the model sees the kind of image it learned from.")
if dataset.is_digits:
    st.page_link("pages/draw.py", label="Draw has a canvas for digits, and teaches the model with “That's a …”",
                 icon="✏️")

image, description = chosen_photo(dataset)
if image is None:
    st.info(f"Upload a photo of one {dataset.noun}, or try a test image.")
    st.stop()
prediction = classifier.classify(image)
photo_column, seen_column, result_column = st.columns([1, 1, 2], gap="large")
photo_column.image(image, caption=description, width=SHOWN_WIDTH)
if prediction.label is None:
    result_column.info(f"No {dataset.noun} found in this photo: try one with the {dataset.noun} on a plain background.")
    st.stop()
seen = browse.upscale(np.uint8(prediction.image * 255), SHOWN_WIDTH // 28)
seen_column.image(seen, caption="What the model sees (28×28)", width=SHOWN_WIDTH)
with result_column:
    name, delta = why.answer(classifier, prediction)
    st.metric("Prediction", name, delta=delta, delta_color="off", delta_arrow="off")
    why.likeness_note(classifier, prediction)  # "That doesn't look like a garment", with the bars greyed
    st.html(figures.probability_bars(prediction, classifier.class_names, dataset.noun, horizontal=True))
