"""Turn any image into an MNIST-style digit, the way MNIST itself was made.

MNIST digits were cropped to their ink, scaled with anti-aliasing so the longer side is 20 pixels,
and placed in a 28x28 frame with the centre of mass at pixel (14, 14). `to_mnist_digit` repeats those
steps for a canvas drawing, a photo or a scan, after finding the ink and dropping stray specks, and brings a pen much
thinner or thicker than MNIST writers' to their usual width.
"""

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps
from scipy import ndimage

from lenet import files

DIGIT_BOX = 20  # MNIST scaled each digit so its longer side fits 20 pixels...
FRAME = 28  # ...and centred it in a 28x28 frame.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # A phone photo is a few MB; more is a mistake or an attack.
MAX_IMAGE_SIDE = 4096  # Decoding is refused above this, so a small file cannot expand into gigabytes.
WORKING_SIDE = 1024  # Larger images are first averaged down to about this size: 50 times the final digit is plenty.
SUPPORTED_FORMATS = ("PNG", "JPEG", "BMP", "GIF")

MIN_CONTRAST = 0.25  # Ink must differ from the background by this much (0..1), or the image is blank.
NOISE_FLOOR = 0.25  # Intensities under this fraction of the strongest ink are paper texture or shadow.
NOISE_SIGMAS = 4.0  # ...and so is anything within this many noise deviations of the background.
INK_PERCENTILE = 90  # Ink at least this strong (a percentile of the ink) counts as full ink.
SPECK_FRACTION = 0.08  # A piece with fewer pixels than this fraction of the largest piece may be a speck...
NEAR_FRACTION = 0.1  # ...and is dropped unless it lies inside the digit's box grown by this fraction of its size.
# A speck inside the box hardly changes the result; one outside would stretch the box and move the centre.
MIN_EXTENT_PIXELS = 3  # Ink smaller than this in both directions is a speck, not a digit...
MIN_EXTENT_FRACTION = 0.02  # ...as is ink smaller than this fraction of the image's longer side.
# Draw's canvas and MNIST's writers hold pens of different widths, as a share of the digit's longer side: MNIST's run
# from 0.07 to 0.15 (5th to 95th percentile of its training digits; median 0.10, about 2 pixels of its 20-pixel box).
# A pen from MIN_PEN_SHARE to MAX_PEN_SHARE is left as drawn; one outside them is brought to USUAL_PEN_SHARE along the
# strokes' own paths.
USUAL_PEN_SHARE = 0.12
# Thinner is widened: the canvas's thinnest pen draws a digit in lines under a pixel of the box, and a network trained
# on MNIST reads them less well (thin-pen 6s were read as 5s). Widened to 0.12 (2.4 pixels of 20), 99.8% of
# stroke-drawn digits were read right where the drawing as it came read 98.2% (BENCHMARKS.md, "What each setting
# bought"). Widening every pen under 0.12 also widened most of MNIST's own digits drawn big, which the detector then
# found less like a digit: 1.00% of its test set abstained, against 0.78% where widening starts below 0.08
# (BENCHMARKS.md, "Reading drawings: MNIST's own pens left as drawn").
MIN_PEN_SHARE = 0.08
# Thicker is thinned. About 3% of MNIST's training digits are drawn thicker than this (99% under 0.18), but a digit
# drawn small with the canvas's 20-pixel pen is: a 5 a fifth of the canvas high has strokes a third of its height
# wide, its loops nearly filled. Thinned, the bench's digits drawn 15-35% of the canvas high with that pen were read
# right 99.0%, against 88.4% as drawn (BENCHMARKS.md, "Reading drawings: a thick pen thinned").
MAX_PEN_SHARE = 0.16
MAX_EROSION_SHARE = 0.75  # thinning takes at most this share of the thickest part's half width: a blob keeps a core
# Bumped when a change to these steps changes what a drawing becomes: cache_path names it, so that nothing prepared the
# old way is read back as if prepared the new way.
# 2: thin pens widened; 3: thick pens thinned (MAX_PEN_SHARE); 4: pens within MNIST's range left as drawn
PREPARATION_VERSION = 4
MIN_PEN_GROWTH = 1.0  # pixels of the image each side; less is not worth a distance transform


class ImageError(ValueError):
    """The image cannot be used: unreadable, an unsupported format, too big, or an unexpected shape."""


def load_image(source):
    """Read a path, bytes or an uploaded file into a uint8 array: (H, W) grey, or (H, W, 4) if it has transparency."""
    name, data = _read_bytes(source)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImageError(f"'{name}' is over the {MAX_UPLOAD_BYTES / 2**20:g} MB limit for images")
    try:
        # Pillow raises DecompressionBombError itself for huge images; the ones it only warns about are far
        # over MAX_IMAGE_SIDE and refused below, without touching the global (and thread-unsafe) warning filters.
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in SUPPORTED_FORMATS:
                raise ImageError(f"'{name}' is {image.format}; use one of {', '.join(SUPPORTED_FORMATS)}")
            width, height = image.size  # Known from the header, before the pixels are decoded.
            if max(width, height) > MAX_IMAGE_SIDE:
                raise ImageError(f"'{name}' is {width}×{height} pixels; the limit is {MAX_IMAGE_SIDE}×{MAX_IMAGE_SIDE}")
            image.seek(0)  # The first frame of an animated GIF.
            return _pil_to_array(ImageOps.exif_transpose(_reduced(image)))  # Phone photos are often stored sideways.
    except ImageError:
        raise
    except Image.UnidentifiedImageError:
        raise ImageError(f"could not read '{name}' as an image: it is not a PNG, JPEG, BMP or GIF file") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise ImageError(f"could not read '{name}' as an image: {error}") from error


def _reduced(image):
    """The image averaged down to about WORKING_SIDE pixels a side while still in Pillow, before numpy sees it.

    A 4096×4096 RGBA upload is 64 MB as decoded bytes, and was four times that again as floats on every rerun;
    reduced first, one upload costs its decoding and about 16 MB after it. JPEGs decode straight at a smaller
    scale. The result matches what _shrink_if_huge would compute from the full image, up to rounding.
    """
    image.draft(image.mode, (WORKING_SIDE, WORKING_SIDE))  # JPEG only: decode at 1/2, 1/4 or 1/8 scale
    factor = -(-max(image.size) // WORKING_SIDE)  # Rounded up, as _shrink_if_huge does.
    if factor == 1:
        return image
    if image.mode.startswith("I"):
        image = image.convert("I")  # 16-bit grey: reduce averages 32-bit integers, keeping the depth
    elif image.mode not in ("L", "LA", "RGB", "RGBA"):
        image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info else "RGB")
    return image.reduce(factor)


def to_mnist_digit(image):
    """Return the digit in `image` as a (28, 28) float32 array in [0, 1], bright ink on dark, or None if there is none.

    `image` is a PIL image or an array of shape (H, W), (H, W, 3) or (H, W, 4), uint8 or float in [0, 1].
    """
    steps = to_mnist_digit_steps(image)
    return None if steps is None else steps.digit


def to_mnist_digits(images):
    """The digits of `images` (any iterable of what to_mnist_digit takes), as an (N, 28, 28) array in their order;
    an image that holds no digit is left out, so N can be smaller than the count of images, or 0."""
    digits = [digit for digit in map(to_mnist_digit, images) if digit is not None]
    return np.stack(digits) if digits else np.empty((0, FRAME, FRAME), dtype=np.float32)


@dataclass(frozen=True)
class DigitSteps:
    """The intermediate images of `to_mnist_digit`, for showing how a drawing becomes MNIST's 28×28."""
    ink: np.ndarray  # (H, W) ink in [0, 1] found in the image (after stray specks are dropped), ink = 1
    box: tuple  # (top, bottom, left, right) of the ink in `ink`, the ends exclusive
    scaled: np.ndarray  # the ink's box scaled so its longer side is DIGIT_BOX pixels
    offset: tuple  # (top, left) where `scaled` was placed in the 28×28 frame to centre its mass
    digit: np.ndarray  # (28, 28) the result


def cache_path(folder, kind, version, count, seed, suffix=""):
    """Where `count` drawings of `kind` (drawn by code at `version`, from `seed`) are kept once prepared, under the
    data cache's `folder`. The name says what drew them and how they were prepared (PREPARATION_VERSION), so that a
    change to either makes a new file instead of reading old drawings back."""
    return files.data_cache_dir(folder) / f"{kind}-v{version}.{PREPARATION_VERSION}-{count}-{seed}{suffix}.npz"


def to_mnist_digit_steps(image):
    """`to_mnist_digit` step by step: a DigitSteps, or None if the image holds no digit."""
    grey = _shrink_if_huge(_grey_level(as_float_array(image)))
    ink = _ink_intensity(grey)
    if ink is None:
        return None
    top, bottom, left, right = _ink_box(ink)
    cropped, largest_extent = _drop_specks(ink[top:bottom, left:right])
    if largest_extent < max(MIN_EXTENT_PIXELS, MIN_EXTENT_FRACTION * max(grey.shape)):
        return None
    ink = np.zeros_like(ink)
    ink[top:bottom, left:right] = cropped
    box = _ink_box(ink)  # dropping specks may have shrunk it
    scaled = _scale_to_box(_usual_pen(ink[box[0]:box[1], box[2]:box[3]]))
    offset = _centre_offset(scaled)
    digit = np.zeros((FRAME, FRAME), np.float32)
    digit[offset[0]:offset[0] + scaled.shape[0], offset[1]:offset[1] + scaled.shape[1]] = scaled
    return DigitSteps(ink=ink, box=box, scaled=scaled, offset=offset, digit=digit)


def _read_bytes(source):
    """Return (a name for messages, the file's bytes) for a path, bytes or a file-like object."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return "uploaded image", bytes(source)
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:  # A regular file only: reading a FIFO would wait forever for a writer.
            with files.open_regular_file(path) as file:
                return path.name, file.read(MAX_UPLOAD_BYTES + 1)  # Enough to tell that a file is too big.
        except OSError as error:
            raise ImageError(f"could not read '{path.name}': {error.strerror or error}") from error
        except files.StorageError as error:
            raise ImageError(str(error)) from None
    if hasattr(source, "getvalue") or hasattr(source, "read"):
        name = Path(getattr(source, "name", None) or "uploaded image").name
        data = source.getvalue() if hasattr(source, "getvalue") else source.read(MAX_UPLOAD_BYTES + 1)
        return name, bytes(data)
    raise ImageError(f"expected a path, bytes or an uploaded file, got {type(source).__name__}")


def _pil_to_array(image):
    """A uint8 array: RGBA if the image has any transparency, otherwise grey."""
    if image.mode.startswith("I"):  # 16-bit grey, as some scanners write; Pillow's "L" would clip it at 255.
        return np.clip(np.asarray(image, np.float32) / 257, 0, 255).astype(np.uint8)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    return np.asarray(image.convert("RGBA" if has_alpha else "L"))


def as_float_array(image):
    """Any supported image as a float32 array in [0, 1] of shape (H, W), (H, W, 3) or (H, W, 4)."""
    if isinstance(image, Image.Image):
        image = _pil_to_array(image)
    array = np.asarray(image)
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)) or 0 in array.shape:
        raise ImageError(f"expected an image of shape (H, W), (H, W, 3) or (H, W, 4), got {array.shape}")
    if array.dtype == np.uint8:
        return np.multiply(array, np.float32(1 / 255), dtype=np.float32)
    array = np.nan_to_num(array.astype(np.float32))
    return array / 255.0 if array.max() > 1.0 else array  # Floats over 1 must be on the 0..255 scale.


def _grey_level(array):
    """Grey brightness in [0, 1]; transparent pixels take the background's colour, opposite to the opaque ink."""
    if array.ndim == 2:
        return array
    grey = array[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)  # ITU-R 601 luma, as PIL's "L".
    if array.shape[2] == 3:
        return grey
    alpha = array[..., 3]
    visible = grey * alpha
    coverage = alpha.sum()
    # A fresh drawing canvas is transparent black with opaque white strokes; a logo-style PNG is the reverse.
    if coverage > 0 and visible.sum() / coverage > 0.5:
        return visible  # Over a black background.
    return visible + (1.0 - alpha)  # Over a white background.


def _shrink_if_huge(grey):
    """Average blocks of pixels so the longer side is at most about WORKING_SIDE; small images pass unchanged."""
    factor = -(-max(grey.shape) // WORKING_SIDE)  # Rounded up.
    if factor == 1:
        return grey
    height, width = grey.shape[0] // factor * factor, grey.shape[1] // factor * factor
    return grey[:height, :width].reshape(height // factor, factor, width // factor, factor).mean(axis=(1, 3))


def _ink_intensity(grey):
    """Ink in [0, 1] (ink = 1) with the background at 0, or None if there is no visible ink."""
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    background = np.median(border)
    # The ink is whichever extreme lies further from the background: dark on paper, bright on a canvas.
    signal = background - grey if background - grey.min() > grey.max() - background else grey - background
    strongest = signal.max()
    noise = 1.4826 * np.median(np.abs(border - background))  # Robust standard deviation of the background.
    floor = max(NOISE_FLOOR * strongest, NOISE_SIGMAS * noise)
    if strongest < MIN_CONTRAST or strongest <= floor:
        return None
    # Strong ink becomes 1, as in MNIST, where the cores of strokes are saturated.
    inked = signal[signal > floor]
    position = len(inked) * INK_PERCENTILE // 100
    strong = np.partition(inked, position)[position]  # np.percentile, without its overhead.
    ink = np.clip(signal / strong, 0.0, 1.0)
    ink[signal <= floor] = 0.0
    return ink


def _ink_box(ink):
    """The smallest rectangle holding all the ink: (top, bottom, left, right), the ends exclusive."""
    rows, columns = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(columns[0]), int(columns[-1]) + 1


def _drop_specks(ink):
    """Remove small pieces of ink far from the main ones; small pieces near the digit may be parts of it.

    Returns the cleaned ink and the longer side of the largest piece, which tells a digit from a speck.
    """
    labels, _ = ndimage.label(ink > 0, structure=np.ones((3, 3)))
    sizes = np.bincount(labels.ravel())[1:]  # Pixels per piece; label 0 is the background.
    # Each piece's box as [[top, bottom], [left, right]], the ends exclusive.
    boxes = np.array([[[s.start, s.stop] for s in box] for box in ndimage.find_objects(labels)])
    largest = np.argmax(sizes)
    largest_extent = (boxes[largest, :, 1] - boxes[largest, :, 0]).max()
    big = sizes >= SPECK_FRACTION * sizes[largest]
    main_start, main_end = boxes[big, :, 0].min(axis=0), boxes[big, :, 1].max(axis=0)  # (row, column) pairs.
    margin = NEAR_FRACTION * (main_end - main_start).max()
    middles = boxes.mean(axis=2)
    near = np.all((middles >= main_start - margin) & (middles <= main_end + margin), axis=1)
    keep = big | near
    if keep.all():
        return ink, largest_extent
    return np.where(np.concatenate([[False], keep])[labels], ink, 0.0), largest_extent


def pen_width(ink):
    """The strokes' width in pixels: twice the inked area over its outline's length (a stroke of length L and width
    w covers L·w pixels inside an outline of about 2·L)."""
    inked = np.pad(ink > 0.5, 1).astype(np.int8)
    outline = np.abs(np.diff(inked, axis=0)).sum() + np.abs(np.diff(inked, axis=1)).sum()
    return 2.0 * inked.sum() / max(int(outline), 1)


def _usual_pen(ink):
    """The ink of a digit's box with its strokes at an MNIST writer's width: brought to USUAL_PEN_SHARE of the box's
    longer side where thinner than MIN_PEN_SHARE or thicker than MAX_PEN_SHARE, else as drawn; cropped to its own
    box."""
    width, longer = pen_width(ink), max(ink.shape)
    usual = USUAL_PEN_SHARE * longer
    if width > MAX_PEN_SHARE * longer:  # thinned, the box shrinks as well: USUAL_PEN_SHARE of the new box
        return _thinned_pen(ink, (width - usual) / (2 * (1 - USUAL_PEN_SHARE)))
    growth = (usual - width) / 2
    return _widened_pen(ink, growth) if width < MIN_PEN_SHARE * longer and growth >= MIN_PEN_GROWTH else ink


def _thinned_pen(ink, erosion):
    """The strokes eroded by `erosion` pixels each side, as a thinner round pen would have drawn them along the same
    paths; no more than MAX_EROSION_SHARE of the thickest part's half width, so a blob keeps its core."""
    inside = ndimage.distance_transform_edt(np.pad(ink >= 0.5, 1))[1:-1, 1:-1]  # to the nearest pixel without ink
    thinned = np.clip(inside - min(erosion, MAX_EROSION_SHARE * inside.max()), 0.0, 1.0)  # the new edge anti-aliased
    top, bottom, left, right = _ink_box(thinned)
    return thinned[top:bottom, left:right]


def _widened_pen(ink, growth):
    """The strokes widened by `growth` pixels each side, as a wider round pen would have drawn them; the result is
    cropped to its own (larger) box."""
    padded = np.pad(ink, int(np.ceil(growth)) + 1)
    distance = ndimage.distance_transform_edt(padded < 0.5)  # to the nearest stroke's pixel
    widened = np.maximum(padded, np.clip(growth + 0.5 - distance, 0.0, 1.0))  # the new edge anti-aliased
    top, bottom, left, right = _ink_box(widened)
    return widened[top:bottom, left:right]


def _scale_to_box(ink):
    """Scale so the longer side is DIGIT_BOX pixels, keeping the aspect ratio, and the brightest pixel to 1."""
    height, width = ink.shape
    scale = DIGIT_BOX / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    # Area averaging is the anti-aliasing MNIST used when shrinking; bilinear avoids blocks when enlarging.
    resample = Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR
    scaled = np.clip(np.asarray(Image.fromarray(ink.astype(np.float32)).resize(size, resample)), 0.0, 1.0)
    # Every MNIST digit reaches full brightness somewhere; this restores a thin stroke that shrinking has faded.
    return scaled / scaled.max()


def _centre_offset(digit):
    """Where to place the digit in a FRAME x FRAME array so its centre of mass is at (14, 14), as MNIST did."""
    height, width = digit.shape
    # The centre of mass, as ndimage.center_of_mass computes it, but ten times faster on a 20x20 digit.
    total = digit.sum()
    centre_row = digit.sum(axis=1) @ np.arange(height) / total
    centre_column = digit.sum(axis=0) @ np.arange(width) / total
    # MNIST moved digits by whole pixels; clamping keeps the whole digit inside the frame.
    top = min(max(round(FRAME / 2 - centre_row), 0), FRAME - height)
    left = min(max(round(FRAME / 2 - centre_column), 0), FRAME - width)
    return int(top), int(left)
