"""Where parallel work runs: local processes (joblib/loky) or a Dask cluster.

Every parallel loop in mer-classic goes through joblib (``GridSearchCV(n_jobs=...)``,
``joblib.Parallel``). :func:`joblib_backend` chooses where those loops run:

- ``scheduler=None``: this machine, joblib's default process backend (loky);
- ``scheduler="local"``: a :class:`dask.distributed.LocalCluster` started on
  127.0.0.1 for the duration of the block (one single-threaded worker process per core);
- ``scheduler="tcp://HOST:PORT"``: an existing Dask scheduler (``dask scheduler`` and
  ``dask worker tcp://HOST:PORT`` on the machines of the cluster).

Dask is an optional extra (``pip install "mer-classic[dask]"``); it is imported only
when a scheduler is asked for, so ``import mer_classic`` never pays for it.
"""

from __future__ import annotations

import contextlib
import logging
import operator
import os
from collections.abc import Iterator
from typing import Any

from mer_classic.exceptions import ConfigError, ParameterError

__all__ = [
    "check_n_jobs",
    "check_scheduler",
    "dask_client",
    "joblib_backend",
]

logger = logging.getLogger(__name__)

#: message of the ImportError raised when a scheduler is asked for without Dask
DASK_INSTALL_HINT = (
    "running on a Dask scheduler needs dask and distributed; install them with: "
    'pip install "mer-classic[dask]"'
)

_SCHEMES = ("tcp://", "tls://", "ws://", "wss://", "inproc://", "ucx://")


def check_n_jobs(n_jobs: object) -> int:
    """Validate a joblib ``n_jobs``: a positive int, or -1 for every core.

    Raises
    ------
    ParameterError
        For 0, values below -1 and non-integers (joblib would fail later, deeper).

    Examples
    --------
    >>> check_n_jobs(2), check_n_jobs(-1)
    (2, -1)
    >>> check_n_jobs(0)
    Traceback (most recent call last):
    ...
    mer_classic.exceptions.ParameterError: n_jobs must be a positive int or -1; got 0
    """
    try:
        value = -2 if isinstance(n_jobs, bool) else operator.index(n_jobs)  # type: ignore[arg-type]
    except TypeError:
        value = -2
    if value == 0 or value < -1:
        raise ParameterError(f"n_jobs must be a positive int or -1; got {n_jobs!r}")
    return value


def check_scheduler(scheduler: str | None) -> str | None:
    """Validate a ``--scheduler`` value and return it in canonical form.

    Parameters
    ----------
    scheduler : str or None
        ``None`` (local processes), ``"local"`` (a LocalCluster on this machine) or a
        scheduler address such as ``"tcp://10.0.0.5:8786"``; a bare ``HOST:PORT`` is
        read as ``tcp://HOST:PORT``.

    Returns
    -------
    str or None
        ``None``, ``"local"`` or an address with its scheme.

    Raises
    ------
    ParameterError
        When the value is none of the above.

    Examples
    --------
    >>> check_scheduler(None) is None, check_scheduler("LOCAL")
    (True, 'local')
    >>> check_scheduler("10.0.0.5:8786")
    'tcp://10.0.0.5:8786'
    """
    if scheduler is None:
        return None
    if not isinstance(scheduler, str) or not scheduler.strip():
        raise ParameterError(
            "scheduler must be 'local' or a Dask scheduler address such as "
            f"'tcp://HOST:8786'; got {scheduler!r}"
        )
    value = scheduler.strip()
    if value.lower() == "local":
        return "local"
    if value.lower().startswith(_SCHEMES):
        return value
    if "://" not in value:
        host, sep, port = value.rpartition(":")
        if sep and host and port.isdigit():
            return f"tcp://{value}"
    raise ParameterError(
        "scheduler must be 'local' or a Dask scheduler address such as "
        f"'tcp://HOST:8786' (schemes: {', '.join(s[:-3] for s in _SCHEMES)}); "
        f"got {scheduler!r}"
    )


def require_dask() -> None:
    """Raise ImportError with the install command when dask.distributed is missing."""
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        raise ImportError(DASK_INSTALL_HINT) from exc


@contextlib.contextmanager
def dask_client(
    scheduler: str,
    *,
    n_workers: int | None = None,
    timeout: float = 30.0,
) -> Iterator[Any]:
    """Connect to a Dask scheduler (or start a LocalCluster) for the block.

    Parameters
    ----------
    scheduler : str
        ``"local"`` or a scheduler address (see :func:`check_scheduler`).
    n_workers : int or None, default=None
        Workers of the LocalCluster (``"local"`` only): one single-threaded process
        each; None uses one per core (at least 1).
    timeout : float, default=30.0
        Seconds to wait for the connection.

    Yields
    ------
    distributed.Client
        The client; it (and a LocalCluster started here) is closed on exit.

    Raises
    ------
    ImportError
        When dask/distributed are not installed (message: the install command).
    ConfigError
        When the scheduler cannot be reached.
    """
    canonical = check_scheduler(scheduler)
    if canonical is None:
        raise ParameterError("dask_client needs a scheduler ('local' or an address)")
    require_dask()
    from distributed import Client, LocalCluster

    cluster = None
    if canonical == "local":
        if n_workers is not None and (not isinstance(n_workers, int) or n_workers < 1):
            raise ParameterError(f"n_workers must be a positive int; got {n_workers!r}")
        workers = n_workers or max(1, os.cpu_count() or 1)
        logger.info("starting a Dask LocalCluster with %d worker process(es)", workers)
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            # the scheduler always serves HTTP (health checks); a free port, no dashboard
            dashboard_address=":0",
            scheduler_kwargs={"dashboard": False},
        )
        client = Client(cluster, timeout=timeout)
    else:
        try:
            client = Client(canonical, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            raise ConfigError(
                f"cannot connect to the Dask scheduler at {canonical!r} ({exc}); start "
                "one with `dask scheduler` and workers with `dask worker ADDRESS`, or "
                "use --scheduler local"
            ) from exc
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


@contextlib.contextmanager
def joblib_backend(
    scheduler: str | None = None, *, n_workers: int | None = None
) -> Iterator[str]:
    """Run the joblib-parallel work inside the block locally or on a Dask cluster.

    Parameters
    ----------
    scheduler : str or None, default=None
        ``None``: local processes (joblib's default backend, nothing changes);
        ``"local"``: a LocalCluster on 127.0.0.1, created here and closed on exit;
        ``"tcp://HOST:PORT"``: an existing Dask scheduler.
    n_workers : int or None, default=None
        Workers of the LocalCluster (``"local"`` only).

    Yields
    ------
    str
        The joblib backend in effect: ``"loky"`` or ``"dask"``. With ``"dask"``,
        ``n_jobs=-1`` means every thread of the cluster.

    Raises
    ------
    ImportError
        When a scheduler is given and dask/distributed are missing; the message is
        the install command ``pip install "mer-classic[dask]"``.

    Examples
    --------
    >>> from joblib import Parallel, delayed
    >>> with joblib_backend(None) as backend:
    ...     squares = Parallel(n_jobs=1)(delayed(pow)(i, 2) for i in range(3))
    >>> backend, squares
    ('loky', [0, 1, 4])
    """
    canonical = check_scheduler(scheduler)
    if canonical is None:
        yield "loky"
        return
    require_dask()
    from joblib import parallel_config

    with dask_client(canonical, n_workers=n_workers) as client:
        n_threads = sum(client.nthreads().values())
        logger.info(
            "joblib work runs on the Dask scheduler %s (%d worker thread(s))",
            client.scheduler.address,
            n_threads,
        )
        with parallel_config(backend="dask"):
            yield "dask"
