"""Photos of garments as a shop would take them, drawn with Pillow: a coloured garment on a light background, large,
with soft edges. For the tests of the photo pipeline and the Upload a photo page."""

import io

from PIL import Image, ImageDraw, ImageFilter

# Each garment: its photo's size, background, colour and outline (x, y in pixels).
GARMENTS = {
    "Trouser": ((500, 800), (250, 250, 250), (50, 50, 60),
                [(150, 60), (350, 60), (390, 740), (290, 740), (250, 260), (210, 740), (110, 740)]),
    "T-shirt/top": ((600, 700), (255, 255, 255), (40, 90, 170),
                    [(200, 100), (260, 80), (300, 120), (340, 80), (400, 100), (540, 220), (480, 300), (430, 250),
                     (430, 620), (170, 620), (170, 250), (120, 300), (60, 220)]),
}


def garment_photo(name):
    """A PIL photo of the garment `name` (a key of GARMENTS)."""
    size, background, colour, outline = GARMENTS[name]
    picture = Image.new("RGB", size, background)
    ImageDraw.Draw(picture).polygon(outline, fill=colour)
    return picture.filter(ImageFilter.GaussianBlur(1.5))


def png_bytes(picture):
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()
