import numpy as np
import pytest

from lenet.explain import path_integral

KINK = 0.37  # inside a piece of the first cut, never on a point of it


def kinked(fractions):
    """A score that is flat, then rises with slope 2 from KINK on, as a relu unit switching on makes it; the gradient
    is one number, so the evidence is one number too."""
    fractions = np.asarray(fractions, dtype=np.float32)
    slopes = np.where(fractions > KINK, 2.0, 0.0).astype(np.float32)
    scores = (2.0 * np.maximum(fractions - KINK, 0.0)).astype(np.float32)
    return scores, slopes, slopes[:, None]


def test_the_piece_with_the_kink_is_cut_until_the_evidence_is_complete():
    result = path_integral.integrate(kinked, first_steps=8, max_steps=512, tolerance=0.001, floor=0.0)
    assert result.score_change == pytest.approx(2 * (1 - KINK), abs=1e-6)
    assert abs(result.mean_gradient[0] - result.score_change) <= 0.001 * result.score_change
    assert result.gap == pytest.approx(result.mean_gradient[0] - result.score_change, abs=1e-6)
    # Only the piece holding the kink is halved, once per round: a few steps more, where an even grid needs hundreds.
    assert 8 < result.steps <= 8 + 12


def test_a_smooth_path_needs_no_more_than_the_first_cut():
    def linear(fractions):
        fractions = np.asarray(fractions, dtype=np.float32)
        return 3 * fractions, np.full_like(fractions, 3.0), np.full((len(fractions), 1), 3.0, np.float32)

    result = path_integral.integrate(linear, first_steps=8, max_steps=512, tolerance=0.001, floor=0.0)
    assert result.steps == 8 and result.mean_gradient[0] == pytest.approx(3.0) and result.gap == pytest.approx(0.0)


def test_the_budget_caps_the_steps_and_the_gap_left_is_reported():
    result = path_integral.integrate(kinked, first_steps=8, max_steps=10, tolerance=0.0, floor=0.0)
    assert result.steps == 10
    assert result.gap != 0 and result.gap == pytest.approx(result.mean_gradient[0] - result.score_change, abs=1e-6)
