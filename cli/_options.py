"""Options that several commands share, defined once so they cannot drift apart.

Only light imports here: the CLI's start-up path must not load the ML stack.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable
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


def model_path_option(
    help: str = "Run folder or model.joblib written by `train`.",
) -> Decorator:
    """``--model PATH`` of a saved model (required)."""
    return click.option(
        "--model",
        "model_path",
        required=True,
        type=click.Path(path_type=pathlib.Path),
        help=help,
    )
