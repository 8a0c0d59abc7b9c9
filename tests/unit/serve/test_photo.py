"""lenet/serve/photo.py on photo-like input: a garment photographed on a light background becomes a Fashion-MNIST-style
image, and a Fashion-MNIST test image made back into a photo comes back close to itself."""

import numpy as np
import pytest
from PIL import Image

from lenet.data import sources
from lenet.serve import photo
from tests.conftest import GARMENTS


@pytest.mark.parametrize("name", list(GARMENTS))
def test_a_garment_photo_becomes_a_light_garment_filling_a_black_frame(name, garment_photo):
    image = photo.to_fashion_image(np.asarray(garment_photo(name)))
    assert image.shape == (28, 28) and image.dtype == np.float32
    ink = image > 0.1
    rows, columns = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    assert max(rows[-1] - rows[0], columns[-1] - columns[0]) + 1 == 28  # the longer side fills the frame
    assert abs((rows[0] + rows[-1]) / 2 - 13.5) <= 1 and abs((columns[0] + columns[-1]) / 2 - 13.5) <= 1  # centred
    assert image[ink].mean() > 0.5 and image[0, 0] < 0.05  # a light garment on black


def test_a_blank_photo_holds_no_garment():
    assert photo.to_fashion_image(np.full((300, 200, 3), 240, np.uint8)) is None


@pytest.mark.fashion
def test_test_images_made_into_photos_come_back_close_to_themselves():
    images = sources.load("fashion", log=lambda line: None).x_test[:200]
    correlations, differences = [], []
    for image in images:
        # The way back to a product photo: dark on white, ten times larger, smoothly resampled.
        as_photo = Image.fromarray(np.uint8(255 - image * 255)).resize((280, 280), Image.Resampling.BICUBIC)
        back = photo.to_fashion_image(np.asarray(as_photo))
        correlations.append(np.corrcoef(back.ravel(), image.ravel())[0, 1])
        differences.append(np.abs(back - image).mean())
    # Thin or finely patterned garments can come back a pixel off, which costs correlation but not the garment.
    assert np.median(correlations) > 0.9 and np.percentile(correlations, 10) > 0.75
    assert np.mean(differences) < 0.08
