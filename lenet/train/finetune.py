"""Fine-tuning: the model a run starts from, and the recipe that retrains a model with my digits.

Reading a recipe needs only the model's card (zip and JSON), so TensorFlow loads here only to load a model.
"""

from pathlib import Path

from lenet import config as lenet_config
from lenet.data import datasets
from lenet.data.my_digits import MyDigitsError, training_arrays
from lenet.model import card


def load_init_model(train_config):
    """The model a run fine-tunes, or None when it starts from random weights.

    The model must be a regular file, load, and know the run's dataset; ModelLoadError if not. The worker calls this
    before it starts a run, so what would only fail in the worker is refused with a message at once.
    """
    if not train_config.init_model:
        return None
    path = Path(train_config.init_model)
    if not path.is_file():
        raise card.ModelLoadError(f"the model to fine-tune, {path}, is not a file; give a .keras model")
    model_card = card.read_for_model(path)
    if model_card.dataset != train_config.dataset:
        raise card.ModelLoadError(f"{path.name} is a {model_card.dataset_info.title} model; it cannot be "
                                  f"fine-tuned on {train_config.dataset}")
    from lenet.serve import inference  # Keras loads here: only for fine-tuning, and for a model its card allows

    return inference.load_model(path)


def suggested_repeat(count):
    """How often to repeat `count` digits so they make up about MY_DIGITS_SHARE of the training data."""
    share = lenet_config.MY_DIGITS_SHARE
    low, high = lenet_config.MY_DIGITS_REPEAT_RANGE
    train_size = datasets.MNIST.train_size
    return int(min(max(round(share / (1 - share) * train_size / max(count, 1)), low), high))


def retrain_config(mode, model_path, epochs=None, learning_rate=None, store_dir=None, digit_count=None):
    """The TrainConfig that retrains `model_path`'s network with my digits mixed into MNIST.

    "finetune" continues from the model's weights at a low rate for a few epochs (config.FINETUNE_*), which
    keeps its MNIST accuracy; "scratch" trains from random weights with the recipe the model was trained with.
    Both read the recipe and the architecture from the model's card, since fine-tuned weights only fit the same
    network. `digit_count` is how many digits will train when they are not my digits (class mode's class set).
    """
    if mode not in ("finetune", "scratch"):
        raise lenet_config.ConfigError(f"mode must be finetune or scratch, got {mode!r}")
    count = len(training_arrays(store_dir)[1]) if digit_count is None else digit_count
    if count == 0:
        raise MyDigitsError("there are no digits to train with: save some on the Draw page first")
    try:
        model_card = card.read(model_path)  # zip and JSON: no Keras needed to read a recipe
    except card.CardError as error:
        raise MyDigitsError(f"{Path(model_path).name}: {error}") from None
    if not model_card.dataset_info.is_digits:
        raise MyDigitsError(f"{Path(model_path).name} is a {model_card.dataset_info.title} model; my digits retrain "
                            "digit models only. Choose an MNIST model (in the app: the sidebar's Active model)")
    if mode == "finetune" and model_card.architecture is None:
        raise MyDigitsError(f"{Path(model_path).name} has no model card, so its network is unknown and cannot be "
                            "fine-tuned; retrain from scratch, or fine-tune the bundled model")
    recipe = model_card.config if model_card.architecture else {}
    if recipe.get("init_model") or recipe.get("preset") not in lenet_config.PRESET_NAMES:
        recipe = {"preset": recipe.get("preset") if recipe.get("preset") in lenet_config.PRESET_NAMES else "best"}
    settings = {name: value for name, value in recipe.items() if name not in ("my_digits", "init_model", "dataset")}
    if model_card.architecture:
        settings.update(model_card.architecture.to_dict())
    settings.update(my_digits=True, my_digits_repeat=suggested_repeat(count))
    if mode == "finetune":
        settings.update(init_model=str(Path(model_path).resolve()), epochs=lenet_config.FINETUNE_EPOCHS,
                        learning_rate=lenet_config.FINETUNE_LEARNING_RATE, schedule="constant",
                        ema_momentum=0.0)  # an average over so few steps would mostly keep the old weights
    settings.update(epochs=epochs or settings.get("epochs"), learning_rate=learning_rate or settings.get("learning_rate"))
    return lenet_config.make_config(**settings)  # digits are MNIST's; a setting left None keeps the preset's
