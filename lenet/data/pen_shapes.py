"""Things people draw with a pen that are no digit: one or two smooth strokes, as a hand moves on a tablet.

The shapes that fool a digit classifier most are not letters or pictures but single smooth strokes: an arc, a wave, a
zigzag, a spiral, a chain of loops, a hook, a row of humps; tall narrow marks, which it takes for a 1: square brackets
and curly braces; question marks, which it takes for a 7 or a 3; lightning bolts, which it takes for a 4; and notes, ♪
and ♫. Each family here draws its kind with random proportions, span, direction and turn, so a detector that learns from
them learns "unlike a digit" rather than a few designs. Shapes that really are digits when drawn alone (a straight
stroke is a 1, a closed loop a 0, one turn of a spiral a 6) are kept out by the ranges below, each with its reason.
Beside the families, scrawls: strokes of no kind at all, through a few random points (scrawl).
"""

import math

import numpy as np

from lenet.data import pen_letters
from lenet.data.synthetic import arc, smooth

FAMILIES = ("arcs", "waves", "zigzags", "spirals", "loops", "hooks", "humps", "arches", "leaves", "script", "brackets",
            "questions", "bolts", "notes")
SCRAWL_POINTS = (3, 6)  # a scrawl's control points: from 3 up to 5 (rng.integers leaves out the end)
SCRAWL_SECOND_MARK = 0.3  # the share of scrawls with a second mark
STRAY_MARK_LENGTHS = (0.02, 0.15)  # a dot, or a short dash: the spread of a stray mark's end from its start


def strokes(family, rng):
    """The unit-box strokes of one drawing of `family` and its aspect ratio (width / height)."""
    if family not in FAMILIES:
        raise ValueError(f"unknown pen-shape family {family!r}; known: {', '.join(FAMILIES)}")
    drawn, aspect = _DRAWERS[family](rng)
    degrees = rng.uniform(0, 360) if family in _ANY_TURN else rng.uniform(-25, 25)
    return _in_unit_box([_turned(stroke, degrees) for stroke in drawn]), aspect


def _arc(rng):
    # Up to 230°: a longer arc closes into a C, which people read as a sloppy 0 or 6.
    span = rng.uniform(100, 230)
    start = rng.uniform(0, 360)
    angles = np.radians(np.linspace(start, start + span, 30))
    return [np.stack([np.cos(angles), rng.uniform(0.5, 1.0) * np.sin(angles)], axis=1)], rng.uniform(0.8, 1.8)


def _wave(rng):
    # At least one full period: half a period is an arc.
    periods = rng.uniform(1.0, 2.5)
    t = np.linspace(0, 1, int(40 * periods))
    return [np.stack([t, rng.uniform(0.25, 0.6) * np.sin(2 * math.pi * periods * t + rng.uniform(0, math.pi))],
                     axis=1)], periods * rng.uniform(0.6, 1.2)


def _zigzag(rng):
    # Three segments or more: two make a V or a 7.
    segments = int(rng.integers(3, 7))
    x = np.cumsum(np.concatenate([[0], rng.uniform(0.5, 1.5, segments)]))
    y = np.where(np.arange(segments + 1) % 2 == 0, 0.0, 1.0) + rng.normal(0, 0.12, segments + 1)
    return [np.stack([x / x[-1], y], axis=1)], segments * rng.uniform(0.2, 0.45)


def _spiral(rng):
    # At least one and a half turns: one turn with a tail is a 6 or a 9.
    turns = rng.uniform(1.5, 2.5)
    angles = np.linspace(0, 2 * math.pi * turns, int(40 * turns)) * rng.choice([-1, 1])
    radii = np.linspace(rng.uniform(0.0, 0.15), 1.0, len(angles))
    return [np.stack([radii * np.cos(angles), radii * np.sin(angles)], axis=1)], rng.uniform(0.8, 1.3)


def _loops(rng):
    """A pen running on in loops, as cursive e's or l's: a stretched cycloid. Two loops or more: one is a 6 or an 8."""
    loops = rng.uniform(2.0, 4.0)
    t = np.linspace(0, 2 * math.pi * loops, int(50 * loops))
    size = rng.uniform(1.2, 2.5)
    return [np.stack([t / (2 * math.pi) + 0.25 * size * np.sin(t), -np.cos(t)], axis=1)], loops * rng.uniform(0.4, 0.7)


def _hook(rng):
    """A straight stroke that ends in an open curl, as J, ? or a note's flag; sometimes with a dot beyond it.

    The curl turns at most 200°: further, it closes into a loop, and a stem with a loop at its foot is a 6.
    """
    length = rng.uniform(0.6, 1.2)
    curl = rng.uniform(110, 200)
    angles = np.radians(np.linspace(0, curl, 20)) * rng.choice([-1, 1])
    radius = rng.uniform(0.2, 0.45)
    bend = np.stack([radius * (1 - np.cos(angles)), length + radius * np.sin(np.abs(angles))], axis=1)
    drawn = [np.concatenate([np.stack([np.zeros(10), np.linspace(0, length, 10)], axis=1), bend])]
    if rng.random() < 0.4:  # a dot beyond the stem, as under a question mark
        drawn.append(np.array([[0.0, -0.35], [0.02, -0.3]]))
    if rng.random() < 0.5:  # the curl at the top, as in a question mark, rather than at the foot, as in a J
        drawn = [stroke * [1, -1] for stroke in drawn]
    return drawn, rng.uniform(0.4, 1.0)


def _humps(rng):
    """A row of two or more humps, as m, n, u or w joined up; one hump is an arc."""
    humps = int(rng.integers(2, 5))
    t = np.linspace(0, humps * math.pi, 30 * humps)
    sharpness = rng.uniform(0.5, 1.0)  # below 1 the humps turn to points, as in a hurried w
    y = -np.abs(np.sin(t)) ** sharpness * rng.choice([-1, 1])
    return [np.stack([t / t[-1], y], axis=1)], humps * rng.uniform(0.5, 0.8)


def _arch(rng):
    """An ∩ or a ∪: a half ellipse on two legs, each its own length, maybe splayed. A ∩ alone is read as a 7."""
    angles = np.radians(np.linspace(180, 360, 24))
    dome = np.stack([np.cos(angles), rng.uniform(0.4, 1.2) * np.sin(angles)], axis=1)
    (left, right), splay = rng.uniform(0.3, 1.6, 2), rng.uniform(-0.3, 0.3)
    drawn = np.concatenate([[[-1 - splay * left, left]], dome, [[1 + splay * right, right]]])
    return [drawn * [1, rng.choice([-1, 1])]], rng.uniform(0.6, 1.6)


def _leaf(rng):
    """A leaf: two arcs meeting in points, a stem beyond one point, often a midrib and veins. A leaf without its
    stem is a pointed loop, which people read as a 0."""
    width = rng.uniform(0.25, 0.6)
    t = np.linspace(0, math.pi, 20)
    upper, lower = (np.stack([t / math.pi, sign * width * np.sin(t) ** rng.uniform(0.7, 1.3)], axis=1)
                    for sign in (1, -1))
    stem_length = rng.uniform(0.15, 0.5)
    outline = np.concatenate([[[-stem_length, rng.normal(0, 0.05)]], upper, lower[::-1]])
    drawn = [outline]
    if rng.random() < 0.7:  # a midrib, and sometimes veins off it
        drawn.append(np.array([[0.0, 0.0], [0.9, 0.0]]))
        for x in rng.uniform(0.2, 0.7, int(rng.integers(0, 4))):
            side = rng.choice([-1, 1])
            drawn.append(np.array([[x, 0.0], [x + 0.15, side * 0.7 * width * math.sin(math.pi * (x + 0.15))]]))
    return drawn, rng.uniform(1.4, 2.6)


def _bracket(rng):
    """A square bracket or a curly brace, opening either way: tall, narrow and upright, as a 1 is.

    Each arm reaches out at least 30% of the height: shorter, a square bracket is a 1 with serifs. Round brackets are
    left out: a narrow bow is how many people draw a 1.
    """
    if rng.random() < 0.5:  # square: a stem, with an arm at each end, each tilted a little
        tilts = rng.uniform(-0.1, 0.1, 2)
        drawn = np.array([[1.0, tilts[0]], [0.0, 0.0], [0.0, 1.0], [1.0, 1.0 + tilts[1]]])
        aspect = rng.uniform(0.3, 0.6)
    else:  # curly: two bows meeting in a point halfway down; wider, it is a 3
        aspect = rng.uniform(0.25, 0.4)
        bow, point = rng.uniform(0.25, 0.45), rng.uniform(0.0, 0.1)
        top = np.array([[1.0, 0.0], [0.6, 0.03], [bow, 0.12], [bow, 0.38]])
        drawn = np.concatenate([top, [[point, 0.5]], (top * [1, -1] + [0, 1])[::-1]])
    return [drawn * [rng.choice([-1, 1]), 1]], aspect


def _bolt(rng):
    """A lightning bolt, ϟ, in one stroke: down across the whole width, a jog back, and down across again.

    The jog turns back across at least 45% of the width: shorter, the bolt is one bent stroke, a 1. The last stroke
    ends at least 30% of the width past the jog's end: straight down from it, the bolt is a 4 with an open top.
    """
    upper, rise = rng.uniform(0.4, 0.6), rng.uniform(-0.1, 0.05)  # the jog runs level or climbs a little
    jog_end = rng.uniform(0.45, 0.8)
    drawn = np.array([[1.0, 0.0], [0.0, upper], [jog_end, upper + rise], [jog_end - rng.uniform(0.3, 0.8), 1.0]])
    return [drawn * [rng.choice([-1, 1]), 1]], rng.uniform(0.4, 0.75)


def _note(rng):
    """A note, ♪, or two beamed, ♫: a head at the foot of a stem, most often inked in, and a flag or a beam at the top.

    The stem rises from the head's right, never its left: a head with a stem on its left is a 6 drawn tall.
    """
    width, height = rng.uniform(0.22, 0.32), rng.uniform(0.12, 0.18)
    heads = [(width, 1 - height)] if rng.random() < 0.6 else [(width, 1 - height), (1 - width, 0.9 - height)]
    drawn, stem_tops = [], []
    for centre_x, centre_y in heads:
        rings = (1.0, 0.6, 0.25) if rng.random() < 0.7 else (1.0,)  # inked in, or drawn as a ring
        drawn += [np.array(arc(centre_x, centre_y, ring * width, ring * height, 0, 360, 19)) for ring in rings]
        stem_tops.append((centre_x + width, centre_y - rng.uniform(0.65, 0.8)))
        drawn.append(np.array([(centre_x + width, centre_y), stem_tops[-1]]))
    if len(heads) == 2:  # a beam joins the two stems' tops
        drawn.append(np.array(stem_tops))
    else:  # a flag curls down from the stem's top
        along = np.linspace(0, 1, 10)
        (top_x, top_y), = stem_tops
        drawn.append(np.stack([top_x + 0.35 * along, top_y + 0.35 * along - 0.15 * np.sin(math.pi * along)], axis=1))
    return drawn, rng.uniform(0.45, 0.8) if len(heads) == 1 else rng.uniform(0.8, 1.2)


def _script(rng, glyph=None):
    """A letter or symbol of the pen alphabet: `glyph`, or any."""
    strokes_in_box, aspect = pen_letters.strokes(rng, glyph)
    return [np.asarray(stroke) for stroke in strokes_in_box], aspect


def _question(rng):
    """A question mark written with a pen: the script family's "question" glyph alone. There it is one glyph in
    61, and the bundled card refused a ? set in 38 system typefaces 37% of the time; taught a block of these (bank
    v6), 85% (BENCHMARKS.md, "Not a digit, family by family")."""
    return _script(rng, "question")


def stray_mark(rng):
    """A dot or a short dash anywhere in the unit box: its two ends, a (2, 2) array."""
    start = rng.uniform(0, 1, 2)
    return np.array([start, start + rng.normal(0, rng.choice(STRAY_MARK_LENGTHS), 2)])


def scrawl(rng):
    """A stroke of no kind, and its aspect ratio: through three to five random points of the unit box, straight
    between them or smoothed as a hand bends it, and now and then a second mark, a dot, a dash or a shorter stroke.

    Each family draws its one design; what people draw is more various than any list of designs, and random strokes
    are variety at its plainest. Fewer points make a line or a V, more a scribble the bank already has. Some scrawls
    are a digit (a 7, a 2, an L), so a detector taught them learns from a few wrong labels, as it does from the broken
    digits: the validation digits still set its threshold. Taught 4,000 of them, detectors that never saw a lightning
    bolt refused 74% of bolts, against 62% (BENCHMARKS.md, "Not a digit, family by family").
    """
    drawn = [_random_stroke(rng, SCRAWL_POINTS)]
    if rng.random() < SCRAWL_SECOND_MARK:
        drawn.append(stray_mark(rng) if rng.random() < 0.5 else _random_stroke(rng, (2, 4)))  # or a shorter stroke
    return [list(map(tuple, stroke)) for stroke in drawn], rng.uniform(0.3, 1.6)


def _random_stroke(rng, corners):
    """A stroke through random points of the unit box, as many as rng.integers(*corners) gives: straight between them,
    or smoothed through them, each half the time."""
    points = rng.random((int(rng.integers(*corners)), 2))
    return smooth(points) if rng.random() < 0.5 else points


_DRAWERS = {"arcs": _arc, "waves": _wave, "zigzags": _zigzag, "spirals": _spiral, "loops": _loops, "hooks": _hook,
            "humps": _humps, "arches": _arch, "leaves": _leaf, "script": _script, "brackets": _bracket,
            "questions": _question, "bolts": _bolt, "notes": _note}
# Families drawn at any turn; a hook or humps upside down could read as a digit.
_ANY_TURN = {"arcs", "waves", "zigzags", "spirals", "loops", "leaves"}


def _turned(points, degrees):
    turn = math.radians(degrees)
    rotation = np.array([[math.cos(turn), math.sin(turn)], [-math.sin(turn), math.cos(turn)]])
    return np.asarray(points, dtype=float) @ rotation


def _in_unit_box(drawn):
    """The strokes stretched to fill the unit box, as the renderer expects; the aspect ratio then sets the shape.

    A side much shorter than the other (a wave laid flat) is stretched no more than to a third of the longer one, so
    a hand's small sideways drift does not blow up into a new shape.
    """
    low = np.min([stroke.min(axis=0) for stroke in drawn], axis=0)
    extent = np.max([stroke.max(axis=0) for stroke in drawn], axis=0) - low
    extent = np.maximum(extent, extent.max() / 3)
    return [[tuple(point) for point in (stroke - low) / extent] for stroke in drawn]
