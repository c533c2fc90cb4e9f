"""Loaders for published MER datasets, each in the layout its authors distribute.

Every loader follows one template: ``LOADERS[name](root) -> Dataset``. It finds the
documented files where the published layout puts them, in ``root`` or in a folder
directly inside it (never deeper; several candidates at one level are refused with
each named; ``meta["files"]`` lists what was read), validates them (a
:class:`~mer_classic.exceptions.DataError` names the missing file or column and what to do),
and returns the static labels
with their scale, the dynamic 2 Hz labels when the dataset has them, the audio
paths that exist, groups for grouped cross-validation (a track without a group
value is its own group, with a note), table features and notes.

=================  ==================================  ===========  ============
name               layout                              labels       groups
=================  ==================================  ===========  ============
``pmemo``          PMEmo 2019                          V/A 0..1     artist
``deam``           DEAM annotations (+ MEMD_audio)     V/A 1..9     artist/song
``emomusic``       emoMusic / MediaEval 2013           V/A 1..9     artist
``quadrants``      4Q / MERGE ``Q1..Q4`` folders       Q1..Q4       artist
``spotify_moods``  data_moods.csv / fetch tracks.csv   mood         artist
``soundtracks``    bundled Soundtracks set             V/A 1..9     film
=================  ==================================  ===========  ============

Examples
--------
>>> sorted(LOADERS)
['deam', 'emomusic', 'pmemo', 'quadrants', 'soundtracks', 'spotify_moods']
"""

from __future__ import annotations

import os
from collections.abc import Callable

from mer_classic._table import Table, fingerprint, load_table, read_csv
from mer_classic.datasets._base import Dataset
from mer_classic.datasets._deam import load_deam
from mer_classic.datasets._emomusic import load_emomusic
from mer_classic.datasets._pmemo import load_pmemo
from mer_classic.datasets._quadrants import load_quadrants
from mer_classic.datasets._soundtracks import load_soundtracks_dataset
from mer_classic.datasets._spotify import load_spotify_moods
from mer_classic.exceptions import ParameterError

__all__ = [
    "Dataset",
    "LOADERS",
    "load_dataset",
    "Table",
    "load_table",
    "read_csv",
    "fingerprint",
]

#: registry name → loader ``(root) -> Dataset``
LOADERS: dict[str, Callable[..., Dataset]] = {
    "pmemo": load_pmemo,
    "deam": load_deam,
    "emomusic": load_emomusic,
    "quadrants": load_quadrants,
    "spotify_moods": load_spotify_moods,
    "soundtracks": load_soundtracks_dataset,
}


def load_dataset(name: str, root: str | os.PathLike[str] | None = None) -> Dataset:
    """Load the dataset ``name`` from ``root`` through the registry.

    Parameters
    ----------
    name : str
        One of :data:`LOADERS`.
    root : path, default=None
        The dataset folder as distributed (None only for ``soundtracks``).

    Raises
    ------
    ParameterError
        For an unknown name.
    DataError
        When the folder does not hold the layout.
    """
    if name not in LOADERS:
        raise ParameterError(
            f"unknown dataset {name!r}; choose one of {', '.join(sorted(LOADERS))}"
        )
    return LOADERS[name](root)
