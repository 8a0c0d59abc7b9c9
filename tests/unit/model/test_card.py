"""The model card travels inside the .keras file: written with the model, read back, replaced, and defaulted."""

import json
import zipfile

import keras
import numpy as np
import pytest

from lenet import config
from lenet.model import builders, card
from lenet.serve import inference


def save_with_card(path, train_config, **changes):
    model = builders.build_model(train_config.model_config())
    card.save_model(model, path, card.for_config(train_config).replace(**changes))
    return model


def test_the_card_round_trips_inside_the_model_file(tmp_path):
    train_config = config.make_config("best", "fashion", epochs=3)
    path = tmp_path / "model.keras"
    save_with_card(path, train_config, test_accuracy=0.9, run_id="run-1", reproduce="python -m lenet train")
    read = card.read(path)
    assert read.found and read.dataset == "fashion" and read.class_names[0] == "T-shirt/top"
    assert read.config == train_config.to_dict() and read.architecture == train_config.model_config()
    assert (read.test_accuracy, read.run_id, read.reproduce) == (0.9, "run-1", "python -m lenet train")
    assert [path.name for path in tmp_path.iterdir()] == ["model.keras"]  # no temporary file left behind
    keras.models.load_model(path, compile=False)  # Keras ignores the extra member


def test_replacing_the_card_keeps_the_weights(tmp_path):
    path = tmp_path / "model.keras"
    model = save_with_card(path, config.make_config("quick"))
    card.write(path, card.read(path).replace(test_accuracy=0.5, likeness={"method": "test"}))
    assert card.read(path).test_accuracy == 0.5 and card.read(path).likeness == {"method": "test"}
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist().count(card.CARD_MEMBER) == 1
    reloaded = inference.load_model(path)
    for mine, theirs in zip(model.get_weights(), reloaded.get_weights()):
        np.testing.assert_array_equal(mine, theirs)


def test_class_means_travel_in_the_card_to_the_nearest_level_of_ink(tmp_path):
    rng = np.random.default_rng(0)
    images, labels = rng.random((200, 28, 28)).astype(np.float32), np.arange(200) % 10
    class_means = card.class_means_of(images, labels, 10)
    path = tmp_path / "model.keras"
    save_with_card(path, config.make_config("quick"), class_means=class_means)
    means = card.read(path).class_mean_images()
    assert means.shape == (10, 28, 28) and means.dtype == np.float32
    for label in (0, 7):
        assert np.abs(means[label] - images[labels == label].mean(axis=0)).max() <= 0.5 / 255 + 1e-6
    pixels = np.rint(images * 255).astype(np.uint8)  # training's splits keep their pixels
    from_pixels = card.ModelCard(class_means=card.class_means_of(pixels, labels, 10)).class_mean_images()
    assert np.abs(from_pixels - means).max() <= 1 / 255 + 1e-6
    assert card.class_means_of(images, labels % 9, 10) is None  # no image of a 9: no mean to step towards
    assert card.for_config(config.make_config("quick")).class_mean_images() is None  # an older card has none


def test_a_model_without_a_card_reads_as_an_mnist_digit_model_and_says_so(tmp_path):
    path = tmp_path / "foreign.keras"
    builders.build_model().save(path)
    read = card.read(path)
    assert not read.found and read.dataset == "mnist" and read.architecture is None
    assert "no model card" in read.describe()
    classifier = inference.Classifier(path)
    assert classifier.class_names == tuple("0123456789") and classifier.card.test_accuracy is None


@pytest.mark.parametrize("damage, message", [
    (b"not json", "not JSON"),
    (json.dumps({"card_version": 99}).encode(), "version 99"),
    (json.dumps({"card_version": 1, "dataset": "letters"}).encode(), "dataset must be one of mnist, fashion"),
    (json.dumps({"card_version": 1, "class_names": ["a", "b"]}).encode(), "2 class names"),
    (json.dumps({"card_version": 1, "class_means": ["not hex"] * 10}).encode(), "not hex strings"),
    (json.dumps({"card_version": 1, "class_means": ["00"] * 9}).encode(), r"\(9, 1\); expected \(10, 784\)"),
])
def test_a_damaged_card_is_refused_with_a_reason(tmp_path, damage, message):
    path = tmp_path / "damaged.keras"
    builders.build_model().save(path)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(card.CARD_MEMBER, damage)
    with pytest.raises(card.CardError, match=message):
        card.read(path)
    with pytest.raises(inference.ModelLoadError, match="damaged.keras"):
        inference.Classifier(path)


def test_a_fashion_card_gives_the_classifier_its_classes_and_pipeline(tmp_path):
    path = tmp_path / "fashion.keras"
    save_with_card(path, config.make_config("quick", "fashion"))
    classifier = inference.Classifier(path)
    assert classifier.dataset.name == "fashion" and classifier.class_names[9] == "Ankle boot"
    photo = np.full((300, 200, 3), 255, np.uint8)
    photo[50:250, 40:160] = 60  # a dark garment on a white background
    prediction = classifier.classify(photo)
    assert prediction.image.shape == (28, 28) and prediction.probabilities.shape == (10,)
    assert prediction.image[14, 14] > 0.5 and prediction.image[0, 0] == 0  # light object on black, filling the frame


def test_a_batch_norm_model_is_rebuilt_from_its_card(tmp_path):
    train_config = config.make_config("quick", "fashion", batch_norm=True)
    path = tmp_path / "model.keras"
    save_with_card(path, train_config)
    assert card.read(path).architecture.batch_norm is True
    assert "N4" in [layer.name for layer in inference.load_model(path).layers]
