"""Public mode (lenet/runs/public.py): ownership, the caps on runs, double starts, pruning, free space, visitors' digits."""

import collections
import os
import shutil
import threading
import time

import numpy as np
import pytest

from lenet import config
from lenet.data import my_digits
from lenet.runs import public, store, worker

ALICE, BOB = public.owner_id("alice-token-0123456789"), public.owner_id("bob-token-0123456789")


@pytest.fixture
def public_mode(monkeypatch):
    monkeypatch.setenv(public.PUBLIC_VARIABLE, "1")


def fake_run(state="finished", owner="", created=None, **settings):
    """A run folder as a worker leaves it; an active one is "alive" because this test's process stands in for it."""
    run_dir = store.new_run(config.make_config("quick", **settings), owner=owner) if owner else \
        store.new_run(config.make_config("quick", **settings))
    status = {"state": state}
    if state in store.ACTIVE_STATES:
        status.update(pid=os.getpid(), pid_started=store.process_start_time(os.getpid()))
    if created is not None:
        status["created"] = created
    store.update_status(run_dir, **status)
    return store.load_run(run_dir)


def end_workers(*run_dirs):
    for run_dir in run_dirs:
        worker.kill(run_dir)


def test_the_switch_reads_the_environment(monkeypatch):
    assert not public.enabled()
    for value, expected in (("1", True), ("yes", True), ("0", False), ("", False), ("off", False)):
        monkeypatch.setenv(public.PUBLIC_VARIABLE, value)
        assert public.enabled() is expected
    monkeypatch.setenv(public.PUBLIC_VARIABLE, "maybe")
    with pytest.raises(config.ConfigError, match="LENET_PUBLIC must be 1"):
        public.enabled()


def test_tokens_and_owner_ids():
    token = public.new_token()
    assert public.valid_token(token) and not public.valid_token("short") and not public.valid_token("../../etc/passwd!")
    assert public.owner_id(token) != token and len(public.owner_id(token)) == 24  # only a hash is ever stored


def test_outside_public_mode_anyone_may_stop_or_delete_anything():
    assert public.refusal(fake_run(owner=ALICE), BOB) is None
    assert public.refusal(fake_run(), BOB) is None
    assert public.digits_store(ALICE) is None and public.digits_capacity() is None


def test_in_public_mode_only_the_owner_may_stop_or_delete_a_run(public_mode):
    alices = fake_run(owner=ALICE)
    assert public.refusal(alices, ALICE) is None
    assert public.refusal(alices, BOB) == "Only the visitor who started this run can stop or delete it."
    assert "command line" in public.refusal(fake_run(), ALICE)  # CLI runs are the host's


def test_one_active_run_per_visitor_and_at_most_max_active_runs_on_the_machine(public_mode):
    mine = fake_run("running", owner=ALICE)
    with pytest.raises(store.RunError, match=f"you already have a run running \\({mine.run_id}\\)"):
        public.submit(config.make_config("quick", epochs=3), ALICE)
    for index in range(public.MAX_ACTIVE_RUNS - 1):
        fake_run("queued", owner=public.owner_id(f"visitor-{index}-0123456789abcdef"))
    with pytest.raises(store.RunError, match=f"the machine is busy: {public.MAX_ACTIVE_RUNS} runs"):
        public.submit(config.make_config("quick"), BOB)
    assert len(store.list_runs()) == public.MAX_ACTIVE_RUNS  # nothing was started


def test_a_double_start_makes_one_run_and_records_its_owner(public_mode):
    blocker = fake_run("queued", owner=BOB)  # first in the queue, so the new worker waits instead of training
    quick = config.make_config("quick")
    first = public.submit(quick, ALICE)
    time.sleep(0.15)  # a double click
    second = public.submit(quick, ALICE)
    try:
        assert second == first
        assert [run.run_dir for run in store.list_runs() if run.owner == ALICE] == [first]
        assert store.read_status(first)["owner"] == ALICE
        assert store.process_alive(store.read_status(first)["pid"])  # a real worker, waiting behind the blocker
    finally:
        end_workers(first)
    assert blocker.run_dir.exists()


def test_two_starts_at_the_same_moment_make_one_run():
    fake_run("queued", owner=BOB)  # keeps the new worker waiting in the queue
    quick = config.make_config("quick", epochs=1)
    started, gate = [], threading.Barrier(2)

    def click():
        gate.wait()
        started.append(public.submit(quick, ALICE))

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join()
    try:
        assert len(started) == 2 and started[0] == started[1]
        assert len([run for run in store.list_runs() if run.owner == ALICE]) == 1
    finally:
        end_workers(started[0])


def test_pruning_deletes_visitors_oldest_ended_runs_and_never_active_or_cli_runs(public_mode, monkeypatch):
    monkeypatch.setattr(public, "MAX_KEPT_RUNS", 5)
    now = time.time()
    cli_run = fake_run(created=now - 1000)  # the host's: never pruned
    active = fake_run("running", owner=BOB, created=now - 900)
    ended = [fake_run(owner=ALICE if index % 2 else BOB, created=now - 800 + index) for index in range(8)]
    deleted = public.prune(store.store_root())
    kept = {run.run_dir for run in store.list_runs()}
    assert sorted(deleted) == sorted(run.run_id for run in ended[:4])  # room for 4 + the one about to start
    assert kept == {cli_run.run_dir, active.run_dir, *(run.run_dir for run in ended[4:])}

    monkeypatch.setattr(public, "MAX_KEPT_MB", 1)
    (ended[-1].run_dir / "model.keras").write_bytes(bytes(2**20))  # the newest is now over the size cap alone
    assert public.prune(store.store_root()) == [run.run_id for run in ended[4:]]  # oldest first
    assert {run.run_dir for run in store.list_runs()} == {cli_run.run_dir, active.run_dir}


def test_a_run_is_refused_when_the_disk_is_nearly_full(monkeypatch):
    usage = collections.namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10 * 2**30, 10 * 2**30 - 5 * 2**20, 5 * 2**20))
    with pytest.raises(store.RunError, match="not enough free disk space for a training run: 5 MB free"):
        public.submit(config.make_config("quick"), ALICE)
    assert store.list_runs() == []


def test_each_visitor_has_their_own_digits_in_public_mode(public_mode):
    shared = my_digits.save_digit(np.zeros((28, 28)), 1)
    alices = my_digits.save_digit(np.zeros((28, 28)), 2, store_dir=public.digits_store(ALICE))
    assert [d.digit_id for d in my_digits.list_digits(public.digits_store(ALICE))] == [alices]
    assert my_digits.list_digits(public.digits_store(BOB)) == []
    assert [d.digit_id for d in my_digits.list_digits()] == [shared]  # the visitors' sets are not the shared set's
    assert public.digits_capacity() == public.MAX_VISITOR_DIGITS
