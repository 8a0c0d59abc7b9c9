"""Letters and symbols that are no digit: written as pen strokes, in a small single-stroke alphabet of our own, and
set in type, in the typeface that Pillow itself ships (so every machine has it).

Each glyph is a few strokes of control points on a 0-100 grid (x right, y down); a stroke that starts with "~" is a
curve, smoothed through its points, the rest are straight segments. Drawing one jitters every control point, so no
two letters are alike. Letters and symbols that people also read as a digit (O, o, I, l, S, s, Z, z, B, b, G, g, q,
C, c, D, Q, $, a lone stroke or ring) are left out: a detector taught that they are not digits would refuse digits.
"""

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from lenet.data import synthetic

GLYPHS = {
    # small letters
    "a": "~85 30, 55 22, 25 40, 22 75, 50 95, 85 70 | 85 25, 85 95",
    "d": "~80 50, 50 40, 22 60, 25 90, 55 98, 80 80 | 82 0, 82 98",
    "e": "~15 55, 85 55, 80 30, 50 20, 20 40, 20 75, 50 95, 85 85",
    "f": "~80 8, 60 0, 45 15, 45 100 | 20 40, 75 40",
    "h": "20 0, 20 100 | ~20 55, 45 35, 75 40, 80 60, 80 100",
    "k": "20 0, 20 100 | 80 35, 20 70 | 40 58, 85 100",
    "m": "~5 100, 5 30 | ~5 45, 25 25, 45 40, 48 100 | ~48 45, 70 25, 92 40, 95 100",
    "n": "10 100, 10 25 | ~10 45, 40 22, 80 35, 85 100",
    "p": "15 25, 15 100 | ~15 35, 60 22, 85 40, 80 60, 50 68, 15 60",
    "r": "20 100, 20 25 | ~20 50, 45 28, 80 25",
    "t": "45 0, 45 85, 60 100, 80 95 | 15 35, 80 35",
    "u": "~10 20, 12 80, 40 100, 75 85, 85 30 | 85 20, 88 100",
    "v": "5 20, 50 100, 95 20",
    "w": "0 20, 25 100, 50 40, 75 100, 100 20",
    "x": "10 20, 90 100 | 90 20, 10 100",
    "y": "10 20, 50 65 | 90 20, 30 100, 15 95",
    "e_loop": "~10 70, 30 60, 45 40, 35 20, 20 35, 25 80, 45 98, 70 85, 90 60",
    "h_loop": "~5 90, 30 50, 40 15, 30 0, 20 15, 20 100 | ~20 60, 45 40, 70 50, 72 100",
    "k_open": "15 0, 15 100 | ~15 65, 60 35, 70 55, 40 65, 20 65 | 40 65, 85 100",
    "mu": "20 20, 15 100 | ~20 20, 22 70, 50 85, 80 65, 80 20 | ~80 65, 85 85, 95 85",
    # capitals
    "A": "5 100, 50 0, 95 100 | 25 60, 75 60",
    "E": "85 0, 15 0, 15 100, 85 100 | 15 50, 70 50",
    "F": "85 0, 15 0, 15 100 | 15 48, 65 48",
    "H": "10 0, 10 100 | 90 0, 90 100 | 10 50, 90 50",
    "K": "15 0, 15 100 | 85 0, 15 60 | 40 40, 90 100",
    "L": "15 0, 15 100, 85 100",
    "M": "5 100, 10 0, 50 70, 90 0, 95 100",
    "N": "10 100, 10 0, 90 100, 90 0",
    "P": "15 100, 15 0 | ~15 0, 70 0, 90 25, 70 50, 15 50",
    "R": "15 100, 15 0 | ~15 0, 70 0, 90 25, 70 50, 15 50 | 45 50, 90 100",
    "T": "0 0, 100 0 | 50 0, 50 100",
    "V": "0 0, 50 100, 100 0",
    "W": "0 0, 20 100, 50 30, 80 100, 100 0",
    "X": "5 0, 95 100 | 95 0, 5 100",
    "Y": "0 0, 50 50, 100 0 | 50 50, 50 100",
    "J": "~85 0, 85 75, 70 98, 40 100, 15 80",
    "U": "~10 0, 10 70, 30 98, 70 98, 90 70, 90 0",
    # symbols
    "question": "~15 25, 30 5, 60 0, 85 20, 80 45, 50 60, 50 80 | 50 95, 51 100",
    "exclamation": "50 0, 50 75 | 50 93, 51 100",
    "ampersand": "~90 100, 30 40, 25 15, 45 0, 65 15, 55 40, 15 65, 15 90, 40 100, 70 90, 90 60",
    "at": "~65 45, 45 35, 35 55, 45 70, 65 60, 68 40, 70 70, 90 65, 95 40, 80 10, 50 5, 15 25, 8 60, 25 92, 55 100, 85 90",
    "hash": "35 0, 30 100 | 70 0, 65 100 | 10 33, 90 33 | 10 67, 90 67",
    "note": "~15 80, 30 70, 45 80, 35 95, 15 95, 15 80 | 45 80, 45 0, 75 20, 85 40",
    "beamed": "~5 85, 20 75, 30 85, 20 95, 5 85 | 30 85, 30 5, 90 0, 90 75 | ~90 75, 75 70, 65 80, 75 90, 90 75",
    "star": "50 0, 65 100, 0 35, 100 35, 35 100, 50 0",
    "percent": "90 0, 10 100 | ~20 5, 35 10, 35 30, 20 35, 5 25, 10 8, 20 5 | ~80 65, 95 70, 95 90, 80 95, 65 85, 70 68, 80 65",
    "infinity": "~50 50, 75 25, 100 50, 75 75, 50 50, 25 25, 0 50, 25 75, 50 50",
    "pi": "0 10, 100 10 | 30 10, 25 100 | ~70 10, 70 85, 90 100",
    "sigma": "90 0, 10 0, 55 50, 10 100, 90 100",
    "omega": "~5 100, 35 100, 15 70, 15 30, 50 5, 85 30, 85 70, 65 100, 95 100",
    "lambda": "15 0, 85 100 | 50 45, 10 100",
    "alpha": "~100 20, 70 80, 40 98, 10 80, 10 40, 40 20, 70 40, 100 100",
    "epsilon": "~85 10, 50 0, 20 15, 30 45, 55 50 | ~55 50, 20 55, 15 85, 50 100, 85 90",
    "psi": "50 0, 50 100 | ~5 15, 10 50, 50 70, 90 50, 95 15",
    "check": "0 55, 35 100, 100 0",
    "cross_out": "0 0, 100 100 | 100 0, 0 100 | 0 50, 100 50",
    "arrow_up": "50 100, 50 0 | 15 35, 50 0, 85 35",
    "plus_minus": "50 0, 50 70 | 15 35, 85 35 | 15 100, 85 100",
    "tilde_pair": "~0 30, 25 10, 50 30, 75 50, 100 30 | ~0 80, 25 60, 50 80, 75 100, 100 80",
    "lightning": "60 0, 20 55, 65 45, 30 100",
    "sun_spiral": "~50 50, 60 50, 60 60, 45 65, 35 50, 45 32, 68 35, 78 55, 65 80, 40 85, 18 65, 20 35, 45 12, 80 18",
}
JITTER = 6  # how far a control point strays, on the 0-100 grid
# Pillow's own typeface has the printable ASCII characters only; those read as digits are left out, as above.
TYPESET = "AEFHKMNPRTVWXYJUaefhkmnprtuvwxyd#@&?%*+=<>~^"


def strokes(rng, name=None):
    """One glyph's strokes in the unit box, control points jittered, curves smoothed; and its aspect ratio. The glyph
    is `name`, or any of GLYPHS."""
    name = name or list(GLYPHS)[rng.integers(len(GLYPHS))]
    drawn = []
    for part in GLYPHS[name].split("|"):
        curve = part.strip().startswith("~")
        points = np.array([[float(v) for v in pair.split()] for pair in part.strip().lstrip("~").split(",")])
        points = points + rng.normal(0, JITTER, points.shape)
        drawn.append(synthetic.smooth(points) if curve else points)
    low = np.min([s.min(axis=0) for s in drawn], axis=0)
    extent = np.maximum(np.max([s.max(axis=0) for s in drawn], axis=0) - low, 1.0)
    aspect = float(np.clip(extent[0] / extent[1], 0.3, 2.5)) * rng.uniform(0.8, 1.25)
    return [[tuple(p) for p in (s - low) / extent] for s in drawn], aspect


def typeset(rng, size, on_paper=False):
    """One character set in type, of random size, weight, turn and slant, painted as lenet.data.synthetic.render
    paints: white on a transparent black canvas, or dark ink on light paper. (size, size, 4) uint8."""
    font = ImageFont.load_default(size=max(8, int(size * rng.uniform(0.45, 0.8))))
    mask = Image.new("L", (size, size), 0)
    ImageDraw.Draw(mask).text((size / 2, size / 2), TYPESET[rng.integers(len(TYPESET))], fill=255, font=font,
                              anchor="mm", stroke_width=int(rng.integers(0, 3) * size / 72), stroke_fill=255)
    slant = rng.uniform(-0.25, 0.25)
    mask = mask.rotate(rng.uniform(-15, 15), resample=Image.Resampling.BILINEAR).transform(
        mask.size, Image.Transform.AFFINE, (1, slant, -slant * size / 2, 0, 1, 0), resample=Image.Resampling.BILINEAR)
    ink = np.asarray(mask, np.float32)[..., None] / 255
    background, colour = (np.array(grey_alpha, np.float32)[[0, 0, 0, 1]] for grey_alpha in synthetic.colours(on_paper))
    return np.uint8(np.round(background + ink * (colour - background)))
