"""Input pipelines: MNIST arrays into batched tf.data datasets, with augmentation on the fly."""

import math

import numpy as np
import tensorflow as tf

# Random erasing's rectangles, as Zhong et al. 2017 drew them: 2% to 40% of the image, height ÷ width 0.3 to 3.3.
ERASE_AREA = (0.02, 0.4)
ERASE_ASPECT = 0.3
SHUFFLE_BUFFER = 60_000  # the whole training set, so every epoch is a full reshuffle
EVAL_BATCH_SIZE = 1000
PIXEL_CHUNK = 4096  # images checked at a time by as_pixels
# Outlier exposure (TrainConfig.outlier_weight): the label of a non-digit, which has no class, and how many join each
# batch, drawn at random from all of them. A few per batch cost each step their share of the compute (8 more than
# 128 digits: 6%), where all 13,664 of the outlier bank added to the training set made every epoch 27% longer.
OUTLIER_LABEL = -1
OUTLIERS_PER_BATCH = 8


def training_dataset(images, labels, config, distorting=None, outliers=None, drawn_digits=None):
    """Shuffled, batched and, when the config asks, randomly distorted training batches.

    images are uint8 pixels (as_pixels), which become [0, 1] floats a batch at a time, or floats in [0, 1].
    distorting is an optional boolean tf.Variable: while it is False, batches pass undistorted (the config's
    undistorted_epochs; training.StopDistorting sets it at each epoch's start). outliers are non-digits in the same
    form as the images: OUTLIERS_PER_BATCH of them, drawn at random, join each batch under OUTLIER_LABEL.
    drawn_digits are (images, labels) of digits drawn as on the canvas (TrainConfig.drawn_digits): that many of them,
    drawn at random, join each batch under their own labels. Both are distorted with the batch.
    """
    count = len(images)
    images, labels = tf.constant(_with_channel(images)), tf.constant(np.asarray(labels).astype("int32"))
    # The shuffle buffer holds the images' indices, not the images: a buffer of the whole training set would
    # otherwise be one more copy of it (157 MB of floats for MNIST). Shuffling does not look at what it shuffles,
    # so the indices come in the order the images themselves came in before.
    order = tf.data.Dataset.range(count).shuffle(min(count, SHUFFLE_BUFFER), seed=config.seed,
                                                 reshuffle_each_iteration=True)
    dataset = order.batch(config.batch_size)
    # Each batch draws its distortions from a seed of its own, taken from a seeded stream that starts afresh every
    # epoch: new distortions each epoch, and the same ones in every run with this seed. One shared
    # tf.random.Generator was drawn from in whatever order the map's threads asked, so two runs of one seed
    # distorted different images and ended up to 0.07 points apart; seeded random ops inside map() would instead
    # replay the same draws every epoch.
    batch_seeds = tf.data.Dataset.random(seed=config.seed, rerandomize_each_iteration=True)

    if outliers is not None:
        outlier_images, outlier_labels = tf.constant(_with_channel(outliers)), tf.fill([len(outliers)], OUTLIER_LABEL)
    if drawn_digits is not None:
        drawn_images, drawn_labels = (tf.constant(_with_channel(drawn_digits[0])),
                                      tf.constant(np.asarray(drawn_digits[1]).astype("int32")))

    def make_batch(indices, batch_seed):
        batch_images, batch_labels = _unit_floats(tf.gather(images, indices)), tf.gather(labels, indices)
        if outliers is not None:
            batch_images, batch_labels = _with_picks(batch_images, batch_labels, outlier_images, outlier_labels,
                                                     OUTLIERS_PER_BATCH, batch_seed, stream=-1)
        if drawn_digits is not None:
            batch_images, batch_labels = _with_picks(batch_images, batch_labels, drawn_images, drawn_labels,
                                                     config.drawn_digits, batch_seed, stream=-2)
        if not config.augments:
            return batch_images, batch_labels

        def distorted():
            return random_distortion(batch_images, config, SeededDraws(batch_seed))

        if distorting is None:
            return distorted(), batch_labels
        return tf.cond(distorting, distorted, lambda: batch_images), batch_labels

    dataset = tf.data.Dataset.zip(dataset, batch_seeds).map(make_batch, num_parallel_calls=tf.data.AUTOTUNE)
    return _without_autotuner(dataset.prefetch(tf.data.AUTOTUNE))


def _with_picks(batch_images, batch_labels, pool_images, pool_labels, count, batch_seed, stream):
    """The batch with `count` images of the pool added, with their labels, picked from a random stream of the batch's
    seed that no distortion draws from (SeededDraws counts from 1; outliers take stream -1, drawn digits -2)."""
    stream_seed = tf.stack([tf.cast(batch_seed, tf.int64), tf.constant(stream, tf.int64)])
    picks = tf.random.stateless_uniform([count], stream_seed,
                                        maxval=tf.shape(pool_images, out_type=tf.int64)[0], dtype=tf.int64)
    return (tf.concat([batch_images, _unit_floats(tf.gather(pool_images, picks))], axis=0),
            tf.concat([batch_labels, tf.gather(pool_labels, picks)], axis=0))


def as_pixels(images):
    """The images as uint8 pixels when they are floats on the 1/255 grid (every dataset's and my digits' are),
    else as float32, unchanged. Pixels take a quarter of the memory in tf.data, and _unit_floats turns them back
    into exactly the floats they were. Checked a chunk at a time, so no full-size temporary is made.
    """
    images = np.asarray(images)
    if images.dtype == np.uint8:
        return images
    pixels = np.empty(images.shape, np.uint8)
    for start in range(0, len(images), PIXEL_CHUNK):
        chunk = np.asarray(images[start : start + PIXEL_CHUNK], np.float32)
        pixels[start : start + PIXEL_CHUNK] = np.clip(np.rint(chunk * 255), 0, 255)
        if not np.array_equal(unit_floats(pixels[start : start + PIXEL_CHUNK]), chunk):
            return np.asarray(images, np.float32)  # not pixels divided by 255: kept as they are
    return pixels


def unit_floats(images):
    """A NumPy array of uint8 pixels as floats in [0, 1], divided as lenet.data.sources divides them; floats pass."""
    return images.astype(np.float32) / np.float32(255) if images.dtype == np.uint8 else images


def _unit_floats(images):
    """unit_floats inside tf.data, a batch at a time: the same float32 division, so bit for bit the same numbers."""
    return tf.cast(images, tf.float32) / 255.0 if images.dtype == tf.uint8 else images


class SeededDraws:
    """Random numbers from one seed, offering tf.random.Generator's uniform() that the distortions call.

    The n-th draw depends only on the seed and n (stateless ops), never on which thread asks first.
    """

    def __init__(self, seed):
        self.seed, self.count = tf.cast(seed, tf.int64), 0

    def uniform(self, shape, minval=0.0, maxval=1.0):
        self.count += 1  # counted while the map function is traced, so each draw in it has its own fixed number
        return tf.random.stateless_uniform(shape, tf.stack([self.seed, tf.constant(self.count, tf.int64)]),
                                           minval=minval, maxval=maxval)


def evaluation_dataset(images, labels):
    """Batches of the images in order, unshuffled; uint8 pixels become [0, 1] floats a batch at a time."""
    dataset = tf.data.Dataset.from_tensor_slices((_with_channel(images), labels.astype("int32"))).batch(EVAL_BATCH_SIZE)
    dataset = dataset.map(lambda batch_images, batch_labels: (_unit_floats(batch_images), batch_labels))
    return _without_autotuner(dataset.prefetch(tf.data.AUTOTUNE))


def _without_autotuner(dataset):
    """Turn off tf.data's autotuner; TensorFlow then picks fixed values where the pipeline says AUTOTUNE.

    Each iterator gets an autotuning thread that sleeps between optimisations and notices that its epoch is over
    only when it wakes; Keras makes an iterator per epoch and waits for that thread before the next epoch starts,
    which cost 3 to 7 idle seconds per epoch here (BENCHMARKS.md, Engine).
    """
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)


def random_distortion(images, config, generator):
    """Every augmentation the config asks for, applied to a batch with one interpolation per image."""
    drift = None
    if config.stroke_width > 0:  # first, on the pixel grid, as a wider or narrower pen would have drawn the image
        images, drift = random_stroke_width(images, generator, config.stroke_width)
    distorted = _move_pixels(images, config, generator, drift)
    if config.erase_probability > 0:
        distorted = random_erasing(distorted, generator, config.erase_probability)
    return distorted


def _move_pixels(images, config, generator, drift=None):
    """The geometric distortions: one projective transform per image, plus an elastic field when asked for.

    drift is how far (in pixels, right and down) each image must move back to undo random_stroke_width's drift.
    """
    if not config.moves_pixels:
        # Flips alone (Fashion-MNIST's best preset) copy pixels, so they need no transform and no interpolation.
        images = random_flip(images, generator) if config.flip_horizontal else images
        if drift is None:
            return images
        return tf.ensure_shape(_project(images, _translations(drift)), images.shape)
    transforms = random_transforms(
        images, generator, config.shift_pixels, config.rotation_degrees,
        config.scale_fraction, config.shear_degrees, config.flip_horizontal, drift)
    if config.elastic_alpha > 0:
        displacements = elastic_displacements(images, generator, config.elastic_alpha, config.elastic_sigma)
        return warp(images, transforms, displacements)
    return tf.ensure_shape(_project(images, transforms), images.shape)  # the op forgets the image size


def _translations(shifts):
    """Projective transforms that move each image `shifts` pixels right and down."""
    ones, zeros = tf.ones_like(shifts), tf.zeros_like(shifts)
    return tf.stack([ones, zeros, -shifts, zeros, ones, -shifts, zeros, zeros], axis=1)


def random_flip(images, generator):
    """Mirror a random half of the images left to right."""
    mirrored = generator.uniform([tf.shape(images)[0]]) < 0.5
    return tf.where(mirrored[:, None, None, None], tf.reverse(images, axis=[2]), images)


def random_stroke_width(images, generator, max_pixels):
    """Thicken or thin each image's strokes by a random amount of up to max_pixels (at most 1) of width.

    Grey-scale dilation (a 2×2 maximum) widens a stroke by a pixel and erosion (a 2×2 minimum, the maximum of the
    negated image) narrows it by one, so a 2-pixel MNIST stroke becomes the 1-pixel line of a thin pen; a fraction
    of the step is blended in for less. One pooling of the image times ±1 does both, a sign per image. Each image
    is then scaled so that its brightest pixel is as bright as before, as Draw's preprocessing brightens a thin
    pen's faded strokes (lenet.serve.preprocess); a stroke too thin to erode is thereby kept as it was rather than
    faded to grey.

    Returns (images, drift): a 2×2 window has no centre, so either step moves the ink up and left by half a pixel
    (times the fraction blended in); drift is how far each image must move back, which the geometric distortions
    add to their shifts. Undoing it there replaced flipping half the images around the step, which cost twice the
    step itself.
    """
    count = tf.shape(images)[0]
    change = generator.uniform([count], -max_pixels, max_pixels)
    sign = tf.where(change > 0, 1.0, -1.0)[:, None, None, None]
    stepped = sign * tf.nn.max_pool2d(sign * images, 2, 1, "SAME")  # the window skips the padding: no border erodes
    amount = tf.abs(change)
    changed = images + amount[:, None, None, None] * (stepped - images)
    brightest = tf.reduce_max(images, axis=[1, 2, 3], keepdims=True)
    changed = changed * tf.math.divide_no_nan(brightest, tf.reduce_max(changed, axis=[1, 2, 3], keepdims=True))
    return changed, amount / 2


def random_erasing(images, generator, probability):
    """Zhong et al. 2017: with `probability`, fill a random rectangle of each image with uniform noise.

    The paper redraws a rectangle until it fits inside the image; clipping it to the image instead keeps the
    batch in one vectorized pass, at the price of slightly smaller rectangles near the edges.
    """
    count = tf.shape(images)[0]
    height, width = float(images.shape[1]), float(images.shape[2])
    area = generator.uniform([count], *ERASE_AREA) * height * width
    aspect = tf.exp(generator.uniform([count], math.log(ERASE_ASPECT), -math.log(ERASE_ASPECT)))
    box_height = tf.minimum(tf.sqrt(area * aspect), height)
    box_width = tf.minimum(tf.sqrt(area / aspect), width)
    top = generator.uniform([count]) * (height - box_height)
    left = generator.uniform([count]) * (width - box_width)
    chosen = generator.uniform([count]) < probability
    rows = tf.range(height)[None, :, None]
    columns = tf.range(width)[None, None, :]
    inside = ((rows >= top[:, None, None]) & (rows < (top + box_height)[:, None, None])
              & (columns >= left[:, None, None]) & (columns < (left + box_width)[:, None, None])
              & chosen[:, None, None])
    return tf.where(inside[..., None], generator.uniform(tf.shape(images)), images)


def random_affine(images, max_shift, max_degrees, generator):
    """Shift each image by up to max_shift pixels and rotate it by up to max_degrees about its centre.

    One projective transform per image does both at once, so each image is interpolated once; chaining
    Keras's RandomRotation and RandomTranslation layers would blur it twice.
    """
    return _project(images, random_transforms(images, generator, max_shift, max_degrees))


def random_transforms(images, generator, max_shift, max_degrees, max_scale=0.0, max_shear_degrees=0.0,
                      flip=False, drift=None):
    """One projective transform per image (8 numbers, as ImageProjectiveTransformV3 takes them).

    Each maps an output pixel (x, y) to the input pixel it samples: mirror, stretch, shear and rotate about the
    centre, then shift (by a random amount, plus `drift` pixels right and down when given). Draws beyond the
    rotation and shift happen only when asked for, so a config without them sees exactly the shifts and rotations
    it saw before they existed.
    """
    count = tf.shape(images)[0]
    height, width = float(images.shape[1]), float(images.shape[2])
    angles = generator.uniform([count], -1.0, 1.0) * (max_degrees * math.pi / 180.0)
    shifts = generator.uniform([count, 2], -max_shift, max_shift)
    if drift is not None:
        shifts += drift[:, None]
    ones, zeros = tf.ones_like(angles), tf.zeros_like(angles)
    x_scale, y_scale = tf.unstack(1.0 + generator.uniform([2, count], -max_scale, max_scale)) if max_scale else (ones, ones)
    slant = zeros
    if max_shear_degrees:
        slant = tf.tan(generator.uniform([count], -1.0, 1.0) * (max_shear_degrees * math.pi / 180.0))
    mirror = tf.where(generator.uniform([count]) < 0.5, -1.0, 1.0) if flip else ones
    # Sampling at 1/scale of the distance from the centre enlarges the image by scale.
    column_x, column_y, row_y = mirror / x_scale, slant / y_scale, 1.0 / y_scale
    cos, sin = tf.cos(angles), tf.sin(angles)
    xx, xy = cos * column_x, cos * column_y - sin * row_y  # the rotation times the mirror, stretch and shear
    yx, yy = sin * column_x, sin * column_y + cos * row_y
    centre_x, centre_y = (width - 1) / 2.0, (height - 1) / 2.0
    offset_x = centre_x - xx * centre_x - xy * centre_y - shifts[:, 0]
    offset_y = centre_y - yx * centre_x - yy * centre_y - shifts[:, 1]
    return tf.stack([xx, xy, offset_x, yx, yy, offset_y, zeros, zeros], axis=1)


def elastic_displacements(images, generator, alpha, sigma):
    """Simard et al. 2003: a displacement in [-1, 1] per pixel and axis, smoothed by a Gaussian, times alpha.

    Returns (count, 2, height, width): the x then the y displacement of each pixel, in pixels. The Gaussian is
    separable, so it is two small matrix products (a 1-D convolution each, which TensorFlow runs far faster
    than depthwise_conv2d); outside the image the random field counts as zero.
    """
    height, width = images.shape[1], images.shape[2]
    field = generator.uniform(tf.stack([tf.shape(images)[0], 2, height, width]), -1.0, 1.0)
    return alpha * tf.matmul(tf.matmul(_gaussian_matrix(height, sigma), field), _gaussian_matrix(width, sigma))


def _gaussian_matrix(size, sigma):
    """Multiplying by this matrix convolves with a Gaussian of width sigma, truncated at 3 sigma (symmetric)."""
    radius = math.ceil(3 * sigma)
    distance = np.abs(np.arange(size)[:, None] - np.arange(size)[None, :])
    taps = np.exp(-0.5 * (distance / sigma) ** 2) * (distance <= radius)
    return tf.constant(taps / np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2).sum(), tf.float32)


def warp(images, transforms, displacements):
    """Sample each image where its projective transform points, moved by a per-pixel displacement, bilinearly.

    displacements is (count, 2, height, width), as elastic_displacements makes it. Outside the image reads as
    zero, as with ImageProjectiveTransformV3's constant fill.
    """
    height, width = images.shape[1], images.shape[2]
    rows, columns = tf.meshgrid(tf.range(height, dtype=tf.float32), tf.range(width, dtype=tf.float32), indexing="ij")
    transform = transforms[:, :, None, None]  # each of the 8 numbers broadcast over the pixels
    source_x = transform[:, 0] * columns + transform[:, 1] * rows + transform[:, 2] + displacements[:, 0]
    source_y = transform[:, 3] * columns + transform[:, 4] * rows + transform[:, 5] + displacements[:, 1]
    # A border of zeros around each image; coordinates are clipped onto it, then shifted into the padded image.
    padded = tf.reshape(tf.pad(images[..., 0], [[0, 0], [1, 1], [1, 1]]), [tf.shape(images)[0], -1])
    source_x = tf.clip_by_value(source_x, -1.0, float(width)) + 1.0
    source_y = tf.clip_by_value(source_y, -1.0, float(height)) + 1.0
    left, top = tf.floor(source_x), tf.floor(source_y)
    right_weight, bottom_weight = source_x - left, source_y - top
    left, top = tf.cast(left, tf.int32), tf.cast(top, tf.int32)
    right, bottom = tf.minimum(left + 1, width + 1), tf.minimum(top + 1, height + 1)

    def pixels(row, column):
        flat_index = tf.reshape(row * (width + 2) + column, [tf.shape(images)[0], -1])
        return tf.reshape(tf.gather(padded, flat_index, batch_dims=1), tf.shape(row))

    upper = (1 - right_weight) * pixels(top, left) + right_weight * pixels(top, right)
    lower = (1 - right_weight) * pixels(bottom, left) + right_weight * pixels(bottom, right)
    return ((1 - bottom_weight) * upper + bottom_weight * lower)[..., None]


def _project(images, transforms):
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=images, transforms=transforms, output_shape=tf.shape(images)[1:3],
        fill_value=0.0, interpolation="BILINEAR", fill_mode="CONSTANT",
    )


def steps_per_epoch(sample_count, batch_size):
    return math.ceil(sample_count / batch_size)


def _with_channel(images):
    images = np.asarray(images)
    images = images if images.dtype == np.uint8 else images.astype(np.float32, copy=False)
    return images[..., None] if images.ndim == 3 else images
