"""Training: `model.fit` with callbacks that stream metrics into the run folder and checkpoint every epoch.

The same function serves the CLI's foreground `train` and the app's worker process (lenet/runs/worker.py).
"""

import contextlib
import dataclasses
import json
import os
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from lenet import files
from lenet.data import sources
from lenet.model import builders, card
from lenet.serve import digit_bank, inference, likeness, outlier_bank
from lenet.train import command, finetune, memory, metrics, pipeline, refit, run_files, snapshots

# Batches run in calls into TensorFlow of about this many images (64 batches of 128): fewer Python round trips
# between steps, and on two cores still metrics and a stop check about three times a second.
SAMPLES_PER_EXECUTION = 8192
BATCH_LOG_SECONDS = 0.25  # per-batch metric lines at most 4 times a second, so the file stays small
WARMUP_FRACTION = 0.15  # one-cycle: the first 15% of steps warm the learning rate up, the rest anneal it
# Environment variables that set how many threads TensorFlow, XLA or a maths library may use.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
                    "TF_NUM_INTEROP_THREADS", "TF_ENABLE_ONEDNN_OPTS", "TF_XLA_FLAGS", "XLA_FLAGS")


def train(train_config, run_dir, should_stop=None, log=None, extra_training=None, with_snapshots=True,
          outliers=None):
    """Train as `train_config` says, recording everything in `run_dir`. Returns the summary dict.

    should_stop() is polled after each call into TensorFlow: when it says True that call's batches finish, the
    model of the last completed epoch is kept and the summary says stopped. extra_training is an optional
    (images, labels) pair mixed into the training set ("my digits"), repeated train_config.my_digits_repeat times.
    with_snapshots writes lenet.train.snapshots' record of each epoch (off only to measure what they cost).
    outliers are the (N, 28, 28) non-digits that outlier exposure mixes in, the whole outlier bank by default.
    """
    run_dir = Path(run_dir)
    started = time.time()
    keras.utils.set_random_seed(train_config.seed)
    splits = pixel_splits(train_config.dataset, log or (lambda line: None))
    train_images, train_labels = _mix(splits.x_train, splits.y_train, extra_training, train_config.my_digits_repeat)
    outlier_images = None
    if train_config.outlier_weight:  # the outlier bank is in the data cache: drawn once, read in milliseconds
        outlier_images = like_images(train_images, outlier_bank.bank()[1] if outliers is None else outliers)
    drawn_digits = None
    if train_config.drawn_digits:  # the digit bank is in the data cache too
        drawn_images, drawn_labels = digit_bank.labelled_digits()
        drawn_digits = like_images(train_images, drawn_images), drawn_labels
    steps = pipeline.steps_per_epoch(len(train_images), train_config.batch_size)
    model = starting_model(train_config)
    model.compile(
        optimizer=make_optimizer(train_config, steps * train_config.epochs),
        loss=make_loss(train_config),
        metrics=[ClassAccuracy()] if train_config.outlier_weight else ["accuracy"],
        steps_per_execution=max(1, SAMPLES_PER_EXECUTION // train_config.batch_size),
        # Only each step is compiled, not the loop over a call's steps, so Stop is still checked between calls.
        jit_compile=train_config.jit_compile,
    )
    writer = snapshots.SnapshotWriter(run_dir, _with_float_test(splits), extra_training) if with_snapshots else None
    recorder = RunRecorder(run_dir, train_config, steps, should_stop or (lambda: False), log, writer)
    # With a weight average, validation and checkpoints use the averaged weights, which generalise better.
    callbacks = [keras.callbacks.SwapEMAWeights(swap_on_epoch=True), recorder] if train_config.ema_momentum else [recorder]
    distorting = None
    if train_config.augments and train_config.undistorted_epochs:
        distorting = tf.Variable(True, trainable=False)
        callbacks.append(StopDistorting(distorting, train_config.epochs - train_config.undistorted_epochs))
    batches = pipeline.training_dataset(train_images, train_labels, train_config, distorting, outlier_images,
                                        drawn_digits)
    del train_images  # the dataset holds its own copy (with my digits mixed in, this one was a copy of its own too)
    model.fit(
        batches,
        validation_data=pipeline.evaluation_dataset(splits.x_val, splits.y_val),
        epochs=train_config.epochs, callbacks=callbacks, verbose=0, shuffle=False,  # the dataset shuffles
    )
    return write_summary(run_dir, splits, recorder, started)


class StopDistorting(keras.callbacks.Callback):
    """Turns the training pipeline's distortions off from epoch `first_undistorted` on (counting from 0)."""

    def __init__(self, distorting, first_undistorted):
        super().__init__()
        self.distorting, self.first_undistorted = distorting, first_undistorted

    def on_epoch_begin(self, epoch, logs=None):
        # Keras starts each epoch's pass over the dataset after this call, so no batch is prefetched before it.
        self.distorting.assign(epoch < self.first_undistorted)


def make_optimizer(train_config, total_steps):
    rate = train_config.learning_rate
    if train_config.schedule == "onecycle":
        warmup = int(total_steps * WARMUP_FRACTION)
        rate = keras.optimizers.schedules.CosineDecay(
            rate / 10, decay_steps=total_steps - warmup, alpha=0.01, warmup_target=rate, warmup_steps=warmup)
    elif train_config.schedule == "cosine":
        rate = keras.optimizers.schedules.CosineDecay(rate, decay_steps=total_steps, alpha=0.01)
    averaging = {"use_ema": True, "ema_momentum": train_config.ema_momentum} if train_config.ema_momentum else {}
    if train_config.optimizer == "sgd":
        return keras.optimizers.SGD(rate, momentum=0.9, nesterov=True, **averaging)
    optimizer_class = {"adam": keras.optimizers.Adam, "rmsprop": keras.optimizers.RMSprop}[train_config.optimizer]
    return optimizer_class(rate, **averaging)


def make_loss(train_config):
    """Cross-entropy on digit labels, with the config's label smoothing and outlier exposure."""
    if train_config.label_smoothing or train_config.outlier_weight:
        return SmoothedSparseCrossentropy(train_config.label_smoothing, train_config.outlier_weight)
    return keras.losses.SparseCategoricalCrossentropy()


@keras.saving.register_keras_serializable(package="lenet")  # the recorder rebuilds the compiled model from JSON
class SmoothedSparseCrossentropy(keras.losses.Loss):
    """Cross-entropy on digit labels that aims at 1 - ε + ε/10 for the true class and ε/10 for the others, and at
    1/10 for every class for a non-digit (pipeline.OUTLIER_LABEL), whose loss weighs `outlier_weight` times a
    digit's.

    Keras's sparse cross-entropy has no label smoothing, so the labels become one-hot here; the pipelines keep
    digit labels, which the accuracy metric reads as they are.
    """

    def __init__(self, label_smoothing, outlier_weight=0.0, name="smoothed_sparse_crossentropy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.label_smoothing, self.outlier_weight = label_smoothing, outlier_weight

    def call(self, labels, probabilities):
        labels = keras.ops.cast(keras.ops.reshape(labels, [-1]), "int32")
        classes = probabilities.shape[-1]
        if not self.outlier_weight:  # digits alone: the sums exactly as before outlier exposure, so runs reproduce
            return keras.losses.categorical_crossentropy(keras.ops.one_hot(labels, classes), probabilities,
                                                         label_smoothing=self.label_smoothing)
        is_outlier = keras.ops.cast(labels == pipeline.OUTLIER_LABEL, probabilities.dtype)
        # An outlier's one-hot row is all zeros; adding (1 - ε)/classes makes its smoothed target flat.
        targets = (keras.ops.one_hot(labels, classes) * (1 - self.label_smoothing) + self.label_smoothing / classes
                   + is_outlier[:, None] * (1 - self.label_smoothing) / classes)
        losses = keras.losses.categorical_crossentropy(targets, probabilities)
        return losses * (1 + (self.outlier_weight - 1) * is_outlier)

    def get_config(self):
        return {**super().get_config(), "label_smoothing": self.label_smoothing, "outlier_weight": self.outlier_weight}


@keras.saving.register_keras_serializable(package="lenet")
class ClassAccuracy(keras.metrics.SparseCategoricalAccuracy):
    """Accuracy over the images that have a class: the non-digits of outlier exposure have no right answer, so they
    neither raise nor lower the training accuracy that the Train page shows."""

    def __init__(self, name="accuracy", **kwargs):
        super().__init__(name=name, **kwargs)

    def update_state(self, y_true, y_pred, sample_weight=None):
        has_class = keras.ops.cast(keras.ops.reshape(y_true, [-1]) != pipeline.OUTLIER_LABEL, "float32")
        if sample_weight is not None:
            has_class = has_class * keras.ops.reshape(keras.ops.cast(sample_weight, "float32"), [-1])
        return super().update_state(y_true, y_pred, sample_weight=has_class)


def pixel_splits(dataset_name, log):
    """The dataset's splits with their images as uint8 pixels (pipeline.as_pixels), and the loader's floats let go.

    A worker holds the pixels alone: a quarter of the floats' memory, and pipeline.unit_floats makes any of the
    floats again, bit for bit, where a part of training reads floats.
    """
    splits = sources.load(dataset_name, log=log)
    pixels = dataclasses.replace(splits, x_train=pipeline.as_pixels(splits.x_train),
                                 x_val=pipeline.as_pixels(splits.x_val), x_test=pipeline.as_pixels(splits.x_test))
    sources.forget(dataset_name)
    return pixels


def _with_float_test(splits):
    return dataclasses.replace(splits, x_test=pipeline.unit_floats(splits.x_test))


def starting_model(train_config):
    """A fresh network, or the model to fine-tune, which must know the same dataset (its card says which)."""
    model = finetune.load_init_model(train_config)
    return model if model is not None else builders.build_model(train_config.model_config())


def like_images(images, mixed_in):
    """Images mixed into every batch (outlier exposure's non-digits, drawn digits) in the training images' form: on
    the 1/255 grid where those are uint8 pixels (pipeline.as_pixels; a drawing made in code moves by at most half a
    level), else as [0, 1] floats."""
    mixed_in = np.asarray(mixed_in)
    if images.dtype == np.uint8:
        return mixed_in if mixed_in.dtype == np.uint8 else np.round(np.clip(mixed_in, 0, 1) * 255).astype(np.uint8)
    return np.asarray(pipeline.unit_floats(mixed_in), images.dtype)


def _mix(images, labels, extra, repeat):
    """The training images as uint8 pixels where they can be (pipeline.as_pixels), with `extra` mixed in."""
    images = pipeline.as_pixels(images)
    if extra is None or len(extra[0]) == 0:
        return images, labels
    extra_images = pipeline.as_pixels(extra[0])
    if extra_images.dtype != images.dtype:  # one of them is not on the pixel grid: both as floats in [0, 1]
        images, extra_images = pipeline.unit_floats(images), pipeline.unit_floats(extra_images)
    extra_images = np.repeat(extra_images, repeat, axis=0)
    extra_labels = np.repeat(np.asarray(extra[1]).astype(labels.dtype), repeat, axis=0)
    return np.concatenate([images, extra_images]), np.concatenate([labels, extra_labels])


class RunRecorder(keras.callbacks.Callback):
    """Appends batch and epoch metrics to metrics.jsonl, saves each completed epoch, and honours stop requests."""

    def __init__(self, run_dir, train_config, steps_per_epoch, should_stop, log=None, snapshot_writer=None):
        super().__init__()
        self.run_dir, self.config, self.steps_per_epoch = Path(run_dir), train_config, steps_per_epoch
        self.should_stop, self.log = should_stop, log or (lambda line: None)
        self.snapshot_writer = snapshot_writer
        self.epochs_completed, self.stopped = 0, False

    def on_train_begin(self, logs=None):
        # Checkpoints copy the weights into a twin of the network being trained (a fine-tuned model keeps its own
        # architecture, whatever the preset says), without optimizer state: a third of the size, and all that
        # inference and fine-tuning need.
        # to_json carries the compile settings, and model_from_json would compile the twin and build an optimizer
        # that model.save then writes (Adam's two moments and the weight average: 4× the weights' size); dropped.
        twin = json.loads(self.model.to_json())
        twin.pop("compile_config", None)
        self.export_model = keras.models.model_from_json(json.dumps(twin))  # never compiled: no optimizer state
        self.card = card.for_config(self.config, run_id=self.run_dir.name, reproduce=command.train_command(self.config))
        # Epoch 0: the untrained network.
        snapshot_seconds = self.snapshot_writer.begin(self.model) if self.snapshot_writer else 0.0
        self.train_started = self.last_batch_log = time.time()
        run_files.append_metric(self.run_dir, {"kind": "start", "epochs": self.config.epochs,
                                          "steps_per_epoch": self.steps_per_epoch, "time": self.train_started,
                                          "snapshot_seconds": snapshot_seconds})

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_started = time.time()

    def on_train_batch_end(self, batch, logs=None):
        if self.should_stop():
            self.stopped = self.model.stop_training = True
        now = time.time()
        if now - self.last_batch_log >= BATCH_LOG_SECONDS or batch + 1 >= self.steps_per_epoch:
            self.last_batch_log = now
            run_files.append_metric(self.run_dir, {
                "kind": "batch", "epoch": self.epochs_completed + 1, "batch": min(batch + 1, self.steps_per_epoch),
                "step": self.epochs_completed * self.steps_per_epoch + min(batch + 1, self.steps_per_epoch), **self._numbers(logs),
                "learning_rate": self._learning_rate(), "seconds": now - self.train_started})

    def on_epoch_end(self, epoch, logs=None):
        if self.stopped:
            return  # Keras ends a stopped epoch as if it were complete; it is not, so it is neither saved nor logged.
        self.epochs_completed = epoch + 1
        self.save_checkpoint()
        snapshot_seconds = self.snapshot_writer.write(self.model, epoch + 1) if self.snapshot_writer else 0.0
        record = {"kind": "epoch", "epoch": epoch + 1, **self._numbers(logs), "learning_rate": self._learning_rate(),
                  "epoch_seconds": time.time() - self.epoch_started, "seconds": time.time() - self.train_started,
                  "snapshot_seconds": snapshot_seconds}
        run_files.append_metric(self.run_dir, record)
        self.log(f"epoch {epoch + 1}/{self.config.epochs}  loss {record['loss']:.4f}  acc {record['accuracy']:.4f}  "
                 f"val_loss {record['val_loss']:.4f}  val_acc {record['val_accuracy']:.4f}  {record['epoch_seconds']:.1f}s")

    def save_checkpoint(self):
        self.export_model.set_weights(self.model.get_weights())
        card.save_model(self.export_model, self.run_dir / run_files.MODEL_FILE, self.card)

    def _learning_rate(self):
        return float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))

    @staticmethod
    def _numbers(logs):
        return {name: float(value) for name, value in (logs or {}).items()}


def write_summary(run_dir, splits, recorder, started):
    """Evaluate the kept model on the test set; write summary.json, test_predictions.npy and the model's final card."""
    summary = {"stopped": recorder.stopped, "epochs_completed": recorder.epochs_completed,
               "train_seconds": time.time() - recorder.train_started}
    model_path = run_dir / run_files.MODEL_FILE
    if model_path.exists():
        classifier = inference.Classifier(model_path)
        splits = _with_float_test(splits)
        stats, test_scores, probabilities = refit.fit_and_score(classifier.model, splits, recorder.config)
        predictions = probabilities.argmax(axis=1)
        with files.atomic_path(run_dir / "test_predictions.npy") as temporary:
            np.save(temporary, predictions.astype("uint8"))
        figures = metrics.evaluation_figures(splits.y_test.astype(int), probabilities)
        summary.update(figures, model_path=str(model_path), params=classifier.model.count_params())
        summary.update(metrics.abstention_figures(splits.y_test.astype(int), probabilities, likeness.is_like(stats, test_scores)))
        card.write(model_path, refit.fitted_card(classifier, splits, stats).replace(
            test_accuracy=figures["test_accuracy"], test_loss=figures["test_loss"]))
    summary["wall_seconds"] = time.time() - started
    summary["peak_memory_mb"] = memory.peak_memory_mb()  # what a training worker needs of its host
    summary["xla"] = bool(recorder.model.jit_compile)  # Keras falls back to no XLA for a layer that cannot compile
    summary["process"] = process_facts()
    files.write_json(run_dir / "summary.json", summary)
    return summary


def process_facts():
    """What sets this process's speed besides its config: its priority, the cores it may use and its thread settings.

    summary.json keeps them, so that a run from the app's worker and one from the CLI can be told apart
    (lenet/bench/worker_speed.py).
    """
    facts = {"cores": os.cpu_count(),
             "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),  # 0: TensorFlow's choice
             "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
             "thread_variables": {name: os.environ[name] for name in THREAD_VARIABLES if name in os.environ}}
    if hasattr(os, "sched_getaffinity"):
        facts["usable_cores"] = len(os.sched_getaffinity(0))
    if hasattr(os, "nice"):
        facts["niceness"] = os.nice(0)
    # Linux puts each session in an "autogroup" of its own (when the kernel enables them), and niceness then only
    # ranks threads within their group; the groups share the cores by the group's own nice value.
    with contextlib.suppress(OSError, ValueError, IndexError):  # no autogroups here, or a format we do not know
        facts["autogroup_nice"] = int(Path("/proc/self/autogroup").read_text(encoding="utf-8").split()[-1])
    return facts

