"""Windows, simulated: the engine and the pages run where POSIX-only modules and names do not exist.

Each test runs its code in a Python process started with windows_sitecustomize.py as its sitecustomize (beside this
file, which says what it removes and why libraries keep theirs). Every Python process those start, the training
workers included, runs under it too, and says so in the simulation's log.
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lenet.runs import worker
from tests import quick_worker

ROOT = Path(__file__).resolve().parents[2]
DEADLINE_SECONDS = 900  # a guard against hanging, not a timing assertion
# Workers that train on the tiny splits and fit their likeness detectors quickly (tests/quick_worker.py).
TINY_WORKERS = {worker.WORKER_MODULE_VARIABLE: quick_worker.__name__}


def run_simulated(code, tmp_path, **environment):
    """Run `code` under the simulation; its last stdout line is JSON. Returns that value and the simulated pids."""
    bootstrap = tmp_path / "simulation"
    bootstrap.mkdir(exist_ok=True)
    shutil.copy(Path(__file__).with_name("windows_sitecustomize.py"), bootstrap / "sitecustomize.py")
    log = tmp_path / "simulated-pids.txt"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(bootstrap), str(ROOT)]), "LENET_SIMULATED_ROOT": str(ROOT),
           "LENET_SIMULATION_LOG": str(log), "PYTHONWARNDEFAULTENCODING": "1", **environment}
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env, capture_output=True,
                            text=True, encoding="utf-8", errors="replace", timeout=DEADLINE_SECONDS)
    assert result.returncode == 0, f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    pids = {int(line) for line in log.read_text(encoding="utf-8").split()}
    return json.loads(result.stdout.strip().splitlines()[-1]), pids, result.stderr


def test_the_simulation_removes_every_posix_only_module_and_name_from_our_code(tmp_path):
    checks = ["import fcntl", "import resource", "import termios", "import os; os.nice", "import os; os.O_NONBLOCK",
              "import os; os.setsid", "import os; os.killpg", "import os; os.fork", "import signal; signal.SIGKILL",
              "from os import nice", "import os.path; os.fork", "from signal import SIGKILL"]
    outcome, pids, _ = run_simulated(f"""
        import json, os
        probe = os.path.join("lenet", "probe.py")  # code that would live in the engine
        def attempt(source):
            try:
                exec(compile(source, os.path.abspath(probe), "exec"), {{"__file__": os.path.abspath(probe)}})
                return "ran"
            except (ImportError, AttributeError) as error:
                return type(error).__name__
        import fcntl, resource, signal  # outside our code, as in a library: still there
        print(json.dumps({{"ours": {{source: attempt(source) for source in {checks!r}}},
                          "library": [hasattr(os, "nice"), hasattr(signal, "SIGKILL")],
                          "fine": attempt("import os, signal; os.getpid(); signal.SIGTERM")}}))
    """, tmp_path)
    modules = checks[:3]
    assert outcome["ours"] == {source: "ModuleNotFoundError" if source in modules else "ImportError"
                               if source.startswith("from") else "AttributeError" for source in checks}
    assert outcome["library"] == [True, True] and outcome["fine"] == "ran"
    assert len(pids) == 1


@pytest.mark.slow
def test_every_module_of_the_engine_and_every_page_loads(tmp_path):
    outcome, _, stderr = run_simulated("""
        import importlib, json, pkgutil
        from pathlib import Path

        import lenet
        modules = [info.name for info in pkgutil.walk_packages(lenet.__path__, "lenet.")
                   if not info.name.endswith("__main__")]  # __main__ would run the command line
        for name in modules:
            importlib.import_module(name)

        from streamlit.testing.v1 import AppTest

        from studio import router
        pages = {entry.path for entry in router.PAGES}
        helpers = sorted(f"studio.{path.stem}" for path in Path("studio").glob("*.py") if path.stem != "__init__")
        for name in helpers:
            importlib.import_module(name)
        app = AppTest.from_file("app.py", default_timeout=300)
        app.run()
        errors = {"app.py": [error.value for error in app.exception]}
        for page in sorted(pages):
            app.switch_page(page)
            app.run()
            errors[page] = [error.value for error in app.exception]
        print(json.dumps({"modules": modules + helpers, "errors": errors}))
    """, tmp_path)
    assert {"lenet.files", "lenet.runs.store", "lenet.runs.worker", "lenet.runs.public", "lenet.train.training",
            "lenet.cli", "studio.router", "studio.visitor"} <= set(outcome["modules"])
    assert len(outcome["errors"]) == 9 and not any(outcome["errors"].values()), outcome["errors"]
    ours = [line for line in stderr.splitlines() if "EncodingWarning" in line and str(ROOT) in line]
    assert not ours  # libraries' own warnings (Keras opens its config without an encoding) are theirs to fix


@pytest.mark.slow
@pytest.mark.mnist
def test_training_through_the_worker_stops_kills_and_reads_back(tmp_path):
    outcome, pids, _ = run_simulated("""
        import json, time
        from lenet import config
        from lenet.runs import store, worker

        def wait_until(condition):
            deadline = time.time() + 600
            while not condition():
                assert time.time() < deadline, "gave up waiting"
                time.sleep(0.2)

        small = config.make_config("quick", epochs=10, batch_size=512)  # tiny epochs: still training at the stop
        first, second = worker.start(small, run_name="first"), worker.start(small, run_name="second")
        wait_until(lambda: store.load_metrics(first, kind="epoch"))
        stopped = worker.stop(first, timeout=300)
        wait_until(lambda: store.read_status(second)["state"] == "running")
        killed = worker.kill(second)  # holding the only training slot

        def take_slot():
            slot = worker._take_free_slot(worker.slots_folder(second.parent))
            if slot:
                slot.release()
            return slot is not None

        # The killed worker's slot is free: the next run can take it, as a third worker would (that would load
        # TensorFlow only to show it). Polled, as a worker does: the dying process's threads let go of its files a
        # moment after it reads as gone.
        wait_until(take_slot)
        runs = {run.run_id: run.state for run in store.list_runs()}
        print(json.dumps({"stopped": stopped, "killed": killed, "runs": runs,
                          "pids": [store.read_status(path)["pid"] for path in (first, second)],
                          "summary": store.load_run(first).summary, "csv": store.history_csv(first),
                          "worker_log": (first / "worker.log").read_text(encoding="utf-8", errors="replace")}))
    """, tmp_path, LENET_MAX_WORKERS="1", **TINY_WORKERS)
    assert outcome["stopped"]["state"] == "stopped" and "killed" not in outcome["stopped"].get("error", "")
    assert outcome["killed"]["state"] == "failed" and "killed" in outcome["killed"]["error"]
    assert sorted(outcome["runs"].values()) == ["failed", "stopped"]
    assert set(outcome["pids"]) <= pids  # every worker ran under the simulation too
    summary = outcome["summary"]
    assert summary["stopped"] and 1 <= summary["epochs_completed"] < 10 and summary["peak_memory_mb"] > 100
    assert outcome["csv"].splitlines()[0].startswith("epoch,loss,accuracy")
    assert "oneDNN" not in outcome["worker_log"] and "cuda drivers" not in outcome["worker_log"]  # a quiet worker


def test_public_start_and_predict_refuse_a_fifo(tmp_path):
    fifo = tmp_path / "model.keras"
    os.mkfifo(fifo)
    outcome, pids, _ = run_simulated(f"""
        import json, subprocess, sys
        from lenet import config
        from lenet.runs import public, store
        try:
            public.submit(config.make_config("quick", init_model={str(fifo)!r}), owner="a" * 24)
            refusal = None
        except ValueError as error:
            refusal = str(error)
        # -X importtime lists every module the command imported (on stderr)
        predict = subprocess.run([sys.executable, "-X", "importtime", "-m", "lenet", "predict", {str(fifo)!r}],
                                 capture_output=True, text=True, encoding="utf-8", timeout=300)
        print(json.dumps({{"refusal": refusal, "runs": len(store.list_runs()), "predict": predict.returncode,
                          "said": predict.stdout + predict.stderr, "tensorflow": "tensorflow" in sys.modules}}))
    """, tmp_path, LENET_PUBLIC="1")
    assert "is not a file" in outcome["refusal"] and outcome["runs"] == 0
    assert not outcome["tensorflow"]  # refused from the path alone: loading TensorFlow takes seconds
    assert outcome["predict"] != 0 and "model.keras is a pipe; give a regular file" in outcome["said"]
    imported = {line.rsplit("|", 1)[-1].strip() for line in outcome["said"].splitlines()
                if line.startswith("import time:")}
    assert "lenet.cli" in imported and "tensorflow" not in imported  # the command line too
    assert len(pids) == 2  # the command line ran simulated too


def test_locks_left_by_a_killed_process_never_block(tmp_path):
    outcome, _, _ = run_simulated("""
        import json, subprocess, sys, time
        import psutil
        from lenet import files
        from lenet.runs import public, store, worker

        holder = subprocess.Popen([sys.executable, "-c", (
            "import time\\n"
            "from lenet import files\\n"
            "from lenet.runs import public, store, worker\\n"
            "root = files.runs_dir(); root.mkdir(parents=True)\\n"
            "worker.slots_folder(root).mkdir()\\n"
            "slot = worker._take_free_slot(worker.slots_folder(root))\\n"
            "status = store.status_lock(root); status.__enter__()\\n"
            "start = public._start_lock(root); start.__enter__()\\n"
            "print('held', flush=True); time.sleep(600)\\n")], stdout=subprocess.PIPE, text=True, encoding="utf-8")
        assert holder.stdout.readline().strip() == "held"
        root = files.runs_dir()
        blocked = worker._take_free_slot(worker.slots_folder(root))  # taken while the holder lives
        psutil.Process(holder.pid).kill()
        holder.wait()
        left = sorted(path.name for path in root.rglob("*.lock"))
        slot = worker._take_free_slot(worker.slots_folder(root))
        with store.status_lock(root, wait_seconds=10), public._start_lock(root):
            taken = True
        print(json.dumps({"blocked": blocked is not None, "slot": slot is not None, "taken": taken, "left": left}))
    """, tmp_path, LENET_MAX_WORKERS="1")
    assert {"slot-0.lock", ".status.lock", ".start.lock"} <= set(outcome.pop("left"))  # the dead holder's files
    assert outcome == {"blocked": False, "slot": True, "taken": True}
