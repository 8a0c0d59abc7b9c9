"""My digits: the digits you labelled on the Draw page. Browse, delete, export and import them, and retrain with them."""

from functools import partial
from pathlib import Path

import plotly.express as px
import streamlit as st

from lenet import config as lenet_config
from lenet.data import my_digits
from lenet.runs import store
from lenet.train import finetune
from studio import class_give, components, live_runs, loaders, router, state, visitor
from studio.escaping import plain

GRID_LIMIT = 100  # newest first; more would make the page slow to draw
MODES = {"finetune": "Fine-tune the active model on my digits mixed with MNIST",
         "scratch": "Train from scratch with my digits added to MNIST"}


def delete_digit(digit_id):
    try:
        my_digits.delete_digit(digit_id, visitor.digits_store())
        st.toast("Digit deleted", icon="🗑️")
    except my_digits.MyDigitsError as error:
        st.toast(plain(error), icon="⚠️")


def import_digits():
    upload = st.session_state["import_file"]
    if upload is None:
        return
    try:
        imported = my_digits.import_npz(upload, visitor.digits_store(), visitor.digits_capacity())
        st.toast(f"Imported {len(imported)} digits from {plain(upload.name)}", icon="✅")
    except my_digits.MyDigitsError as error:
        st.session_state["import_error"] = f"Import refused, nothing was changed: {plain(error)}"


@st.cache_data(show_spinner=False, max_entries=16)
def default_config(mode, model_path, modified_time, digit_count, store):
    return finetune.retrain_config(mode, model_path, store_dir=store)


def show_grid(digits):
    shown = st.pills("Show", ["all", *range(10)], default="all", key="grid_class") or "all"
    chosen = [d for d in reversed(digits) if shown == "all" or d.label == shown]
    if len(chosen) > GRID_LIMIT:
        st.caption(f"The newest {GRID_LIMIT} of {len(chosen)}")
    components.digit_grid(chosen[:GRID_LIMIT], digit_caption, digit_buttons)


def digit_caption(digit):
    return f"{digit.label}" + ("" if digit.prediction in (-1, digit.label) else f" (read as {digit.prediction})")


def digit_buttons(column, digit):
    column.button("Delete", key=f"delete-{digit.digit_id}", on_click=delete_digit, args=(digit.digit_id,),
                  type="tertiary", icon=":material/delete:")
    class_give.give_button(column, digit)


def my_digits_accuracy(column, baseline, retrained):
    """Accuracy on my digits before and after: on those held out, or on all of them while too few are held out."""
    images, labels = my_digits.evaluation_arrays(visitor.digits_store())
    held_out = my_digits.split_holdout(my_digits.list_digits(visitor.digits_store()))[1]
    before, after = (loaders.accuracies(path, Path(path).stat().st_mtime, images, labels)[0]
                     for path in (baseline, retrained))
    if after is not None:
        which = "held out" if held_out else "all, also trained on"
        components.accuracy_metric(column, f"My digits ({len(labels)} {which})", before, after, decimals=1)


def before_after(run, baseline):
    dataset = loaders.run_dataset(run)
    test_label = f"{dataset.title} test set ({len(loaders.load_splits(dataset.name).y_test):,})"
    components.before_after(baseline, str(run.model_path),
                            lambda column: my_digits_accuracy(column, baseline, str(run.model_path)), test_label,
                            "Accept: make the retrained model active", key="retrain_result")


def retrain_controls(active, digits, store):
    """Fine-tune or retrain the active digit model with my digits: the suggested settings, and Start."""
    mode = st.radio("How", list(MODES), format_func=MODES.get, key="retrain_mode")
    try:
        suggested = default_config(mode, active, Path(active).stat().st_mtime, len(digits),
                                   store and str(store)) if digits else None
    except (my_digits.MyDigitsError, lenet_config.ConfigError, OSError) as error:
        st.error(f"{plain(error)}. Choose another model in the sidebar.")
        return
    if not suggested:
        return
    epochs_column, rate_column = st.columns(2)
    epochs = epochs_column.number_input("Epochs", *lenet_config.EPOCH_RANGE, value=suggested.epochs,
                                        key=f"retrain-epochs-{mode}")
    rate = rate_column.number_input("Learning rate", 1e-6, 1.0, value=suggested.learning_rate, format="%.5f",
                                    step=1e-4, key=f"retrain-rate-{mode}")
    st.caption(f"From {loaders.active_model_label()}; {suggested.preset} recipe, {suggested.activation}/"
               f"{suggested.pooling}; each of my digits is repeated {suggested.my_digits_repeat}× (about "
               f"{lenet_config.MY_DIGITS_SHARE:.0%} of the training data)." + (
                   " A low rate and few epochs keep the MNIST accuracy." if mode == "finetune" else ""))
    followed = st.session_state["retrain_run"]
    busy = bool(followed) and live_runs.run_is_active(followed)
    if st.button("Start retraining", type="primary", disabled=busy or visitor.active_run() is not None):
        _, refused = components.start_retraining(mode, epochs, rate)
        if refused:
            st.error(refused)


router.require_router()
st.title("🖐️ My digits")
digits_store = visitor.digits_store()  # public mode: this visitor's own set; otherwise the shared one (None)
digits = my_digits.list_digits(digits_store)
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
    st.download_button("Export all (.npz)", data=partial(my_digits.export_npz, digits_store), file_name="my_digits.npz",
                       mime="application/octet-stream", disabled=not digits, on_click="ignore", icon=":material/download:")
    st.file_uploader("Import an exported .npz", type=["npz"], key="import_file", on_change=import_digits)
    if st.session_state["import_error"]:
        st.error(st.session_state["import_error"])
        st.session_state["import_error"] = None
if digits:
    show_grid(digits)
class_give.panel(digits)  # class mode: nickname, give to the class, take back (public mode only)

st.header("Retrain with my digits")
if router.digit_model_required("Retraining with my digits"):
    retrain_controls(state.active_model(), digits, digits_store)

followed = st.session_state["retrain_run"]
if followed and Path(followed).is_dir():
    live_runs.follow_live(lambda: live_runs.run_progress(followed), lambda: live_runs.run_is_active(followed))
    run = store.load_run(followed)
    if run.state not in store.ACTIVE_STATES and run.model_path:
        before_after(run, st.session_state["retrain_baseline"])
