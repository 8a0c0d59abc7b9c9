"""Input pipelines: MNIST arrays into batched tf.data datasets, with augmentation on the fly."""

import math

import numpy as np
import tensorflow as tf

SHUFFLE_BUFFER = 60_000  # the whole training set, so every epoch is a full reshuffle
EVAL_BATCH_SIZE = 1000


def training_dataset(images, labels, config):
    """Shuffled, batched and, when the config asks, randomly shifted and rotated training batches."""
    dataset = tf.data.Dataset.from_tensor_slices((_with_channel(images), labels.astype("int32")))
    dataset = dataset.shuffle(min(len(images), SHUFFLE_BUFFER), seed=config.seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(config.batch_size)
    if config.augments:
        # A generator's state lives outside the dataset, so every epoch draws fresh shifts and rotations; seeded
        # random ops inside map() would replay the same draws each epoch.
        generator = tf.random.Generator.from_seed(config.seed)
        shift, degrees = config.shift_pixels, config.rotation_degrees
        dataset = dataset.map(
            lambda batch, batch_labels: (random_affine(batch, shift, degrees, generator), batch_labels),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    return dataset.prefetch(tf.data.AUTOTUNE)


def evaluation_dataset(images, labels):
    return tf.data.Dataset.from_tensor_slices((_with_channel(images), labels.astype("int32"))).batch(
        EVAL_BATCH_SIZE).prefetch(tf.data.AUTOTUNE)


def random_affine(images, max_shift, max_degrees, generator):
    """Shift each image by up to max_shift pixels and rotate it by up to max_degrees about its centre.

    One projective transform per image does both at once, so each image is interpolated once; chaining
    Keras's RandomRotation and RandomTranslation layers would blur it twice.
    """
    count = tf.shape(images)[0]
    height, width = float(images.shape[1]), float(images.shape[2])
    angles = generator.uniform([count], -1.0, 1.0) * (max_degrees * math.pi / 180.0)
    shifts = generator.uniform([count, 2], -max_shift, max_shift)
    cos, sin = tf.cos(angles), tf.sin(angles)
    centre_x, centre_y = (width - 1) / 2.0, (height - 1) / 2.0
    # The transform maps output pixel (x, y) to the input pixel it samples: a rotation about the centre,
    # then a shift.
    offset_x = centre_x - cos * centre_x + sin * centre_y - shifts[:, 0]
    offset_y = centre_y - sin * centre_x - cos * centre_y - shifts[:, 1]
    zeros = tf.zeros_like(angles)
    transforms = tf.stack([cos, -sin, offset_x, sin, cos, offset_y, zeros, zeros], axis=1)
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=images, transforms=transforms, output_shape=tf.shape(images)[1:3],
        fill_value=0.0, interpolation="BILINEAR", fill_mode="CONSTANT",
    )


def steps_per_epoch(sample_count, batch_size):
    return math.ceil(sample_count / batch_size)


def _with_channel(images):
    images = np.asarray(images, dtype="float32")
    return images[..., None] if images.ndim == 3 else images
