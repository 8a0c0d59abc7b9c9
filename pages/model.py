"""Model: the active network layer by layer, as a diagram and a table, with its weights and its convolution filters."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from lenet.model import builders
from studio import components, figures, loaders, router


def box_label(layer):
    """A diagram box: the layer's name, what it does and its output, as in the 1998 paper's figure."""
    shape, settings = tuple(layer.output.shape[1:]), layer.get_config()
    size = f"{shape[-1]}@{shape[0]}×{shape[1]}" if len(shape) == 3 else str(shape[0])
    kind = type(layer).__name__
    if kind == "Conv2D":
        kind = f"conv {settings['kernel_size'][0]}×{settings['kernel_size'][1]}, {settings['activation']}"
    elif "Pooling" in kind:
        pool = kind.split("Pooling")[0].lower().replace("average", "avg")
        kind = f"{pool} pool {settings['pool_size'][0]}×{settings['pool_size'][1]}"
    elif kind == "Dense":
        kind = f"dense, {settings['activation']}"
    elif kind == "ZeroPadding2D":
        kind = "zero padding"
    elif kind == "BatchNormalization":
        kind = "batch norm"
    return f"{layer.name}\\n{kind}\\n{size}"


def diagram(model):
    boxes = ["input\\n28×28"] + [box_label(layer) for layer in model.layers if type(layer).__name__ != "Flatten"]
    nodes = "\n".join(f'  n{number} [label="{label}"];' for number, label in enumerate(boxes))
    edges = " -> ".join(f"n{number}" for number in range(len(boxes)))
    style = ('node [shape=box, style="rounded,filled", fillcolor="#eef3fb", fontname="Helvetica", fontsize=16, '
             'margin="0.08,0.04"];\n  edge [arrowsize=0.6];')
    return f"digraph {{\n  rankdir=LR; ranksep=0.15; nodesep=0.1;\n  {style}\n{nodes}\n  {edges};\n}}"


def weight_histograms(model):
    weighted = [layer for layer in model.layers if hasattr(layer, "kernel")]  # batch norm has scales, not kernels
    figure = make_subplots(rows=1, cols=len(weighted), subplot_titles=[layer.name for layer in weighted])
    for column, layer in enumerate(weighted, start=1):
        counts, edges = np.histogram(layer.get_weights()[0], bins=40)
        figure.add_trace(go.Bar(x=(edges[:-1] + edges[1:]) / 2, y=counts, marker_color="#4c78a8", name=layer.name,
                                hovertemplate="weight %{x:.3f}: %{y} values<extra></extra>"), row=1, col=column)
    figure.update_layout(height=260, showlegend=False, bargap=0, margin=dict(l=10, r=10, t=30, b=10))
    return figure


router.require_router()
st.title("🧠 Model")
st.markdown(f"The active model: **{loaders.active_model_label()}**")
classifier = loaders.active_classifier_or_stop()
model = classifier.model
components.describe_model(classifier.card)

st.graphviz_chart(diagram(model))
rows = builders.layer_table(model)
st.dataframe(rows, hide_index=True, width="stretch", column_config={
    "layer": "Layer", "type": "Type", "output_shape": "Output shape",
    "params": st.column_config.NumberColumn("Parameters", format="localized"),
})
st.markdown(f"**Total: {model.count_params():,} parameters**")

st.subheader("Weights of each layer")
st.caption("How the kernel weights of each layer are spread (biases left out).")
st.plotly_chart(weight_histograms(model), width="stretch")

if "C1" in classifier.layer_names:
    st.subheader("C1: six 5×5 filters on the image")
    c1 = classifier.filters("C1")  # (5, 5, 1, 6)
    st.plotly_chart(figures.filters_figure(c1), width="stretch")
if "C3" in classifier.layer_names:
    st.subheader("C3: 16 filters, each 5×5 on all six S2 maps")
    c3 = classifier.filters("C3")  # (5, 5, 6, 16)
    st.plotly_chart(figures.filters_figure(c3, "S2 map", "C3 filter"), width="stretch")
    st.caption("Each column is one C3 filter; each row is the part of it that looks at one S2 map. The 1998 paper "
               "connected each C3 map to only some S2 maps; the tutorial, like this model, connects all of them.")
