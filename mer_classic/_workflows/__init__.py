"""The command bodies behind ``mer_classic.cli``: one settings object in, one result out.

Private: these orchestrate the public faces (``features``, ``training``, ``predict``,
``report``, ``fetch``, ``datasets``) for one command each and are not an API of their
own; Python users call those faces directly. Each ``run_*`` takes one frozen settings
object, validated once on construction (a bad value raises the command's
``ParameterError`` / ``ConfigError`` before any work), does the job, writes its outputs
atomically and returns a result object. The click command builds the settings and
formats the lines it prints from the result (``cli/_summaries.py``); nothing here
prints. A rule a settings object enforces is not repeated in the CLI: the command
builds it with ``cli._options.settings_from_options``, which shows a refusal as a
usage error.

=============  ====================  =====================  ===============
command        settings              body                   result
=============  ====================  =====================  ===============
train          ``TrainSettings``     ``run_train``          ``TrainRun``
train-dynamic  ``DynamicSettings``   ``run_train_dynamic``  ``DynamicRun``
evaluate       ``EvaluateSettings``  ``run_evaluate``       ``EvaluateRun``
predict        ``PredictSettings``   ``run_predict``        ``PredictRun``
extract        ``ExtractSettings``   ``run_extract``        ``ExtractRun``
fetch          ``FetchSettings``     ``run_fetch``          ``FetchRun``
report         a run folder          ``run_report``         ``ReportRun``
=============  ====================  =====================  ===============

``_output`` holds the CSV/JSON table writer the prediction commands share.
"""

from __future__ import annotations

from mer_classic._workflows._commands import (
    ExtractRun,
    ExtractSettings,
    FetchRun,
    FetchSettings,
    ReportRun,
    open_page,
    run_extract,
    run_fetch,
    run_report,
)
from mer_classic._workflows._output import table_text, write_table
from mer_classic._workflows._predict import (
    PredictRun,
    PredictSettings,
    run_predict,
    run_predict_audio,
    run_predict_table,
    segments_paths,
)
from mer_classic._workflows._train import (
    DynamicRun,
    DynamicSettings,
    EvaluateRun,
    EvaluateSettings,
    TrainRun,
    TrainSettings,
    resolve_training_table,
    run_evaluate,
    run_train,
    run_train_dynamic,
)

__all__ = [
    "DynamicRun",
    "DynamicSettings",
    "EvaluateRun",
    "EvaluateSettings",
    "ExtractRun",
    "ExtractSettings",
    "FetchRun",
    "FetchSettings",
    "PredictRun",
    "PredictSettings",
    "ReportRun",
    "TrainRun",
    "TrainSettings",
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
