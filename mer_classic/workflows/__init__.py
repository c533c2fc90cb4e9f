"""Every command body as a library call: what each ``mer-classic`` command runs.

Each ``run_*`` function takes one frozen settings object (validated once, on
construction) or plain values, does the job, writes its outputs atomically and returns
a result object; the CLI formats the summary lines from it. Each CLI command is one
call to one of them.

- ``_train``: :func:`run_train` (a ``TrainSettings`` in, a ``TrainRun`` out),
  :func:`run_train_dynamic` (``DynamicSettings`` → ``DynamicRun``), :func:`run_evaluate`
  (``EvaluateSettings`` → ``EvaluateRun``) and :func:`resolve_training_table`; the
  settings and result classes stay in the private module (the CLI builds them and
  formats the results in ``cli/_summaries.py``);
- ``_predict``: :func:`run_predict` (table or audio), :func:`run_predict_audio`,
  :func:`run_predict_table` (a ``_predict.PredictSettings`` in, a
  ``_predict.PredictRun`` out; both private: the CLI builds them);
- ``_commands``: :func:`run_extract`, :func:`run_fetch`, :func:`run_report`,
  :func:`open_page` (``_commands.ExtractSettings`` → ``ExtractRun``,
  ``FetchSettings`` → ``FetchRun``, a ``ReportRun`` out; private: the CLI builds
  them and formats the summary lines);
- ``_output``: the CSV/JSON table writer the prediction commands share.
"""

from __future__ import annotations

from mer_classic.workflows._commands import (
    open_page,
    run_extract,
    run_fetch,
    run_report,
)
from mer_classic.workflows._output import table_text, write_table
from mer_classic.workflows._predict import (
    run_predict,
    run_predict_audio,
    run_predict_table,
    segments_paths,
)
from mer_classic.workflows._train import (
    resolve_training_table,
    run_evaluate,
    run_train,
    run_train_dynamic,
)

__all__ = [
    "open_page",
    "resolve_training_table",
    "run_evaluate",
    "run_extract",
    "run_fetch",
    "run_predict",
    "run_predict_audio",
    "run_predict_table",
    "run_report",
    "run_train",
    "run_train_dynamic",
    "segments_paths",
    "table_text",
    "write_table",
]
