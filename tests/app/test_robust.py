"""Issue 12 through the pages: a damaged or read-only run store, markdown in names and errors, true stop messages,
a stalled run, a double click on Start, hidden tracebacks and the upload cap. AppTest, no training."""

import os
import re
import time
import tomllib

import pytest
from streamlit.testing.v1 import AppTest

from lenet import config, files
from lenet.data import datasets, my_digits
from lenet.runs import store
from lenet.train import run_files
from studio.escaping import plain
from tests.app.conftest import new_app, open_page

PAGES = ("pages/home.py", "pages/draw.py", "pages/train.py", "pages/runs.py", "pages/model.py", "pages/my_digits.py",
         "pages/dataset.py")
MARKDOWN = "[click me](javascript:alert(1)) **bold** <b>tag</b> https://example.com"
EPOCH = {"kind": "epoch", "loss": 0.5, "accuracy": 0.9, "val_loss": 0.4, "val_accuracy": 0.9}


def make_run(state="finished", epochs=0, **status):
    run_dir = store.new_run(config.make_config("quick"))
    for epoch in range(1, epochs + 1):
        run_files.append_metric(run_dir, {**EPOCH, "epoch": epoch})
    if state in store.ACTIVE_STATES:
        status.update(pid=os.getpid(), pid_started=store.process_start_time(os.getpid()))
    store.update_status(run_dir, state=state, **status)
    time.sleep(0.01)  # distinct creation times
    return run_dir


def texts(app, kind):
    return [element.value for element in getattr(app, kind)]


@pytest.mark.parametrize("page", [page for page in PAGES if page != "pages/dataset.py"])
def test_every_page_works_with_damaged_runs_in_the_store(page):
    good = make_run("finished")
    for content in (b"\xff\xfe", b"null", b"[]", b'{"state": "finished", "created": "soon"}'):
        (make_run("finished") / "status.json").write_bytes(content)
    lacking = make_run("running")  # metric lines that are JSON but lack what the pages read
    (lacking / "metrics.jsonl").write_text('{"kind": "epoch", "epoch": 1, "accuracy": 0.9}\n'
                                           '{"kind": "batch", "epoch": 1, "batch": 1}\n{"kind": "start"}\n',
                                           encoding="utf-8")
    app = open_page(page)  # no exception, on every page
    if page == "pages/runs.py":
        table = app.dataframe[0].value.set_index("run")
        unreadable = [state for state in table["state"] if state.startswith("unreadable: ")]
        assert len(unreadable) == 4 and table.loc[good.name, "state"] == "finished"
    if page == "pages/train.py":
        assert app.subheader[0].value == f"Run {lacking.name} · running"  # followed, drawn without its bad lines


@pytest.mark.parametrize("damage", ["gone", "cut short"])
@pytest.mark.parametrize("page", PAGES + ("pages/photo.py",))
def test_every_page_works_and_says_why_when_the_bundled_model_is_gone_or_damaged(page, damage, monkeypatch, tmp_path):
    bundled = tmp_path / "models" / config.BUNDLED_MODEL_PATH.name  # models/ deleted, or a copy cut short
    if damage == "cut short":
        bundled.parent.mkdir()
        bundled.write_bytes(config.BUNDLED_MODEL_PATH.read_bytes()[:50_000])
    monkeypatch.setattr(config, "BUNDLED_MODEL_PATH", bundled)
    monkeypatch.setitem(config.BUNDLED_MODELS, datasets.DEFAULT, bundled)
    app = open_page(page, active_model=str(bundled))  # a new visitor's default (studio.state, read at its import)
    [why] = texts(app.sidebar, "error")  # under the model chooser, on every page
    assert plain(str(bundled)) in why and ("no model file" in why) == (damage == "gone")
    assert not any(bundled.name in warning for warning in texts(app, "warning"))  # not "using the bundled model"
    if page in ("pages/draw.py", "pages/model.py", "pages/photo.py"):  # the pages that need the model stop there
        assert f"Cannot load the active model: {why}" in texts(app.main, "error")


def test_the_runs_page_explains_an_unreadable_run_and_can_delete_it():
    damaged = make_run("finished")
    (damaged / "config.json").write_bytes(b'{"preset": "quick", "epochs": "many"}')
    app = open_page("pages/runs.py")
    app.selectbox(key="runs_selected").set_value(damaged.name).run()
    assert "This run cannot be read: config.json: epochs must be" in app.error[0].value
    app.checkbox(key=f"runs_confirm_{damaged.name}").check().run()
    next(button for button in app.button if button.label == "Delete run").click().run()
    assert not damaged.exists() and not app.exception


def test_stored_error_texts_and_file_names_are_shown_as_plain_text():
    failed = make_run("failed", error=MARKDOWN)
    app = open_page("pages/train.py", followed_run=str(failed))
    assert app.error[0].value == plain(MARKDOWN)
    assert r"\[click me\](javascript:alert(1)) \*\*bold\*\* \<b\>tag\</b\> https:\//example.com" == app.error[0].value
    app = open_page("pages/runs.py")
    assert app.error[0].value == plain(MARKDOWN)
    my_digits.save_digit(__import__("numpy").zeros((28, 28)), 3)
    app = open_page("pages/my_digits.py")
    app.file_uploader(key="import_file").upload("[evil](javascript:x)**.npz", my_digits.export_npz())
    app.run()
    assert any(plain("[evil](javascript:x)**.npz") in toast.value for toast in app.toast)


def test_a_stop_in_the_first_epoch_says_that_no_model_was_kept():
    run_dir = make_run("stopped", started=time.time() - 5)
    store.write_json(run_dir / "summary.json", {"stopped": True, "epochs_completed": 0})
    app = open_page("pages/train.py", followed_run=str(run_dir))
    assert app.warning[0].value.startswith("Stopped by request during the first epoch, so no model was kept")
    assert not any("is kept" in warning for warning in texts(app, "warning"))


def test_a_stalled_run_shows_how_long_it_has_made_no_progress():
    run_dir = make_run("running", epochs=1, started=time.time() - 400)
    run_files.append_metric(run_dir, {"kind": "start", "epochs": 5, "steps_per_epoch": 10, "time": time.time() - 400})
    run_files.append_metric(run_dir, {"kind": "batch", "epoch": 2, "batch": 5, "step": 15, "loss": 0.3, "seconds": 30})
    app = open_page("pages/train.py", followed_run=str(run_dir))
    assert not any(warning.startswith("No progress") for warning in texts(app, "warning"))
    os.utime(run_dir / "metrics.jsonl", (time.time() - 120, time.time() - 120))
    app.run()
    # The page counts from its own run, which a busy machine may start a second or more after the clock was turned.
    stalled = [re.match(r"No progress for (\d+) s", warning) for warning in texts(app, "warning")]
    assert [120 <= int(match[1]) < 180 for match in stalled if match] == [True]


def test_a_read_only_store_gives_messages_on_start_and_delete_not_tracebacks(refuse_writes):
    done = make_run("finished")
    app = open_page("pages/runs.py")
    app.checkbox(key=f"runs_confirm_{done.name}").check().run()
    train = open_page("pages/train.py")
    train.selectbox(key="train_preset").set_value("quick").run()
    with refuse_writes(files.runs_dir()):
        next(button for button in app.button if button.label == "Delete run").click().run()
        assert "could not delete run" in app.error[0].value and "Read\\-only" not in app.error[0].value
        assert "Read-only file system" in app.error[0].value
        train.button[0].click().run()  # Start
        assert train.error[0].value.startswith("Not started: cannot start a run in")
    assert not app.exception and not train.exception and done.exists()
    assert [run.run_dir for run in store.list_runs()] == [done]


def test_a_double_click_on_start_makes_one_run():
    app = open_page("pages/train.py")
    app.selectbox(key="train_preset").set_value("quick").run()
    app.button[0].click().run()  # Start
    first = app.session_state["followed_run"]
    app.button[0].click().run()  # the second click of a double click, within a second
    try:
        assert app.session_state["followed_run"] == first
        assert [str(run.run_dir) for run in store.list_runs()] == [first]
    finally:
        from lenet.runs import worker

        worker.kill(first)


def test_a_runs_dir_that_is_a_file_is_explained_above_every_page(tmp_path, monkeypatch):
    (tmp_path / "runs-file").write_text("oops", encoding="utf-8")
    monkeypatch.setenv("LENET_RUNS_DIR", str(tmp_path / "runs-file"))
    app = new_app().run()  # app.py's own run: AppTest skips it after a page switch
    assert not app.exception and app.title[0].value.endswith("LeNet-5 Studio")  # Home, drawn below the message
    assert app.error[0].value.startswith("Training is unavailable: the run store")
    assert "is a file, not a folder" in app.error[0].value
    for page in ("pages/draw.py", "pages/train.py", "pages/runs.py"):
        assert not open_page(page).exception


def test_a_visitors_session_watches_no_source_files():
    # A session watches its sources unless server.fileWatcherType is "none" (streamlit.runtime.app_session), and the
    # watcher's first look reads every loaded module's file: 0.4 s per visitor with TensorFlow loaded.
    app = AppTest.from_string("import streamlit as st\nst.write(st.get_option('server.fileWatcherType'))")
    app.run()  # Streamlit reads the project's .streamlit/config.toml
    assert app.markdown[0].value == "none"


def test_visitors_browsers_send_no_usage_statistics():
    app = AppTest.from_string("import streamlit as st\nst.write(repr(st.get_option('browser.gatherUsageStats')))")
    app.run()  # Streamlit reads the project's .streamlit/config.toml; its own default is True
    assert app.markdown[0].value == "False"


def test_visitors_see_a_message_not_a_traceback_and_uploads_are_capped():
    settings = tomllib.loads((files.PROJECT_ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert settings["server"]["maxUploadSize"] <= 16 and settings["client"]["showErrorDetails"] == "none"
    crash = AppTest.from_string("raise RuntimeError('secret in /srv/lenet/runs')")  # Streamlit reads the project's
    crash.run()                                                                      # .streamlit/config.toml
    assert "secret" not in crash.exception[0].message and crash.exception[0].stack_trace == []
    app = open_page("pages/my_digits.py")
    assert app.file_uploader(key="import_file").proto.max_upload_size_mb == settings["server"]["maxUploadSize"]
