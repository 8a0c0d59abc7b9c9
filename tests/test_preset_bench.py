"""The presets benchmark's arithmetic and its section of BENCHMARKS.md (the runs themselves are `bench --presets`)."""

import pytest

from lenet import config, preset_bench, runs, worker


def records(dataset, seed_runs, best_runs):
    made = []
    for seed, ((seed_accuracy, seed_wall), (best_accuracy, best_wall)) in enumerate(zip(seed_runs, best_runs)):
        made.append({"dataset": dataset, "preset": "seed", "seed": seed, "test_accuracy": seed_accuracy,
                     "wall_seconds": seed_wall, "load_before": 1.0 + seed})
        made.append({"dataset": dataset, "preset": "best", "seed": seed, "test_accuracy": best_accuracy,
                     "wall_seconds": best_wall, "load_before": 0.5})
    return made


def test_the_summary_takes_the_mean_the_minimum_and_the_worst_pair():
    summary = preset_bench.summarize(records("fashion", [(0.88, 100), (0.89, 80), (0.87, 90)],
                                             [(0.91, 90), (0.92, 88), (0.90, 45)]))
    assert summary["best"]["mean"] == pytest.approx(0.91) and summary["best"]["minimum"] == 0.90
    assert summary["seed"]["accuracies"] == [0.88, 0.89, 0.87]
    assert summary["pair_wall_ratios"] == pytest.approx([0.9, 1.1, 0.5])
    assert summary["worst_pair_wall_ratio"] == pytest.approx(1.1)  # seed 1's best ran longer than its seed run
    assert summary["slowest_wall_ratio"] == pytest.approx(0.9)
    assert summary["seeds"] == [0, 1, 2]


def test_the_section_replaces_only_its_own_markers(tmp_path):
    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# Benchmarks\n\nkept above\n<!-- presets:start -->\nold figures\n<!-- presets:end -->\nkept below\n")
    summary = {"date": "2026-11-26 19:00", "machine": "a test machine",
               "datasets": {"mnist": preset_bench.summarize(records("mnist", [(0.98, 50)] * 3, [(0.995, 49)] * 3))}}
    preset_bench.write_presets_section(summary, path)
    text = path.read_text()
    assert "kept above" in text and "kept below" in text and "old figures" not in text
    assert "| mnist | `best` | 99.50% / 99.50% / 99.50% | 99.50% | 99.50% | 49 / 49 / 49 | 0.98 |" in text
    assert "Load average (1 min) before each run: 0.5 to 3.0." in text
    assert "; seeds 0, 1, 2 of 0, 1, 2," in text
    preset_bench.write_presets_section(summary, path)
    assert path.read_text() == text  # rewriting replaces, never appends


def test_a_file_without_the_markers_gets_a_presets_section(tmp_path):
    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# Benchmarks\n\nother figures\n")
    summary = {"date": "d", "machine": "m",
               "datasets": {"fashion": preset_bench.summarize(records("fashion", [(0.88, 90)] * 3, [(0.91, 80)] * 3))}}
    preset_bench.write_presets_section(summary, path)
    assert path.read_text().startswith("# Benchmarks\n\nother figures\n\n## Presets")


def test_a_run_stopped_before_its_last_epoch_does_not_count(monkeypatch):
    # A signal stops a run early, and it still writes a test accuracy, of fewer epochs than the preset's.
    monkeypatch.setattr(worker, "execute", lambda run_dir: {"stopped": True, "test_accuracy": 0.98, "wall_seconds": 9.0})
    with pytest.raises(runs.RunError, match="did not finish its epochs"):
        preset_bench.measure(config.make_config("quick"))
