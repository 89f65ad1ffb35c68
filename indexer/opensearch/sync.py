"""Writing one index version to the cluster: a new versioned index, loaded, checked, then aliased.

Zero downtime: searches keep using the previous versioned index (and the alias keeps naming it)
until the new version is complete and published; then the alias moves in one atomic request.
"""
from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pyarrow as pa

from indexer.opensearch.config import OpenSearchConfig
from indexer.opensearch.index import BulkIndexError, BulkReport, OpenSearchLexicalIndex, drop_versions, publish_alias


def write_version(config: OpenSearchConfig, version: str, prev_version: str | None, *, fresh: pa.Table,
                  removed_ids: list[str], store_table: pa.Table, rejects_dir: Path, progress: bool = True,
                  on_progress=None) -> dict:
    """Build ``<prefix>-<version>``: copy the previous version server-side and apply the changes,
    or load the whole store when there is no previous version on the cluster. The final document
    count must equal the store's, else ``BulkIndexError`` (with the per-document report, also
    written to ``rejects_dir``) and nothing is published. Returns timings and counts."""
    t0 = time.perf_counter()
    client = config.client()
    target = OpenSearchLexicalIndex(config, config.index_name(version), client=client)
    source = OpenSearchLexicalIndex(config, config.index_name(prev_version), client=client) if prev_version else None
    target.create(loading=True)
    incremental = source is not None and source.exists()
    if incremental:
        target.copy_from(source.index)
        deleted = target.delete_ids(removed_ids)
        report = _merge(deleted, target.bulk_index(_rows(fresh), total=fresh.num_rows, progress=progress, on_progress=on_progress))
    else:
        report = target.bulk_index(_rows(store_table), total=store_table.num_rows, progress=progress, on_progress=on_progress)
    if not report.ok:
        path = _write_failures(rejects_dir, target.index, report)
        raise BulkIndexError(f"OpenSearch index {target.index}: {len(report.failed)} document(s) failed, "
                             f"{report.indexed} acknowledged of {store_table.num_rows}; nothing was published "
                             f"(failures: {path}); re-run the same ingest to complete it", report, path)
    target.finish_load()
    count = target.num_docs()
    if count != store_table.num_rows:
        raise BulkIndexError(f"OpenSearch index {target.index} holds {count} documents, the source {store_table.num_rows}; "
                             "nothing was published; re-run the same ingest", report)
    return {"index": target.index, "incremental": incremental, "documents": count, "seconds": time.perf_counter() - t0}


def publish(config: OpenSearchConfig, version: str, keep_versions: list[str]) -> None:
    """Move the alias to ``version`` and drop versioned indices whose local version is gone."""
    client = config.client()
    publish_alias(config, client, config.index_name(version))
    drop_versions(config, client, {config.index_name(v) for v in keep_versions} | {config.index_name(version)})


def _rows(table: pa.Table):
    for batch in table.to_batches(2_000):
        yield from batch.to_pylist()


def _merge(a: BulkReport, b: BulkReport) -> BulkReport:
    return BulkReport(a.indexed + b.indexed, a.failed + b.failed, max(a.attempts, b.attempts))


def _write_failures(folder: Path, index: str, report: BulkReport) -> str | None:
    if not report.failed:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{dt.datetime.now(dt.timezone.utc).strftime('%Y%m%dT%H%M%S%fZ')}-opensearch.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for f in report.failed:
            fh.write(json.dumps({"source": index, "candidate_id": f.candidate_id, "status": f.status,
                                 "reason": f.error}) + "\n")
    return str(path)
