"""Dataset: page through MNIST by split and digit, with class counts, mean images and the active model's mistakes."""

from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from lenet import dataset_views, inference
from pages import common

SPLITS = {"train": ("x_train", "y_train"), "validation": ("x_val", "y_val"), "test": ("x_test", "y_test")}
PAGE_SIZES = (50, 100, 150, 200)
DIGITS = list(range(10))
COLUMNS = 16  # digits per row; 16 doubled digits fit the wide layout at their true size
RIGHT, WRONG = "#31333f", "#d62728"  # caption colours: the model's mistakes stand out in red


def split_arrays(split):
    images_name, labels_name = SPLITS[split]
    splits = common.load_splits()
    return getattr(splits, images_name), getattr(splits, labels_name)


@st.cache_data(max_entries=4, show_spinner=False)
def class_means(split):
    return dataset_views.class_means(*split_arrays(split))


@st.cache_data(max_entries=6, show_spinner="Classifying every digit of the split…")
def predictions(model_path, modified_time, split):
    """The model's digit for each image of a split; the key holds the file's time, so a retrained model is re-run."""
    return common.load_classifier(model_path).probabilities(split_arrays(split)[0]).argmax(axis=1).astype(np.uint8)


@st.fragment
def digit_pages(images, labels, predicted, indices, page_size, selection):
    """The pages of digits. A fragment: turning a page redraws only this, not the charts below."""
    # The key names the selection, so a new selection starts again at page 1.
    page = st.pagination(dataset_views.page_count(len(indices), page_size), key=f"dataset_page:{selection}",
                         max_visible_pages=9)
    shown = dataset_views.page_of(indices, page, page_size)
    first = (page - 1) * page_size + 1
    legend = " Under each digit: *label › the model's digit*, red where it is wrong." if predicted is not None else ""
    st.caption(f"Digits {first:,}–{first + len(shown) - 1:,} of the {len(indices):,} selected.{legend}")
    if predicted is None:
        captions, colors = [str(labels[i]) for i in shown], None
    else:
        captions = [f"{labels[i]} › {predicted[i]}" for i in shown]
        colors = [RIGHT if labels[i] == predicted[i] else WRONG for i in shown]
    thumbnails = (images[shown] * 255).astype(np.uint8)
    st.image(dataset_views.labelled_mosaic(thumbnails, captions, COLUMNS, caption_colors=colors),
             alt=f"{len(shown)} handwritten digits, row by row, labelled: " + "; ".join(captions))


st.title("🔢 Dataset")
st.caption("MNIST as the tutorial splits it: the first 50,000 training images train, the last 10,000 validate, "
           "and the 10,000 test images are kept for the final score.")

split_column, classes_column, size_column = st.columns([1.3, 3, 1])
split = split_column.segmented_control("Split", list(SPLITS), default="train", key="dataset_split") or "train"
classes = classes_column.multiselect("Digits", DIGITS, default=DIGITS, key="dataset_classes")
page_size = size_column.selectbox("Digits per page", PAGE_SIZES, index=1, key="dataset_page_size")

images, labels = split_arrays(split)
predicted = None
toggles = st.columns(4)
if toggles[0].toggle("Show predictions", key="dataset_show_predictions",
                     help="Put the active model's digit under each image"):
    model_path = Path(st.session_state["active_model"])
    try:
        predicted = predictions(str(model_path), model_path.stat().st_mtime, split)
    except (OSError, inference.ModelLoadError) as error:
        st.warning(f"Cannot classify with the active model: {error}")
misclassified_only = toggles[1].toggle("Misclassified only", key="dataset_misclassified_only",
                                       disabled=predicted is None) and predicted is not None
if toggles[2].button("🎲 Random sample", help="Show the selected digits in a new random order"):
    st.session_state["dataset_shuffle_seed"] = int(np.random.default_rng().integers(2**31))
if toggles[3].button("Dataset order", disabled=st.session_state["dataset_shuffle_seed"] is None):
    st.session_state["dataset_shuffle_seed"] = None

seed = st.session_state["dataset_shuffle_seed"]
indices = dataset_views.select_indices(labels, classes, predicted, misclassified_only, seed)
if len(indices):
    digit_pages(images, labels, predicted, indices, page_size,
                selection=f"{split}:{classes}:{page_size}:{misclassified_only}:{seed}")
elif misclassified_only:
    st.success(f"The active model gets every selected digit of the {split} split right.")
else:
    st.info("Choose at least one digit.")

histogram_column, means_column = st.columns(2)
with histogram_column:
    st.subheader(f"Digits in the {split} split")
    counts = dataset_views.class_counts(labels)
    figure = go.Figure(go.Bar(x=DIGITS, y=counts, text=counts, marker_color="#4c78a8"))
    figure.update_layout(height=300, margin=dict(l=10, r=10, t=10, b=10), xaxis=dict(dtick=1, title="digit"),
                         yaxis_title="images")
    st.plotly_chart(figure, width="stretch")
with means_column:
    st.subheader("The mean image of each digit")
    means = class_means(split)
    means = (means / max(float(means.max()), 1e-6) * 255).astype(np.uint8)
    st.image(dataset_views.labelled_mosaic(means, [str(digit) for digit in DIGITS], columns=5),
             alt=f"The average {split} image of each digit, 0 to 9")
