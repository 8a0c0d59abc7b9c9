"""UI pieces several pages show, each written once: a model's description, an upload read or refused, retraining
started or refused, before → after of a retrained model, and a grid of 28×28 digits. Every text from a file or an
error is escaped.
"""

import numpy as np
import streamlit as st
from PIL import Image

from lenet import config as lenet_config
from lenet.data import my_digits
from lenet.serve import preprocess
from lenet.train import finetune
from studio import loaders, state, visitor
from studio.escaping import plain

UPLOAD_TYPES = ["png", "jpg", "jpeg", "bmp", "gif"]
DIGIT_GRID_COLUMNS = 10


def describe_model(model_card):
    """What a model card says, for people: its dataset, how the dataset's images were made, its classes."""
    dataset = model_card.dataset_info
    if not model_card.found:
        st.warning("This model file has no model card, so it is read as an MNIST digit model; how it was trained "
                   "and how well it does are unknown.")
    else:
        st.markdown(f"Trained on {model_card.describe()}.")
    st.markdown(f"**{dataset.title}**: {dataset.image_note}")
    st.caption(f"Its {dataset.num_classes} classes: " + ", ".join(model_card.class_names))


def read_upload(upload):
    """An uploaded image as an array, or None after showing why it cannot be used."""
    try:
        return preprocess.load_image(upload)
    except preprocess.ImageError as error:
        st.error(f"That file cannot be used: {plain(error)}")
        return None


def start_retraining(mode, epochs=None, learning_rate=None):
    """Retrain the active model with this visitor's digits, as this visitor; (run folder, None) or (None, why not,
    escaped). My digits follows the run it starts (session state retrain_run and retrain_baseline)."""
    active = state.active_model()
    try:
        train_config = finetune.retrain_config(mode, active, epochs, learning_rate, visitor.digits_store())
        run_dir, refused = visitor.start(train_config, run_name=f"my-digits-{mode}")
    except (my_digits.MyDigitsError, lenet_config.ConfigError) as error:
        run_dir, refused = None, str(error)
    if refused:
        return None, plain(refused)
    st.session_state.update(retrain_run=str(run_dir), retrain_baseline=active)
    return run_dir, None


def before_after(baseline, retrained, first, test_label, use_label, key):
    """Before → after of a retrained model: `first(column)` draws the page's own comparison, then the test set's
    accuracy, then the choice between the two models. Nothing to compare if the model before is gone, or either is
    damaged."""
    if not loaders.models_to_compare(baseline, retrained):
        return
    mine, test_set, switch = st.columns([1, 1, 1.2], vertical_alignment="center")
    first(mine)
    images, labels = my_digits.evaluation_arrays(visitor.digits_store())
    before, after = (loaders.test_accuracy(path, images, labels) for path in (baseline, retrained))
    accuracy_metric(test_set, test_label, before, after)
    if state.active_model() == str(retrained):
        switch.success("The retrained model is the active model.")
        switch.button("Switch back to the model before", on_click=state.set_active_model, args=(baseline,),
                      icon=":material/undo:", key=f"{key}_back")
    else:
        switch.button(use_label, type="primary", on_click=state.set_active_model, args=(retrained,), key=f"{key}_use")


def accuracy_metric(container, label, before, after, decimals=2):
    """An accuracy after retraining, its change in points, and the accuracy before."""
    container.metric(label, f"{after:.{decimals}%}", delta=f"{(after - before) * 100:+.{decimals}f} points",
                     delta_description=f"before: {before:.{decimals}%}")


def reading(prediction):
    """How a model reads one drawing, in a few words."""
    if prediction.label is None:
        return "nothing"
    return "not a digit" if prediction.abstained else f"{prediction.label} ({prediction.probabilities.max():.0%})"


def digit_picture(image):
    """A 28×28 digit enlarged three times, sharp, for the grids."""
    return Image.fromarray(np.uint8(np.clip(image, 0, 1) * 255)).resize((84, 84), Image.Resampling.NEAREST)


def digit_grid(digits, caption, below):
    """Digits in rows of DIGIT_GRID_COLUMNS: each one's picture captioned caption(digit), then below(column, digit)
    draws its buttons (My digits' own grid, the class set's review and what a visitor gave to the class)."""
    for start in range(0, len(digits), DIGIT_GRID_COLUMNS):
        for column, digit in zip(st.columns(DIGIT_GRID_COLUMNS), digits[start:start + DIGIT_GRID_COLUMNS]):
            column.image(digit_picture(digit.image), caption=caption(digit))
            below(column, digit)
