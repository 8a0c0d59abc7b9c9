"""The reports of issue 22's measurements, from made-up figures: XLA on and off in the bench's table, and the
Train page's worker against training in process (`bench --worker-vs-cli`). Nothing here is timed."""

import pytest

from lenet import config
from lenet.bench import engine, throughput, worker_speed


def fit(samples_per_second, xla):
    return {"epochs": 5, "batch_size": 128, "fit_seconds": 300_000 / samples_per_second,
            "samples_per_second": samples_per_second, "first_epoch_seconds": 14.0, "median_epoch_seconds": 11.0,
            "test_accuracy": 0.98, "xla": xla}


def our_fit(samples_per_second, xla, wall_seconds, preset, dataset="mnist"):
    return {**fit(samples_per_second, xla), "wall_seconds": wall_seconds, "preset": preset, "dataset": dataset}


def bench_results():
    xla = {"tutorial": {"off": fit(4000.0, False), "on": fit(5000.0, True)},
           "seed": {"off": our_fit(4600.0, False, 70.0, "seed"), "on": our_fit(6400.0, True, 60.0, "seed")},
           "best": {"off": our_fit(3600.0, False, 80.0, "best"), "on": our_fit(3400.0, True, 85.0, "best")},
           "fashion-best": {"off": our_fit(4000.0, False, 60.0, "best", "fashion"),
                            "on": our_fit(4400.0, True, 55.0, "best", "fashion")}}
    return {"mode": "short", "tutorial": xla["tutorial"]["off"], "seed": xla["seed"]["off"], "best": xla["best"]["off"],
            "xla": xla, "presets_jit_compile": {"seed": False, "best": False, "fashion-best": False},
            "throughput_ratio": 1.15, "median_epoch_throughput_ratio": 1.1, "best_throughput_ratio": 0.9,
            "best_to_seed_wall_ratio": 1.14,
            "worker_peak_memory_mb": 1500.0, "worker_peak_memory_xla_mb": 1900.0, "machine": "a test machine",
            "date": "2026-01-01 00:00",
            "latency": {"classify_p50_ms": 2.0, "classify_p95_ms": 3.0, "predict_p50_ms": 40.0, "predict_p95_ms": 50.0}}


def test_the_bench_table_shows_every_fit_with_xla_off_and_on(tmp_path):
    path = tmp_path / "BENCHMARKS.md"
    engine.write_benchmarks_file(bench_results(), path)
    text = path.read_text(encoding="utf-8")
    assert "| tutorial's code | off | 5 | 128 | 75.0 | 4,000 | 14.00 | 11.00 | 98.00% |  |" in text
    assert "Peak memory of a training worker: 1500 MB; with XLA 1900 MB." in text
    assert "| our trainer, `seed` preset | on | 5 | 128 | 46.9 | 6,400 | 14.00 | 11.00 | 98.00% | 60.0 |" in text
    assert text.count("| our trainer, `best` preset |") == 2
    assert "| our trainer, Fashion-MNIST `best` preset | on | 5 | 128 | 68.2 | 4,400 |" in text
    assert "tutorial's code 1.25×, `seed` **1.39×**, `best` **0.94×**, `fashion-best` **1.10×**." in text
    assert "`seed` **1.60×** with XLA, 1.15× without; `best` **0.85×** with XLA, 0.90× without (goal ≥ 1.5×)" in text


def test_the_bench_says_where_a_presets_xla_default_disagrees_with_the_measurement():
    results = bench_results()
    said = "\n".join(throughput.lines(results))
    assert ("`seed` gains from XLA over 5 epochs (the preset has it off); `best` loses from XLA over 5 epochs; "
            "`fashion-best` gains from XLA over 5 epochs (the preset has it off)." in said)
    results["presets_jit_compile"] = {"seed": True, "best": True, "fashion-best": True}
    assert ("`seed` gains from XLA over 5 epochs; `best` loses from XLA over 5 epochs (the preset has it on); "
            "`fashion-best` gains" in "\n".join(throughput.lines(results)))


def test_results_from_before_xla_was_measured_still_render():
    results = bench_results()
    del results["xla"]
    assert throughput.table_lines(results) == [] and throughput.lines(results) == []
    table = engine.render_table(results)
    assert "| tutorial's code | 5 | 128 | 75.0 | 4,000 | 11.00 | 98.00% | |" in table


def test_the_rows_of_the_presets_as_they_stand_follow_their_switch():
    rows = bench_results()["xla"]
    configs = {"seed": config.make_config("seed", jit_compile=True), "best": config.make_config("best")}
    chosen = throughput.as_configured({name: rows[name] for name in ("tutorial", "seed", "best")}, configs)
    assert chosen == {"tutorial": rows["tutorial"]["off"], "seed": rows["seed"]["on"], "best": rows["best"]["off"]}


def summary(train_seconds, wall_seconds, niceness):
    return {"train_seconds": train_seconds, "wall_seconds": wall_seconds,
            "process": {"cores": 2, "usable_cores": 2, "intra_op_threads": 0, "niceness": niceness,
                        "thread_variables": {}}}


def test_the_worker_and_the_in_process_run_are_compared_fact_by_fact(tmp_path):
    result = worker_speed.report(config.make_config("seed", epochs=3),
                                 {"in_process": summary(30.0, 40.0, 0), "worker": summary(33.0, 42.0, 19)})
    assert result["train_ratio"] == pytest.approx(1.1) and result["wall_ratio"] == pytest.approx(1.05)
    assert result["differences"] == {"niceness": [0, 19]}
    text = "\n".join(worker_speed.lines(result))
    assert "trained in 30.0 s in process (as the CLI trains) and 33.0 s in a worker process" in text
    assert "worker ÷ in process **1.10×**" in text and "40.0 s and 42.0 s (1.05×)" in text
    assert "niceness 0 in process, 19 in the worker" in text
    path = tmp_path / "BENCHMARKS.md"
    worker_speed.write_benchmarks_file(result, path)
    assert "### The Train page's worker and the CLI" in path.read_text(encoding="utf-8")


def test_identical_processes_are_said_to_differ_in_nothing():
    assert worker_speed.differences(summary(1, 1, 0)["process"], summary(2, 2, 0)["process"]) == {}
    assert worker_speed.differences({"niceness": 0}, {}) == {"niceness": [0, None]}


def test_a_run_that_did_not_finish_is_named():
    with pytest.raises(ValueError, match="in a worker process .* did not finish; see its worker.log"):
        worker_speed.report(config.make_config("seed"), {"in_process": summary(30.0, 40.0, 0), "worker": {}})


def test_the_command_line_runs_the_comparison_and_records_it(monkeypatch, capsys):
    from lenet import cli

    asked, written = [], []
    result = worker_speed.report(config.make_config("best", epochs=3),
                                 {"in_process": summary(30.0, 40.0, 0), "worker": summary(30.0, 40.0, 19)})
    monkeypatch.setattr(worker_speed, "compare", lambda preset, dataset: asked.append((preset, dataset)) or result)
    monkeypatch.setattr(worker_speed, "write_benchmarks_file", written.append)
    assert cli.main(["bench", "--worker-vs-cli", "best"]) == 0
    assert asked == [("best", "mnist")] and written == [result]
    assert "worker ÷ in process **1.00×**" in capsys.readouterr().out
    assert cli.build_parser().parse_args(["bench", "--worker-vs-cli"]).worker_vs_cli == "seed"
