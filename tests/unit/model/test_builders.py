import pytest

from lenet import config
from lenet.model import builders


@pytest.mark.parametrize("variant, params", [("28x28", 44_426), ("32x32", 61_706)])
def test_parameter_counts_match_the_tutorial_and_the_paper(variant, params):
    assert builders.build_model(config.ModelConfig(variant=variant)).count_params() == params


@pytest.mark.parametrize("activation, pooling", [("relu", "max"), ("tanh", "max"), ("relu", "average")])
def test_activation_and_pooling_do_not_change_the_size(activation, pooling):
    model = builders.build_model(config.ModelConfig("28x28", activation, pooling))
    assert model.count_params() == 44_426
    assert type(model.get_layer("S2")).__name__ == ("MaxPooling2D" if pooling == "max" else "AveragePooling2D")
    assert model.get_layer("C1").activation.__name__ == activation


def test_layers_carry_fixed_names_and_the_paper_pads_to_32():
    paper = builders.build_model(config.ModelConfig(variant="32x32"))
    assert [layer.name for layer in paper.layers] == ["PAD", "C1", "S2", "C3", "S4", "FLAT", "F5", "F6", "OUTPUT"]
    assert tuple(paper.get_layer("PAD").output.shape) == (None, 32, 32, 1)
    assert tuple(paper.get_layer("C1").output.shape) == (None, 28, 28, 6)
    assert paper.input_shape == (None, 28, 28, 1)


def test_layer_table_sums_to_the_total():
    model = builders.build_model()
    rows = builders.layer_table(model)
    assert sum(row["params"] for row in rows) == model.count_params()
    assert rows[0] == {"layer": "C1", "type": "Conv2D", "output_shape": "(None, 24, 24, 6)", "params": 156}
    assert builders.format_layer_table(model).splitlines()[-1].endswith("44,426")


@pytest.mark.parametrize("variant, params", [("28x28", 44_514), ("32x32", 61_794)])
def test_batch_norm_follows_each_pooling_and_stays_lenet_sized(variant, params):
    model = builders.build_model(config.ModelConfig(variant, "relu", "max", batch_norm=True))
    names = [layer.name for layer in model.layers if layer.name != "PAD"]
    assert names == ["C1", "S2", "N2", "C3", "S4", "N4", "FLAT", "F5", "F6", "OUTPUT"]
    assert model.count_params() == params <= 62_000  # 4 numbers per channel of S2 and S4, 2 of them trainable
    assert tuple(model.get_layer("N4").output.shape) == tuple(model.get_layer("S4").output.shape)


def test_batch_norm_must_be_true_or_false():
    with pytest.raises(config.ConfigError, match="batch_norm must be true or false"):
        config.ModelConfig(batch_norm="yes")
