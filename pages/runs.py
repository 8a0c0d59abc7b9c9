"""Runs: every run in the run store, the app's and the CLI's alike; compare their curves, then use, download or delete one."""

import datetime
from pathlib import Path

import pandas as pd
import streamlit as st

from lenet import config, files
from lenet.runs import store
from studio import class_views, figures, learning_views, live_runs, loaders, router, visitor
from studio.escaping import plain


def augmentation(settings):
    parts = [f"shift {settings['shift_pixels']:g} px" if settings.get("shift_pixels") else "",
             f"rotate {settings['rotation_degrees']:g}°" if settings.get("rotation_degrees") else ""]
    return ", ".join(part for part in parts if part) or "none"


def table(every_run):
    rows = [{
        "run": run.run_id, "state": run.state, "dataset": loaders.run_dataset(run).title,
        "preset": run.config.get("preset"),
        "epochs": f"{run.summary.get('epochs_completed', len(store.load_metrics(run.run_dir, kind='epoch')))}"
                  f"/{run.config.get('epochs')}",
        "variant": config.OLD_VARIANT_NAMES.get(run.config.get("variant"), run.config.get("variant")),
        "batch": run.config.get("batch_size"), "lr": run.config.get("learning_rate"),
        "activation": run.config.get("activation"), "pooling": run.config.get("pooling"),
        "augmentation": augmentation(run.config),
        "test accuracy": 100 * run.summary["test_accuracy"] if "test_accuracy" in run.summary else None,
        "wall time": run.summary.get("wall_seconds"),
        "date": datetime.datetime.fromtimestamp(run.status.get("created", 0)),
        "error": run.status.get("error", ""),
    } for run in every_run]
    st.dataframe(pd.DataFrame(rows), hide_index=True, column_config={
        "epochs": st.column_config.TextColumn(help="Completed / planned"),
        "test accuracy": st.column_config.NumberColumn(format="%.2f %%"),
        "wall time": st.column_config.NumberColumn(format="%.0f s"),
        "date": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
    })


def overlay(chosen):
    """Per-epoch loss and accuracy of the chosen runs: validation solid, training dotted."""
    series = [(run.run_id, store.load_metrics(run.run_dir, kind="epoch")) for run in chosen]
    for column, metric in zip(st.columns(2), ("loss", "accuracy")):
        figure = figures.epoch_figure(metric, series, height=460)
        figure.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.2, font=dict(size=10)))
        column.plotly_chart(figure, key=f"runs_overlay_{metric}")


def delete(run):
    try:
        if refusal := visitor.refusal(run):  # checked again: the button may have been drawn before a change
            raise store.RunError(refusal)
        store.delete_run(run.run_id)
    except store.RunError as error:
        st.error(plain(error))
        return
    if st.session_state.followed_run and Path(st.session_state.followed_run) == run.run_dir:
        st.session_state.followed_run = None
    st.toast(f"Deleted run {run.run_id}.")
    st.rerun()  # the model chooser sees the active model's file gone and goes back to the bundled model


def manage(run):
    """One run: its outcome and checkpoint, and what can be done with it."""
    if run.problem:
        st.error(plain(f"This run cannot be read: {run.problem}. Delete it, or repair the file."))
    elif run.state == "failed":
        st.error(plain(run.status.get("error", "The run failed.")))
    elif run.status.get("error"):
        st.info(plain(run.status["error"]))
    checkpoint = len(store.load_metrics(run.run_dir, kind="epoch"))
    if run.model_path:
        st.caption(f"Checkpoint: the model of epoch {checkpoint} ({run.model_path.stat().st_size // 1024} KB).")
    else:
        st.caption("No checkpoint: no epoch completed.")
    use, model_file, history, _ = st.columns(4)
    live_runs.activate_control(run.model_path, loaders.run_dataset(run), use)
    if run.model_path:
        model_file.download_button("Download model.keras", run.model_path.read_bytes(),
                                   file_name=f"{run.run_id}.keras", mime="application/octet-stream")
    history.download_button("Download history (CSV)", store.history_csv(run.run_dir),
                            file_name=f"{run.run_id}-history.csv", mime="text/csv")
    if refusal := visitor.refusal(run):
        st.caption(refusal)
    sure = st.checkbox(f"I'm sure: delete run {run.run_id} and all its files", key=f"runs_confirm_{run.run_id}",
                       disabled=refusal is not None)
    if st.button("Delete run", disabled=not sure or refusal is not None,
                 help="Removes the run folder; a queued or running run must be stopped first."):
        delete(run)


router.require_router()
st.title("Runs")
class_views.boards()  # class mode's boards (public mode only): who fooled the class model, and the best runs
every_run = store.list_runs(include_unreadable=True)  # an unreadable run is listed here, so it can be deleted
if not every_run:
    st.info("No runs yet. Start one on the Train page, or from a terminal: `python -m lenet train --preset quick`.")
    st.stop()
st.caption(f"{len(every_run)} runs in {plain(files.runs_dir())}, newest first; runs started from the CLI appear here too. "
           f"The active model: {loaders.active_model_label()}.")
# While a run is queued or running, the table re-reads the run store every two seconds.
live_runs.follow_live(lambda: table(store.list_runs(include_unreadable=True)),
                   lambda: any(run.state in store.ACTIVE_STATES for run in store.list_runs()), every=2.0)

by_id = {run.run_id: run for run in every_run}
st.subheader("Compare")
chosen = st.multiselect("Runs to compare", list(by_id), default=list(by_id)[:3], key="runs_compare",
                        help="Overlay the per-epoch curves of these runs.")
if chosen:
    overlay([by_id[run_id] for run_id in chosen])

st.subheader("Replay: watch them learn")
replayed = st.multiselect("Runs to replay side by side", list(by_id), default=list(by_id)[:1], max_selections=2,
                          key="runs_replay_chosen", help="One run, or two at the same epoch: tanh/avg against relu/max.")
if replayed:
    learning_views.replay([by_id[run_id].run_dir for run_id in replayed], "runs_replay", titles=replayed)

st.subheader("Manage")
selected = st.selectbox(
    "Run", list(by_id), key="runs_selected", help="The run whose model to use, download or delete.",
    format_func=lambda run_id: f"{run_id} · {loaders.run_dataset(by_id[run_id]).title} · {by_id[run_id].state}")
manage(by_id[selected])
