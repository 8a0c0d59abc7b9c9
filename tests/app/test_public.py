"""Public mode through the pages (AppTest): each visitor stops and deletes only their own runs, starts one at a
time, and sees only their own digits; the token in the address keeps this across a reload."""

import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from lenet import config
from lenet.data import my_digits
from lenet.runs import public, store, worker
from tests.app.conftest import button, open_page
from tests.conftest import sleeping_process

ALICE, BOB = "alice-token-0123456789", "bob-token-0123456789"


@pytest.fixture(autouse=True)
def public_mode(monkeypatch):
    monkeypatch.setenv(public.PUBLIC_VARIABLE, "1")


def visit(page, token=None):
    """A visitor's new session (a first visit, or a reload of an address holding `token`) on `page`."""
    return open_page(page, {"visitor": token} if token else None)


@pytest.fixture
def stand_in():
    """A sleeping process that stands in for a worker (Stop may kill it: never this test's own process)."""
    sleeper = sleeping_process()
    yield sleeper.pid
    sleeper.kill()
    sleeper.wait()


def owned_run(token, state="finished", pid=None):
    run_dir = store.new_run(config.make_config("quick"), owner=public.owner_id(token) if token else "")
    if state in store.ACTIVE_STATES:
        store.update_status(run_dir, state=state, pid=pid, pid_started=store.process_start_time(pid))
    else:
        shutil.copy(config.BUNDLED_MODEL_PATH, run_dir / store.MODEL_FILE)
        store.update_status(run_dir, state=state)
    time.sleep(0.01)
    return run_dir


def test_a_first_visit_gets_a_token_in_its_address_and_a_reload_keeps_it():
    app = visit("pages/home.py")
    token = app.session_state["visitor_token"]
    assert public.valid_token(token) and app.query_params["visitor"] == token
    assert visit("pages/home.py", token).session_state["visitor_token"] == token


def test_only_the_visitor_who_started_a_run_may_stop_it_even_after_a_reload(stand_in):
    run_dir = owned_run(ALICE, "running", stand_in)
    alice = visit("pages/train.py", ALICE)
    assert alice.subheader[0].value == f"Run {run_dir.name} · running"
    assert alice.button(key="train_stop").label == "Stop"
    assert button(alice, "Start").disabled  # one run at a time per visitor
    assert any(caption.value.startswith(f"Your run {run_dir.name} is running") for caption in alice.caption)

    bob = visit("pages/train.py", BOB)
    assert bob.subheader[0].value == f"Run {run_dir.name} · running"  # Bob can watch it...
    assert not [widget for widget in bob.button if widget.key == "train_stop"]  # ...but not stop it
    assert any(caption.value == "Only the visitor who started this run can stop or delete it." for caption in bob.caption)
    assert not button(bob, "Start").disabled

    alice.button(key="train_stop").click().run()  # a reload later, Alice still can
    assert (run_dir / store.STOP_FILE).exists()


def test_only_the_owner_may_delete_a_run_and_nobody_a_cli_run():
    alices, cli_run = owned_run(ALICE), owned_run(None)
    for token, run_dir, allowed in ((BOB, alices, False), (ALICE, cli_run, False), (ALICE, alices, True)):
        app = visit("pages/runs.py", token)
        app.selectbox(key="runs_selected").set_value(run_dir.name).run()
        assert app.checkbox(key=f"runs_confirm_{run_dir.name}").disabled is not allowed
        if allowed:
            app.checkbox(key=f"runs_confirm_{run_dir.name}").check().run()
        assert button(app, "Delete run").disabled is not allowed
    assert any("command line" in caption.value for caption in
               visit("pages/runs.py", BOB).selectbox(key="runs_selected").set_value(cli_run.name).run().caption)
    button(app, "Delete run").click().run()  # Alice's own, confirmed above
    assert not alices.exists() and cli_run.exists()


def test_start_makes_one_run_owned_by_the_visitor_and_is_then_disabled():
    app = visit("pages/train.py", BOB)
    app.selectbox(key="train_preset").set_value("quick").run()
    button(app, "Start").click().run()
    run_dir = Path(app.session_state["followed_run"])
    try:
        assert store.read_status(run_dir)["owner"] == public.owner_id(BOB)
        assert button(app, "Start").disabled  # redrawn at once: a second click has nothing to press
        assert [run.run_dir for run in store.list_runs()] == [run_dir]
    finally:
        worker.kill(run_dir)


def test_each_visitor_sees_only_their_own_digits():
    my_digits.save_digit(np.zeros((28, 28)), 1)  # the shared set, which the CLI uses
    my_digits.save_digit(np.zeros((28, 28)), 7, store_dir=public.digits_store(public.owner_id(ALICE)))
    alice = visit("pages/my_digits.py", ALICE)
    assert any("**1 digits**" in markdown.value for markdown in alice.markdown)
    assert [image.proto.imgs[0].caption for image in alice.image] == ["7"]
    bob = visit("pages/my_digits.py", BOB)
    assert any("No digits yet" in info.value for info in bob.info) and not bob.image
    assert bob.get("download_button")[0].proto.disabled  # nothing of Alice's to export
