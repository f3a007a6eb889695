"""Independent jobs on Dask (``dask.distributed``): characterization runs, per-plate solves, sweeps.

:func:`map_jobs` runs ``function(item)`` for every item on a Dask cluster and returns the results
in input order (:func:`completed_jobs` yields each as it finishes):

* **where**: a :class:`distributed.LocalCluster` of ``n_workers`` single-threaded workers by
  default (processes, or threads with ``processes=False``), a scheduler address
  (``"tcp://host:8786"``) for a real cluster, or an existing :class:`distributed.Client`;
* **GPUs**: when GPUs are present (``gpus=None`` detects them through CuPy) the local cluster
  gets one worker per GPU, each advertising the worker resource ``GPU=1``, and every job asks
  for ``{"GPU": 1}``, so no two jobs share a device; the job selects the device of its worker
  (worker name modulo the device count). On a real cluster start each worker with
  ``--resources GPU=1`` (and its own ``CUDA_VISIBLE_DEVICES``) and pass ``gpus=True``;
* **failures**: a job that raises is re-run up to ``retries`` times (Dask's ``retries=``, which
  counts exceptions only). A job whose worker dies under it (killed, out of memory) is lost:
  the scheduler reports it with :class:`distributed.KilledWorker` once more workers than
  ``distributed.scheduler.allowed-failures`` died running it, and the local cluster sets that
  to 0, so each loss reaches :func:`completed_jobs` at once. There the job is submitted
  again, up to ``retries`` times, counting the losses; a job lost once more raises
  :class:`JobLost` (or, with ``keep_going``, comes back as a :class:`JobLost` in place of its
  result, and the others go on). On a scheduler address the scheduler's own
  ``allowed-failures`` (Dask's default 3) re-runs a job first, unseen and uncounted here;
  start it with ``DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=0`` to have every loss
  counted. A result is
  never silently dropped, and a result already returned is never computed again (its future
  is released at once, so a worker that dies later takes nothing finished with it). Jobs are
  handed to the scheduler no faster than the workers' threads take them, so a worker holds
  only the job it runs and its death costs that job alone.

This is Dask's own scheduler: coolsim adds no scheduler of its own.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple


class JobLost(RuntimeError):
    """A job whose worker died under it every time it ran (``attempts`` tries)."""

    def __init__(self, attempts: int, last_worker: str = ""):
        self.attempts = attempts
        on = f", the last on {last_worker}" if last_worker else ""
        times = "once" if attempts == 1 else f"{attempts} times"
        super().__init__(f"the worker running it died {times}{on} (killed or out of memory); "
                         "given up")


class FinishedJob(NamedTuple):
    """What :func:`completed_jobs` yields per job: its ``position`` in the items, its
    ``result`` (or a :class:`JobLost`), and ``lost``, the times a worker died under it (each
    but a :class:`JobLost`'s last followed by a new submission)."""

    position: int
    result: Any
    lost: int


def gpu_count() -> int:
    """Number of CUDA devices visible through CuPy (0 without CuPy or a device)."""
    try:
        from solver.backend import gpu_available

        if not gpu_available():
            return 0
        import cupy

        return int(cupy.cuda.runtime.getDeviceCount())
    except Exception:  # noqa: BLE001 - any CuPy/driver problem means "no usable GPU"
        return 0


def _run_on_worker(function: Callable, item, use_gpu: bool, device_count: int):
    """Run one job; with a GPU, first select the device of this worker."""
    if use_gpu:
        import cupy
        from distributed import get_worker

        name = get_worker().name
        index = name if isinstance(name, int) else sum(map(ord, str(name)))
        with cupy.cuda.Device(index % max(device_count, 1)):
            return function(item)
    return function(item)


def _workers_declare_gpus(client) -> bool:
    """True when a worker of ``client``'s cluster declares the resource ``GPU``."""
    workers = client.scheduler_info().get("workers", {}).values()
    return any(worker.get("resources", {}).get("GPU") for worker in workers)


def local_cluster(n_workers: int = 2, processes: bool = True, gpus: int = 0, **kwargs):
    """A :class:`distributed.LocalCluster` for coolsim jobs whose scheduler reports a job lost
    with its worker at once (``allowed-failures`` 0: :func:`completed_jobs` counts and
    resubmits it).

    Parameters
    ----------
    n_workers : int
        Workers (each runs one job at a time; worker processes share the cores among their
        compiled kernels' threads, ``NUMBA_NUM_THREADS``). With ``gpus > 0`` there is one
        worker per GPU.
    processes : bool
        Worker processes (True, isolates crashes) or threads in this process (False, starts
        faster; for tests and light jobs).
    gpus : int
        Devices to give one worker each, with the worker resource ``GPU=1``.
    **kwargs
        Passed to :class:`distributed.LocalCluster`.
    """
    import dask
    from distributed import LocalCluster

    if gpus:
        n_workers = gpus
        kwargs.setdefault("resources", {"GPU": 1})
    if processes:  # the cores shared among the workers' compiled kernels (numerics.host_kernels)
        threads = max(1, (os.cpu_count() or 1) // n_workers)
        kwargs.setdefault("env", {"NUMBA_NUM_THREADS": str(threads)})
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        return LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=processes,
                            dashboard_address=None, **kwargs)


def map_jobs(function: Callable, items: Iterable, scheduler=None, n_workers: int = 2,
             retries: int = 2, processes: bool = True, gpus: bool | None = None) -> list:
    """Run ``function(item)`` for every item on Dask; results in input order.

    Parameters
    ----------
    function : callable
        A picklable (module-level) function of one item.
    items : iterable
        Job inputs (picklable).
    scheduler : None, str or distributed.Client
        None: a local cluster started and closed here; an address: connect to that scheduler;
        a Client: use it as it is.
    n_workers : int
        Workers of the local cluster.
    retries : int
        Re-runs of a job that raised (Dask's ``retries=``), and new submissions of a job lost
        with its worker (:func:`completed_jobs`).
    processes : bool
        Local cluster of processes (default) or threads.
    gpus : bool or None
        Run every job with the resource ``{"GPU": 1}`` on the device of its worker; None
        detects GPUs (:func:`gpu_count`), and on a given scheduler asks for the resource only
        where its workers declare it (True there without such workers is an error).

    Returns
    -------
    list
        ``[function(item) for item in items]``, computed on the cluster.

    Raises
    ------
    Exception
        The exception of a job that still fails after its retries.
    JobLost
        A job lost with its worker more than ``retries`` times.
    """
    items = list(items)
    results: list = [None] * len(items)
    for position, result, _ in completed_jobs(function, items, scheduler, n_workers, retries,
                                              processes, gpus):
        results[position] = result
    return results


def completed_jobs(function: Callable, items: Iterable, scheduler=None, n_workers: int = 2,
                   retries: int = 2, processes: bool = True, gpus: bool | None = None,
                   keep_going: bool = False) -> Iterator[FinishedJob]:
    """Run ``function(item)`` for every item on Dask and yield a :class:`FinishedJob`
    ``(position, result, lost)`` as each job finishes (a sweep reports its progress and
    records each point as it comes).

    Parameters as :func:`map_jobs`; ``position`` is the item's index in ``items``. A job lost
    with its worker is submitted again up to ``retries`` times; ``keep_going``: a job lost
    more often comes back with a :class:`JobLost` as its result instead of raising.

    Raises
    ------
    Exception
        The exception of a job that still fails after its retries.
    JobLost
        A job lost with its worker more than ``retries`` times (without ``keep_going``).
    """
    from distributed import Client, KilledWorker, as_completed

    items = list(items)
    if not items:
        return
    devices = gpu_count() if gpus is None or gpus else 0
    use_gpu = bool(devices) if gpus is None else bool(gpus)
    cluster = None
    if isinstance(scheduler, Client):
        client, own_client = scheduler, False
    elif scheduler is None:
        cluster = local_cluster(n_workers, processes, devices if use_gpu else 0)
        client, own_client = Client(cluster), True
    else:
        client, own_client = Client(scheduler), True
    if use_gpu and cluster is None and not _workers_declare_gpus(client):
        # a job asking for a resource no worker has would wait for ever
        if gpus:
            raise ValueError("gpus=True, but no worker of the Dask cluster declares the "
                             "resource GPU (start the workers with --resources GPU=1)")
        use_gpu = False
    resources = {"GPU": 1} if use_gpu else None

    def submit(position: int):
        return client.submit(_run_on_worker, function, items[position], use_gpu, devices,
                             retries=retries, pure=False, resources=resources)

    def capacity() -> int:
        """Jobs the workers can run at once (at least one while a worker restarts)."""
        return max(sum(client.nthreads().values()), 1)

    try:
        waiting = list(range(len(items)))[::-1]  # popped from the end: input order
        positions: dict = {}
        lost = [0] * len(items)
        running = as_completed()
        while waiting or positions:
            while waiting and len(positions) < capacity():
                future = submit(waiting[-1])
                positions[future] = waiting.pop()
                running.add(future)
            future = next(running)
            position = positions.pop(future)
            try:
                result = future.result()
            except KilledWorker as error:
                lost[position] += 1
                if lost[position] <= retries:
                    waiting.append(position)
                    continue
                result = JobLost(lost[position], getattr(error.last_worker, "address", ""))
                if not keep_going:
                    raise result from None
            finally:
                future.release()  # a finished result is never recomputed on a lost worker
            yield FinishedJob(position, result, lost[position])
    finally:
        if own_client:
            client.close()
        if cluster is not None:
            cluster.close()


def jobs_mapper(scheduler=None, n_workers: int = 2, retries: int = 2, processes: bool = True,
                gpus: bool | None = None) -> Callable[[Callable, Sequence], list]:
    """A ``mapper(function, items)`` for :func:`solver.coupling.characterize` and friends."""

    def mapper(function, items):
        return map_jobs(function, items, scheduler, n_workers, retries, processes, gpus)

    return mapper


__all__ = ["FinishedJob", "JobLost", "completed_jobs", "gpu_count", "jobs_mapper",
           "local_cluster", "map_jobs"]
