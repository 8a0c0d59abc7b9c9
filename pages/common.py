"""What every page shares: per-visitor session state, initialised in one place; the page list; the active model
(one getter, one setter, one chooser); the cached loaders; and the run-following UI.

Not a page itself: app.py's st.navigation lists the pages, so this module is only imported.
"""

from dataclasses import dataclass
from pathlib import Path

import keras
import plotly.graph_objects as go
import streamlit as st

from lenet import config as lenet_config
from lenet.data import datasets, sources
from lenet.runs import store, worker
from lenet.serve import inference
from pages import visitor


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


def _keep_keras_state(free_memory=True):
    """Stands in for keras.backend.clear_session in the app server: see keep_keras_state."""


def keep_keras_state():
    """Stop Streamlit from resetting Keras after every script run.

    After each run Streamlit calls keras.backend.clear_session(), a guard from TensorFlow 1's graph sessions (its
    script runner's _clean_problem_modules). In Keras 3 that is a full garbage collection and an emptied kernel
    cache: about 0.35 s with the interpreter lock held after every rerun of every visitor, then a first forward
    pass of 55 ms instead of 7. The server trains nothing (workers do) and builds each model once, so it has
    nothing to clear. Only the name Streamlit calls is replaced; Keras's own code keeps the real function.
    """
    keras.backend.clear_session = _keep_keras_state


@dataclass(frozen=True)
class PageEntry:
    path: str
    title: str
    icon: str
    purpose: str  # what Home says the page is for


PHOTO_PAGE = "pages/photo.py"  # where garment models classify, instead of Draw
# The pages, in the sidebar's order; app.py routes to them and Home links to them.
PAGES = (
    PageEntry("pages/home.py", "Home", "🏠", "what LeNet-5 is, and the active model."),
    PageEntry("pages/draw.py", "Draw", "✏️", "draw a digit and watch a digit model classify it stroke by stroke."),
    PageEntry(PHOTO_PAGE, "Upload a photo", "📷", "a photo of a garment (or a digit), prepared the way the "
              "active model's dataset was made, and classified."),
    PageEntry("pages/train.py", "Train", "🏋️", "a LeNet-5 of your own on either dataset, following it live."),
    PageEntry("pages/dataset.py", "Dataset", "🔢", "browse MNIST or Fashion-MNIST by split and class, and find the "
              "model's mistakes."),
    PageEntry("pages/my_digits.py", "My digits", "🖐️", "collect your own handwriting and fine-tune a digit model."),
    PageEntry("pages/model.py", "Model", "🧠", "the active network layer by layer: its weights and filters."),
    PageEntry("pages/runs.py", "Runs", "📈", "compare training runs and choose the model the app uses."),
)

# Per-visitor state. Each visitor's session has its own copy, so two visitors never overwrite each other.
SESSION_DEFAULTS = {
    "active_model": str(lenet_config.BUNDLED_MODEL_PATH),  # every page's model; read and written only below
    "drawing": None,  # the canvas's json_data, passed back as initial_drawing after a page switch
    "canvas_version": 0,  # bumped by Clear: a new canvas key starts an empty canvas
    "canvas_initial": None,  # the drawing the mounted canvas started from; fixed while it is mounted, so undo works
    "drawing_image": None,  # the canvas image (RGBA) of "drawing", classified again after a page switch
    "retrain_run": None,  # the run the My digits page started and follows
    "retrain_baseline": None,  # the active model when that run started: the "before" in before/after
    "draw_retrain": None,  # Draw's "Retrain with my N digits": {"run", "baseline", "switched"} (pages/retraining.py)
    "import_error": None,  # why the last import on the My digits page was refused, shown once
    "followed_run": None,  # the run the Train page shows
    "dataset_shuffle_seed": None,  # the Dataset page's random sample; None shows images in dataset order
    "photo_sample": None,  # (dataset, test image index) the Upload a photo page shows as a photo, if no upload
    "photo_uploader": 0,  # bumped to empty the Upload a photo page's uploader (a new key)
}

# The Train page's settings widgets (keys "train_<setting>"), filled from the chosen dataset's preset; choosing a
# dataset or a preset refills them.
TRAIN_SETTINGS = ("variant", "epochs", "batch_size", "learning_rate", "optimizer", "activation", "pooling", "schedule",
                  "shift_pixels", "rotation_degrees", "ema_momentum", "seed")
TRAIN_DEFAULT_PRESET = "best"
SESSION_DEFAULTS.update(train_dataset=datasets.DEFAULT, train_preset=TRAIN_DEFAULT_PRESET)
SESSION_DEFAULTS.update({f"train_{name}": getattr(lenet_config.get_preset(TRAIN_DEFAULT_PRESET), name)
                         for name in TRAIN_SETTINGS})


def init_session_state():
    for name, value in SESSION_DEFAULTS.items():
        st.session_state.setdefault(name, value)


# The active model: the only code that reads or writes st.session_state["active_model"].

def active_model():
    """The active model's path. If its file is gone (its run was deleted), the bundled model takes over, once."""
    path = st.session_state.get("active_model") or str(lenet_config.BUNDLED_MODEL_PATH)
    if not Path(path).is_file():
        st.warning(f"The active model {Path(path).name} is gone (its run was deleted?); using the bundled model.")
        path = str(lenet_config.BUNDLED_MODEL_PATH)
    st.session_state["active_model"] = path
    return path


def set_active_model(model_path):
    st.session_state["active_model"] = str(model_path)


@st.cache_data(max_entries=64, show_spinner=False)
def _read_card(model_path, modified_time):
    return inference.read_card(model_path)


def read_card(model_path):
    """A model file's card (cached until the file changes); ModelLoadError if it is damaged."""
    return _read_card(str(model_path), Path(model_path).stat().st_mtime)


def active_card():
    return read_card(active_model())


def active_dataset():
    """The dataset the active model knows: MNIST for a model without a card, and for a damaged file, whose own
    error the pages that load it show."""
    try:
        return active_card().dataset_info
    except inference.ModelLoadError:
        return datasets.get(datasets.DEFAULT)


@st.cache_resource(max_entries=8, show_spinner="Loading the model…")
def _load_classifier(model_path, modified_time):
    return inference.Classifier(model_path)


def load_classifier(model_path=None):
    """A shared, read-only classifier, reloaded when the file changes (the cache key holds its modification time)."""
    path = Path(model_path or active_model())
    return _load_classifier(str(path), path.stat().st_mtime)


def load_splits(dataset_name=datasets.DEFAULT):
    """A dataset, split as the tutorial does; where this machine cannot get it, the page says how and stops there."""
    try:
        return _load_splits(dataset_name)
    except sources.DataError as error:
        st.error(f"{datasets.get(dataset_name).title} is not on this machine. {error}")
        st.stop()


@st.cache_resource(show_spinner="Loading the dataset…")
def _load_splits(dataset_name):
    """Shared by every session; the arrays are read-only."""
    return sources.load(dataset_name, log=lambda line: None)


def run_dataset(run):
    """The dataset a run trains on; runs from before datasets existed are MNIST runs."""
    return datasets.get(run.config.get("dataset", datasets.DEFAULT))


def model_choices():
    """(label, path) for the bundled model of each dataset and every run that has a checkpoint, newest run first."""
    choices = []
    for name, path in lenet_config.BUNDLED_MODELS.items():
        if path.is_file():
            accuracy = read_card(path).test_accuracy
            figure = f", test {accuracy:.2%}" if accuracy is not None else ""
            choices.append((f"Bundled {datasets.get(name).title} model (best preset{figure})", str(path)))
    for run in store.list_runs():
        if run.model_path:
            accuracy = run.summary.get("test_accuracy")
            figure = f", test {accuracy:.2%}" if accuracy is not None else ""
            choices.append((f"Run {run.run_id} ({run_dataset(run).title}, {run.state}{figure})", str(run.model_path)))
    return choices


def active_model_label():
    active = active_model()
    return next((label for label, path in model_choices() if path == active), Path(active).name)


def model_chooser():
    """The app's one model chooser, in the sidebar: every page classifies with the model chosen here."""
    active = active_model()
    choices = {path: label for label, path in model_choices()}
    choices.setdefault(active, Path(active).name)  # a model file that is neither bundled nor a run's
    st.session_state["model_chooser"] = active  # follows the active model when a page changes it
    st.selectbox("Active model", list(choices), format_func=choices.get, key="model_chooser",
                 on_change=lambda: set_active_model(st.session_state["model_chooser"]),
                 help="Draw, Upload a photo, Dataset, My digits and Model all use this model.")
    try:
        description = active_card().describe()
        st.caption(description[0].upper() + description[1:])
    except inference.ModelLoadError as error:
        st.error(str(error))


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


def digit_model_required(page_title):
    """Draw and My digits need a digit model: True if the active one is, else say so and where to go instead."""
    dataset = active_dataset()
    if dataset.is_digits:
        return True
    st.info(f"{page_title} works with digit models, and the active model reads {dataset.title} {dataset.noun}s. "
            "Choose an MNIST model in the sidebar, or classify a photo with this one.")
    st.page_link(PHOTO_PAGE, label="Upload a photo", icon="📷")
    return False


# Following a run: one live-update idiom, one set of curves, one "activate this model" control.

COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
CHART_MARGIN = dict(l=10, r=10, t=40, b=10)


def follow_live(render, is_active, every=1.0):
    """Draw `render()`; while `is_active()`, redraw only it every `every` seconds (a fragment), and when it stops
    being active, rerun the whole page once so that the results replace the live view."""
    if is_active():
        st.fragment(run_every=every)(_live_fragment)(render, is_active)
    else:
        render()


def _live_fragment(render, is_active):
    if not is_active():
        st.rerun()
    render()


def run_is_active(run_dir):
    return store.read_status(run_dir).get("state") in store.ACTIVE_STATES


def epoch_figure(metric, series, height=300):
    """Per-epoch `metric` of one or more runs, series = [(name, epoch records)]: validation solid, training dotted."""
    figure = go.Figure(layout=dict(title=metric.capitalize(), xaxis_title="epoch", height=height, xaxis_dtick=1,
                                   margin=CHART_MARGIN))
    for index, (name, epochs) in enumerate(series):
        colour, x = COLOURS[index % len(COLOURS)], [record["epoch"] for record in epochs]
        for prefix, kind, dash in (("val_", "val" if name else "validation", None), ("", "train", "dot")):
            figure.add_scatter(x=x, y=[record[prefix + metric] for record in epochs], name=f"{name} {kind}".strip(),
                               line=dict(color=colour, dash=dash))
    return figure


def run_curves(records, key):
    """A run's loss and accuracy per epoch and its training loss per batch (from its metric records), side by side."""
    epochs = [record for record in records if record["kind"] == "epoch"]
    batches = [record for record in records if record["kind"] == "batch"]
    steps = next((record["steps_per_epoch"] for record in records if record["kind"] == "start"), 1)
    if not batches:
        return
    columns = st.columns(3)
    for column, metric in zip(columns, ("loss", "accuracy")):
        if epochs:
            column.plotly_chart(epoch_figure(metric, [("", epochs)]), key=f"{key}_{metric}")
        else:
            column.caption(f"{metric.capitalize()} per epoch, for training and validation, appears after the first epoch.")
    figure = go.Figure(layout=dict(title="Training loss per batch", xaxis_title="epoch", height=300,
                                   margin=CHART_MARGIN, showlegend=False))
    figure.add_scatter(x=[record["step"] / steps for record in batches], y=[record["loss"] for record in batches],
                       mode="lines")
    columns[2].plotly_chart(figure, key=f"{key}_batches")


def stop_button(run, key):
    """Stop for a queued or running run, or why this visitor may not stop it (public mode), or that it is stopping."""
    if worker.stop_requested(run.run_dir):
        st.caption(worker.stopping_message(run.run_dir))
    elif refusal := visitor.refusal(run):
        st.caption(refusal)
    else:
        st.button("Stop", key=key, on_click=visitor.stop, args=(run.run_dir,),
                  help="End the run within a second or so, keeping the model of the last completed epoch.")


def activate_control(model_path, dataset, container=st, key=None):
    """Make a run's model (of `dataset`) the active one, or say that it is."""
    page = "Draw" if dataset.is_digits else "Upload a photo"
    if model_path and active_model() == str(model_path):
        container.success(f"{page} uses this model.")
    else:
        label = "Use this model for drawing" if dataset.is_digits else "Use this model for photos"
        container.button(label, on_click=set_active_model, args=(model_path,), disabled=not model_path, key=key)
