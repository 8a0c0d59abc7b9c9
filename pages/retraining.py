"""Retraining with my digits, shared by My digits and Draw: the run's progress, the accuracy figures, and Draw's
"Retrain with my N digits", which starts the same fine-tune, follows it inline and, when it ends, switches Draw to the
new model with before → after for the drawing and for the MNIST test set, and "Switch back".

Not a page: pages/my_digits.py and pages/draw.py call it.
"""

from pathlib import Path

import streamlit as st

from lenet import config as lenet_config
from lenet.data import my_digits
from lenet.runs import store
from lenet.train import finetune
from pages import common, visitor


@st.cache_data(show_spinner="Measuring accuracy…", max_entries=32)
def accuracies(model_path, modified_time, images, labels):
    """(accuracy on the given digits, accuracy on its dataset's test set) of one model file."""
    classifier = common.load_classifier(model_path)
    splits = common.load_splits(classifier.dataset.name)
    mine = float((classifier.probabilities(images).argmax(axis=1) == labels).mean()) if len(labels) else None
    return mine, float((classifier.probabilities(splits.x_test).argmax(axis=1) == splits.y_test).mean())


def run_progress(run_dir, curves=True):
    """The retraining run: its progress and curves, and Stop while it trains (redrawn by common.follow_live)."""
    run = store.load_run(run_dir)
    records = store.load_metrics(run_dir)
    epochs = len([record for record in records if record["kind"] == "epoch"])
    st.markdown(f"**Run {run.run_id}**: {visitor.plain(run.state)}, epoch {epochs} of {run.config.get('epochs')}")
    if run.state in store.ACTIVE_STATES:
        common.stop_button(run, key="retrain-stop")
    if curves:
        common.run_curves(records, "retrain")


# Draw's retraining: session state "draw_retrain" = {"run": run folder, "baseline": model before, "switched": bool}.

def start_from_draw():
    """Start the fine-tune My digits suggests (its default settings), as this visitor; say why not if refused."""
    active, store = common.active_model(), visitor.digits_store()
    try:
        run_dir, refused = visitor.start(finetune.retrain_config("finetune", active, store_dir=store),
                                         run_name="my-digits-finetune")
    except (my_digits.MyDigitsError, lenet_config.ConfigError) as error:
        run_dir, refused = None, str(error)
    if refused:
        st.session_state["draw_retrain_error"] = visitor.plain(refused)
        return
    st.session_state.update(draw_retrain={"run": str(run_dir), "baseline": active, "switched": False},
                            retrain_run=str(run_dir), retrain_baseline=active)  # My digits follows it too


def switch_when_done():
    """Once Draw's run has ended with a model, make that model the active one (once): called before Draw classifies."""
    state = st.session_state["draw_retrain"]
    if not state or state["switched"] or not Path(state["run"]).is_dir() or common.run_is_active(state["run"]):
        return
    model_path = store.load_run(state["run"]).model_path
    state["switched"] = True
    if model_path:
        common.set_active_model(model_path)
        st.rerun()  # the sidebar's model chooser, drawn before this page, shows the new model too


def panel(digit_count):
    """The button, shown once the visitor has saved a digit (in Draw's left column)."""
    if error := st.session_state.pop("draw_retrain_error", None):
        st.error(f"Retraining did not start: {error}")
    if not digit_count or not common.active_dataset().is_digits:
        return
    state = st.session_state["draw_retrain"]
    busy = bool(state) and Path(state["run"]).is_dir() and common.run_is_active(state["run"])
    st.button(f"Retrain with my {digit_count} digit{'s' if digit_count != 1 else ''}", key="draw_retrain_start",
              on_click=start_from_draw, disabled=busy or visitor.active_run() is not None, icon=":material/model_training:",
              help=f"Fine-tune the active model on your digits mixed with MNIST ({lenet_config.FINETUNE_EPOCHS} epochs, "
                   "as My digits does), then read your drawing again.")


def progress_and_result(drawing):
    """Under Draw's columns: the run live while it trains, then before → after for `drawing` (the canvas image or
    upload, or None)."""
    state = st.session_state["draw_retrain"]
    if not state or not Path(state["run"]).is_dir():
        return
    run_dir = state["run"]
    common.follow_live(lambda: run_progress(run_dir, curves=False), lambda: common.run_is_active(run_dir))
    run = store.load_run(run_dir)
    if run.state in store.ACTIVE_STATES or not run.model_path:
        return
    before_after(state["baseline"], str(run.model_path), drawing)


def before_after(baseline, retrained, drawing):
    if not Path(baseline).is_file():
        st.warning(f"The model before retraining ({Path(baseline).name}) is gone; no before and after to compare.")
        return
    this, test_set, switch = st.columns([1, 1, 1.2], vertical_alignment="center")
    what = "this drawing"
    if drawing is None:  # Saving a digit clears the canvas: then the digit just saved is the one to read again.
        newest = my_digits.list_digits(visitor.digits_store())
        drawing, what = (newest[-1].image, f"your last saved digit (a {newest[-1].label})") if newest else (None, "")
    if drawing is not None:
        reads = {name: common.load_classifier(path).classify(drawing) for name, path in
                 (("before", baseline), ("after", retrained))}
        this.metric(f"Retrained: {what} reads", reading(reads["after"]),
                       delta=f"before: {reading(reads['before'])}", delta_color="off", delta_arrow="off")
    before, after = (test_accuracy(path) for path in (baseline, retrained))
    test_set.metric("MNIST test accuracy", f"{after:.2%}", delta=f"{(after - before) * 100:+.2f} points",
                    delta_description=f"before: {before:.2%}")
    if common.active_model() == retrained:
        switch.button("Switch back to the model before", on_click=common.set_active_model, args=(baseline,),
                      icon=":material/undo:", key="draw_retrain_back")
    else:
        switch.button("Use the retrained model", on_click=common.set_active_model, args=(retrained,),
                      key="draw_retrain_use")


def reading(prediction):
    if prediction.label is None:
        return "nothing"
    return "not a digit" if prediction.abstained else f"{prediction.label} ({prediction.probabilities.max():.0%})"


def test_accuracy(model_path):
    """From the model's card (measured on the test set when its training ended), else measured now."""
    accuracy = common.read_card(model_path).test_accuracy
    if accuracy is None:
        images, labels = my_digits.evaluation_arrays(visitor.digits_store())
        accuracy = accuracies(model_path, Path(model_path).stat().st_mtime, images, labels)[1]
    return accuracy
