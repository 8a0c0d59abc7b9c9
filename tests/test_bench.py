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
