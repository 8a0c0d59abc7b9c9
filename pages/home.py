"""Home: what LeNet-5 is, the tutorial's layer table, the model in use now, and the way to every other page."""

from pathlib import Path

import streamlit as st

from lenet import config as lenet_config
from lenet import inference, models
from pages import common

PAGES = [
    ("pages/draw.py", "Draw a digit", "✏️", "and watch the active model classify it stroke by stroke."),
    ("pages/train.py", "Train", "🏋️", "a LeNet-5 of your own, following its loss and accuracy live."),
    ("pages/dataset.py", "Dataset", "🔢", "browse MNIST by split and digit, and find the model's mistakes."),
    ("pages/my_digits.py", "My digits", "🖐️", "collect your own handwriting and fine-tune on it."),
    ("pages/model.py", "Model", "🧠", "the active network layer by layer: its weights and filters."),
    ("pages/runs.py", "Runs", "📈", "compare training runs and choose the model the app uses."),
]


@st.cache_data(show_spinner=False)
def tutorial_layer_table():
    """The tutorial's network, described from the model itself, so the table cannot drift from the code."""
    return models.layer_table(models.build_model(lenet_config.ModelConfig()))


def test_accuracy(model_path):
    """The test accuracy in a model's card; None if unknown or unreadable."""
    try:
        return inference.read_card(model_path).test_accuracy
    except inference.ModelLoadError:
        return None


st.title("✏️ LeNet-5 Studio")
st.markdown(
    "**LeNet-5** is the convolutional network with which Yann LeCun, Léon Bottou, Yoshua Bengio and Patrick Haffner "
    "read handwritten digits in *Gradient-Based Learning Applied to Document Recognition* (1998). Small "
    "convolutions find strokes, pooling forgets exactly where they were, and a few dense layers turn what is left "
    "into a digit.\n\n"
    "This studio follows the well-known Keras tutorial: two 5×5 **tanh** convolutions, each followed by 2×2 "
    "**average pooling**, then dense layers of **120**, **84** and **10** (softmax) units — **44,426** parameters. "
    "It trains with **Adam**, batches of **128**, for **20 epochs** on the first **50,000** MNIST training images, "
    "validates on the other **10,000** and scores on the **10,000** test images, reaching about **98.5%**."
)

table_column, model_column = st.columns([3, 2], gap="large")
with table_column:
    st.subheader("The tutorial's network")
    rows = tutorial_layer_table()
    st.dataframe(rows, hide_index=True, width="stretch", column_config={
        "layer": "Layer", "type": "Type", "output_shape": "Output shape",
        "params": st.column_config.NumberColumn("Parameters", format="localized"),
    })
    st.markdown(f"**Total: {sum(row['params'] for row in rows):,} parameters**")

with model_column:
    st.subheader("The model in use")
    st.markdown(f"**{common.active_model_label()}**")
    accuracy = test_accuracy(st.session_state["active_model"])
    st.metric("Test accuracy", f"{accuracy:.2%}" if accuracy is not None else "—")
    if accuracy is None:
        st.caption("No test accuracy is recorded beside this model.")
    st.caption(f"`{Path(st.session_state['active_model']).name}`: Draw, Dataset and Model all use this model; "
               "the Runs page switches to another.")

st.subheader("Where to go")
link_columns = st.columns(3)
for number, (page, label, icon, purpose) in enumerate(PAGES):
    with link_columns[number % 3]:
        st.page_link(page, label=label, icon=icon)
        st.caption(purpose)
