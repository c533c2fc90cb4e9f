"""Options that several commands share, defined once so they cannot drift apart.

Only light imports here: the CLI's start-up path must not load the ML stack.
"""

from __future__ import annotations

import pathlib
import shlex
from collections.abc import Callable, Iterable
from typing import Any

import click

from mer_classic.exceptions import ParameterError
from mer_classic.parallel import check_n_jobs

__all__ = [
    "JOBS",
    "jobs_option",
    "quiet_option",
    "force_option",
    "scheduler_option",
    "model_path_option",
    "cv_option",
    "repeats_option",
    "seed_option",
    "grid_option",
    "command_line",
    "settings_from_options",
]

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


class JobsType(click.ParamType):
    """A joblib ``n_jobs``: a positive int or -1 (checked by ``check_n_jobs``)."""

    name = "N"

    def convert(self, value: Any, param: Any, ctx: Any) -> int:
        try:
            return check_n_jobs(int(value) if isinstance(value, str) else value)
        except (ValueError, ParameterError):
            self.fail(f"must be a positive int or -1; got {value!r}", param, ctx)


JOBS = JobsType()


def jobs_option(help: str) -> Decorator:
    """``--jobs/-j N`` (default 1, -1 for every core)."""
    return click.option(
        "--jobs", "-j", "jobs", type=JOBS, default=1, show_default=True, help=help
    )


def cv_option(help: str = "Outer cross-validation folds.") -> Decorator:
    """``--cv K`` (at least 2, default 5)."""
    return click.option(
        "--cv", type=click.IntRange(min=2), default=5, show_default=True, help=help
    )


def repeats_option(
    help: str = "Repeat the CV with other fold seeds; metrics get mean ± sd.",
) -> Decorator:
    """``--repeats N`` (at least 1, default 1)."""
    return click.option(
        "--repeats", type=click.IntRange(min=1), default=1, show_default=True, help=help
    )


def seed_option(
    help: str = "Seed of the folds, the resampling and the models (runs reproduce).",
) -> Decorator:
    """``--seed N`` (default 42)."""
    return click.option("--seed", type=int, default=42, show_default=True, help=help)


def grid_option(help: str = "Nested grid search of hyper-parameters.") -> Decorator:
    """``--grid/--no-grid`` (default on)."""
    return click.option("--grid/--no-grid", default=True, show_default=True, help=help)


def quiet_option(help: str = "No progress bars.") -> Decorator:
    """``--quiet/-q``."""
    return click.option("--quiet", "-q", is_flag=True, help=help)


def force_option(help: str) -> Decorator:
    """``--force``: replace outputs that already exist."""
    return click.option("--force", is_flag=True, help=help)


def scheduler_option(help: str) -> Decorator:
    """``--scheduler local|tcp://HOST:PORT`` (Dask)."""
    return click.option(
        "--scheduler", default=None, metavar="local|tcp://HOST:PORT", help=help
    )


#: said wherever the user chooses a model file (predict, evaluate)
MODEL_FILE_WARNING = (
    "model.joblib is a pickle: loading it runs code, so give only models you made "
    "or trust (the sha256 in model.json detects corruption, not malice)."
)


def model_path_option(
    help: str = "Run folder or model.joblib written by `train`. " + MODEL_FILE_WARNING,
) -> Decorator:
    """``--model PATH`` of a saved model (required)."""
    return click.option(
        "--model",
        "model_path",
        required=True,
        type=click.Path(path_type=pathlib.Path),
        help=help,
    )


def command_line(
    ctx: click.Context, *, add: Iterable[str] = (), omit: Iterable[str] = ()
) -> str:
    """Rebuild the running command from the parameters typed on the command line.

    Only parameters given on the command line are repeated (defaults and
    environment variables apply again by themselves), in the command's order,
    shell-quoted. ``omit`` names parameters to leave out (secrets, ``--force``);
    ``add`` is appended. Used to print the exact command that continues a run.
    """
    from click.core import ParameterSource

    skip = set(omit)
    parts: list[str] = []
    for param in ctx.command.params:
        name = param.name
        if name is None or name in skip:
            continue
        if ctx.get_parameter_source(name) is not ParameterSource.COMMANDLINE:
            continue
        value = ctx.params.get(name)
        values = list(value) if param.multiple or param.nargs != 1 else [value]
        if not isinstance(param, click.Option):
            parts += [str(v) for v in values]
        elif param.count:
            parts += [param.opts[0]] * int(value or 0)
        elif param.is_flag:
            if value:
                parts.append(param.opts[0])
            elif param.secondary_opts:
                parts.append(param.secondary_opts[0])
        else:
            for item in values:
                parts += [param.opts[0], str(item)]
    parts += list(add)
    return " ".join([ctx.command_path, *(shlex.quote(p) for p in parts)])


def settings_from_options(cls: Callable[..., Any], **options: Any) -> Any:
    """Build a command's frozen settings object; a refused combination is a usage error.

    The settings class holds the command's rules (it validates on construction); a
    :class:`~mer_classic.exceptions.ParameterError` it raises becomes click's usage
    error (``Error: ...``, exit code 2), so the command does not repeat the rule.
    """
    try:
        return cls(**options)
    except ParameterError as exc:
        raise click.UsageError(str(exc)) from exc
