import numpy as np
import pytest
import tensorflow as tf

from lenet import config
from lenet.train import pipeline


def _bar_images(count, rows=slice(4, 24), columns=slice(13, 15)):
    images = np.zeros((count, 28, 28), "float32")
    images[:, rows, columns] = 1.0
    return images


def _distort(images, **settings):
    train_config = config.make_config("seed", **settings)
    return pipeline.random_distortion(images[..., None], train_config, tf.random.Generator.from_seed(5)).numpy()[..., 0]


# Flips alone copy pixels; with any other distortion they are part of the projective transform.
@pytest.mark.parametrize("other_settings", [{}, {"rotation_degrees": 1e-4}])
def test_horizontal_flip_mirrors_about_half_the_images_exactly(other_settings):
    images = _bar_images(64, columns=slice(3, 9))  # a bar off to the left, so a mirror is easy to tell apart
    flipped = _distort(images, flip_horizontal=True, **other_settings)
    mirrored = np.array([np.allclose(out, image[:, ::-1], atol=1e-4) for out, image in zip(flipped, images)])
    kept = np.array([np.allclose(out, image, atol=1e-4) for out, image in zip(flipped, images)])
    assert (mirrored | kept).all()
    assert 16 <= mirrored.sum() <= 48


def test_shear_slants_a_vertical_bar_and_keeps_each_row():
    images = _bar_images(16)
    sheared = _distort(images, shear_degrees=30.0)
    columns = np.arange(28)
    top, bottom = (sheared[:, row] @ columns / sheared[:, row].sum(axis=1) for row in (6, 21))
    assert np.abs(top - bottom).max() > 2.0  # 15 rows apart at up to 30°: up to 8.7 pixels of slant
    assert np.allclose(sheared.sum(axis=2)[:, 5:23], 2.0, atol=1e-4)  # a horizontal shear only moves ink along rows


def test_scaling_grows_and_shrinks_about_the_centre():
    images = np.zeros((32, 28, 28), "float32")
    images[:, 10:18, 10:18] = 1.0
    scaled = _distort(images, scale_fraction=0.3)
    area = scaled.sum(axis=(1, 2)) / images[0].sum()
    assert area.min() < 0.9 and area.max() > 1.1 and 0.49 - 0.05 < area.min() and area.max() < 1.69 + 0.05
    centre_x = (scaled.sum(axis=1) @ np.arange(28)) / scaled.sum(axis=(1, 2))
    assert np.allclose(centre_x, 13.5, atol=0.05)


def test_warp_without_displacement_samples_exactly_as_the_projective_transform():
    images = tf.constant(np.random.default_rng(0).random((8, 28, 28, 1)), tf.float32)
    transforms = pipeline.random_transforms(images, tf.random.Generator.from_seed(1), 6.0, 30.0, 0.3, 20.0, True)
    warped = pipeline.warp(images, transforms, tf.zeros([8, 2, 28, 28]))
    assert np.allclose(warped.numpy(), pipeline._project(images, transforms).numpy(), atol=1e-5)


def test_elastic_displacements_are_smooth_and_scale_with_alpha():
    images = tf.zeros([16, 28, 28, 1])
    gentle, strong = (pipeline.elastic_displacements(images, tf.random.Generator.from_seed(2), alpha, 4.0).numpy()
                      for alpha in (10.0, 20.0))
    assert np.allclose(strong, 2 * gentle, rtol=1e-5, atol=1e-6)
    neighbours = np.corrcoef(gentle[:, 0, :, :-1].ravel(), gentle[:, 0, :, 1:].ravel())[0, 1]
    assert neighbours > 0.9  # white noise would be uncorrelated; a σ = 4 Gaussian makes neighbours move together
    rough = pipeline.elastic_displacements(images, tf.random.Generator.from_seed(2), 10.0, 1.0).numpy()
    assert np.corrcoef(rough[:, 0, :, :-1].ravel(), rough[:, 0, :, 1:].ravel())[0, 1] < neighbours


def test_elastic_distortion_moves_ink_but_keeps_it():
    images = _bar_images(16)
    distorted = _distort(images, elastic_alpha=34.0)
    assert not np.allclose(distorted, images)
    # Stretching and squeezing change a thin bar's area locally, but it stays a bar of about the same ink.
    assert np.abs(distorted.sum(axis=(1, 2)) / images[0].sum() - 1).max() < 0.5
    assert (distorted[:, :, 9:19].sum(axis=(1, 2)) > 0.9 * distorted.sum(axis=(1, 2))).all()


def test_each_epoch_draws_new_elastic_displacements():
    images = _bar_images(8)
    dataset = pipeline.training_dataset(images, np.arange(8), config.make_config("seed", batch_size=8, elastic_alpha=34.0))
    first, second = (next(iter(dataset))[0].numpy() for _ in range(2))
    assert not np.allclose(np.sort(first.reshape(8, -1), axis=0), np.sort(second.reshape(8, -1), axis=0))


def test_the_same_seed_distorts_every_epoch_alike_in_every_run():
    # Many small batches, so the map's threads race to distort them; the draws must not depend on who wins.
    images = _bar_images(8).repeat(32, axis=0)
    train_config = config.make_config("best", batch_size=8)

    def two_epochs():
        dataset = pipeline.training_dataset(images, np.arange(len(images)), train_config)
        return [np.concatenate([batch.numpy() for batch, _ in dataset]) for _ in range(2)]

    first_run, second_run = two_epochs(), two_epochs()
    assert np.array_equal(first_run[0], second_run[0]) and np.array_equal(first_run[1], second_run[1])
    assert not np.array_equal(first_run[0], first_run[1])


def test_settings_off_leave_batches_untouched():
    images = _bar_images(8)
    batch = next(iter(pipeline.training_dataset(images, np.arange(8), config.make_config("seed", batch_size=8))))[0]
    assert np.array_equal(batch.numpy()[..., 0], images)


def test_random_erasing_hides_one_rectangle_in_about_the_asked_share_of_images():
    images = np.full((256, 28, 28), 0.5, "float32")  # noise almost never lands on exactly 0.5
    erased = _distort(images, erase_probability=0.5)
    changed = erased != 0.5
    touched = changed.any(axis=(1, 2))
    assert 80 <= touched.sum() <= 176  # about half, as asked
    for mask in changed[touched]:
        rows, columns = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
        box = mask[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]
        assert box.all()  # one solid rectangle, and nothing outside it
        assert box.size <= 0.45 * 28 * 28  # at most 40% of the image, plus the pixels its edges round into
    assert ((erased >= 0) & (erased <= 1)).all()  # noise is ink-valued


@pytest.mark.parametrize("settings", [{"erase_probability": 1.0}, {"erase_probability": 1.0, "flip_horizontal": True},
                                      {"erase_probability": 1.0, "elastic_alpha": 34.0}])
def test_erasing_runs_inside_the_training_pipeline(settings):
    # Dataset.map traces the distortion into a graph, where the projective transform's output has no static size.
    images = np.full((8, 28, 28), 0.5, "float32")
    dataset = pipeline.training_dataset(images, np.arange(8), config.make_config("seed", batch_size=8, **settings))
    batch = next(iter(dataset))[0].numpy()
    assert batch.shape == (8, 28, 28, 1) and (batch != 0.5).any(axis=(1, 2, 3)).all()


def test_training_and_evaluation_pipelines_run_without_the_autotuner():
    # Its per-iterator thread held up every epoch by seconds (pipeline._without_autotuner; timings in BENCHMARKS.md).
    images, labels = np.zeros((8, 28, 28), "float32"), np.arange(8)
    for train_config in (config.make_config("seed"), config.make_config("best", "fashion")):
        assert pipeline.training_dataset(images, labels, train_config).options().autotune.enabled is False
    assert pipeline.evaluation_dataset(images, labels).options().autotune.enabled is False


def _float_path_epochs(images, labels, train_config, epochs=2):
    """Training batches as the pipeline made them before it kept pixels (commit 861b95c): the float images
    themselves shuffled, batched and distorted."""
    dataset = tf.data.Dataset.from_tensor_slices((images[..., None], labels.astype("int32")))
    dataset = dataset.shuffle(len(images), seed=train_config.seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(train_config.batch_size)
    if train_config.augments:
        seeds = tf.data.Dataset.random(seed=train_config.seed, rerandomize_each_iteration=True)
        dataset = tf.data.Dataset.zip(dataset, seeds).map(lambda batch, seed: (
            pipeline.random_distortion(batch[0], train_config, pipeline.SeededDraws(seed)), batch[1]))
    return [[(images.numpy(), labels.numpy()) for images, labels in dataset] for _ in range(epochs)]


@pytest.mark.parametrize("preset", ["seed", "best"])
def test_pixels_give_the_batches_that_the_float_images_gave(preset):
    pixels = np.random.default_rng(0).integers(0, 256, (40, 28, 28), dtype=np.uint8)
    floats = pixels.astype(np.float32)
    floats /= 255.0  # as lenet.data.sources makes the splits
    labels = np.arange(40) % 10
    train_config = config.make_config(preset, batch_size=16, seed=3)
    kept = pipeline.as_pixels(floats)
    assert kept.dtype == np.uint8 and np.array_equal(kept, pixels)
    dataset = pipeline.training_dataset(kept, labels, train_config)
    got = [[(images.numpy(), labels.numpy()) for images, labels in dataset] for _ in range(2)]
    expected = _float_path_epochs(floats, labels, train_config)
    assert [len(epoch) for epoch in got] == [len(epoch) for epoch in expected] == [3, 3]
    for got_epoch, expected_epoch in zip(got, expected):
        for (got_images, got_labels), (expected_images, expected_labels) in zip(got_epoch, expected_epoch):
            assert got_images.dtype == np.float32 and np.array_equal(got_images, expected_images)
            assert np.array_equal(got_labels, expected_labels)
    assert not np.array_equal(got[0][0][1], got[1][0][1])  # each epoch is shuffled anew


def test_images_off_the_pixel_grid_stay_floats():
    pixels = np.arange(256, dtype=np.uint8).reshape(1, 16, 16)
    assert np.array_equal(pipeline.as_pixels(pipeline.unit_floats(pixels)), pixels)  # every value comes back
    halves = np.full((2, 28, 28), 0.5, "float32")
    assert pipeline.as_pixels(halves).dtype == np.float32 and np.array_equal(pipeline.as_pixels(halves), halves)
    assert pipeline.as_pixels(-pipeline.unit_floats(pixels)).dtype == np.float32  # no wrapping round


def test_evaluation_batches_of_pixels_are_the_float_images():
    pixels = np.random.default_rng(1).integers(0, 256, (30, 28, 28), dtype=np.uint8)
    floats = pixels.astype(np.float32)
    floats /= 255.0
    batches = [images.numpy() for images, _ in pipeline.evaluation_dataset(pixels, np.arange(30) % 10)]
    assert np.array_equal(np.concatenate(batches)[..., 0], floats)


def test_stroke_width_thickens_or_thins_each_image_by_up_to_a_pixel_and_keeps_its_brightest_pixel():
    images = _bar_images(64, columns=slice(12, 16))  # 4 pixels wide and 20 tall
    changed = _distort(images, stroke_width=1.0)
    ink = changed.sum(axis=(1, 2)) / images[0].sum()
    assert (ink > 1.1).sum() >= 16 and (ink < 0.9).sum() >= 16  # about half thicker, half thinner
    # At most a pixel of width and of height: from 3 × 19 pixels of ink to 5 × 21, against the bar's 4 × 20.
    assert 3 * 19 / 80 - 1e-4 <= ink.min() and ink.max() <= 5 * 21 / 80 + 1e-4
    assert np.allclose(changed.max(axis=(1, 2)), 1.0)
    # The 2×2 window moves the ink up and left by up to half a pixel; the shift that follows moves it back.
    for axis in (1, 2):
        centre = changed.sum(axis=axis) @ np.arange(28) / changed.sum(axis=(1, 2))
        assert np.abs(centre - 13.5).max() <= 0.1


def test_a_stroke_too_thin_to_erode_is_kept_as_it_is_when_thinned():
    # Erosion wipes out a one-pixel stroke; brightening what is left back to full ink restores it, as Draw's
    # preprocessing brightens a thin pen's strokes, rather than training on a faded grey digit.
    images = _bar_images(32, columns=slice(13, 14))
    changed, drift = pipeline.random_stroke_width(images[..., None], tf.random.Generator.from_seed(5), 0.5)
    changed = changed.numpy()[..., 0]
    kept = np.array([np.allclose(out, image, atol=1e-5) for out, image in zip(changed, images)])
    thicker = changed.sum(axis=(1, 2)) > 1.05 * images[0].sum()
    assert (kept | thicker).all() and kept.sum() >= 8 and thicker.sum() >= 8
    assert (0 <= drift.numpy()).all() and (drift.numpy() <= 0.25).all()  # half of at most half a pixel's step


def test_stroke_width_runs_inside_the_training_pipeline():
    images = _bar_images(8)
    train_config = config.make_config("seed", batch_size=8, stroke_width=1.0)
    dataset = pipeline.training_dataset(images, np.arange(8), train_config)
    batch = next(iter(dataset))[0].numpy()[..., 0]
    assert batch.shape == (8, 28, 28) and not np.allclose(batch, images)
