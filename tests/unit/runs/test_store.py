import json
import subprocess
import sys

import pytest

from lenet import config
from lenet.runs import store
from lenet.train import run_files


def make_run(**status):
    run_dir = store.new_run(config.make_config("quick"))
    if status:
        store.update_status(run_dir, **status)
    return run_dir


def test_new_run_writes_config_and_a_queued_status():
    run_dir = make_run()
    assert store.read_json(run_dir / "config.json")["preset"] == "quick"
    assert store.read_status(run_dir)["state"] == "queued"
    assert store.run_path(run_dir.name) == run_dir


def epoch_record(epoch):
    return {"kind": "epoch", "epoch": epoch, "loss": 0.5, "accuracy": 0.9, "val_loss": 0.4, "val_accuracy": 0.91}


def test_metrics_reader_skips_a_half_written_last_line_until_it_is_complete():
    run_dir = make_run()
    run_files.append_metric(run_dir, epoch_record(1))
    line = json.dumps(epoch_record(2))
    with open(run_dir / "metrics.jsonl", "a", encoding="utf-8") as handle:
        handle.write(line[:10])  # a writer caught mid-line
    records, offset = store.read_metrics(run_dir)
    assert records == [epoch_record(1)]
    with open(run_dir / "metrics.jsonl", "a", encoding="utf-8") as handle:
        handle.write(line[10:] + "\n")
    more, _ = store.read_metrics(run_dir, offset)
    assert more == [epoch_record(2)]


def test_a_torn_line_in_the_middle_is_skipped():
    run_dir = make_run()
    batch = {"kind": "batch", "epoch": 1, "batch": 1, "step": 1, "loss": 2.0, "seconds": 0.1}
    (run_dir / "metrics.jsonl").write_text(f'{json.dumps(batch)}\n{{"kind": "ba\n{json.dumps(epoch_record(1))}\n',
                                           encoding="utf-8")
    assert [record["kind"] for record in store.load_metrics(run_dir)] == ["batch", "epoch"]


def test_a_run_whose_process_died_reads_as_failed():
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, encoding="utf-8")
    run_dir = make_run(state="running", pid=int(finished.stdout))
    status = store.read_status(run_dir)
    assert status["state"] == "failed"
    assert "ended without finishing" in status["error"]


def test_a_worker_killed_on_a_requested_stop_reads_as_stopped_whoever_reads_it_first():
    # The escalation notes why before it kills (lenet.runs.worker.kill): a page that reads the run between the kill
    # and the killer's own read must not show a crash (CI once saw "failed" for a run that was stopped).
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, encoding="utf-8")
    run_dir = make_run(state="running", pid=int(finished.stdout), started=1.0)
    store.note_kill_on_stop(run_dir, "it did no work for 10 s after the request (paused or stuck)")
    status = store.read_status(run_dir)
    assert status["state"] == "stopped"
    assert status["error"] == "killed: it did no work for 10 s after the request (paused or stuck)"
    assert store.read_json(run_dir / "status.json")["state"] == "stopped"  # recorded, not only reported
    assert store.load_run(run_dir).summary == {"stopped": True, "killed": True, "epochs_completed": 0}


def test_a_live_process_with_another_start_time_is_not_our_worker(tmp_path):
    import os

    run_dir = make_run(state="running", pid=os.getpid(), pid_started=store.process_start_time(os.getpid()))
    assert store.read_status(run_dir)["state"] == "running"
    store.update_status(run_dir, pid_started=1.0)  # the pid was reused by another process
    assert store.read_status(run_dir)["state"] == "failed"


@pytest.mark.parametrize("clock_step", [-2.0, -1.0, 1.0, 2.0])
def test_a_clock_adjustment_does_not_make_a_live_worker_look_crashed(clock_step, monkeypatch):
    import os

    run_dir = make_run(state="running", pid=os.getpid(), pid_started=store.process_start_time(os.getpid()))
    # The system clock moved after the worker recorded its start: Linux's boot time, and so every process's start
    # time, moves with it, in whole seconds.
    real_create_time = store.psutil.Process.create_time
    monkeypatch.setattr(store.psutil.Process, "create_time", lambda process: real_create_time(process) + clock_step)
    assert store.read_status(run_dir)["state"] == "running"


def test_list_delete_and_refusing_to_delete_an_active_run():
    import os

    done = make_run(state="finished")
    active = make_run(state="running", pid=os.getpid(), pid_started=store.process_start_time(os.getpid()))
    assert {run.run_id for run in store.list_runs()} == {done.name, active.name}
    with pytest.raises(store.RunError, match="stop it before deleting"):
        store.delete_run(active.name)
    store.delete_run(done.name)
    assert not done.exists()
    with pytest.raises(store.RunError, match="no run named"):
        store.run_path("no-such-run")


def test_history_csv_has_one_row_per_epoch():
    run_dir = make_run()
    for epoch in (1, 2):
        run_files.append_metric(run_dir, {"kind": "batch", "epoch": epoch, "loss": 1.0})
        run_files.append_metric(run_dir, {"kind": "epoch", "epoch": epoch, "loss": 0.5, "accuracy": 0.9,
                                     "val_loss": 0.4, "val_accuracy": 0.91, "learning_rate": 0.001, "seconds": 3.0})
    lines = store.history_csv(run_dir).splitlines()
    assert lines[0] == "epoch,loss,accuracy,val_loss,val_accuracy,learning_rate,seconds"
    assert len(lines) == 3 and lines[2].startswith("2,0.5,")


def test_write_json_leaves_no_temporary_files(tmp_path):
    store.write_json(tmp_path / "status.json", {"state": "finished"})
    assert [path.name for path in tmp_path.iterdir()] == ["status.json"]
    assert json.loads((tmp_path / "status.json").read_text(encoding="utf-8")) == {"state": "finished"}


def test_a_queued_run_that_never_got_a_process_stops_blocking_the_queue():
    import time

    fresh = make_run()
    assert store.read_status(fresh)["state"] == "queued"  # just created: its worker is about to start
    orphan = make_run(created=time.time() - 2 * store.ORPHAN_SECONDS)
    status = store.read_status(orphan)
    assert status["state"] == "failed" and "creator ended" in status["error"]


# The run store tolerates anything on disk (issue 12): one damaged run is "unreadable: <why>", the rest works.

DAMAGED_FILES = {
    "status-not-utf8": ("status.json", b'{"state": "fini\xff\xfe"}', "not UTF-8"),
    "status-null": ("status.json", b"null", "holds null"),
    "status-list": ("status.json", b"[]", "holds a list"),
    "status-created-text": ("status.json", b'{"state": "finished", "created": "yesterday"}', "created is a text"),
    "status-pid-text": ("status.json", b'{"state": "running", "pid": "1234"}', "pid is a text"),
    "status-unknown-state": ("status.json", b'{"state": 3}', "state is a whole number"),
    "config-null": ("config.json", b"null", "config.json"),
    "config-epochs-text": ("config.json", b'{"preset": "quick", "epochs": "many"}', "epochs"),
    "summary-accuracy-text": ("summary.json", b'{"test_accuracy": "high"}', "test_accuracy is a text"),
    "summary-list": ("summary.json", b"[1, 2]", "holds a list"),
}


@pytest.mark.parametrize("name, content, why", DAMAGED_FILES.values(), ids=DAMAGED_FILES.keys())
def test_a_damaged_run_is_listed_as_unreadable_and_the_others_still_work(name, content, why):
    good = make_run(state="finished")
    damaged = make_run(state="finished")
    (damaged / name).write_bytes(content)
    assert [run.run_dir for run in store.list_runs()] == [good]  # the models, the queue and the pages never see it
    listed = {run.run_dir: run for run in store.list_runs(include_unreadable=True)}
    assert listed[good].state == "finished"
    assert listed[damaged].state.startswith("unreadable: ") and why in listed[damaged].state
    assert listed[damaged].model_path is None and listed[damaged].config == {} and listed[damaged].summary == {}
    assert store.read_status(damaged)["state"] == ("unreadable" if name == "status.json" else "finished")


def test_a_config_that_is_a_folder_and_a_run_folder_that_is_a_file_break_nothing():
    good = make_run(state="finished")
    odd = make_run(state="finished")
    (odd / "config.json").unlink()
    (odd / "config.json").mkdir()
    (good.parent / "not-a-run").write_text("a file where a run folder might be", encoding="utf-8")
    listed = store.list_runs(include_unreadable=True)
    assert [run.run_dir for run in listed] == [odd, good] or [run.run_dir for run in listed] == [good, odd]
    assert next(run for run in listed if run.run_dir == odd).state.startswith("unreadable: config.json cannot be read")
    store.delete_run(odd.name)  # an unreadable run can be deleted, which is how it is cleared away
    assert [run.run_dir for run in store.list_runs(include_unreadable=True)] == [good]


def test_metric_lines_without_the_fields_the_pages_read_are_skipped():
    run_dir = make_run()
    good_batch = {"kind": "batch", "epoch": 1, "batch": 3, "step": 3, "loss": 2.0, "seconds": 0.5}
    lines = [
        json.dumps({"kind": "epoch", "epoch": 1, "accuracy": 0.9, "val_accuracy": 0.9}),  # no loss, no val_loss
        json.dumps({"kind": "batch", "epoch": 1, "batch": 1, "step": 0, "loss": 2.0, "seconds": 0.1}),  # step 0
        json.dumps({"kind": "start", "epochs": "2", "steps_per_epoch": 10}),  # a string where a number belongs
        json.dumps({"kind": "epoch", "epoch": 1, "loss": True, "accuracy": 0.9, "val_loss": 0.4, "val_accuracy": 0.9}),
        "null", "[]", '"text"', json.dumps({"no": "kind"}),
        json.dumps(good_batch), json.dumps(epoch_record(1)),
    ]
    (run_dir / "metrics.jsonl").write_bytes(("\n".join(lines) + "\n").encode() + b"\xff\xfe{}\n")
    assert store.load_metrics(run_dir) == [good_batch, epoch_record(1)]
    assert store.history_csv(run_dir).splitlines()[1].startswith("1,0.5,0.9,0.4,0.91")


def test_reading_a_dead_workers_run_on_a_read_only_store_reports_it_failed_and_writes_nothing(refuse_writes,
                                                                                                files_under):
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, encoding="utf-8")
    run_dir = make_run(state="running", pid=int(finished.stdout))
    before = files_under(run_dir.parent)
    with refuse_writes(run_dir.parent):
        status = store.read_status(run_dir)
        assert status["state"] == "failed" and "ended without finishing" in status["error"]
        assert [run.state for run in store.list_runs()] == ["failed"]
    assert files_under(run_dir.parent) == before  # nothing written, no temporary file
    assert store.read_json(run_dir / "status.json")["state"] == "running"  # saved as failed only where a write works
    assert store.read_status(run_dir)["state"] == "failed"
    assert store.read_json(run_dir / "status.json")["state"] == "failed"


def test_a_failed_write_leaves_no_temporary_file_and_the_old_content(tmp_path):
    import errno
    import pathlib

    target = tmp_path / "status.json"
    store.write_json(target, {"state": "queued"})
    real_write_bytes = pathlib.Path.write_bytes

    def disk_fills_midway(path, data):
        real_write_bytes(path, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.MonkeyPatch.context() as patch, pytest.raises(OSError, match="No space left"):
        patch.setattr(pathlib.Path, "write_bytes", disk_fills_midway)
        store.write_json(target, {"state": "finished", "padding": "x" * 1000})
    assert [path.name for path in tmp_path.iterdir()] == ["status.json"]
    assert store.read_json(target) == {"state": "queued"}


def test_creating_or_deleting_a_run_on_a_read_only_store_says_so_and_leaves_nothing(refuse_writes, files_under):
    done = make_run(state="finished")
    before = files_under(done.parent)
    with refuse_writes(done.parent):
        with pytest.raises(store.RunError, match="cannot create a run in .*Read-only file system"):
            store.new_run(config.make_config("quick"))
        with pytest.raises(store.RunError, match="could not delete run .*Read-only file system"):
            store.delete_run(done.name)
    assert files_under(done.parent) == before


def test_a_run_store_that_is_a_file_is_named_as_such(tmp_path, monkeypatch):
    monkeypatch.setenv("LENET_RUNS_DIR", str(tmp_path / "runs-file"))
    (tmp_path / "runs-file").write_text("not a folder", encoding="utf-8")
    with pytest.raises(store.RunError, match="runs-file is a file, not a folder: set LENET_RUNS_DIR to a folder"):
        store.new_run(config.make_config("quick"))
    assert store.list_runs() == []  # the pages still draw, and say why training is unavailable (studio/visitor.py)


def test_quiet_seconds_measure_the_time_since_the_last_metric_line():
    import os
    import time

    run_dir = make_run(state="running", pid=os.getpid(), pid_started=store.process_start_time(os.getpid()),
                       started=time.time() - 300)
    run_files.append_metric(run_dir, epoch_record(1))
    assert store.quiet_seconds(run_dir) < 60
    os.utime(run_dir / "metrics.jsonl", (time.time() - 120, time.time() - 120))
    assert 119 < store.quiet_seconds(run_dir) < 200
