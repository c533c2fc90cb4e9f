from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from mer_classic.samplers import AdaptiveSMOTE


def _data(counts):
    rng = np.random.default_rng(0)
    y = np.concatenate([[i] * c for i, c in enumerate(counts)])
    return rng.normal(size=(len(y), 3)), y


@pytest.mark.parametrize(
    ("counts", "k_expected"), [((20, 10), 5), ((20, 3), 2), ((20, 2), 1)]
)
def test_k_shrinks_to_smallest_class(counts, k_expected):
    X, y = _data(counts)
    sampler = AdaptiveSMOTE(random_state=0)
    _, yr = sampler.fit_resample(X, y)
    assert sampler.k_neighbors_ == k_expected
    assert np.bincount(yr).tolist() == [counts[0]] * len(counts)


def test_singleton_class_falls_back_to_random_oversampling():
    X, y = _data((6, 1))
    sampler = AdaptiveSMOTE(random_state=0)
    Xr, yr = sampler.fit_resample(X, y)
    assert sampler.k_neighbors_ == 0
    assert np.bincount(yr).tolist() == [6, 6]
    # random over-sampling repeats the single member exactly
    assert np.all(Xr[yr == 1] == X[y == 1][0])


def test_sklearn_params_and_clone():
    s = AdaptiveSMOTE(k_neighbors=3, random_state=1)
    c = clone(s)
    assert c.get_params()["k_neighbors"] == 3 and c is not s


def test_resampling_is_seeded():
    X, y = _data((15, 5))
    a = AdaptiveSMOTE(random_state=3).fit_resample(X, y)[0]
    b = AdaptiveSMOTE(random_state=3).fit_resample(X, y)[0]
    np.testing.assert_array_equal(a, b)
