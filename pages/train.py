"""Train: choose a preset, adjust it, train in the worker process and follow the run live; then inspect its test results.

The run folder is the truth, not this session: a reload, another tab or a run started from the CLI shows up here.
"""

from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from lenet import config, dataset_views, public, runs, worker
from pages import common, visitor

DIGITS = list(range(10))
DIGITS_SHOWN = 40  # test digits shown for one cell of the confusion matrix...
DIGITS_PER_ROW = 10  # ...in rows of ten


def apply_preset():
    """The preset changed: every setting takes that preset's value."""
    preset = config.get_preset(st.session_state.train_preset)
    for name in common.TRAIN_SETTINGS:
        st.session_state[f"train_{name}"] = getattr(preset, name)


def settings():
    """The settings widgets, each within the engine's limits; returns {setting: value}."""
    # persist_state="session": Streamlit forgets the value of a widget that a run does not draw, so without it the
    # settings would fall back to defaults (or to each widget's minimum) after a visit to another page.
    st.selectbox("Preset", config.PRESET_NAMES, persist_state="session", key="train_preset", on_change=apply_preset,
                 help=(
        "Fills in every setting. seed: the Keras tutorial as written (tanh, average pooling, 20 epochs). best: our "
        "recipe (relu, max pooling, shifts and rotations, one-cycle schedule). quick: a few seconds, for a demo."))
    left, middle, right, last = st.columns(4)
    left.selectbox("Variant", list(config.VARIANTS), persist_state="session", key="train_variant",
                   help="seed: 28×28 input, as in the tutorial. paper: 32×32 padded input, as in LeCun et al. 1998.")
    left.number_input("Epochs", *config.EPOCH_RANGE, step=1, persist_state="session", key="train_epochs",
                      help="Passes over the 50,000 training images.")
    left.number_input("Batch size", *config.BATCH_SIZE_RANGE, step=32, persist_state="session", key="train_batch_size",
                      help="Images per gradient step. Larger batches are faster per epoch but take fewer steps.")
    middle.number_input("Learning rate", *config.LEARNING_RATE_RANGE, step=0.0005, format="%.4f",
                        persist_state="session", key="train_learning_rate",
                        help="Step size of the optimizer; must be above 0 and at most 1.")
    middle.selectbox("Optimizer", config.OPTIMIZERS, persist_state="session", key="train_optimizer",
                     help="adam: adaptive rates (the tutorial's). sgd: with Nesterov momentum 0.9. rmsprop.")
    middle.selectbox("Schedule", config.SCHEDULES, persist_state="session", key="train_schedule", help=(
        "How the learning rate changes: constant; onecycle warms up for 15% of the steps, then anneals; "
        "cosine anneals from the start."))
    right.selectbox("Activation", config.ACTIVATIONS, persist_state="session", key="train_activation",
                    help="tanh as in the paper; relu usually learns faster.")
    right.selectbox("Pooling", config.POOLINGS, persist_state="session", key="train_pooling",
                    help="The subsampling layers S2 and S4: average as in the paper, or max.")
    right.number_input("Random seed", min_value=0, step=1, persist_state="session", key="train_seed",
                       help="Fixes the initial weights and the shuffling, so a run can be repeated.")
    last.slider("Shift (pixels)", *config.SHIFT_RANGE, step=0.5, persist_state="session", key="train_shift_pixels",
                help="Augmentation: move each training image by up to this many pixels. 0 turns it off.")
    last.slider("Rotation (degrees)", *config.ROTATION_RANGE, step=1.0, persist_state="session",
                key="train_rotation_degrees",
                help="Augmentation: rotate each training image by up to this angle. 0 turns it off.")
    last.number_input("Weight averaging", *config.EMA_RANGE, step=0.001, format="%.4f", persist_state="session",
                      key="train_ema_momentum", help=(
        "Momentum of a moving average of the weights, which validation and the saved model use; it smooths the last "
        "epochs. 0 turns it off; 0.999 averages over about the last 1,000 steps."))
    return {name: st.session_state[f"train_{name}"] for name in common.TRAIN_SETTINGS}


def followed_run(every_run):
    """The run this session follows, else the newest queued or running run (followed from now on), else the newest run."""
    chosen = st.session_state.followed_run
    if chosen and (Path(chosen) / "config.json").exists():
        return runs.load_run(chosen)
    active = [run for run in every_run if run.state in runs.ACTIVE_STATES]
    if active:
        st.session_state.followed_run = str(active[0].run_dir)  # so its results stay here when it ends
    return (active or every_run or [None])[0]


def follow(run_dir):
    st.session_state.followed_run = str(run_dir)


def curves(records, key):
    """Loss and accuracy per epoch (train and validation), and the training loss per batch."""
    epochs = [r for r in records if r["kind"] == "epoch"]
    batches = [r for r in records if r["kind"] == "batch"]
    steps = next((r["steps_per_epoch"] for r in records if r["kind"] == "start"), 1)
    if not batches:
        return
    columns = st.columns(3)
    for column, metric in zip(columns, ("loss", "accuracy")):
        if not epochs:
            column.caption(f"{metric.capitalize()} per epoch, for training and validation, appears after the first epoch.")
            continue
        figure = go.Figure(layout=dict(title=metric.capitalize(), xaxis_title="epoch", height=300,
                                       margin=dict(l=10, r=10, t=40, b=10), xaxis_dtick=1))
        for prefix, name in (("", "train"), ("val_", "validation")):
            figure.add_scatter(x=[r["epoch"] for r in epochs], y=[r[prefix + metric] for r in epochs], name=name)
        column.plotly_chart(figure, key=f"{key}_{metric}")
    figure = go.Figure(layout=dict(title="Training loss per batch", xaxis_title="epoch", height=300,
                                   margin=dict(l=10, r=10, t=40, b=10), showlegend=False))
    figure.add_scatter(x=[r["step"] / steps for r in batches], y=[r["loss"] for r in batches], mode="lines")
    columns[2].plotly_chart(figure, key=f"{key}_batches")


def progress(records):
    start = next((r for r in reversed(records) if r["kind"] == "start"), None)
    batch = next((r for r in reversed(records) if r["kind"] == "batch"), None)
    if not (start and batch):
        st.progress(0.0, text="Loading MNIST and building the model…")
        return
    total = start["epochs"] * start["steps_per_epoch"]
    remaining = batch["seconds"] / batch["step"] * (total - batch["step"])
    st.progress(min(batch["step"] / total, 1.0), text=(
        f"Epoch {batch['epoch']}/{start['epochs']} · batch {batch['batch']}/{start['steps_per_epoch']} · "
        f"about {remaining:.0f} s left"))


@st.fragment(run_every=1.0)
def live(run_dir):
    """Re-reads the run folder every second while the run is queued or running."""
    run = runs.load_run(run_dir)
    if run.state not in runs.ACTIVE_STATES:
        st.rerun()  # the run ended: redraw the whole page with its results
    if run.state == "queued":
        waiting = [queued.run_id for queued in worker.queue()]
        position = waiting.index(run.run_id) + 1 if run.run_id in waiting else "?"
        training = [other.run_id for other in runs.list_runs() if other.state == "running"]
        st.info(f"Queued, position {position}: waiting for {', '.join(training) or 'a free training slot'}.")
    records = runs.load_metrics(run_dir)
    if run.state == "running":
        progress(records)
        if note := worker.stall_note(run_dir):
            st.warning(note)
    if worker.stop_requested(run_dir):
        st.caption(worker.stopping_message(run_dir))
    elif refusal := visitor.refusal(run):
        st.caption(refusal)
    else:
        st.button("Stop", key="train_stop", on_click=visitor.stop, args=(run_dir,),
                  help="End the run within a second or so, keeping the model of the last completed epoch.")
    curves(records, "train_live")


def activate(model_path):
    st.session_state.active_model = str(model_path)


def confusion_figure(matrix):
    matrix = np.array(matrix)
    figure = go.Figure(go.Heatmap(z=np.log1p(matrix), x=DIGITS, y=DIGITS, text=matrix, texttemplate="%{text}",
                                  colorscale="Blues", showscale=False, hoverinfo="skip"))
    # Plotly reports clicks on points, not on heatmap cells: an invisible marker on every cell takes the clicks.
    true, predicted = np.divmod(np.arange(100), 10)
    figure.add_scatter(x=predicted, y=true, customdata=matrix.ravel(), mode="markers", showlegend=False,
                       marker=dict(symbol="square", size=28, opacity=0),
                       hovertemplate="true %{y}, predicted %{x}: %{customdata} digits<extra></extra>")
    figure.update_layout(xaxis=dict(title="predicted", dtick=1, range=[-0.5, 9.5]),
                         yaxis=dict(title="true", dtick=1, range=[9.5, -0.5]),  # digit 0 at the top
                         height=420, margin=dict(l=10, r=10, t=10, b=10))
    return figure


def cell_digits(run, matrix):
    """The test digits behind one cell of the confusion matrix, chosen by a click on it or by the two boxes."""
    true_key, predicted_key = f"train_true_{run.run_id}", f"train_predicted_{run.run_id}"
    off_diagonal = np.array(matrix) * (1 - np.eye(10, dtype=int))
    worst_true, worst_predicted = map(int, np.unravel_index(off_diagonal.argmax(), (10, 10)))  # the commonest mistake

    def clicked():
        points = st.session_state[f"train_matrix_{run.run_id}"]["selection"]["points"]
        if points:
            st.session_state[true_key], st.session_state[predicted_key] = int(points[0]["y"]), int(points[0]["x"])

    st.plotly_chart(confusion_figure(matrix), key=f"train_matrix_{run.run_id}", on_select=clicked,
                    selection_mode="points")
    left, right = st.columns(2)
    true = left.selectbox("True digit", DIGITS, key=true_key, index=0 if true_key in st.session_state else worst_true)
    predicted = right.selectbox("Predicted digit", DIGITS, key=predicted_key,
                                index=0 if predicted_key in st.session_state else worst_predicted)
    predictions = np.load(run.run_dir / "test_predictions.npy")
    splits = common.load_splits()
    found = np.flatnonzero((splits.y_test == true) & (predictions == predicted))
    st.caption(f"{len(found)} test digits are a {true} that the model read as {predicted}"
               + (f"; the first {DIGITS_SHOWN}:" if len(found) > DIGITS_SHOWN else ":"))
    if len(found):
        shown = found[:DIGITS_SHOWN]
        thumbnails = (splits.x_test[shown] * 255).astype(np.uint8)
        mosaic = dataset_views.labelled_mosaic(thumbnails, [f"#{i}" for i in shown], DIGITS_PER_ROW, scale=3)
        alt = f"{len(shown)} test digits, each a {true} read as {predicted}: " + ", ".join(f"#{i}" for i in shown)
        # Inline rather than st.image's media file: Streamlit deletes that file as soon as a rerun stops showing it,
        # and a browser still fetching it (Start pressed as a run ends, on a busy machine) logs a 404.
        st.html(f'<img src="{dataset_views.png_data_uri(mosaic)}" alt="{alt}" style="max-width: 100%">')


def results(run):
    """A run that has ended: its error or stop, its test accuracy, confusion matrix and curves."""
    if run.state == "failed":
        st.error(visitor.plain(run.status.get("error", "The run failed.")))
    if run.state == "stopped":
        st.warning(visitor.plain(worker.outcome_message(run)))
    if run.model_path:
        accuracy = run.summary.get("test_accuracy")
        columns = st.columns(4)
        columns[0].metric("Test accuracy", f"{accuracy:.2%}" if accuracy is not None else "not measured")
        columns[1].metric("Epochs completed", run.summary.get("epochs_completed", "?"))
        columns[2].metric("Wall time", f"{run.summary.get('wall_seconds', 0):.0f} s")
        if st.session_state.active_model == str(run.model_path):
            columns[3].success("Draw uses this model.")
        else:
            columns[3].button("Use this model for drawing", on_click=activate, args=(run.model_path,))
    if "confusion_matrix" in run.summary and (run.run_dir / "test_predictions.npy").exists():
        st.subheader("Confusion matrix on the 10,000 test digits")
        st.caption("Click a cell, or pick a true and a predicted digit, to see the test digits behind it.")
        cell_digits(run, run.summary["confusion_matrix"])
    curves(runs.load_metrics(run.run_dir), f"train_done_{run.run_id}")


st.title("Train")
overrides = settings()
try:
    train_config, problem = config.make_config(st.session_state.train_preset, **overrides), None
except config.ConfigError as error:
    train_config, problem = None, error
for warning in train_config.warnings() if train_config else []:
    st.warning(warning)
mine = visitor.active_run()  # public mode: one run per visitor, so Start waits for it
if st.button("Start", type="primary", disabled=mine is not None, help="Train with these settings in a background process."):
    run_dir, problem = visitor.start(train_config) if not problem else (None, problem)
    if problem:
        st.error(f"Not started: {problem}")
    else:
        st.session_state.followed_run = str(run_dir)
        if public.enabled() and mine is None:
            st.rerun()  # draw Start disabled at once, so a second click cannot start another run
if mine:
    st.caption(f"Your run {mine.run_id} is {mine.state}: Start is available again when it ends.")

st.divider()
every_run = runs.list_runs()
run = followed_run(every_run)
if run is None:
    st.info("No runs yet: choose a preset and press Start.")
else:
    if every_run[0].run_id != run.run_id:
        st.button(f"Show the newest run ({every_run[0].run_id}, {every_run[0].state})", on_click=follow,
                  args=(every_run[0].run_dir,))
    settings_text = ", ".join(f"{name} {run.config.get(name)}" for name in ("epochs", "batch_size", "learning_rate"))
    st.subheader(f"Run {run.run_id} · {visitor.plain(run.state)}")
    st.caption(f"{run.config.get('preset')} preset: {settings_text}. Every run is listed on the Runs page.")
    if run.state in runs.ACTIVE_STATES:
        live(run.run_dir)
    else:
        results(run)
