"""The command line: `python -m lenet COMMAND`, where COMMAND is data, summary, train, evaluate, predict, runs, stop,
bundle, refit-likeness, my-digits or bench.

It drives the engine exactly as the app does. Each command prints its result as one JSON line last.
"""

import argparse
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lenet import config as lenet_config
from lenet.data import datasets
from lenet.serve import likeness
from lenet.train import finetune, metrics
from lenet.train.command import add_dataset_argument, add_train_arguments, config_from_arguments, train_command


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
    for add_command in COMMANDS:
        add_command(commands)
    return parser


# One function per command: its parser, its arguments and its handler.

def add_data(commands):
    data_command = commands.add_parser("data", help="fetch and verify a dataset, and say where it came from")
    data_command.add_argument("--dataset", nargs="+", choices=list(datasets.DATASETS), metavar="DATASET",
                              help=f"the datasets, fetched at the same time: {', '.join(datasets.DATASETS)} "
                              f"(default: {datasets.DEFAULT})")
    data_command.set_defaults(handler=command_data)


def add_summary(commands):
    summary = commands.add_parser("summary", help="print the layer table of a LeNet-5 variant")
    summary.add_argument("--variant", choices=list(lenet_config.VARIANTS), default="28x28")
    summary.add_argument("--activation", choices=lenet_config.ACTIVATIONS, default="tanh")
    summary.add_argument("--pooling", choices=lenet_config.POOLINGS, default="average")
    summary.set_defaults(handler=command_summary)


def add_train(commands):
    train = commands.add_parser("train", help="train a model; every preset setting can be overridden")
    add_train_arguments(train)
    train.add_argument("--run-name", help="a label for the run folder")
    train.add_argument("--background", action="store_true", help="train in a worker process and return at once")
    train.set_defaults(handler=command_train)


def add_evaluate(commands):
    evaluate = commands.add_parser("evaluate", help="test accuracy, loss and confusion matrix of a model")
    evaluate.add_argument("--model", help="a .keras file (default: the bundled MNIST model)")
    add_dataset_argument(evaluate, "the test set to score on (default: the model's own dataset)")
    evaluate.set_defaults(handler=command_evaluate)


def add_predict(commands):
    predict = commands.add_parser("predict", help="classify image files (PNG, JPEG, BMP, GIF)")
    predict.add_argument("--model", help="a .keras file (default: the bundled MNIST model)")
    predict.add_argument("images", nargs="+")
    predict.set_defaults(handler=command_predict)


def add_runs(commands):
    commands.add_parser("runs", help="list the runs in the run store").set_defaults(handler=command_runs)


def add_stop(commands):
    stop = commands.add_parser(
        "stop", help="stop a run within a second, keeping its last completed epoch (kill it after --timeout)")
    stop.add_argument("run_id")
    stop.add_argument("--timeout", type=float, default=60.0)
    stop.set_defaults(handler=command_stop)


def add_bundle(commands):
    bundle = commands.add_parser("bundle", help="make a finished run's model the bundled one of its dataset (models/)")
    bundle.add_argument("run_id")
    bundle.set_defaults(handler=command_bundle)


def add_refit_likeness(commands):
    refit = commands.add_parser("refit-likeness", help="fit a model's \"not a digit\" detector again, as training "
                                "ends, and store it in its card (after the detector or its outlier bank changed)")
    refit.add_argument("--model", help="a .keras file (default: the bundled MNIST model)")
    refit.set_defaults(handler=command_refit_likeness)


def add_my_digits(commands):
    digits = commands.add_parser("my-digits", help="list, export or import my digits")
    digits.add_argument("action", choices=("list", "export", "import"))
    digits.add_argument("file", nargs="?", help="the .npz to write (export) or read (import)")
    digits.set_defaults(handler=command_my_digits)


def add_bench(commands):
    bench_parser = commands.add_parser("bench", help="benchmarks against the tutorial's recipe; writes BENCHMARKS.md")
    bench_parser.add_argument("--full", action="store_true", help="the full presets (minutes), not the short default")
    bench_parser.add_argument("--presets", action="store_true",
                              help="seed against best, seeds 0, 1 and 2, full runs kept in the run store (tens of "
                                   "minutes)")
    bench_parser.add_argument("--worker-vs-cli", nargs="?", const="seed", choices=lenet_config.PRESET_NAMES,
                              metavar="PRESET", help="a preset (default seed) trained 3 epochs in process and in a "
                              "worker, as the Train page trains it; run on an idle machine")
    bench_parser.add_argument("--likeness-families", action="store_true",
                              help="leave one family of non-digits out of the bundled MNIST model's detector at a "
                              "time, and measure how much of that family it still refuses (hours on 2 cores: its "
                              "classifier is trained again without each family's kin, from each of its seeds)")
    bench_parser.add_argument("--typefaces", nargs="+", metavar="FOLDER",
                              help="only the letters, symbols and digits set in the typefaces in these folders "
                              "(a collection of handwriting fonts, say), each typeface's figures listed; writes "
                              "nothing")
    bench_parser.add_argument("--memory", action="store_true", help="the server's and the workers' memory, with "
                              "visitors drawing in Chromium (needs requirements-test.txt; trains both best presets)")
    add_dataset_argument(bench_parser, "with --presets, only this dataset (default: every dataset); with "
                         "--worker-vs-cli, the dataset to train on")
    bench_parser.set_defaults(handler=command_bench)


COMMANDS = (add_data, add_summary, add_train, add_evaluate, add_predict, add_runs, add_stop, add_bundle,
            add_refit_likeness, add_my_digits, add_bench)  # in the order `python -m lenet --help` lists them


def emit(value):
    print(json.dumps(value), flush=True)


def command_data(arguments):
    """Fetch each dataset asked for and the detector's doodles at the same time, then draw the outlier bank once; one
    JSON line per dataset."""
    from lenet.data import sources

    chosen = [datasets.get(name) for name in dict.fromkeys(arguments.dataset or [datasets.DEFAULT])]

    def fetch(dataset):
        result = sources.fetch(dataset.name, log=lambda line: print(line, flush=True))
        print(f"{dataset.title} is ready in {result.directory} (from {result.source})", flush=True)
        return result

    with ThreadPoolExecutor(len(chosen) + 1) as beside:  # each mostly waits on the network, npm or a disk
        doodles = beside.submit(fetch_doodles)
        fetched = [beside.submit(fetch, dataset) for dataset in chosen]
        results = [future.result() for future in fetched]
    things, bank_size = doodles.result(), draw_outlier_bank()
    for dataset, result in zip(chosen, results):
        emit({"dataset": dataset.name, "directory": str(result.directory), "source": result.source,
              "doodles": things, "outlier_bank": bank_size})


def fetch_doodles():
    """The likeness detector's drawings by people, fetched beside the dataset; the number of things, or None where
    they cannot be had (a detector is then fitted without them, lenet.serve.outlier_bank)."""
    from lenet.data import doodles

    try:
        things = len(doodles.load())
    except ValueError as error:
        print(f"warning: no doodles for the likeness detector: {error}", file=sys.stderr)
        return None
    print(f"Doodles of {things} things are ready for the likeness detector ({doodles.CREDIT})")
    return things


def draw_outlier_bank():
    """The likeness detector's non-digits and scrawls, and the digits drawn as on the canvas that it keeps and their
    broken twins that it refuses, drawn now and kept in the data cache: every training run ends by fitting the
    detector on them, and the first would otherwise spend 10-30 s drawing them. Returns how many non-digits the
    outlier bank holds."""
    from lenet.serve import digit_bank, outlier_bank

    _, images = outlier_bank.bank()
    print(f"The likeness detector's {len(images)} non-digits and {len(outlier_bank.scrawls())} scrawls (outlier bank "
          f"v{outlier_bank.VERSION}), {len(digit_bank.digits())} drawn digits and {len(digit_bank.broken_digits())} "
          f"broken ones (digit bank v{digit_bank.VERSION}) are drawn and cached")
    return len(images)


def command_summary(arguments):
    from lenet.model import builders

    model = builders.build_model(lenet_config.ModelConfig(arguments.variant, arguments.activation, arguments.pooling))
    print(builders.format_layer_table(model))
    emit({"params": model.count_params()})


def command_train(arguments):
    from lenet.runs import store, worker

    train_config = config_from_arguments(arguments)
    for warning in train_config.warnings():
        print(f"warning: {warning}", file=sys.stderr, flush=True)
    if arguments.background:
        run_dir = worker.start(train_config, arguments.run_name)  # checks what the worker would only find later
        emit({"run_id": run_dir.name, "run_dir": str(run_dir), "state": "queued"})
        return 0
    finetune.load_init_model(train_config)
    run_dir = store.new_run(train_config, arguments.run_name)
    print(f"run {run_dir.name}: {train_command(train_config)}", flush=True)
    summary = worker.execute(run_dir, log=lambda line: print(line, flush=True))
    status = store.read_status(run_dir)
    if summary is None or "test_accuracy" not in summary:
        emit({"run_id": run_dir.name, "run_dir": str(run_dir), "state": status.get("state")})
        return 1
    emit({"run_id": run_dir.name, "run_dir": str(run_dir), "state": status.get("state"),
          "test_accuracy": summary["test_accuracy"], "wall_seconds": round(summary["wall_seconds"], 2),
          "params": summary["params"], "model_path": summary["model_path"]})


def check_model_file(path):
    """A --model that is not a regular file (a FIFO, a folder) is refused before anything tries to read it."""
    if path and not Path(path).is_file():
        raise ValueError(f"--model {path} is not a regular file; give a .keras model")


def command_evaluate(arguments):
    from lenet.data import sources
    from lenet.serve import inference

    check_model_file(arguments.model)
    classifier = inference.Classifier(arguments.model)
    dataset = datasets.get(arguments.dataset or classifier.dataset.name)  # a model's own test set by default
    if dataset.num_classes != classifier.dataset.num_classes:
        raise ValueError(f"{dataset.title} has {dataset.num_classes} classes; this model knows "
                         f"{classifier.dataset.num_classes}")
    splits = sources.load(dataset.name, log=lambda line: None)
    probabilities, scores = classifier.judge(splits.x_test)
    true_labels = splits.y_test.astype(int)
    figures = metrics.evaluation_figures(true_labels, probabilities)
    abstentions = {"abstained": None, "accuracy_on_rest": None}
    if scores is not None:
        abstentions = metrics.abstention_figures(true_labels, probabilities, likeness.is_like(classifier.likeness, scores))
    print(f"model {classifier.model_path}: {classifier.card.describe()}")
    print(f"{dataset.title} test accuracy {figures['test_accuracy']:.4f}   test loss {figures['test_loss']:.4f}")
    if scores is None:
        print(f"abstained: unknown (the model has no likeness statistics, so it cannot say what is not a {dataset.noun})")
    else:
        print(f"abstained on {abstentions['abstained']:.2%} as not {classifier.dataset.noun}-like; accuracy on the rest "
              f"{abstentions['accuracy_on_rest']:.4f}")
    print(f"confusion matrix (rows: true {dataset.noun}, columns: predicted)")
    for label, row in enumerate(figures["confusion_matrix"]):
        print(f"  {dataset.class_name(label):>12}: " + " ".join(f"{count:5d}" for count in row))
    emit({"model": str(classifier.model_path), "dataset": dataset.name, "model_card": classifier.card.found,
          **figures, **abstentions})


def command_predict(arguments):
    from lenet.model import card
    from lenet.serve import preprocess

    check_model_file(arguments.model)
    model_path = Path(arguments.model or lenet_config.BUNDLED_MODEL_PATH)
    # The card is zip and JSON: images that cannot be read (a FIFO, a text file) are refused without TensorFlow.
    dataset = card.read_for_model(model_path).dataset_info
    classifier, failures = None, 0
    for image_file in arguments.images:
        try:
            image = preprocess.load_image(image_file)
            classifier = classifier or load_classifier(model_path)
            result = prediction_record(classifier, classifier.classify(image))
        except preprocess.ImageError as error:
            result = {"label": None, "error": str(error)}
        if dataset.is_digits:
            result["digit"] = result["label"]
        failures += result["label"] is None
        emit({"file": image_file, "dataset": dataset.name, **result})
    return 1 if failures == len(arguments.images) else 0


def load_classifier(model_path):
    """The model, ready to classify: TensorFlow loads here (seconds), only once an image could be read."""
    from lenet.serve import inference

    return inference.Classifier(model_path)


def prediction_record(classifier, prediction):
    """One prediction as JSON values: the label, or None with the reason; the probabilities; the likeness score."""
    noun = classifier.dataset.noun
    if prediction.label is None:
        return {"label": None, "error": f"no {noun} found: the image is empty or nearly empty"}
    record = {"label": prediction.label, "class_name": classifier.class_names[prediction.label],
              "probabilities": [round(float(p), 5) for p in prediction.probabilities],
              "likeness": None if prediction.likeness is None else round(prediction.likeness, 2)}
    if prediction.looks_like is None:
        record["note"] = f"this model has no likeness statistics, so it cannot say whether this is a {noun}"
    elif prediction.abstained:
        record.update(label=None, class_name=None, error=(
            f"not a {noun}: its likeness {prediction.likeness:.2f} is below {classifier.likeness.threshold:g}, "
            f"less typical than all but the oddest {classifier.likeness.threshold:g}% of the validation {noun}s; "
            f"the model's best guess was {classifier.class_names[prediction.label]}"))
    return record


def command_runs(arguments):
    from lenet.runs import store

    store.store_root()  # a LENET_RUNS_DIR that names a file is an error, not an empty store
    listed = store.list_runs(include_unreadable=True)
    print(f"{'run':<40} {'state':<9} {'preset':<7} {'epochs':>6} {'test acc':>9}")
    for run in listed:
        accuracy = run.summary.get("test_accuracy")
        print(f"{run.run_id:<40} {run.state:<9} {run.config.get('preset', ''):<7} "
              f"{run.summary.get('epochs_completed', 0):>6} {'' if accuracy is None else f'{accuracy:.4f}':>9}")
    emit([{"run_id": run.run_id, "state": run.state, "test_accuracy": run.summary.get("test_accuracy")} for run in listed])


def command_stop(arguments):
    from lenet.runs import store, worker

    status = worker.stop(store.run_path(arguments.run_id), timeout=arguments.timeout)
    emit({"run_id": arguments.run_id, "state": status.get("state")})


def command_bundle(arguments):
    from lenet.runs import store

    path = store.bundle_run(store.run_path(arguments.run_id))
    emit({"model_path": str(path)})


def command_refit_likeness(arguments):
    from lenet.train import refit

    check_model_file(arguments.model)
    figures = refit.refit_likeness(arguments.model, log=lambda line: print(line, flush=True))
    print(f"abstained on {figures['abstained']:.2%} of the test set; accuracy on the rest "
          f"{figures['accuracy_on_rest']:.4f}")
    emit(figures)


def command_my_digits(arguments):
    from lenet.data import my_digits

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
    from lenet.bench import engine

    if arguments.likeness_families:
        from lenet.bench import likeness_families

        emit(likeness_families.run_and_write())
        return 0
    if arguments.typefaces:
        from lenet.bench import typefaces

        measured = typefaces.in_folders([Path(folder) for folder in arguments.typefaces])
        if not measured:
            raise ValueError(f"no typeface ({', '.join(typefaces.FONT_SUFFIXES)}) that this machine can read in "
                             + ", ".join(arguments.typefaces))
        print("\n".join(typefaces.lines({"typefaces": measured}) + typefaces.typeface_lines(measured)))
        emit(measured)
        return 0
    if arguments.worker_vs_cli:
        from lenet.bench import worker_speed

        result = worker_speed.compare(arguments.worker_vs_cli, arguments.dataset or datasets.DEFAULT)
        print("\n".join(worker_speed.lines(result)))
        worker_speed.write_benchmarks_file(result)
        emit(result)
    elif arguments.memory:
        from lenet.bench import memory

        emit(memory.run_memory_bench())
    elif arguments.presets:
        from lenet.bench import presets

        emit(presets.run_preset_benchmarks((arguments.dataset,) if arguments.dataset else tuple(datasets.DATASETS)))
    else:
        emit(engine.run_benchmarks(full=arguments.full))

