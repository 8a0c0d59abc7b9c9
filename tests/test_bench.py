"""The benchmark's report: its table replaces the old one in BENCHMARKS.md and keeps the prose around it."""

from lenet import bench


def made_up_results():
    row = {"epochs": 2, "batch_size": 128, "fit_seconds": 10.0, "samples_per_second": 10_000.0,
           "median_epoch_seconds": 4.5, "wall_seconds": 11.0, "test_accuracy": 0.98}
    return {"mode": "short", "tutorial": {**row, "fit_seconds": 20.0}, "seed": row, "best": {**row, "test_accuracy": 0.99},
            "throughput_ratio": 2.0, "median_epoch_throughput_ratio": 1.8, "best_throughput_ratio": 1.0,
            "best_to_seed_wall_ratio": 1.0, "worker_peak_memory_mb": 1500.0, "machine": "a test machine",
            "date": "2026-01-01 00:00",
            "latency": {"classify_p50_ms": 2.0, "classify_p95_ms": 3.0, "predict_p50_ms": 40.0, "predict_p95_ms": 50.0}}


def test_the_table_replaces_the_last_one_and_keeps_the_prose(tmp_path):
    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# Benchmarks\n\nintro\n\n<!-- bench:start -->\nold table\n<!-- bench:end -->\n\nwhy it is faster\n")
    bench.write_benchmarks_file(made_up_results(), path)
    text = path.read_text()
    assert "old table" not in text and text.startswith("# Benchmarks\n\nintro\n") and text.endswith("why it is faster\n")
    assert "**2.00×** over the whole fit, 1.80× by median epoch" in text
    assert "| tutorial's code | 2 | 128 | 20.0 | 10,000 | 4.50 | 98.00% | |" in text
    assert "p50 **2.00 ms**" in text and "on a test machine" in text


def test_the_snapshot_and_drawing_map_figures_are_reported_when_measured(tmp_path):
    results = made_up_results()
    assert bench.snapshot_lines(results) == []  # results from before they were measured still render
    results["snapshots"] = {"epochs": 5, "without_seconds": 20.0, "with_seconds": 20.4, "wall_ratio": 1.02,
                            "snapshot_seconds": 0.3, "snapshot_share": 0.3 / 20.1, "bytes_per_epoch": 10240,
                            "bytes_for_200_epochs": 2.1 * 1024 ** 2}
    results["drawing_map"] = {"build_seconds": 4.0, "place_p50_ms": 6.5, "place_p95_ms": 9.0}
    path = tmp_path / "BENCHMARKS.md"
    bench.write_benchmarks_file(results, path)
    text = path.read_text()
    assert "with ÷ without **1.020** (20.0 s → 20.4 s)" in text and "**1.5%** of the run" in text
    assert "10 KB per epoch, so a 200-epoch run's take 2.1 MB" in text
    assert "p50 **6.5 ms**, p95 9.0 ms" in text
