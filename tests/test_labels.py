from __future__ import annotations

import numpy as np
import pytest

from mer_classic.exceptions import DataError, ParameterError
from mer_classic.labels import infer_scale, rescale, to_quadrant, va_to_quadrant


@pytest.mark.parametrize(
    ("scale", "low", "high"),
    [("1-9", 1.0, 9.0), ("-1..1", -1.0, 1.0), ("0..1", 0.0, 1.0), ((0, 100), 0, 100)],
)
def test_va_to_quadrant_on_every_scale(scale, low, high):
    mid, d = (low + high) / 2, (high - low) / 4
    v = [mid + d, mid - d, mid - d, mid + d]
    a = [mid + d, mid + d, mid - d, mid - d]
    assert va_to_quadrant(v, a, scale).tolist() == ["Q1", "Q2", "Q3", "Q4"]


def test_neutral_point_counts_as_positive():
    assert va_to_quadrant([5.0], [5.0], "1-9").tolist() == ["Q1"]


def test_inferred_scale_matches_explicit():
    v, a = np.array([2.0, 8.0, 4.9]), np.array([7.0, 3.0, 5.1])
    assert va_to_quadrant(v, a).tolist() == va_to_quadrant(v, a, "1-9").tolist()


def test_rescale_round_trip():
    x = np.array([1.0, 3.0, 9.0])
    back = rescale(rescale(x, "1-9", "-1..1"), "-1..1", "1-9")
    np.testing.assert_allclose(back, x)


def test_infer_scale_refuses_unknown_range():
    with pytest.raises(DataError, match="matches no known scale"):
        infer_scale([0.0, 50.0])


def test_bad_scale_and_shapes():
    with pytest.raises(ParameterError, match="unknown scale"):
        rescale([1], "1-7")
    with pytest.raises(ParameterError, match="differ in shape"):
        va_to_quadrant([1, 2], [1], "1-9")


def test_to_quadrant_moods():
    assert to_quadrant(["energetic", "Calm", "q3"]).tolist() == ["Q1", "Q4", "Q3"]
    with pytest.raises(DataError, match="cannot map label 'jazzy'"):
        to_quadrant(["jazzy"])
