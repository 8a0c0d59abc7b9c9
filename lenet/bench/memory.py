"""What the app needs of a host's memory: `python -m lenet bench --memory`, written to BENCHMARKS.md.

The server's resident memory with 1 and with 3 visitors on Draw, a training worker's peak for each dataset's `best`
preset, and the total while 3 visitors draw and one run trains. Memory is read with psutil from outside the
processes, sampled every SAMPLE_SECONDS; a worker also reports its own peak (lenet/train/memory.py), which catches
a spike shorter than a sample. Visitors are headless Chromium pages driven by Playwright, a test tool
(requirements-test.txt), imported only here.
"""

import contextlib
import itertools
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import psutil

from lenet import config as lenet_config, files
from lenet.runs import store, worker

SAMPLE_SECONDS = 0.25
SERVER_START_SECONDS = 180
VISIT_TIMEOUT_MS = 180_000
MB = 2**20


def rss_mb(pids):
    """The resident memory of the processes `pids` that are still alive, together, in MB."""
    total = 0
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            total += psutil.Process(pid).memory_info().rss
    return total / MB


class PeakSampler:
    """Samples rss_mb(pids()) in a thread while the block runs; .peak_mb is the highest, .last_mb the latest."""

    def __init__(self, pids, interval=SAMPLE_SECONDS):
        self.pids, self.interval = pids, interval
        self.peak_mb = self.last_mb = 0.0
        self.samples = 0
        self._done = threading.Event()

    def sample(self):
        self.last_mb = rss_mb(self.pids())
        self.peak_mb, self.samples = max(self.peak_mb, self.last_mb), self.samples + 1

    def _run(self):
        while not self._done.wait(self.interval):
            self.sample()

    def __enter__(self):
        self.sample()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._done.set()
        self._thread.join()
        self.sample()


def worker_pids(run_dir):
    """The run's worker process, while it has one."""
    status = store.read_status(run_dir)
    alive = "pid" in status and store.process_alive(status["pid"], status.get("pid_started"))
    return [status["pid"]] if alive else []


def measure_worker(train_config, runs_root, also=lambda: [], meanwhile=lambda: time.sleep(SAMPLE_SECONDS)):
    """Train `train_config` in a worker, calling meanwhile() until it has ended; its sampled and self-reported
    peaks, and the sampled peak of it together with the processes also() names (the server, while visitors draw)."""
    run_dir = worker.start(train_config, runs_root=runs_root)
    alone, total = PeakSampler(lambda: worker_pids(run_dir)), PeakSampler(lambda: worker_pids(run_dir) + also())
    with alone, total:
        while store.read_status(run_dir).get("state") in store.ACTIVE_STATES or worker_pids(run_dir):
            meanwhile()
    summary = store.read_json(run_dir / "summary.json", {})
    return {"state": store.read_status(run_dir).get("state"), "sampled_peak_mb": alone.peak_mb,
            "reported_peak_mb": summary.get("peak_memory_mb"), "total_peak_mb": total.peak_mb}


@contextlib.contextmanager
def serve_app(script="app.py", log_path=os.devnull, **environment):
    """`streamlit run script` on a free local port, until the block ends; yields (address, server process)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true", "--server.address",
             "127.0.0.1", "--server.port", str(port)],
            cwd=files.PROJECT_ROOT, env={**os.environ, **environment}, stdout=log, stderr=subprocess.STDOUT)
    address = f"http://127.0.0.1:{port}"
    try:
        _wait_for_health(address, server)
        yield address, server
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def _wait_for_health(address, server):
    deadline = time.time() + SERVER_START_SECONDS
    while time.time() < deadline and server.poll() is None:
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"{address}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        time.sleep(0.5)
    raise RuntimeError(f"the app server at {address} did not start (exit code {server.poll()})")


def run_memory_bench(log=print):
    """Measure everything in the module docstring, write BENCHMARKS.md's memory section, and return the figures."""
    from lenet.bench import visitors

    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        runs_root = os.path.join(scratch, "runs")
        for dataset in ("mnist", "fashion"):
            log(f"a training worker, {dataset} best, alone…")
            results[f"worker_{dataset}"] = measure_worker(lenet_config.make_config("best", dataset), runs_root)
        with serve_app(LENET_RUNS_DIR=runs_root, LENET_MY_DIGITS_DIR=os.path.join(scratch, "my_digits")) as served:
            address, server = served
            with visitors.browser() as chromium:
                pages = []
                for count in (1, 3):
                    log(f"the server with {count} visitor(s) on Draw…")
                    while len(pages) < count:
                        pages.append(visitors.visit(chromium, address))
                        visitors.draw(pages[-1])
                    results[f"server_{count}_visitors_mb"] = rss_mb([server.pid])
                log("3 visitors drawing while mnist best trains…")
                turns = itertools.cycle(pages)
                results["together"] = measure_worker(lenet_config.make_config("best"), runs_root,
                                                     also=lambda: [server.pid],
                                                     meanwhile=lambda: visitors.draw(next(turns)))
    write_memory_section(results)
    return results


def memory_lines(results):
    """BENCHMARKS.md's memory table, from run_memory_bench's figures."""
    def worker_row(name, figures):
        return (f"| {name} | {figures['sampled_peak_mb']:.0f} MB sampled, {figures['reported_peak_mb'] or 0:.0f} MB "
                f"reported by the worker ({figures['state']}) |")

    return "\n".join([
        "| what | resident memory |", "|---|---|",
        f"| server, 1 visitor on Draw | {results['server_1_visitors_mb']:.0f} MB |",
        f"| server, 3 visitors on Draw | {results['server_3_visitors_mb']:.0f} MB |",
        worker_row("training worker, MNIST best", results["worker_mnist"]),
        worker_row("training worker, Fashion-MNIST best", results["worker_fashion"]),
        "| server and worker, 3 visitors drawing while MNIST best trains | "
        f"{results['together']['total_peak_mb']:.0f} MB at the peak |",
    ])


def write_memory_section(results, path=None):
    from lenet.bench import engine

    total = results["together"]["total_peak_mb"]
    engine.replace_section("memory", "\n".join([
        f"Measured {time.strftime('%Y-%m-%d %H:%M')} with `python -m lenet bench --memory` on "
        f"{engine.machine_description()}. The total while 3 visitors draw and a run trains: **{total:.0f} MB** "
        "(goal ≤ 2.0 GB, 2,048 MB in this table's units of 2^20 bytes).", "", memory_lines(results)]),
        path or engine.BENCHMARKS_FILE, heading="## Memory")
