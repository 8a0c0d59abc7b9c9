import math

import pytest

from lenet import config, files
from lenet.data import datasets


def test_seed_preset_is_the_tutorial():
    seed = config.get_preset("seed")
    assert (seed.activation, seed.pooling, seed.optimizer) == ("tanh", "average", "adam")
    assert (seed.batch_size, seed.epochs, seed.learning_rate) == (128, 20, 0.001)
    assert not seed.augments


def test_overrides_replace_only_what_is_given():
    tuned = config.make_config("best", epochs=3, batch_size=None)
    assert tuned.epochs == 3
    assert tuned.batch_size == config.get_preset("best").batch_size


@pytest.mark.parametrize("setting, value, words", [
    ("epochs", 0, "epochs must be from 1 to 200"),
    ("epochs", 201, "epochs must be from 1 to 200"),
    ("epochs", 2.5, "epochs must be a whole number"),
    ("batch_size", 7, "batch_size must be from 8 to 4096"),
    ("batch_size", 4097, "batch_size must be from 8 to 4096"),
    ("learning_rate", 0.0, "learning_rate must be in (0, 1]"),
    ("learning_rate", 1.5, "learning_rate must be in (0, 1]"),
    ("activation", "sigmoid", "activation must be one of tanh, relu"),
    ("pooling", "min", "pooling must be one of average, max"),
    ("rotation_degrees", 90.0, "rotation_degrees must be from 0 to 45"),
    ("scale_fraction", 0.6, "scale_fraction must be from 0 to 0.5"),
    ("shear_degrees", -1.0, "shear_degrees must be from 0 to 45"),
    ("elastic_alpha", 101.0, "elastic_alpha must be from 0 to 100"),
    ("elastic_sigma", 0.5, "elastic_sigma must be from 1 to 10"),
    ("label_smoothing", 0.6, "label_smoothing must be from 0 to 0.5"),
    ("outlier_weight", 4.5, "outlier_weight must be from 0 to 4"),
    ("drawn_digits", 65, "drawn_digits must be from 0 to 64"),
    ("drawn_digits", 2.5, "drawn_digits must be a whole number from 0 to 64"),
    ("flip_horizontal", "yes", "flip_horizontal must be true or false"),
    ("erase_probability", 1.5, "erase_probability must be from 0 to 1"),
    ("stroke_width", 1.5, "stroke_width must be from 0 to 1"),
    ("stroke_width", "thick", "stroke_width must be from 0 to 1"),
    ("undistorted_epochs", -1, "undistorted_epochs must be from 0 to 200"),
    ("undistorted_epochs", 1.5, "undistorted_epochs must be a whole number from 0 to 200"),
])
def test_out_of_range_settings_are_refused_with_their_range(setting, value, words):
    with pytest.raises(config.ConfigError) as refused:
        config.make_config("seed", **{setting: value})
    assert words in str(refused.value)


@pytest.mark.parametrize("setting", [{"my_digits": True}, {"drawn_digits": 8}])
def test_digits_cannot_train_a_clothes_model(setting):
    with pytest.raises(config.ConfigError, match="cannot train a fashion model"):
        config.make_config("best", dataset="fashion", **setting)


@pytest.mark.parametrize("setting, value", [
    ("shift_pixels", 1.0), ("rotation_degrees", 5.0), ("scale_fraction", 0.1), ("shear_degrees", 10.0),
    ("flip_horizontal", True), ("elastic_alpha", 34.0), ("erase_probability", 0.5), ("stroke_width", 0.5),
])
def test_any_augmentation_counts_as_augmenting(setting, value):
    assert config.make_config("seed", **{setting: value}).augments
    assert not config.make_config("seed", label_smoothing=0.1).augments  # changes the loss, not the images


def test_limits_are_inclusive():
    assert config.make_config("seed", epochs=1, batch_size=8, learning_rate=1.0).epochs == 1
    assert config.make_config("seed", epochs=200, batch_size=4096).batch_size == 4096


def test_unknown_preset_and_setting_are_named():
    with pytest.raises(config.ConfigError, match="preset must be one of seed, best, quick"):
        config.make_config("fastest")
    with pytest.raises(config.ConfigError, match="unknown setting.*dropout"):
        config.make_config("seed", dropout=0.5)


def test_config_round_trips_through_a_dict():
    original = config.make_config("best", seed=7)
    assert config.TrainConfig.from_dict(original.to_dict()) == original


def test_locations_follow_environment_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("LENET_RUNS_DIR", str(tmp_path / "elsewhere"))
    assert files.runs_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv("LENET_RUNS_DIR")
    assert files.runs_dir() == files.PROJECT_ROOT / "runs"


def test_weight_averaging_longer_than_the_run_is_warned_about():
    assert config.get_preset("best").warnings() == []  # 11 epochs of 391 steps forget the first weights
    assert config.make_config("best", ema_momentum=0.0, epochs=1, undistorted_epochs=0).warnings() == []
    short = config.make_config("best", epochs=1, undistorted_epochs=0).warnings()
    assert len(short) == 1 and "only 391" in short[0] and "0.99" in short[0]
    assert config.make_config("best", epochs=1, ema_momentum=0.99, undistorted_epochs=0).warnings() == []
    # The run length it assumes is the tutorial's training split: one epoch of batches of 128.
    assert f"only {math.ceil(datasets.MNIST.train_size / 128)}" in short[0]


@pytest.mark.parametrize("dataset_name", list(datasets.DATASETS))
@pytest.mark.parametrize("preset_name", config.PRESET_NAMES)
def test_no_preset_warns_about_its_own_settings(dataset_name, preset_name):
    # A preset is a recipe we stand behind, so the warnings it would show a learner on the Train page must be empty.
    assert config.get_preset(preset_name, dataset_name).warnings() == []


def test_undistorted_epochs_that_leave_no_distorted_epoch_are_warned_about():
    assert config.make_config("best", epochs=3, undistorted_epochs=2, ema_momentum=0.0).warnings() == []
    all_undistorted = config.make_config("best", epochs=2, undistorted_epochs=2, ema_momentum=0.0).warnings()
    assert len(all_undistorted) == 1 and "never apply" in all_undistorted[0]
    # Without distortions there is nothing to turn off, so nothing to warn about.
    assert config.make_config("seed", epochs=2, undistorted_epochs=5).warnings() == []


def test_what_a_preset_sets_off_the_form_is_listed_and_nothing_on_it():
    best = config.get_preset("best", "mnist")
    beyond = config.settings_off_form(best)
    assert beyond["outlier_weight"] == best.outlier_weight > 0
    assert beyond["label_smoothing"] == best.label_smoothing > 0
    assert not set(beyond) & {setting.name for setting in config.TRAIN_FORM}
    assert config.settings_off_form(config.get_preset("seed", "fashion")) == {}
    # A setting on the form stays off the list however it is changed; one off the form joins it once changed.
    changed = config.make_config("seed", epochs=3, shear_degrees=5.0)
    assert config.settings_off_form(changed) == {"shear_degrees": 5.0}
