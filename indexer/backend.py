"""The lexical backend contract: what the search pipeline asks of tantivy and of OpenSearch alike.

Both backends take a ``LexicalQuery`` (the parsed Boolean AST or keywords, the filters, the field
boosts) plus the exact filter mask from ``ProfileStore.mask`` (bool over ord space). Each applies
the filters natively to narrow and the mask exactly to the hits, so the two return the same hit
sets. Facets count the whole filtered match set; deep paging walks it in a stable order
(score desc, then ord asc; filter-only queries: ord asc) with an opaque cursor.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from query.lang import ast as qa
from query.lang.filters import Filters
from records.errors import QueryError
from records.hits import Hit, RetrieverResult
from records.schema import SENIORITY_LEVELS

# facet name -> the indexed-profile column it counts (multi-valued for skills)
FACETS = {
    "current_company": "current_company_name",
    "seniority": "seniority",
    "location": "city",
    "skills": "skills_normalized",
    "open_to_work": "open_to_work",
}
MAX_FACET_SIZE = 1000


@dataclass(frozen=True)
class LexicalQuery:
    """What the lexical retriever runs: ``node=None`` is filter-only.

    ``keywords=True`` makes positive leaves optional (BM25 over any of them); otherwise the
    Boolean structure is a hard constraint. ``expansions`` are ``(field, text, boost)`` phrases.
    ``company_ids`` resolves company names or ids (filters) to indexed company ids.
    """
    node: qa.Node | None
    filters: Filters = field(default_factory=Filters)
    keywords: bool = False
    field_boosts: tuple[tuple[str, float], ...] = ()
    expansions: tuple[tuple[str, str, float], ...] = ()
    today: dt.date = field(default_factory=dt.date.today)
    top_k: bool = False     # a ranked top-k search (not a match set): a backend may cut common keyword terms
    company_ids: Callable[[tuple[str, ...]], list[str]] = field(default=lambda values: sorted(values), compare=False)

    @property
    def boosts(self) -> dict[str, float] | None:
        return dict(self.field_boosts) or None


@dataclass(frozen=True)
class Page:
    """One page of a deep scan: hits in scan order and the cursor of the next page (None at the end)."""
    hits: list[Hit]
    cursor: str | None
    total: int = -1


@runtime_checkable
class LexicalIndex(Protocol):
    """A lexical backend. ``mask`` is the exact filter mask (bool, length = store.n_ord)."""

    name: str

    def retrieve(self, lq: LexicalQuery, *, k: int, mask: np.ndarray) -> RetrieverResult:
        """Top ``k`` hits matching ``lq`` and passing ``mask``, best first."""

    def facets(self, lq: LexicalQuery, *, mask: np.ndarray, names: tuple[str, ...], size: int,
               store) -> dict[str, list[tuple[str, int]]]:
        """Per facet, the ``size`` most frequent values over the whole filtered match set
        as ``(value, count)``, count desc then value asc. ``store`` is the local ProfileStore."""

    def page(self, lq: LexicalQuery, *, size: int, mask: np.ndarray, cursor: str | None = None) -> Page:
        """The next ``size`` hits of a deep scan over the match set."""

    def highlight(self, lq: LexicalQuery, records: list[dict]) -> list[dict[str, list[str]]]:
        """Per record (indexed-profile dicts with ``ord``), per lexical field, the analysed tokens
        the query's positive leaves matched there; ``indexer.highlight.render`` marks them up."""

    def explain(self, lq: LexicalQuery, ord_: int) -> dict:
        """How ``ord_`` scored: ``{"value", "description", "details"}`` (the engine's own tree)."""

    def num_docs(self) -> int:
        ...


# ---- shared helpers --------------------------------------------------------------------------
def check_facets(names) -> tuple[str, ...]:
    bad = [n for n in names if n not in FACETS]
    if bad:
        raise QueryError(f"facets: unknown facet(s) {bad}; known: {sorted(FACETS)}")
    return tuple(dict.fromkeys(names))


def facet_counts(store, ords: np.ndarray, names, size: int) -> dict[str, list[tuple[str, int]]]:
    """Count facet values over ``ords`` from the store's columns (the embedded backend's facets)."""
    rows = store.columns.row[np.asarray(ords, dtype=np.int64)]
    needed = sorted({"location" if FACETS[n] == "city" else FACETS[n] for n in names})
    table = store.table.select(needed).take(pa.array(rows, type=pa.int64()))   # only the facets' columns
    out: dict[str, list[tuple[str, int]]] = {}
    for name in names:
        column = FACETS[name]
        if column == "city":
            values = pc.struct_field(table.column("location").combine_chunks(), "city") if table.num_rows else pa.array([], pa.string())
        elif column == "skills_normalized":
            values = pc.list_flatten(table.column(column))
        elif column == "open_to_work":
            values = pc.cast(pc.fill_null(table.column(column), False), pa.string())
        else:
            values = table.column(column)
        counts = pc.value_counts(pc.drop_null(values)) if len(values) else pa.array([], pa.struct([("values", pa.string()), ("counts", pa.int64())]))
        pairs = [(str(v), int(c)) for v, c in zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist())] if len(counts) else []
        out[name] = sort_buckets(pairs, size)
    return out


def sort_buckets(pairs, size: int) -> list[tuple[str, int]]:
    return sorted(pairs, key=lambda p: (-p[1], p[0]))[:size]


def level_name(level: int) -> str:
    return SENIORITY_LEVELS[level] if 0 <= level < len(SENIORITY_LEVELS) else "unknown"


def encode_cursor(state: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *, backend: str) -> dict:
    """The state inside ``cursor``; a malformed cursor or one from another backend is a QueryError."""
    try:
        state = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError) as exc:
        raise QueryError(f"cursor: not a cursor returned by this engine ({exc})") from exc
    if not isinstance(state, dict) or state.get("b") != backend:
        raise QueryError(f"cursor: was not issued by the {backend} backend")
    return state


def after(key: tuple[float, int], cursor_key: list | None, *, scored: bool) -> bool:
    """True when a hit with sort ``key`` = (score, ord) comes after ``cursor_key`` in scan order."""
    if cursor_key is None:
        return True
    score, o = key
    if not scored:
        return o > cursor_key[1]
    return score < cursor_key[0] or (score == cursor_key[0] and o > cursor_key[1])
