import json
import subprocess
import sys

import pytest

from lenet import config, runs


def make_run(**status):
    run_dir = runs.new_run(config.make_config("quick"))
    if status:
        runs.update_status(run_dir, **status)
    return run_dir


def test_new_run_writes_config_and_a_queued_status():
    run_dir = make_run()
    assert runs.read_json(run_dir / "config.json")["preset"] == "quick"
    assert runs.read_status(run_dir)["state"] == "queued"
    assert runs.run_path(run_dir.name) == run_dir


def test_metrics_reader_skips_a_half_written_last_line_until_it_is_complete():
    run_dir = make_run()
    runs.append_metric(run_dir, {"kind": "epoch", "epoch": 1})
    with open(run_dir / "metrics.jsonl", "a") as handle:
        handle.write('{"kind": "epoch", "ep')  # a writer caught mid-line
    records, offset = runs.read_metrics(run_dir)
    assert records == [{"kind": "epoch", "epoch": 1}]
    with open(run_dir / "metrics.jsonl", "a") as handle:
        handle.write('och": 2}\n')
    more, _ = runs.read_metrics(run_dir, offset)
    assert more == [{"kind": "epoch", "epoch": 2}]


def test_a_torn_line_in_the_middle_is_skipped():
    run_dir = make_run()
    (run_dir / "metrics.jsonl").write_text('{"kind": "batch"}\n{"kind": "ba\n{"kind": "epoch"}\n')
    assert [record["kind"] for record in runs.load_metrics(run_dir)] == ["batch", "epoch"]


def test_a_run_whose_process_died_reads_as_failed():
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    run_dir = make_run(state="running", pid=int(finished.stdout))
    status = runs.read_status(run_dir)
    assert status["state"] == "failed"
    assert "ended without finishing" in status["error"]


def test_a_live_process_with_another_start_time_is_not_our_worker(tmp_path):
    import os

    run_dir = make_run(state="running", pid=os.getpid(), pid_started=runs.process_start_time(os.getpid()))
    assert runs.read_status(run_dir)["state"] == "running"
    runs.update_status(run_dir, pid_started=1.0)  # the pid was reused by another process
    assert runs.read_status(run_dir)["state"] == "failed"


def test_list_delete_and_refusing_to_delete_an_active_run():
    import os

    done = make_run(state="finished")
    active = make_run(state="running", pid=os.getpid(), pid_started=runs.process_start_time(os.getpid()))
    assert {run.run_id for run in runs.list_runs()} == {done.name, active.name}
    with pytest.raises(runs.RunError, match="stop it before deleting"):
        runs.delete_run(active.name)
    runs.delete_run(done.name)
    assert not done.exists()
    with pytest.raises(runs.RunError, match="no run named"):
        runs.run_path("no-such-run")


def test_history_csv_has_one_row_per_epoch():
    run_dir = make_run()
    for epoch in (1, 2):
        runs.append_metric(run_dir, {"kind": "batch", "epoch": epoch, "loss": 1.0})
        runs.append_metric(run_dir, {"kind": "epoch", "epoch": epoch, "loss": 0.5, "accuracy": 0.9,
                                     "val_loss": 0.4, "val_accuracy": 0.91, "learning_rate": 0.001, "seconds": 3.0})
    lines = runs.history_csv(run_dir).splitlines()
    assert lines[0] == "epoch,loss,accuracy,val_loss,val_accuracy,learning_rate,seconds"
    assert len(lines) == 3 and lines[2].startswith("2,0.5,")


def test_write_json_leaves_no_temporary_files(tmp_path):
    runs.write_json(tmp_path / "status.json", {"state": "finished"})
    assert [path.name for path in tmp_path.iterdir()] == ["status.json"]
    assert json.loads((tmp_path / "status.json").read_text()) == {"state": "finished"}


def test_a_queued_run_that_never_got_a_process_stops_blocking_the_queue():
    import time

    fresh = make_run()
    assert runs.read_status(fresh)["state"] == "queued"  # just created: its worker is about to start
    orphan = make_run(created=time.time() - 2 * runs.ORPHAN_SECONDS)
    status = runs.read_status(orphan)
    assert status["state"] == "failed" and "creator ended" in status["error"]
