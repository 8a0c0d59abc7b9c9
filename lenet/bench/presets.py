"""The presets measured against each other: `python -m lenet bench --presets`.

For each seed 0, 1 and 2 and each dataset, `seed` and then `best` are trained, one run at a time, so that a change
in the machine's load falls on both of a pair. Every run goes into the run store, so a measured `best` run can be
bundled as it is (`python -m lenet bundle RUN_ID`). Each run's figures are appended to runs/preset-bench.jsonl as
soon as it ends; each dataset's summary (mean and minimum accuracy, and each best run's wall time ÷ its seed run's)
replaces that dataset's presets section of BENCHMARKS.md, so a bench of one dataset keeps the others' figures.
"""

import json
import statistics
import time

import psutil

from lenet import config as lenet_config, files
from lenet.bench.engine import BENCHMARKS_FILE, machine_description, replace_section
from lenet.data import datasets
from lenet.runs import store, worker

SEEDS = (0, 1, 2)
PRESETS_COMPARED = ("seed", "best")


def run_preset_benchmarks(dataset_names=tuple(datasets.DATASETS), results_file=None, log=print):
    """Train every (seed, dataset, preset) once; return the summary that went into BENCHMARKS.md.

    Seeds are the outer loop and the sections are rewritten after every seed/best pair, so a bench cut short still
    leaves an honest table of every dataset's seeds measured so far.
    """
    results_file = results_file or files.runs_dir() / "preset-bench.jsonl"
    records_by_dataset, summary = {}, None  # in the order the datasets were first measured
    for seed in SEEDS:
        for dataset_name in dataset_names:
            for preset in PRESETS_COMPARED:
                log(f"{dataset_name}, {preset} preset, seed {seed}…")
                record = measure(lenet_config.make_config(preset, dataset_name, seed=seed))
                records_by_dataset.setdefault(dataset_name, []).append(record)
                results_file.parent.mkdir(parents=True, exist_ok=True)
                with results_file.open("a", encoding="utf-8") as results:
                    results.write(json.dumps(record) + "\n")
            summary = {"date": time.strftime("%Y-%m-%d %H:%M"), "machine": machine_description(),
                       "command": bench_command(dataset_names),
                       "datasets": {name: summarize(records) for name, records in records_by_dataset.items()}}
            write_presets_section(summary)
    return summary


def bench_command(dataset_names):
    """The command line that measures these datasets, for the sections' first line."""
    if tuple(dataset_names) == tuple(datasets.DATASETS):
        return "python -m lenet bench --presets"
    return " ".join(["python -m lenet bench --presets", *(f"--dataset {name}" for name in dataset_names)])


def measure(train_config):
    """One run through the worker's code path in this process, as the CLI trains; its accuracy and wall time."""
    load_before = psutil.getloadavg()[0]
    run_dir = store.new_run(train_config, run_name=f"{train_config.preset}-seed{train_config.seed}")
    summary = worker.execute(run_dir)
    if summary is None or summary.get("stopped") or "test_accuracy" not in summary:
        # A run stopped early (Ctrl-C, a signal) has a test accuracy too, of fewer epochs: it must not count.
        raise store.RunError(f"run {run_dir.name} did not finish its epochs; see {run_dir}")
    return {"dataset": train_config.dataset, "preset": train_config.preset, "seed": train_config.seed,
            "run_id": run_dir.name, "test_accuracy": summary["test_accuracy"],
            "wall_seconds": summary["wall_seconds"], "load_before": load_before, "load_after": psutil.getloadavg()[0]}


def summarize(records):
    """Per preset: the accuracies, their mean and minimum, the wall times; then each best run's wall time ÷ its seed
    run's (the worst of these is the table's figure), and best's slowest ÷ seed's slowest."""
    by_preset = {}
    for preset in PRESETS_COMPARED:
        mine = [record for record in records if record["preset"] == preset]
        accuracies = [record["test_accuracy"] for record in mine]
        by_preset[preset] = {"accuracies": accuracies, "mean": statistics.mean(accuracies), "minimum": min(accuracies),
                             "wall_seconds": [record["wall_seconds"] for record in mine]}
    seed, best = by_preset["seed"], by_preset["best"]
    # Each best run against the seed run of the same seed, trained next to it; the worst pair is the figure.
    pair_ratios = [b / s for b, s in zip(best["wall_seconds"], seed["wall_seconds"])]
    return {**by_preset, "seeds": sorted({record["seed"] for record in records}),
            "pair_wall_ratios": pair_ratios, "worst_pair_wall_ratio": max(pair_ratios),
            "slowest_wall_ratio": max(best["wall_seconds"]) / max(seed["wall_seconds"]),
            "loads": [record["load_before"] for record in records]}


def render_section(summary, dataset_name):
    """One dataset's table: its two presets per seed, with the date, machine and command that measured them."""
    figures = summary["datasets"][dataset_name]
    lines = [f"{datasets.DATASETS[dataset_name].title}: measured {summary['date']} with `{summary['command']}` on "
             f"{summary['machine']}; seeds {', '.join(map(str, figures['seeds']))} of {', '.join(map(str, SEEDS))}, "
             "one run at a time, seed and best alternating.", "",
             "| preset | test accuracy per seed | mean | minimum | wall s per seed | best ÷ seed wall, worst pair |",
             "|---|---|---|---|---|---|"]
    for preset in PRESETS_COMPARED:
        row = figures[preset]
        ratio = f"{figures['worst_pair_wall_ratio']:.2f}" if preset == "best" else ""
        lines.append(f"| `{preset}` | {' / '.join(f'{a:.2%}' for a in row['accuracies'])} | {row['mean']:.2%} | "
                     f"{row['minimum']:.2%} | {' / '.join(f'{s:.0f}' for s in row['wall_seconds'])} | {ratio} |")
    loads = figures["loads"]
    lines += ["", f"- Load average (1 min) before each run: {min(loads):.1f} to {max(loads):.1f}."]
    return "\n".join(lines)


def write_presets_section(summary, path=BENCHMARKS_FILE):
    """Replace each measured dataset's section (between its `presets-NAME` markers), keeping everything else."""
    for dataset_name in summary["datasets"]:
        heading = f"## Presets on {datasets.DATASETS[dataset_name].title}: `python -m lenet bench --presets`"
        replace_section(f"presets-{dataset_name}", render_section(summary, dataset_name), path, heading=heading)
