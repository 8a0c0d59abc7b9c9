"""The presets benchmark's arithmetic and its section of BENCHMARKS.md (the runs themselves are `bench --presets`)."""

import pytest

from lenet import config
from lenet.bench import presets
from lenet.data import datasets
from lenet.runs import store, worker


def records(dataset, seed_runs, best_runs):
    made = []
    for seed, ((seed_accuracy, seed_wall), (best_accuracy, best_wall)) in enumerate(zip(seed_runs, best_runs)):
        made.append({"dataset": dataset, "preset": "seed", "seed": seed, "test_accuracy": seed_accuracy,
                     "wall_seconds": seed_wall, "load_before": 1.0 + seed})
        made.append({"dataset": dataset, "preset": "best", "seed": seed, "test_accuracy": best_accuracy,
                     "wall_seconds": best_wall, "load_before": 0.5})
    return made


def test_the_summary_takes_the_mean_the_minimum_and_the_worst_pair():
    summary = presets.summarize(records("fashion", [(0.88, 100), (0.89, 80), (0.87, 90)],
                                             [(0.91, 90), (0.92, 88), (0.90, 45)]))
    assert summary["best"]["mean"] == pytest.approx(0.91) and summary["best"]["minimum"] == 0.90
    assert summary["seed"]["accuracies"] == [0.88, 0.89, 0.87]
    assert summary["pair_wall_ratios"] == pytest.approx([0.9, 1.1, 0.5])
    assert summary["worst_pair_wall_ratio"] == pytest.approx(1.1)  # seed 1's best ran longer than its seed run
    assert summary["slowest_wall_ratio"] == pytest.approx(0.9)
    assert summary["seeds"] == [0, 1, 2]


def summary_of(dataset, seed_runs, best_runs, date="2026-11-26 19:00"):
    return {"date": date, "machine": "a test machine", "command": presets.bench_command([dataset]),
            "datasets": {dataset: presets.summarize(records(dataset, seed_runs, best_runs))}}


def test_the_section_replaces_only_its_own_markers(tmp_path):
    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# Benchmarks\n\nkept above\n<!-- presets-mnist:start -->\nold figures\n"
                    "<!-- presets-mnist:end -->\nkept below\n", encoding="utf-8")
    summary = summary_of("mnist", [(0.98, 50)] * 3, [(0.995, 49)] * 3)
    presets.write_presets_section(summary, path)
    text = path.read_text(encoding="utf-8")
    assert "kept above" in text and "kept below" in text and "old figures" not in text
    assert "| `best` | 99.50% / 99.50% / 99.50% | 99.50% | 99.50% | 49 / 49 / 49 | 0.98 |" in text
    assert "Load average (1 min) before each run: 0.5 to 3.0." in text
    assert "MNIST: measured 2026-11-26 19:00 with `python -m lenet bench --presets --dataset mnist`" in text
    assert "; seeds 0, 1, 2 of 0, 1, 2," in text
    presets.write_presets_section(summary, path)
    assert path.read_text(encoding="utf-8") == text  # rewriting replaces, never appends


def test_a_bench_of_one_dataset_keeps_the_other_datasets_figures(tmp_path):
    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# Benchmarks\n", encoding="utf-8")
    presets.write_presets_section(summary_of("fashion", [(0.88, 90)] * 3, [(0.91, 80)] * 3, "day one"), path)
    presets.write_presets_section(summary_of("mnist", [(0.98, 50)] * 3, [(0.995, 49)] * 3, "day two"), path)
    text = path.read_text(encoding="utf-8")
    assert "Fashion-MNIST: measured day one" in text and "| `best` | 91.00% / 91.00% / 91.00%" in text
    assert "MNIST: measured day two" in text and "| `best` | 99.50% / 99.50% / 99.50%" in text
    remeasured = summary_of("mnist", [(0.98, 50)] * 3, [(0.996, 49)] * 3, "day three")
    presets.write_presets_section(remeasured, path)
    text = path.read_text(encoding="utf-8")
    assert "Fashion-MNIST: measured day one" in text and "day two" not in text and "99.60% / 99.60%" in text


def test_a_file_without_the_markers_gets_a_presets_section(tmp_path):
    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# Benchmarks\n\nother figures\n", encoding="utf-8")
    presets.write_presets_section(summary_of("fashion", [(0.88, 90)] * 3, [(0.91, 80)] * 3), path)
    assert path.read_text(encoding="utf-8").startswith("# Benchmarks\n\nother figures\n\n## Presets on Fashion-MNIST")


def test_the_command_names_a_dataset_only_when_the_bench_left_one_out():
    assert presets.bench_command(list(datasets.DATASETS)) == "python -m lenet bench --presets"
    assert presets.bench_command(["fashion"]) == "python -m lenet bench --presets --dataset fashion"


def test_a_run_stopped_before_its_last_epoch_does_not_count(monkeypatch):
    # A signal stops a run early, and it still writes a test accuracy, of fewer epochs than the preset's.
    monkeypatch.setattr(worker, "execute", lambda run_dir: {"stopped": True, "test_accuracy": 0.98, "wall_seconds": 9.0})
    with pytest.raises(store.RunError, match="did not finish its epochs"):
        presets.measure(config.make_config("quick"))


def test_each_dataset_is_summarized_from_its_own_runs_after_every_pair(monkeypatch, tmp_path):
    # Fake runs whose accuracy tells the dataset and the seed apart, so a record summarized under the wrong
    # dataset would show in the means.
    accuracy = {"mnist": 0.99, "fashion": 0.90}
    monkeypatch.setattr(presets, "measure", lambda train_config: {
        "dataset": train_config.dataset, "preset": train_config.preset, "seed": train_config.seed,
        "test_accuracy": accuracy[train_config.dataset] + train_config.seed / 1000, "wall_seconds": 100.0,
        "load_before": 0.0})
    written = []
    monkeypatch.setattr(presets, "write_presets_section", written.append)
    summary = presets.run_preset_benchmarks(("mnist", "fashion"), results_file=tmp_path / "bench.jsonl",
                                                 log=lambda line: None)
    assert len(written) == len(presets.SEEDS) * 2  # rewritten after every seed/best pair
    assert list(written[0]["datasets"]) == ["mnist"]  # the first pair: fashion not measured yet
    assert list(summary["datasets"]) == ["mnist", "fashion"]
    for name, figures in summary["datasets"].items():
        assert figures["best"]["accuracies"] == pytest.approx([accuracy[name] + seed / 1000 for seed in (0, 1, 2)])
    assert len((tmp_path / "bench.jsonl").read_text(encoding="utf-8").splitlines()) == 12
