"""Train: choose a dataset and a preset, adjust it, train in the worker process and follow the run live; then
inspect its test results.

The run folder is the truth, not this session: a reload, another tab or a run started from the CLI shows up here.
"""

from pathlib import Path

import numpy as np
import streamlit as st

from lenet import config
from lenet.data import browse
from lenet.runs import public, store, worker
from studio import figures, learning_views, live_runs, loaders, router, train_form, visitor
from studio.escaping import plain

IMAGES_SHOWN = 40  # test images shown for one cell of the confusion matrix...
IMAGES_PER_ROW = 10  # ...in rows of ten


def followed_run(every_run):
    """The run this session follows, else the newest queued or running run (followed from now on), else the newest run."""
    chosen = st.session_state.followed_run
    if chosen and (Path(chosen) / "config.json").exists():
        return store.load_run(chosen)
    active = [run for run in every_run if run.state in store.ACTIVE_STATES]
    if active:
        st.session_state.followed_run = str(active[0].run_dir)  # so its results stay here when it ends
    return (active or every_run or [None])[0]


def follow(run_dir):
    st.session_state.followed_run = str(run_dir)


def progress(records, dataset):
    start = next((r for r in reversed(records) if r["kind"] == "start"), None)
    batch = next((r for r in reversed(records) if r["kind"] == "batch"), None)
    if not (start and batch):
        st.progress(0.0, text=f"Loading {dataset.title} and building the model…")
        return
    total = start["epochs"] * start["steps_per_epoch"]
    remaining = batch["seconds"] / batch["step"] * (total - batch["step"])
    st.progress(min(batch["step"] / total, 1.0), text=(
        f"Epoch {batch['epoch']}/{start['epochs']} · batch {batch['batch']}/{start['steps_per_epoch']} · "
        f"about {remaining:.0f} s left"))


def header(run):
    settings_text = ", ".join(f"{name} {run.config.get(name)}" for name in ("epochs", "batch_size", "learning_rate"))
    variant = config.OLD_VARIANT_NAMES.get(run.config.get("variant"), run.config.get("variant"))
    st.subheader(f"Run {run.run_id} · {plain(run.state)}")
    st.caption(f"{loaders.run_dataset(run).title}, {run.config.get('preset')} preset: {settings_text}, variant "
               f"{variant}. Every run is listed on the Runs page.")


def ended_view(run_dir):
    """A run that has ended, header included: its results. Drawn by the whole page, never by the live fragment."""
    run = store.load_run(run_dir)
    header(run)
    results(run)


def live_view(run_dir):
    """A queued or running run, header included: its queue position or progress, Stop, live curves and the latest
    snapshot. One that has ended since follow_live looked reruns the whole page, which draws ended_view instead
    (its buttons must not live in the fragment: see live_runs.follow_live)."""
    run = store.load_run(run_dir)
    if run.state not in store.ACTIVE_STATES:
        st.rerun()
    header(run)
    if run.state == "queued":
        waiting = [queued.run_id for queued in worker.queue()]
        position = waiting.index(run.run_id) + 1 if run.run_id in waiting else "?"
        training = [other.run_id for other in store.list_runs() if other.state == "running"]
        st.info(f"Queued, position {position}: waiting for {', '.join(training) or 'a free training slot'}.")
    records = store.load_metrics(run_dir)
    if run.state == "running":
        progress(records, loaders.run_dataset(run))
        if note := live_runs.stall_note(run_dir):
            st.warning(note)
    live_runs.stop_button(run, key="train_stop")
    live_runs.run_curves(records, "train_live")
    learning_views.latest_snapshot(run_dir, "train_live_snapshot")


def with_article(name):
    return f"{'an' if name[0].lower() in 'aeiou8' else 'a'} {name}"


def cell_images(run, matrix, dataset):
    """The test images behind one cell of the confusion matrix, chosen by a click on it or by the two boxes."""
    true_key, predicted_key = f"train_true_{run.run_id}", f"train_predicted_{run.run_id}"
    classes = list(range(dataset.num_classes))
    off_diagonal = np.array(matrix) * (1 - np.eye(len(classes), dtype=int))
    worst_true, worst_predicted = map(int, np.unravel_index(off_diagonal.argmax(), off_diagonal.shape))

    def clicked():
        points = st.session_state[f"train_matrix_{run.run_id}"]["selection"]["points"]
        if points:
            st.session_state[true_key], st.session_state[predicted_key] = int(points[0]["y"]), int(points[0]["x"])

    st.plotly_chart(figures.confusion_figure(matrix, dataset), key=f"train_matrix_{run.run_id}", on_select=clicked,
                    selection_mode="points")
    left, right = st.columns(2)
    true = left.selectbox("True class", classes, format_func=dataset.class_name, key=true_key,
                          index=0 if true_key in st.session_state else worst_true)
    predicted = right.selectbox("Predicted class", classes, format_func=dataset.class_name, key=predicted_key,
                                index=0 if predicted_key in st.session_state else worst_predicted)
    predictions = np.load(run.run_dir / "test_predictions.npy")
    splits = loaders.load_splits(dataset.name)
    found = np.flatnonzero((splits.y_test == true) & (predictions == predicted))
    reading = f"{with_article(dataset.class_name(true))} that the model read as {dataset.class_name(predicted)}"
    st.caption(f"{len(found)} test {dataset.noun}s are {reading}"
               + (f"; the first {IMAGES_SHOWN}:" if len(found) > IMAGES_SHOWN else ":"))
    if len(found):
        shown = found[:IMAGES_SHOWN]
        thumbnails = (splits.x_test[shown] * 255).astype(np.uint8)
        mosaic = browse.labelled_mosaic(thumbnails, [f"#{i}" for i in shown], IMAGES_PER_ROW, scale=3)
        alt = (f"{len(shown)} test {dataset.noun}s, each {with_article(dataset.class_name(true))} read as "
               f"{dataset.class_name(predicted)}: " + ", ".join(f"#{i}" for i in shown))
        st.html(figures.picture_html(mosaic, alt))


def results(run):
    """A run that has ended: its error or stop, its test accuracy, confusion matrix and curves."""
    dataset = loaders.run_dataset(run)
    if run.state == "failed":
        st.error(plain(run.status.get("error", "The run failed.")))
    if run.state == "stopped":
        st.warning(plain(live_runs.outcome_message(run)))
    if run.model_path:
        accuracy = run.summary.get("test_accuracy")
        columns = st.columns(4)
        columns[0].metric("Test accuracy", f"{accuracy:.2%}" if accuracy is not None else "not measured")
        columns[1].metric("Epochs completed", run.summary.get("epochs_completed", "?"))
        columns[2].metric("Wall time", f"{run.summary.get('wall_seconds', 0):.0f} s")
        live_runs.activate_control(run.model_path, dataset, columns[3])
    if "confusion_matrix" in run.summary and (run.run_dir / "test_predictions.npy").exists():
        matrix = run.summary["confusion_matrix"]
        st.subheader(f"Confusion matrix on the {int(np.sum(matrix)):,} test {dataset.noun}s")
        st.caption(f"Click a cell, or pick a true and a predicted class, to see the test {dataset.noun}s behind it.")
        cell_images(run, matrix, dataset)
    live_runs.run_curves(store.load_metrics(run.run_dir), f"train_done_{run.run_id}")
    st.subheader("Replay: watch it learn")
    learning_views.replay([run.run_dir], f"train_replay_{run.run_id}")


router.require_router()
st.title("Train")
overrides = train_form.settings()
try:
    train_config = config.make_config(st.session_state.train_preset, st.session_state.train_dataset, **overrides)
    problem = None
except config.ConfigError as error:
    train_config, problem = None, error
for warning in train_config.warnings() if train_config else []:
    st.warning(warning)
mine = visitor.active_run()  # public mode: one run per visitor, so Start waits for it
if st.button("Start", type="primary", disabled=mine is not None, help="Train with these settings in a background process."):
    run_dir, problem = visitor.start(train_config) if not problem else (None, problem)
    if problem:
        st.error(f"Not started: {plain(problem)}")
    else:
        st.session_state.followed_run = str(run_dir)
        if public.enabled() and mine is None:
            st.rerun()  # draw Start disabled at once, so a second click cannot start another run
if mine:
    st.caption(f"Your run {mine.run_id} is {mine.state}: Start is available again when it ends.")

st.divider()
every_run = store.list_runs()
run = followed_run(every_run)
if run is None:
    st.info("No runs yet: choose a dataset and a preset, and press Start.")
else:
    if every_run[0].run_id != run.run_id:
        st.button(f"Show the newest run ({every_run[0].run_id}, {every_run[0].state})", on_click=follow,
                  args=(every_run[0].run_dir,))
    # Redrawn every second while the run is queued or running (its header too); the page redraws itself with the
    # results at the end.
    live_runs.follow_live(lambda: live_view(run.run_dir), lambda: live_runs.run_is_active(run.run_dir),
                          ended=lambda: ended_view(run.run_dir))
