"""A bank of non-digits, made in code and drawn by people, for teaching a model's digit-likeness detector what is
NOT a digit.

It is generated when training ends, so it must be quick: drawings are painted on a small canvas and run through
preprocess.to_mnist_digit, as the Draw page does with a drawing. It is kept apart from lenet.data.synthetic.non_digits,
the set that tests the detector: its own designs (letters and symbols drawn differently, more of them), its own
families beyond the tested ones (random strokes and curves, random polygons, faces, objects, pairs of shapes drawn
across or beside each other, pen strokes, letters written as strokes and set in type), every control point jittered
(a curve bent smoothly, as a hand bends it), an extra random turn, and its own seeds. Each drawing's family is
recorded, so a test can leave a family out of fitting and measure the detector on drawings of a kind it never saw.
Beside them, the "doodles" family: drawings of everyday things by people (lenet.data.doodles), which no code draws.
"""

import math
import multiprocessing
import os
import warnings
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import cache

import numpy as np

from lenet.data import doodles, npz, pen_letters, pen_shapes
from lenet.data.synthetic import WOBBLE, arc, render
from lenet.serve import preprocess

VERSION = 7  # bump when the drawings change: fitted detectors depend on them (5: brackets; 6: ?; 7: ϟ and ♪)
SIZE = 8000  # about 500 a family, and one in five drawings a pair
SEED = 20261126  # never the seed of a test set
CANVAS = 72  # pixels: 14 times fewer than the Draw page's canvas, and still far more than the 20×20 digit box
JITTER = 0.035  # how far each control point strays, as a share of the drawing
CONTROL_POINTS = 12  # a stroke of more points than this is a sampled curve, bent smoothly rather than jittered
TURN_DEGREES = 20
PAPER_SHARE = 0.25
PREPARE_CHUNK = 250  # drawings handed to a preparing process at a time
SCRAWL_VERSION = 1  # bump when the scrawls change: fitted detectors depend on them
SCRAWL_COUNT = 4000  # 2,000 refused fewer of the bolts left out (66% against 74%, BENCHMARKS.md)
SCRAWL_SEED = 20261208  # never the seed of a test set, nor the bank's or the digit bank's


def _polygon(corners, rng, spikiness=0.0):
    angles = np.sort(rng.uniform(0, 2 * math.pi, corners)) if spikiness < 0 else \
        np.linspace(0, 2 * math.pi, corners, endpoint=False) + rng.uniform(0, math.pi)
    radii = 0.5 * (1 - abs(spikiness) * (np.arange(corners) % 2))
    points = [(0.5 + r * math.cos(a), 0.5 + r * math.sin(a)) for r, a in zip(radii, angles)]
    return [points + points[:1]]


def _face(rng):
    eyes = [[(x, 0.32), (x + 0.01, 0.4)] for x in (0.33, 0.67)] if rng.random() < 0.5 else \
        [arc(x, 0.36, 0.06, 0.05, 0, 360, 8) for x in (0.33, 0.67)]
    mouth = arc(0.5, 0.55, 0.25, 0.15, 20, 160, 10) if rng.random() < 0.6 else arc(0.5, 0.8, 0.22, 0.12, -160, -20, 10)
    extras = [[(0.5, 0.45), (0.47, 0.58), (0.53, 0.58)]] if rng.random() < 0.4 else []
    ears = [[(0.15, 0.2), (0.2, -0.1), (0.38, 0.03)], [(0.62, 0.03), (0.8, -0.1), (0.85, 0.2)]] if rng.random() < 0.3 else []
    return [arc(0.5, 0.5, 0.5, 0.5, 0, 360, 28)] + eyes + [mouth] + extras + ears


LETTERS = {  # capitals and small letters that look like no digit, drawn unlike lenet.data.synthetic.LETTERS
    "A": [[(0.05, 1.0), (0.35, 0.0), (0.65, 0.0), (0.95, 1.0)], [(0.2, 0.55), (0.8, 0.55)]],
    "D": [[(0.1, 0.0), (0.1, 1.0)], [(0.1, 0.0)] + arc(0.35, 0.5, 0.55, 0.5, -90, 90, 14) + [(0.1, 1.0)]],
    "E": [[(0.1, 0.0), (0.1, 1.0)], [(0.1, 0.0), (0.9, 0.0)], [(0.1, 0.5), (0.6, 0.5)], [(0.1, 1.0), (0.9, 1.0)]],
    "F": [[(0.15, 1.0), (0.15, 0.0), (0.95, 0.0)], [(0.15, 0.45), (0.75, 0.45)]],
    "H": [[(0.1, 0.0), (0.15, 1.0)], [(0.85, 0.0), (0.9, 1.0)], [(0.12, 0.45), (0.88, 0.5)]],
    "K": [[(0.15, 0.0), (0.15, 1.0)], [(0.9, 0.0), (0.15, 0.5), (0.9, 1.0)]],
    "L": [[(0.15, 0.0), (0.15, 1.0), (0.9, 1.0)]],
    "M": [[(0.0, 1.0), (0.0, 0.0), (0.5, 1.0), (1.0, 0.0), (1.0, 1.0)]],
    "N": [[(0.1, 1.0), (0.1, 0.0)], [(0.1, 0.0), (0.9, 1.0)], [(0.9, 1.0), (0.9, 0.0)]],
    "P": [[(0.15, 1.0), (0.15, 0.0)] + arc(0.4, 0.25, 0.45, 0.25, -90, 90, 12) + [(0.15, 0.5)]],
    "R": [[(0.15, 1.0), (0.15, 0.0), (0.7, 0.0), (0.85, 0.25), (0.7, 0.5), (0.15, 0.5)], [(0.45, 0.5), (0.9, 1.0)]],
    "T": [[(0.0, 0.0), (1.0, 0.0)], [(0.5, 0.0), (0.5, 1.0)]],
    "V": [[(0.0, 0.0), (0.5, 1.0), (1.0, 0.0)]],
    "W": [[(0.0, 0.0), (0.2, 1.0), (0.5, 0.0), (0.8, 1.0), (1.0, 0.0)]],
    "X": [[(0.1, 0.0), (0.9, 1.0)], [(0.9, 0.0), (0.1, 1.0)]],
    "Y": [[(0.0, 0.0), (0.5, 0.45), (1.0, 0.0)], [(0.5, 0.45), (0.5, 1.0)]],
    "e": [[(0.1, 0.55), (0.9, 0.55)] + arc(0.5, 0.55, 0.42, 0.42, 0, -300, 18)],
    "h": [[(0.15, 0.0), (0.15, 1.0)], [(0.15, 1.0), (0.15, 0.6)] + arc(0.5, 0.65, 0.35, 0.3, 180, 360, 10) + [(0.85, 1.0)]],
    "k": [[(0.2, 0.0), (0.2, 1.0)], [(0.8, 0.4), (0.2, 0.75), (0.85, 1.0)]],
    "m": [[(0.0, 1.0), (0.0, 0.3)] + arc(0.25, 0.45, 0.25, 0.3, 180, 360, 8) + [(0.5, 1.0)],
          [(0.5, 0.45)] + arc(0.75, 0.45, 0.25, 0.3, 180, 360, 8) + [(1.0, 1.0)]],
    "n": [[(0.1, 1.0), (0.1, 0.2)] + arc(0.5, 0.45, 0.4, 0.35, 180, 360, 10) + [(0.9, 1.0)]],
    "r": [[(0.2, 1.0), (0.2, 0.1)], [(0.2, 0.45)] + arc(0.6, 0.45, 0.4, 0.35, 180, 300, 8)],
    "w": [[(0.0, 0.0)] + arc(0.25, 0.5, 0.25, 0.5, 180, 0, 8) + arc(0.75, 0.5, 0.25, 0.5, 180, 0, 8)[1:] + [(1.0, 0.0)]],
}
SYMBOLS = {
    "plus": [[(0.5, 0.0), (0.5, 1.0)], [(0.0, 0.5), (1.0, 0.5)]],
    "equals": [[(0.0, 0.3), (1.0, 0.3)], [(0.0, 0.7), (1.0, 0.7)]],
    "hash": [[(0.3, 0.0), (0.25, 1.0)], [(0.75, 0.0), (0.7, 1.0)], [(0.0, 0.3), (1.0, 0.3)], [(0.0, 0.7), (1.0, 0.7)]],
    "percent": [[(0.9, 0.0), (0.1, 1.0)], arc(0.2, 0.18, 0.15, 0.15, 0, 360, 10), arc(0.8, 0.82, 0.15, 0.15, 0, 360, 10)],
    "asterisk": [[(0.5, 0.0), (0.5, 1.0)], [(0.07, 0.25), (0.93, 0.75)], [(0.93, 0.25), (0.07, 0.75)]],
    "tick": [[(0.0, 0.55), (0.35, 1.0), (1.0, 0.0)]],
    "angle": [[(1.0, 0.0), (0.0, 0.5), (1.0, 1.0)]],
    "wave": [[(t, 0.5 + 0.4 * math.sin(4 * math.pi * t)) for t in np.linspace(0, 1, 30)]],
}


def _shape(rng):
    """One of many shapes, each with random proportions."""
    choice = rng.integers(11)
    if choice == 9:  # a heart, rounder or pointier
        t = np.linspace(0, 2 * math.pi, 40)
        dip = rng.uniform(0.1, 0.3)
        return [list(zip(0.5 + 0.5 * np.sin(t) ** 3, 0.45 - 0.5 * np.cos(t) + dip * np.cos(2 * t)))], rng.uniform(0.8, 1.3)
    if choice == 10:  # a rectangle, maybe with a bar in it
        bar = [[(0.2, 0.5), (0.8, 0.5)]] if rng.random() < 0.5 else []
        return [[(0, 0), (1, 0), (1, 1), (0, 1), (0, 0)]] + bar, rng.uniform(0.6, 1.8)
    if choice == 0:
        return _polygon(int(rng.integers(3, 7)), rng), rng.uniform(0.6, 1.6)  # more corners would look like a 0
    if choice == 1:
        return _polygon(2 * int(rng.integers(4, 8)), rng, spikiness=rng.uniform(0.4, 0.7)), rng.uniform(0.8, 1.2)
    if choice == 2:
        return _polygon(int(rng.integers(3, 6)), rng, spikiness=-1), rng.uniform(0.7, 1.4)  # an irregular polygon
    if choice == 3:
        return _face(rng), rng.uniform(0.85, 1.15)
    if choice == 4:  # a house
        return [[(0.1, 0.45), (0.1, 1.0), (0.9, 1.0), (0.9, 0.45), (0.1, 0.45), (0.5, 0.0), (0.9, 0.45)]], rng.uniform(0.7, 1.1)
    if choice == 5:  # a sun: a ring with rays
        rays = [[(0.5 + 0.32 * math.cos(a), 0.5 + 0.32 * math.sin(a)), (0.5 + 0.5 * math.cos(a), 0.5 + 0.5 * math.sin(a))]
                for a in np.linspace(0, 2 * math.pi, int(rng.integers(6, 11)), endpoint=False)]
        return [arc(0.5, 0.5, 0.22, 0.22, 0, 360, 16)] + rays, 1.0
    if choice == 6:  # an arrow pointing any way
        head = rng.uniform(0.2, 0.4)
        strokes = [[(0.0, 0.5), (1.0, 0.5)], [(1 - head, 0.5 - head), (1.0, 0.5), (1 - head, 0.5 + head)]]
        return _turned(strokes, rng.choice([0, 90, 180, 270, 45, 135])), rng.uniform(0.7, 1.6)
    if choice == 7:  # a cloud or a flower: bumps round a centre
        bumps = int(rng.integers(4, 8))
        t = np.linspace(0, 2 * math.pi, 12 * bumps)
        radius = 0.5 - rng.uniform(0.06, 0.2) * (1 - np.abs(np.cos(bumps * t / 2)))
        return [list(zip(0.5 + radius * np.cos(t), 0.5 + radius * np.sin(t)))], rng.uniform(0.8, 1.6)
    # a grid or a box with a cross in it
    return ([[(0, 0), (1, 0), (1, 1), (0, 1), (0, 0)], [(0, 0), (1, 1)], [(1, 0), (0, 1)]] if rng.random() < 0.5 else
            [[(x, 0.0), (x, 1.0)] for x in (0.0, 0.5, 1.0)] + [[(0.0, y), (1.0, y)] for y in (0.0, 0.5, 1.0)]), 1.0


def _marks(rng):
    """Random strokes, curves, coils, hatching and dots: never the same twice."""
    choice = rng.integers(6)
    if choice == 0:  # a few straight strokes at random
        return [list(map(tuple, rng.random((rng.integers(2, 5), 2)))) for _ in range(rng.integers(2, 5))], rng.uniform(0.6, 1.5)
    if choice == 1:  # one long random polyline
        return [list(map(tuple, rng.random((rng.integers(5, 10), 2))))], rng.uniform(0.6, 1.5)
    if choice == 2:  # a coil of loops, as a pen tried out
        t = np.linspace(0, 2 * math.pi * rng.integers(3, 7), 200)
        return [list(zip(t / t[-1] + 0.12 * np.cos(t), 0.5 + 0.4 * np.sin(t)))], rng.uniform(1.2, 3.0)
    if choice == 3:  # cross-hatching at random angles
        lines = [[(i / 5, 0.0), (i / 5, 1.0)] for i in range(6)]
        return _turned(lines, rng.uniform(0, 180)) + _turned(lines[::2], rng.uniform(0, 180)), 1.0
    if choice == 4:  # dots and ticks
        return [[tuple(p), tuple(p + rng.normal(0, 0.02, 2))] for p in rng.random((rng.integers(10, 40), 2))], 1.0
    # a random smooth curve, looping across itself
    points = rng.random((rng.integers(6, 12), 2))
    for _ in range(3):
        points = np.concatenate([np.stack([0.75 * points[:-1] + 0.25 * points[1:], 0.25 * points[:-1] + 0.75 * points[1:]],
                                          axis=1).reshape(-1, 2)])
    return [list(map(tuple, points))], rng.uniform(0.6, 1.5)


def _jittered(strokes, rng):
    """Every control point moved a little; a curve drawn as many points is bent as a whole instead.

    Moving each of a curve's many points on its own would make it jagged, which no pen stroke is: a detector would
    learn "jagged, so not a digit" and pass the smooth strokes people draw.
    """
    (size_x, size_y), (often_x, often_y), (phase_x, phase_y) = (
        rng.normal(0, JITTER, (2, 2)), rng.uniform(0.5, 1.5, (2, 2)), rng.uniform(0, 2 * math.pi, (2, 2)))

    def bent(x, y):
        return (x + size_x @ np.sin(2 * math.pi * often_x * y + phase_x),
                y + size_y @ np.sin(2 * math.pi * often_y * x + phase_y))

    def curve_bent(stroke):  # a curve's points at once, the same sums as bent's: a fifth less of the bank's drawing time
        x, y = np.asarray(stroke, float).T
        return list(zip((x + size_x @ np.sin(2 * math.pi * np.multiply.outer(often_x, y) + phase_x[:, None])).tolist(),
                        (y + size_y @ np.sin(2 * math.pi * np.multiply.outer(often_y, x) + phase_y[:, None])).tolist()))

    return [[bent(x + rng.normal(0, JITTER), y + rng.normal(0, JITTER)) for x, y in s] if len(s) <= CONTROL_POINTS
            else curve_bent(s) for s in strokes]


def _turned(strokes, degrees):
    turn = math.radians(degrees)
    cos, sin = math.cos(turn), math.sin(turn)
    return [[(0.5 + (x - 0.5) * cos - (y - 0.5) * sin, 0.5 + (x - 0.5) * sin + (y - 0.5) * cos) for x, y in stroke]
            for stroke in strokes]


def _one(family, rng):
    if family == "letters":
        table = LETTERS if rng.random() < 0.8 else SYMBOLS
        return table[list(table)[rng.integers(len(table))]], rng.uniform(0.6, 1.0)
    if family == "shapes":
        return _shape(rng)
    return _marks(rng) if family == "marks" else pen_shapes.strokes(family, rng)


def _pair(families, rng):
    """Two drawings drawn across each other, or side by side or one above the other, each in its own part of the box."""
    (first, _), (second, _) = (_one(family, rng) for family in families)
    split, layout = rng.uniform(0.4, 0.6), rng.random()
    if layout < 0.4:  # one drawn over the other, as a doodle grows: each shrunk a little and moved
        overlaid = []
        for drawn in (first, second):
            size, (left, top) = rng.uniform(0.6, 1.0), rng.uniform(0, 0.3, 2)
            overlaid += [[(x * size + left, y * size + top) for x, y in s] for s in drawn]
        return overlaid, rng.uniform(0.8, 1.4)
    if layout < 0.7:
        return [[(x * split, y) for x, y in s] for s in first] + [[(split + x * (1 - split), y) for x, y in s]
                                                                     for s in second], rng.uniform(1.4, 2.2)
    return [[(x, y * 0.55) for x, y in s] for s in first] + [[(x, 0.4 + y * 0.6) for x, y in s] for s in second], 0.9


# Letters, pictures and random marks, the smooth strokes that a pen makes (lenet.data.pen_shapes: the kinds of
# non-digit that a digit classifier most often takes for a digit), and letters set in type (lenet.data.pen_letters).
FAMILIES = ("letters", "shapes", "marks") + pen_shapes.FAMILIES + ("typeset",)
# Families of one kind, drawn by different code: a family held out of fitting takes its kin with it, or a detector
# would be measured on letters after learning the same letters written as strokes.
# The script family's pen alphabet holds a ?, a ♪ and a ϟ, so those families go with the letters too.
KIN = ({"letters", "script", "hooks", "typeset", "questions", "notes", "bolts"}, {"arcs", "arches"},
       {"shapes", "leaves"}, {"zigzags", "bolts"})
# Drawings by people (lenet.data.doodles), beside those made in code: DOODLES_PER_THING of each of 343 things.
DOODLES = "doodles"
DOODLES_PER_THING = 10
ALL_FAMILIES = FAMILIES + (DOODLES,)
# Families never paired with another: type is set alone, and two brackets stacked make a 5, a 2 or an 8.
UNPAIRED = ("typeset", "brackets")
# Families added to the bank after the first: each is drawn after the rest, in a block of its own with a seed of its
# own, so that adding one redraws none of the others, and what it changes is measured on the same drawings.
LATER_FAMILIES = ("brackets", "questions", "bolts", "notes")
# Things people draw as one of the families made in code. Their doodles count as that family's too, so a family held
# out of fitting takes its look-alike doodles with it (a moon is an arc, an ocean a wave). The cached bank keeps each
# drawing's families: bump VERSION when this changes.
DOODLE_KIN = {"arcs": ("moon", "boomerang"), "arches": ("rainbow",), "waves": ("ocean", "river", "snake", "squiggle"),
              "zigzags": ("zigzag", "lightning", "stitches"), "spirals": ("hurricane", "snail"), "leaves": ("leaf",),
              "humps": ("mountain", "cloud"), "shapes": ("square", "triangle", "hexagon", "octagon", "star", "diamond",
                                                         "smiley face", "face", "sun")}


def kin(family):
    """The families held out with `family`: itself and those of its kind."""
    return set().union({family}, *(group for group in KIN if family in group))


def drawings(count=SIZE, seed=SEED, size=CANVAS, families=FAMILIES):
    """`count` canvas drawings: a list of (families, RGBA image); families names the one or two families it is from.

    Every family in `families` takes its turn; every fifth drawing pairs two of them, never of UNPAIRED.
    """
    unknown = set(families) - set(FAMILIES)
    if unknown or not families:
        raise ValueError(f"families must be some of {', '.join(FAMILIES)}; got {', '.join(families) or 'none'}")
    return list(_drawn(count, seed, size, families))


def _drawn(count=SIZE, seed=SEED, size=CANVAS, families=FAMILIES):
    """`drawings`, one at a time."""
    rng = np.random.default_rng(seed)
    drawn = [family for family in families if family not in UNPAIRED]
    for index in range(count):
        if index % 5 == 4 and drawn:
            drawn_from = tuple(rng.choice(drawn, 2))
        else:
            drawn_from = (families[(index - index // 5) % len(families)],)
        yield drawn_from, _painted(drawn_from, rng, size)


def _painted(drawn_from, rng, size):
    """One drawing of one family, or a pair of two, jittered, turned and painted as the canvas would send it."""
    on_paper = rng.random() < PAPER_SHARE
    if drawn_from == ("typeset",):
        return pen_letters.typeset(rng, size, on_paper)
    strokes, aspect = _pair(drawn_from, rng) if len(drawn_from) == 2 else _one(drawn_from[0], rng)
    strokes = _turned(_jittered(strokes, rng), rng.uniform(-TURN_DEGREES, TURN_DEGREES))
    return render(strokes, aspect, rng, on_paper=on_paper, size=size)


def _usable_cores():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _prepared(canvases, count):
    """[(families, preprocess.to_mnist_digit(image) or None)] for the `count` pairs that canvases() yields, in order.

    Drawing 8,000 takes about 6 s of one core and preparing them and the doodles 6 s more. The drawings come one by
    one from one random stream, so this process draws them while a process on each other core prepares them.
    """
    helpers = min(_usable_cores() - 1, math.ceil(count / PREPARE_CHUNK))
    if helpers >= 1 and count > PREPARE_CHUNK:  # a helper takes longer to start than one chunk takes here
        try:
            return _prepared_elsewhere(canvases(), helpers)
        except BrokenProcessPool:  # a helper could not start (a main script that runs its work unguarded): here
            pass
    return [(family, preprocess.to_mnist_digit(image)) for family, image in canvases()]


def _prepared_elsewhere(canvases, helpers):
    families = []

    def images():
        for family, image in canvases:
            families.append(family)
            yield image

    # Spawned, not forked: this process may hold TensorFlow's threads, which a fork would copy mid-work.
    with ProcessPoolExecutor(helpers, mp_context=multiprocessing.get_context("spawn")) as pool:
        digits = list(pool.map(preprocess.to_mnist_digit, images(), chunksize=PREPARE_CHUNK))
    return list(zip(families, digits))


@cache
def bank(count=SIZE, seed=SEED, doodles_per_thing=DOODLES_PER_THING):
    """The drawings as the model sees them: (families per drawing, (N, 28, 28) float32 digit images), made once.

    `count` drawings of the first families made in code and a block of each of LATER_FAMILIES, then `doodles_per_thing`
    of each thing from the doodles' teaching half; where they cannot be fetched, a warning says so and the bank has the
    drawings made in code alone. Drawing and preprocessing take 10-30 s, so the result is kept in the data cache
    (generated here, never committed) and every later training run reads it in milliseconds.
    """
    if (stored := _stored(count, seed, doodles_per_thing)) is not None:
        return stored  # the usual case, read without reading the doodles first (0.17 CPU s at every run's end)
    drawn_by_people = _doodles() if doodles_per_thing else {}
    per_thing = doodles_per_thing if drawn_by_people else 0
    if per_thing != doodles_per_thing and (stored := _stored(count, seed, per_thing)) is not None:
        return stored  # made before without the doodles, which still cannot be had
    things, people_images = doodles.sample(drawn_by_people, doodles_per_thing, seed) if drawn_by_people else ((), ())

    def canvases():  # the doodles first: they are ready, and are prepared while the rest are drawn
        yield from ((doodle_families(thing), image) for thing, image in zip(things, people_images))
        yield from _made_in_code(count, seed)

    made = _prepared(canvases, len(things) + _made_in_code_count(count))
    made = made[len(things):] + made[:len(things)]  # the bank's order: the drawings made in code, then the doodles
    families, images = zip(*[(family, digit) for family, digit in made if digit is not None])
    images = np.stack(images)
    # Read-only, it costs the next run the same 10-30 s.
    npz.write_cache(_bank_path(count, seed, per_thing),
                    {"families": np.array(["+".join(pair) for pair in families]), "images": images})
    return families, images


@cache
def scrawls(count=SCRAWL_COUNT, seed=SCRAWL_SEED):
    """(N, 28, 28) float32 strokes of no kind (pen_shapes.scrawl) as the model sees them, for the detectors alone,
    drawn once and then read from the data cache.

    They are of no family, so no family takes them with it when it is left out of fitting (likeness_families), and
    the classifier's outlier exposure does not train on them: a bundled model's card can learn them by a refit.
    """
    return npz.cached(_scrawls_path(count, seed), lambda: {"images": _scrawl_images(count, seed)},
                      names=("images",))["images"]


def _scrawl_images(count, seed):
    """`count` scrawls drawn now, painted on the bank's canvas with up to twice the usual wobble; those that prepare
    to nothing are left out."""
    rng = np.random.default_rng(seed)
    drawn = (render(*pen_shapes.scrawl(rng), rng, size=CANVAS, wobble=WOBBLE * rng.uniform(1, 2)) for _ in range(count))
    return preprocess.to_mnist_digits(drawn)


def _scrawls_path(count, seed):
    """Where scrawls drawn this way are cached (preprocess.cache_path)."""
    return preprocess.cache_path("outlier-bank", "scrawls", SCRAWL_VERSION, count, seed)


def _made_in_code(count, seed):
    """The bank's drawings made in code: `count` of the first families in turn, then a block of each later family."""
    yield from _drawn(count, seed, families=tuple(family for family in FAMILIES if family not in LATER_FAMILIES))
    for offset, family in enumerate(LATER_FAMILIES, start=1):
        yield from _drawn(_later_count(count), seed + offset, families=(family,))


def _made_in_code_count(count):
    """How many drawings _made_in_code yields."""
    return count + len(LATER_FAMILIES) * _later_count(count)


def _later_count(count):
    """How many drawings of a later family: a first family's share of `count`."""
    return count // (len(FAMILIES) - len(LATER_FAMILIES))


def _bank_path(count, seed, doodles_per_thing):
    """Where a bank made this way is cached (preprocess.cache_path); the name also says which doodles it holds."""
    by_people = f"-{doodles.PACKAGE.replace('@', '-')}x{doodles_per_thing}" if doodles_per_thing else ""
    return preprocess.cache_path("outlier-bank", "bank", VERSION, count, seed, suffix=by_people)


def _stored(count, seed, doodles_per_thing):
    """The cached bank made this way, as bank() returns it, or None."""
    stored = npz.read_all(_bank_path(count, seed, doodles_per_thing))
    if stored is None or set(stored) != {"families", "images"}:
        return None
    return tuple(tuple(str(joined).split("+")) for joined in stored["families"]), stored["images"]


def doodle_families(thing):
    """The families a doodle of `thing` belongs to: doodles, and the family made in code that it is drawn as, if any."""
    return (DOODLES,) + tuple(family for family, things in DOODLE_KIN.items() if thing in things)


def _doodles():
    """The doodles, or {} with a warning where they cannot be had (offline, no npm): a detector is still fitted."""
    try:
        return doodles.load()
    except ValueError as error:  # sources.DataError, a damaged download
        warnings.warn(f"the digit-likeness detector learns without drawings by people: {error}", stacklevel=3)
        return {}
