"""LeNet-5 in Keras: the tutorial's 28×28 network and the 32×32 network of LeCun et al. 1998.

Both take 28×28×1 MNIST images; the paper variant pads them to 32×32 inside the model, so preprocessing and
inference never need to know which variant they hold.
"""

import keras
from keras import layers

from lenet.config import ModelConfig

INPUT_SHAPE = (28, 28, 1)
PAPER_PADDING = 2  # 28 + 2·2 = 32, the input size of the 1998 paper (the 32x32 variant)


def build_model(model_config=None):
    """A fresh, uncompiled LeNet-5 whose layers are named C1, S2, C3, S4, F5, F6 and OUTPUT."""
    model_config = model_config or ModelConfig()
    activation = model_config.activation
    pooling = layers.AveragePooling2D if model_config.pooling == "average" else layers.MaxPooling2D
    stack = [keras.Input(shape=INPUT_SHAPE, name="image")]
    if model_config.variant == "32x32":
        stack.append(layers.ZeroPadding2D(PAPER_PADDING, name="PAD"))
    stack += [layers.Conv2D(6, 5, activation=activation, name="C1"), pooling(2, name="S2")]
    # Normalizing after the pooling keeps C1 to S4 what the pages show: each layer's activations as they were.
    stack += [layers.BatchNormalization(name="N2")] if model_config.batch_norm else []
    stack += [layers.Conv2D(16, 5, activation=activation, name="C3"), pooling(2, name="S4")]
    stack += [layers.BatchNormalization(name="N4")] if model_config.batch_norm else []
    stack += [
        layers.Flatten(name="FLAT"),
        layers.Dense(120, activation=activation, name="F5"),
        layers.Dense(84, activation=activation, name="F6"),
        layers.Dense(10, activation="softmax", name="OUTPUT"),
    ]
    return keras.Sequential(stack, name=f"lenet5_{model_config.variant}")


def layer_table(model):
    """One row per layer, as in the tutorial's table: name, type, output shape and parameter count."""
    rows = []
    for layer in model.layers:
        shape = tuple(layer.output.shape)
        rows.append({
            "layer": layer.name,
            "type": type(layer).__name__,
            "output_shape": "(" + ", ".join("None" if size is None else str(size) for size in shape) + ")",
            "params": int(layer.count_params()),
        })
    return rows


def format_layer_table(model):
    """The layer table as fixed-width text, ending with the total."""
    rows = layer_table(model)
    lines = [f"{'Layer':<8} {'Type':<18} {'Output shape':<20} {'Params':>8}", "-" * 57]
    lines += [f"{r['layer']:<8} {r['type']:<18} {r['output_shape']:<20} {r['params']:>8,}" for r in rows]
    lines += ["-" * 57, f"{'Total params':<48} {model.count_params():>8,}"]
    return "\n".join(lines)
