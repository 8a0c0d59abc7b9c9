"""Runs: every run in the run store, the app's and the CLI's alike; compare their curves, then use, download or delete one."""

import datetime
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from lenet import config, runs
from pages import common, visitor

COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


def augmentation(settings):
    parts = [f"shift {settings['shift_pixels']:g} px" if settings.get("shift_pixels") else "",
             f"rotate {settings['rotation_degrees']:g}°" if settings.get("rotation_degrees") else ""]
    return ", ".join(part for part in parts if part) or "none"


def table(every_run):
    rows = [{
        "run": run.run_id, "state": run.state, "preset": run.config.get("preset"),
        "epochs": f"{run.summary.get('epochs_completed', len(runs.load_metrics(run.run_dir, kind='epoch')))}"
                  f"/{run.config.get('epochs')}",
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


@st.fragment(run_every=2.0)
def live_table():
    """While a run is queued or running, the table re-reads the run store every two seconds."""
    every_run = runs.list_runs(include_unreadable=True)
    if not any(run.state in runs.ACTIVE_STATES for run in every_run):
        st.rerun()  # nothing is training any more: redraw the whole page once
    table(every_run)


def overlay(chosen):
    """Per-epoch loss and accuracy of the chosen runs: validation solid, training dotted."""
    columns = st.columns(2)
    for column, metric in zip(columns, ("loss", "accuracy")):
        figure = go.Figure(layout=dict(title=metric.capitalize(), xaxis_title="epoch", height=460, xaxis_dtick=1,
                                       margin=dict(l=10, r=10, t=40, b=10),
                                       legend=dict(orientation="h", yanchor="top", y=-0.2, font=dict(size=10))))
        for index, run in enumerate(chosen):
            epochs = runs.load_metrics(run.run_dir, kind="epoch")
            x = [record["epoch"] for record in epochs]
            colour = COLOURS[index % len(COLOURS)]
            figure.add_scatter(x=x, y=[r["val_" + metric] for r in epochs], name=f"{run.run_id} val",
                               line=dict(color=colour))
            figure.add_scatter(x=x, y=[r[metric] for r in epochs], name=f"{run.run_id} train",
                               line=dict(color=colour, dash="dot"))
        column.plotly_chart(figure, key=f"runs_overlay_{metric}")


def activate(model_path):
    st.session_state.active_model = str(model_path)


def delete(run):
    try:
        if refusal := visitor.refusal(run):  # checked again: the button may have been drawn before a change
            raise runs.RunError(refusal)
        runs.delete_run(run.run_id)
    except runs.RunError as error:
        st.error(visitor.plain(error))
        return
    if Path(st.session_state.active_model).parent == run.run_dir:
        st.session_state.active_model = str(config.BUNDLED_MODEL_PATH)  # Draw goes back to the bundled model
    if st.session_state.followed_run and Path(st.session_state.followed_run) == run.run_dir:
        st.session_state.followed_run = None
    st.toast(f"Deleted run {run.run_id}.")
    st.rerun()


def manage(run):
    """One run: its outcome and checkpoint, and what can be done with it."""
    if run.problem:
        st.error(visitor.plain(f"This run cannot be read: {run.problem}. Delete it, or repair the file."))
    elif run.state == "failed":
        st.error(visitor.plain(run.status.get("error", "The run failed.")))
    elif run.status.get("error"):
        st.info(visitor.plain(run.status["error"]))
    checkpoint = len(runs.load_metrics(run.run_dir, kind="epoch"))
    if run.model_path:
        st.caption(f"Checkpoint: the model of epoch {checkpoint} ({run.model_path.stat().st_size // 1024} KB).")
    else:
        st.caption("No checkpoint: no epoch completed.")
    use, model_file, history, _ = st.columns(4)
    if run.model_path and st.session_state.active_model == str(run.model_path):
        use.success("Draw uses this model.")
    else:
        use.button("Use this model for drawing", on_click=activate, args=(run.model_path,), disabled=not run.model_path)
    if run.model_path:
        model_file.download_button("Download model.keras", run.model_path.read_bytes(),
                                   file_name=f"{run.run_id}.keras", mime="application/octet-stream")
    history.download_button("Download history (CSV)", runs.history_csv(run.run_dir),
                            file_name=f"{run.run_id}-history.csv", mime="text/csv")
    if refusal := visitor.refusal(run):
        st.caption(refusal)
    sure = st.checkbox(f"I'm sure: delete run {run.run_id} and all its files", key=f"runs_confirm_{run.run_id}",
                       disabled=refusal is not None)
    if st.button("Delete run", disabled=not sure or refusal is not None,
                 help="Removes the run folder; a queued or running run must be stopped first."):
        delete(run)


st.title("Runs")
every_run = runs.list_runs(include_unreadable=True)  # an unreadable run is listed here, so it can be deleted
if not every_run:
    st.info("No runs yet. Start one on the Train page, or from a terminal: `python -m lenet train --preset quick`.")
    st.stop()
st.caption(f"{len(every_run)} runs in {config.runs_dir()}, newest first; runs started from the CLI appear here too. "
           f"Draw uses: {common.active_model_label()}.")
if any(run.state in runs.ACTIVE_STATES for run in every_run):
    live_table()
else:
    table(every_run)

by_id = {run.run_id: run for run in every_run}
st.subheader("Compare")
chosen = st.multiselect("Runs to compare", list(by_id), default=list(by_id)[:3], key="runs_compare",
                        help="Overlay the per-epoch curves of these runs.")
if chosen:
    overlay([by_id[run_id] for run_id in chosen])

st.subheader("Manage")
selected = st.selectbox("Run", list(by_id), key="runs_selected", format_func=lambda run_id: f"{run_id} · {by_id[run_id].state}",
                        help="The run to use for drawing, download or delete.")
manage(by_id[selected])
