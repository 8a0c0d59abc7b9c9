"""Pen gestures and marks that are no digit, of our own design, for checking the digit-likeness detector on drawings
that no bank of non-digits made: brackets and braces, carets and checks, arrows, tallies, maths signs, a pigtail.

Some overlap kinds that the outlier bank teaches (a star, a tick, a wave, a lightning bolt, a question mark), drawn here
by other code; none is drawn by lenet.serve.outlier_bank, so a change to the bank is measured on the same drawings.
Marks that are a digit when drawn alone are left out: a round bracket is a bowed 1, a stem with a flag and a foot a 1
with serifs, an S a 5, a Z a 2, a filled disc a 0.
"""

import math

import numpy as np

from lenet.data.synthetic import arc, render

_T = np.linspace(0, 1, 60)


def _brace(opening_right):
    """{ or }: two bows meeting in a point, drawn as three arcs and a cusp."""
    points = (arc(0.7, 0.15, 0.2, 0.15, 270, 180, 8) + arc(0.3, 0.38, 0.2, 0.12, 0, 90, 6)
              + arc(0.3, 0.62, 0.2, 0.12, 270, 360, 6) + arc(0.7, 0.85, 0.2, 0.15, 180, 90, 8))
    return [[(1 - x if opening_right else x, y) for x, y in points]]


def _curve(x, y):
    return [list(zip(x.tolist(), y.tolist()))]


_STAR = [(0.5 + 0.5 * math.sin(math.radians(angle)), 0.5 - 0.5 * math.cos(math.radians(angle)))
         for angle in range(0, 721, 144)]

# name: (unit-box strokes, aspect ratio as width / height)
GESTURES = {
    "triangle": ([[(0.5, 0), (1, 1), (0, 1), (0.5, 0)]], 1.0),
    "x": ([[(0, 0), (1, 1)], [(1, 0), (0, 1)]], 1.0),
    "x in one stroke": ([[(0, 0), (1, 1), (1, 0.05), (0, 1)]], 1.0),
    "rectangle": ([[(0, 0), (1, 0), (1, 1), (0, 1), (0, 0)]], 1.5),
    "check": ([[(0, 0.6), (0.3, 1), (1, 0)]], 1.2),
    "caret": ([[(0, 1), (0.5, 0), (1, 1)]], 1.2),
    "v": ([[(0, 0), (0.5, 1), (1, 0)]], 1.0),
    "zigzag": ([[(0, 0), (0.25, 1), (0.5, 0), (0.75, 1), (1, 0)]], 1.5),
    "arrow in one stroke": ([[(0, 0.5), (1, 0.5), (0.75, 0.2), (1, 0.5), (0.75, 0.8)]], 1.6),
    "left bracket": ([[(1, 0), (0, 0), (0, 1), (1, 1)]], 0.35),
    "right bracket": ([[(0, 0), (1, 0), (1, 1), (0, 1)]], 0.35),
    "left brace": (_brace(False), 0.4),
    "right brace": (_brace(True), 0.4),
    "star": ([_STAR], 1.0),
    "pigtail": ([[(0.0, 0.3)] + arc(0.55, 0.5, 0.3, 0.4, 210, -150, 16) + [(1.0, 0.3)]], 1.3),
    "lasso": ([arc(0.5, 0.4, 0.5, 0.4, 90, 450, 20) + [(0.3, 1.0)]], 1.2),
    "infinity": (_curve(0.5 + 0.5 * np.sin(2 * math.pi * _T), 0.5 + 0.35 * np.sin(4 * math.pi * _T)), 1.8),
    "heart": (_curve(0.5 + 0.5 * np.sin(2 * math.pi * _T) ** 3,
                     0.45 - 0.5 * np.cos(2 * math.pi * _T) + 0.2 * np.cos(4 * math.pi * _T)), 1.0),
    "tilde": (_curve(_T, 0.5 + 0.5 * np.sin(2 * math.pi * _T)), 2.0),
    "u": ([[(0, 0)] + arc(0.5, 0.5, 0.5, 0.5, 180, 0, 10) + [(1, 0)]], 0.9),
    "n": ([[(0, 1)] + arc(0.5, 0.5, 0.5, 0.5, 180, 360, 10) + [(1, 1)]], 0.9),
    "omega": ([[(0.1, 0)] + arc(0.25, 0.5, 0.25, 0.5, 90, 270, 10) + arc(0.75, 0.5, 0.25, 0.5, 90, -90, 10)
               + [(0.9, 0)]], 1.5),
    "e": ([[(0.1, 0.55), (0.9, 0.55)] + arc(0.5, 0.55, 0.42, 0.42, 0, -300, 18)], 0.9),
    "spring": (_curve(_T + 0.12 * np.cos(8 * math.pi * _T), 0.5 + 0.45 * np.sin(8 * math.pi * _T)), 2.5),
    "cross": ([[(0.5, 0), (0.5, 1)], [(0, 0.5), (1, 0.5)]], 1.0),
    "smile": ([arc(0.5, 0.2, 0.5, 0.6, 20, 160, 12)], 1.6),
    "minus": ([[(0, 0.5), (1, 0.5)]], 3.0),
    "two bars": ([[(0.1, 0), (0.1, 1)], [(0.9, 0), (0.9, 1)]], 0.6),
    "three tallies": ([[(x, 0), (x, 1)] for x in (0, 0.5, 1)], 0.9),
    "five tallies": ([[(x, 0), (x, 1)] for x in (0, 0.33, 0.66, 1)] + [[(-0.1, 0.7), (1.1, 0.3)]], 1.0),
    "square root": ([[(0, 0.6), (0.15, 0.5), (0.35, 1), (0.55, 0), (1, 0)]], 1.3),
    "pi": ([[(0, 0.1), (1, 0)], [(0.3, 0.05), (0.25, 1)], [(0.7, 0.05), (0.75, 1)]], 1.1),
    "divide": ([[(0, 0.5), (1, 0.5)], [(0.5, 0.1), (0.52, 0.15)], [(0.5, 0.85), (0.52, 0.9)]], 1.0),
    "not equal": ([[(0, 0.35), (1, 0.35)], [(0, 0.65), (1, 0.65)], [(0.7, 0), (0.3, 1)]], 1.0),
    "less than": ([[(1, 0), (0, 0.5), (1, 1)]], 0.8),
    "greater than": ([[(0, 0), (1, 0.5), (0, 1)]], 0.8),
    "narrow angle left": ([[(1, 0), (0, 0.5), (1, 1)]], 0.4),
    "narrow angle right": ([[(0, 0), (1, 0.5), (0, 1)]], 0.4),
    "up arrow": ([[(0.5, 1), (0.5, 0)], [(0.15, 0.35), (0.5, 0), (0.85, 0.35)]], 0.7),
    "down arrow": ([[(0.5, 0), (0.5, 1)], [(0.15, 0.65), (0.5, 1), (0.85, 0.65)]], 0.7),
    "left arrow": ([[(1, 0.5), (0, 0.5)], [(0.3, 0.15), (0, 0.5), (0.3, 0.85)]], 1.5),
    "scribbled out": ([[(step / 8, step % 2) for step in range(9)]], 1.0),
    # The "ϟ-like zigzag" and "?": a bolt in one stroke, and a ? with a round curl, unlike the bank's glyph.
    "lightning bolt": ([[(0.8, 0), (0.1, 0.55), (0.75, 0.45), (0.2, 1)]], 0.55),
    "question mark": ([arc(0.5, 0.3, 0.4, 0.3, 180, 450, 16) + [(0.5, 0.8)], [(0.5, 0.97), (0.5, 1)]], 0.6),
}


def drawings(each=30, seed=7):
    """`each` canvas drawings of every gesture, in a random pose and pen as the Draw page's canvas sends them:
    a list of (name, (280, 280, 4) uint8 image)."""
    rng = np.random.default_rng(seed)
    return [(name, render(strokes, aspect, rng)) for name, (strokes, aspect) in GESTURES.items()
            for _ in range(each)]
