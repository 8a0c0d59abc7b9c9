"""Following a run: one live-update idiom, one set of curves, Stop, one "use this model" control, and what to tell
a learner about a stop, a stopped run and a stalled one.

The run folder is the truth: everything here reads it again on each redraw, so a run started from the CLI or in
another tab shows up too.
"""

import streamlit as st

from lenet.runs import store, worker
from studio import figures, state, visitor
from studio.escaping import plain


def follow_live(render, is_active, every=1.0, ended=None):
    """Draw `render()`; while `is_active()`, redraw only it every `every` seconds (a fragment), and when it stops
    being active, rerun the whole page once, which draws `ended()` (default: `render()`) in place of the live view.

    Draw what has widgets of its own (results, "use this model") in `ended`, and have `render` call st.rerun() where
    it finds the run already ended: a widget drawn inside the fragment sends its click as a rerun of that fragment,
    and a click that lands just as the whole page reruns finds the fragment gone, so its callback runs but nothing
    is redrawn: the visitor's click looks lost.
    """
    if is_active():
        st.fragment(run_every=every)(_live_fragment)(render, is_active)
    else:
        (ended or render)()


def _live_fragment(render, is_active):
    if not is_active():
        st.rerun()
    render()


def run_is_active(run_dir):
    return store.read_status(run_dir).get("state") in store.ACTIVE_STATES


def run_curves(records, key):
    """A run's loss and accuracy per epoch and its training loss per batch (from its metric records), side by side."""
    epochs = [record for record in records if record["kind"] == "epoch"]
    batches = [record for record in records if record["kind"] == "batch"]
    steps = next((record["steps_per_epoch"] for record in records if record["kind"] == "start"), 1)
    if not batches:
        return
    columns = st.columns(3)
    for column, metric in zip(columns, ("loss", "accuracy")):
        if epochs:
            column.plotly_chart(figures.epoch_figure(metric, [("", epochs)]), key=f"{key}_{metric}")
        else:
            column.caption(f"{metric.capitalize()} per epoch, for training and validation, appears after the first epoch.")
    columns[2].plotly_chart(figures.batch_loss_figure(batches, steps), key=f"{key}_batches")


def run_progress(run_dir, curves=True, key="retrain"):
    """A short view of a run: its state and epochs, Stop while it trains, and (with `curves`) its curves."""
    run = store.load_run(run_dir)
    records = store.load_metrics(run_dir)
    epochs = len([record for record in records if record["kind"] == "epoch"])
    st.markdown(f"**Run {run.run_id}**: {plain(run.state)}, epoch {epochs} of {run.config.get('epochs')}")
    if run.state in store.ACTIVE_STATES:
        stop_button(run, key=f"{key}-stop")
    if curves:
        run_curves(records, key)


def stop_button(run, key):
    """Stop for a queued or running run, or why this visitor may not stop it (public mode), or that it is stopping."""
    if worker.stop_requested(run.run_dir):
        st.caption(stopping_message(run.run_dir))
    elif refusal := visitor.refusal(run):
        st.caption(refusal)
    else:
        st.button("Stop", key=key, on_click=visitor.stop, args=(run.run_dir,),
                  help="End the run within a second or so, keeping the model of the last completed epoch.")


def activate_control(model_path, dataset, container=st, key=None):
    """Make a run's model (of `dataset`) the active one, or say that it is."""
    page = "Draw" if dataset.is_digits else "Upload a photo"
    if model_path and state.active_model() == str(model_path):
        container.success(f"{page} uses this model.")
    else:
        label = "Use this model for drawing" if dataset.is_digits else "Use this model for photos"
        container.button(label, on_click=state.set_active_model, args=(model_path,), disabled=not model_path, key=key)


# What to tell a learner: each sentence true of what the run keeps.

def stopping_message(run_dir):
    """What a stop requested now will keep."""
    epochs = len(store.load_metrics(run_dir, kind="epoch"))
    if not epochs:
        return "Stopping within a second or so. No epoch has completed yet, so no model will be kept."
    return f"Stopping within a second or so; the model of epoch {epochs}, the last completed one, is kept."


def outcome_message(run):
    """How a stopped run ended, in words that are true of what it kept."""
    epochs = run.summary.get("epochs_completed", 0)
    error = run.status.get("error", "")
    if error == worker.STOPPED_BEFORE_START or "started" not in run.status:
        return "Stopped before it started training; no model was kept."
    how = f" It was {error}." if error.startswith("killed") else ""
    if not epochs or not run.model_path:
        return f"Stopped by request during the first epoch, so no model was kept.{how}"
    tested = "" if "test_accuracy" in run.summary else " It was not tested."
    return (f"Stopped by request after {epochs} completed epoch{'s' if epochs > 1 else ''}; the model of epoch "
            f"{epochs} is kept.{how}{tested}")


def stall_note(run_dir):
    """A warning when a running run has written nothing for a while, or None."""
    quiet = store.quiet_seconds(run_dir)
    if store.read_status(run_dir).get("state") != "running" or quiet < store.STALL_SECONDS:
        return None
    return (f"No progress for {quiet:.0f} s: the machine is very busy, or the training process is stuck. Stop ends "
            f"it; one that does no work for {worker.STOP_GRACE_SECONDS} s after Stop is killed, keeping its last "
            "completed epoch.")
