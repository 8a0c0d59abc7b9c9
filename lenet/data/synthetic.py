"""Drawings made in code, as the Draw page's canvas sends them: digits written as pen strokes, and things that are
not digits (letters, shapes, scribbles), for testing how the model and its digit-likeness score behave.

Every drawing starts as strokes (polylines) in a unit box, x to the right and y down, in one of several styles a
person might use. It is then wobbled, slanted, rotated, scaled and placed somewhere on a 280×280 canvas, and painted
with a round pen 8–40 pixels wide: white ink on a transparent black canvas, as the canvas sends it, or for some
non-digits black ink on white paper, as a photo would be. The same seed always gives the same drawings.
"""

import math

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

CANVAS_SIZE = 280  # the Draw page's canvas
STROKE_WIDTH_RANGE = (8, 40)  # the Draw page's stroke-width slider...
DEFAULT_STROKE_WIDTH = 20  # ...and where it starts, the pen most people keep
HEIGHT_RANGE = (0.45, 0.9)  # a drawing's height as a share of the canvas: people draw big, as the page asks
SMALL_HEIGHT_RANGE = (0.15, 0.35)  # and some draw small all the same, with the pen they were given
MAX_WIDTH_SHARE = 0.16  # a pen at most this share of the drawing's height; thicker turns a small digit into a blob
SLANT_RANGE = 0.25  # horizontal shear, as a share of the height: handwriting leans either way
ROTATION_DEGREES = 8
WOBBLE = 0.025  # how far a hand strays from the ideal line, as a share of the drawing's size
PAPER_SHARE = 0.3  # share of non-digits painted dark on light, as an uploaded photo or scan would be


def arc(centre_x, centre_y, radius_x, radius_y, start_degrees, end_degrees, points=24):
    """Points along an elliptical arc in unit coordinates (y down); degrees grow clockwise on screen."""
    return [(centre_x + radius_x * math.cos(math.radians(angle)), centre_y + radius_y * math.sin(math.radians(angle)))
            for angle in np.linspace(start_degrees, end_degrees, points + 1)]


def _figure_eight(points=48):
    """An 8 in one stroke: down through the middle from the top right, round the bottom, up and round the top."""
    return [(0.5 - 0.42 * math.sin(2 * t), 0.5 - 0.5 * math.cos(t)) for t in np.linspace(0.25, 2 * math.pi + 0.25, points)]


# Each digit in the styles people write it, as lists of strokes. The aspect ratio (width / height) comes with it.
DIGIT_STYLES = {
    0: [([arc(0.5, 0.5, 0.46, 0.5, -100, -460)], 0.75),
        ([arc(0.5, 0.5, 0.42, 0.5, -80, 275)], 0.6)],
    1: [([[(0.55, 0.0), (0.45, 1.0)]], 0.25),
        ([[(0.15, 0.25), (0.7, 0.0), (0.55, 1.0)]], 0.4),
        ([[(0.2, 0.22), (0.6, 0.0), (0.55, 1.0)], [(0.2, 1.0), (0.9, 1.0)]], 0.5)],
    2: [([arc(0.48, 0.3, 0.42, 0.3, -165, 15, 16) + [(0.6, 0.62), (0.02, 1.0), (0.55, 0.97), (1.0, 0.98)]], 0.75),
        ([arc(0.5, 0.28, 0.45, 0.28, -170, 30, 16) + [(0.05, 1.0), (1.0, 0.95)]], 0.7),
        ([arc(0.5, 0.3, 0.42, 0.3, -160, 20, 16) + [(0.15, 0.9)] + arc(0.2, 0.88, 0.14, 0.1, -60, -330, 10)
          + [(1.0, 0.95)]], 0.75)],
    3: [([arc(0.48, 0.26, 0.42, 0.26, -150, 95, 16) + arc(0.46, 0.74, 0.48, 0.26, -85, 150, 16)], 0.7),
        ([[(0.05, 0.02), (0.9, 0.0), (0.35, 0.42)] + arc(0.45, 0.7, 0.5, 0.3, -95, 150, 16)], 0.7)],
    4: [([[(0.45, 0.0), (0.0, 0.62), (1.0, 0.62)], [(0.72, 0.25), (0.7, 1.0)]], 0.75),
        ([[(0.72, 1.0), (0.72, 0.0), (0.0, 0.65), (1.0, 0.65)]], 0.75),
        ([[(0.08, 0.0), (0.05, 0.55), (0.95, 0.55)], [(0.75, 0.0), (0.75, 1.0)]], 0.7)],
    5: [([[(0.15, 0.0), (0.1, 0.45)] + arc(0.45, 0.68, 0.45, 0.32, -150, 145, 18), [(0.15, 0.0), (0.9, 0.0)]], 0.7),
        ([[(0.9, 0.0), (0.15, 0.02), (0.1, 0.45)] + arc(0.45, 0.68, 0.45, 0.32, -150, 145, 18)], 0.7)],
    6: [([[(0.8, 0.0)] + arc(0.75, 0.65, 0.7, 0.65, -120, -180, 8)[1:] + arc(0.5, 0.7, 0.45, 0.3, 180, 520, 20)],
         0.7),
        ([[(0.7, 0.0), (0.25, 0.45)] + arc(0.5, 0.72, 0.4, 0.28, 210, 560, 20)], 0.65)],
    7: [([[(0.0, 0.06), (0.5, 0.02), (1.0, 0.0), (0.7, 0.45), (0.42, 1.0)]], 0.7),
        ([[(0.0, 0.06), (1.0, 0.0), (0.45, 1.0)], [(0.3, 0.52), (0.9, 0.5)]], 0.7),
        ([[(0.0, 0.05), (1.0, 0.0), (0.82, 0.3), (0.65, 0.6), (0.55, 0.85), (0.52, 1.0)]], 0.65)],
    8: [([_figure_eight()], 0.6),
        ([arc(0.5, 0.25, 0.34, 0.25, 90, 450), arc(0.5, 0.74, 0.45, 0.26, -90, 270)], 0.65)],
    9: [([arc(0.5, 0.28, 0.44, 0.28, 0, -360) + [(0.94, 0.28), (0.88, 1.0)]], 0.65),
        ([arc(0.45, 0.3, 0.42, 0.3, 10, -350) + [(0.87, 0.45), (0.7, 0.85), (0.45, 1.0)]], 0.65)],
}

# Each digit once more, in a style DIGIT_STYLES lacks and that nothing here trains or fits a model on: a held-out
# check of how a model reads hands unlike the ones drawn above (`python -m lenet bench`). A long-flagged 1 with no
# foot (as much of Europe writes it), a 2 with a pointed top, a 3 with a pointed waist, a 4 whose stem starts at its
# apex (as in type), a 5 with an angular belly, a 6 whose top curls over (as in Helvetica), a 7 with a downward serif,
# a leaning 8, a 9 whose tail curls left, and a pointed 0.
OTHER_DIGIT_STYLES = {
    0: [([[(0.5, 0.0)] + arc(0.5, 0.58, 0.46, 0.42, -60, 240, 20) + [(0.5, 0.0)]], 0.7)],
    1: [([[(0.0, 0.12), (0.75, 0.0), (0.72, 1.0)]], 0.4)],
    2: [([[(0.0, 0.12), (0.5, 0.0), (0.95, 0.22), (0.08, 1.0), (1.0, 0.97)]], 0.75)],
    3: [([arc(0.45, 0.25, 0.45, 0.25, -170, 80, 14) + [(0.35, 0.5)] + arc(0.45, 0.74, 0.48, 0.26, -70, 160, 14)],
         0.75)],
    4: [([[(0.65, 0.0), (0.0, 0.68), (1.0, 0.68)], [(0.65, 0.0), (0.65, 1.0)]], 0.75)],
    5: [([[(0.9, 0.0), (0.15, 0.0), (0.1, 0.45), (0.7, 0.42), (0.97, 0.7), (0.7, 1.0), (0.03, 0.95)]], 0.7)],
    6: [([arc(0.5, 0.5, 0.42, 0.5, -45, -180, 12) + arc(0.5, 0.72, 0.42, 0.28, 180, 530, 20)], 0.7)],
    7: [([[(0.0, 0.22), (0.0, 0.0), (1.0, 0.0), (0.4, 1.0)]], 0.7)],
    8: [([[(x + 0.35 * (0.5 - y), y) for x, y in _figure_eight()]], 0.7)],
    9: [([arc(0.5, 0.28, 0.44, 0.28, 0, -360) + [(0.94, 0.28), (0.9, 0.75)] + arc(0.5, 0.72, 0.4, 0.28, 0, 150, 10)],
         0.65)],
}

# Capital letters that look like no digit (O, I, S, Z, B, G would), and shapes.
LETTERS = {
    "A": [[(0.0, 1.0), (0.5, 0.0), (1.0, 1.0)], [(0.22, 0.6), (0.78, 0.6)]],
    "E": [[(0.9, 0.0), (0.1, 0.0), (0.1, 1.0), (0.9, 1.0)], [(0.1, 0.5), (0.7, 0.5)]],
    "F": [[(0.9, 0.0), (0.1, 0.0), (0.1, 1.0)], [(0.1, 0.48), (0.7, 0.48)]],
    "H": [[(0.1, 0.0), (0.1, 1.0)], [(0.9, 0.0), (0.9, 1.0)], [(0.1, 0.5), (0.9, 0.5)]],
    "K": [[(0.15, 0.0), (0.15, 1.0)], [(0.85, 0.0), (0.15, 0.58)], [(0.38, 0.42), (0.9, 1.0)]],
    "M": [[(0.0, 1.0), (0.08, 0.0), (0.5, 0.65), (0.92, 0.0), (1.0, 1.0)]],
    "N": [[(0.1, 1.0), (0.1, 0.0), (0.9, 1.0), (0.9, 0.0)]],
    "R": [[(0.15, 1.0), (0.15, 0.0)] + arc(0.45, 0.26, 0.4, 0.26, -90, 90, 12) + [(0.15, 0.52), (0.9, 1.0)]],
    "W": [[(0.0, 0.0), (0.25, 1.0), (0.5, 0.35), (0.75, 1.0), (1.0, 0.0)]],
    "X": [[(0.0, 0.0), (1.0, 1.0)], [(1.0, 0.0), (0.0, 1.0)]],
    "Y": [[(0.0, 0.0), (0.5, 0.5), (1.0, 0.0)], [(0.5, 0.5), (0.5, 1.0)]],
}
STAR = [(0.5 + 0.5 * math.sin(math.radians(144 * i)), 0.52 - 0.5 * math.cos(math.radians(144 * i))) for i in range(6)]
HEART = [(0.5 + 0.5 * math.sin(t) ** 3, 0.4 - (13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t)
                                             - math.cos(4 * t)) / 28) for t in np.linspace(0, 2 * math.pi, 40)]
SHAPES = {
    "square": [[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)]],
    "triangle": [[(0.5, 0.0), (1.0, 1.0), (0.0, 1.0), (0.5, 0.0)]],
    "star": [STAR],
    "heart": [HEART],
    "arrow": [[(0.0, 0.5), (1.0, 0.5)], [(0.65, 0.2), (1.0, 0.5), (0.65, 0.8)]],
    "line": [[(0.0, 0.5), (1.0, 0.5)]],
    "smiley": [arc(0.5, 0.5, 0.5, 0.5, 0, 360), [(0.33, 0.3), (0.35, 0.38)], [(0.67, 0.3), (0.65, 0.38)],
               arc(0.5, 0.5, 0.3, 0.28, 20, 160, 12)],
}
RANDOM_KINDS = ("spiral", "scribble", "zigzag", "hatching", "noise")
NON_DIGIT_KINDS = tuple(LETTERS) + tuple(SHAPES) + RANDOM_KINDS


def stroke_digits(count=500, seed=0, shakiness=(1.0, 1.0), size=CANVAS_SIZE, heights=HEIGHT_RANGE, pen=None,
                  styles=DIGIT_STYLES):
    """`count` digits, 0–9 in turn, each in a random style of `styles` and a random pose: a list of (label,
    size×size×4 uint8 image).

    `shakiness` is how far the hand strays, in WOBBLE, from a range drawn anew for each digit (an unsteady hand, or a
    mouse); by default every digit's is WOBBLE, and the same seed gives the same digits it always did. `heights` and
    `pen` are as render takes them."""
    rng = np.random.default_rng(seed)
    drawings = []
    for index in range(count):
        label = index % 10
        strokes, aspect = styles[label][rng.integers(len(styles[label]))]
        steady = shakiness[0] == shakiness[1]  # then no number is drawn for it, and the stream stays as it was
        wobble = WOBBLE * (shakiness[0] if steady else rng.uniform(*shakiness))
        drawings.append((label, render(strokes, aspect, rng, size=size, wobble=wobble, heights=heights, pen=pen)))
    return drawings


def non_digits(count=115, seed=0):
    """`count` drawings that are no digit, every kind in NON_DIGIT_KINDS in turn: a list of (kind, image)."""
    rng = np.random.default_rng(seed)
    drawings = []
    for index in range(count):
        kind = NON_DIGIT_KINDS[index % len(NON_DIGIT_KINDS)]
        strokes, aspect = _non_digit_strokes(kind, rng)
        drawings.append((kind, render(strokes, aspect, rng, on_paper=rng.random() < PAPER_SHARE)))
    return drawings


def _non_digit_strokes(kind, rng):
    """The strokes of one non-digit and its aspect ratio; the random kinds differ every time."""
    if kind in LETTERS:
        return LETTERS[kind], rng.uniform(0.7, 0.95)
    if kind in SHAPES:
        return SHAPES[kind], (rng.uniform(1.5, 3.0) if kind in ("arrow", "line") else rng.uniform(0.8, 1.2))
    if kind == "spiral":
        turns = rng.uniform(2.0, 3.5)
        angles = np.linspace(0, 2 * math.pi * turns, int(40 * turns))
        radii = 0.5 * angles / angles[-1]
        return [list(zip(0.5 + radii * np.cos(angles), 0.5 + radii * np.sin(angles)))], rng.uniform(0.8, 1.2)
    if kind == "scribble":  # a pen looping back and forth at random, smoothed as a moving hand is
        return [list(map(tuple, smooth(rng.random((rng.integers(8, 16), 2)))))], rng.uniform(0.7, 1.4)
    if kind == "zigzag":
        teeth = rng.integers(3, 7)
        return [[(i / (2 * teeth), float(i % 2)) for i in range(2 * teeth + 1)]], rng.uniform(0.4, 0.25 * teeth)
    if kind == "hatching":
        lines = rng.integers(4, 8)
        return [[(i / lines, 0.0), (i / lines + 0.3, 1.0)] for i in range(lines)], rng.uniform(0.8, 1.3)
    # noise: short dashes and dots scattered over the canvas
    starts = rng.random((rng.integers(25, 60), 2))
    return [[tuple(start), tuple(start + rng.normal(0, 0.03, 2))] for start in starts], rng.uniform(0.8, 1.2)


def colours(on_paper):
    """(background, ink) as (grey, alpha): the canvas's white pen on its transparent black, or a photo's dark grey ink
    on opaque light paper."""
    return ((235, 255), (30, 255)) if on_paper else ((0, 0), (255, 255))


def render(strokes, aspect, rng, on_paper=False, size=CANVAS_SIZE, wobble=WOBBLE, heights=HEIGHT_RANGE, pen=None):
    """Paint unit-box strokes on the canvas in a random pose and pen: (280, 280, 4) uint8, RGBA as the canvas sends.

    on_paper paints dark grey ink on opaque light paper instead, as a photo of a drawing would be. A smaller `size`
    paints the same drawing on a smaller canvas, with everything scaled down: quicker, for large batches. `wobble` is
    how far the hand strays from the ideal line, as a share of the drawing's size. The drawing's height is drawn from
    `heights`, a share of the canvas; `pen` is the pen's width in canvas pixels, by default one of the slider's no
    wider than MAX_WIDTH_SHARE of the height.
    """
    scale = size / CANVAS_SIZE
    height = rng.uniform(*heights) * CANVAS_SIZE
    if pen is None:
        widest = max(STROKE_WIDTH_RANGE[0], min(STROKE_WIDTH_RANGE[1], MAX_WIDTH_SHARE * height))
        pen = rng.uniform(STROKE_WIDTH_RANGE[0], widest)
    posed = _pose(strokes, rng, height, width=height * aspect, wobble=wobble)
    # Place it anywhere it fits whole, shrunk first if the pose made it wider than the canvas.
    low, high = np.min([s.min(axis=0) for s in posed], axis=0), np.max([s.max(axis=0) for s in posed], axis=0)
    room = CANVAS_SIZE - pen - 8
    shrink = min(1.0, room / max(high - low))
    offset = [rng.uniform(0, max(0.0, room - extent)) for extent in shrink * (high - low)]
    background, ink = colours(on_paper)
    image = Image.new("LA", (size, size), background)
    pen_tip = ImageDraw.Draw(image)
    for stroke in posed:
        placed = ((stroke - low) * shrink + offset + pen / 2 + 4) * scale
        # On a small canvas the points lie far closer together than a pen's width: a disc at every one is waste.
        spacing = pen * scale / 3 if size < CANVAS_SIZE else 0.0
        _paint_stroke(pen_tip, list(map(tuple, placed.tolist())), pen * scale, ink, spacing)
    return np.asarray(image.convert("RGBA"))


def _pose(strokes, rng, height, width, wobble=WOBBLE):
    """Strokes as (N, 2) pixel arrays around (0, 0): wobbled as a hand would, slanted, rotated and scaled."""
    slant = rng.uniform(-SLANT_RANGE, SLANT_RANGE)
    turn = math.radians(rng.uniform(-ROTATION_DEGREES, ROTATION_DEGREES))
    phases, frequencies, sizes = rng.uniform(0, 2 * math.pi, 2), rng.uniform(1.0, 3.0, 2), rng.uniform(0.5, 1.0, 2)
    rotation = np.array([[math.cos(turn), math.sin(turn)], [-math.sin(turn), math.cos(turn)]])
    posed = []
    for stroke in strokes:
        x, y = np.asarray(_densify(stroke), dtype=float).T
        # A hand strays slowly along a stroke rather than jittering at every point.
        x = x + wobble * sizes[0] * np.sin(2 * math.pi * frequencies[0] * y + phases[0])
        y = y + wobble * sizes[1] * np.sin(2 * math.pi * frequencies[1] * x + phases[1])
        x = x + slant * (0.5 - y)  # positive slant leans the top to the right
        posed.append(np.stack([(x - 0.5) * width, (y - 0.5) * height], axis=1) @ rotation)
    return posed


def _paint_stroke(pen_tip, points, pen, ink, spacing=0.0):
    """A polyline with round joins and round ends, as the canvas's round pen leaves it; discs at least `spacing` apart."""
    radius = pen / 2
    pen_tip.line(points, fill=ink, width=round(pen))
    last = None
    for index, (x, y) in enumerate(points):  # discs round the joins (PIL's own joints leave notches on thick lines)
        if last is None or index == len(points) - 1 or math.dist(last, (x, y)) >= spacing:
            pen_tip.ellipse((x - radius, y - radius, x + radius, y + radius), fill=ink)
            last = (x, y)


def _densify(stroke, step=0.02):
    """The stroke with extra points along long segments, so the wobble bends lines instead of only moving corners."""
    points = [stroke[0]]
    for start, end in zip(stroke, stroke[1:]):
        pieces = max(1, math.ceil(math.dist(start, end) / step))
        points += [(start[0] + (end[0] - start[0]) * i / pieces, start[1] + (end[1] - start[1]) * i / pieces)
                   for i in range(1, pieces + 1)]
    return points


def smooth(points, rounds=3):
    """Chaikin's corner cutting, keeping the ends: a hand's curve through the control points, an (N, 2) array. Each
    round replaces every corner by two points a quarter of the way along."""
    points = np.asarray(points, float)
    for _ in range(rounds):
        points = np.concatenate([points[:1], np.stack([0.75 * points[:-1] + 0.25 * points[1:],
                                                       0.25 * points[:-1] + 0.75 * points[1:]], axis=1).reshape(-1, 2),
                                 points[-1:]])
    return points


def enlarged_digits(images, size=CANVAS_SIZE):
    """MNIST-style (28, 28) digits in [0, 1] enlarged to `size`×`size` uint8 images, as if their writers had drawn
    them on the canvas: real handwriting, its pens and shapes as they were, for Draw's preparation to read."""
    return [np.asarray(Image.fromarray(np.uint8(255 * digit)).resize((size, size), Image.Resampling.BILINEAR))
            for digit in np.asarray(images, dtype=np.float32)]


def redrawn_digits(images, seed=0):
    """MNIST-style (28, 28) digits in [0, 1] redrawn as a canvas would send them, a stand-in for other writers:
    enlarged to 280×280, strokes thickened or thinned by up to a few pen widths, slightly rotated and slanted."""
    rng = np.random.default_rng(seed)
    redrawn = []
    for digit in np.asarray(images, dtype=np.float32):
        large = Image.fromarray(np.uint8(255 * digit)).resize((CANVAS_SIZE, CANVAS_SIZE), Image.Resampling.BICUBIC)
        ink = np.asarray(large) > 100
        pen_change = int(rng.integers(-4, 12))  # in canvas pixels: MNIST strokes are about 25 of them wide here
        if pen_change > 0:
            ink = ndimage.binary_dilation(ink, iterations=pen_change)
        elif pen_change < 0:
            thinner = ndimage.binary_erosion(ink, iterations=-pen_change)
            ink = thinner if thinner.sum() > 0.3 * ink.sum() else ink  # never erode a thin digit away
        slant = rng.uniform(-0.2, 0.2)
        image = Image.fromarray(np.uint8(255 * ink)).rotate(rng.uniform(-10, 10), resample=Image.Resampling.BILINEAR)
        image = image.transform(image.size, Image.Transform.AFFINE, (1, slant, -slant * CANVAS_SIZE / 2, 0, 1, 0),
                                resample=Image.Resampling.BILINEAR)
        redrawn.append(np.repeat(np.asarray(image)[..., None], 4, axis=2))  # white ink, opaque only where inked
    return redrawn
