"""Does a run from the Train page train as fast as one from the CLI? `python -m lenet bench --worker-vs-cli`.

The same preset, a few epochs, trained twice: in this process, as `python -m lenet train` trains (worker.execute in
the CLI's own process), then in a worker process, as the Train page starts one (worker.start: its own session, nice
WORKER_NICENESS, output to worker.log). Run it on an idle machine: it is a timing. Each run's summary records the
process's priority, usable cores and thread settings (training.process_facts), and the report names any that differ.
"""

import signal
import tempfile
import time

from lenet import config as lenet_config
from lenet.bench import engine
from lenet.data import datasets
from lenet.runs import store, worker

EPOCHS = 3  # long enough for steady epochs after the first, short enough to run twice
WAYS = {"in_process": "in process (as the CLI trains)", "worker": "in a worker process (as the Train page trains)"}


def compare(preset="seed", dataset=datasets.DEFAULT, epochs=EPOCHS, runs_root=None, log=print):
    """Train the preset in this process and then in a worker; each way's seconds and process facts, and the ratios."""
    train_config = lenet_config.make_config(preset, dataset, epochs=epochs)
    with tempfile.TemporaryDirectory() as scratch:
        runs_root = runs_root or scratch
        log(f"{preset} preset, {epochs} epochs, {WAYS['in_process']}…")
        in_process = train_in_process(train_config, runs_root)
        log(f"{preset} preset, {epochs} epochs, {WAYS['worker']}…")
        in_worker = train_in_worker(train_config, runs_root)
    return report(train_config, {"in_process": in_process, "worker": in_worker})


def train_in_process(train_config, runs_root):
    """What command_train does; worker.execute takes over SIGINT and SIGTERM, which are given back afterwards."""
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    run_dir = store.new_run(train_config, runs_root=runs_root)
    try:
        worker.execute(run_dir)
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
    return store.read_json(run_dir / "summary.json", {})


def train_in_worker(train_config, runs_root):
    run_dir = worker.start(train_config, runs_root=runs_root)
    while store.read_status(run_dir).get("state") in store.ACTIVE_STATES:
        time.sleep(0.5)
    return store.read_json(run_dir / "summary.json", {})


def report(train_config, summaries):
    """The figures of both ways from their summaries: seconds, the worker ÷ in-process ratios, the facts that differ."""
    missing = [way for way, summary in summaries.items() if "train_seconds" not in summary]
    if missing:
        raise ValueError(f"the run {' and '.join(WAYS[way] for way in missing)} did not finish; see its worker.log")
    ways = {way: {"train_seconds": summary["train_seconds"], "wall_seconds": summary["wall_seconds"],
                  "process": summary.get("process", {})} for way, summary in summaries.items()}
    return {"preset": train_config.preset, "dataset": train_config.dataset, "epochs": train_config.epochs, **ways,
            "train_ratio": ways["worker"]["train_seconds"] / ways["in_process"]["train_seconds"],
            "wall_ratio": ways["worker"]["wall_seconds"] / ways["in_process"]["wall_seconds"],
            "differences": differences(ways["in_process"]["process"], ways["worker"]["process"])}


def differences(in_process, in_worker):
    """{fact: [in process, in the worker]} for each process fact that is not the same in both."""
    names = sorted(set(in_process) | set(in_worker))
    return {name: [in_process.get(name), in_worker.get(name)] for name in names
            if in_process.get(name) != in_worker.get(name)}


def lines(result):
    """The measurement in words, for the terminal and BENCHMARKS.md."""
    differing = "; ".join(f"{name} {values[0]!r} in process, {values[1]!r} in the worker"
                          for name, values in result["differences"].items())
    return [
        f"- The `{result['preset']}` preset ({result['dataset']}), {result['epochs']} epochs: trained in "
        f"{result['in_process']['train_seconds']:.1f} s {WAYS['in_process']} and "
        f"{result['worker']['train_seconds']:.1f} s {WAYS['worker']}: worker ÷ in process "
        f"**{result['train_ratio']:.2f}×** (goal ≤ 1.0 on an idle machine); start to end, test and likeness fit "
        f"included, {result['in_process']['wall_seconds']:.1f} s and {result['worker']['wall_seconds']:.1f} s "
        f"({result['wall_ratio']:.2f}×).",
        f"- What differed between the two processes: {differing or 'nothing but the process itself'}.",
    ]


def write_benchmarks_file(result, path=engine.BENCHMARKS_FILE):
    engine.replace_section("worker", "\n".join([
        f"Measured {time.strftime('%Y-%m-%d %H:%M')} with `python -m lenet bench --worker-vs-cli` on "
        f"{engine.machine_description()}.", "", *lines(result)]), path,
        heading="### The Train page's worker and the CLI")
