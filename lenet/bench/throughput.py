"""Throughput with and without XLA, in one run: the tutorial's code and our trainer's presets, each fitted with
jit_compile off and on, so that every ratio compares fits of the same machine in the same minutes.

Samples per second count the whole fit, compiling included: XLA's compile time lands in the first epoch, so a short
run gains less from it than a long one.
"""

import dataclasses
import time

import keras
import numpy as np

from lenet.data import datasets
from lenet.runs import store, worker

SETTINGS = {"off": False, "on": True}  # our trainer's jit_compile; the tutorial's "off" is its code as written
GOAL = 1.5  # our trainer's samples per second on MNIST ÷ the tutorial's code as written


def measure(splits, configs, runs_root, log=print):
    """{"tutorial": {"off": row, "on": row}, name: {"off": row, "on": row}, ...}: every fit with XLA off, then on.

    configs maps a name to each TrainConfig to fit, MNIST's "seed" among them; the tutorial's code fits as many
    epochs as that one.
    """
    epochs = configs["seed"].epochs
    rows = {"tutorial": {}, **{name: {} for name in configs}}
    for setting, jit_compile in SETTINGS.items():
        log(f"tutorial code, {epochs} epochs, XLA {setting}…")
        rows["tutorial"][setting] = tutorial_fit(splits, epochs, jit_compile=jit_compile or "auto")
    for name, train_config in configs.items():
        for setting, jit_compile in SETTINGS.items():
            log(f"our trainer, {name}, {train_config.epochs} epochs, XLA {setting}…")
            rows[name][setting] = our_fit(dataclasses.replace(train_config, jit_compile=jit_compile), runs_root)
    return rows


def as_configured(rows, configs):
    """The rows the presets train as they stand: the tutorial's as written, each preset's with its own jit_compile."""
    return {"tutorial": rows["tutorial"]["off"],
            **{name: rows[name][setting_name(train_config.jit_compile)] for name, train_config in configs.items()}}


def setting_name(jit_compile):
    return "on" if jit_compile else "off"


def tutorial_fit(splits, epochs, jit_compile="auto"):
    """The Keras tutorial's code as written: a Sequential LeNet-5 fitted on numpy arrays, batch 128.

    jit_compile "auto" is its own (Keras's default: no XLA without a GPU); True is the one change to measure XLA.
    """
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(6, kernel_size=5, activation="tanh"),
        keras.layers.AveragePooling2D(pool_size=2),
        keras.layers.Conv2D(16, kernel_size=5, activation="tanh"),
        keras.layers.AveragePooling2D(pool_size=2),
        keras.layers.Flatten(),
        keras.layers.Dense(120, activation="tanh"),
        keras.layers.Dense(84, activation="tanh"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  jit_compile=jit_compile)
    x_train, x_val, x_test = (np.expand_dims(x, -1) for x in (splits.x_train, splits.x_val, splits.x_test))
    timer = EpochTimer()  # the one addition to the tutorial's code; it only reads the clock
    started = time.perf_counter()
    model.fit(x_train, splits.y_train, batch_size=128, epochs=epochs, validation_data=(x_val, splits.y_val), verbose=0,
              callbacks=[timer])
    seconds = time.perf_counter() - started
    _, accuracy = model.evaluate(x_test, splits.y_test, batch_size=1000, verbose=0)
    return {"epochs": epochs, "batch_size": 128, "fit_seconds": seconds,
            "samples_per_second": epochs * len(x_train) / seconds, "first_epoch_seconds": timer.seconds[0],
            "median_epoch_seconds": float(np.median(timer.seconds)), "test_accuracy": float(accuracy),
            "xla": bool(model.jit_compile)}


class EpochTimer(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.started)


def our_fit(train_config, runs_root):
    """Our trainer, metric streaming and checkpoints on, exactly as the CLI and the app run it."""
    run_dir = store.new_run(train_config, runs_root=runs_root)
    summary = worker.execute(run_dir)
    epochs = store.load_metrics(run_dir, kind="epoch")
    fit_seconds = epochs[-1]["seconds"]
    return {"dataset": train_config.dataset, "preset": train_config.preset, "epochs": train_config.epochs,
            "batch_size": train_config.batch_size, "fit_seconds": fit_seconds,
            "samples_per_second": train_config.epochs * datasets.get(train_config.dataset).train_size / fit_seconds,
            "first_epoch_seconds": epochs[0]["epoch_seconds"],
            "median_epoch_seconds": float(np.median([epoch["epoch_seconds"] for epoch in epochs])),
            "wall_seconds": summary["wall_seconds"], "test_accuracy": summary["test_accuracy"],
            "xla": summary.get("xla")}


def speedup(rows, name):
    """XLA on ÷ off for one trainer, in samples per second over the whole fit."""
    return rows[name]["on"]["samples_per_second"] / rows[name]["off"]["samples_per_second"]


def labels(rows):
    """Each trainer's name in the table: the tutorial's code, then our trainer with each measured preset."""
    found = {"tutorial": "tutorial's code"}
    for name, row in ((name, settings["off"]) for name, settings in rows.items() if name != "tutorial"):
        dataset = "" if row["dataset"] == datasets.DEFAULT else f"{datasets.get(row['dataset']).title} "
        found[name] = f"our trainer, {dataset}`{row['preset']}` preset"
    return found


def table_lines(results):
    """Every fit, with XLA off and on; nothing for results measured before XLA was."""
    if "xla" not in results:
        return []
    rows = results["xla"]
    return ["| what | XLA | epochs | batch | fit s | samples/s | first epoch s | median epoch s | test accuracy "
            "| wall s |", "|---|---|---|---|---|---|---|---|---|---|",
            *(table_row(label, rows[name][setting]) for name, label in labels(rows).items() for setting in SETTINGS)]


def table_row(label, row):
    wall = f"{row['wall_seconds']:.1f}" if "wall_seconds" in row else ""
    return (f"| {label} | {'on' if row.get('xla') else 'off'} | {row['epochs']} | {row['batch_size']} | "
            f"{row['fit_seconds']:.1f} | {row['samples_per_second']:,.0f} | {row['first_epoch_seconds']:.2f} | "
            f"{row['median_epoch_seconds']:.2f} | {row['test_accuracy']:.2%} | {wall} |")


def lines(results):
    """What XLA bought each trainer, and whether each preset should have it; nothing before XLA was measured."""
    if "xla" not in results:
        return []
    rows = results["xla"]
    names = [name for name in labels(rows) if name != "tutorial"]
    mnist = [name for name in names if rows[name]["off"]["dataset"] == datasets.DEFAULT]
    tutorial = rows["tutorial"]["off"]["samples_per_second"]
    return [
        f"- XLA on ÷ off, samples/s over the whole fit, compiling included: tutorial's code "
        f"{speedup(rows, 'tutorial'):.2f}×, " + ", ".join(f"`{name}` **{speedup(rows, name):.2f}×**" for name in names)
        + ".",
        "- Our trainer ÷ the tutorial's code as written, samples/s over the whole fit on MNIST: " + "; ".join(
            f"`{name}` **{rows[name]['on']['samples_per_second'] / tutorial:.2f}×** with XLA, "
            f"{rows[name]['off']['samples_per_second'] / tutorial:.2f}× without" for name in mnist)
        + f" (goal ≥ {GOAL:g}×).",
        *verdict_lines(rows, names, results.get("presets_jit_compile", {})),
    ]


def verdict_lines(rows, names, presets_jit_compile):
    """Whether XLA paid for each preset over these epochs, against what lenet/config.py sets it to."""
    verdicts = []
    for name in names:
        pays, epochs = speedup(rows, name) > 1, rows[name]["on"]["epochs"]
        now = presets_jit_compile.get(name)
        advice = "" if now is None or now == pays else f" (the preset has it {setting_name(now)})"
        verdicts.append(f"`{name}` {'gains' if pays else 'loses'} from XLA over {epochs} epochs{advice}")
    return ["- " + "; ".join(verdicts) + ". A preset's default (jit_compile in lenet/config.py) follows the full run "
            "(`--full`), whose longer fits pay the compiling off over more epochs."]
