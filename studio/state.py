"""Per-visitor session state, initialised in one place, and the active model: one getter and one setter.

Each visitor's session has its own copy, so two visitors never overwrite each other. The router calls `ensure` on
every run before any page body, so no page can read a key that is not there.
"""

from pathlib import Path

import streamlit as st

from lenet import config as lenet_config
from lenet.data import datasets
from studio import class_mode
from studio.escaping import plain

TRAIN_DEFAULT_PRESET = "best"
SESSION_DEFAULTS = {
    "active_model": str(lenet_config.BUNDLED_MODEL_PATH),  # every page's model; read and written only below
    "model_chosen": False,  # whether this visitor chose a model; until then class mode's class model is theirs
    "class_host": False,  # class mode: True once this session presented the host token (studio/class_mode.py)
    "drawing": None,  # the canvas's json_data, passed back as initial_drawing after a page switch
    "canvas_version": 0,  # bumped by Clear: a new canvas key starts an empty canvas
    "canvas_initial": None,  # the drawing the mounted canvas started from; fixed while it is mounted, so undo works
    "drawing_image": None,  # the canvas image (RGBA) of "drawing", classified again after a page switch
    "draw_reading": (None, None),  # (image, prediction) Draw's canvas fragment last read, for the views below it
    "retrain_run": None,  # the run the My digits page started and follows
    "retrain_baseline": None,  # the active model when that run started: the "before" in before/after
    "draw_retrain": None,  # Draw's "Retrain with my N digits": {"run", "baseline", "switched"} (studio/draw_retrain.py)
    "import_error": None,  # why the last import on the My digits page was refused, shown once
    "followed_run": None,  # the run the Train page shows
    "dataset_shuffle_seed": None,  # the Dataset page's random sample; None shows images in dataset order
    "photo_sample": None,  # (dataset, test image index) the Upload a photo page shows as a photo, if no upload
    "photo_uploader": 0,  # bumped to empty the Upload a photo page's uploader (a new key)
    # The Train page's form (keys "train_<setting>", lenet.config.TRAIN_FORM), filled from the chosen dataset's
    # preset; choosing a dataset or a preset refills them.
    "train_dataset": datasets.DEFAULT,
    "train_preset": TRAIN_DEFAULT_PRESET,
    **{f"train_{setting.name}": getattr(lenet_config.get_preset(TRAIN_DEFAULT_PRESET), setting.name)
       for setting in lenet_config.TRAIN_FORM},
}


def ensure():
    """Give this session every default it lacks; idempotent, so calling it on every run costs nothing."""
    for name, value in SESSION_DEFAULTS.items():
        st.session_state.setdefault(name, value)


def active_model():
    """The active model's path. If its file is gone (its run was deleted), the bundled model takes over, once.

    A visitor who has not chosen a model has the class model (class mode: the host's accepted model), when there is
    one, and follows it when the host accepts another or rolls back."""
    class_model = None if st.session_state.get("model_chosen") else class_mode.class_model()
    path = str(class_model or st.session_state.get("active_model") or lenet_config.BUNDLED_MODEL_PATH)
    # The bundled model itself gone (models/ deleted) is no case for falling back: the pages say so (ModelLoadError).
    if not Path(path).is_file() and path != str(lenet_config.BUNDLED_MODEL_PATH):
        st.warning(f"The active model {plain(Path(path).name)} is gone (its run was deleted?); using the bundled model.")
        path = str(lenet_config.BUNDLED_MODEL_PATH)
    st.session_state["active_model"] = path
    return path


def set_active_model(model_path):
    st.session_state.update(active_model=str(model_path), model_chosen=True)
