from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from mer_classic._samplers import AdaptiveSMOTE


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


def test_nearest_neighbors_object_is_honoured():
    """A NearestNeighbors passed as k_neighbors is used, not silently replaced by 5."""
    from sklearn.neighbors import NearestNeighbors

    X, y = _data((20, 10))
    nn = NearestNeighbors(n_neighbors=3)  # itself + 2 neighbours
    sampler = AdaptiveSMOTE(k_neighbors=nn, random_state=0)
    Xr, yr = sampler.fit_resample(X, y)
    assert sampler.k_neighbors_ == 2
    assert np.bincount(yr).tolist() == [20, 20]
    # the same as imbalanced-learn's SMOTE with that object
    from imblearn.over_sampling import SMOTE

    Xs, ys = SMOTE(
        k_neighbors=NearestNeighbors(n_neighbors=3), random_state=0
    ).fit_resample(X, y)
    np.testing.assert_array_equal(Xr, Xs)
    np.testing.assert_array_equal(yr, ys)
    assert sampler.get_params()["k_neighbors"] is nn  # not modified


def test_nearest_neighbors_object_shrinks_for_a_small_class():
    from sklearn.neighbors import NearestNeighbors

    X, y = _data((20, 3))
    nn = NearestNeighbors(n_neighbors=6)
    sampler = AdaptiveSMOTE(k_neighbors=nn, random_state=0)
    _, yr = sampler.fit_resample(X, y)
    assert sampler.k_neighbors_ == 2
    assert np.bincount(yr).tolist() == [20, 20]
    assert nn.n_neighbors == 6


def test_every_smote_parameter_is_passed_through(monkeypatch):
    import imblearn.over_sampling as ovs

    import mer_classic._samplers as samplers

    seen = {}

    class Spy(ovs.SMOTE):
        def __init__(
            self, *, sampling_strategy="auto", random_state=None, k_neighbors=5
        ):
            seen.update(
                sampling_strategy=sampling_strategy,
                random_state=random_state,
                k_neighbors=k_neighbors,
            )
            super().__init__(
                sampling_strategy=sampling_strategy,
                random_state=random_state,
                k_neighbors=k_neighbors,
            )

    monkeypatch.setattr(samplers, "SMOTE", Spy)
    X, y = _data((20, 10))
    AdaptiveSMOTE(sampling_strategy=0.8, k_neighbors=4, random_state=7).fit_resample(
        X, y
    )
    assert seen == {"sampling_strategy": 0.8, "k_neighbors": 4, "random_state": 7}
