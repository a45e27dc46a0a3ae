"""Running the solver chunks: in process, on joblib workers, or on a dask cluster.

No scheduler of our own: chunks (:class:`._solve.Job`) are handed to joblib's ``Parallel``
(loky processes by default, or whatever backend the caller configured with
``joblib.parallel_config``, e.g. ``"dask"``) or to a ``distributed.Client`` (``client.map`` and
``distributed.as_completed``). Results come back as each chunk completes, in any order; the
caller stores them by chunk index, so the order never changes a result.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ._solve import Job, JobResult, solve_job

__all__ = ["run_jobs"]


def run_jobs(jobs: Sequence[Job], n_jobs: int, client: Any | None) -> Iterator[JobResult]:
    """Yield the result of every job as it completes.

    ``client``: a ``distributed.Client`` (then ``n_jobs`` is 1 and ignored); ``n_jobs == 1``
    without a client: in this process, in order; otherwise joblib with ``n_jobs`` workers.
    """
    if not jobs:
        return
    if client is not None:
        from distributed import as_completed

        futures = client.map(solve_job, list(jobs), pure=False)
        for future in as_completed(futures):
            yield future.result()
            future.release()
        return
    if n_jobs == 1:
        for job in jobs:
            yield solve_job(job)
        return
    from joblib import Parallel, delayed

    calls = [delayed(solve_job)(job) for job in jobs]
    try:
        parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered", batch_size=1)
        results: Iterator[JobResult] = parallel(calls)
    except ValueError as exc:  # a configured backend without generators (multiprocessing)
        if "return_as" not in str(exc):
            raise
        results = iter(Parallel(n_jobs=n_jobs, batch_size=1)(calls))
    yield from results
