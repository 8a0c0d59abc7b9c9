"""The router app.py runs: the page table, st.navigation, the sidebar's model chooser, and the guard every page
script calls first, so that no page body runs without the app's setup.

Streamlit treats a folder named pages/ as an old-style multipage app until st.navigation has run once in the
server process: until then a request for a page's URL runs that page alone, without app.py. A class arriving at
once sends several such requests while the first visitor's run is still starting, so a switch made once per
process (on a module's import) leaves the others running bare. The guard is checked on every page run instead,
and a bare run is routed in place.
"""

import threading
from dataclasses import dataclass
from pathlib import Path

import keras
import streamlit as st

from lenet.runs import class_host
from lenet.serve import inference
from studio import class_mode, loaders, state, visitor
from studio.escaping import plain

_routed = threading.local()  # set while the router runs a page: a page's script runs in its session's thread


@dataclass(frozen=True)
class PageEntry:
    path: str
    title: str
    icon: str
    purpose: str  # what Home says the page is for


PHOTO_PAGE = "pages/photo.py"  # where garment models classify, instead of Draw
# The pages, in the sidebar's order; the router routes to them and Home links to them.
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
# Class mode's page: in the navigation only for the session that opened the host link (studio/class_mode.py), so a
# visitor's address for it, /class, finds no page. Its file is named for its address: on a fresh server Streamlit
# looks a first request up among pages/' files, and would tell even the host "page not found" for any other name.
CLASS_PAGE = PageEntry("pages/class.py", "Class", "🧑‍🏫", "host the class: review its digits, retrain the class "
                       "model and roll it back.")


def pages():
    """This session's pages: the Class page too for the host."""
    entries = [st.Page(page.path, title=page.title, icon=page.icon, default=page is PAGES[0]) for page in PAGES]
    if class_mode.is_host():
        entries.append(st.Page(CLASS_PAGE.path, title=CLASS_PAGE.title, icon=CLASS_PAGE.icon,
                               url_path=class_host.CLASS_PAGE))
    return entries


def run():
    """app.py's whole run: the page settings, this session's state and visitor, the navigation, then the page."""
    st.set_page_config(page_title="LeNet-5 Studio", page_icon="✏️", layout="wide")
    keep_keras_state()  # Streamlit would reset Keras after every rerun, at a cost of about 0.35 s each
    state.ensure()
    visitor.setup()  # who is visiting (public mode), and whether the run store is usable
    class_mode.check_host()  # class mode: whether this session is the host's (before the navigation lists its page)
    navigation = st.navigation({"LeNet-5 Studio": pages()})
    with st.sidebar:
        model_chooser()
    _routed.active = True
    try:
        navigation.run()
    finally:
        _routed.active = False


def require_router():
    """Every page script's first call. A page running outside the router (Streamlit's old-style multipage mode, on
    a fresh server, and in AppTest's every run) runs the router here instead, which sets the session up and runs
    this page again inside it, then ends the bare run. No rerun: a button's click in this run is kept."""
    if getattr(_routed, "active", False):
        return
    run()  # st.navigation in it switches the server to the router for every later run
    st.stop()


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


def model_chooser():
    """The app's one model chooser, in the sidebar: every page classifies with the model chosen here."""
    active = state.active_model()
    choices = {path: label for label, path in loaders.model_choices()}
    choices.setdefault(active, Path(active).name)  # a model file that is neither bundled nor a run's
    st.session_state["model_chooser"] = active  # follows the active model when a page changes it
    st.selectbox("Active model", list(choices), format_func=choices.get, key="model_chooser",
                 on_change=lambda: state.set_active_model(st.session_state["model_chooser"]),
                 help="Draw, Upload a photo, Dataset, My digits and Model all use this model.")
    try:
        description = loaders.active_card().describe()
        st.caption(description[0].upper() + description[1:])
    except inference.ModelLoadError as error:
        st.error(plain(error))


def digit_model_required(page_title):
    """Draw and My digits need a digit model: True if the active one is, else say so and where to go instead."""
    dataset = loaders.active_dataset()
    if dataset.is_digits:
        return True
    st.info(f"{page_title} works with digit models, and the active model reads {dataset.title} {dataset.noun}s. "
            "Choose an MNIST model in the sidebar, or classify a photo with this one.")
    st.page_link(PHOTO_PAGE, label="Upload a photo", icon="📷")
    return False
