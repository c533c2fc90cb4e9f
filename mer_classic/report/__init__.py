"""Run folders: writing them, reading them, and drawing their reports.

A run folder is written in two steps. :func:`write_run` (training),
:func:`write_evaluation` (a saved model on another table) and
:func:`write_dynamic_files` (dynamic 2 Hz valence/arousal) store the facts
(``metrics.json``, ``run.json``, ``predictions.csv`` and the model);
:func:`render_report` then draws everything a person reads (``report.md``, CSV tables,
PNG figures and the self-contained ``index.html``) from those files alone, so
``mer-classic report DIR`` can rebuild any run at any time.

Layout (each module imports only the ones above it in this list):

- ``_files``: the run folder's file names (:data:`HTML_FILE` ...), the data-summary
  keys, the readers (:func:`read_run`, :func:`read_importance`) and the number
  formatter;
- ``_plots``: matplotlib figures (confusion matrices, scatter, V/A plane, prediction
  curves);
- ``_html``: HTML building blocks and the text rules both reports share (readable
  settings rows, absent quadrants, labels that already are quadrants);
- ``_evaluation``: what an evaluation run states (model, external table, label
  mapping) in ``run.json``, ``report.md`` and the page;
- ``_sections``, ``_page``: the HTML page (:func:`build_html`, :func:`write_html`);
- ``_dynamic``: the dynamic run's writer and report;
- ``_markdown``: ``report.md`` and :func:`render_report`;
- ``_write``: :func:`write_run`, :func:`write_evaluation`, :func:`run_folder`.
"""

from __future__ import annotations

from mer_classic.report._files import read_importance, read_run
from mer_classic.report._markdown import render_report
from mer_classic.report._page import write_html
from mer_classic.report._plots import plot_curves
from mer_classic.report._write import write_run

__all__ = [
    "plot_curves",
    "read_importance",
    "read_run",
    "render_report",
    "write_html",
    "write_run",
]
