"""The feature map: PCA axes, the Procrustes alignment between epochs, nearest neighbours, and placing a drawing."""

from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image, ImageDraw

from lenet import config
from lenet.data import sources
from lenet.explain import feature_map
from lenet.model import builders
from lenet.serve import inference


def rotation(degrees):
    angle = np.radians(degrees)
    return np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])


@pytest.mark.parametrize("turn", [rotation(37), rotation(-120), rotation(90) @ np.diag([1, -1])],
                         ids=["rotated 37°", "rotated -120°", "reflected"])
def test_procrustes_turns_a_rotated_map_back(turn):
    original = np.random.default_rng(0).normal(size=(500, 2)) * [3.0, 1.0]
    turned = original @ turn
    back = turned @ feature_map.procrustes_rotation(turned, original)
    np.testing.assert_allclose(back, original, atol=1e-9)


def test_each_epoch_is_turned_onto_the_last_epochs_map():
    rng = np.random.default_rng(1)
    plane = rng.normal(size=(300, 2)) * [3.0, 1.0]  # PCA's own axes for these points are the coordinate axes
    plane -= plane.mean(axis=0)  # maps are centred
    features = np.hstack([plane, 0.001 * rng.normal(size=(300, 82))])
    last_epoch = plane @ rotation(50)  # the last epoch's map showed the same points turned by 50°
    on_its_own = feature_map.epoch_positions(features)
    assert np.abs(on_its_own - last_epoch).max() > 1  # PCA alone does not know about the last epoch's turn...
    np.testing.assert_allclose(feature_map.epoch_positions(features, previous=last_epoch), last_epoch, atol=0.01)


def test_principal_axes_find_the_directions_of_most_spread():
    points = np.random.default_rng(3).normal(size=(2000, 5)) * [0.1, 5.0, 0.1, 2.0, 0.1]
    mean, axes = feature_map.principal_axes(points)
    assert axes.shape == (5, 2)
    np.testing.assert_allclose(np.abs(axes[:, 0]), [0, 1, 0, 0, 0], atol=0.02)
    np.testing.assert_allclose(np.abs(axes[:, 1]), [0, 0, 0, 1, 0], atol=0.02)
    assert axes[np.abs(axes).argmax(axis=0), [0, 1]].min() > 0  # signs fixed: largest entry positive


def test_nearest_finds_the_closest_unit_vectors_in_order():
    pool = feature_map.directions(np.random.default_rng(4).normal(size=(1000, 84)))
    query = feature_map.directions(pool[17] + 0.01 * np.random.default_rng(5).normal(size=84))
    indices, distances = feature_map.nearest(query, pool, count=8)
    brute = np.linalg.norm(pool - query, axis=1)
    assert indices[0] == 17
    np.testing.assert_array_equal(indices, np.argsort(brute)[:8])
    np.testing.assert_allclose(distances, np.sort(brute)[:8], atol=1e-5)


def test_neighbour_distances_match_brute_force():
    rng = np.random.default_rng(6)
    pool, vectors = (feature_map.directions(rng.normal(size=shape)) for shape in ((400, 10), (30, 10)))
    expected = [np.sort(np.linalg.norm(pool - vector, axis=1))[7] for vector in vectors]
    np.testing.assert_allclose(feature_map.neighbour_distances(vectors, pool, chunk=7), expected, atol=1e-5)


def test_first_per_class_is_a_fixed_balanced_sample():
    labels = np.array([3, 1, 3, 0, 1, 3, 0, 2, 2, 1])
    assert feature_map.first_per_class(labels, 2, num_classes=4).tolist() == [0, 1, 2, 3, 4, 6, 7, 8]


@pytest.fixture(scope="module")
def little_map():
    """A drawing map of an untrained network over generated images: bars of ten different angles."""
    rng = np.random.default_rng(7)
    def bars(count, label):
        images = np.zeros((count, 28, 28), "float32")
        for image in images:
            angle = np.pi * label / 10 + rng.normal(0, 0.05)
            for step in np.linspace(-9, 9, 40):
                row, column = int(round(14 + step * np.sin(angle))), int(round(14 + step * np.cos(angle)))
                image[max(row - 1, 0):row + 2, max(column - 1, 0):column + 2] = 1.0
        return images * rng.uniform(0.6, 1.0, size=(count, 1, 1)).astype("float32")  # no two alike
    x_train = np.concatenate([bars(30, label) for label in range(10)])
    x_test = np.concatenate([bars(12, label) for label in range(10)])
    splits = SimpleNamespace(x_train=x_train, y_train=np.repeat(np.arange(10), 30),
                             x_test=x_test, y_test=np.repeat(np.arange(10), 12))
    return feature_map.build_drawing_map(builders.build_model(), splits, per_class=12), splits


def test_a_training_image_is_its_own_nearest_neighbour(little_map):
    drawing_map, splits = little_map
    placement = drawing_map.place(splits.x_train[123])
    assert placement.neighbours[0] == 123 and placement.neighbour_distances[0] == pytest.approx(0, abs=1e-3)
    assert len(placement.neighbours) == feature_map.NEIGHBOURS
    assert list(placement.neighbour_distances) == sorted(placement.neighbour_distances)
    assert drawing_map.positions.shape == (120, 2) and set(drawing_map.labels) == set(range(10))


def test_an_unusual_image_lands_farther_out_than_a_usual_one(little_map):
    drawing_map, splits = little_map
    usual = np.median([drawing_map.place(image).strangeness for image in splits.x_test[::5]])
    noise = np.random.default_rng(8).random((28, 28)).astype("float32")
    unusual = drawing_map.place(noise)
    assert unusual.strangeness > 1 > usual
    centre = drawing_map.centre_positions[unusual.nearest_class]
    reach = np.linalg.norm(unusual.position - centre)
    assert reach == pytest.approx(drawing_map.cluster_radii[unusual.nearest_class] * unusual.strangeness, rel=1e-4)
    # Beyond its cluster's edge it goes the way out where the map is emptiest: any other way at the same distance
    # brings it nearer to some map point.
    def clearance(point):
        return np.linalg.norm(drawing_map.positions - point, axis=1).min()
    for angle in np.radians(np.arange(0, 360, 15)):
        other_way = centre + reach * np.array([np.cos(angle), np.sin(angle)])
        assert clearance(unusual.position) >= clearance(other_way) - 1e-6


def canvas(draw_strokes):
    """A 280×280 RGBA canvas image, white ink on black, as the Draw page's canvas returns it."""
    picture = Image.new("RGBA", (280, 280), (0, 0, 0, 255))
    draw_strokes(ImageDraw.Draw(picture))
    return np.asarray(picture)


def star(draw):
    corners = [(140 + 110 * np.cos(-np.pi / 2 + k * 4 * np.pi / 5), 140 + 110 * np.sin(-np.pi / 2 + k * 4 * np.pi / 5))
               for k in range(6)]
    draw.line(corners, fill="white", width=12)


def letter_e(draw):
    # Not an A: the bundled batch-norm model's F6 features put a plain A, H, M and W among its 4s (strangeness 0.3 to
    # 0.7; its likeness detector still refuses each as not a digit), so they cannot show the map moving a drawing out.
    draw.line([(210, 30), (80, 30), (80, 250), (210, 250)], fill="white", width=12)
    draw.line([(80, 140), (180, 140)], fill="white", width=12)


def scribble(draw):
    draw.line([tuple(point) for point in np.random.default_rng(3).uniform(30, 250, (25, 2))], fill="white", width=12,
              joint="curve")


@pytest.mark.slow
@pytest.mark.mnist
def test_drawings_unlike_digits_land_away_from_every_cluster_and_digits_among_their_own():
    splits = sources.load(log=lambda line: None)
    classifier = inference.Classifier(config.BUNDLED_MODEL_PATH)
    drawing_map = feature_map.build_drawing_map(classifier.model, splits)
    spacing = np.sort(np.linalg.norm(drawing_map.positions[:, None] - drawing_map.positions[None], axis=2), axis=1)
    crowded = np.percentile(spacing[:, 5], 99)  # 99% of map points have 5 others within this distance

    def clearance(position):
        return np.sort(np.linalg.norm(drawing_map.positions - position, axis=1))[4]

    for name, strokes in (("a star", star), ("the letter E", letter_e), ("a scribble", scribble)):
        placement = drawing_map.place(classifier.prepare(canvas(strokes)))
        assert placement.strangeness > 1, name
        assert clearance(placement.position) > crowded, name  # in emptier space than 99% of the map's digits...
        assert clearance(placement.plain_position) < crowded, name  # ...where PCA alone would put it in a crowd
    for index in range(5000, 5010):  # test digits not on the map, enlarged onto the canvas like a drawing
        ink = np.kron((splits.x_test[index] * 255).astype("uint8"), np.ones((10, 10), "uint8"))
        placement = drawing_map.place(classifier.prepare(np.dstack([ink, ink, ink, np.full_like(ink, 255)])))
        assert placement.strangeness < 1 and placement.nearest_class == splits.y_test[index]
        assert clearance(placement.position) < crowded
        assert (splits.y_train[placement.neighbours] == splits.y_test[index]).mean() >= 0.75
