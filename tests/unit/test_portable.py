"""Every OS's ways, tested on this one: process groups and priorities, renames Windows refuses for a moment,
FIFOs refused without blocking, where files live (LENET_HOME, a read-only install), a quiet TensorFlow (a command's:
test_cli.py; the app server's: test_arrival.py), and the Fashion pages on a machine without the Debian package."""

import os
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

import lenet
from lenet import files
from lenet.runs import worker

ROOT = Path(__file__).resolve().parents[2]


def test_a_worker_gets_its_own_session_or_process_group():
    assert worker.detached("linux") == worker.detached("darwin") == {"start_new_session": True}
    assert worker.detached("win32") == {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0x200)}


def test_a_worker_lowers_its_priority_the_way_its_os_does():
    class Recorder:
        def nice(self, value):
            self.value = value

    windows = Recorder()
    worker.lower_priority(windows, platform="win32")
    assert windows.value == getattr(psutil, "BELOW_NORMAL_PRIORITY_CLASS", 0x4000)
    # On Linux, a worker is a session of its own (worker.detached), and where the kernel groups sessions its group
    # is lowered too: its nice value alone would rank it only against itself. A process that is no session leader
    # leaves its group (here the test's own) as it was.
    children = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], **detached)
                for detached in (worker.detached("linux"), {})]
    own_group = autogroup(os.getpid())
    try:
        for child in children:
            worker.lower_priority(psutil.Process(child.pid))
            assert psutil.Process(child.pid).nice() == worker.WORKER_NICENESS == 19
        if own_group is not None:  # Linux with autogroups: CI's machine, and most desktops
            assert autogroup(children[0].pid) == f"nice {worker.WORKER_NICENESS}"
            assert autogroup(children[1].pid) == autogroup(os.getpid()) == own_group
    finally:
        for child in children:
            child.kill()
            child.wait()


def autogroup(pid):
    """The nice value of a process's Linux session group ("nice N"), or None where there are no such groups."""
    try:
        return Path(f"/proc/{pid}/autogroup").read_text(encoding="utf-8").split(maxsplit=1)[1].strip()
    except (OSError, IndexError):
        return None


def test_a_rename_onto_a_file_held_open_for_a_moment_is_retried(tmp_path, monkeypatch):
    real_replace, refusals = os.replace, []

    def windows_replace(source, target):  # as Windows does while a reader has the target open
        if len(refusals) < 2:
            refusals.append(target)
            raise PermissionError(13, "The process cannot access the file because it is being used")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", windows_replace)
    files.write_json(tmp_path / "status.json", {"state": "running"})
    assert files.read_json(tmp_path / "status.json") == {"state": "running"} and len(refusals) == 2

    def held_for_good(source, target):
        raise PermissionError(13, "The process cannot access the file because it is being used")

    monkeypatch.setattr(os, "replace", held_for_good)
    with pytest.raises(PermissionError):
        files.write_json(tmp_path / "status.json", {"state": "finished"})
    assert files.read_json(tmp_path / "status.json") == {"state": "running"}
    assert sorted(path.name for path in tmp_path.iterdir()) == ["status.json"]  # no temporary file left


def test_a_fifo_or_a_folder_is_refused_before_it_is_opened(tmp_path):
    os.mkfifo(tmp_path / "pipe")  # opening it for reading would wait forever for a writer
    with pytest.raises(files.StorageError, match="pipe is a pipe; give a regular file"):
        files.open_regular_file(tmp_path / "pipe")
    with pytest.raises(files.StorageError, match="is a folder"):
        files.open_regular_file(tmp_path)
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    with files.open_regular_file(tmp_path / "image.png") as handle:
        assert handle.read() == b"\x89PNG"


def test_a_run_name_never_leaves_the_store_on_any_os(tmp_path):
    from lenet.runs import store

    runs = tmp_path / "runs"
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")  # what runs/.. would offer as a run
    (runs / "up\\elsewhere").mkdir(parents=True)  # on Windows, a path out of the store: up, then elsewhere
    (runs / "up\\elsewhere" / "config.json").write_text("{}", encoding="utf-8")
    for name in ("..", "up\\elsewhere", "../runs/up"):
        with pytest.raises(store.RunError, match="no run named"):
            store.run_path(name, runs_root=runs)


@pytest.fixture
def no_folder_variables(monkeypatch):
    for name in ("LENET_HOME", "LENET_RUNS_DIR", "LENET_CACHE_DIR", "LENET_MY_DIGITS_DIR"):
        monkeypatch.delenv(name, raising=False)


def test_lenet_home_holds_runs_data_and_digits(tmp_path, monkeypatch, no_folder_variables):
    assert files.runs_dir() == files.PROJECT_ROOT / "runs" and files.home_note() is None
    monkeypatch.setenv("LENET_HOME", str(tmp_path))
    assert files.runs_dir() == tmp_path / "runs"
    assert files.data_cache_dir("fashion") == tmp_path / "data" / "fashion"
    assert files.my_digits_dir() == tmp_path / "my_digits"
    monkeypatch.setenv("LENET_RUNS_DIR", str(tmp_path / "elsewhere"))  # a folder's own variable still wins
    assert files.runs_dir() == tmp_path / "elsewhere" and files.my_digits_dir() == tmp_path / "my_digits"


def test_a_read_only_install_keeps_its_files_in_the_users_folder_and_says_so(tmp_path, monkeypatch, capsys,
                                                                            no_folder_variables):
    monkeypatch.setattr(files, "project_writable", lambda: False)
    monkeypatch.setattr(files, "FALLBACK_HOME", tmp_path / ".lenet-studio")
    assert files.runs_dir() == tmp_path / ".lenet-studio" / "runs"
    assert files.data_cache_dir("mnist") == tmp_path / ".lenet-studio" / "data" / "mnist"
    note = files.home_note()
    assert "is read-only" in note and str(tmp_path / ".lenet-studio") in note and "LENET_HOME" in note
    assert capsys.readouterr().err.count("is read-only") == 1  # said once, however often asked
    monkeypatch.setenv("LENET_HOME", str(tmp_path / "chosen"))
    assert files.runs_dir() == tmp_path / "chosen" / "runs" and files.home_note() is None


def test_tensorflows_start_up_notices_are_dropped_and_its_warnings_kept(capfd):
    lines = [b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n",
             b"I0000 00:00:1796416339.044967   11720 port.cc:153] oneDNN custom operations are on.\n",
             b"I0000 00:00:1796416339.045753   11720 cudart_stub.cc:31] Could not find cuda drivers on your machine\n",
             b"W0000 00:00:1796416339.045753   11720 loader.cc:12] a real warning\n",
             b"E0000 00:00:1796416339.045753   11720 loader.cc:12] a real error\n",
             b"Traceback (most recent call last):\n"]
    with lenet.filtered_stderr():
        for line in lines:
            os.write(2, line)
    assert capfd.readouterr().err.encode() == b"".join(lines[3:])


def test_the_fashion_pages_say_what_to_install_where_the_debian_package_is_missing(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from lenet.data import sources
    from studio import loaders
    from studio.escaping import plain

    real_debian = sources.fetch_from_debian
    monkeypatch.setenv("LENET_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(sources, "fetch_from_debian", lambda folder, package: real_debian(tmp_path / "none", package))
    monkeypatch.setattr(os, "geteuid", lambda: 1000)  # no apt rights

    def offline(module_name):
        raise sources.DataError("the download failed: this machine is offline")

    monkeypatch.setattr(sources, "fetch_from_keras", offline)
    loaders._load_splits.clear()  # another test may have loaded it
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.session_state["dataset_name"] = "fashion"
    app.run()
    app.switch_page("pages/dataset.py")
    app.run()
    assert not app.exception, [error.value for error in app.exception]
    said = " ".join(error.value for error in app.error)
    # Shown as plain text: markdown's characters come escaped, and render as typed.
    assert plain("sudo apt-get install -y dataset-fashion-mnist") in said and plain("LENET_DATA_DIR") in said
    app.switch_page("pages/home.py")  # the rest of the app still works
    app.run()
    assert not app.exception and not app.error
