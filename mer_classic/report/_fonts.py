"""Fonts for figure text that the default font cannot draw (e.g. CJK labels).

matplotlib draws with one font family and warns once per character it lacks (a
confusion matrix with Japanese labels gave twelve warnings). :func:`label_fonts`
looks for an installed font that has the missing characters and puts it behind the
default font (matplotlib falls back glyph by glyph), or, when none has them, gives
one :class:`~mer_classic.exceptions.MissingGlyphWarning` and silences the rest.
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Iterable, Iterator
from typing import Any

from mer_classic.exceptions import MissingGlyphWarning

__all__ = ["label_fonts", "fallback_font"]

#: family names tried first (fonts made for CJK and other wide scripts)
_LIKELY = (
    "cjk",
    "han",
    "wenquanyi",
    "fallback",
    "gothic",
    "mincho",
    "unifont",
    "unicode",
    "noto sans",
)

#: character sets already warned about (one warning per process and set)
_WARNED: set[frozenset[str]] = set()

#: fonts that map every character to a placeholder picture (matplotlib ships one)
_NOT_TEXT = ("last resort",)


@functools.lru_cache(maxsize=256)
def _charmap(path: str) -> frozenset[int]:
    from matplotlib.ft2font import FT2Font

    try:
        return frozenset(FT2Font(path).get_charmap())
    except (OSError, RuntimeError, ValueError):  # a font file FreeType cannot read
        return frozenset()


def _default_font() -> tuple[str, str]:
    """Family name and file of the font matplotlib draws text with."""
    from matplotlib import font_manager

    path = font_manager.findfont(
        font_manager.FontProperties(), fallback_to_default=True
    )
    return font_manager.FontProperties(fname=path).get_name(), path


@functools.lru_cache(maxsize=64)
def fallback_font(chars: frozenset[str]) -> str | None:
    """Family name of an installed font that has every one of ``chars``, or None."""
    from matplotlib import font_manager

    needed = {ord(c) for c in chars}
    fonts = sorted(
        font_manager.fontManager.ttflist,
        key=lambda f: not any(k in f.name.lower() for k in _LIKELY),
    )
    for font in fonts:
        if font.name.lower().startswith(_NOT_TEXT):
            continue
        if needed <= _charmap(font.fname):
            return str(font.name)
    return None


def _missing(texts: Iterable[Any]) -> frozenset[str]:
    chars = {c for t in texts for c in str(t) if not c.isspace() and ord(c) > 127}
    if not chars:
        return frozenset()
    _, path = _default_font()
    have = _charmap(path)
    return frozenset(c for c in chars if ord(c) not in have)


@contextlib.contextmanager
def label_fonts(texts: Iterable[Any]) -> Iterator[None]:
    """Draw ``texts`` (labels of one figure) with a font that has their characters.

    Inside the block, when the default font lacks some characters of ``texts``, an
    installed font that has them follows it in ``font.family``; when no font has
    them, one :class:`~mer_classic.exceptions.MissingGlyphWarning` names a few
    (once per process for the same characters) and matplotlib's per-glyph warnings
    are silenced.
    """
    missing = _missing(texts)
    if not missing:
        yield
        return
    import matplotlib

    family, _ = _default_font()
    font = fallback_font(missing)
    if font is not None:
        with matplotlib.rc_context({"font.family": [family, font]}):
            yield
        return
    shown = "".join(sorted(missing)[:8])
    if missing in _WARNED:  # once per process for these characters
        shown = ""
    _WARNED.add(missing)
    if shown:
        warnings.warn(
            f"no installed font has the characters {shown!r} of the labels; they "
            "show as boxes in the figures. Install a font that has them (e.g. Noto "
            "Sans CJK: apt-get install fonts-noto-cjk) and rerun `mer-classic report`",
            MissingGlyphWarning,
            stacklevel=3,
        )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from")
        yield
