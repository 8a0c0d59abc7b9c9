"""The Class page's retraining: Retrain fine-tunes the class model in the worker on MNIST plus the class set's
training part (lenet/runs/class_models.py), then before → after on the held-out visitors' digits, the fooling
digits and the MNIST test set, Accept, and every accepted version with one-click rollback.

Session state "class_retrain" = {"run": run folder, "baseline": the model it started from}.
"""

from pathlib import Path

import streamlit as st

from lenet import config as lenet_config
from lenet.runs import class_models, store, worker
from lenet.runs.class_set import ClassSet
from lenet.serve import inference
from studio import class_mode, live_runs, loaders, visitor
from studio.escaping import plain

STATE = "class_retrain"
MESSAGE = "class_retrain_message"
VERSIONS_MESSAGE = "class_versions_message"
SETS = {"held_out": "Held-out visitors' digits", "fooling": "Fooling digits (accepted)", "mnist_test": "MNIST test set"}


def followed():
    retrain = st.session_state.get(STATE)
    return retrain["run"] if retrain and Path(retrain["run"]).is_dir() else None


def start(epochs):
    """Retrain's callback: the host's run, started as this session's visitor so that its Stop is theirs."""
    if not class_mode.is_host() or (followed() and live_runs.run_is_active(followed())):
        return
    baseline = class_mode.class_model_or_bundled()
    try:
        train_config, status = class_models.retrain_config(baseline, epochs=epochs)
        run_dir = worker.start(train_config, "class-retrain", owner=visitor.owner(), **status)
    except (ValueError, OSError) as error:  # ClassSetError, RunError, ConfigError, ModelLoadError: each says why
        st.session_state[MESSAGE] = plain(error)
        return
    st.session_state[STATE] = {"run": str(run_dir), "baseline": baseline}


def controls():
    """Retrain, its progress, and before → after with Accept once it has ended."""
    if message := st.session_state.pop(MESSAGE, None):
        st.error(f"Retraining did not start: {message}")
    training, model_name = len(ClassSet().training_digits()), Path(class_mode.class_model_or_bundled()).name
    st.caption(f"Fine-tunes the class model ({plain(model_name)}) on MNIST with the {training} "
               "training digits of the class set mixed in, as My digits does for one person. Held-out visitors' "
               "digits never train it.")
    epochs_column, button_column = st.columns([1, 2], vertical_alignment="bottom")
    epochs = epochs_column.number_input("Epochs", *lenet_config.EPOCH_RANGE, value=lenet_config.FINETUNE_EPOCHS,
                                        key="class_retrain_epochs")
    run_dir = followed()
    busy = bool(run_dir) and live_runs.run_is_active(run_dir)
    button_column.button("Retrain the class model", type="primary", on_click=start, args=(epochs,),
                         disabled=busy or training == 0, icon=":material/model_training:")
    if not run_dir:
        return
    live_runs.follow_live(lambda: live_runs.run_progress(run_dir, curves=False, key="class-retrain"),
                          lambda: live_runs.run_is_active(run_dir))
    run = store.load_run(run_dir)
    if run.state not in store.ACTIVE_STATES and run.model_path:
        before_after(st.session_state[STATE]["baseline"], str(run.model_path), run.run_id)


@st.cache_data(show_spinner="Measuring before and after…", max_entries=8)
def comparison(before, after, modified_times, class_set_size):
    return class_models.compare(before, after, splits=loaders.load_splits())


def before_after(baseline, retrained, run_id):
    if not loaders.models_to_compare(baseline, retrained):
        return
    modified_times = tuple(map(inference.model_file_time, (baseline, retrained)))
    figures = comparison(baseline, retrained, modified_times, ClassSet().count())
    columns = st.columns(len(SETS) + 1, vertical_alignment="center")
    for column, (name, title) in zip(columns, SETS.items()):
        figure = figures[name]
        if figure.after is None:
            column.metric(f"{title} (none yet)", "—")
        else:
            column.metric(f"{title} ({figure.count:,})", f"{figure.after:.2%}",
                          delta=f"{(figure.after - figure.before) * 100:+.2f} points",
                          delta_description=f"before: {figure.before:.2%}")
    if any(model.run_id == run_id for model in class_models.ClassModels().versions()):
        columns[-1].success("Accepted: this is a class model version.")
    else:
        columns[-1].button("Accept: make it the class model", type="primary", on_click=class_mode.host_only,
                           args=(VERSIONS_MESSAGE, class_models.ClassModels().accept, retrained, run_id))


def versions():
    """Every accepted class model, newest first, with Roll back to any but the current one."""
    if message := st.session_state.pop(VERSIONS_MESSAGE, None):
        st.error(message)
    models = class_models.ClassModels()
    current = models.current()
    if not current:
        st.caption("No class model yet: every visitor who has not chosen another model uses the bundled one.")
        return
    for model in reversed(models.versions()):
        figure = f"test {model.test_accuracy:.2%}" if model.test_accuracy is not None else "test accuracy unknown"
        text, action = st.columns([3, 1], vertical_alignment="center")
        text.markdown(f"**v{model.version}**: {figure}, from run {plain(model.run_id or 'elsewhere')}"
                      + (" · **the class model**" if model.version == current.version else ""))
        if model.version != current.version:
            action.button(f"Roll back to v{model.version}", key=f"rollback-{model.version}",
                          on_click=class_mode.host_only, icon=":material/undo:",
                          args=(VERSIONS_MESSAGE, class_models.ClassModels().rollback, model.version))
