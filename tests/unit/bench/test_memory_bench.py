"""The memory bench's measuring code, on small processes: sampling, a worker's peaks, the server, the table."""

import os
import subprocess
import sys

import psutil
import pytest

from lenet import config, files
from lenet.bench import memory, visitors
from lenet.runs import worker
from lenet.train import memory as train_memory

ALLOCATE = "import sys, time; print(flush=True); sys.stdin.readline(); kept = b'x' * (80 * 2**20); print(flush=True); " \
           "time.sleep(60)"


def test_the_sampler_sees_a_process_grow_by_what_it_allocates():
    child = subprocess.Popen([sys.executable, "-c", ALLOCATE], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        child.stdout.readline()
        with memory.PeakSampler(lambda: [child.pid], interval=0.05) as sampler:
            before = sampler.last_mb
            child.stdin.write(b"\n")
            child.stdin.flush()
            child.stdout.readline()  # the 80 MB are written, so resident
        assert sampler.peak_mb - before >= 75 and sampler.samples >= 2
        assert memory.rss_mb([child.pid, os.getpid()]) == pytest.approx(
            memory.rss_mb([child.pid]) + memory.rss_mb([os.getpid()]), rel=0.05)
    finally:
        child.kill()
        child.wait()
    assert memory.rss_mb([child.pid]) == 0  # gone processes count for nothing


def test_a_workers_peaks_are_measured_from_outside_and_with_the_others(monkeypatch):
    start = worker.start

    def stopped_at_once(*args, **kwargs):  # a worker that starts, sees the stop and ends before loading TensorFlow
        run_dir = start(*args, **kwargs)
        worker.request_stop(run_dir)
        return run_dir

    monkeypatch.setattr(worker, "start", stopped_at_once)
    figures = memory.measure_worker(config.make_config("quick"), runs_root=None, also=lambda: [os.getpid()])
    assert figures["state"] == "stopped" and figures["reported_peak_mb"] is None  # it never trained
    # Seen from outside, however briefly: a worker stopped at once may be sampled while Python is still starting
    # (3 MB was seen), so any resident memory at all shows that the sampler found it.
    assert figures["sampled_peak_mb"] > 0
    assert figures["total_peak_mb"] >= figures["sampled_peak_mb"] + memory.rss_mb([os.getpid()]) * 0.9


def test_the_peak_of_a_process_is_at_least_what_it_holds_now(monkeypatch):
    assert train_memory.peak_memory_mb() >= psutil.Process().memory_info().rss / 2**20 * 0.99

    class WindowsInfo:
        rss, peak_wset = 100 * 2**20, 300 * 2**20

    class WindowsProcess:
        pid = -1

        def memory_info(self):
            return WindowsInfo()

    assert train_memory.peak_memory_mb(WindowsProcess()) == 300  # Windows: the peak working set
    monkeypatch.setattr(train_memory, "_linux_high_water_mb", lambda pid: None)  # as on macOS: ru_maxrss
    assert train_memory.peak_memory_mb() >= psutil.Process().memory_info().rss / 2**20 * 0.99
    monkeypatch.setattr(train_memory, "resource", None)
    assert train_memory.peak_memory_mb() > 0  # neither: the resident memory now


REPORT_PEAK = "from lenet.train import memory; print(memory.peak_memory_mb())"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux carries ru_maxrss from parent to child")
def test_a_small_child_of_a_large_process_reports_its_own_peak_not_its_parents():
    held = bytearray(300 * 2**20)  # the parent is now at least 300 MB larger than the child will be
    child = subprocess.run([sys.executable, "-c", REPORT_PEAK], capture_output=True, text=True, encoding="utf-8",
                           check=True, cwd=files.PROJECT_ROOT)
    parent_mb = psutil.Process().memory_info().rss / 2**20
    assert len(held) and float(child.stdout) < parent_mb - 250


RESULTS = {"server_1_visitors_mb": 812.4, "server_3_visitors_mb": 960.0,
           "worker_mnist": {"state": "finished", "sampled_peak_mb": 1580.2, "reported_peak_mb": 1611.0},
           "worker_fashion": {"state": "finished", "sampled_peak_mb": 1700.0, "reported_peak_mb": None},
           "together": {"total_peak_mb": 2590.6}}


def test_the_memory_table_is_written_into_its_own_section(tmp_path):
    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# Benchmarks\n\nprose kept\n", encoding="utf-8")
    memory.write_memory_section(RESULTS, path)
    memory.write_memory_section({**RESULTS, "server_1_visitors_mb": 700}, path)  # measured again: replaced
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n\nprose kept\n\n## Memory\n\n<!-- memory:start -->")
    assert "| server, 1 visitor on Draw | 700 MB |" in text and "812" not in text
    assert "| training worker, MNIST best | 1580 MB sampled, 1611 MB reported by the worker (finished) |" in text
    assert "| server and worker, 3 visitors drawing while MNIST best trains | 2591 MB at the peak |" in text


@pytest.mark.slow
@pytest.mark.browser
def test_a_served_app_is_measured_with_a_visitor(tmp_path, browser):
    script = tmp_path / "tiny.py"
    script.write_text("import streamlit as st\nst.write('a tiny app')\n", encoding="utf-8")
    with memory.serve_app(script) as (address, server):
        idle = memory.rss_mb([server.pid])
        page = visitors.visit(browser, address, "/")
        assert page.get_by_text("a tiny app").is_visible()
        page.context.close()
        assert idle > 20 and memory.rss_mb([server.pid]) > 20
    assert server.poll() is not None  # stopped when the block ended
