"""Asynchronous bulk re-ranking jobs of the API: a durable job directory per job, one worker thread.

``<jobs_dir>/<tenant>/<job_id>/`` holds ``input.parquet`` (the upload), ``job.json`` (state), and the
``ranking.search.bulk`` work state until ``result.parquet`` is written. On start-up every job that was
queued or running when the server stopped is queued again and resumes where its last recorded unit
ended (ranking/search/bulk.py), so a restart loses no work and duplicates no row.

A job that meets an unavailable index or backend (no published index yet, OpenSearch down) is not
failed: it waits in ``queued`` with the error and the time of its next attempt, and is tried again with
exponential backoff (``retry_base_s`` doubling up to ``retry_max_s``) for up to ``retry_attempts``
attempts; only then is it ``failed``. Any other error fails the job at once (retrying cannot fix it).
"""
from __future__ import annotations

import json
import logging
import queue
import re
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from ranking.evaluate.bulk import check_spec, run_bulk_evaluation
from ranking.search.bulk import BulkOptions, BulkProgress, _open_input, read_progress, run_bulk
from records import durable
from records.errors import BackendUnavailableError, NotFoundError, ValidationError

log = logging.getLogger("talentsearch.jobs")
PUBLIC = "_public"                      # jobs of callers without a tenant
_ID = re.compile(r"^[0-9a-f]{32}$")
ACTIVE = ("queued", "running")
Runner = Callable[[Path, Path, BulkOptions, threading.Event], BulkProgress]


class JobManager:
    def __init__(self, jobs_dir: str | Path, engine_getter, *, max_upload_bytes: int = 2 << 30,
                 retry_attempts: int = 30, retry_base_s: float = 2.0, retry_max_s: float = 300.0,
                 runner: Runner | None = None):
        """``runner(input, output, options, cancel) -> BulkProgress`` computes a job (default: ``run_bulk`` in
        this process with ``engine_getter()``; ``api.jobs_ray.RayJobRunner`` on Ray)."""
        self.root = Path(jobs_dir)
        self._engine = engine_getter
        self._run = runner or self._run_here
        self.max_upload_bytes = max_upload_bytes
        self.retry_attempts, self.retry_base_s, self.retry_max_s = retry_attempts, retry_base_s, retry_max_s
        self._timers: set[threading.Timer] = set()
        self._queue: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self._cancel: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    # ---- lifecycle --------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the worker and queue again every job a previous process left unfinished."""
        if self._thread is not None:
            return
        for job in sorted(self.root.glob("*/*/job.json"), key=lambda p: p.stat().st_mtime):
            meta = json.loads(job.read_text())
            if meta["state"] in ACTIVE:
                self._enqueue(meta["tenant"], meta["id"])
        self._thread = threading.Thread(target=self._work, name="rerank-jobs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the running job to stop after its current unit (it resumes on the next start)."""
        for ev in list(self._cancel.values()):
            ev.set()
        for timer in list(self._timers):      # waiting retries are queued again at the next start
            timer.cancel()
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    # ---- requests ---------------------------------------------------------------------------------
    def submit(self, tenant_id: str | None, data: bytes, *, batch_rows: int = 20_000) -> dict:
        if len(data) > self.max_upload_bytes:
            raise ValidationError(f"body: {len(data):,} bytes is above the {self.max_upload_bytes:,}-byte upload limit")
        job_id = uuid.uuid4().hex
        d = self._dir(tenant_id, job_id)
        d.mkdir(parents=True)
        (d / "input.parquet").write_bytes(data)
        try:
            total = _open_input(d / "input.parquet").metadata.num_rows
        except ValidationError as exc:
            for p in d.iterdir():
                p.unlink()
            d.rmdir()
            raise ValidationError(str(exc).replace(str(d / "input.parquet"), "body")) from None
        meta = {"id": job_id, "tenant": _key(tenant_id), "state": "queued", "created_at": time.time(),
                "total_rows": total, "batch_rows": batch_rows, "error": None}
        self._write(d, meta)
        self._enqueue(meta["tenant"], job_id)
        return self.status(tenant_id, job_id)

    def submit_evaluation(self, tenant_id: str | None, spec: dict, *, chunk: int = 500) -> dict:
        """A bulk evaluation job (ranking/evaluate/bulk.py): qualifications and up to 100,000 candidate ids."""
        spec = check_spec(spec)
        job_id = uuid.uuid4().hex
        d = self._dir(tenant_id, job_id)
        d.mkdir(parents=True)
        durable.write_json(d / "input.json", spec)
        meta = {"id": job_id, "tenant": _key(tenant_id), "kind": "evaluate", "state": "queued", "created_at": time.time(),
                "total_rows": len(spec["candidate_ids"]), "batch_rows": chunk, "error": None}
        self._write(d, meta)
        self._enqueue(meta["tenant"], job_id)
        return self.status(tenant_id, job_id)

    def status(self, tenant_id: str | None, job_id: str) -> dict:
        d = self._existing(tenant_id, job_id)
        meta = json.loads((d / "job.json").read_text())
        prog = read_progress(d / "result.parquet")
        done = meta["total_rows"] if meta["state"] == "done" else (prog.rows_done if prog else 0)
        out = {"job_id": job_id, "state": meta["state"], "total_rows": meta["total_rows"], "rows_done": done,
               "progress": round(done / meta["total_rows"], 4) if meta["total_rows"] else 1.0,
               "created_at": meta["created_at"], "error": meta.get("error"), "attempts": meta.get("attempts", 0),
               "next_attempt_at": meta.get("next_attempt_at")}
        if meta["state"] == "done":
            out.update({k: meta.get(k) for k in ("queries", "invalid_rows", "not_found", "split_queries", "finished_at")})
        return out

    def result_path(self, tenant_id: str | None, job_id: str) -> Path:
        d = self._existing(tenant_id, job_id)
        if json.loads((d / "job.json").read_text())["state"] != "done":
            raise NotFoundError(f"job {job_id}: no result yet (see its status)")
        return d / "result.parquet"

    def cancel(self, tenant_id: str | None, job_id: str) -> dict:
        d = self._existing(tenant_id, job_id)
        with self._lock:
            meta = json.loads((d / "job.json").read_text())
            if meta["state"] in ACTIVE:
                meta["state"] = "cancelled"
                self._write(d, meta)
                ev = self._cancel.get(job_id)
                if ev is not None:
                    ev.set()
        return self.status(tenant_id, job_id)

    # ---- worker -----------------------------------------------------------------------------------
    def _enqueue(self, tenant_key: str, job_id: str) -> None:
        self._cancel[job_id] = threading.Event()
        self._queue.put((tenant_key, job_id))

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            tenant_key, job_id = item
            d = self.root / tenant_key / job_id
            cancel = self._cancel.setdefault(job_id, threading.Event())
            with self._lock:
                meta = json.loads((d / "job.json").read_text())
                if meta["state"] not in ACTIVE:
                    continue
                meta["state"] = "running"
                self._write(d, meta)
            tenant = None if tenant_key == PUBLIC else tenant_key
            try:
                if meta.get("kind") == "evaluate":
                    prog = run_bulk_evaluation(self._engine(), d / "input.json", d / "result.parquet", tenant_id=tenant,
                                               chunk=meta["batch_rows"], cancel=cancel)
                else:
                    prog = self._run(d / "input.parquet", d / "result.parquet",
                                     BulkOptions(tenant_id=tenant, batch_rows=meta["batch_rows"]), cancel)
                self._finish(d, prog)
            except BackendUnavailableError as exc:    # the index or backend comes back: try again later
                self._retry_later(d, tenant_key, job_id, exc)
            except Exception as exc:          # a job's failure is recorded on the job, never kills the worker
                log.exception("job %s failed", job_id)
                with self._lock:
                    meta = json.loads((d / "job.json").read_text())
                    meta.update(state="failed", error=f"{type(exc).__name__}: {exc}")
                    self._write(d, meta)
            finally:
                self._cancel.pop(job_id, None)

    def _run_here(self, src: Path, out: Path, options: BulkOptions, cancel: threading.Event) -> BulkProgress:
        return run_bulk(self._engine(), src, out, options, cancel=cancel, progress_bar=False)

    def _retry_later(self, d: Path, tenant_key: str, job_id: str, exc: Exception) -> None:
        with self._lock:
            meta = json.loads((d / "job.json").read_text())
            if meta["state"] not in ACTIVE:           # cancelled meanwhile
                return
            attempts = meta.get("attempts", 0) + 1
            if attempts >= self.retry_attempts:
                meta.update(state="failed", attempts=attempts, next_attempt_at=None,
                            error=f"{type(exc).__name__}: {exc} (gave up after {attempts} attempts)")
                self._write(d, meta)
                log.error("job %s failed after %d attempts: %s", job_id, attempts, exc)
                return
            delay = min(self.retry_base_s * 2 ** (attempts - 1), self.retry_max_s)
            meta.update(state="queued", attempts=attempts, next_attempt_at=time.time() + delay,
                        error=f"{type(exc).__name__}: {exc} (attempt {attempts}; next in {delay:g} s)")
            self._write(d, meta)
        log.warning("job %s waits %g s for the index: %s", job_id, delay, exc)
        timer = threading.Timer(delay, self._retry_now, args=(tenant_key, job_id))
        timer.daemon = True
        self._timers.add(timer)
        timer.start()

    def _retry_now(self, tenant_key: str, job_id: str) -> None:
        self._timers.discard(threading.current_thread())
        self._enqueue(tenant_key, job_id)

    def _finish(self, d: Path, prog: BulkProgress) -> None:
        with self._lock:
            meta = json.loads((d / "job.json").read_text())
            if prog.state == "done":
                meta.update(state="done", finished_at=time.time(), queries=prog.queries, invalid_rows=prog.invalid_rows,
                            not_found=prog.not_found, split_queries=prog.split_queries, error=None, next_attempt_at=None)
                (d / "input.parquet").unlink(missing_ok=True)
                (d / "input.json").unlink(missing_ok=True)
            elif meta["state"] == "running":   # stopped by shutdown, not by the user: resume next start
                meta["state"] = "queued"
            self._write(d, meta)

    # ---- paths ------------------------------------------------------------------------------------
    def _dir(self, tenant_id: str | None, job_id: str) -> Path:
        return self.root / _key(tenant_id) / job_id

    def _existing(self, tenant_id: str | None, job_id: str) -> Path:
        d = self._dir(tenant_id, job_id) if _ID.match(job_id or "") else None
        if d is None or not (d / "job.json").exists():      # another tenant's job is "not found" too
            raise NotFoundError(f"job {job_id!r} not found")
        return d

    @staticmethod
    def _write(d: Path, meta: dict) -> None:
        durable.write_json(d / "job.json", meta)


def _key(tenant_id: str | None) -> str:
    if tenant_id is None:
        return PUBLIC
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}", tenant_id):
        raise ValidationError(f"X-Tenant-Id: {tenant_id!r} is not a valid tenant id")
    return tenant_id


__all__ = ["JobManager"]
