"""The API's bulk re-ranking jobs on Ray (``TALENTSEARCH_JOBS_RUNNER=ray``, the ``ray`` extra).

The server joins the cluster (``TALENTSEARCH_RAY_ADDRESS``, else ``$RAY_ADDRESS``, else a local Ray) on
the first job and stays joined; each job runs ``ranking.search.bulk_ray.run_bulk_ray`` with an actor
pool that builds the engine from the server's settings. The job directory, its work state and its
resumption on restart are the local runner's (api/jobs.py). A cluster that cannot be reached is a
``BackendUnavailableError``: the job waits and is tried again, as for an unavailable index.
"""
from __future__ import annotations

import threading
from pathlib import Path

from api.settings import Settings
from api.wiring import engine_factory
from ranking.search.bulk import BulkOptions, BulkProgress
from ranking.search.bulk_ray import run_bulk_ray
from records.raypool import RayOptions, ensure_connected, import_ray


class RayJobRunner:
    """A ``JobManager`` runner: each job on a pool of Ray actors."""

    def __init__(self, settings: Settings, options: RayOptions | None = None):
        import_ray()                       # a missing extra fails the server's start, naming the extra
        self.options = options or RayOptions(address=settings.ray_address)
        self._factory = engine_factory(settings, threads=self.options.threads)
        self._lock = threading.Lock()

    def __call__(self, src: Path, out: Path, options: BulkOptions, cancel: threading.Event) -> BulkProgress:
        with self._lock:                   # one job at a time runs here; the lock guards the first connect
            ensure_connected(self.options)
        return run_bulk_ray(self._factory, src, out, options, self.options, cancel=cancel, progress_bar=False)


__all__ = ["RayJobRunner"]
