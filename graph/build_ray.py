"""The graph build's aggregation on Ray: ``talentsearch graph build --runner ray``.

The same two passes as the local runner (``graph.flows``) over row partitions of the index version's
``profiles.parquet``: each Ray actor loads the taxonomy once, reads its partition's rows itself (the
index directory must be at the same path on every node, as for the other Ray runners) and returns a
partition's vocabulary, then its counts under the merged vocabulary. The driver merges in partition
order and finishes the graph (``graph.build.finish``), so the graph equals the local runner's, array
for array. Tasks are pure: a task re-run after a killed worker returns the same counts, and the
driver takes each once (``records.raypool.ActorPool``).
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import replace
from pathlib import Path

import pyarrow.parquet as pq

from graph import flows
from graph.build import GraphConfig, finish
from graph.flows import COLUMNS, GlobalVocab, Partial, Vocab
from graph.store import Graph
from records.errors import ValidationError
from records.raypool import ActorPool, RayOptions, connected, import_ray
from records.taxonomy import Taxonomy


def read_rows(path: str | Path, start: int, stop: int):
    """Rows ``[start, stop)`` of a Parquet file (``COLUMNS`` only), reading just the row groups they span."""
    f = pq.ParquetFile(path)
    groups, first, at = [], None, 0
    for i in range(f.metadata.num_row_groups):
        rows = f.metadata.row_group(i).num_rows
        if at + rows > start and at < stop:
            groups.append(i)
            first = at if first is None else first
        at += rows
    if not groups:
        return f.schema_arrow.empty_table().select(list(COLUMNS))
    return f.read_row_groups(groups, columns=list(COLUMNS)).slice(start - first, stop - start)


class GraphWorker:
    """One per Ray actor: the taxonomy, loaded once; the merged vocabulary, fetched once per build."""

    def __init__(self, as_of: dt.date, max_skills_per_profile: int):
        self.taxonomy = Taxonomy.load().warm()      # the title and skill indexes: at actor start, not in a task
        self.as_of, self.cap = as_of, max_skills_per_profile
        self._vocab: tuple[str, GlobalVocab] | None = None

    def vocab(self, item: tuple[str, int, int]) -> Vocab:
        return flows.vocab_of(read_rows(*item), self.taxonomy)

    def counts(self, item: tuple[str, int, int, object]) -> Partial:
        path, start, stop, ref = item
        key = ref.hex()
        if self._vocab is None or self._vocab[0] != key:
            self._vocab = (key, import_ray().get(ref))
        return flows.partial_of(read_rows(path, start, stop), self._vocab[1], self.as_of, self.cap)


def build_graph_ray(path: str | Path, config: GraphConfig, options: RayOptions | None = None, *,
                    source: dict | None = None, taxonomy: Taxonomy | None = None) -> Graph:
    """The graph of ``profiles.parquet`` at ``path``, aggregated on Ray in partitions of ``config.partition_rows``."""
    from tqdm.auto import tqdm

    path = str(Path(path).resolve())
    f = pq.ParquetFile(path)
    missing = [c for c in COLUMNS if c not in f.schema_arrow.names]
    if missing:
        raise ValidationError(f"graph build: {path} lacks column(s) {missing}")
    n, size = f.metadata.num_rows, config.partition_rows
    ranges = [(path, i, min(i + size, n)) for i in range(0, n, size)] or [(path, 0, 0)]
    as_of = config.as_of or dt.date.today()
    options = options or RayOptions()
    taxonomy = taxonomy or Taxonomy.load()
    timings: dict[str, float] = {}
    with connected(options) as ray, \
            tqdm(total=2 * len(ranges), desc="graph build (ray)", unit="partition", disable=not config.progress) as bar:
        t0 = time.perf_counter()
        cap = config.max_skills_per_profile
        with ActorPool(lambda: GraphWorker(as_of, cap), options, name="graph") as pool:
            timings["actors"] = round(time.perf_counter() - t0, 3)
            t0 = time.perf_counter()
            vocab = flows.merge_vocab([_tick(bar, v) for v in pool.map("vocab", ranges)])
            timings["vocabulary"] = round(time.perf_counter() - t0, 3)
            t0 = time.perf_counter()
            ref = ray.put(vocab)
            parts = [_tick(bar, p) for p in pool.map("counts", [(*r, ref) for r in ranges])]
            timings["counts"] = round(time.perf_counter() - t0, 3)
            actors = pool.size
    return finish(parts, vocab, replace(config, as_of=as_of), taxonomy, source=source, timings=timings,
                  runner={"runner": "ray", "partitions": len(ranges), "actors": actors})


def _tick(bar, value):
    bar.update(1)
    return value
