"""The Draw page's choices as pure functions, called without AppTest."""

import numpy as np
import pytest

from studio import drawing


@pytest.mark.parametrize(("image", "source", "said"), [
    (None, "Draw", "Draw a digit…"),
    (np.zeros((280, 280, 4), np.uint8), "Draw", "Draw a digit…"),  # every stroke undone: an empty canvas
    (np.full((280, 280, 4), 255, np.uint8), "Draw", "No digit found: draw a bigger, bolder one"),
    (None, "Upload a photo", "Upload a photo or scan of one digit…"),
    (np.ones((20, 20)), "Upload a photo", "No digit found in this image: try a photo with more contrast, the digit "
                                          "filling most of it"),
])
def test_the_prompt_says_what_to_do_next(image, source, said):
    assert drawing.prompt(image, source) == said


def test_an_empty_canvas_with_only_transparency_still_asks_for_a_digit():
    canvas = np.zeros((280, 280, 4), np.uint8)
    canvas[..., 3] = 255  # opaque black, no ink
    assert drawing.prompt(canvas, "Draw") == "Draw a digit…"


def test_the_raw_drawing_is_kept_small_and_grey_with_transparency_read_as_black():
    canvas = np.zeros((280, 280, 4), np.uint8)
    canvas[100:180, 130:150] = (255, 255, 255, 255)  # a white stroke; the rest is transparent
    raw = drawing.raw_drawing(canvas)
    assert raw.shape == (drawing.RAW_SIZE, drawing.RAW_SIZE) and raw.dtype == np.uint8
    assert raw[70, 70] == 255 and raw[10, 10] == 0
    photo = drawing.raw_drawing(np.full((60, 30, 3), 200, np.uint8))  # an RGB upload keeps its shape
    assert photo.shape == (60, 30) and photo.max() == 200


def test_the_layer_captions_say_how_many_maps_of_what_size():
    assert drawing.maps_caption("C1", np.zeros((24, 24, 6))) == "**C1**: 6 maps of 24×24"
    assert drawing.filters_caption(np.zeros((5, 5, 1, 6))).startswith("**C1's learned filters**: 6 kernels of 5×5")


def test_the_likeness_line_is_for_a_digit_like_answer_of_a_model_that_can_judge():
    from types import SimpleNamespace

    from studio import why

    judging = SimpleNamespace(likeness=object(), dataset=SimpleNamespace(noun="digit"))
    digit_like = SimpleNamespace(abstained=False, likeness=63.4)
    assert why.likeness_line(judging, digit_like) == \
        "Digit-likeness 63 of 100 (more typical than 63% of validation digits)."
    assert why.likeness_line(judging, SimpleNamespace(abstained=True, likeness=0.2)) is None  # a warning says more
    assert why.likeness_line(SimpleNamespace(likeness=None, dataset=judging.dataset), digit_like) is None
