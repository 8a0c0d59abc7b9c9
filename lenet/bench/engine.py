"""Benchmarks against the tutorial's recipe, all in one process and on the same data: `python -m lenet bench [--full]`.

Writes the measured table into BENCHMARKS.md between its bench markers; the prose around them is kept.
"""

import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import keras
import numpy as np

from lenet import config as lenet_config, files
from lenet.bench import throughput, typefaces, why_figures
from lenet.data import datasets, sources
from lenet.explain import feature_map
from lenet.runs import store, worker
from lenet.serve import inference
from lenet.train import command, snapshots, training

BENCHMARKS_FILE = files.PROJECT_ROOT / "BENCHMARKS.md"
SHORT_FRACTION = 0.25  # the default run trains a quarter of each preset's epochs
LATENCY_REPEATS = 300
PRIORITY_EPOCHS = 3  # long enough for a steady epoch time, short enough to run twice


def run_benchmarks(full=False, log=print):
    splits = sources.load(log=lambda line: None)
    fraction = 1.0 if full else SHORT_FRACTION
    # Every preset whose jit_compile the bench decides: the seed preset is the same recipe on both datasets.
    configs = {"seed": _scaled("seed", fraction), "best": _scaled("best", fraction),
               "fashion-best": _scaled("best", fraction, "fashion")}
    seed_config = configs["seed"]
    with tempfile.TemporaryDirectory() as runs_root:
        xla = throughput.measure(splits, configs, runs_root, log)
        chosen = throughput.as_configured(xla, configs)
        tutorial, seed, best = chosen["tutorial"], chosen["seed"], chosen["best"]
        log("a training worker's peak memory, without and with XLA…")
        worker_memory = {setting: worker_peak_memory(runs_root, jit_compile) for setting, jit_compile in
                         throughput.SETTINGS.items()}
        log(f"snapshots' cost: the seed preset without and with them, {seed_config.epochs} epochs each…")
        snapshot = snapshot_cost(seed_config, runs_root)
        log("a worker's low priority: the same short run at normal priority and at the worker's…")
        priority = worker_priority_cost(lenet_config.make_config("seed", epochs=PRIORITY_EPOCHS), runs_root)
    log("latency of one drawing…")
    latency = classification_latency(splits)
    log("latency of placing one drawing on the feature map…")
    drawing_map = drawing_map_latency(splits)
    log("digit-likeness figures, and the Why views' latency…")
    classifier = inference.Classifier()  # the bundled model, loaded once for the three measures below
    likeness_figures = why_figures.likeness_figures(splits, classifier)
    explanations = why_figures.explanation_figures(classifier)
    log("letters, symbols and digits set in this machine's typefaces…")
    typeface_figures = typefaces.figures(classifier)
    results = {
        "mode": "full" if full else "short",
        "tutorial": tutorial, "seed": seed, "best": best,
        "xla": xla, "presets_jit_compile": {name: train_config.jit_compile for name, train_config in configs.items()},
        "throughput_ratio": seed["samples_per_second"] / tutorial["samples_per_second"],
        # The same ratio from each fit's median epoch: steadier on a shared machine, where single epochs of either
        # trainer sometimes take twice as long.
        "median_epoch_throughput_ratio": tutorial["median_epoch_seconds"] / seed["median_epoch_seconds"],
        "best_throughput_ratio": best["samples_per_second"] / tutorial["samples_per_second"],
        "best_to_seed_wall_ratio": best["wall_seconds"] / seed["wall_seconds"],
        "latency": latency, "worker_peak_memory_mb": worker_memory["off"],
        "worker_peak_memory_xla_mb": worker_memory["on"], "snapshots": snapshot, "priority": priority,
        "drawing_map": drawing_map, "likeness": likeness_figures, "explanations": explanations,
        "typefaces": typeface_figures,
        "machine": machine_description(), "date": time.strftime("%Y-%m-%d %H:%M"),
    }
    write_benchmarks_file(results)
    return results


def _scaled(preset, fraction, dataset=datasets.DEFAULT):
    epochs = max(1, round(lenet_config.get_preset(preset, dataset).epochs * fraction))
    return lenet_config.make_config(preset, dataset, epochs=epochs)


def worker_peak_memory(runs_root, jit_compile=False):
    """Peak resident memory of a real worker process training one quick epoch."""
    run_dir = worker.start(lenet_config.make_config("quick", epochs=1, jit_compile=jit_compile), runs_root=runs_root)
    while store.read_status(run_dir).get("state") in store.ACTIVE_STATES:
        time.sleep(0.5)
    # Then until the process has exited: TensorFlow's tear-down takes a core for a second or two, which would
    # otherwise land in the latency measurement that follows.
    status = store.read_status(run_dir)
    while store.process_alive(status["pid"], status.get("pid_started")):
        time.sleep(0.1)
    return store.read_json(run_dir / "summary.json", {}).get("peak_memory_mb")


def worker_priority_cost(train_config, runs_root):
    """On an idle machine a low priority should cost nothing: the same run as a normal-priority `python -m lenet
    train` process, then as a worker at nice WORKER_NICENESS; each one's training seconds (TensorFlow's start-up and
    the end-of-run evaluation left out)."""
    words = shlex.split(command.train_command(train_config))
    existing = {run.run_dir for run in store.list_runs(runs_root)}
    subprocess.run([sys.executable, *words[1:]], env={**os.environ, "LENET_RUNS_DIR": str(runs_root)}, check=True,
                   capture_output=True)
    normal_dir = next(run.run_dir for run in store.list_runs(runs_root) if run.run_dir not in existing)
    nice_dir = worker.start(train_config, runs_root=runs_root)
    while store.read_status(nice_dir).get("state") in store.ACTIVE_STATES:
        time.sleep(0.5)
    normal, nice = (store.read_json(run_dir / "summary.json", {}).get("train_seconds") for run_dir in (normal_dir, nice_dir))
    return {"epochs": train_config.epochs, "normal_seconds": normal, "nice_seconds": nice, "ratio": nice / normal}


def classification_latency(splits):
    """One canvas drawing, preprocessing plus forward pass, against model.predict on the same 28×28 input."""
    classifier = inference.Classifier()
    canvas = _canvas_drawing(splits.x_test[0])
    classifier.classify(canvas)  # the first call traces the graph
    ours = _timings(lambda: classifier.classify(canvas))
    digit = classifier.classify(canvas).image[None, ..., None]
    predict = _timings(lambda: classifier.model.predict(digit, verbose=0), repeats=50)
    return {"classify_p50_ms": ours[0], "classify_p95_ms": ours[1], "predict_p50_ms": predict[0], "predict_p95_ms": predict[1]}


def snapshot_cost(train_config, runs_root):
    """The same run trained twice in this process, without and then with snapshots.

    Reports the wall-time ratio and, steadier on a shared machine, the share of the run's time spent writing
    snapshots (each write is timed where it happens, epoch 0 included).
    """
    walls = {}
    for with_snapshots in (False, True):
        run_dir = store.new_run(train_config, runs_root=runs_root)
        walls[with_snapshots] = training.train(train_config, run_dir, with_snapshots=with_snapshots)["wall_seconds"]
    spent = sum(record.get("snapshot_seconds", 0.0) for record in store.load_metrics(run_dir))  # the run with them
    subjects_bytes = (snapshots.folder(run_dir) / snapshots.SUBJECTS_FILE).stat().st_size
    epoch_bytes = (snapshots.total_bytes(run_dir) - subjects_bytes) / (train_config.epochs + 1)
    return {"epochs": train_config.epochs, "without_seconds": walls[False], "with_seconds": walls[True],
            "wall_ratio": walls[True] / walls[False], "snapshot_seconds": spent,
            "snapshot_share": spent / (walls[True] - spent), "bytes_per_epoch": epoch_bytes,
            "bytes_for_200_epochs": subjects_bytes + 201 * epoch_bytes}  # epochs 0 to 200


def drawing_map_latency(splits):
    """Placing one canvas drawing on the bundled model's feature map (preparing it included), once the map is built."""
    classifier = inference.Classifier()
    started = time.perf_counter()
    drawing_map = feature_map.build_drawing_map(classifier.model, splits)
    build_seconds = time.perf_counter() - started
    canvas = _canvas_drawing(splits.x_test[0])
    drawing_map.place(classifier.prepare(canvas))  # the first call traces the graph
    p50, p95 = _timings(lambda: drawing_map.place(classifier.prepare(canvas)), repeats=100)
    return {"build_seconds": build_seconds, "place_p50_ms": p50, "place_p95_ms": p95}


def _canvas_drawing(digit):
    """A 28×28 digit as the 280×280 RGBA image the canvas returns: white ink on black."""
    ink = np.kron((digit * 255).astype("uint8"), np.ones((10, 10), "uint8"))
    return np.dstack([ink, ink, ink, np.full_like(ink, 255)])


def _timings(call, repeats=LATENCY_REPEATS):
    milliseconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        milliseconds.append((time.perf_counter() - started) * 1000)
    return float(np.percentile(milliseconds, 50)), float(np.percentile(milliseconds, 95))


def cpu_description():
    """The processor and how many cores: what every benchmark's figures depend on first."""
    try:
        lines = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()  # Linux names the model best
    except OSError:  # Windows, macOS
        lines = []
    cpu = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")),
               platform.processor() or "unknown CPU")
    return f"{cpu}, {os.cpu_count()} cores"


def machine_description():
    import tensorflow as tf

    return (f"{cpu_description()}; Python {platform.python_version()}, TensorFlow {tf.__version__}, "
            f"Keras {keras.__version__}, NumPy {np.__version__}")


def write_benchmarks_file(results, path=BENCHMARKS_FILE):
    replace_section("bench", render_table(results), path)


def replace_section(name, text, path=BENCHMARKS_FILE, heading=""):
    """Put `text` between BENCHMARKS.md's `<!-- name:start -->` and `<!-- name:end -->` markers, keeping the rest.

    Each benchmark (the engine's, the presets', the browser's) owns one such section. Missing markers are added at
    the end of the file, under `heading` when one is given.
    """
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    content = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if start not in content:
        content = content.rstrip("\n") + (f"\n\n{heading}" if heading else "") + f"\n\n{start}\n{end}\n"
    before, rest = content.split(start, 1)
    files.write_atomic(path, f"{before}{start}\n{text}\n{end}{rest.split(end, 1)[1]}".encode("utf-8"))


def render_table(results):
    latency = results["latency"]
    return "\n".join([
        f"Measured {results['date']} with `python -m lenet bench{' --full' if results['mode'] == 'full' else ''}` "
        f"on {results['machine']}.", "",
        *(throughput.table_lines(results) or presets_table_lines(results)), "",
        f"- Throughput, our trainer (seed preset as it stands) ÷ tutorial's code: "
        f"**{results['throughput_ratio']:.2f}×** over the whole fit, {results['median_epoch_throughput_ratio']:.2f}× "
        f"by median epoch; with the best preset's settings: {results['best_throughput_ratio']:.2f}× (goal ≥ 1.5×).",
        *throughput.lines(results),
        f"- Wall time, best ÷ seed: **{results['best_to_seed_wall_ratio']:.2f}** (goal ≤ 1.0 at ≥ 99.3%).",
        f"- One drawing, preprocessing + forward pass: p50 **{latency['classify_p50_ms']:.2f} ms**, "
        f"p95 {latency['classify_p95_ms']:.2f} ms; `model.predict` alone on the same input: p50 "
        f"{latency['predict_p50_ms']:.1f} ms, p95 {latency['predict_p95_ms']:.1f} ms (goal p50 ≤ 3 ms).",
        f"- Peak memory of a training worker: {results['worker_peak_memory_mb']:.0f} MB"
        + (f"; with XLA {results['worker_peak_memory_xla_mb']:.0f} MB." if "worker_peak_memory_xla_mb" in results
           else "."),
        *snapshot_lines(results),
        *priority_lines(results),
        *why_figures.lines(results),
        *typefaces.lines(results),
    ])


def presets_table_lines(results):
    """The table of results measured before XLA was: the tutorial's code and the two presets as they stood."""
    tutorial = results["tutorial"]
    return [
        "| what | epochs | batch | fit s | samples/s | median epoch s | test accuracy | wall s |",
        "|---|---|---|---|---|---|---|---|",
        f"| tutorial's code | {tutorial['epochs']} | 128 | {tutorial['fit_seconds']:.1f} | "
        f"{tutorial['samples_per_second']:,.0f} | {tutorial['median_epoch_seconds']:.2f} | "
        f"{tutorial['test_accuracy']:.2%} | |",
        *(f"| our trainer, `{name}` preset | {row['epochs']} | {row['batch_size']} | {row['fit_seconds']:.1f} | "
          f"{row['samples_per_second']:,.0f} | {row['median_epoch_seconds']:.2f} | {row['test_accuracy']:.2%} | "
          f"{row['wall_seconds']:.1f} |" for name, row in (("seed", results["seed"]), ("best", results["best"])))]


def snapshot_lines(results):
    """The snapshot and drawing-map rows; absent from results written before they were measured."""
    lines = []
    if "snapshots" in results:
        cost = results["snapshots"]
        lines.append(
            f"- Training snapshots (seed preset, {cost['epochs']} epochs, trained without and then with them): wall "
            f"time with ÷ without **{cost['wall_ratio']:.3f}** ({cost['without_seconds']:.1f} s → "
            f"{cost['with_seconds']:.1f} s); writing them took {cost['snapshot_seconds']:.2f} s, "
            f"**{cost['snapshot_share']:.1%}** of the run (goal ≤ 5%); {cost['bytes_per_epoch'] / 1024:.0f} KB per "
            f"epoch, so a 200-epoch run's take {cost['bytes_for_200_epochs'] / 1024 ** 2:.1f} MB (goal ≤ 5 MB).")
    if "drawing_map" in results:
        placing = results["drawing_map"]
        lines.append(
            f"- Where a drawing lands: the map takes {placing['build_seconds']:.1f} s to build once per model; then "
            f"one drawing, prepared and placed with its 8 nearest training images: p50 "
            f"**{placing['place_p50_ms']:.1f} ms**, p95 {placing['place_p95_ms']:.1f} ms (goal p50 ≤ 30 ms).")
    return lines


def priority_lines(results):
    if "priority" not in results:
        return []
    cost = results["priority"]
    return [f"- A worker's low priority (nice {worker.WORKER_NICENESS}) on an idle machine: {cost['epochs']} epochs of "
            f"the seed preset trained in {cost['normal_seconds']:.1f} s at normal priority and "
            f"{cost['nice_seconds']:.1f} s in a worker: **{cost['ratio']:.2f}×**."]
