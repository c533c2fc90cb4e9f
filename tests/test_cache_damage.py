"""A damaged per-file cache entry is detected on read, warned about and recomputed."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from click.testing import CliRunner
from mer_classic.cli.main import main

from mer_classic._cache import ArrayCache
from mer_classic.features import FeatureSettings
from mer_classic.features._batch import Track, extract_tracks


@pytest.fixture
def clips(tmp_path: Path) -> list[Track]:
    rng = np.random.default_rng(1)
    out = []
    for i in range(2):
        p = tmp_path / "audio" / f"c{i}.wav"
        p.parent.mkdir(exist_ok=True)
        t = np.arange(22050 * 2) / 22050
        sig = 0.3 * np.sin(2 * np.pi * (220 + 110 * i) * t)
        sf.write(p, sig + rng.normal(scale=0.01, size=t.size), 22050)
        out.append(Track(f"c{i}", p))
    return out


def _entries(cache: Path) -> list[Path]:
    return sorted(cache.rglob("*.npz"))


def _damage_all(cache: Path, make) -> None:
    for entry in _entries(cache):
        with np.load(entry) as data:
            arrays = {k: data[k] for k in data.files}
        with open(entry, "wb") as fh:
            np.savez(fh, **make(arrays))


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (lambda a: {**a, "values": np.full_like(a["values"], np.nan)}, "non-finite"),
        (lambda a: {**a, "values": a["values"][:5]}, "shape (5,) instead of"),
        (lambda a: {"values": a["values"]}, "instead of ['times', 'values']"),
        (lambda a: {**a, "values": np.array(["x"] * a["values"].size)}, "non-numeric"),
    ],
    ids=["nan", "five-values", "missing-array", "text"],
)
def test_damaged_entry_is_recomputed_with_a_warning(clips, tmp_path, caplog, make, why):
    cache = tmp_path / "cache"
    first = extract_tracks(clips, cache_dir=cache)
    assert len(_entries(cache)) == 2
    _damage_all(cache, make)
    with caplog.at_level(logging.WARNING):
        again = extract_tracks(clips, cache_dir=cache)
    assert (again.n_cached, again.n_computed) == (0, 2)
    pd.testing.assert_frame_equal(first.features, again.features)
    assert np.isfinite(again.features.to_numpy()).all()
    damaged = [r.getMessage() for r in caplog.records if "damaged cache" in r.message]
    assert len(damaged) == 2 and all(why in m and "recomputed" in m for m in damaged)
    # the entries were rewritten: a third run is served from the cache again
    third = extract_tracks(clips, cache_dir=cache)
    assert (third.n_cached, third.n_computed) == (2, 0)


def test_segment_entries_are_checked_too(clips, tmp_path, caplog):
    cache = tmp_path / "cache"
    settings = FeatureSettings(segment=0.5)
    first = extract_tracks(clips, settings, cache_dir=cache)
    _damage_all(cache, lambda a: {**a, "times": a["times"][:-1]})
    with caplog.at_level(logging.WARNING):
        again = extract_tracks(clips, settings, cache_dir=cache)
    assert again.n_computed == 2
    pd.testing.assert_frame_equal(first.features, again.features)
    assert sum("damaged cache" in r.message for r in caplog.records) == 2


def test_unreadable_entry_is_reported_once_through_the_batch(clips, tmp_path, caplog):
    cache = tmp_path / "cache"
    extract_tracks(clips, cache_dir=cache)
    for entry in _entries(cache):
        entry.write_bytes(b"not an npz")
    with caplog.at_level(logging.WARNING):
        again = extract_tracks(clips, cache_dir=cache)
    assert again.n_computed == 2
    assert sum("unreadable cache entry" in r.message for r in caplog.records) == 2


def test_array_cache_get_collects_problems(tmp_path):
    cache = ArrayCache(tmp_path)
    cache.entry_path("ab12").parent.mkdir(parents=True)
    cache.entry_path("ab12").write_bytes(b"junk")
    problems: list[str] = []
    assert cache.get("ab12", problems=problems) is None
    assert len(problems) == 1 and "unreadable cache entry" in problems[0]


def test_extract_cli_with_a_damaged_cache_writes_finite_rows(clips, tmp_path, caplog):
    cache = tmp_path / "cache"
    out = tmp_path / "f.csv"
    args = ["extract", str(tmp_path / "audio"), "--cache-dir", str(cache), "-q"]
    res = CliRunner().invoke(main, [*args, "--out", str(out)])
    assert res.exit_code == 0, res.output
    _damage_all(cache, lambda a: {**a, "values": a["values"][:5]})
    with caplog.at_level(logging.WARNING):
        res = CliRunner().invoke(main, [*args, "--out", str(out), "--force"])
    assert res.exit_code == 0, res.output
    assert "(0 from cache, 2 computed)" in res.output
    assert sum("damaged cache entry" in r.message for r in caplog.records) == 2
    table = pd.read_csv(out, index_col=0)
    assert table.shape[0] == 2 and not table.isna().any().any()


def test_dask_path_logs_cache_damage_like_the_local_path(
    clips, tmp_path, caplog, cluster
):
    """scheduler=... (a real LocalCluster): the workers' notes about a damaged or
    unreadable entry come back with the result and are logged here, as locally."""
    from mer_classic.features import extract_to_csv

    cache = tmp_path / "cache"
    paths = [t.path for t in clips]
    extract_to_csv(paths, tmp_path / "a.csv", cache_dir=cache)
    first, second = _entries(cache)
    _damage_all(cache, lambda a: {**a, "values": np.full_like(a["values"], np.nan)})
    second.write_bytes(b"not an npz")
    with caplog.at_level(logging.WARNING):
        res = extract_to_csv(
            paths, tmp_path / "b.csv", cache_dir=cache,
            scheduler=cluster.scheduler_address,
        )  # fmt: skip
    assert (res.n_cached, res.n_computed) == (0, 2)
    messages = [r.getMessage() for r in caplog.records]
    assert sum("damaged cache entry" in m and "non-finite" in m for m in messages) == 1
    assert sum("unreadable cache entry" in m for m in messages) == 1
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "a.csv"), pd.read_csv(tmp_path / "b.csv")
    )
