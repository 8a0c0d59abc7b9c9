"""Tests for lenet/data/browse.py: selection, paging, class summaries and mosaics, on small arrays."""

import base64
import io

import numpy as np
import pytest
from PIL import Image

from lenet.data import browse

LABELS = np.array([3, 1, 3, 0, 9, 3, 1, 7])


def test_select_indices_keeps_the_chosen_classes_in_dataset_order():
    assert browse.select_indices(LABELS).tolist() == list(range(len(LABELS)))
    assert browse.select_indices(LABELS, [3]).tolist() == [0, 2, 5]
    assert browse.select_indices(LABELS, [1, 9]).tolist() == [1, 4, 6]
    assert browse.select_indices(LABELS, []).tolist() == []


def test_select_indices_can_keep_only_the_misclassified():
    predictions = np.array([3, 7, 3, 0, 4, 8, 1, 7])
    assert browse.select_indices(LABELS, None, predictions, misclassified_only=True).tolist() == [1, 4, 5]
    assert browse.select_indices(LABELS, [3], predictions, misclassified_only=True).tolist() == [5]
    # Predictions alone, without the filter, change nothing.
    assert browse.select_indices(LABELS, [3], predictions).tolist() == [0, 2, 5]


def test_misclassified_only_needs_matching_predictions():
    with pytest.raises(ValueError, match="needs the predictions"):
        browse.select_indices(LABELS, misclassified_only=True)
    with pytest.raises(ValueError, match="differ in shape"):
        browse.select_indices(LABELS, misclassified_only=True, predictions=np.zeros(3))


def test_a_shuffle_seed_gives_a_fixed_random_order_of_the_same_selection():
    labels = np.arange(1000) % 10
    first = browse.select_indices(labels, [3, 4], shuffle_seed=7)
    assert first.tolist() == browse.select_indices(labels, [3, 4], shuffle_seed=7).tolist()
    assert first.tolist() != browse.select_indices(labels, [3, 4], shuffle_seed=8).tolist()
    assert first.tolist() != sorted(first.tolist())
    assert sorted(first.tolist()) == browse.select_indices(labels, [3, 4]).tolist()


def test_pages_split_the_selection_and_cover_it_once():
    indices = np.arange(230)
    assert browse.page_count(230, 100) == 3
    assert browse.page_count(200, 100) == 2
    assert browse.page_count(0, 50) == 1  # an empty selection still has one (empty) page
    pages = [browse.page_of(indices, page, 100) for page in (1, 2, 3)]
    assert [len(page) for page in pages] == [100, 100, 30]
    assert np.concatenate(pages).tolist() == indices.tolist()
    assert len(browse.page_of(indices, 4, 100)) == 0


def test_paging_rejects_bad_numbers():
    with pytest.raises(ValueError, match="page_size"):
        browse.page_count(10, 0)
    with pytest.raises(ValueError, match="counted from 1"):
        browse.page_of(np.arange(10), 0, 5)


def test_class_counts_has_all_ten_digits():
    assert browse.class_counts(LABELS).tolist() == [1, 2, 0, 3, 0, 0, 0, 1, 0, 1]


def test_class_means_average_each_digit_and_leave_absent_digits_black():
    images = np.zeros((4, 2, 2), dtype=np.float32)
    images[0, 0, 0], images[1, 0, 0], images[2, 1, 1], images[3] = 1.0, 0.5, 1.0, 0.25
    means = browse.class_means(images, np.array([5, 5, 2, 2]))
    assert means.shape == (10, 2, 2)
    np.testing.assert_allclose(means[5], [[0.75, 0], [0, 0]])
    np.testing.assert_allclose(means[2], [[0.125, 0.125], [0.125, 0.625]])
    assert not means[[0, 1, 3, 4, 6, 7, 8, 9]].any()


def test_mosaic_places_images_row_by_row_with_gaps():
    images = np.stack([np.full((2, 3), value, dtype=np.float32) for value in (1, 2, 3)])
    grid = browse.mosaic(images, columns=2, gap=1, fill=-1)
    assert grid.shape == (2 * 2 + 1, 2 * 3 + 1)
    np.testing.assert_array_equal(grid[:2, :3], 1)
    np.testing.assert_array_equal(grid[:2, 4:], 2)
    np.testing.assert_array_equal(grid[3:, :3], 3)
    np.testing.assert_array_equal(grid[2], -1)  # the gap between rows
    np.testing.assert_array_equal(grid[:, 3], -1)  # the gap between columns
    np.testing.assert_array_equal(grid[3:, 4:], -1)  # the unused last cell


def test_upscale_repeats_pixels():
    image = np.array([[0, 255], [128, 64]], dtype=np.uint8)
    big = browse.upscale(image[None], 2)[0]
    assert big.dtype == np.uint8
    np.testing.assert_array_equal(big, [[0, 0, 255, 255], [0, 0, 255, 255], [128, 128, 64, 64], [128, 128, 64, 64]])


def test_labelled_mosaic_enlarges_each_digit_and_draws_its_caption_under_it():
    images = np.zeros((3, 28, 28), dtype=np.uint8)
    images[1, 10:20, 5:9] = 255
    picture = browse.labelled_mosaic(images, ["7", "", "2 › 3"], columns=2, scale=2,
                                            caption_colors=["#000000", "#000000", "#ff0000"], gap=6, caption_height=22)
    assert picture.shape == (2 * (56 + 22), 2 * 56 + 6, 3)
    assert picture.dtype == np.uint8
    second = picture[:56, 62:118, 0]  # the second digit, doubled pixel for pixel
    np.testing.assert_array_equal(second, browse.upscale(images[1], 2))
    under_first, under_second = picture[56:78, :56], picture[56:78, 62:118]
    assert (under_first < 100).all(axis=2).any()  # black text for "7"
    assert (under_second == 255).all()  # no caption, nothing drawn
    under_third = picture[78 + 56:, :56].astype(int)
    assert ((under_third[..., 0] > 200) & (under_third[..., 1] < 80)).any()  # red text for the mistake


def test_labelled_mosaic_without_colours_is_grey():
    images = np.zeros((2, 28, 28), dtype=np.uint8)
    picture = browse.labelled_mosaic(images, ["1", "2"], columns=2)
    assert picture.shape == (56 + 22, 2 * 56 + 6)
    assert (picture[:56, :56] == 0).all() and (picture[:56, 56:62] == 255).all()  # a black digit, a white gap
    assert (picture[56:, :56] < 128).any() and (picture[56:, 62:] < 128).any()  # both captions drawn


def test_a_two_line_caption_gets_room_for_both_lines():
    images = np.zeros((2, 28, 28), dtype=np.uint8)
    one_line = browse.labelled_mosaic(images, ["Bag", "Coat"], columns=2, scale=3)
    two_lines = browse.labelled_mosaic(images, ["Bag\n› Coat", "Coat"], columns=2, scale=3)
    assert two_lines.shape[0] == one_line.shape[0] + 22 - 4
    assert (two_lines[84 + 22:, :84] < 128).any()  # the second line is drawn under the first
    assert (two_lines[84 + 22:, 90:] == 255).all()  # a one-line caption leaves the second line empty


def test_caption_layout_enlarges_images_until_the_class_names_fit():
    digits, scale, columns = browse.caption_layout(["3", "7 › 1"], width=986)
    assert (digits, scale, columns) == (["3", "7 › 1"], 2, 16)  # MNIST as before: doubled, 16 to a row
    names = ["T-shirt/top", "Ankle boot", "Bag"]
    captions, scale, columns = browse.caption_layout(names, width=986)
    font = browse.caption_font()
    assert captions == names and scale == 3 and columns == 11
    assert max(font.getlength(name) for name in names) <= 28 * scale


def test_caption_layout_breaks_a_long_prediction_onto_a_second_line():
    captions, scale, _ = browse.caption_layout(["T-shirt/top › Ankle boot", "Bag › Bag"], width=986)
    assert captions == ["T-shirt/top\n› Ankle boot", "Bag\n› Bag"] and scale == 3


def test_a_png_data_uri_decodes_to_the_same_picture():
    picture = np.random.default_rng(0).integers(0, 256, size=(7, 11), dtype=np.uint8)
    uri = browse.png_data_uri(picture)
    assert uri.startswith("data:image/png;base64,")
    decoded = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    assert np.array_equal(np.asarray(decoded), picture)
