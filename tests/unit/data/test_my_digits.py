import io
import zipfile

import numpy as np
import pytest

from lenet import config
from lenet.data import datasets, my_digits
from lenet.model import builders, card
from lenet.train import finetune


def digit(seed):
    return np.random.default_rng(seed).random((28, 28), dtype="float32")


def save_some(labels, **kwargs):
    return [my_digits.save_digit(digit(index), label, prediction=(label + 1) % 10, **kwargs)
            for index, label in enumerate(labels)]


def npz_bytes(**arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def test_save_list_delete_round_trip():
    raw = np.full((140, 140), 200, "uint8")
    first = my_digits.save_digit(digit(0), 7, prediction=1, raw_drawing=raw)
    second = my_digits.save_digit(digit(1), 3)
    listed = my_digits.list_digits()
    assert [d.digit_id for d in listed] == [first, second]
    assert (listed[0].label, listed[0].prediction, listed[1].prediction) == (7, 1, -1)
    assert np.abs(listed[0].image - digit(0)).max() <= 0.5 / 255 + 1e-6  # stored as uint8
    with np.load(my_digits.store_path() / f"{first}.npz") as fields:
        assert np.array_equal(fields["raw_drawing"], raw)
    assert my_digits.count_digits() == 2
    my_digits.delete_digit(first)
    assert [d.digit_id for d in my_digits.list_digits()] == [second]
    with pytest.raises(my_digits.MyDigitsError):
        my_digits.delete_digit(first)
    with pytest.raises(my_digits.MyDigitsError):
        my_digits.delete_digit("../elsewhere")


@pytest.mark.parametrize("image, label", [(np.zeros((28, 27)), 1), (np.full((28, 28), 2.0), 1), (digit(0), 10),
                                          (digit(0), -1), (digit(0), 2.5)])
def test_save_refuses_a_bad_digit(image, label):
    with pytest.raises(my_digits.MyDigitsError):
        my_digits.save_digit(image, label)
    assert my_digits.list_digits() == []


def test_the_store_survives_a_truncated_write_and_foreign_files():
    kept = save_some([1, 2])
    folder = my_digits.store_path()
    whole = (folder / f"{kept[0]}.npz").read_bytes()
    (folder / "20990101-000000-crashed.npz").write_bytes(whole[: len(whole) // 2])  # a crash mid-write
    (folder / "foreign.npz").write_bytes(npz_bytes(image=np.zeros((5, 5), "uint8"), label=1, prediction=1, saved_at=0.0))
    (folder / ".partial.tmp").write_bytes(b"half")
    assert [d.digit_id for d in my_digits.list_digits()] == kept
    assert my_digits.as_arrays(my_digits.list_digits())[0].shape == (2, 28, 28)


def test_export_import_round_trip(tmp_path):
    save_some([0, 1, 2, 9])
    before = my_digits.list_digits()
    exported = my_digits.export_npz()
    other = tmp_path / "other_store"
    ids = my_digits.import_npz(exported, store_dir=other)
    after = my_digits.list_digits(other)
    assert len(ids) == len(after) == 4
    assert [d.label for d in after] == [d.label for d in before]
    assert [d.prediction for d in after] == [d.prediction for d in before]
    assert [d.saved_at for d in after] == [d.saved_at for d in before]  # so the held-out part stays the same
    assert np.array_equal(my_digits.as_arrays(after)[0], my_digits.as_arrays(before)[0])
    # A file path and an uploaded-file-like object work too; each import adds digits with new ids.
    (tmp_path / "set.npz").write_bytes(exported)
    my_digits.import_npz(tmp_path / "set.npz", store_dir=other)
    my_digits.import_npz(io.BytesIO(exported), store_dir=other)
    assert len({d.digit_id for d in my_digits.list_digits(other)}) == 12


def test_a_large_import_keeps_every_digit():
    images = np.random.default_rng(0).integers(0, 256, (600, 28, 28), dtype="uint8")
    labels = np.arange(600) % 10
    assert len(set(my_digits.import_npz(npz_bytes(images=images, labels=labels)))) == 600
    assert my_digits.count_digits() == len(my_digits.list_digits()) == 600


GOOD_IMAGES = np.zeros((3, 28, 28), "uint8")
GOOD_LABELS = np.array([1, 2, 3])


@pytest.mark.parametrize("content, message", [
    (b"just some text, not an archive", "not a .npz file"),
    (b"PK\x03\x04 a broken zip", "not a readable .npz"),
    (npz_bytes(images=GOOD_IMAGES), "no labels array"),
    (npz_bytes(labels=GOOD_LABELS), "no images array"),
    (npz_bytes(images=np.zeros((3, 32, 32), "uint8"), labels=GOOD_LABELS), "28×28"),
    (npz_bytes(images=np.zeros((0, 28, 28), "uint8"), labels=np.array([], "int64")), "no digits"),
    (npz_bytes(images=GOOD_IMAGES, labels=np.array([1, 2])), "labels must be 3"),
    (npz_bytes(images=GOOD_IMAGES, labels=np.array([1, 2, 10])), "from 0 to 9"),
    (npz_bytes(images=GOOD_IMAGES, labels=np.array([1.0, 2.0, 3.0])), "whole numbers"),
    (npz_bytes(images=np.full((3, 28, 28), np.nan, "float32"), labels=GOOD_LABELS), "uint8 or floats"),
    (npz_bytes(images=GOOD_IMAGES, labels=GOOD_LABELS, predictions=np.array([1, 2])), "predictions"),
    (npz_bytes(images=GOOD_IMAGES, labels=GOOD_LABELS, predictions=np.array(["a", "b", "c"])), "predictions"),
    (npz_bytes(images=np.array([None] * 3, dtype=object), labels=GOOD_LABELS), "not a readable .npz"),
], ids=["text", "broken-zip", "no-labels", "no-images", "32x32", "empty", "label-count", "label-10", "float-labels",
        "nan-images", "prediction-count", "text-predictions", "pickled"])
def test_a_bad_import_is_refused_and_the_set_is_untouched(content, message):
    kept = save_some([4, 5])
    with pytest.raises(my_digits.MyDigitsError, match=message):
        my_digits.import_npz(content)
    assert [d.digit_id for d in my_digits.list_digits()] == kept


def test_holdout_split_by_class_once_there_are_enough_digits():
    save_some([3] * 10)
    train, held_out = my_digits.split_holdout(my_digits.list_digits())
    assert len(train) == 10 and held_out == []  # too few: everything trains, accuracy is measured on all
    assert len(my_digits.evaluation_arrays()[1]) == 10
    save_some([3] * 6 + [8] * 8)  # 24 digits: 16 threes, 8 eights
    digits = my_digits.list_digits()
    train, held_out = my_digits.split_holdout(digits)
    assert [d.label for d in held_out] == [3, 3, 3, 3, 8, 8]  # every 4th of each class
    assert {d.digit_id for d in train} | {d.digit_id for d in held_out} == {d.digit_id for d in digits}
    assert not {d.digit_id for d in train} & {d.digit_id for d in held_out}
    train_images, train_labels = my_digits.training_arrays()
    eval_images, eval_labels = my_digits.evaluation_arrays()
    assert train_images.shape == (18, 28, 28) and eval_images.shape == (6, 28, 28)
    assert sorted(eval_labels.tolist()) == [3, 3, 3, 3, 8, 8]


def test_suggested_repeat_makes_my_digits_a_small_share():
    for count in (10, 50, 200):
        repeated = count * finetune.suggested_repeat(count)
        assert repeated / (repeated + datasets.MNIST.train_size) == pytest.approx(config.MY_DIGITS_SHARE, rel=0.1)
    assert finetune.suggested_repeat(10 ** 6) == config.MY_DIGITS_REPEAT_RANGE[0]


@pytest.fixture(scope="module")
def tanh_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "model.keras"
    recipe = config.make_config("seed", variant="32x32", epochs=7, batch_size=64)
    card.save_model(builders.build_model(recipe.model_config()), path, card.for_config(recipe))
    return path


def test_finetune_config_keeps_the_models_architecture(tanh_model):
    save_some([1, 2, 3])
    train_config = finetune.retrain_config("finetune", tanh_model)
    assert (train_config.variant, train_config.activation, train_config.pooling) == ("32x32", "tanh", "average")
    assert train_config.init_model == str(tanh_model.resolve()) and train_config.my_digits
    assert (train_config.epochs, train_config.learning_rate) == (config.FINETUNE_EPOCHS, config.FINETUNE_LEARNING_RATE)
    assert train_config.my_digits_repeat == finetune.suggested_repeat(3)
    assert finetune.retrain_config("finetune", tanh_model, epochs=3, learning_rate=1e-4).epochs == 3


def test_scratch_config_uses_the_recipe_in_the_models_card(tanh_model):
    save_some([1, 2, 3])
    train_config = finetune.retrain_config("scratch", tanh_model)
    assert (train_config.preset, train_config.epochs, train_config.batch_size) == ("seed", 7, 64)
    assert train_config.variant == "32x32" and train_config.init_model == "" and train_config.my_digits


def test_a_model_without_a_card_is_retrained_from_scratch_only(tmp_path):
    save_some([1, 2, 3])
    builders.build_model(config.ModelConfig("32x32", "tanh", "average")).save(tmp_path / "foreign.keras")
    with pytest.raises(my_digits.MyDigitsError, match="no model card"):
        finetune.retrain_config("finetune", tmp_path / "foreign.keras")
    assert finetune.retrain_config("scratch", tmp_path / "foreign.keras").preset == "best"


def test_my_digits_retrain_digit_models_only(tmp_path):
    save_some([1, 2, 3])
    fashion = config.make_config("quick", "fashion")
    card.save_model(builders.build_model(fashion.model_config()), tmp_path / "fashion.keras", card.for_config(fashion))
    with pytest.raises(my_digits.MyDigitsError, match="Fashion-MNIST model; my digits retrain digit models only"):
        finetune.retrain_config("finetune", tmp_path / "fashion.keras")


def test_retrain_needs_digits_and_a_known_mode(tanh_model):
    with pytest.raises(my_digits.MyDigitsError, match="no digits"):
        finetune.retrain_config("finetune", tanh_model)
    save_some([1])
    with pytest.raises(config.ConfigError):
        finetune.retrain_config("sideways", tanh_model)


# Imports are bounded before they are decoded, and all or nothing (issue 12).

def million_digit_npz(path):
    """A .npz like the one that took the server to 7.7 GB: 1,000,000 blank digits in a few MB (that one was 770 KB,
    compressed harder, which takes this test four times as long to write).

    Written in chunks, so making it costs this test no memory.
    """
    count = 1_000_000
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False, "shape": (count, 28, 28)})
    chunk = bytes(28 * 28 * 10_000)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("images.npy", "w", force_zip64=True) as member:
            member.write(header.getvalue())  # the magic string, then the header: what np.save writes first
            for _ in range(count // 10_000):
                member.write(chunk)
        labels = io.BytesIO()
        np.save(labels, np.zeros(count, "uint8"))
        archive.writestr("labels.npy", labels.getvalue())
    return path


def test_a_million_digit_import_is_refused_from_its_headers_without_reading_the_arrays(tmp_path, monkeypatch):
    path = million_digit_npz(tmp_path / "million.npz")
    assert path.stat().st_size < 4 * 2**20  # well under the app's 16 MB upload cap
    kept = save_some([4, 5])
    arrays_read = []
    real_read_array = np.lib.format.read_array

    def recording_read_array(*args, **kwargs):
        arrays_read.append(args)
        return real_read_array(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(np.lib.format, "read_array", recording_read_array)
        patch.setattr(np, "load", lambda *args, **kwargs: pytest.fail("np.load would read the arrays"))
        with pytest.raises(my_digits.MyDigitsError, match="1,000,000 digits is more than the 20,000 an import may hold"):
            my_digits.import_npz(path)
    assert arrays_read == []  # refused by the header alone: no array data was read, let alone allocated
    assert [d.digit_id for d in my_digits.list_digits()] == kept


@pytest.mark.parametrize("arrays, message", [
    (dict(images=np.zeros((3, 28, 28), "int64"), labels=np.arange(3)), "uint8 or floats"),
    (dict(images=np.zeros((3, 28, 28), "uint8"), labels=np.zeros(4, "int64")), "labels must be 3"),
    (dict(images=np.zeros((3, 28, 28), "uint8"), labels=np.zeros(3, "float32")), "labels must be 3 whole numbers"),
    (dict(images=np.zeros((3, 28, 28), "uint8"), labels=np.arange(3), predictions=np.zeros(2, "int8")), "predictions"),
], ids=["int-images", "label-count", "float-labels", "prediction-count"])
def test_wrong_shapes_and_dtypes_are_refused_from_the_headers(arrays, message, monkeypatch):
    monkeypatch.setattr(np.lib.format, "read_array", lambda *args, **kwargs: pytest.fail("an array was read"))
    with pytest.raises(my_digits.MyDigitsError, match=message):
        my_digits.import_npz(npz_bytes(**arrays))


def test_an_import_is_one_batch_folder_moved_in_with_one_rename(monkeypatch):
    kept = save_some([1])
    renames = []
    real_rename = my_digits.Path.rename
    monkeypatch.setattr(my_digits.Path, "rename", lambda path, target: renames.append((path, target)) or
                        real_rename(path, target))
    imported = my_digits.import_npz(npz_bytes(images=np.zeros((30, 28, 28), "uint8"), labels=np.arange(30) % 10))
    assert len(renames) == 1 and renames[0][0].name.startswith(".import-")  # staged out of sight, then moved in
    batch = renames[0][1]
    assert batch.parent == my_digits.store_path() and len(list(batch.glob("*.npz"))) == 30
    assert [d.digit_id for d in my_digits.list_digits()][:1] == kept and my_digits.count_digits() == 31
    assert all(digit_id.startswith(f"{batch.name}/") for digit_id in imported)
    for digit_id in imported:  # an imported digit deletes like any other; the empty batch folder goes with the last
        my_digits.delete_digit(digit_id)
    assert not batch.exists() and [d.digit_id for d in my_digits.list_digits()] == kept
    with pytest.raises(my_digits.MyDigitsError):
        my_digits.delete_digit(f"{batch.name}/../../elsewhere")


def test_the_disk_filling_during_an_import_stores_none_of_it(monkeypatch):
    import errno

    kept = save_some([2, 3])
    before = sorted(path.name for path in my_digits.store_path().iterdir())
    real_savez = np.savez
    written = []

    def disk_fills_after_512(file, **fields):
        if len(written) == 512:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(file)
        real_savez(file, **fields)

    monkeypatch.setattr(np, "savez", disk_fills_after_512)
    images = np.random.default_rng(0).integers(0, 256, (2000, 28, 28), dtype="uint8")
    with pytest.raises(my_digits.MyDigitsError, match="No space left on device.*nothing was imported"):
        my_digits.import_npz(npz_bytes(images=images, labels=np.arange(2000) % 10))
    assert len(written) == 512
    assert sorted(path.name for path in my_digits.store_path().iterdir()) == before  # no staging folder left
    assert [d.digit_id for d in my_digits.list_digits()] == kept


def test_imports_and_saves_respect_a_capacity_and_the_free_space(monkeypatch):
    import collections
    import shutil

    save_some([1, 2, 3])
    exported = npz_bytes(images=np.zeros((5, 28, 28), "uint8"), labels=np.arange(5))
    with pytest.raises(my_digits.MyDigitsError, match="at most 6; this would make 8"):
        my_digits.import_npz(exported, capacity=6)
    assert len(my_digits.import_npz(exported, capacity=8)) == 5
    with pytest.raises(my_digits.MyDigitsError, match="at most 8"):
        my_digits.save_digit(digit(9), 9, capacity=8)
    usage = collections.namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10 * 2**30, 10 * 2**30 - 2**20, 2**20))
    with pytest.raises(my_digits.MyDigitsError, match="not enough free disk space for 5 digits: 1 MB free"):
        my_digits.import_npz(exported)
    with pytest.raises(my_digits.MyDigitsError, match="not enough free disk space"):
        my_digits.save_digit(digit(9), 9)
    assert my_digits.count_digits() == 8


def test_a_read_only_store_refuses_a_save_and_an_import_with_a_message(refuse_writes):
    kept = save_some([1])
    with refuse_writes(my_digits.store_path()):
        with pytest.raises(my_digits.MyDigitsError, match="could not save the digit: Read-only file system"):
            my_digits.save_digit(digit(2), 2)
        with pytest.raises(my_digits.MyDigitsError, match="Read-only file system.*nothing was imported"):
            my_digits.import_npz(npz_bytes(images=np.zeros((2, 28, 28), "uint8"), labels=np.arange(2)))
    assert [d.digit_id for d in my_digits.list_digits()] == kept


def test_importing_a_fifo_is_refused_at_once(tmp_path):
    import os

    fifo = tmp_path / "digits.npz"
    os.mkfifo(fifo)
    with pytest.raises(my_digits.MyDigitsError, match="digits.npz is a pipe"):
        my_digits.import_npz(fifo)  # before: open() waited forever for a writer
