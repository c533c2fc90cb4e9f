"""Private progress-bar helper (tqdm), silenced by ``quiet=True`` or a non-TTY in tests."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["progress"]


def progress(
    iterable: Iterable[T],
    *,
    total: int | None = None,
    desc: str = "",
    quiet: bool = False,
) -> Iterator[T]:
    """Wrap ``iterable`` in a tqdm bar on stderr unless ``quiet``.

    The bar is drawn only when stderr is a terminal (tqdm's ``disable=None``), so
    a log file or a pipe gets no carriage-return frames.
    """
    if quiet:
        yield from iterable
        return
    from tqdm.auto import tqdm

    kwargs: dict[str, Any] = {
        "total": total,
        "desc": desc,
        "leave": False,
        "dynamic_ncols": True,
        "disable": None,  # no frames in a non-TTY log
    }
    yield from tqdm(iterable, **kwargs)
