"""Dataset: page through MNIST or Fashion-MNIST by split and class, with class counts, mean images and the active
model's mistakes."""

from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from lenet.data import browse, datasets
from lenet.serve import inference
from studio import loaders, router, state
from studio.escaping import plain

SPLITS = {"train": ("x_train", "y_train"), "validation": ("x_val", "y_val"), "test": ("x_test", "y_test")}
PAGE_SIZES = (50, 100, 150, 200)
MOSAIC_WIDTH = 986  # pixels: 16 doubled MNIST digits with their gaps, which fit the wide layout at their true size
RIGHT, WRONG = "#31333f", "#d62728"  # caption colours: the model's mistakes stand out in red


def split_arrays(dataset_name, split):
    images_name, labels_name = SPLITS[split]
    splits = loaders.load_splits(dataset_name)
    return getattr(splits, images_name), getattr(splits, labels_name)


@st.cache_data(max_entries=6, show_spinner=False)
def class_means(dataset_name, split):
    return browse.class_means(*split_arrays(dataset_name, split))


@st.cache_data(max_entries=6, show_spinner="Classifying every image of the split…")
def predictions(model_path, modified_time, dataset_name, split):
    """The model's class for each image of a split; the key holds the file's time, so a retrained model is re-run."""
    images = split_arrays(dataset_name, split)[0]
    return loaders.load_classifier(model_path).probabilities(images).argmax(axis=1).astype(np.uint8)


def active_predictions(dataset, split):
    """The active model's classes for the split, if the toggle asks for them and the model knows this dataset."""
    knows = loaders.active_dataset().name == dataset.name
    wanted = st.toggle("Show predictions", key="dataset_show_predictions", disabled=not knows,
                       help=f"Put the active model's {dataset.noun} under each image" if knows else
                       f"The active model is not a {dataset.title} model; choose one in the sidebar.")
    if not (wanted and knows):
        return None
    model_path = Path(state.active_model())
    try:
        return predictions(str(model_path), model_path.stat().st_mtime, dataset.name, split)
    except (OSError, inference.ModelLoadError) as error:
        st.warning(f"Cannot classify with the active model: {plain(error)}")
        return None


@st.fragment
def image_pages(dataset, images, labels, predicted, indices, page_size, selection):
    """The pages of images. A fragment: turning a page redraws only this, not the charts below."""
    # The key names the selection, so a new selection starts again at page 1.
    page = st.pagination(browse.page_count(len(indices), page_size), key=f"dataset_page:{selection}",
                         max_visible_pages=9)
    shown = browse.page_of(indices, page, page_size)
    first = (page - 1) * page_size + 1
    legend = (f" Under each {dataset.noun}: *label › the model's class*, red where it is wrong."
              if predicted is not None else "")
    st.caption(f"{dataset.noun.capitalize()}s {first:,}–{first + len(shown) - 1:,} of the {len(indices):,} "
               f"selected.{legend}")
    if predicted is None:
        captions, colors = [dataset.class_name(labels[i]) for i in shown], None
    else:
        captions = [f"{dataset.class_name(labels[i])} › {dataset.class_name(predicted[i])}" for i in shown]
        colors = [RIGHT if labels[i] == predicted[i] else WRONG for i in shown]
    drawn, scale, columns = browse.caption_layout(captions, MOSAIC_WIDTH)
    thumbnails = (images[shown] * 255).astype(np.uint8)
    st.image(browse.labelled_mosaic(thumbnails, drawn, columns, scale=scale, caption_colors=colors),
             alt=f"{len(shown)} {dataset.title} images, row by row, labelled: " + "; ".join(captions))


router.require_router()
st.title("🔢 Dataset")
st.session_state.setdefault("dataset_name", loaders.active_dataset().name)  # first visit: the active model's
name = st.segmented_control("Dataset", list(datasets.DATASETS), format_func=lambda key: datasets.get(key).title,
                            key="dataset_name") or datasets.DEFAULT
dataset = datasets.get(name)
st.caption(f"{dataset.title} as the tutorial splits it: the first {dataset.train_size:,} training images train, the "
           f"last {dataset.validation_size:,} validate, and the test images are kept for the final score. "
           + dataset.image_note)

split_column, classes_column, size_column = st.columns([1.3, 3, 1])
split = split_column.segmented_control("Split", list(SPLITS), default="train", key="dataset_split") or "train"
all_classes = list(range(dataset.num_classes))
classes = classes_column.multiselect(f"{dataset.noun.capitalize()}s", all_classes, default=all_classes,
                                     format_func=dataset.class_name, key="dataset_classes")
page_size = size_column.selectbox("Images per page", PAGE_SIZES, index=1, key="dataset_page_size")

images, labels = split_arrays(name, split)
toggles = st.columns(4)
with toggles[0]:
    predicted = active_predictions(dataset, split)
misclassified_only = toggles[1].toggle("Misclassified only", key="dataset_misclassified_only",
                                       disabled=predicted is None) and predicted is not None
if toggles[2].button("🎲 Random sample", help="Show the selected images in a new random order"):
    st.session_state["dataset_shuffle_seed"] = int(np.random.default_rng().integers(2**31))
if toggles[3].button("Dataset order", disabled=st.session_state["dataset_shuffle_seed"] is None):
    st.session_state["dataset_shuffle_seed"] = None

seed = st.session_state["dataset_shuffle_seed"]
indices = browse.select_indices(labels, classes, predicted, misclassified_only, seed)
if len(indices):
    image_pages(dataset, images, labels, predicted, indices, page_size,
                selection=f"{name}:{split}:{classes}:{page_size}:{misclassified_only}:{seed}")
elif misclassified_only:
    st.success(f"The active model gets every selected {dataset.noun} of the {split} split right.")
else:
    st.info(f"Choose at least one {dataset.noun}.")

histogram_column, means_column = st.columns(2)
with histogram_column:
    st.subheader(f"{dataset.noun.capitalize()}s in the {split} split")
    counts = browse.class_counts(labels)
    figure = go.Figure(go.Bar(x=list(dataset.class_names), y=counts, text=counts, marker_color="#4c78a8"))
    figure.update_layout(height=300, margin=dict(l=10, r=10, t=10, b=10), xaxis=dict(title="class", type="category"),
                         yaxis_title="images")
    st.plotly_chart(figure, width="stretch")
with means_column:
    st.subheader(f"The mean image of each {dataset.noun}")
    means = class_means(name, split)
    means = (means / max(float(means.max()), 1e-6) * 255).astype(np.uint8)
    captions, scale, _ = browse.caption_layout(list(dataset.class_names), MOSAIC_WIDTH)
    st.image(browse.labelled_mosaic(means, captions, columns=5, scale=scale),
             alt=f"The average {split} image of each {dataset.noun}: " + ", ".join(dataset.class_names))
