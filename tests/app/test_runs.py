"""The Runs page through AppTest, over runs written straight into the tmp run store (no training, so it is quick)."""

import json
import os
import shutil
import time

import pytest

from lenet import config
from lenet.runs import store
from lenet.train import run_files
from tests.app.conftest import button, open_page

KILLED = "The training process (pid 4242) ended without finishing: it was killed or crashed."


def fake_run(state, epochs_done, model=True, error=None, **settings):
    """A run folder as the worker leaves it: config, status, metrics and, if asked, a checkpoint and a summary."""
    run_dir = store.new_run(config.make_config("quick", **settings))
    for epoch in range(1, epochs_done + 1):
        run_files.append_metric(run_dir, {"kind": "epoch", "epoch": epoch, "loss": 1 / epoch, "accuracy": 0.9 + epoch / 100,
                                     "val_loss": 1.1 / epoch, "val_accuracy": 0.89 + epoch / 100, "learning_rate": 0.003,
                                     "epoch_seconds": 5.0, "seconds": 5.0 * epoch})
    if model:
        shutil.copy(config.BUNDLED_MODEL_PATH, run_dir / store.MODEL_FILE)
    if state in ("finished", "stopped"):
        store.write_json(run_dir / "summary.json", {"stopped": state == "stopped", "epochs_completed": epochs_done,
                                                   "test_accuracy": 0.9812, "wall_seconds": 42.0})
    status = {"state": state, "error": error} if error else {"state": state}
    if state == "running":  # alive: this test's own process stands in for the worker
        status.update(pid=os.getpid(), pid_started=store.process_start_time(os.getpid()))
    store.update_status(run_dir, **status)
    time.sleep(0.01)  # distinct creation times keep "newest first" well defined
    return run_dir


@pytest.fixture
def runs_by_state():
    return {
        "finished": fake_run("finished", 3, shift_pixels=2.0),
        "failed": fake_run("failed", 2, error=KILLED),
        "running": fake_run("running", 1),
    }


def select(app, run_dir):
    return app.selectbox(key="runs_selected").set_value(run_dir.name).run()


def test_the_table_lists_every_run_with_its_settings_and_outcome(runs_by_state):
    app = open_page("pages/runs.py")
    assert not app.exception
    table = app.dataframe[0].value.set_index("run")
    assert set(table.index) == {path.name for path in runs_by_state.values()}
    finished = table.loc[runs_by_state["finished"].name]
    assert (finished["state"], finished["preset"], finished["epochs"]) == ("finished", "quick", "3/2")
    assert finished["augmentation"] == "shift 2 px" and finished["test accuracy"] == pytest.approx(98.12)
    assert set(table["dataset"]) == {"MNIST"}
    assert table.loc[runs_by_state["failed"].name, "error"] == KILLED
    assert table.loc[runs_by_state["running"].name, "state"] == "running"


def test_the_overlay_draws_the_curves_of_the_chosen_runs(runs_by_state):
    app = open_page("pages/runs.py")
    app.multiselect(key="runs_compare").set_value([runs_by_state["finished"].name, runs_by_state["failed"].name]).run()
    charts = [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]
    assert len(charts) == 2
    for chart in charts:
        names = [trace["name"] for trace in chart["data"]]
        assert names == [f"{runs_by_state[which].name} {kind}" for which in ("finished", "failed") for kind in ("val", "train")]
        assert [len(trace["x"]) for trace in chart["data"]] == [3, 3, 2, 2]
    app.multiselect(key="runs_compare").set_value([]).run()
    assert not app.get("plotly_chart")


def test_a_run_can_be_activated_and_downloaded(runs_by_state):
    app = select(open_page("pages/runs.py"), runs_by_state["finished"])
    assert len(app.get("download_button")) == 2  # model.keras and the history CSV
    button(app, "Use this model for drawing").click().run()
    assert app.session_state["active_model"] == str(runs_by_state["finished"] / store.MODEL_FILE)
    assert app.success[0].value == "Draw uses this model."


def test_a_fashion_run_is_shown_as_one_and_its_model_is_for_photos(runs_by_state):
    fashion = fake_run("finished", 1, dataset="fashion")
    app = open_page("pages/runs.py")
    assert app.dataframe[0].value.set_index("run").loc[fashion.name, "dataset"] == "Fashion-MNIST"
    assert app.selectbox(key="runs_selected").value == fashion.name  # the newest run
    button(app, "Use this model for photos").click().run()
    assert app.session_state["active_model"] == str(fashion / store.MODEL_FILE)
    assert app.success[0].value == "Upload a photo uses this model."


def test_a_failed_run_shows_its_error_and_its_checkpoint_can_be_activated(runs_by_state):
    app = select(open_page("pages/runs.py"), runs_by_state["failed"])
    assert app.error[0].value == KILLED
    assert app.main.caption[-1].value.startswith("Checkpoint: the model of epoch 2")
    button(app, "Use this model for drawing").click().run()
    assert app.session_state["active_model"] == str(runs_by_state["failed"] / store.MODEL_FILE)


def test_a_run_without_a_checkpoint_cannot_be_activated():
    run_dir = fake_run("failed", 0, model=False, error="ValueError: bad data")
    app = open_page("pages/runs.py")
    assert app.selectbox(key="runs_selected").value == run_dir.name
    assert app.main.caption[-1].value == "No checkpoint: no epoch completed."
    assert button(app, "Use this model for drawing").disabled
    assert len(app.get("download_button")) == 1  # the history only


def test_delete_needs_confirmation_and_resets_the_active_model(runs_by_state):
    app = select(open_page("pages/runs.py"), runs_by_state["finished"])
    button(app, "Use this model for drawing").click().run()
    assert button(app, "Delete run").disabled
    app.checkbox(key=f"runs_confirm_{runs_by_state['finished'].name}").check().run()
    button(app, "Delete run").click().run()
    assert not runs_by_state["finished"].exists()
    assert runs_by_state["finished"].name not in set(app.dataframe[0].value["run"])
    assert app.session_state["active_model"] == str(config.BUNDLED_MODEL_PATH)


def test_an_active_run_is_not_deleted(runs_by_state):
    app = select(open_page("pages/runs.py"), runs_by_state["running"])
    app.checkbox(key=f"runs_confirm_{runs_by_state['running'].name}").check().run()
    button(app, "Delete run").click().run()
    assert "stop it before deleting it" in app.error[0].value
    assert runs_by_state["running"].exists()


def test_an_empty_store_says_how_to_start_a_run():
    app = open_page("pages/runs.py")
    assert "No runs yet" in app.info[0].value and not app.dataframe
