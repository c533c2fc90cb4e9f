"""The ``mer-classic`` command group.

Each command lives in a small module of this package (``train.py``, ``extract.py``,
``fetch.py``, ``predict.py``, ``report.py``) that lists its commands in ``COMMANDS``;
each command body builds one settings object from its options, makes one
``mer_classic._workflows.run_*`` call and echoes the lines ``_summaries`` formats from
its result. Library errors (:class:`MerClassicError`) are
mapped once, here, to ``Error: ...`` and exit code 1.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import warnings
from collections.abc import Iterator
from typing import Any

import click
from mer_classic.cli import extract as _extract
from mer_classic.cli import fetch as _fetch
from mer_classic.cli import predict as _predict
from mer_classic.cli import report as _report
from mer_classic.cli import train as _train

from mer_classic.exceptions import MerClassicError, RateLimitError

__all__ = ["main"]

#: exit code for "stopped early, state saved, rerun with --resume later"
EXIT_RESUME_LATER = 75


@contextlib.contextmanager
def _brief_warnings() -> Iterator[None]:
    """Show mer-classic's own warnings as one ``Warning: ...`` line on stderr.

    Other warnings keep Python's format. The previous hook is restored afterwards, so
    ``warnings.catch_warnings`` and ``pytest.warns`` around library calls still work.
    """
    previous = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):  # type: ignore[no-untyped-def]
        if category.__module__.split(".")[0] == "mer_classic":
            click.echo(f"Warning: {message}", err=True)
        else:
            previous(message, category, filename, lineno, file, line)

    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = previous


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            with _brief_warnings():
                return super().invoke(ctx)
        except RateLimitError as err:
            click.echo(f"Error: {err}", err=True)
            ctx.exit(EXIT_RESUME_LATER)
        except MerClassicError as err:
            raise click.ClickException(str(err)) from err
        except OSError as err:  # a full disk outside the atomic writers
            if err.errno != errno.ENOSPC:
                raise
            where = f" writing {err.filename}" if err.filename else ""
            raise click.ClickException(
                f"no space left on device{where}; free some space and re-run"
            ) from err
        except ImportError as err:  # an optional extra is missing (e.g. dask)
            if "pip install" not in str(err):
                raise
            raise click.ClickException(str(err)) from err


def _set_logging(verbose: int) -> None:
    """mer-classic's loggers at WARNING/INFO/DEBUG (-v, -vv); every other at WARNING.

    Third-party loggers (matplotlib's font manager, numba, urllib3 ...) stay at
    WARNING whatever -v says, so ``-vv`` shows mer-classic's own debug lines only.
    """
    logging.basicConfig(
        level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("mer_classic").setLevel(logging.WARNING - 10 * min(verbose, 2))


def _verbose_callback(ctx: click.Context, _param: click.Parameter, value: int) -> int:
    """``-v`` after a subcommand adds to the ``-v`` given before it."""
    total = value + ctx.find_root().meta.get("mer_classic.verbose", 0)
    ctx.find_root().meta["mer_classic.verbose"] = total
    _set_logging(total)
    return value


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mer-classic", prog_name="mer-classic")
@click.option(
    "-v",
    "--verbose",
    count=True,
    expose_value=False,
    is_eager=True,
    callback=_verbose_callback,
    help="More log output (-vv for debug); also accepted after the subcommand.",
)
def main() -> None:
    """mer-classic: Music Emotion Recognition with classical machine learning.

    Typical flow: fetch → extract → train → predict/evaluate.

    Example: mer-classic train --model stacking
    """


for _module in (_fetch, _extract, _train, _predict, _report):
    for _command in _module.COMMANDS:
        # every subcommand accepts -v/-vv too (mer-classic report DIR -vv)
        if not any("--verbose" in p.opts for p in _command.params):
            _command.params.append(
                click.Option(
                    ["-v", "--verbose"],
                    count=True,
                    expose_value=False,
                    is_eager=True,
                    callback=_verbose_callback,
                    help="More log output (-vv for debug).",
                )
            )
        main.add_command(_command)
