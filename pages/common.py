"""What every page shares: per-visitor session state, initialised in one place, and the cached loaders.

Not a page itself: app.py's st.navigation lists the pages, so this module is only imported.
"""

from pathlib import Path

import streamlit as st

from lenet import config as lenet_config
from lenet import data, datasets, inference, runs


def _use_the_router():
    # Streamlit treats a folder named pages/ as an old-style multipage app until app.py's st.navigation has run
    # once in the server process. If a visitor's first request opens a page's URL directly, that page runs alone,
    # without app.py's set-up. Every page imports this module, so the first such import switches the server to
    # app.py's router and reruns the request through it.
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


_use_the_router()

# Per-visitor state. Each visitor's session has its own copy, so two visitors never overwrite each other.
SESSION_DEFAULTS = {
    "active_model": str(lenet_config.BUNDLED_MODEL_PATH),  # the model Draw classifies with
    "drawing": None,  # the canvas's json_data, passed back as initial_drawing after a page switch
    "canvas_version": 0,  # bumped by Clear: a new canvas key starts an empty canvas
    "canvas_initial": None,  # the drawing the mounted canvas started from; fixed while it is mounted, so undo works
    "drawing_image": None,  # the canvas image (RGBA) of "drawing", classified again after a page switch
    "retrain_run": None,  # the run the My digits page started and follows
    "retrain_baseline": None,  # the active model when that run started: the "before" in before/after
    "retrain_shown": None,  # the ended retrain run whose results the My digits page has redrawn itself for
    "import_error": None,  # why the last import on the My digits page was refused, shown once
    "followed_run": None,  # the run the Train page shows
    "dataset_shuffle_seed": None,  # the Dataset page's random sample; None shows digits in dataset order
}

# The Train page's settings widgets (keys "train_<setting>"), filled from a preset; choosing a preset refills them.
TRAIN_SETTINGS = ("variant", "epochs", "batch_size", "learning_rate", "optimizer", "activation", "pooling", "schedule",
                  "shift_pixels", "rotation_degrees", "ema_momentum", "seed")
TRAIN_DEFAULT_PRESET = "best"
SESSION_DEFAULTS["train_preset"] = TRAIN_DEFAULT_PRESET
SESSION_DEFAULTS.update({f"train_{name}": getattr(lenet_config.get_preset(TRAIN_DEFAULT_PRESET), name)
                         for name in TRAIN_SETTINGS})


def init_session_state():
    for name, value in SESSION_DEFAULTS.items():
        st.session_state.setdefault(name, value)


@st.cache_resource(max_entries=8, show_spinner="Loading the model…")
def _load_classifier(model_path, modified_time):
    return inference.Classifier(model_path)


def load_classifier(model_path=None):
    """A shared, read-only classifier, reloaded when the file changes (the cache key holds its modification time)."""
    path = Path(model_path or st.session_state.get("active_model") or lenet_config.BUNDLED_MODEL_PATH)
    return _load_classifier(str(path), path.stat().st_mtime)


@st.cache_resource(show_spinner="Loading the dataset…")
def load_splits(dataset_name="mnist"):
    """A dataset, split as the tutorial does. Shared by every session; the arrays are read-only."""
    return data.load(dataset_name, log=lambda line: None)


def model_choices():
    """(label, path) for the bundled model and every run that has a checkpoint, newest run first."""
    choices = [(f"Bundled {datasets.get(name).title} model (best preset)", str(path))
               for name, path in lenet_config.BUNDLED_MODELS.items() if path.is_file()]
    for run in runs.list_runs():
        if run.model_path:
            accuracy = run.summary.get("test_accuracy")
            figure = f", test {accuracy:.2%}" if accuracy is not None else ""
            choices.append((f"Run {run.run_id} ({run.state}{figure})", str(run.model_path)))
    return choices


def active_model_label():
    for label, path in model_choices():
        if path == st.session_state.get("active_model"):
            return label
    return Path(st.session_state.get("active_model", "")).name
