import keras
import numpy as np
import tensorflow as tf

from lenet import config
from lenet.data import sources
from lenet.train import metrics, pipeline, training


def test_evaluation_figures_count_the_confusion_matrix():
    true = np.array([0, 0, 1, 2, 2, 2])
    predicted = np.array([0, 1, 1, 2, 2, 0])
    probabilities = np.full((6, 10), 0.01)
    probabilities[np.arange(6), predicted] = 0.91
    figures = metrics.evaluation_figures(true, probabilities)
    matrix = np.array(figures["confusion_matrix"])
    assert matrix.shape == (10, 10) and matrix.sum() == 6
    assert matrix[0, 0] == 1 and matrix[0, 1] == 1 and matrix[2, 0] == 1 and matrix[2, 2] == 2
    assert figures["test_accuracy"] == 4 / 6
    assert figures["per_class_accuracy"][:3] == [0.5, 1.0, 2 / 3]


def test_one_cycle_warms_up_then_anneals():
    optimizer = training.make_optimizer(config.make_config("best", learning_rate=0.01), total_steps=1000)
    schedule = optimizer.learning_rate if callable(optimizer.learning_rate) else optimizer._learning_rate
    rates = [float(schedule(step)) for step in (0, 150, 999)]
    assert rates[0] < rates[1] and abs(rates[1] - 0.01) < 1e-6 and rates[2] < rates[0]


def test_my_digits_are_mixed_in_repeated():
    images, labels = np.zeros((10, 28, 28), "float32"), np.zeros(10, "int32")
    extra = (np.ones((2, 28, 28), "float32"), np.array([7, 1]))
    mixed_images, mixed_labels = training._mix(images, labels, extra, repeat=5)
    assert len(mixed_images) == 20 and (mixed_labels == 7).sum() == 5
    assert mixed_images.dtype == np.uint8 and pipeline.unit_floats(mixed_images).sum() == 10 * 28 * 28


def test_my_digits_off_the_pixel_grid_mix_in_as_floats():
    images, labels = np.zeros((10, 28, 28), "float32"), np.zeros(10, "int32")
    extra = (np.full((2, 28, 28), 0.5, "float32"), np.array([7, 1]))
    mixed_images, _ = training._mix(images, labels, extra, repeat=5)
    assert mixed_images.dtype == np.float32 and mixed_images.sum() == 0.5 * 10 * 28 * 28


def test_augmentation_moves_ink_but_keeps_it():
    image = np.zeros((1, 28, 28, 1), "float32")
    image[0, 10:18, 12:16] = 1.0
    generator = tf.random.Generator.from_seed(3)
    shifted = pipeline.random_affine(image, 3.0, 15.0, generator).numpy()
    assert shifted.shape == image.shape
    assert not np.allclose(shifted, image)
    assert abs(shifted.sum() - image.sum()) / image.sum() < 0.15


def test_each_epoch_draws_new_augmentations():
    images = np.zeros((8, 28, 28), "float32")
    images[:, 10:18, 12:16] = 1.0
    dataset = pipeline.training_dataset(images, np.arange(8) % 10, config.make_config("best", batch_size=8))
    first, second = (next(iter(dataset))[0].numpy() for _ in range(2))
    assert not np.allclose(np.sort(first.reshape(8, -1), axis=0), np.sort(second.reshape(8, -1), axis=0))


def test_the_last_undistorted_epochs_train_on_the_images_as_they_are():
    images = np.zeros((32, 28, 28), "float32")
    images[:, 4:24, 13:15] = 1.0  # all alike, so an undistorted batch is exactly eight of them
    train_config = config.make_config("best", batch_size=8, epochs=3, undistorted_epochs=1)
    batches = []

    class Recording(keras.Sequential):  # keeps every batch that fit() trains on, in order
        def train_step(self, data):
            batches.append(keras.ops.convert_to_numpy(data[0])[..., 0])
            return {"batches": float(len(batches))}

    model = Recording([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10)])
    model.compile(run_eagerly=True)
    distorting = tf.Variable(True)
    stop = training.StopDistorting(distorting, train_config.epochs - train_config.undistorted_epochs)
    model.fit(pipeline.training_dataset(images, np.arange(32) % 10, train_config, distorting), epochs=3,
              callbacks=[stop], verbose=0, shuffle=False)
    assert len(batches) == 12
    assert not any(np.array_equal(batch, images[:8]) for batch in batches[:8])  # epochs 1 and 2: distorted
    assert all(np.array_equal(batch, images[:8]) for batch in batches[8:])  # epoch 3: as they are


def test_training_batches_have_the_configured_size():
    images, labels = np.zeros((100, 28, 28), "float32"), np.arange(100) % 10
    train_config = config.make_config("best", batch_size=32)
    batches = list(pipeline.training_dataset(images, labels, train_config))
    assert [len(batch[0]) for batch in batches] == [32, 32, 32, 4]
    assert batches[0][0].shape[1:] == (28, 28, 1)


def test_label_smoothing_aims_below_certainty():
    labels = np.array([3, 7])
    probabilities = np.full((2, 10), 0.01, "float32")
    probabilities[np.arange(2), labels] = 0.91
    plain = float(training.make_loss(config.make_config("seed"))(labels, probabilities))
    smoothed = float(training.make_loss(config.make_config("seed", label_smoothing=0.2))(labels, probabilities))
    targets = np.full((2, 10), 0.02)
    targets[np.arange(2), labels] += 0.8
    assert np.isclose(plain, -np.log(0.91), rtol=1e-5)
    assert np.isclose(smoothed, -(targets * np.log(probabilities)).sum(axis=1).mean(), rtol=1e-5)


def test_accuracy_still_counts_digit_labels_with_label_smoothing():
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(10, activation="softmax")])
    model.compile(loss=training.make_loss(config.make_config("seed", label_smoothing=0.1)), metrics=["accuracy"])
    inputs = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    predicted = model.predict(inputs, verbose=0).argmax(axis=1)
    labels = np.where(np.arange(64) % 4 == 0, (predicted + 1) % 10, predicted)  # a quarter wrong
    assert model.evaluate(inputs, labels, verbose=0, return_dict=True)["accuracy"] == 0.75
    keras.models.model_from_json(model.to_json())  # the recorder rebuilds the compiled model this way


def test_checkpoints_hold_the_weights_without_the_optimizer_state(tmp_path):
    import zipfile

    import h5py

    from lenet.model import builders
    from lenet.runs import store

    train_config = config.make_config("best", epochs=1)
    model = builders.build_model(train_config.model_config())
    model.compile(optimizer=training.make_optimizer(train_config, 10), loss=training.make_loss(train_config))
    model.optimizer.build(model.trainable_variables)  # as after the first step: moments and the weight average
    recorder = training.RunRecorder(tmp_path, train_config, steps_per_epoch=10, should_stop=lambda: False)
    recorder.set_model(model)
    recorder.on_train_begin()
    recorder.save_checkpoint()
    with zipfile.ZipFile(tmp_path / store.MODEL_FILE) as archive:
        archive.extract("model.weights.h5", tmp_path)
    with h5py.File(tmp_path / "model.weights.h5") as weights:
        assert "optimizer" not in weights and "layers" in weights
    assert (tmp_path / store.MODEL_FILE).stat().st_size < 400_000


def test_training_holds_the_splits_as_pixels_and_lets_the_loaders_floats_go():
    floats = sources.load("mnist", log=lambda line: None)
    pixels = training.pixel_splits("mnist", log=lambda line: None)
    for name in ("x_train", "x_val", "x_test"):
        assert getattr(pixels, name).dtype == np.uint8
        assert np.array_equal(pipeline.unit_floats(getattr(pixels, name)[::7]), getattr(floats, name)[::7])
    assert np.array_equal(pixels.y_train, floats.y_train) and np.array_equal(pixels.y_test, floats.y_test)
    assert sources.load("mnist", log=lambda line: None) is not floats  # let go, so loaded afresh


def test_outlier_exposure_aims_a_non_digit_at_a_flat_answer_and_weighs_its_loss():
    loss = training.make_loss(config.make_config("best", label_smoothing=0.1, outlier_weight=0.5))
    flat, sure = np.full((1, 10), 0.1, "float32"), np.full((1, 10), 0.01, "float32")
    sure[0, 3] = 0.91
    outlier = np.array([pipeline.OUTLIER_LABEL])
    assert np.isclose(float(loss(outlier, flat)), 0.5 * np.log(10), rtol=1e-5)  # the least a flat target can cost
    assert float(loss(outlier, sure)) > float(loss(outlier, flat))
    plain_smoothing = training.make_loss(config.make_config("best", label_smoothing=0.1, outlier_weight=0.0))
    assert np.isclose(float(loss(np.array([3]), sure)), float(plain_smoothing(np.array([3]), sure)), rtol=1e-6)


def test_training_accuracy_counts_digits_only():
    accuracy = training.ClassAccuracy()
    probabilities = np.eye(10, dtype="float32")[[1, 2, 3, 4]]
    accuracy.update_state(np.array([1, 2, pipeline.OUTLIER_LABEL, 5]), probabilities)
    assert accuracy.name == "accuracy" and np.isclose(float(accuracy.result()), 2 / 3)  # the outlier counts neither way


def test_outliers_take_the_training_images_form():
    outliers = np.full((3, 28, 28), 0.5, np.float32)
    on_grid = training.like_images(np.zeros((10, 28, 28), np.uint8), outliers)
    assert on_grid.dtype == np.uint8 and (on_grid == 128).all()
    assert training.like_images(np.zeros((10, 28, 28), np.float32), outliers).dtype == np.float32


def test_every_batch_carries_a_few_non_digits_drawn_again_each_epoch():
    images, labels = np.zeros((40, 28, 28), np.uint8), np.arange(40) % 10
    outliers = np.arange(1, 31, dtype=np.uint8)[:, None, None] * np.ones((1, 28, 28), np.uint8)  # told apart by value
    train_config = config.make_config("quick", batch_size=16)
    dataset = pipeline.training_dataset(images, labels, train_config, outliers=outliers)
    epochs = [list(dataset), list(dataset)]
    for batches in epochs:
        assert [len(batch[1]) for batch in batches] == [16 + pipeline.OUTLIERS_PER_BATCH] * 2 + [8 + 8]
        for batch_images, batch_labels in batches:
            is_outlier = batch_labels.numpy() == pipeline.OUTLIER_LABEL
            assert is_outlier.sum() == pipeline.OUTLIERS_PER_BATCH and (batch_images.numpy()[is_outlier] > 0).all()
    picked = [np.round(batch[0].numpy()[-8:, 0, 0, 0] * 255) for batches in epochs for batch in batches]
    assert not np.array_equal(picked[0], picked[3]) and np.isin(np.concatenate(picked), np.arange(1, 31)).all()


def test_every_batch_carries_drawn_digits_under_their_own_labels_after_the_non_digits():
    images, labels = np.zeros((40, 28, 28), np.uint8), np.zeros(40, int)
    outliers = np.full((5, 28, 28), 255, np.uint8)
    drawn_labels = np.arange(1, 31) % 10
    drawn = np.arange(1, 31, dtype=np.uint8)[:, None, None] * np.ones((1, 28, 28), np.uint8)  # told apart by value
    train_config = config.make_config("quick", batch_size=16, drawn_digits=6)
    batches = list(pipeline.training_dataset(images, labels, train_config, outliers=outliers,
                                             drawn_digits=(drawn, drawn_labels)))
    assert [len(batch[1]) for batch in batches] == [16 + pipeline.OUTLIERS_PER_BATCH + 6] * 2 + [8 + 8 + 6]
    for batch_images, batch_labels in batches:
        values = np.round(batch_images.numpy()[-6:, 0, 0, 0] * 255).astype(int)
        assert np.isin(values, np.arange(1, 31)).all() and (batch_labels.numpy()[-6:] == values % 10).all()
        assert (batch_labels.numpy()[-6 - pipeline.OUTLIERS_PER_BATCH:-6] == pipeline.OUTLIER_LABEL).all()


def test_a_run_with_drawn_digits_trains_on_the_digit_bank_s_labelled_digits(tmp_path, monkeypatch):
    from lenet.serve import digit_bank, inference
    from tests import tiny_data

    monkeypatch.setattr(sources, "load", tiny_data.load)
    drawn = np.full((12, 28, 28), 0.5, np.float32), np.arange(12) % 10
    monkeypatch.setattr(digit_bank, "labelled_digits", lambda *arguments: drawn)
    seen = []
    real_dataset = pipeline.training_dataset
    monkeypatch.setattr(pipeline, "training_dataset", lambda *arguments: (
        seen.append(arguments[-1]), real_dataset(*arguments))[1])
    training.train(config.make_config("quick", epochs=1, drawn_digits=4), tmp_path, with_snapshots=False)
    images, labels = seen[0]
    assert images.dtype == np.uint8 and (images == 128).all() and np.array_equal(labels, drawn[1])
    assert inference.Classifier(tmp_path / "model.keras").card.config["drawn_digits"] == 4  # the card reproduces it


def test_a_run_with_outlier_exposure_trains_on_them_and_its_card_reads_the_answer(tmp_path, monkeypatch):
    from lenet.serve import inference, likeness
    from tests import tiny_data

    monkeypatch.setattr(sources, "load", tiny_data.load)
    outliers_seen = []
    real_dataset = pipeline.training_dataset
    monkeypatch.setattr(pipeline, "training_dataset", lambda *arguments: (
        outliers_seen.append(arguments[4]), real_dataset(*arguments))[1])
    outliers = np.random.default_rng(0).random((40, 28, 28)).astype(np.float32)
    train_config = config.make_config("quick", epochs=1, outlier_weight=0.5)
    summary = training.train(train_config, tmp_path, outliers=outliers, with_snapshots=False)
    assert outliers_seen[0].shape == (40, 28, 28) and outliers_seen[0].dtype == np.uint8  # on the pixel grid
    classifier = inference.Classifier(tmp_path / "model.keras")
    assert classifier.card.config["outlier_weight"] == 0.5 and classifier.likeness.answer_layer == likeness.ANSWER_LAYER
    probabilities, scores = classifier.judge(tiny_data.tiny_splits().x_test[:20])
    assert probabilities.shape == (20, 10) and ((0 <= scores) & (scores <= 100)).all()
    assert 0 <= summary["abstained"] <= 1
    splits = tiny_data.tiny_splits()
    mean_three = splits.x_train[splits.y_train == 3].mean(axis=0)  # what "What would make it a 3?" steps towards
    assert np.abs(classifier.card.class_mean_images()[3] - mean_three).max() <= 0.5 / 255 + 1e-6
