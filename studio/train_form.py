"""The Train page's settings form, built from lenet.config.TRAIN_FORM: a dataset, a preset, one widget per setting
within the engine's limits, and a line for what the preset sets off the form. `widget_arguments` is pure, so a unit
test can check every widget.

Every widget keeps its value in session state under "train_<setting>" (studio.state fills them from the default
preset); choosing a dataset or a preset refills them.
"""

import streamlit as st

from lenet import config
from lenet.data import datasets
from lenet.train import command

WIDGETS = {"select": "selectbox", "number": "number_input", "slider": "slider"}


def apply_preset():
    """The dataset or the preset changed: every setting takes the value of that dataset's preset."""
    preset = config.get_preset(st.session_state.train_preset, st.session_state.train_dataset)
    for setting in config.TRAIN_FORM:
        st.session_state[f"train_{setting.name}"] = getattr(preset, setting.name)


def widget_arguments(setting, dataset):
    """(Streamlit widget name, its keyword arguments) for one row of the table, for the chosen dataset."""
    # persist_state="session": Streamlit forgets the value of a widget that a run does not draw, so without it the
    # settings would fall back to defaults (or to each widget's minimum) after a visit to another page.
    arguments = dict(label=setting.label, key=f"train_{setting.name}", persist_state="session",
                     help=setting.help.format(train_size=dataset.train_size))
    if setting.kind == "select":
        arguments["options"] = list(setting.choices)
    else:
        arguments.update(min_value=setting.bounds[0], max_value=setting.bounds[1], step=setting.step)
        if setting.format:
            arguments["format"] = setting.format
    return WIDGETS[setting.kind], arguments


def dataset_and_preset():
    """The dataset and preset boxes, and what the chosen dataset is; returns the dataset."""
    dataset_column, preset_column = st.columns(2)
    dataset_column.selectbox("Dataset", list(datasets.DATASETS), format_func=lambda name: datasets.get(name).title,
                             persist_state="session", key="train_dataset", on_change=apply_preset,
                             help="What to learn. Choosing a dataset fills in its preset's settings.")
    preset_column.selectbox("Preset", config.PRESET_NAMES, persist_state="session", key="train_preset",
                            on_change=apply_preset, help="Fills in every setting for the chosen dataset. " + " ".join(
                                f"{name}: {text}." for name, text in config.PRESET_DESCRIPTIONS.items()))
    dataset = datasets.get(st.session_state.train_dataset)
    st.caption(f"{dataset.title}: {dataset.num_classes} classes ({', '.join(dataset.class_names)}). Trains on the "
               f"first {dataset.train_size:,} training images and validates on the last {dataset.validation_size:,}.")
    return dataset


def settings():
    """The whole form, each widget within the engine's limits; returns {setting: value}."""
    dataset = dataset_and_preset()
    columns = st.columns(config.TRAIN_FORM_COLUMNS)
    per_column = -(-len(config.TRAIN_FORM) // config.TRAIN_FORM_COLUMNS)
    for index, setting in enumerate(config.TRAIN_FORM):
        widget, arguments = widget_arguments(setting, dataset)
        getattr(columns[index // per_column], widget)(**arguments)
    preset_beyond_form(dataset)
    return {setting.name: st.session_state[f"train_{setting.name}"] for setting in config.TRAIN_FORM}


def preset_beyond_form(dataset):
    """What the chosen preset also sets, off the form: a run trains with it, so the page says so, as flags."""
    beyond = config.settings_off_form(config.get_preset(st.session_state.train_preset, dataset.name))
    if beyond:
        st.caption(f"The {st.session_state.train_preset} preset also sets "
                   + ", ".join(f"`{flag}`" for flag in command.setting_flags(beyond))
                   + f": `{command.TRAIN_COMMAND}` changes these.")
