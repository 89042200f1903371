"""Where batch jobs run: a local process pool, or a Dask distributed cluster.

Both take job specs and yield ``(spec, outcome)`` as jobs finish, in completion order, where
outcome is ``run_job``'s dict or the exception it raised. Nothing here decides about retries
or storage (:mod:`simulator.batch.runner` does).

* ``local``: ``concurrent.futures.ProcessPoolExecutor`` with ``spawn`` workers (a clean
  interpreter each: no forked Unicorn or numba state), one per core by default.
* ``dask``: ``distributed.Client`` on a scheduler address (``--scheduler tcp://host:8786``,
  the cluster started the usual way: ``dask scheduler`` + ``dask worker``), or a
  ``LocalCluster`` of ``--jobs`` single-threaded worker processes that the command starts and
  stops itself. Dask is chosen over Ray in docs/batch.md.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
from collections.abc import Iterable, Iterator
from typing import Any

from .jobs import JobSpec, run_job

Outcome = dict[str, Any] | BaseException


class EngineError(Exception):
    """The engine cannot be started or reached (one line)."""


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:                      # not Linux
        return max(1, os.cpu_count() or 1)


class LocalEngine:
    name = "local"

    def __init__(self, jobs: int | None = None) -> None:
        self.jobs = jobs or default_jobs()

    def run(self, specs: Iterable[JobSpec]) -> Iterator[tuple[JobSpec, Outcome]]:
        specs = list(specs)
        if not specs:
            return
        pending = list(specs)
        while pending:
            ctx = multiprocessing.get_context("spawn")
            with cf.ProcessPoolExecutor(max_workers=min(self.jobs, len(pending)),
                                        mp_context=ctx) as pool:
                futures = {pool.submit(run_job, s): s for s in pending}
                pending = []
                broken = False
                for fut in cf.as_completed(futures):
                    spec = futures[fut]
                    try:
                        yield spec, fut.result()
                    except cf.process.BrokenProcessPool as exc:
                        # a worker died (killed, out of memory, a crash in native code): the
                        # pool is unusable; this job failed, the unfinished ones go again
                        if not broken:
                            broken = True
                            yield spec, exc
                        else:
                            pending.append(spec)
                    except Exception as exc:                    # noqa: BLE001 - reported
                        yield spec, exc

    def close(self) -> None:
        pass


class DaskEngine:
    name = "dask"

    def __init__(self, jobs: int | None = None, scheduler: str | None = None) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:                              # pragma: no cover
            raise EngineError("--engine dask needs the 'distributed' package") from exc
        self.cluster = None
        try:
            if scheduler:
                self.client = Client(scheduler, timeout="20s")
            else:
                # dashboard on a free port: a fixed one (8787) clashes with any other cluster
                self.cluster = LocalCluster(n_workers=jobs or default_jobs(),
                                            threads_per_worker=1, processes=True,
                                            dashboard_address=":0", silence_logs=40)
                self.client = Client(self.cluster)
        except (OSError, TimeoutError) as exc:
            self.close()
            raise EngineError(f"cannot reach the Dask scheduler {scheduler or ''}: "
                              f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
                              ) from exc
        self.jobs = len(self.client.scheduler_info().get("workers", {})) or (jobs or 1)

    def run(self, specs: Iterable[JobSpec]) -> Iterator[tuple[JobSpec, Outcome]]:
        from distributed import as_completed

        specs = list(specs)
        if not specs:
            return
        # pure=False: a retried job must run again, not return the cached failure
        futures = {}
        for s in specs:
            futures[self.client.submit(run_job, s, pure=False, key=f"h7sim-{s.name}-"
                                       f"{os.urandom(4).hex()}")] = s
        for fut in as_completed(list(futures)):
            spec = futures[fut]
            try:
                yield spec, fut.result()
            except Exception as exc:                            # noqa: BLE001 - reported
                yield spec, exc
            finally:
                fut.release()

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_engine(name: str, jobs: int | None, scheduler: str | None = None):
    if name == "local":
        if scheduler:
            raise EngineError("--scheduler is for --engine dask")
        return LocalEngine(jobs)
    if name == "dask":
        return DaskEngine(jobs, scheduler)
    raise EngineError(f"unknown engine {name!r} (local or dask)")
