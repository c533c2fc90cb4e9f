"""Private file helpers: atomic writes, so nothing already written is ever half-overwritten.

Temporary names
---------------
Every temporary this module creates sits beside its target and is named
``.<target name>.<pid>-<host>-<random>.tmp`` (files) or ``….tmpdir`` (folders;
``….old`` for a folder moved aside by ``--force``), where ``<pid>`` is the writing
process and ``<host>`` six hex digits of a hash of its host name. A process killed
mid-write (SIGKILL, power loss) leaves such an entry behind;
:func:`remove_stale_temporaries` removes those whose owner is known to be gone.

Spreadsheet formulas
--------------------
Every CSV mer-classic writes goes through :func:`write_csv_atomic`, :func:`csv_text`
or (cell by cell) :func:`escape_formula`: a text cell (values, index, column
names) that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets
a leading ``'``, so a spreadsheet shows it as text instead of running it as a
formula (OWASP "CSV injection"). Numbers, and text that is a plain number such as
``-3``, are written unchanged. A cell that starts with quotes before such a
character gets one more quote, so :func:`unescape_formulas` (which every reader of
our tables applies) restores exactly what was written.

Modes
-----
Temporary files are created with ``os.open(..., 0o666)`` and folders with
``os.mkdir(..., 0o777)``, so the kernel applies the current umask exactly as for a
plain ``open()``/``mkdir`` (``tempfile.mkstemp``/``mkdtemp`` would give 0600/0700).
A replaced file gets the mode a newly created file would get. Pass ``mode=`` for a
file that must stay private (the Spotify token cache uses 0600).

Parts
-----
- ``_atomic``: :func:`atomic_path`, :func:`atomic_open`, :func:`atomic_dir`,
  :func:`write_text_atomic`, :func:`refuse_existing`, :func:`check_writable`;
- ``_temporaries``: the temporaries' names and :func:`remove_stale_temporaries`;
- ``_csv``: formula escaping, :func:`csv_text`, :func:`write_csv_atomic`;
- ``_json``: :func:`json_text`.
"""

from __future__ import annotations

from mer_classic._io._atomic import (
    atomic_dir,
    atomic_open,
    atomic_path,
    check_writable,
    refuse_existing,
    write_text_atomic,
)
from mer_classic._io._csv import (
    csv_text,
    escape_formula,
    escape_formulas,
    unescape_formula,
    unescape_formulas,
    write_csv_atomic,
)
from mer_classic._io._json import json_text
from mer_classic._io._temporaries import STALE_AGE, remove_stale_temporaries
from mer_classic._io._temporaries import _host_tag as _host_tag
from mer_classic._io._temporaries import _temp_name as _temp_name

__all__ = [
    "atomic_path",
    "atomic_open",
    "atomic_dir",
    "write_text_atomic",
    "write_csv_atomic",
    "csv_text",
    "escape_formula",
    "escape_formulas",
    "unescape_formula",
    "unescape_formulas",
    "refuse_existing",
    "json_text",
    "check_writable",
    "remove_stale_temporaries",
    "STALE_AGE",
]
