"""Tests for lenet/serve/preprocess.py, on small generated drawings (no MNIST download needed)."""

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw
from scipy import ndimage

from lenet import files
from lenet.serve import preprocess
from lenet.serve.preprocess import ImageError, load_image, to_mnist_digit


def draw_seven(canvas_size=(280, 280), left=60, top=40, side=200):
    """A thick white "7" on black, inside the square at (left, top) with the given side."""
    image = Image.new("L", canvas_size, 0)
    draw = ImageDraw.Draw(image)
    width = max(1, side // 8)
    draw.line([(left, top), (left + side, top), (left + side // 3, top + side)], fill=255, width=width)
    return np.asarray(image)


def draw_ring(canvas_size=(280, 280), left=70, top=30, side=200):
    """A thick white "0": an ellipse twice as tall as it is wide."""
    image = Image.new("L", canvas_size, 0)
    ImageDraw.Draw(image).ellipse([left, top, left + side // 2, top + side], outline=255, width=side // 10)
    return np.asarray(image)


def correlation(first, second):
    return np.corrcoef(first.ravel(), second.ravel())[0, 1]


def long_side(digit):
    rows, columns = np.nonzero(digit > 0)
    return max(rows.max() - rows.min() + 1, columns.max() - columns.min() + 1)


def assert_mnist_like(digit):
    assert digit is not None
    assert digit.shape == (28, 28) and digit.dtype == np.float32
    assert digit.min() >= 0.0 and digit.max() <= 1.0
    assert 19 <= long_side(digit) <= 20
    centre_row, centre_column = ndimage.center_of_mass(digit)
    assert abs(centre_row - 14) <= 1 and abs(centre_column - 14) <= 1


def image_bytes(array, image_format, **options):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=image_format, **options)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def seven():
    return to_mnist_digit(draw_seven())


def test_a_drawing_becomes_an_mnist_style_digit(seven):
    assert_mnist_like(seven)
    assert seven.max() == pytest.approx(1.0)


@pytest.mark.parametrize("draw", [draw_seven, draw_ring])
def test_position_on_the_canvas_does_not_matter(draw):
    centre = to_mnist_digit(draw(left=40, top=40))
    corner = to_mnist_digit(draw(canvas_size=(500, 400), left=5, top=190))
    assert_mnist_like(corner)
    assert correlation(centre, corner) > 0.95
    assert np.abs(centre - corner).max() < 0.3


def test_a_tiny_digit_is_enlarged(seven):
    tiny = to_mnist_digit(draw_seven(canvas_size=(400, 400), left=300, top=50, side=10))
    assert_mnist_like(tiny)
    assert correlation(seven, tiny) > 0.8  # A 10-pixel drawing has lost some detail.


def test_a_huge_image_is_reduced(seven):
    huge = to_mnist_digit(draw_seven(canvas_size=(3000, 3000), left=400, top=300, side=2200))
    assert_mnist_like(huge)
    assert correlation(seven, huge) > 0.95


def test_thin_one_is_not_empty_and_keeps_its_aspect_ratio():
    one = np.zeros((280, 280), np.uint8)
    one[40:240, 139:142] = 255
    digit = to_mnist_digit(one)
    assert_mnist_like(digit)
    rows, columns = np.nonzero(digit > 0.05)
    assert rows.max() - rows.min() + 1 == 20
    assert columns.max() - columns.min() + 1 <= 4  # widened to an MNIST pen, still a narrow upright stroke
    assert digit.max() == pytest.approx(1.0)  # Thin, but as bright as MNIST's strokes.


def draw_polyline(points, pen, canvas_size=280):
    image = Image.new("L", (canvas_size, canvas_size), 0)
    ImageDraw.Draw(image).line(points, fill=255, width=pen, joint="curve")
    return np.asarray(image)


SIX_STROKE = [(190, 40), (110, 60), (80, 140), (90, 210), (140, 240), (185, 210), (185, 160), (140, 140), (95, 165)]


def test_a_thin_pen_is_widened_to_an_mnist_pen():
    thin, wide = to_mnist_digit(draw_polyline(SIX_STROKE, pen=4)), to_mnist_digit(draw_polyline(SIX_STROKE, pen=40))
    assert_mnist_like(thin)
    # The same 6 drawn with a 4-pixel pen (under 1 pixel of the 20-pixel box) comes out with an MNIST writer's stroke
    # width, about the share USUAL_PEN_SHARE of the box.
    assert preprocess.pen_width(thin) == pytest.approx(preprocess.USUAL_PEN_SHARE * preprocess.DIGIT_BOX, rel=0.25)
    assert preprocess.pen_width(wide) > preprocess.pen_width(thin)
    assert correlation(thin, wide) > 0.8


@pytest.mark.parametrize("pen", [30, 40])
def test_a_pen_within_mnist_writers_range_is_left_as_drawn(pen):
    # The 6 drawn with a pen about 0.10 of its longer side (MNIST's writers' median) or 0.15 (the slider's widest):
    # MNIST's writers drew with such pens, so the strokes are scaled as they are, neither widened nor thinned.
    steps = preprocess.to_mnist_digit_steps(draw_polyline(SIX_STROKE, pen=pen))
    box = steps.ink[steps.box[0]:steps.box[1], steps.box[2]:steps.box[3]]
    assert preprocess.MIN_PEN_SHARE < preprocess.pen_width(box) / max(box.shape) < preprocess.MAX_PEN_SHARE
    assert np.array_equal(steps.scaled, preprocess._scale_to_box(box))


def loop_count(digit):
    """The pieces of background that the ink closes in: a 6 has one, an 8 two."""
    background, pieces = ndimage.label(digit < 0.5)
    at_the_border = set(np.concatenate([background[0], background[-1], background[:, 0], background[:, -1]]).tolist())
    return len(set(range(1, pieces + 1)) - at_the_border)


def test_a_small_digit_drawn_with_a_thick_pen_is_thinned_and_its_loop_opens_again(monkeypatch):
    # The 6 a quarter of its size (about 55 pixels high) with the canvas's 20-pixel pen: its strokes are a third of its
    # height wide and fill its loop. Thinned to an MNIST pen along the same paths, the loop is open again.
    small_six = draw_polyline([(100 + x / 4, 100 + y / 4) for x, y in SIX_STROKE], pen=20)
    thinned = to_mnist_digit(small_six)
    assert_mnist_like(thinned)
    assert preprocess.pen_width(thinned) <= preprocess.MAX_PEN_SHARE * preprocess.DIGIT_BOX
    assert loop_count(thinned) == 1
    monkeypatch.setattr(preprocess, "MAX_PEN_SHARE", 1.0)  # as drawn: none thinned
    as_drawn = to_mnist_digit(small_six)
    assert loop_count(as_drawn) == 0 and preprocess.pen_width(as_drawn) > preprocess.pen_width(thinned) * 1.3


def test_thinning_leaves_the_core_of_a_blob():
    blob = np.zeros((280, 280), np.uint8)
    blob[100:160, 110:150] = 255  # a filled box: its "pen" is as wide as itself
    digit = to_mnist_digit(blob)
    assert_mnist_like(digit)
    assert (digit > 0.5).sum() >= 20  # eroded, never erased


def test_the_pen_width_of_a_bar_is_its_width():
    bar = np.zeros((60, 60), np.float32)
    bar[5:55, 20:26] = 1.0
    assert preprocess.pen_width(bar) == pytest.approx(6, rel=0.15)  # its ends add to the outline: a little less
    bar[5:55, 21:26] = 0.4  # faint ink is not counted
    assert preprocess.pen_width(bar) == pytest.approx(1, rel=0.15)


def test_dark_ink_on_white_is_inverted(seven):
    inverted = to_mnist_digit(255 - draw_seven())
    assert correlation(seven, inverted) > 0.95


def test_rgb_and_pil_and_float_inputs_agree(seven):
    grey = draw_seven()
    rgb = np.stack([grey] * 3, axis=-1)
    for same in (rgb, Image.fromarray(rgb), Image.fromarray(grey), grey / 255.0):
        assert np.allclose(to_mnist_digit(same), seven, atol=1e-4)


def test_transparent_canvas_matches_an_opaque_one(seven):
    grey = draw_seven()
    white = np.full_like(grey, 255)
    # A fresh drawing canvas: white strokes, fully transparent (and black) where nothing was drawn.
    canvas = np.stack([white * (grey > 0), white * (grey > 0), white * (grey > 0), grey], axis=-1)
    assert correlation(seven, to_mnist_digit(canvas)) > 0.95
    # A logo-style PNG: black strokes on a transparent background.
    black_ink = np.stack([np.zeros_like(grey)] * 3 + [grey], axis=-1)
    assert correlation(seven, to_mnist_digit(black_ink)) > 0.95
    opaque = np.stack([grey, grey, grey, white], axis=-1)
    assert np.allclose(to_mnist_digit(opaque), seven, atol=1e-4)


def test_far_specks_are_ignored(seven):
    speckled = draw_seven().copy()
    speckled[5, 5] = speckled[270:272, 8:10] = speckled[275, 270] = 255
    speckled[150, 272] = 200
    assert correlation(seven, to_mnist_digit(speckled)) > 0.98


def test_small_pieces_near_the_digit_are_kept():
    broken = np.zeros((280, 280), np.uint8)
    broken[40:240, 130:150] = 255  # The main stroke: 4000 pixels.
    broken[40:52, 156:168] = 255  # A nearby piece of 144 pixels, under 5% of the stroke.
    with_piece = to_mnist_digit(broken)
    broken[40:52, 156:168] = 0
    assert np.abs(with_piece - to_mnist_digit(broken)).max() > 0.5


def test_a_photo_of_paper_with_shade_and_noise_works(seven):
    random = np.random.default_rng(0)
    ink = draw_seven(canvas_size=(600, 800), left=150, top=150, side=400) / 255.0
    rows, columns = np.mgrid[0:800, 0:600]
    paper = 0.95 - 0.2 * columns / 600 - 0.1 * rows / 800 + random.normal(0, 0.03, ink.shape)
    photo = np.clip(paper * (1 - ink) + 0.15 * ink, 0, 1)
    assert correlation(seven, to_mnist_digit((photo * 255).astype(np.uint8))) > 0.95
    assert to_mnist_digit((np.clip(paper, 0, 1) * 255).astype(np.uint8)) is None


def blank_images():
    specks = np.zeros((280, 280), np.uint8)
    specks[30, 40] = specks[200, 210] = 255
    return {
        "black": np.zeros((280, 280), np.uint8),
        "white": np.full((280, 280, 3), 255, np.uint8),
        "transparent": np.zeros((280, 280, 4), np.uint8),
        "grey float": np.full((50, 60), 0.4),
        "two specks": specks,
        "specks on white": 255 - specks,
    }


@pytest.mark.parametrize("name", blank_images())
def test_blank_images_have_no_digit(name):
    assert to_mnist_digit(blank_images()[name]) is None


def test_many_images_become_their_digits_in_order_the_blank_ones_left_out():
    blank = np.zeros((280, 280), dtype=np.uint8)
    digits = preprocess.to_mnist_digits(iter([draw_seven(), blank, draw_ring()]))
    assert digits.shape == (2, 28, 28)
    assert np.array_equal(digits[0], to_mnist_digit(draw_seven()))
    assert np.array_equal(digits[1], to_mnist_digit(draw_ring()))
    assert preprocess.to_mnist_digits([blank]).shape == (0, 28, 28)


def test_prepared_drawings_are_cached_under_a_name_that_changes_with_how_they_are_drawn_and_prepared(
        tmp_path, monkeypatch):
    monkeypatch.setenv("LENET_CACHE_DIR", str(tmp_path))
    path = preprocess.cache_path("outlier-bank", "scrawls", 1, 4000, 7)
    assert path.parent == tmp_path / "outlier-bank" and path.suffix == ".npz"
    others = {preprocess.cache_path("outlier-bank", "scrawls", 2, 4000, 7),
              preprocess.cache_path("outlier-bank", "scrawls", 1, 3000, 7),
              preprocess.cache_path("outlier-bank", "scrawls", 1, 4000, 8),
              preprocess.cache_path("outlier-bank", "bank", 1, 4000, 7),
              preprocess.cache_path("outlier-bank", "scrawls", 1, 4000, 7, suffix="-doodles")}
    monkeypatch.setattr(preprocess, "PREPARATION_VERSION", preprocess.PREPARATION_VERSION + 1)
    others.add(preprocess.cache_path("outlier-bank", "scrawls", 1, 4000, 7))
    assert path not in others and len(others) == 6


@pytest.mark.parametrize("shape", [(28,), (10, 10, 2), (0, 5), (4, 4, 5)])
def test_wrong_array_shapes_are_refused(shape):
    with pytest.raises(ImageError, match="shape"):
        to_mnist_digit(np.zeros(shape, np.uint8))


@pytest.mark.parametrize("image_format", ["PNG", "JPEG", "BMP", "GIF"])
def test_load_image_reads_each_format(seven, image_format):
    loaded = load_image(image_bytes(draw_seven(), image_format))
    assert loaded.shape == (280, 280)
    assert correlation(seven, to_mnist_digit(loaded)) > 0.95


def test_load_image_reads_paths_and_uploaded_files(tmp_path, seven):
    data = image_bytes(np.stack([255 - draw_seven()] * 3, axis=-1), "PNG")
    path = tmp_path / "seven.png"
    path.write_bytes(data)
    upload = io.BytesIO(data)
    upload.name = "seven.png"
    for source in (path, str(path), upload):
        assert correlation(seven, to_mnist_digit(load_image(source))) > 0.95


def test_load_image_reads_16_bit_grey(seven):
    loaded = load_image(image_bytes(draw_seven().astype(np.uint16) * 257, "PNG"))
    assert correlation(seven, to_mnist_digit(loaded)) > 0.99


def test_load_image_keeps_transparency(seven):
    grey = draw_seven()
    canvas = np.stack([np.full_like(grey, 255)] * 3 + [grey], axis=-1)
    loaded = load_image(image_bytes(canvas, "PNG"))
    assert loaded.shape == (280, 280, 4)
    assert correlation(seven, to_mnist_digit(loaded)) > 0.95


def test_load_image_uses_the_first_frame_of_an_animated_gif():
    frames = [Image.fromarray(draw_seven()), Image.fromarray(np.zeros((280, 280), np.uint8))]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    assert to_mnist_digit(load_image(buffer.getvalue())) is not None


def test_a_text_file_named_png_is_refused(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("this is not an image", encoding="utf-8")
    with pytest.raises(ImageError, match="could not read 'notes.png' as an image"):
        load_image(path)
    with pytest.raises(ImageError, match="could not read"):
        load_image(b"this is not an image")


def test_missing_files_and_other_formats_are_refused(tmp_path):
    with pytest.raises(ImageError, match="missing.png"):
        load_image(tmp_path / "missing.png")
    with pytest.raises(ImageError, match="TIFF"):
        load_image(image_bytes(draw_seven(), "TIFF"))
    with pytest.raises(ImageError, match="expected a path"):
        load_image(12)


def test_oversized_images_are_refused(monkeypatch):
    with pytest.raises(ImageError, match="4097×10 pixels; the limit is 4096×4096"):
        load_image(image_bytes(np.zeros((10, 4097), np.uint8), "PNG"))
    with pytest.raises(ImageError, match="over the 10 MB limit"):
        load_image(b"\0" * (preprocess.MAX_UPLOAD_BYTES + 1))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # Pillow's own guard against decompression bombs.
    with pytest.raises(ImageError, match="could not read"):
        load_image(image_bytes(np.zeros((100, 100), np.uint8), "PNG"))


def test_large_files_are_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(preprocess, "MAX_UPLOAD_BYTES", 100)
    path = tmp_path / "big.bmp"
    path.write_bytes(image_bytes(draw_seven(), "BMP"))
    with pytest.raises(ImageError, match="'big.bmp' is over the"):
        load_image(path)


@pytest.mark.mnist
@pytest.mark.parametrize("pen_shares, lowest", [((0.0, 1.0), 0.9),
                                                 ((preprocess.MIN_PEN_SHARE, preprocess.MAX_PEN_SHARE), 0.8)])
def test_real_mnist_digits_survive_enlarging_and_preprocessing(monkeypatch, pen_shares, lowest):
    path = files.data_cache_dir("mnist") / "t10k-images-idx3-ubyte"
    if not path.exists():
        pytest.skip(f"no MNIST cache at {path}")
    # Without widening or thinning, the steps remake MNIST's own digits; with them, MNIST's thinnest pens come out a
    # little wider and its thickest a little thinner.
    monkeypatch.setattr(preprocess, "MIN_PEN_SHARE", pen_shares[0])
    monkeypatch.setattr(preprocess, "MAX_PEN_SHARE", pen_shares[1])
    digits = np.frombuffer(path.read_bytes()[16:], np.uint8).reshape(-1, 28, 28)[:50]
    scores = []
    for digit in digits:
        result = to_mnist_digit(np.kron(digit, np.ones((10, 10), np.uint8)))
        # MNIST placed digits to the nearest pixel, so allow a one-pixel difference in placement.
        shifts = [(down, right) for down in (-1, 0, 1) for right in (-1, 0, 1)]
        scores.append(max(correlation(np.roll(result, shift, axis=(0, 1)), digit) for shift in shifts))
    assert min(scores) > lowest


# Issue 12: an upload's pixels are bounded before numpy sees them, and only regular files are read.

def test_a_4096_pixel_rgba_upload_is_reduced_while_still_in_pillow():
    side = preprocess.MAX_IMAGE_SIDE
    canvas = Image.new("RGBA", (side, side), (0, 0, 0, 0))  # a transparent canvas, white ink, as a drawing is
    ImageDraw.Draw(canvas).line([(800, 600), (3200, 600), (1600, 3400)], fill=(255, 255, 255, 255), width=300)
    upload = io.BytesIO()
    canvas.save(upload, "PNG")
    assert len(upload.getvalue()) < 200_000  # tens of kilobytes that decode into 64 MB
    array = load_image(upload.getvalue())
    assert array.shape == (preprocess.WORKING_SIDE, preprocess.WORKING_SIDE, 4)  # 4 MB: the float copies stay small
    full = to_mnist_digit(np.asarray(canvas))  # what the whole-size path computes, for comparison
    assert correlation(to_mnist_digit(array), full) > 0.99


def test_a_large_jpeg_decodes_at_a_reduced_scale():
    photo = Image.fromarray(255 - draw_seven(canvas_size=(4000, 3000), left=900, top=500, side=2000)).convert("RGB")
    upload = io.BytesIO()
    photo.save(upload, "JPEG", quality=90)
    array = load_image(upload.getvalue())
    assert max(array.shape) <= preprocess.WORKING_SIDE and array.ndim == 2
    assert correlation(to_mnist_digit(array), to_mnist_digit(np.asarray(photo.convert("L")))) > 0.98


def test_a_fifo_or_a_folder_is_refused_at_once(tmp_path):
    import os
    import threading

    fifo = tmp_path / "digit.png"
    os.mkfifo(fifo)
    # Before the fix, reading waited for a writer; this one writes a good image after a while, so the test ends
    # either way, and only an immediate refusal passes.
    def late_writer():
        import time

        time.sleep(3)
        try:
            descriptor = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            return  # nobody is reading any more: the refusal came first
        with os.fdopen(descriptor, "wb") as writer:
            writer.write(image_bytes(draw_seven(), "PNG"))

    threading.Thread(target=late_writer, daemon=True).start()
    with pytest.raises(ImageError, match="digit.png is a pipe; give a regular file"):
        load_image(fifo)
    with pytest.raises(ImageError, match="is a folder"):
        load_image(tmp_path)


def test_the_steps_show_the_box_the_scaled_digit_and_the_shift():
    drawing = draw_seven(left=20, top=30, side=120).copy()  # a small 7 near the top left, a speck far from it
    drawing[270, 270] = 255
    steps = preprocess.to_mnist_digit_steps(drawing)
    top, bottom, left, right = steps.box
    assert 20 <= top <= 30 and 145 <= bottom <= 160 and 12 <= left <= 20 and 135 <= right <= 150  # the pen is 15 wide
    assert steps.ink[270, 270] == 0 and steps.ink[top:bottom, left:right].max() == 1.0  # the speck is dropped
    assert max(steps.scaled.shape) == 20 and steps.scaled.max() == 1.0
    row, column = steps.offset
    assert np.array_equal(steps.digit[row:row + steps.scaled.shape[0], column:column + steps.scaled.shape[1]],
                          steps.scaled)
    assert np.array_equal(steps.digit, to_mnist_digit(drawing))  # one implementation: the same digit
    assert preprocess.to_mnist_digit_steps(np.zeros((280, 280), np.uint8)) is None
