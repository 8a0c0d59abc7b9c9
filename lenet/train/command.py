"""A TrainConfig on the command line: `train`'s flags, generated from the config's fields, and back.

The CLI parses with these flags, and a model card's "reproduce" line is written with them, so the line always parses
and makes the same config again.
"""

import argparse
import dataclasses
import shlex
from pathlib import Path

from lenet import config as lenet_config
from lenet.data import datasets

# Settings that have flags of their own below, rather than the generic --name VALUE.
SPECIAL_SETTINGS = {"dataset", "preset", "my_digits", "init_model"}
# True/false settings that also have a short switch and its negation (`--jit`, `--no-jit`) beside the generated
# `--name true|false`; a reproduce line writes the switch.
SWITCHES = {"jit_compile": "--jit"}
TRAIN_COMMAND = "python -m lenet train"


def add_dataset_argument(parser, help_text=f"the dataset (default: {datasets.DEFAULT})"):
    parser.add_argument("--dataset", choices=list(datasets.DATASETS), help=help_text)


def add_train_arguments(train):
    """The settings of `train`: one flag per TrainConfig field, so every setting of a preset can be overridden."""
    add_dataset_argument(train, f"what to train on (default: {datasets.DEFAULT})")
    train.add_argument("--preset", choices=lenet_config.PRESET_NAMES, default="seed")
    for field in dataclasses.fields(lenet_config.TrainConfig):
        if field.name in SWITCHES:
            train.add_argument(SWITCHES[field.name], dest=field.name, action=argparse.BooleanOptionalAction,
                               help=f"the same as {flag_for(field.name)} true or false")
        if field.name not in SPECIAL_SETTINGS:
            parse = yes_or_no if isinstance(field.default, bool) else type(field.default)
            train.add_argument(flag_for(field.name), dest=field.name, type=parse)
    train.add_argument("--with-my-digits", dest="my_digits", action="store_true", default=None,
                       help="mix my digits into the training set")
    train.add_argument("--finetune", dest="init_model", metavar="MODEL",
                       help="start from this model instead of random weights")


def flag_for(setting):
    """The generic flag of a TrainConfig field: --learning-rate for learning_rate."""
    return "--" + setting.replace("_", "-")


def setting_flags(settings):
    """`train`'s flag for each {setting: value}, as "--name VALUE" (true and false as words, as yes_or_no reads them)."""
    return [f"{flag_for(name)} {str(value).lower() if isinstance(value, bool) else value}"
            for name, value in settings.items()]


def yes_or_no(text):
    """A true/false setting's value; bool("False") would be True, so the words are read here."""
    words = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
    if text.lower() not in words:
        raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")
    return words[text.lower()]


def config_from_arguments(arguments):
    """The TrainConfig that `train`'s arguments describe: the preset, with every given setting replacing its own."""
    settings = {field.name for field in dataclasses.fields(lenet_config.TrainConfig)} - {"dataset", "preset"}
    overrides = {name: getattr(arguments, name) for name in settings if hasattr(arguments, name)}
    if overrides.get("init_model"):
        overrides["init_model"] = str(Path(overrides["init_model"]).resolve())
    return lenet_config.make_config(arguments.preset, arguments.dataset or datasets.DEFAULT, **overrides)


def train_command(train_config):
    """The `train` command line that makes `train_config` again, generated from the parser so it always parses."""
    train = argparse.ArgumentParser(add_help=False)
    add_train_arguments(train)
    preset = lenet_config.get_preset(train_config.preset, train_config.dataset)
    words = [*TRAIN_COMMAND.split(), "--dataset", train_config.dataset, "--preset", train_config.preset]
    written = set()
    for action in train._actions:
        value = getattr(train_config, action.dest, None)
        if (action.dest in written or action.dest in SPECIAL_SETTINGS - {"my_digits", "init_model"}
                or value == getattr(preset, action.dest, None)):
            continue
        written.add(action.dest)  # a setting with two flags (a switch) is written once, with the first
        if isinstance(action, argparse._StoreTrueAction):
            words += [action.option_strings[0]] if value else []
        elif isinstance(action, argparse.BooleanOptionalAction):
            words += [action.option_strings[0 if value else 1]]  # --jit or --no-jit
        else:
            words += [action.option_strings[0], str(value)]
    return shlex.join(words)
