"""The command line: `python -m lenet data|summary|train|evaluate|predict|runs|stop|bundle|my-digits|bench`.

It drives the engine exactly as the app does. Each command prints its result as one JSON line last.
"""

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from lenet import config as lenet_config

# Settings that have flags of their own below, rather than the generic --name VALUE.
SPECIAL_SETTINGS = {"preset", "my_digits", "init_model"}


def main(argv=None):
    parser = build_parser()
    arguments = parser.parse_args(argv)
    try:
        return arguments.handler(arguments) or 0
    except (ValueError, OSError) as error:  # our errors are ValueErrors with messages meant for the user
        print(f"error: {error}", file=sys.stderr)
        return 2


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m lenet", description="LeNet-5 Studio's engine.")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    data_command = commands.add_parser("data", help="fetch and verify MNIST, and say where it came from")
    data_command.set_defaults(handler=command_data)

    summary = commands.add_parser("summary", help="print the layer table of a LeNet-5 variant")
    summary.add_argument("--variant", choices=lenet_config.VARIANTS, default="seed")
    summary.add_argument("--activation", choices=lenet_config.ACTIVATIONS, default="tanh")
    summary.add_argument("--pooling", choices=lenet_config.POOLINGS, default="average")
    summary.set_defaults(handler=command_summary)

    train = commands.add_parser("train", help="train a model; every preset setting can be overridden")
    train.add_argument("--preset", choices=list(lenet_config.PRESETS), default="seed")
    for field in dataclasses.fields(lenet_config.TrainConfig):
        if field.name not in SPECIAL_SETTINGS:
            train.add_argument("--" + field.name.replace("_", "-"), dest=field.name, type=type(field.default))
    train.add_argument("--with-my-digits", action="store_true", help="mix my digits into the training set")
    train.add_argument("--finetune", metavar="MODEL", help="start from this model instead of random weights")
    train.add_argument("--run-name", help="a label for the run folder")
    train.add_argument("--background", action="store_true", help="train in a worker process and return at once")
    train.set_defaults(handler=command_train)

    evaluate = commands.add_parser("evaluate", help="test accuracy, loss and confusion matrix of a model")
    evaluate.add_argument("--model", help="a .keras file (default: the bundled model)")
    evaluate.set_defaults(handler=command_evaluate)

    predict = commands.add_parser("predict", help="classify image files (PNG, JPEG, BMP, GIF)")
    predict.add_argument("--model", help="a .keras file (default: the bundled model)")
    predict.add_argument("images", nargs="+")
    predict.set_defaults(handler=command_predict)

    runs_command = commands.add_parser("runs", help="list the runs in the run store")
    runs_command.set_defaults(handler=command_runs)

    stop = commands.add_parser(
        "stop", help="stop a run within a second, keeping its last completed epoch (kill it after --timeout)")
    stop.add_argument("run_id")
    stop.add_argument("--timeout", type=float, default=60.0)
    stop.set_defaults(handler=command_stop)

    bundle = commands.add_parser("bundle", help="make a finished run's model the bundled default (models/)")
    bundle.add_argument("run_id")
    bundle.set_defaults(handler=command_bundle)

    digits = commands.add_parser("my-digits", help="list, export or import my digits")
    digits.add_argument("action", choices=("list", "export", "import"))
    digits.add_argument("file", nargs="?", help="the .npz to write (export) or read (import)")
    digits.set_defaults(handler=command_my_digits)

    bench = commands.add_parser("bench", help="benchmarks against the tutorial's recipe; writes BENCHMARKS.md")
    bench.add_argument("--full", action="store_true", help="the full presets (minutes), not the short default")
    bench.set_defaults(handler=command_bench)
    return parser


def emit(value):
    print(json.dumps(value), flush=True)


def command_data(arguments):
    from lenet import data

    result = data.fetch_mnist(log=lambda line: print(line, flush=True))
    print(f"MNIST is ready in {result.directory} (from {result.source})")
    emit({"directory": str(result.directory), "source": result.source})


def command_summary(arguments):
    from lenet import models

    model = models.build_model(lenet_config.ModelConfig(arguments.variant, arguments.activation, arguments.pooling))
    print(models.format_layer_table(model))
    emit({"params": model.count_params()})


def command_train(arguments):
    from lenet import runs, worker

    overrides = {name: getattr(arguments, name) for name in vars(arguments)
                 if name in {field.name for field in dataclasses.fields(lenet_config.TrainConfig)} - SPECIAL_SETTINGS}
    train_config = lenet_config.make_config(arguments.preset, my_digits=arguments.with_my_digits or None,
                                            init_model=arguments.finetune and str(Path(arguments.finetune).resolve()),
                                            **overrides)
    for warning in train_config.warnings():
        print(f"warning: {warning}", file=sys.stderr, flush=True)
    if arguments.background:
        run_dir = worker.start(train_config, arguments.run_name)
        emit({"run_id": run_dir.name, "run_dir": str(run_dir), "state": "queued"})
        return 0
    run_dir = runs.new_run(train_config, arguments.run_name)
    print(f"run {run_dir.name}: {json.dumps(train_config.to_dict())}", flush=True)
    summary = worker.execute(run_dir, log=lambda line: print(line, flush=True))
    status = runs.read_status(run_dir)
    if summary is None or "test_accuracy" not in summary:
        emit({"run_id": run_dir.name, "run_dir": str(run_dir), "state": status.get("state")})
        return 1
    emit({"run_id": run_dir.name, "run_dir": str(run_dir), "state": status.get("state"),
          "test_accuracy": summary["test_accuracy"], "wall_seconds": round(summary["wall_seconds"], 2),
          "params": summary["params"], "model_path": summary["model_path"]})


def command_evaluate(arguments):
    from lenet import data, inference, training

    classifier = inference.Classifier(arguments.model)
    splits = data.load_mnist(log=lambda line: None)
    figures = training.evaluation_figures(splits.y_test.astype(int), classifier.probabilities(splits.x_test))
    print(f"model {classifier.model_path}")
    print(f"test accuracy {figures['test_accuracy']:.4f}   test loss {figures['test_loss']:.4f}")
    print("confusion matrix (rows: true digit, columns: predicted)")
    for digit, row in enumerate(figures["confusion_matrix"]):
        print(f"  {digit}: " + " ".join(f"{count:5d}" for count in row))
    emit({"model": str(classifier.model_path), **figures})


def command_predict(arguments):
    from lenet import inference, preprocess

    classifier = inference.Classifier(arguments.model)
    failures = 0
    for image_file in arguments.images:
        try:
            prediction = classifier.classify(preprocess.load_image(image_file))
        except preprocess.ImageError as error:
            emit({"file": image_file, "digit": None, "error": str(error)})
            failures += 1
            continue
        if prediction.digit is None:
            emit({"file": image_file, "digit": None, "error": "no digit found: the image is empty or nearly empty"})
            failures += 1
        else:
            emit({"file": image_file, "digit": prediction.digit,
                  "probabilities": [round(float(p), 5) for p in prediction.probabilities]})
    return 1 if failures == len(arguments.images) else 0


def command_runs(arguments):
    from lenet import runs

    listed = runs.list_runs()
    print(f"{'run':<40} {'state':<9} {'preset':<7} {'epochs':>6} {'test acc':>9}")
    for run in listed:
        accuracy = run.summary.get("test_accuracy")
        print(f"{run.run_id:<40} {run.state:<9} {run.config.get('preset', ''):<7} "
              f"{run.summary.get('epochs_completed', 0):>6} {'' if accuracy is None else f'{accuracy:.4f}':>9}")
    emit([{"run_id": run.run_id, "state": run.state, "test_accuracy": run.summary.get("test_accuracy")} for run in listed])


def command_stop(arguments):
    from lenet import runs, worker

    status = worker.stop(runs.run_path(arguments.run_id), timeout=arguments.timeout)
    emit({"run_id": arguments.run_id, "state": status.get("state")})


def command_bundle(arguments):
    from lenet import runs

    path = runs.bundle_run(runs.run_path(arguments.run_id))
    emit({"model_path": str(path), "sidecar": str(path.with_suffix(".json"))})


def command_my_digits(arguments):
    from lenet import my_digits

    if arguments.action == "list":
        digits = my_digits.list_digits()
        print(f"{len(digits)} digits in {my_digits.store_path()}; per class: {my_digits.class_counts(digits).tolist()}")
        emit([{"id": d.digit_id, "label": d.label, "prediction": d.prediction} for d in digits])
    elif not arguments.file:
        raise ValueError(f"my-digits {arguments.action} needs a FILE (.npz)")
    elif arguments.action == "export":
        Path(arguments.file).write_bytes(my_digits.export_npz())
        emit({"exported": len(my_digits.list_digits()), "file": arguments.file})
    else:
        emit({"imported": len(my_digits.import_npz(arguments.file)), "file": arguments.file})


def command_bench(arguments):
    from lenet import bench

    emit(bench.run_benchmarks(full=arguments.full))


if __name__ == "__main__":
    sys.exit(main())
