"""My digits: the digits you labelled on the Draw page. Browse, delete, export and import them, and retrain with them."""

from functools import partial
from pathlib import Path

import numpy as np
import plotly.express as px
import streamlit as st
from PIL import Image

from lenet import config as lenet_config
from lenet import my_digits, runs
from pages import common, visitor

GRID_COLUMNS = 10
GRID_LIMIT = 100  # newest first; more would make the page slow to draw
MODES = {"finetune": "Fine-tune the active model on my digits mixed with MNIST",
         "scratch": "Train from scratch with my digits added to MNIST"}


def delete_digit(digit_id):
    try:
        my_digits.delete_digit(digit_id, visitor.digits_store())
        st.toast("Digit deleted", icon="🗑️")
    except my_digits.MyDigitsError as error:
        st.toast(visitor.plain(error), icon="⚠️")


def import_digits():
    upload = st.session_state["import_file"]
    if upload is None:
        return
    try:
        imported = my_digits.import_npz(upload, visitor.digits_store(), visitor.digits_capacity())
        st.toast(f"Imported {len(imported)} digits from {visitor.plain(upload.name)}", icon="✅")
    except my_digits.MyDigitsError as error:
        st.session_state["import_error"] = f"Import refused, nothing was changed: {visitor.plain(error)}"


@st.cache_data(show_spinner="Measuring accuracy…", max_entries=32)
def accuracies(model_path, modified_time, images, labels):
    """(accuracy on the given digits, accuracy on the MNIST test set) of one model file."""
    classifier = common.load_classifier(model_path)
    splits = common.load_splits()
    mine = float((classifier.probabilities(images).argmax(axis=1) == labels).mean()) if len(labels) else None
    return mine, float((classifier.probabilities(splits.x_test).argmax(axis=1) == splits.y_test).mean())


@st.cache_data(show_spinner=False, max_entries=16)
def default_config(mode, model_path, modified_time, digit_count, store):
    return my_digits.retrain_config(mode, model_path, store_dir=store)


def enlarged(image):
    return Image.fromarray(np.uint8(np.clip(image, 0, 1) * 255)).resize((84, 84), Image.Resampling.NEAREST)


def show_grid(digits):
    shown = st.pills("Show", ["all", *range(10)], default="all", key="grid_class") or "all"
    chosen = [d for d in reversed(digits) if shown == "all" or d.label == shown]
    if len(chosen) > GRID_LIMIT:
        st.caption(f"The newest {GRID_LIMIT} of {len(chosen)}")
    for start in range(0, min(len(chosen), GRID_LIMIT), GRID_COLUMNS):
        for column, digit in zip(st.columns(GRID_COLUMNS), chosen[start:start + GRID_COLUMNS]):
            reading = "" if digit.prediction in (-1, digit.label) else f" (read as {digit.prediction})"
            column.image(enlarged(digit.image), caption=f"{digit.label}{reading}")
            column.button("Delete", key=f"delete-{digit.digit_id}", on_click=delete_digit, args=(digit.digit_id,),
                          type="tertiary", icon=":material/delete:")


def follow_run(run_dir):
    """The run's progress, redrawn every second while it trains."""
    active = runs.read_status(run_dir).get("state") in runs.ACTIVE_STATES
    st.fragment(run_every=1.0 if active else None)(run_progress)(run_dir)


def run_progress(run_dir):
    run = runs.load_run(run_dir)
    epochs, batches = runs.load_metrics(run_dir, kind="epoch"), runs.load_metrics(run_dir, kind="batch")
    st.markdown(f"**Run {run.run_id}**: {visitor.plain(run.state)}, epoch {len(epochs)} of {run.config.get('epochs')}")
    val, loss = st.columns(2)
    if epochs:
        accuracy = [r["val_accuracy"] for r in epochs]
        chart = px.line(x=[r["epoch"] for r in epochs], y=accuracy, markers=True, height=250,
                        labels={"x": "epoch", "y": "validation accuracy"}, range_y=[min(accuracy) - 0.01, 1.0])
        val.plotly_chart(chart.update_xaxes(dtick=1), key="retrain-val")
    if batches:
        loss.plotly_chart(px.line(x=[r["step"] for r in batches], y=[r["loss"] for r in batches],
                                  labels={"x": "step", "y": "training loss"}, height=250), key="retrain-loss")
    if run.state in runs.ACTIVE_STATES:
        st.button("Stop", on_click=visitor.stop, args=(run_dir,), key="retrain-stop")
    elif st.session_state["retrain_shown"] != str(run_dir):  # it just ended: redraw the page with the results
        st.session_state["retrain_shown"] = str(run_dir)
        st.rerun()


def before_after(run, baseline):
    images, labels = my_digits.evaluation_arrays(visitor.digits_store())
    held_out = my_digits.split_holdout(my_digits.list_digits(visitor.digits_store()))[1]
    rows = {"before": baseline, "after": str(run.model_path)}
    if not Path(baseline).is_file():
        st.warning(f"The model before retraining ({Path(baseline).name}) is gone; no before and after to compare.")
        return
    figures = {name: accuracies(path, Path(path).stat().st_mtime, images, labels) for name, path in rows.items()}
    mine, mnist = st.columns(2)
    if figures["after"][0] is not None:
        mine.metric(f"My digits ({len(labels)} {'held out' if held_out else 'all, also trained on'})",
                    f"{figures['after'][0]:.1%}", delta=f"{(figures['after'][0] - figures['before'][0]) * 100:+.1f} points",
                    delta_description=f"before: {figures['before'][0]:.1%}")
    mnist.metric("MNIST test set (10,000)", f"{figures['after'][1]:.2%}",
                 delta=f"{(figures['after'][1] - figures['before'][1]) * 100:+.2f} points",
                 delta_description=f"before: {figures['before'][1]:.2%}")
    if st.session_state["active_model"] == str(run.model_path):
        st.success("The retrained model is the active model.")
    elif st.button("Accept: make the retrained model active", type="primary"):
        st.session_state["active_model"] = str(run.model_path)
        st.rerun()


st.title("🖐️ My digits")
store = visitor.digits_store()  # public mode: this visitor's own set; otherwise the shared one (None)
digits = my_digits.list_digits(store)
counts, files = st.columns([2, 1], gap="large")
with counts:
    if digits:
        st.markdown(f"**{len(digits)} digits**, per class:")
        bars = px.bar(x=list(range(10)), y=my_digits.class_counts(digits), labels={"x": "digit", "y": "count"})
        st.plotly_chart(bars.update_layout(height=200, margin=dict(l=0, r=0, t=0, b=0)).update_xaxes(dtick=1))
        held_out = len(my_digits.split_holdout(digits)[1])
        st.caption(f"Every {my_digits.HOLDOUT_EVERY}th digit of each class ({held_out}) is held out to measure accuracy; "
                   "the rest train." if held_out else f"From {my_digits.HOLDOUT_MINIMUM} digits on, some are held out to "
                   "measure accuracy; until then every digit trains and accuracy is measured on all of them.")
    else:
        st.info("No digits yet. Draw one on the Draw page and press “That's a …” to save it here, or import a set.")
with files:
    st.download_button("Export all (.npz)", data=partial(my_digits.export_npz, store), file_name="my_digits.npz",
                       mime="application/octet-stream", disabled=not digits, on_click="ignore", icon=":material/download:")
    st.file_uploader("Import an exported .npz", type=["npz"], key="import_file", on_change=import_digits)
    if st.session_state["import_error"]:
        st.error(st.session_state["import_error"])
        st.session_state["import_error"] = None
if digits:
    show_grid(digits)

st.header("Retrain with my digits")
active = st.session_state["active_model"]
mode = st.radio("How", list(MODES), format_func=MODES.get, key="retrain_mode")
try:
    suggested = default_config(mode, active, Path(active).stat().st_mtime, len(digits), store and str(store)) \
        if digits else None
except (my_digits.MyDigitsError, lenet_config.ConfigError, OSError) as error:
    st.error(visitor.plain(error))
    suggested = None
if suggested:
    epochs_column, rate_column = st.columns(2)
    epochs = epochs_column.number_input("Epochs", *lenet_config.EPOCH_RANGE, value=suggested.epochs, key=f"retrain-epochs-{mode}")
    rate = rate_column.number_input("Learning rate", 1e-6, 1.0, value=suggested.learning_rate, format="%.5f",
                                    step=1e-4, key=f"retrain-rate-{mode}")
    st.caption(f"From {common.active_model_label()}; {suggested.preset} recipe, {suggested.activation}/{suggested.pooling}; "
               f"each of my digits is repeated {suggested.my_digits_repeat}× (about "
               f"{lenet_config.MY_DIGITS_SHARE:.0%} of the training data)." + (
                   " A low rate and few epochs keep the MNIST accuracy." if mode == "finetune" else ""))
    followed = st.session_state["retrain_run"]
    busy = bool(followed) and runs.read_status(followed).get("state") in runs.ACTIVE_STATES
    if st.button("Start retraining", type="primary", disabled=busy or visitor.active_run() is not None):
        try:
            run_dir, refused = visitor.start(my_digits.retrain_config(mode, active, epochs, rate, store),
                                             run_name=f"my-digits-{mode}")
        except (my_digits.MyDigitsError, lenet_config.ConfigError) as error:
            run_dir, refused = None, str(error)
        if refused:
            st.error(visitor.plain(refused))
        else:
            st.session_state.update(retrain_run=str(run_dir), retrain_baseline=active)
elif digits:
    st.caption("Pick a model on the Draw page.")

if st.session_state["retrain_run"] and Path(st.session_state["retrain_run"]).is_dir():
    follow_run(st.session_state["retrain_run"])
    run = runs.load_run(st.session_state["retrain_run"])
    if run.state not in runs.ACTIVE_STATES and run.model_path:
        before_after(run, st.session_state["retrain_baseline"])
