"""Feature extraction on a Dask cluster: kept importable here, lives in :mod:`mer_classic.features.distributed`.

``mer_classic.distributed.extract_to_csv_distributed`` is the path the README documents;
the code moved into the features package with the rest of the extraction.
"""

from __future__ import annotations

from mer_classic.features.distributed import (
    DistributedExtraction,
    extract_to_csv_distributed,
    part_paths,
)

__all__ = ["DistributedExtraction", "extract_to_csv_distributed", "part_paths"]
