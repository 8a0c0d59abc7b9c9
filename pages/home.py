"""Home: what LeNet-5 is, the tutorial's layer table, the model in use now, and the way to every other page."""

from pathlib import Path

import streamlit as st

from lenet import config as lenet_config
from lenet.data import datasets
from lenet.model import builders
from lenet.serve import inference
from studio import components, loaders, router, state
from studio.escaping import plain


@st.cache_data(show_spinner=False)
def tutorial_layer_table():
    """The tutorial's network, described from the model itself, so the table cannot drift from the code."""
    return builders.layer_table(builders.build_model(lenet_config.ModelConfig()))


def tutorial_text(parameters):
    """The tutorial in a paragraph; the recipe, the split and the sizes are read from the preset and the registry."""
    seed, mnist = lenet_config.get_preset("seed"), datasets.MNIST
    titles = " and ".join(dataset.title for dataset in datasets.DATASETS.values())
    return (
        f"This studio follows the well-known Keras tutorial: two 5×5 **{seed.activation}** convolutions, each "
        f"followed by 2×2 **{seed.pooling} pooling**, then dense layers of **120**, **84** and **10** (softmax) units "
        f"— **{parameters:,}** parameters. It trains with **{seed.optimizer.capitalize()}**, batches of "
        f"**{seed.batch_size}**, for **{seed.epochs} epochs** on the first **{mnist.train_size:,}** training images, "
        f"validates on the other **{mnist.validation_size:,}** and scores on the test images. Here it learns "
        f"{titles}: the same 28×28 grey images, {mnist.noun}s in one and {datasets.FASHION.noun}s in the other.")


router.require_router()
st.title("✏️ LeNet-5 Studio")
rows = tutorial_layer_table()
parameters = sum(row["params"] for row in rows)
st.markdown(
    "**LeNet-5** is the convolutional network with which Yann LeCun, Léon Bottou, Yoshua Bengio and Patrick Haffner "
    "read handwritten digits in *Gradient-Based Learning Applied to Document Recognition* (1998). Small "
    "convolutions find strokes, pooling forgets exactly where they were, and a few dense layers turn what is left "
    "into a class.\n\n" + tutorial_text(parameters))

table_column, model_column = st.columns([3, 2], gap="large")
with table_column:
    st.subheader("The tutorial's network")
    st.dataframe(rows, hide_index=True, width="stretch", column_config={
        "layer": "Layer", "type": "Type", "output_shape": "Output shape",
        "params": st.column_config.NumberColumn("Parameters", format="localized"),
    })
    st.markdown(f"**Total: {parameters:,} parameters**")

with model_column:
    st.subheader("The model in use")
    st.markdown(f"**{loaders.active_model_label()}**")
    try:
        model_card = loaders.active_card()
    except inference.ModelLoadError as error:
        st.error(f"Cannot read the active model: {plain(error)}")
    else:
        accuracy = model_card.test_accuracy
        st.metric(f"Test accuracy on {model_card.dataset_info.title}", f"{accuracy:.2%}" if accuracy is not None else "—")
        if accuracy is None:
            st.caption("No test accuracy is recorded in this model's card.")
        components.describe_model(model_card)
    st.caption(f"`{Path(state.active_model()).name}`: every page uses this model; choose another in the sidebar "
               "or on the Runs page.")

st.subheader("Where to go")
link_columns = st.columns(3)
for number, page in enumerate(router.PAGES[1:]):
    with link_columns[number % 3]:
        st.page_link(page.path, label=page.title, icon=page.icon)
        st.caption(page.purpose)
