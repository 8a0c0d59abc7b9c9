"""The benchmark's report: its table replaces the old one in BENCHMARKS.md and keeps the prose around it."""

from lenet.bench import engine


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
    path.write_text("# Benchmarks\n\nintro\n\n<!-- bench:start -->\nold table\n<!-- bench:end -->\n\nwhy it is faster\n",
                    encoding="utf-8")
    engine.write_benchmarks_file(made_up_results(), path)
    text = path.read_text(encoding="utf-8")
    assert "old table" not in text and text.startswith("# Benchmarks\n\nintro\n") and text.endswith("why it is faster\n")
    assert "**2.00×** over the whole fit, 1.80× by median epoch" in text
    assert "| tutorial's code | 2 | 128 | 20.0 | 10,000 | 4.50 | 98.00% | |" in text
    assert "p50 **2.00 ms**" in text and "on a test machine" in text


def test_the_snapshot_and_drawing_map_figures_are_reported_when_measured(tmp_path):
    results = made_up_results()
    assert engine.snapshot_lines(results) == []  # results from before they were measured still render
    results["snapshots"] = {"epochs": 5, "without_seconds": 20.0, "with_seconds": 20.4, "wall_ratio": 1.02,
                            "snapshot_seconds": 0.3, "snapshot_share": 0.3 / 20.1, "bytes_per_epoch": 10240,
                            "bytes_for_200_epochs": 2.1 * 1024 ** 2}
    results["drawing_map"] = {"build_seconds": 4.0, "place_p50_ms": 6.5, "place_p95_ms": 9.0}
    path = tmp_path / "BENCHMARKS.md"
    engine.write_benchmarks_file(results, path)
    text = path.read_text(encoding="utf-8")
    assert "with ÷ without **1.020** (20.0 s → 20.4 s)" in text and "**1.5%** of the run" in text
    assert "10 KB per epoch, so a 200-epoch run's take 2.1 MB" in text
    assert "p50 **6.5 ms**, p95 9.0 ms" in text


def test_the_worker_priority_cost_is_reported_when_measured(tmp_path):
    results = made_up_results()
    assert engine.priority_lines(results) == []
    results["priority"] = {"epochs": 3, "normal_seconds": 8.0, "nice_seconds": 8.4, "ratio": 1.05}
    path = tmp_path / "BENCHMARKS.md"
    engine.write_benchmarks_file(results, path)
    assert "trained in 8.0 s at normal priority and 8.4 s in a worker: **1.05×**" in path.read_text(encoding="utf-8")


def test_the_likeness_and_explanation_figures_are_reported_when_measured(tmp_path):
    results = made_up_results()
    path = tmp_path / "BENCHMARKS.md"
    engine.write_benchmarks_file(results, path)
    # Results from before they were measured still render.
    assert "Digit-likeness" not in path.read_text(encoding="utf-8")
    results["likeness"] = {"test_abstained": 0.0063, "test_accuracy_on_rest": 0.9941, "test_accuracy": 0.9934,
                           "non_digits": 230, "non_digits_abstained": 0.965, "stroke_digits": 500,
                           "stroke_digits_read_right": 0.984, "stroke_digits_per_class": [1.0] * 6 + [0.84] + [1.0] * 3}
    results["explanations"] = {"evidence_p50_ms": 12.3, "evidence_p95_ms": 20.0, "counterfactual_p50_ms": 45.0,
                               "counterfactual_p95_ms": 90.0, "counterfactual_searches": 180,
                               "counterfactual_reached": 0.9444}
    engine.write_benchmarks_file(results, path)
    text = path.read_text(encoding="utf-8")
    assert "MNIST test abstained **0.63%**" in text and "99.41% vs 99.34% plain" in text
    assert "230 generated non-digits abstained **96.5%**" in text and "**98.4%** (goal ≥ 99.0%)" in text
    assert "weakest digit 6 at **84%** (goal ≥ 97%), per digit 0–9: 100% / 100%" in text
    assert "drawn small" not in text  # measured since 12-07: results from before lack it
    assert "500 stroke-drawn digits read right" in text  # a model that trains on none of their styles
    results["likeness"]["stroke_styles_taught"] = True
    engine.write_benchmarks_file(results, path)
    assert ("500 stroke-drawn digits (in styles the model trains on: other drawings of them are its `drawn_digits`) "
            "read right" in path.read_text(encoding="utf-8"))
    results["likeness"].update(small_stroke_digits_read_right=0.987,
                               small_stroke_digits_per_class=[1.0] * 8 + [0.97, 0.9])
    engine.write_benchmarks_file(results, path)
    text = path.read_text(encoding="utf-8")
    assert "As many drawn small (15%–35% of the canvas high) with the slider's 20-pixel pen, read right **98.7%**; " \
           "weakest digit 9 at **90%**" in text
    assert "drawn big" not in text  # measured since 12-07, as the digits drawn small
    assert "OTHER_DIGIT_STYLES" not in text  # the same
    results["likeness"].update(other_style_stroke_digits_read_right=0.894,
                               other_style_stroke_digits_per_class=[1.0, 0.04] + [1.0] * 4 + [0.9] + [1.0] * 3)
    engine.write_benchmarks_file(results, path)
    assert ("in styles that nothing here trains on (`synthetic.OTHER_DIGIT_STYLES`: a long-flagged 1, a 6 whose "
            "top curls over, …), read right **89.4%**, per digit 0–9: 100% / 4% / 100%"
            in path.read_text(encoding="utf-8"))
    results["likeness"].update(test_read_right=0.9875, drawn_big_read_right=0.9878, drawn_big_abstained=0.0078)
    engine.write_benchmarks_file(results, path)
    assert ("MNIST's test digits drawn big (enlarged to the canvas's 280 pixels) and prepared as Draw prepares a "
            "drawing, read right **98.78%**, abstained 0.78% (as 28×28 arrays: 98.75%, 0.63%)."
            in path.read_text(encoding="utf-8"))
    assert "evidence map p50 **12.3 ms**" in text and "counterfactual p50 **45 ms**" in text
    assert "180 searches, from stroke digits towards every digit they are not, reached it **94.4%**" in text


def test_the_likeness_figures_and_explanation_timings_are_measured_on_the_bundled_model():
    from lenet.bench import why_figures
    from lenet.serve import inference

    classifier = inference.Classifier()
    # The bench's 60 repeats and 20 drawings make its figures steady; 5 and 2 show they are measured.
    figures = why_figures.explanation_figures(classifier, repeats=5, search_drawings=2)
    assert 0 < figures["evidence_p50_ms"] <= figures["evidence_p95_ms"]
    assert 0 < figures["counterfactual_p50_ms"] <= figures["counterfactual_p95_ms"]
    assert figures["counterfactual_searches"] == 2 * 9 and figures["counterfactual_reached"] >= 0.8
