"""Replaying a run's snapshots on the Train and Runs pages, through AppTest, over runs written straight into the tmp
run store with generated snapshots (no training, so it is quick)."""

import json
from types import SimpleNamespace

import numpy as np

from lenet import config
from lenet.model import builders
from lenet.runs import store
from lenet.train import run_files, snapshots
from tests.app.conftest import open_page, plotly_array


def finished_run(epochs, activation="relu"):
    """A finished run folder with snapshots for epochs 0 to `epochs`, the weights changing every epoch."""
    run_dir = store.new_run(config.make_config("quick", epochs=epochs, activation=activation))
    rng = np.random.default_rng(epochs)
    splits = SimpleNamespace(x_test=(rng.random((10_000, 28, 28)) < 0.2).astype("float32"),
                             y_test=np.arange(10_000) % 10, dataset="mnist")
    model = builders.build_model()
    writer = snapshots.SnapshotWriter(run_dir, splits)
    writer.begin(model)
    for epoch in range(1, epochs + 1):
        model.set_weights([weights + 0.1 * rng.normal(size=weights.shape) for weights in model.get_weights()])
        writer.write(model, epoch)
        run_files.append_metric(run_dir, {"kind": "epoch", "epoch": epoch, "loss": 1 / epoch, "accuracy": 0.9,
                                     "val_loss": 1 / epoch, "val_accuracy": 0.9, "seconds": epoch})
    store.write_json(run_dir / "summary.json", {"stopped": False, "epochs_completed": epochs})
    store.update_status(run_dir, state="finished")
    return run_dir


def shown_epochs(app):
    """The epochs the replay says it shows, from its captions ("Epoch 2 of 3")."""
    return [caption.value.split()[1] for caption in app.caption if caption.value.startswith("Epoch ")]


def map_positions(app):
    charts = [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]
    maps = [chart for chart in charts if chart["data"] and chart["data"][0].get("hovertemplate", "").endswith(
        "test #%{customdata}<extra></extra>")]
    return [plotly_array(chart["data"][0]["x"]) for chart in maps]


def filters_alt(app):
    return [html.proto.body.split('alt="')[1].split('"')[0] for html in app.get("html")
            if "C1 filters" in html.proto.body]


def test_the_train_page_slider_changes_the_shown_epoch():
    run_dir = finished_run(3)
    app = open_page("pages/train.py")
    assert not app.exception
    slider = app.select_slider(key=f"train_replay_{run_dir.name}_epoch")
    assert list(slider.options) == ["0", "1", "2", "3"] and slider.value == 3  # the last epoch first
    assert shown_epochs(app) == ["3"] and filters_alt(app) == ["C1 filters at epoch 3"]
    last_map = map_positions(app)[0]

    slider.set_value(1).run()
    assert shown_epochs(app) == ["1"] and filters_alt(app) == ["C1 filters at epoch 1"]
    first_map = map_positions(app)[0]
    np.testing.assert_allclose(first_map, snapshots.read_snapshot(run_dir, 1).positions[
        snapshots.read_subjects(run_dir).map_labels == 0, 0], rtol=1e-5)
    assert not np.allclose(first_map, last_map)


def test_play_steps_through_the_epochs_and_stops_at_the_last():
    run_dir = finished_run(2)
    app = open_page("pages/train.py")
    play = app.button(key=f"train_replay_{run_dir.name}_play")
    assert play.label.endswith("Play")
    play.click().run()  # at the last epoch: playing starts again from epoch 0
    assert shown_epochs(app) == ["0"] and app.button(key=f"train_replay_{run_dir.name}_play").label.endswith("Pause")
    seen = []
    for _ in range(3):  # AppTest does not tick timers; each run stands for one tick of the player
        app.run()
        seen += shown_epochs(app)
    assert seen == ["1", "2", "2"]
    assert app.button(key=f"train_replay_{run_dir.name}_play").label.endswith("Play")  # stopped at the end


def test_the_runs_page_replays_two_runs_side_by_side_at_the_same_epoch():
    long_run, short_run = finished_run(3, activation="tanh"), finished_run(1)
    app = open_page("pages/runs.py")
    app.multiselect(key="runs_replay_chosen").set_value([long_run.name, short_run.name]).run()
    assert not app.exception
    slider = app.select_slider(key="runs_replay_epoch")
    assert list(slider.options) == ["0", "1", "2", "3"]
    assert shown_epochs(app) == [str(slider.value)] * 2 and len(filters_alt(app)) == 2
    slider.set_value(3).run()
    assert shown_epochs(app) == ["3", "1"]  # the short run shows its last epoch, and says so
    assert any("its last: it has no epoch 3" in caption.value for caption in app.caption)
    app.select_slider(key="runs_replay_epoch").set_value(0).run()
    assert shown_epochs(app) == ["0", "0"] and filters_alt(app) == ["C1 filters at epoch 0"] * 2


def test_an_old_run_config_naming_the_seed_variant_shows_it_as_28x28():
    run_dir = finished_run(1)
    old_config = {**store.read_json(run_dir / "config.json"), "variant": "seed"}  # as runs saved it before the rename
    store.write_json(run_dir / "config.json", old_config)
    app = open_page("pages/runs.py")
    assert app.dataframe[0].value.set_index("run").loc[run_dir.name, "variant"] == "28x28"
    app = open_page("pages/train.py")
    assert app.subheader[0].value == f"Run {run_dir.name} · finished"
    assert any(caption.value.startswith("MNIST, quick preset: epochs 1, batch_size 256, learning_rate 0.003, variant "
                                        "28x28") for caption in app.caption)
