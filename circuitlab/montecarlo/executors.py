"""Where tasks run: a local process pool (default) or a Dask distributed cluster.

Both expose ``run_unordered(tasks, func)``: a generator of ``(task, result)`` as tasks finish, with a
bounded number in flight (so memory stays flat however long the campaign). A task whose worker
process dies is resubmitted; if workers keep dying, :class:`WorkerLostError` is raised.
"""
from __future__ import annotations

import multiprocessing
import os
import select
import threading
import time
import warnings
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Iterable, Iterator, Optional, Tuple

from ..errors import ZeroNominalWarning
from .errors import CampaignError, WorkerLostError

MAX_POOL_RESTARTS = 3


def _isolated(task):
    """A task to resubmit after a worker died: without the in-process ngspice library if it has one."""
    return task.isolated() if hasattr(task, "isolated") else task


THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def single_threaded_numerics() -> None:
    """Worker processes started from now on run numpy's BLAS on one thread (unless the user set these
    variables): a worker does no linear algebra, but an idle OpenBLAS pool still spins on the cores
    that ngspice needs. Set in this process's environment because workers inherit it at start,
    before they import numpy."""
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, "1")


_start_barrier = None  # this worker's pool-start barrier (set by _worker_init)
READY_TIMEOUT = 60.0  # s a started worker waits for the pool's other workers before it takes tasks anyway


def _ready() -> None:
    """The call that makes a pool start a worker process ahead of the first task. It waits until every
    worker of the pool runs it: a pool started with forkserver spawns a process for a submitted call only
    while no worker is idle, so a first worker that finished its ``_ready`` at once would take the others'
    calls too and the pool would run with fewer processes than asked (seen on a loaded machine)."""
    if _start_barrier is not None:
        try:
            _start_barrier.wait(READY_TIMEOUT)
        except threading.BrokenBarrierError:
            pass


def _worker_init(coordinator: int, barrier=None) -> None:
    global _start_barrier
    _start_barrier = barrier
    exit_with(coordinator)
    # the coordinator warned about the spec when it parsed it; workers parse it again, silently
    warnings.simplefilter("ignore", ZeroNominalWarning)


def exit_with(pid: int) -> None:
    """End this worker process when process ``pid`` (the coordinator) ends.

    A pool's workers wait on a task queue whose writing end they hold themselves, so a coordinator
    killed without clean-up (SIGKILL, the out-of-memory killer) would leave them, and the fork server
    and resource tracker they keep open, waiting forever with their memory (measured: 87-108 MB per
    killed one-worker campaign). A daemon thread waits on a pidfd of the coordinator (Linux >= 5.3; elsewhere it
    polls once a second) and exits the process when it fires. A resumed campaign reruns their tasks.
    """
    def watch() -> None:
        try:
            fd = os.pidfd_open(pid)
        except ProcessLookupError:  # already gone
            os._exit(1)
        except (AttributeError, OSError):  # no pidfd here: poll
            fd = None
        if fd is not None:
            select.select([fd], [], [])
        else:
            while True:
                time.sleep(1.0)
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                except PermissionError:
                    continue
        os._exit(1)
    threading.Thread(target=watch, name="circuitlab-coordinator-watch", daemon=True).start()


class LocalExecutor:
    """A pool of ``workers`` processes started with forkserver (nothing of the coordinator is inherited)."""

    name = "local"

    def __init__(self, workers: int):
        if workers < 1:
            raise CampaignError(f"workers={workers} must be >= 1")
        self.workers = workers
        self._pool: Optional[ProcessPoolExecutor] = None
        self._starting: Optional[threading.Thread] = None
        self._start_error: Optional[BaseException] = None

    def start(self) -> None:
        """Start the worker processes now, in a background thread (the fork server's imports take about
        0.2 s, which the coordinator spends creating its results file); :meth:`run_unordered` waits."""
        if self._pool is None and self._starting is None:
            self._starting = threading.Thread(target=self._start_pool, name="circuitlab-pool-start", daemon=True)
            self._starting.start()

    def _start_pool(self) -> None:
        try:
            pool = self._pool = self._new_pool()
            for _ in range(self.workers):  # a pool starts one process per submitted call
                pool.submit(_ready)
        except BaseException as exc:  # re-raised by run_unordered in the coordinator's thread
            self._start_error = exc

    def _started_pool(self) -> ProcessPoolExecutor:
        if self._starting is not None:
            self._starting.join()
            self._starting = None
            if self._start_error is not None:
                error, self._start_error = self._start_error, None
                raise error
        if self._pool is None:
            self._pool = self._new_pool()
        return self._pool

    def _new_pool(self) -> ProcessPoolExecutor:
        single_threaded_numerics()
        ctx = multiprocessing.get_context("forkserver")
        # the fork server imports the worker code once (after __main__, the default); every worker forks
        # from it ready to run
        ctx.set_forkserver_preload(["__main__", "circuitlab.montecarlo.worker", "circuitlab.montecarlo.stacked"])
        return ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_worker_init,
                                   initargs=(os.getpid(), ctx.Barrier(self.workers)))

    def run_unordered(self, tasks: Iterable, func: Callable) -> Iterator[Tuple[object, object]]:
        todo = deque(tasks)
        restarts = 0
        self._started_pool()
        inflight = {}
        limit = 2 * self.workers
        while todo or inflight:
            while todo and len(inflight) < limit:
                t = todo.popleft()
                inflight[self._pool.submit(func, t)] = t
            done, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
            broken = False
            for fut in done:
                task = inflight.pop(fut)
                try:
                    result = fut.result()
                except BrokenProcessPool:
                    broken = True
                    todo.appendleft(_isolated(task))
                    continue
                yield task, result
            if broken:
                restarts += 1
                todo.extendleft(reversed([_isolated(t) for t in inflight.values()]))
                inflight.clear()
                self._pool.shutdown(wait=True, cancel_futures=True)
                if restarts > MAX_POOL_RESTARTS:
                    raise WorkerLostError(
                        f"worker processes died {restarts} times (killed, out of memory, or a script that starts "
                        f"a campaign without an `if __name__ == '__main__':` guard, which the worker start "
                        f"method re-runs); the samples written so far are kept; run 'circuitlab mc resume'")
                self._pool = self._new_pool()

    def close(self) -> None:
        if self._starting is not None:
            self._starting.join()
            self._starting = None
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskExecutor:
    """Tasks on a Dask cluster: ``scheduler`` address, or a LocalCluster on loopback when None."""

    name = "dask"

    def __init__(self, workers: int, scheduler: Optional[str] = None):
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise CampaignError(f"the dask executor needs dask[distributed] ({exc}); pip install 'dask[distributed]'")
        self.cluster = None
        if scheduler is None:
            single_threaded_numerics()
            self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                        dashboard_address=None, worker_dashboard_address=None)
            self.client = Client(self.cluster)
        else:
            try:
                self.client = Client(scheduler, timeout="30s")
            except OSError as exc:
                raise CampaignError(f"cannot reach the Dask scheduler at {scheduler!r} ({exc}); start one with "
                                    f"'dask scheduler' or leave out --scheduler for a local cluster")
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})) or workers)

    def start(self) -> None:
        """Nothing to do: the cluster's workers run once the client is connected."""

    def run_unordered(self, tasks: Iterable, func: Callable) -> Iterator[Tuple[object, object]]:
        from distributed import as_completed
        from distributed.scheduler import KilledWorker
        todo = deque(tasks)
        limit = 2 * self.workers
        futures = {}
        ac = as_completed()
        while todo and len(futures) < limit:
            t = todo.popleft()
            fut = self.client.submit(func, t, pure=False, retries=2)
            futures[fut.key] = t
            ac.add(fut)
        for fut in ac:
            task = futures.pop(fut.key)
            try:
                result = fut.result()
            except KilledWorker as exc:
                retry = _isolated(task)
                if retry == task:
                    raise WorkerLostError(f"Dask workers died running samples {task.start}..{task.stop - 1} ({exc}); "
                                          f"the samples written so far are kept; run 'circuitlab mc resume'")
                nf = self.client.submit(func, retry, pure=False, retries=2)  # once more, ngspice out of process
                futures[nf.key] = retry
                ac.add(nf)
                continue
            fut.release()
            yield task, result
            while todo and len(futures) < limit:
                t = todo.popleft()
                nf = self.client.submit(func, t, pure=False, retries=2)
                futures[nf.key] = t
                ac.add(nf)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_executor(kind: str, workers: int, scheduler: Optional[str] = None):
    if kind == "local":
        if scheduler:
            raise CampaignError("--scheduler needs --executor dask")
        return LocalExecutor(workers)
    if kind == "dask":
        return DaskExecutor(workers, scheduler)
    raise CampaignError(f"unknown executor {kind!r}; use 'local' or 'dask'")
