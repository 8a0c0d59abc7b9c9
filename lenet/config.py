"""Configuration as data: the model and training settings, the presets, and the bundled models.

Every limit and default is defined here once; the CLI, the worker and the app's widgets read them from here.
"""

import dataclasses
import math
from dataclasses import dataclass

from lenet import files
from lenet.data import datasets

# The layer names other code uses to find feature maps, filters and features.
LAYER_NAMES = ("C1", "S2", "C3", "S4", "F5", "F6", "OUTPUT")
FEATURE_MAP_LAYERS = LAYER_NAMES[:4]  # the convolution and pooling layers, whose outputs are images
FEATURE_LAYER = "F6"  # the 84 features the output layer reads: the map of what the network learned, and likeness

# The two networks, named for the input they convolve; "seed" and "paper" are their names in older run configs.
VARIANTS = {
    "28x28": "the Keras tutorial's: convolves the 28×28 image itself (44,426 parameters)",
    "32x32": "the 1998 paper's: pads the image to 32×32 first, so C1 sees strokes at the edges (61,706 parameters)",
}
OLD_VARIANT_NAMES = {"seed": "28x28", "paper": "32x32"}
ACTIVATIONS = ("tanh", "relu")
POOLINGS = ("average", "max")
OPTIMIZERS = ("adam", "sgd", "rmsprop")
SCHEDULES = ("constant", "onecycle", "cosine")

# Allowed ranges, inclusive unless noted: (low, high).
EPOCH_RANGE = (1, 200)
BATCH_SIZE_RANGE = (8, 4096)
LEARNING_RATE_RANGE = (0.0, 1.0)  # low end exclusive
SHIFT_RANGE = (0.0, 6.0)  # pixels
ROTATION_RANGE = (0.0, 45.0)  # degrees
SCALE_RANGE = (0.0, 0.5)  # fraction of the size, along each axis
SHEAR_RANGE = (0.0, 45.0)  # degrees
ELASTIC_ALPHA_RANGE = (0.0, 100.0)  # Simard et al. 2003 used 34 on MNIST
ELASTIC_SIGMA_RANGE = (1.0, 10.0)  # pixels; Simard et al. 2003 used 4
ERASE_RANGE = (0.0, 1.0)  # a probability
STROKE_WIDTH_RANGE = (0.0, 1.0)  # pixels of a stroke's width: one step of a 2×2 dilation or erosion
LABEL_SMOOTHING_RANGE = (0.0, 0.5)
OUTLIER_WEIGHT_RANGE = (0.0, 4.0)
DRAWN_DIGITS_RANGE = (0, 64)  # drawn digits added to each batch
EMA_RANGE = (0.0, 0.9999)
EMA_FIRST_WEIGHTS_LIMIT = 0.05  # warn when the saved average still holds more of the first weights than this
MY_DIGITS_REPEAT_RANGE = (1, 1000)
SEED_RANGE = (0, 2**32 - 1)  # what numpy and TensorFlow accept as a seed

# Retraining with "my digits" (the My digits page, finetune.retrain_config). Fine-tuning starts from a trained
# model, so a low rate and two epochs teach it the new digits without unlearning MNIST; my digits are repeated
# until they are about MY_DIGITS_SHARE of the training data, enough to matter and too few to take over.
FINETUNE_EPOCHS = 2
FINETUNE_LEARNING_RATE = 3e-4
MY_DIGITS_SHARE = 0.03


class ConfigError(ValueError):
    """A setting is out of range or unknown; the message names the setting and what is allowed."""


# The models that ship with the app, one per dataset, each trained with its dataset's best preset and carrying its
# model card. Draw starts with the MNIST one.
BUNDLED_MODELS = {name: files.PROJECT_ROOT / "models" / f"{name}-best.keras" for name in datasets.DATASETS}
BUNDLED_MODEL_PATH = BUNDLED_MODELS[datasets.DEFAULT]


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_range(name, value, allowed, integer=False):
    low, high = allowed
    if integer and (not isinstance(value, int) or isinstance(value, bool)):
        raise ConfigError(f"{name} must be a whole number from {low} to {high}, got {value!r}")
    if not _is_number(value) or not low <= value <= high:
        low, high = (low, high) if integer else (f"{low:g}", f"{high:g}")  # 4294967295, not 4.29497e+09
        raise ConfigError(f"{name} must be from {low} to {high}, got {value!r}")


def _check_choice(name, value, allowed):
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")


@dataclass(frozen=True)
class ModelConfig:
    variant: str = "28x28"  # see VARIANTS
    activation: str = "tanh"
    pooling: str = "average"
    # Batch normalization (Ioffe & Szegedy 2015) after each pooling layer, S2 and S4: every channel is rescaled to
    # mean 0 and variance 1 over the batch while training (over the whole training set once trained), which lets a
    # high learning rate train a small network in fewer epochs. 64 more parameters, 32 of them trainable.
    batch_norm: bool = False

    def __post_init__(self):
        _check_choice("variant", self.variant, VARIANTS)
        _check_choice("activation", self.activation, ACTIVATIONS)
        _check_choice("pooling", self.pooling, POOLINGS)
        if not isinstance(self.batch_norm, bool):
            raise ConfigError(f"batch_norm must be true or false, got {self.batch_norm!r}")

    def to_dict(self):
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class TrainConfig:
    dataset: str = datasets.DEFAULT
    preset: str = "seed"
    variant: str = "28x28"
    activation: str = "tanh"
    pooling: str = "average"
    batch_norm: bool = False  # see ModelConfig
    optimizer: str = "adam"
    epochs: int = 20
    batch_size: int = 128
    learning_rate: float = 0.001  # Adam's default, as the tutorial uses
    schedule: str = "constant"
    shift_pixels: float = 0.0  # random shifts up to this many pixels; 0 turns it off
    rotation_degrees: float = 0.0  # random rotations up to this angle; 0 turns it off
    # The 1998 paper's distortions: stretch or squeeze each axis by up to this fraction, and slant by up to this
    # angle (horizontal shear); 0 turns each off. Drawn with the shift and rotation, so still one interpolation.
    scale_fraction: float = 0.0
    shear_degrees: float = 0.0
    flip_horizontal: bool = False  # mirror a random half of the images: right for clothes, wrong for digits
    # Elastic distortion (Simard et al. 2003): random per-pixel displacements smoothed by a Gaussian of width
    # elastic_sigma pixels and scaled by elastic_alpha. Small sigma makes ripples, large sigma near-translations.
    elastic_alpha: float = 0.0  # 0 turns it off
    elastic_sigma: float = 4.0
    # Random erasing (Zhong et al. 2017): with this probability, hide a random rectangle of each image under noise,
    # so the network cannot lean on any one part of a garment. 0 turns it off.
    erase_probability: float = 0.0
    # Stroke width: a pen of another width. Each image's strokes grow or shrink by a random amount of up to this many
    # pixels of width (grey-scale dilation or erosion with a 2×2 square, blended in by that fraction); thinned ink
    # is brightened back as Draw's preprocessing brightens a thin pen's strokes. Draw's round pen may be thinner or
    # thicker than the strokes MNIST's writers made (thin-pen 6s were the bundled model's misreadings). 0: off.
    stroke_width: float = 0.0
    # End on the real images: the last this many epochs train with every distortion off, so that a small network
    # spends its final, low-rate steps fitting digits as they are written rather than as distorted (about 0.05
    # points on MNIST; BENCHMARKS.md). 0 distorts every epoch; as many as the epochs or more distorts none.
    undistorted_epochs: int = 0
    label_smoothing: float = 0.0  # train towards 1 - ε on the true class plus ε/10 on every class: less overconfidence
    ema_momentum: float = 0.0  # keep a moving average of the weights and save that; 0 turns it off
    # Outlier exposure (Hendrycks et al. 2019): the likeness check's non-digits (lenet.serve.outlier_bank) are mixed
    # into training, each aiming at a flat answer, 1/10 for every class, its loss weighed by this against a digit's.
    # The network learns to be unsure of what is not a digit, and the likeness check then reads its answer too
    # (lenet.serve.likeness). 0 turns it off.
    outlier_weight: float = 0.0
    # Digits drawn as on the canvas (lenet.serve.digit_bank: a round pen of one width, in the styles of
    # lenet.data.synthetic.DIGIT_STYLES, steady and shaky): this many join every batch under their own labels,
    # distorted with it. MNIST's writers seldom drew some shapes that people draw on a canvas or that type sets (a 1
    # with a long flag and no foot is read as a 7). 16 read such digits better at the same MNIST accuracy and refuse
    # as much of what no bank drew, but less of a family left out of training (question marks 66% against 68%), the
    # measure "not a digit" is chosen by, so no preset sets it (BENCHMARKS.md, "Reading drawings: digits drawn as on
    # the canvas, in training", and "Not a digit, family by family"). 0 turns it off; digit datasets only.
    drawn_digits: int = 0
    seed: int = 0
    # XLA: compile each training step into one fused program. Keras's default ("auto") turns it off on a machine
    # without a GPU, so configs saved before this setting (read as False) trained without it on a CPU. On 2 cores
    # it made a steady epoch 1.26-1.39× faster, at 2-8 s of compiling in the first epoch. It changes how sums round,
    # so it is a setting a run reproduces, the same on every machine, not "auto". `python -m lenet bench` measures
    # the presets with and without it (BENCHMARKS.md).
    jit_compile: bool = False
    # Human in the loop: train with "my digits" mixed in, from scratch or by fine-tuning a model.
    my_digits: bool = False
    my_digits_repeat: int = 20  # each of my digits is seen this many times per epoch
    init_model: str = ""  # a .keras file to fine-tune; empty starts from random weights

    def __post_init__(self):
        _check_choice("dataset", self.dataset, datasets.DATASETS)
        _check_choice("preset", self.preset, PRESET_NAMES)
        self.model_config()  # checks variant, activation and pooling
        _check_choice("optimizer", self.optimizer, OPTIMIZERS)
        _check_choice("schedule", self.schedule, SCHEDULES)
        _check_range("epochs", self.epochs, EPOCH_RANGE, integer=True)
        _check_range("batch_size", self.batch_size, BATCH_SIZE_RANGE, integer=True)
        _check_range("shift_pixels", self.shift_pixels, SHIFT_RANGE)
        _check_range("rotation_degrees", self.rotation_degrees, ROTATION_RANGE)
        _check_range("scale_fraction", self.scale_fraction, SCALE_RANGE)
        _check_range("shear_degrees", self.shear_degrees, SHEAR_RANGE)
        if not isinstance(self.flip_horizontal, bool):
            raise ConfigError(f"flip_horizontal must be true or false, got {self.flip_horizontal!r}")
        _check_range("elastic_alpha", self.elastic_alpha, ELASTIC_ALPHA_RANGE)
        _check_range("elastic_sigma", self.elastic_sigma, ELASTIC_SIGMA_RANGE)
        _check_range("erase_probability", self.erase_probability, ERASE_RANGE)
        _check_range("stroke_width", self.stroke_width, STROKE_WIDTH_RANGE)
        _check_range("undistorted_epochs", self.undistorted_epochs, (0, EPOCH_RANGE[1]), integer=True)
        _check_range("label_smoothing", self.label_smoothing, LABEL_SMOOTHING_RANGE)
        _check_range("ema_momentum", self.ema_momentum, EMA_RANGE)
        _check_range("outlier_weight", self.outlier_weight, OUTLIER_WEIGHT_RANGE)
        _check_range("drawn_digits", self.drawn_digits, DRAWN_DIGITS_RANGE, integer=True)
        _check_range("my_digits_repeat", self.my_digits_repeat, MY_DIGITS_REPEAT_RANGE, integer=True)
        _check_range("seed", self.seed, SEED_RANGE, integer=True)
        if not isinstance(self.jit_compile, bool):
            raise ConfigError(f"jit_compile must be true or false, got {self.jit_compile!r}")
        low, high = LEARNING_RATE_RANGE
        if not _is_number(self.learning_rate) or not low < self.learning_rate <= high:
            raise ConfigError(f"learning_rate must be in ({low:g}, {high:g}], got {self.learning_rate!r}")
        if self.my_digits and not datasets.get(self.dataset).is_digits:
            raise ConfigError(f"my digits are handwritten digits; they cannot train a {self.dataset} model")
        if self.drawn_digits and not datasets.get(self.dataset).is_digits:
            raise ConfigError(f"drawn digits are digits; they cannot train a {self.dataset} model (set drawn_digits 0)")

    def model_config(self):
        return ModelConfig(self.variant, self.activation, self.pooling, self.batch_norm)

    @property
    def moves_pixels(self):
        """Whether a distortion moves pixels off the grid, so that each image must be interpolated (flips do not)."""
        return (self.shift_pixels > 0 or self.rotation_degrees > 0 or self.scale_fraction > 0 or self.shear_degrees > 0
                or self.elastic_alpha > 0)

    @property
    def augments(self):
        return self.moves_pixels or self.flip_horizontal or self.erase_probability > 0 or self.stroke_width > 0

    def to_dict(self):
        return dataclasses.asdict(self)

    def warnings(self):
        """Settings that are valid but will likely disappoint, each in words a user can act on."""
        found = []
        if self.augments and self.undistorted_epochs >= self.epochs:
            found.append(
                f"All {self.epochs} epochs are undistorted (undistorted_epochs {self.undistorted_epochs}), so the "
                "distortions never apply. Train more epochs, or lower undistorted_epochs below the epochs.")
        if self.ema_momentum:
            steps = self.epochs * math.ceil(datasets.get(self.dataset).train_size / self.batch_size)
            # The average starts at the first step's weights and forgets them at rate ema_momentum per step.
            first_weights_left = self.ema_momentum ** steps
            if first_weights_left > EMA_FIRST_WEIGHTS_LIMIT:
                window = round(1 / (1 - self.ema_momentum))
                found.append(
                    f"Weight averaging {self.ema_momentum:g} averages over about the last {window:,} steps, but this "
                    f"run takes only {steps:,}: the saved model would still be {first_weights_left:.0%} its untrained "
                    f"first weights. Train more epochs, lower it (0.99 averages about 100 steps), or set it to 0.")
        return found

    @classmethod
    def from_dict(cls, values):
        """A config from its dict, as saved in config.json or a model card; older files' names are still read."""
        if not isinstance(values, dict):
            raise ConfigError(f"a config must be a mapping of settings, got {type(values).__name__}")
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        values = dict(values)
        values["variant"] = OLD_VARIANT_NAMES.get(values.get("variant"), values.get("variant", "28x28"))
        return cls(**values)


PRESET_NAMES = ("seed", "best", "quick")
PRESET_DESCRIPTIONS = {
    "seed": "the Keras tutorial as written: tanh, average pooling, Adam 1e-3, batch 128, 20 epochs",
    "best": "our recipe for this dataset: relu, max pooling and batch normalization, one-cycle Adam, distortions "
            "that suit the dataset, and weight averaging; it fills in its own epochs and sizes (BENCHMARKS.md, Presets)",
    "quick": "2 epochs, for demos and tests",
}

# Each dataset has its own presets: the tutorial's recipe is the same everywhere, the best recipe is not.
# jit_compile stays off in every preset until `python -m lenet bench` shows that XLA pays over a whole run.
PRESETS = {
    "mnist": {
        # The Keras tutorial as written.
        "seed": TrainConfig(preset="seed"),
        # Our recipe (BENCHMARKS.md, "Presets"): relu and max pooling learn faster than tanh and average pooling;
        # batch normalization after S2 and S4 lets a high one-cycle rate (4e-3: warm up, then cosine decay) train
        # in 11 epochs; the paper's distortions (shifts ±1.5 px, rotations ±8°, stretch ±10%, slant ±10°) stop the
        # network memorising stroke positions, and the last epoch trains without them; strokes made up to a pixel
        # thicker or thinner, as by another pen, read the stroke-drawn digits a little better (3 seeds, 2026-12-04:
        # 98.3% against 98.0%, and MNIST test 99.47% against 99.44%); label smoothing 0.1 keeps the network from
        # betting everything on one digit; an average of the weights smooths the end. 11 epochs, not 13, keep it
        # within `seed`'s time; label smoothing and the higher rate more than won them back (3 seeds: 99.53%
        # against 99.47%, BENCHMARKS.md). Outlier exposure (outlier_weight 2: eight of the bank's non-digits in every
        # batch, each aimed at a flat answer) lets the likeness check read the network's own doubt too: it refused
        # 85.4% of a family of non-digits left out of both the training and its own fit, against 80.5% (12-06). Such
        # a network answers some drawings between two digits with every unit off, where "What would make it a k?"
        # steps towards k's mean image (lenet.explain.attribution) since no gradient points anywhere.
        "best": TrainConfig(
            preset="best", activation="relu", pooling="max", batch_norm=True, epochs=11, batch_size=128,
            learning_rate=0.004, schedule="onecycle", shift_pixels=1.5, rotation_degrees=8.0, scale_fraction=0.1,
            shear_degrees=10.0, stroke_width=1.0, undistorted_epochs=1, label_smoothing=0.1, ema_momentum=0.999,
            outlier_weight=2.0,
        ),
        # A few seconds, for demos and tests.
        "quick": TrainConfig(
            preset="quick", activation="relu", pooling="max", epochs=2, batch_size=256, learning_rate=0.003,
        ),
    },
    "fashion": {
        "seed": TrainConfig(dataset="fashion", preset="seed"),
        # As MNIST's, but a garment mirrored is still that garment, while shifted, turned, slanted or partly erased
        # it is a little less like Fashion-MNIST's centred photos: horizontal flips are the only distortion. Clothes
        # need more capacity than digits: the paper's 32x32 network (61,794 parameters), paid for with batches of
        # 256 and 10 epochs. It still fits its training images better than new ones (95% against 91.5%): label
        # smoothing 0.1 and a high peak rate, 1.5e-2, hold it back from them, where distortions that hide or move
        # parts of a garment cost it capacity (3 seeds, 2026-12-05: 91.44% against 91.01%; an 11th epoch gave
        # 91.69%, but at 0.93-1.04x of seed's time, over the 1.0). Fewer steps need a
        # shorter weight average: 0.995 (about 200 steps), not 0.999 (BENCHMARKS.md).
        "best": TrainConfig(
            dataset="fashion", preset="best", variant="32x32", activation="relu", pooling="max", batch_norm=True,
            epochs=10, batch_size=256, learning_rate=0.015, schedule="onecycle", flip_horizontal=True,
            label_smoothing=0.1, ema_momentum=0.995,
        ),
        "quick": TrainConfig(
            dataset="fashion", preset="quick", activation="relu", pooling="max", epochs=2, batch_size=256,
            learning_rate=0.003,
        ),
    },
}


# The Train page's form, one widget per setting a learner may change, in the page's order (four columns, each filled
# in turn); the page builds every widget from this table, and the ranges and choices come from the constants above.
@dataclass(frozen=True)
class SettingWidget:
    name: str  # the TrainConfig field
    label: str
    kind: str  # "select", "number" or "slider"
    help: str  # "{train_size}" is the chosen dataset's number of training images
    choices: tuple = ()  # a select's options
    bounds: tuple = ()  # (low, high) of a number or slider
    step: float | None = None
    format: str | None = None  # a number's printf format; None lets Streamlit choose


TRAIN_FORM_COLUMNS = 4
TRAIN_FORM = (
    SettingWidget("variant", "Variant", "select", " ".join(f"{name}: {text}." for name, text in VARIANTS.items()),
                  choices=tuple(VARIANTS)),
    SettingWidget("epochs", "Epochs", "number", "Passes over the {train_size:,} training images.",
                  bounds=EPOCH_RANGE, step=1),
    SettingWidget("batch_size", "Batch size", "number",
                  "Images per gradient step. Larger batches are faster per epoch but take fewer steps.",
                  bounds=BATCH_SIZE_RANGE, step=32),
    SettingWidget("learning_rate", "Learning rate", "number",
                  "Step size of the optimizer; must be above 0 and at most 1.",
                  bounds=LEARNING_RATE_RANGE, step=0.0005, format="%.4f"),
    SettingWidget("optimizer", "Optimizer", "select",
                  "adam: adaptive rates (the tutorial's). sgd: with Nesterov momentum 0.9. rmsprop.", choices=OPTIMIZERS),
    SettingWidget("schedule", "Schedule", "select",
                  "How the learning rate changes: constant; onecycle warms up for 15% of the steps, then anneals; "
                  "cosine anneals from the start.", choices=SCHEDULES),
    SettingWidget("activation", "Activation", "select", "tanh as in the paper; relu usually learns faster.",
                  choices=ACTIVATIONS),
    SettingWidget("pooling", "Pooling", "select",
                  "The subsampling layers S2 and S4: average as in the paper, or max.", choices=POOLINGS),
    SettingWidget("seed", "Random seed", "number",
                  "Fixes the initial weights and the shuffling, so a run can be repeated.", bounds=SEED_RANGE, step=1),
    SettingWidget("shift_pixels", "Shift (pixels)", "slider",
                  "Augmentation: move each training image by up to this many pixels. 0 turns it off.",
                  bounds=SHIFT_RANGE, step=0.5),
    SettingWidget("rotation_degrees", "Rotation (degrees)", "slider",
                  "Augmentation: rotate each training image by up to this angle. 0 turns it off.",
                  bounds=ROTATION_RANGE, step=1.0),
    SettingWidget("stroke_width", "Stroke width (pixels)", "slider",
                  "Augmentation: make each training image's strokes thicker or thinner by up to this many pixels, "
                  "as a wider or narrower pen would draw them. 0 turns it off.",
                  bounds=STROKE_WIDTH_RANGE, step=0.25),
    SettingWidget("ema_momentum", "Weight averaging", "number",
                  "Momentum of a moving average of the weights, which validation and the saved model use; it smooths "
                  "the last epochs. 0 turns it off; 0.999 averages over about the last 1,000 steps.",
                  bounds=EMA_RANGE, step=0.001, format="%.4f"),
)


def settings_off_form(train_config):
    """{setting: value} for what a config sets that the Train form does not show: every field off TRAIN_FORM whose
    value is not TrainConfig's default (`best`'s label smoothing and outlier weight, say), so a learner sees it too."""
    on_form = {setting.name for setting in TRAIN_FORM} | {"dataset", "preset"}
    defaults = TrainConfig()
    return {field.name: getattr(train_config, field.name) for field in dataclasses.fields(TrainConfig)
            if field.name not in on_form and getattr(train_config, field.name) != getattr(defaults, field.name)}


def get_preset(name, dataset=datasets.DEFAULT):
    """The preset `name` of a dataset. Unknown names raise ConfigError."""
    _check_choice("dataset", dataset, datasets.DATASETS)
    _check_choice("preset", name, PRESET_NAMES)
    return PRESETS[dataset][name]


def make_config(preset="seed", dataset=datasets.DEFAULT, **overrides):
    """A dataset's preset with some settings replaced (None means "keep the preset's"). Bad values raise ConfigError."""
    values = get_preset(preset, dataset).to_dict()
    values.update({name: value for name, value in overrides.items() if value is not None})
    return TrainConfig.from_dict(values)
