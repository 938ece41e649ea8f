"""The Dask cluster region-wide recomputations run on (区域级重算的计算集群).

:func:`client` yields a ``distributed.Client``: to the scheduler named by the setting
``LINGTAN_DASK_SCHEDULER`` (``tcp://host:8786``, a scheduler and workers that may sit on other
machines), or — when none is set — to a ``LocalCluster`` started for the block: worker
processes on loopback, one thread each (the accounting and forecast code holds the GIL, so
threads would not add throughput), no dashboard. The local cluster is closed when the block
ends; a remote scheduler is left running.

Workers run the tasks of :mod:`lingtan.region.tasks`; on a remote cluster every worker needs
lingtan installed at the same version (the tasks are pickled by reference).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from lingtan.errors import InvalidInput

if TYPE_CHECKING:
    from distributed import Client

    from lingtan.config import Settings

#: the interface a local cluster listens on: loopback only, never reachable from outside
LOOPBACK = "127.0.0.1"


@contextmanager
def client(
    settings: Settings | None = None,
    *,
    address: str | None = None,
    n_workers: int | None = None,
    memory_limit: str | float | None = "auto",
) -> Iterator[Client]:
    """A client of the configured scheduler, or of a local cluster for the block.

    ``address`` overrides ``settings.dask_scheduler``; ``n_workers`` (local cluster only)
    overrides ``settings.dask_local_workers``.
    """
    from distributed import Client, LocalCluster

    where = address if address is not None else (settings.dask_scheduler if settings else None)
    if where:
        with Client(where, set_as_default=False) as remote:  # type: ignore[no-untyped-call]
            yield remote
        return
    workers = (
        n_workers if n_workers is not None else (settings.dask_local_workers if settings else 2)
    )
    if workers < 1:
        raise InvalidInput("a local cluster needs at least one worker", field="n_workers")
    with (
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host=LOOPBACK,
            dashboard_address=None,
            # the scheduler's HTTP server (health, metrics) starts even without the dashboard:
            # on loopback, on a free port
            scheduler_kwargs={"dashboard": False, "dashboard_address": f"{LOOPBACK}:0"},
            memory_limit=memory_limit,
        ) as cluster,
        Client(cluster, set_as_default=False) as local,  # type: ignore[no-untyped-call]
    ):
        yield local


def worker_pids(c: Client) -> dict[str, int]:
    """The process id of every worker, by worker address."""
    import os

    return {address: int(pid) for address, pid in c.run(os.getpid).items()}


def worker_peak_rss(c: Client) -> dict[str, int]:
    """Peak resident memory of every worker process so far [bytes] (Linux ``ru_maxrss``)."""
    return {address: int(v) for address, v in c.run(_peak_rss).items()}


def _peak_rss() -> int:
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # ru_maxrss is in KiB on Linux and in bytes on macOS (getrusage(2) of each system)
    return int(peak if sys.platform == "darwin" else peak * 1024)


__all__ = ["LOOPBACK", "client", "worker_peak_rss", "worker_pids"]
