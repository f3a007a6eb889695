"""Jobs on a local Dask cluster of 2 workers: order, retries of failing jobs, lost workers."""

import os
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from solver.distributed import JobLost, completed_jobs, jobs_mapper, map_jobs  # noqa: E402


def square_after(item):
    """Sleep so later items finish first, then return the square."""
    value, delay = item
    time.sleep(delay)
    return value * value


def fails_once(item):
    """Raise the first time an item is seen (marker file), succeed on the retry."""
    folder, value = item
    marker = Path(folder) / f"seen_{value}"
    if not marker.exists():
        marker.write_text("x")
        raise RuntimeError(f"transient failure of job {value}")
    return 10 * value


def always_fails(item):
    raise ValueError(f"job {item} is broken")


def kills_its_worker_once(item):
    """The first attempt of job 0 kills its worker process outright (no exception)."""
    folder, value = item
    marker = Path(folder) / f"killed_{value}"
    if value == 0 and not marker.exists():
        marker.write_text("x")
        os._exit(1)
    return value + 100


def kills_every_worker(item):
    """Job 0 kills whichever worker runs it, every time."""
    if item == 0:
        os._exit(1)
    return item + 100


def test_results_in_input_order():
    items = [(i, 0.05 * (4 - i)) for i in range(5)]
    assert map_jobs(square_after, items, n_workers=2, processes=False) == [0, 1, 4, 9, 16]
    assert map_jobs(square_after, [], n_workers=2) == []


def test_failing_job_is_retried_not_dropped(tmp_path):
    items = [(str(tmp_path), i) for i in range(4)]
    assert map_jobs(fails_once, items, n_workers=2, retries=2, processes=False) == [0, 10, 20,
                                                                                     30]
    assert len(list(tmp_path.glob("seen_*"))) == 4


def test_job_failing_beyond_its_retries_raises():
    with pytest.raises(ValueError, match="job [12] is broken"):
        map_jobs(always_fails, [1, 2], n_workers=2, retries=1, processes=False)


def test_lost_worker_is_retried(tmp_path):
    """Worker processes: job 0 kills its worker; the nanny restarts it, the scheduler re-runs
    the job, and every result comes back in order."""
    items = [(str(tmp_path), i) for i in range(4)]
    assert map_jobs(kills_its_worker_once, items, n_workers=2, retries=2,
                    processes=True) == [100, 101, 102, 103]
    assert (tmp_path / "killed_0").exists()


def test_a_lost_job_is_counted_and_only_it_runs_again(tmp_path):
    """Job 0 kills its worker once: it alone comes back with one loss (jobs are handed out no
    faster than the workers take them, so the dead worker held no other)."""
    items = [(str(tmp_path), i) for i in range(4)]
    finished = sorted(completed_jobs(kills_its_worker_once, items, n_workers=2, retries=2))
    assert [(job.position, job.result, job.lost) for job in finished] == [
        (0, 100, 1), (1, 101, 0), (2, 102, 0), (3, 103, 0)]


def test_a_job_that_kills_every_worker_is_given_up_after_its_retries():
    """Job 0 kills every worker that runs it: with retries=1 it is lost twice, then given up,
    raising :class:`JobLost`, or, with ``keep_going``, returned as one while the others go on."""
    finished = sorted(completed_jobs(kills_every_worker, [0, 1, 2], n_workers=2, retries=1,
                                     keep_going=True), key=lambda job: job.position)
    assert [job.result for job in finished[1:]] == [101, 102]
    assert isinstance(finished[0].result, JobLost) and finished[0].lost == 2
    assert "died 2 times" in str(finished[0].result)
    with pytest.raises(JobLost, match="died once"):
        map_jobs(kills_every_worker, [0, 1], n_workers=2, retries=0)


def test_mapper_drives_characterization(tmp_path):
    from test_coupling import FLOWS, analytic_runner, write_case

    from solver.coupling import characterize

    case = write_case(tmp_path)
    curves = characterize(case, FLOWS, runner=analytic_runner, store=False,
                          mapper=jobs_mapper(n_workers=2, processes=False))
    assert curves.flows.size == len(FLOWS)
    assert curves.pressure_drop_fit().max_relative_error < 1e-10


def test_a_given_cluster_without_gpu_workers_runs_the_jobs(monkeypatch):
    """On a machine with a GPU, jobs sent to a scheduler whose workers declare no ``GPU``
    resource run without asking for it (they used to wait for ever: found under the CuPy
    stand-in, whose GPU the sweep tests' clusters did not declare); asking for GPUs there is
    an error, not a wait."""
    import threading

    from distributed import Client

    from solver import distributed as jobs
    from solver.distributed import local_cluster

    monkeypatch.setattr(jobs, "gpu_count", lambda: 1)
    results = []
    with local_cluster(2, processes=False) as cluster, Client(cluster) as client:
        runner = threading.Thread(target=lambda: results.extend(
            map_jobs(square_after, [(3, 0.0), (4, 0.0)], scheduler=client)))
        runner.start()
        runner.join(timeout=60)
        assert not runner.is_alive(), "the jobs waited for a GPU resource no worker has"
        assert results == [9, 16]
        with pytest.raises(ValueError, match="no worker of the Dask cluster declares"):
            map_jobs(square_after, [(3, 0.0)], scheduler=client, gpus=True)
