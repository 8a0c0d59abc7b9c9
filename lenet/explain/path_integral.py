"""The path integral behind integrated gradients, cut as finely as each stretch of the path needs.

Integrated gradients averages the score's gradient along the path from a black image to the drawing. A fixed grid
does this poorly on the networks we train: relu and max pooling make the score bend sharply wherever a unit switches
on or a different pixel wins a pool, so the error of any fixed rule shrinks only as 1/steps (a batch-norm model was
12% off at 32 and 128 steps), and most of the path is smooth enough for a coarse grid.

The path is first cut into a few equal pieces (the trapezoid rule, which includes both ends). On each piece the
score's own change is known exactly, from the scores at its ends, and the trapezoid rule's estimate of it is
length × (slope at the start + slope at the end) / 2, the slope being the gradient times the drawing. Their
difference is that piece's share of the completeness gap, and the pieces' shares add up to the whole gap exactly.
So the pieces whose share is more than their even part of the allowed gap are halved, all at once in one batched
call, until the shares' absolute sum is within the tolerance or the budget of steps is spent.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PathIntegral:
    mean_gradient: np.ndarray  # the gradient averaged along the path; times the drawing, it is the evidence
    score_change: float  # the score at the drawing minus at the black image
    steps: int  # the pieces the path was cut into
    gap: float  # the evidence's sum minus score_change: completeness's error, within the tolerance unless capped


def integrate(along, first_steps, max_steps, tolerance, floor):
    """Integrate along the path [0, 1]. `along(fractions)` returns, for each fraction of the path, the score, its
    slope (the gradient times the drawing) and the gradient; a batch of fractions is one call.

    Stops once the completeness gap is at most `tolerance` × |score change| + `floor`, or at `max_steps` pieces.
    """
    fractions = np.linspace(0.0, 1.0, first_steps + 1, dtype=np.float32)
    scores, slopes, gradients = along(fractions)
    allowed = tolerance * abs(float(scores[-1]) - float(scores[0])) + floor
    while True:
        gaps = piece_gaps(fractions, scores, slopes)
        room = max_steps + 1 - len(fractions)
        if np.abs(gaps).sum() <= allowed or room <= 0:
            break
        halves = _midpoints_to_add(fractions, gaps, allowed, room)
        found = (fractions, scores, slopes, gradients)
        fractions, scores, slopes, gradients = _merged(found, (halves, *along(halves)))
    lengths = np.diff(fractions.astype(np.float64))
    weights = np.zeros(len(fractions))  # the trapezoid rule: each point weighs half of each piece beside it
    weights[:-1] += lengths / 2
    weights[1:] += lengths / 2
    return PathIntegral(mean_gradient=np.tensordot(weights, gradients, axes=1).astype(np.float32),
                        score_change=float(scores[-1]) - float(scores[0]), steps=len(fractions) - 1,
                        gap=-float(gaps.sum()))


def piece_gaps(fractions, scores, slopes):
    """Each piece's change in score minus the trapezoid rule's estimate of it; they sum to minus the whole gap."""
    lengths = np.diff(fractions.astype(np.float64))
    slopes = slopes.astype(np.float64)
    return np.diff(scores.astype(np.float64)) - lengths * (slopes[:-1] + slopes[1:]) / 2


def _midpoints_to_add(fractions, gaps, allowed, room):
    """The midpoints of the pieces over their even part of the allowed gap, the worst first, at most `room`."""
    over = np.flatnonzero(np.abs(gaps) > allowed / len(gaps))
    worst_first = over[np.argsort(-np.abs(gaps[over]), kind="stable")][:room]
    return ((fractions[worst_first] + fractions[worst_first + 1]) / 2).astype(np.float32)


def _merged(known, added):
    """Two sets of (fractions, scores, slopes, gradients) as one, in the order of the fractions."""
    joined = [np.concatenate([old, new]) for old, new in zip(known, added)]
    order = np.argsort(joined[0], kind="stable")
    return [values[order] for values in joined]
