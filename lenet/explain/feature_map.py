"""The map of what the network has learned: its F6 features (84 numbers per image) drawn in two dimensions.

What is mapped: each image's feature direction (its 84 F6 features scaled to length 1), which says which features
fire together, that is what the network sees; the length mostly grows with ink and contrast. Distances between
directions are also what best tells digits from things that are not digits (below).

Projection: PCA, a linear map onto the two directions along which the features vary most. It is fast,
deterministic, and honest about distances: two points far apart on the map are at least that far apart in feature
space. t-SNE or UMAP draw prettier clusters, but they take seconds, give a different picture every time, cannot
place a new point without refitting, and their distances mean little.

Between epochs (the training time-lapse) the features themselves change, so each epoch gets its own PCA, fitted to
that epoch's features: a projection fitted once at epoch 1 would miss the directions that later pull the classes
apart. PCA's axes have no fixed sign or order, so on its own each epoch's picture could flip or spin. Each epoch's
positions are therefore turned (rotated or reflected) onto the previous epoch's by orthogonal Procrustes: the one
turn that moves the same images least. Nothing is stretched or bent, so what moves on screen is what the network
changed.

A new image (a drawing, on the Draw page) cannot simply be projected too: PCA drops the part of its features that
lies off the map's plane, and that is exactly where a drawing unlike any digit differs, so a scribble, a letter or a
star would land among the clusters (measured with the bundled model: as crowded as any digit). `DrawingMap.place`
keeps the map honest instead: the star's distance from its nearest cluster says how far the drawing's features are
from the nearest training images, compared with test images (nearest-neighbour distances on feature directions,
after Sun et al. 2022, "Out-of-distribution detection with deep nearest neighbors").
"""

import dataclasses
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf
from scipy.spatial import cKDTree

from lenet import config as lenet_config
from lenet.model import builders

NEIGHBOURS = 8
TYPICAL_PERCENTILE = 95  # "typical": 95% of test images are at most this far (from a centre, or neighbours)


def feature_function(model, outputs=(lenet_config.FEATURE_LAYER,)):
    """A traced function from images (N, 28, 28, 1) to the named layers' outputs, as a list of numpy arrays."""
    extractor = keras.Model(model.inputs, [model.get_layer(name).output for name in outputs])
    traced = tf.function(lambda images: extractor(images, training=False),
                         input_signature=[tf.TensorSpec([None, *builders.INPUT_SHAPE], tf.float32)])
    return lambda images: [np.asarray(output) for output in _as_list(traced(_batch(images)))]


def principal_axes(features):
    """(mean, axes): the features' mean and their two principal directions, axes shaped (features, 2).

    From the eigenvectors of the small (features × features) scatter matrix rather than an SVD of all the rows:
    the same axes, and several times faster on a busy machine, where the SVD of a 1,000×84 matrix can take 0.4 s.
    Each axis's sign is fixed (its largest entry positive), so the same features always give the same map.
    """
    mean = features.mean(axis=0)
    centred = features - mean
    _, vectors = np.linalg.eigh(centred.T @ centred)  # eigenvalues in ascending order
    axes = vectors[:, ::-1][:, :2]
    signs = np.sign(axes[np.abs(axes).argmax(axis=0), [0, 1]])
    return mean, axes * np.where(signs == 0, 1, signs)


def procrustes_rotation(source, target):
    """The orthogonal matrix R (rotation or reflection) that makes source @ R closest to target (least squares)."""
    left, _, right = np.linalg.svd(source.T @ target)
    return left @ right


def epoch_positions(features, previous=None):
    """2-D positions of one epoch's features: PCA, turned to match the previous epoch's positions when given."""
    mean, axes = principal_axes(features)
    positions = (features - mean) @ axes
    if previous is not None and len(previous) == len(positions):
        positions = positions @ procrustes_rotation(positions, previous)
    return positions.astype("float32")


def nearest(vector, pool, count=NEIGHBOURS):
    """(indices, distances) of the `count` rows of `pool` nearest to `vector`, nearest first; all of unit length,
    so the largest dot products are the nearest (|a - b|² = 2 - 2 a·b)."""
    # einsum rather than `pool @ vector`: BLAS spreads a matrix-vector product over threads, which on a busy
    # two-core machine made it three times slower (16 ms against 5 ms for 50,000 rows).
    similarity = np.einsum("ij,j->i", pool, vector)
    count = min(count, len(pool))
    closest = np.argpartition(-similarity, count - 1)[:count]
    closest = closest[np.argsort(-similarity[closest], kind="stable")]
    return closest, np.sqrt(np.maximum(2.0 - 2.0 * similarity[closest], 0.0))


@dataclass(frozen=True)
class Placement:
    position: np.ndarray  # (2,) on the map
    plain_position: np.ndarray  # (2,) where PCA alone would put it
    nearest_class: int  # the class whose centre is nearest in feature space
    neighbour_distance: float  # to its NEIGHBOURS-th nearest training image
    typical_distance: float  # the same for test images: TYPICAL_PERCENTILE of them are at most this far
    neighbours: np.ndarray  # indices into the training set, nearest first
    neighbour_distances: np.ndarray

    @property
    def strangeness(self):
        """How far the drawing is from the training images, in units of how far test images are: above 1 is unusual."""
        return self.neighbour_distance / max(self.typical_distance, 1e-9)


@dataclass(frozen=True)
class DrawingMap:
    """A model's feature map of test images, and its training images' features, for placing one new image."""
    features: callable  # images -> [F6 features]
    mean: np.ndarray
    axes: np.ndarray
    positions: np.ndarray  # (M, 2) of the map's test images, by PCA
    labels: np.ndarray  # their classes
    indices: np.ndarray  # their indices in the test set
    centres: np.ndarray  # (classes, 84): each class's mean feature direction over the map's images
    centre_positions: np.ndarray  # (classes, 2): the centres on the map
    cluster_radii: np.ndarray  # (classes,): TYPICAL_PERCENTILE of each class's images lie this close to its centre
    typical_distance: float  # see Placement
    train_features: np.ndarray  # (N, 84) feature directions, for nearest neighbours
    train_labels: np.ndarray
    position_tree: cKDTree  # the map's positions, to find empty space fast

    def place(self, image):
        """Where one prepared 28×28 image lands: on the map, and among the training images.

        The star's distance from its nearest cluster's centre on the map says how unusual it is: the cluster's
        radius times `strangeness`, so a drawing as usual as a test digit lands inside the cluster and one twice as
        far from every training image as a test image usually is lands two radii out. Inside the cluster it goes
        where PCA points; beyond the edge, PCA's direction means little (what makes the drawing unusual lies off
        the map's plane), so it goes the way that leads into empty space: landing inside another class's cluster
        would claim a likeness its features do not have.
        """
        vector = directions(self.features(image)[0])[0]
        neighbours, neighbour_distances = nearest(vector, self.train_features)
        nearest_class = int(np.linalg.norm(self.centres - vector, axis=1).argmin())
        plain = (vector - self.mean) @ self.axes
        placement = Placement(plain, plain, nearest_class, float(neighbour_distances[-1]), self.typical_distance,
                              neighbours, neighbour_distances)
        centre = self.centre_positions[nearest_class]
        reach = self.cluster_radii[nearest_class] * placement.strangeness
        direction = _unit(plain - centre) if placement.strangeness <= 1 else self._emptiest_direction(centre, reach)
        return dataclasses.replace(placement, position=(centre + direction * reach).astype("float32"))

    def _emptiest_direction(self, centre, reach, candidates=72):
        """The direction from `centre` whose point at distance `reach` is farthest from every map point."""
        angles = np.linspace(0, 2 * np.pi, candidates, endpoint=False)
        ways = np.stack([np.cos(angles), np.sin(angles)], axis=1)
        clearance, _ = self.position_tree.query(centre + reach * ways)
        return ways[clearance.argmax()]


def build_drawing_map(model, splits, per_class=200, num_classes=10):
    """The map of `per_class` test images of each class (the first ones, in test-set order) for `model`."""
    features = feature_function(model)
    train_features = directions(_in_chunks(features, splits.x_train))
    indices = first_per_class(splits.y_test, per_class, num_classes)
    map_features = directions(_in_chunks(features, splits.x_test[indices]))
    mean, axes = principal_axes(map_features)
    positions = ((map_features - mean) @ axes).astype("float32")
    labels = np.asarray(splits.y_test)[indices]
    centres = np.stack([map_features[labels == label].mean(axis=0) for label in range(num_classes)])
    centre_positions = (centres - mean) @ axes
    radii = np.array([np.percentile(np.linalg.norm(positions[labels == label] - centre_positions[label], axis=1),
                                    TYPICAL_PERCENTILE) for label in range(num_classes)])
    typical = float(np.percentile(neighbour_distances(map_features, train_features), TYPICAL_PERCENTILE))
    return DrawingMap(features, mean, axes, positions, labels, indices, centres, centre_positions, radii, typical,
                      train_features, np.asarray(splits.y_train), cKDTree(positions))


def neighbour_distances(vectors, pool, count=NEIGHBOURS, chunk=250):
    """Each vector's distance to its `count`-th nearest row of `pool` (both unit length), by chunked dot products."""
    found = []
    for start in range(0, len(vectors), chunk):
        squared = np.maximum(2.0 - 2.0 * vectors[start:start + chunk] @ pool.T, 0.0)
        found.append(np.sqrt(np.partition(squared, count - 1, axis=1)[:, count - 1]))
    return np.concatenate(found)


def directions(features):
    """Features scaled to unit length. Their direction (which features fire together) says what the network sees;
    their length grows with ink and contrast. Distances between directions tell digits from non-digits far better
    than raw distances (nearest-neighbour out-of-distribution detection, Sun et al. 2022)."""
    features = np.asarray(features, dtype="float32")
    return features / np.maximum(np.linalg.norm(features, axis=-1, keepdims=True), 1e-9)


def first_per_class(labels, per_class, num_classes=10):
    """The indices of the first `per_class` images of each class, in index order: a fixed, balanced sample."""
    chosen = [np.flatnonzero(np.asarray(labels) == label)[:per_class] for label in range(num_classes)]
    return np.sort(np.concatenate(chosen))


def _unit(vector):
    length = float(np.linalg.norm(vector))
    return vector / length if length > 1e-9 else np.array([1.0, 0.0])  # exactly on the centre: any way will do


def _in_chunks(features, images, chunk=2000):
    return np.concatenate([features(images[start:start + chunk])[0] for start in range(0, len(images), chunk)])


def _batch(images):
    images = np.asarray(images, dtype="float32")
    return images[..., None] if images.ndim == 3 else images[None, ..., None] if images.ndim == 2 else images


def _as_list(outputs):
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
