"""The Train form is generated from lenet.config.TRAIN_FORM: every setting it offers is a TrainConfig field, each
widget's range and choices are the engine's own, and every preset's value fits its widget."""

import dataclasses

import pytest

from lenet import config
from lenet.data import datasets
from studio import state, train_form

FIELDS = {field.name for field in dataclasses.fields(config.TrainConfig)}
PRESETS = [(dataset, name) for dataset in datasets.DATASETS for name in config.PRESET_NAMES]


def test_every_setting_of_the_form_is_a_train_config_field_offered_once():
    names = [setting.name for setting in config.TRAIN_FORM]
    assert set(names) <= FIELDS and len(names) == len(set(names))
    assert all(setting.kind in train_form.WIDGETS and setting.help and setting.label for setting in config.TRAIN_FORM)


def test_the_ranges_and_choices_are_the_engines():
    by_name = {setting.name: setting for setting in config.TRAIN_FORM}
    assert by_name["epochs"].bounds is config.EPOCH_RANGE
    assert by_name["batch_size"].bounds is config.BATCH_SIZE_RANGE
    assert by_name["learning_rate"].bounds is config.LEARNING_RATE_RANGE
    assert by_name["seed"].bounds is config.SEED_RANGE
    assert by_name["shift_pixels"].bounds is config.SHIFT_RANGE
    assert by_name["rotation_degrees"].bounds is config.ROTATION_RANGE
    assert by_name["ema_momentum"].bounds is config.EMA_RANGE
    assert by_name["variant"].choices == tuple(config.VARIANTS)
    assert by_name["activation"].choices == config.ACTIVATIONS and by_name["pooling"].choices == config.POOLINGS
    assert by_name["optimizer"].choices == config.OPTIMIZERS and by_name["schedule"].choices == config.SCHEDULES


@pytest.mark.parametrize(("dataset", "preset"), PRESETS)
def test_every_presets_value_fits_its_widget(dataset, preset):
    values = config.get_preset(preset, dataset)
    for setting in config.TRAIN_FORM:
        value = getattr(values, setting.name)
        if setting.kind == "select":
            assert value in setting.choices, (setting.name, value)
        else:
            low, high = setting.bounds
            assert low <= value <= high and type(value) is type(low) is type(setting.step), (setting.name, value)


def test_the_widget_arguments_come_from_the_table_with_the_chosen_datasets_sizes():
    epochs = next(setting for setting in config.TRAIN_FORM if setting.name == "epochs")
    widget, arguments = train_form.widget_arguments(epochs, datasets.FASHION)
    assert widget == "number_input" and arguments["key"] == "train_epochs"
    assert (arguments["min_value"], arguments["max_value"], arguments["step"]) == (*config.EPOCH_RANGE, 1)
    assert f"{datasets.FASHION.train_size:,} training images" in arguments["help"]
    rate = next(setting for setting in config.TRAIN_FORM if setting.name == "learning_rate")
    assert train_form.widget_arguments(rate, datasets.MNIST)[1]["format"] == "%.4f"
    variant = next(setting for setting in config.TRAIN_FORM if setting.name == "variant")
    widget, arguments = train_form.widget_arguments(variant, datasets.MNIST)
    assert widget == "selectbox" and arguments["options"] == list(config.VARIANTS) and "min_value" not in arguments


def test_the_session_starts_with_every_setting_of_the_form_from_the_default_preset():
    preset = config.get_preset(state.TRAIN_DEFAULT_PRESET)
    for setting in config.TRAIN_FORM:
        assert state.SESSION_DEFAULTS[f"train_{setting.name}"] == getattr(preset, setting.name)
