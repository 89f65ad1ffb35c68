"""``OpenSearchLexicalIndex``: one versioned index on a cluster, behind the ``LexicalIndex`` protocol.

Reads go to the versioned index that matches the local index version (``<prefix>-v000007``), so
the ords the cluster returns always agree with the local profile store and FAISS; the alias
``<prefix>`` is swapped atomically at publish for anything else that reads the cluster.
Every transport failure becomes ``BackendUnavailableError`` (HTTP 503 in the API).
"""
from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from indexer.backend import FACETS, Page, decode_cursor, encode_cursor, sort_buckets
from indexer.documents import TEXT_FIELDS
from indexer.opensearch import dsl
from indexer.opensearch.config import OpenSearchConfig
from records.errors import BackendUnavailableError, TalentSearchError
from records.hits import Hit, RetrieverResult

MAX_WINDOW = 10_000          # index.max_result_window: deeper reads page with search_after
PIT_KEEP_ALIVE = "5m"
RETRYABLE = {429, 500, 502, 503, 504, "N/A"}
_FACET_FIELDS = {"current_company": "current_company_name", "seniority": "seniority", "location": "city",
                 "skills": "skills_normalized", "open_to_work": "open_to_work"}
_EM = re.compile(r"<em>(.*?)</em>")
assert set(_FACET_FIELDS) == set(FACETS)


@dataclass(frozen=True)
class BulkFailure:
    candidate_id: str
    status: int | str
    error: str


@dataclass(frozen=True)
class BulkReport:
    """Outcome of a bulk load: documents acknowledged, and each document that failed (after retries)."""
    indexed: int
    failed: list[BulkFailure] = field(default_factory=list)
    attempts: int = 1

    @property
    def ok(self) -> bool:
        return not self.failed


class BulkIndexError(BackendUnavailableError):
    """A bulk load left documents unindexed; ``report`` lists them. Re-running the ingest completes it."""

    def __init__(self, message: str, report: BulkReport, rejects_path: str | None = None):
        self.report = report
        self.rejects_path = rejects_path
        super().__init__(message)


class OpenSearchLexicalIndex:
    name = "opensearch"

    def __init__(self, config: OpenSearchConfig, index: str, *, client=None):
        self.config = config
        self.index = index
        self.client = client if client is not None else config.client()

    @contextlib.contextmanager
    def guard(self, what: str):
        """Map transport errors to the engine's errors, naming the cluster, index and operation."""
        from opensearchpy import exceptions as ex

        try:
            yield
        except ex.NotFoundError as exc:
            raise BackendUnavailableError(f"OpenSearch index {self.index!r} not found at {self.config.url} while {what}: "
                                          "re-run `talentsearch index` with the opensearch backend") from exc
        except (ex.ConnectionError, ex.ConnectionTimeout) as exc:
            raise BackendUnavailableError(f"OpenSearch at {self.config.url} is unreachable while {what}: {exc}") from exc
        except (ex.AuthenticationException, ex.AuthorizationException) as exc:
            raise BackendUnavailableError(f"OpenSearch at {self.config.url} refused the credentials while {what}: {exc}") from exc
        except ex.TransportError as exc:
            if exc.status_code in RETRYABLE:
                raise BackendUnavailableError(f"OpenSearch at {self.config.url} failed while {what}: {exc}") from exc
            raise TalentSearchError(f"OpenSearch rejected the request while {what}: {exc}") from exc

    # ---- write side --------------------------------------------------------------------------
    def create(self, *, loading: bool = True) -> None:
        """(Re)create this versioned index, empty; refresh stays off while ``loading``."""
        with self.guard("creating the index"):
            self.client.indices.delete(index=self.index, ignore_unavailable=True)
            self.client.indices.create(index=self.index, body=dsl.index_body(
                shards=self.config.shards, replicas=self.config.replicas,
                refresh_interval=self.config.bulk_refresh_interval if loading else None))

    def exists(self) -> bool:
        with self.guard("checking the index"):
            return bool(self.client.indices.exists(index=self.index))

    def copy_from(self, source: str) -> None:
        """Server-side copy of another version's documents into this index (``_reindex``)."""
        with self.guard(f"copying {source}"):
            self.client.reindex(body={"source": {"index": source}, "dest": {"index": self.index}},
                                params={"wait_for_completion": "true", "refresh": "true"}, request_timeout=3600)

    def delete_ids(self, candidate_ids: Iterable[str]) -> BulkReport:
        actions = ({"_op_type": "delete", "_index": self.index, "_id": cid} for cid in candidate_ids)
        return self._bulk(actions, total=None, progress=False, on_progress=None, ignore=(404,))

    def bulk_index(self, profiles: Iterable[dict], *, total: int | None = None, progress: bool = False,
                   on_progress: Callable[[int], None] | None = None) -> BulkReport:
        """Index indexed-profile dicts (``_id`` = candidate_id, so a re-run overwrites, never duplicates).

        Chunks of ``bulk_chunk``; 429s are retried inside a pass; documents that still fail with a
        retryable status (or because the cluster could not be reached) get up to ``bulk_retries``
        more passes with exponential backoff. Whatever is left is in the report, one line each.
        """
        actions = ({"_op_type": "index", "_index": self.index, "_id": p["candidate_id"], "_source": dsl.document(p)}
                   for p in profiles)
        return self._bulk(actions, total=total, progress=progress, on_progress=on_progress)

    def _bulk(self, actions, *, total, progress, on_progress, ignore=()) -> BulkReport:
        from opensearchpy.helpers import streaming_bulk
        from tqdm.auto import tqdm

        done, failed, attempts = 0, {}, 0
        with tqdm(total=total, desc=f"opensearch {self.index}", unit="doc", disable=not progress) as bar:
            batch = actions
            while True:
                attempts += 1
                pending: dict[str, tuple] = {}
                for ok, item in streaming_bulk(self.client, batch, chunk_size=self.config.bulk_chunk, raise_on_error=False,
                                               raise_on_exception=False, max_retries=self.config.bulk_retries,
                                               initial_backoff=self.config.backoff_s, max_backoff=30, yield_ok=True,
                                               ignore_status=ignore):
                    op, info = next(iter(item.items()))
                    cid = str(info.get("_id"))
                    if ok or info.get("status") in ignore:
                        done += 1
                        failed.pop(cid, None)
                        bar.update(1)
                        if on_progress is not None:
                            on_progress(done)
                        continue
                    error = info.get("error")
                    failed[cid] = BulkFailure(cid, info.get("status", "N/A"), _error_text(error))
                    if info.get("status") in RETRYABLE:
                        action = {"_op_type": op, "_index": self.index, "_id": cid}
                        if "data" in info:
                            action["_source"] = info["data"]
                        pending[cid] = action
                if not pending or attempts > self.config.bulk_retries:
                    break
                time.sleep(min(30.0, self.config.backoff_s * 2 ** (attempts - 1)))
                batch = list(pending.values())
        return BulkReport(done, sorted(failed.values(), key=lambda f: f.candidate_id), attempts)

    def finish_load(self) -> None:
        """Turn refresh back on and make everything searchable."""
        with self.guard("finishing the load"):
            self.client.indices.put_settings(index=self.index, body={"index": {"refresh_interval": "1s"}})
            self.client.indices.refresh(index=self.index)

    def num_docs(self) -> int:
        with self.guard("counting documents"):
            return int(self.client.count(index=self.index)["count"])

    # ---- read side ---------------------------------------------------------------------------
    def _search(self, body: dict, what: str) -> dict:
        with self.guard(what):
            return self.client.search(index=self.index, body=body)

    def retrieve(self, lq, *, k: int, mask: np.ndarray) -> RetrieverResult:
        """Top ``k`` hits passing ``mask``; ordered as tantivy orders them (score, or last active for
        filter-only queries), ties by ord. Reads past 10,000 continue with search_after."""
        scored = lq.node is not None
        sort = dsl.sort_clause(True) if scored else [{"last_active": {"order": "desc", "missing": "_last"}}, {"ord": {"order": "asc"}}]
        body = {"query": dsl.search_query(lq), "_source": ["ord"], "track_total_hits": True, "sort": sort}
        hits, removed, total, after = [], False, 0, None
        want = max(k, 1) + 16
        while len(hits) < k:
            body["size"] = min(MAX_WINDOW, want)
            if after is not None:
                body["search_after"] = after
            res = self._search(body, "searching")
            total = int(res["hits"]["total"]["value"])
            page = res["hits"]["hits"]
            for h in page:
                o = int(h["_source"]["ord"])
                if o < len(mask) and mask[o]:
                    hits.append(Hit(o, float(h["_score"] or 0.0) if scored else 0.0))
                else:
                    removed = True
            if len(page) < body["size"]:
                break
            after = page[-1]["sort"]
            want = want * 4
        return RetrieverResult(hits[:k], -1 if removed else total)

    def facets(self, lq, *, mask: np.ndarray, names, size: int, store=None) -> dict:
        """Terms aggregations over the filtered match set (filters are exact in DSL, so this equals
        the embedded backend's count over the mask; on a multi-shard cluster terms counts are
        exact only while a facet's distinct values fit ``shard_size``)."""
        aggs = {name: {"terms": {"field": _FACET_FIELDS[name], "size": size, "shard_size": max(size * 10, 100),
                                 "order": [{"_count": "desc"}, {"_key": "asc"}]}} for name in names}
        res = self._search({"query": dsl.search_query(lq), "size": 0, "aggs": aggs, "track_total_hits": False}, "aggregating facets")
        out = {}
        for name in names:
            buckets = res["aggregations"][name]["buckets"]
            out[name] = sort_buckets([(str(b.get("key_as_string", b["key"])), int(b["doc_count"])) for b in buckets], size)
        return out

    def page(self, lq, *, size: int, mask: np.ndarray, cursor: str | None = None) -> Page:
        """Deep scan with a point in time and search_after; the PIT pins the index for the scan.

        Scored scans resume slightly above the last score and skip the ords already returned in
        that band: a server whose scores jitter in the last bits between requests (osmem sums
        clauses in map order) neither repeats nor drops a near-tie across a page boundary.
        """
        scored = lq.node is not None
        if cursor:
            state = decode_cursor(cursor, backend=self.name)
        else:
            with self.guard("opening a point in time"):
                pit = self.client.create_pit(index=self.index, params={"keep_alive": PIT_KEEP_ALIVE})["pit_id"]
            state = {"b": self.name, "pit": pit, "after": None, "band": []}
        band = {o for o, _ in state.get("band", [])}
        body = {"query": dsl.search_query(lq), "_source": ["ord"], "sort": dsl.sort_clause(scored),
                "pit": {"id": state["pit"], "keep_alive": PIT_KEEP_ALIVE}, "track_total_hits": True}
        after = state["after"]
        if after is not None and scored:
            after = [_above(after[0]), -1]
        hits, total = [], -1
        while len(hits) <= size:
            body["size"] = min(MAX_WINDOW, size + 1 - len(hits) + len(band) + 16)
            if after is not None:
                body["search_after"] = after
            with self.guard("paging"):
                res = self.client.search(body=body)
            state["pit"] = res.get("pit_id", state["pit"])
            body["pit"]["id"] = state["pit"]
            total = int(res["hits"]["total"]["value"])
            batch = res["hits"]["hits"]
            for h in batch:
                o = int(h["_source"]["ord"])
                if o in band:
                    continue
                if o < len(mask) and mask[o]:
                    hits.append((Hit(o, float(h["_score"] or 0.0) if scored else 0.0), h["sort"]))
                if len(hits) > size:
                    break
            if len(batch) < body["size"]:
                break
            after = batch[-1]["sort"]
        if len(hits) > size:
            last = hits[size - 1][1]
            page = [h for h, _ in hits[:size]]
            band_next = []
            if scored:   # (ord, score) returned so far within the jitter band below the last score
                floor = _below(last[0])
                band_next = [[o, sc] for o, sc in state.get("band", []) if sc >= floor]
                band_next += [[h.ord, h.score] for h in page if h.score >= floor]
            return Page(page, encode_cursor({**state, "after": last, "band": band_next}), total)
        with contextlib.suppress(Exception):
            self.client.delete_pit(body={"pit_id": [state["pit"]]})
        return Page([h for h, _ in hits], None, total)

    def highlight(self, lq, records: list[dict]) -> list[dict[str, list[str]]]:
        """The cluster's highlighter over the indexed token streams: the ``<em>`` tokens per field."""
        hq = dsl.highlight_query(lq)
        if hq is None or not records:
            return [{} for _ in records]
        ids = [r["candidate_id"] for r in records]
        body = {"query": {"ids": {"values": ids}}, "size": len(ids), "_source": False,
                "highlight": {"highlight_query": hq, "require_field_match": True, "pre_tags": ["<em>"], "post_tags": ["</em>"],
                              "fields": {f: {"number_of_fragments": 0} for f in TEXT_FIELDS}}}
        res = self._search(body, "highlighting")
        by_id = {}
        for h in res["hits"]["hits"]:
            by_id[h["_id"]] = {f: sorted({tok for frag in frags for tok in _EM.findall(frag)})
                               for f, frags in sorted(h.get("highlight", {}).items())}
        return [by_id.get(cid, {}) for cid in ids]

    def explain(self, lq, ord_: int) -> dict:
        main = dsl.compile_query(lq.node, keywords=lq.keywords, boosts=lq.boosts) if lq.node is not None else dsl.MATCH_ALL
        body = {"query": {"bool": {"must": [main], "filter": [{"term": {"ord": int(ord_)}}]}}, "explain": True, "size": 1,
                "_source": False}
        hits = self._search(body, "explaining")["hits"]["hits"]
        if not hits:
            return {"value": 0.0, "description": "no match", "details": []}
        return hits[0]["_explanation"]


def _above(score: float) -> float:
    return score + abs(score) * 1e-5 + 1e-9


def _below(score: float) -> float:
    return score - abs(score) * 1e-5 - 1e-9


def _error_text(error) -> str:
    if isinstance(error, dict):
        return f"{error.get('type')}: {error.get('reason')}"
    return str(error)[:500]


# ---- versions and the alias ----------------------------------------------------------------------
def publish_alias(config: OpenSearchConfig, client, index: str) -> None:
    """Point the alias ``<prefix>`` at ``index`` and away from every other version, atomically."""
    from opensearchpy import exceptions as ex

    guard = OpenSearchLexicalIndex(config, index, client=client).guard
    with guard("swapping the alias"):
        try:
            holders = list(client.indices.get_alias(name=config.alias).keys())
        except ex.NotFoundError:
            holders = []
        actions = [{"remove": {"index": h, "alias": config.alias}} for h in holders if h != index]
        actions.append({"add": {"index": index, "alias": config.alias}})
        client.indices.update_aliases(body={"actions": actions})


def drop_versions(config: OpenSearchConfig, client, keep: set[str]) -> list[str]:
    """Delete this prefix's versioned indices not in ``keep``; returns the names deleted."""
    guard = OpenSearchLexicalIndex(config, config.alias, client=client).guard
    pattern = re.compile(re.escape(config.index_prefix) + r"-v\d{6}")
    with guard("dropping old versions"):
        names = [n for n in client.indices.get(index=f"{config.index_prefix}-v*", ignore_unavailable=True) if pattern.fullmatch(n)]
        gone = [n for n in names if n not in keep]
        for n in gone:
            client.indices.delete(index=n, ignore_unavailable=True)
    return gone
