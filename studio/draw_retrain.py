"""Draw's "Retrain with my N digits": starts the fine-tune My digits suggests, follows it inline and, when it ends,
switches Draw to the new model with before → after for the drawing and for the MNIST test set, and "Switch back".

Session state "draw_retrain" = {"run": run folder, "baseline": model before, "switched": bool}.
"""

from pathlib import Path

import streamlit as st

from lenet import config as lenet_config
from lenet.data import my_digits
from lenet.runs import store
from studio import components, live_runs, loaders, state, visitor


def start():
    """The button's callback: start the fine-tune with My digits' default settings, or keep why not for `panel`."""
    run_dir, refused = components.start_retraining("finetune")
    if refused:
        st.session_state["draw_retrain_error"] = refused
    else:
        baseline = st.session_state["retrain_baseline"]  # the active model it started from
        st.session_state["draw_retrain"] = {"run": str(run_dir), "baseline": baseline, "switched": False}


def followed():
    """Draw's retraining run folder, if there is one and it still exists."""
    retrain = st.session_state["draw_retrain"]
    return retrain["run"] if retrain and Path(retrain["run"]).is_dir() else None


def switch_when_done():
    """Once Draw's run has ended with a model, make that model the active one (once): called before Draw classifies."""
    retrain, run_dir = st.session_state["draw_retrain"], followed()
    if not run_dir or retrain["switched"] or live_runs.run_is_active(run_dir):
        return
    model_path = store.load_run(run_dir).model_path
    retrain["switched"] = True
    if model_path:
        state.set_active_model(model_path)
        st.rerun()  # the sidebar's model chooser, drawn before this page, shows the new model too


def panel(digit_count):
    """The button, shown once the visitor has saved a digit (in Draw's left column)."""
    if error := st.session_state.pop("draw_retrain_error", None):
        st.error(f"Retraining did not start: {error}")
    if not digit_count or not loaders.active_dataset().is_digits:
        return
    run_dir = followed()
    busy = bool(run_dir) and live_runs.run_is_active(run_dir)
    st.button(f"Retrain with my {digit_count} digit{'s' if digit_count != 1 else ''}", key="draw_retrain_start",
              on_click=start, disabled=busy or visitor.active_run() is not None, icon=":material/model_training:",
              help=f"Fine-tune the active model on your digits mixed with MNIST ({lenet_config.FINETUNE_EPOCHS} epochs, "
                   "as My digits does), then read your drawing again.")


def progress_and_result(drawing):
    """Under Draw's columns: the run live while it trains, then before → after for `drawing` (the canvas image or
    upload, or None)."""
    run_dir = followed()
    if not run_dir:
        return
    live_runs.follow_live(lambda: live_runs.run_progress(run_dir, curves=False),
                          lambda: live_runs.run_is_active(run_dir))
    run = store.load_run(run_dir)
    if run.state in store.ACTIVE_STATES or not run.model_path:
        return
    baseline, retrained = st.session_state["draw_retrain"]["baseline"], str(run.model_path)
    components.before_after(baseline, retrained, lambda column: drawing_reads(column, drawing, baseline, retrained),
                            "MNIST test accuracy", "Use the retrained model", key="draw_retrain")


def drawing_reads(column, drawing, baseline, retrained):
    """How the models before and after read the drawing; saving a digit clears the canvas, so then the digit just
    saved is the one read again."""
    what = "this drawing"
    if drawing is None:
        newest = my_digits.list_digits(visitor.digits_store())
        drawing, what = (newest[-1].image, f"your last saved digit (a {newest[-1].label})") if newest else (None, "")
    if drawing is not None:
        before, after = (components.reading(loaders.load_classifier(path).classify(drawing))
                         for path in (baseline, retrained))
        column.metric(f"Retrained: {what} reads", after, delta=f"before: {before}", delta_color="off",
                      delta_arrow="off")
