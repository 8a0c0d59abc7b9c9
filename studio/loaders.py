"""Cached loaders: model cards, classifiers, datasets, explainers, feature maps and accuracies.

st.cache_data copies what it returns; st.cache_resource shares one object between every session, so what it
returns is only read. A model file's cache key holds its modification time, so a rewritten file is loaded again.
"""

from pathlib import Path

import streamlit as st

from lenet import config as lenet_config
from lenet.data import datasets, sources
from lenet.explain import attribution, feature_map
from lenet.runs import class_models, store
from lenet.serve import inference
from studio import class_mode, state
from studio.escaping import plain


@st.cache_data(max_entries=64, show_spinner=False)
def _read_card(model_path, modified_time):
    return inference.read_card(model_path)


def read_card(model_path):
    """A model file's card (cached until the file changes); ModelLoadError if it is damaged or gone."""
    return _read_card(str(model_path), inference.model_file_time(model_path))


def active_card():
    return read_card(state.active_model())


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
    path = Path(model_path or state.active_model())
    return _load_classifier(str(path), inference.model_file_time(path))


def active_classifier_or_stop():
    """The active model's classifier; where it cannot be loaded (damaged, gone or unreadable), the page says why and
    stops there."""
    try:
        return load_classifier()
    except (OSError, inference.ModelLoadError) as error:
        st.error(f"Cannot load the active model: {plain(error)}")
        st.stop()


def models_to_compare(baseline, retrained):
    """Whether a before → after of two models can be shown: True, or False after saying why not (the model before
    retraining gone, or either damaged since). Each is loaded here, once (cached), as the figures would load it."""
    if not Path(baseline).is_file():
        st.warning(f"The model before retraining ({plain(Path(baseline).name)}) is gone; no before and after to "
                   "compare.")
        return False
    try:
        for path in (baseline, retrained):
            load_classifier(path)
    except inference.ModelLoadError as error:
        st.warning(f"No before and after to compare: {plain(error)}")
        return False
    return True


def load_splits(dataset_name=datasets.DEFAULT):
    """A dataset, split as the tutorial does; where this machine cannot get it, the page says how and stops there."""
    try:
        return _load_splits(dataset_name)
    except sources.DataError as error:
        st.error(f"{datasets.get(dataset_name).title} is not on this machine. {plain(error)}")
        st.stop()


@st.cache_resource(show_spinner="Loading the dataset…")
def _load_splits(dataset_name):
    """Shared by every session; the arrays are read-only."""
    return sources.load(dataset_name, log=lambda line: None)


def _card_figure(model_path):
    """", test 99.54%" from a model's card; nothing where it has none or the file is damaged (which the sidebar says
    under the chooser when that model is active, and the pages that load it say too)."""
    try:
        accuracy = read_card(model_path).test_accuracy
    except inference.ModelLoadError:
        return ""
    return f", test {accuracy:.2%}" if accuracy is not None else ""


def run_dataset(run):
    """The dataset a run trains on; runs from before datasets existed are MNIST runs."""
    return datasets.get(run.config.get("dataset", datasets.DEFAULT))


def model_choices():
    """(label, path) for the bundled model of each dataset and every run that has a checkpoint, newest run first."""
    choices = []
    for name, path in lenet_config.BUNDLED_MODELS.items():
        if path.is_file():
            choices.append((f"Bundled {datasets.get(name).title} model (best preset{_card_figure(path)})", str(path)))
    choices += class_model_choices()
    for run in store.list_runs():
        if run.model_path:
            accuracy = run.summary.get("test_accuracy")
            figure = f", test {accuracy:.2%}" if accuracy is not None else ""
            choices.append((f"Run {run.run_id} ({run_dataset(run).title}, {run.state}{figure})", str(run.model_path)))
    return choices


def class_model_choices():
    """(label, path) of every accepted class model, newest first (class mode only)."""
    if not class_mode.enabled():
        return []
    models = class_models.ClassModels()
    current = models.current()
    choices = []
    for model in reversed(models.versions()):
        figure = f", test {model.test_accuracy:.2%}" if model.test_accuracy is not None else ""
        which = "the class model" if current and model.version == current.version else "earlier"
        choices.append((f"Class model v{model.version} ({which}{figure})", str(model.path)))
    return choices


def active_model_label():
    """The active model's label from the chooser, escaped for markdown (a model file's name is outside text)."""
    active = state.active_model()
    return plain(next((label for label, path in model_choices() if path == active), Path(active).name))


@st.cache_resource(max_entries=4, show_spinner=False)
def _explainer(model_path, modified_time):
    classifier = load_classifier(model_path)
    return attribution.Explainer(classifier.model, class_means=classifier.card.class_mean_images())


def explainer(classifier):
    """Draw's and Upload a photo's "Why this digit?" explainer of a classifier's model, built once per file."""
    path = Path(classifier.model_path)
    return _explainer(str(path), inference.model_file_time(path))


@st.cache_resource(max_entries=4, show_spinner="Mapping 52,000 images through the network (once per model)…")
def _drawing_map(model_path, modified_time):
    classifier = load_classifier(model_path)
    splits = load_splits(classifier.dataset.name)
    return feature_map.build_drawing_map(classifier.model, splits, num_classes=classifier.dataset.num_classes)


def drawing_map(model_path):
    """The model's feature map for "Where your drawing lands": a few seconds (the features of 52,000 images)."""
    path = Path(model_path)
    return _drawing_map(str(path), inference.model_file_time(path))


@st.cache_data(show_spinner="Measuring accuracy…", max_entries=32)
def accuracies(model_path, modified_time, images, labels):
    """(accuracy on the given digits, accuracy on its dataset's test set) of one model file."""
    classifier = load_classifier(model_path)
    splits = load_splits(classifier.dataset.name)
    mine = float((classifier.probabilities(images).argmax(axis=1) == labels).mean()) if len(labels) else None
    return mine, float((classifier.probabilities(splits.x_test).argmax(axis=1) == splits.y_test).mean())


def test_accuracy(model_path, images, labels):
    """A model's test accuracy: from its card (measured when its training ended), else measured now."""
    accuracy = read_card(model_path).test_accuracy
    if accuracy is None:
        accuracy = accuracies(model_path, inference.model_file_time(model_path), images, labels)[1]
    return accuracy
