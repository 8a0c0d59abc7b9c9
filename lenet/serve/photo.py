"""Turn a photo of a garment into a Fashion-MNIST-style image, the way Fashion-MNIST itself was made.

Zalando's product photos, on a light background, were trimmed to the object (edges within 5% of the corner colour
cut away), resized so the longer side is 28 pixels, sharpened (a Gaussian of radius and sigma 1.0), centred in a
28×28 frame, negated and made grey. The object fills the frame, unlike a digit, which MNIST kept in a 20×20 box
centred by mass: that is why a garment photo must not go through the digit pipeline.
"""

import numpy as np
from PIL import Image, ImageFilter

from lenet.serve import preprocess

FRAME = 28
TRIM_TOLERANCE = 0.05  # Fashion-MNIST trimmed edges within 5% of the largest possible RGB distance of the corners
MIN_OBJECT_FRACTION = 0.02  # an object smaller than this share of the photo's longer side is no object at all


def to_fashion_image(image):
    """The garment in a photo as a (28, 28) float32 array in [0, 1], light object on black, or None if it is blank.

    `image` is a PIL image or an array of shape (H, W), (H, W, 3) or (H, W, 4), uint8 or float in [0, 1]; a
    transparent background counts as white, as on a product page.
    """
    rgb = _on_white(preprocess.as_float_array(image))
    corner = np.median(np.stack([rgb[0, 0], rgb[0, -1], rgb[-1, 0], rgb[-1, -1]]), axis=0)
    distance = np.linalg.norm(rgb - corner, axis=2) / np.sqrt(3)  # 0 (the corner colour) to 1 (black vs white)
    rows, columns = np.flatnonzero((distance > TRIM_TOLERANCE).any(axis=1)), np.flatnonzero(
        (distance > TRIM_TOLERANCE).any(axis=0))
    if len(rows) == 0 or max(rows[-1] - rows[0], columns[-1] - columns[0]) + 1 < MIN_OBJECT_FRACTION * max(rgb.shape):
        return None
    grey = rgb[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1] @ np.array([0.299, 0.587, 0.114], np.float32)
    # Negate so the background becomes black, as in the dataset; a photo on a dark background is already so.
    dark_background = float(corner @ np.array([0.299, 0.587, 0.114])) < 0.5
    ink = grey if dark_background else 1.0 - grey
    return _fit_in_frame(ink)


def _on_white(array):
    """RGB in [0, 1]: grey is repeated, and transparent pixels become white."""
    if array.ndim == 2:
        return np.repeat(array[..., None], 3, axis=2)
    if array.shape[2] == 3:
        return array
    alpha = array[..., 3:]
    return array[..., :3] * alpha + (1.0 - alpha)


def _fit_in_frame(object_image):
    """Resize so the longer side is 28 pixels, sharpen, and centre it on black in a 28×28 frame."""
    height, width = object_image.shape
    scale = FRAME / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    picture = Image.fromarray(np.uint8(np.clip(object_image, 0, 1) * 255))
    # Area averaging when shrinking (the dataset subsampled, which aliases a large photo badly), then the dataset's
    # sharpening, which restores the edges that averaging softens.
    picture = picture.resize(size, Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR)
    picture = picture.filter(ImageFilter.UnsharpMask(radius=1, percent=100, threshold=0))
    frame = np.zeros((FRAME, FRAME), np.float32)
    top, left = (FRAME - size[1]) // 2, (FRAME - size[0]) // 2
    frame[top:top + size[1], left:left + size[0]] = np.asarray(picture, np.float32) / 255.0
    return frame
