"""Index mapping, documents and the Boolean AST -> OpenSearch Query DSL (pure functions, no client).

Analysis happens once, in Python, with the embedded engine's analyzers (``indexer.analysis``):
documents are sent as their analysed token streams and the cluster splits them on whitespace.
So ``c++`` -> ``cplusplus``, ASCII folding and Snowball English stemming (porter2) are
bit-for-bit the tokens tantivy indexes, on any OpenSearch version or compatible server, and
queries are analysed with the same code. Multi-valued fields leave a position gap of 1 between
values, as tantivy does, so phrase slop behaves the same across values.

Scoring mirrors ``indexer.lexical``: each leaf is a ``match``/``match_phrase`` per field with the
field's boost, several fields are combined with ``dis_max`` (tie 0.3), Boolean structure maps to
``bool`` must/should/must_not, and filters sit in ``filter`` context (they never score).
"""
from __future__ import annotations

import datetime as dt

from indexer.analysis import analyze
from indexer.documents import SCOPES, TEXT_FIELDS, lexical_fields
from indexer.lexical import DISMAX_TIE, NETWORK, check_boosts, keyword_leaves
from query.lang import ast as qa
from query.lang.filters import Filters
from records.schema import SENIORITY_LEVELS

TOKENS_ANALYZER = "ts_tokens"
KEYWORD_SUBFIELDS = ("skill", "company_current", "company_past", "school", "location")
MAX_EXPANSIONS = 50           # tantivy's phrase-prefix default
MATCH_ALL = {"match_all": {}}
MATCH_NONE = {"match_none": {}}


def index_body(*, shards: int, replicas: int, refresh_interval: str | None = None) -> dict:
    """Settings and mappings of one versioned index."""
    settings: dict = {"number_of_shards": shards, "number_of_replicas": replicas,
                      "analysis": {"analyzer": {TOKENS_ANALYZER: {"type": "custom", "tokenizer": "whitespace", "filter": []}}}}
    if refresh_interval is not None:
        settings["refresh_interval"] = refresh_interval
    props: dict = {"ord": {"type": "long"}, "candidate_id": {"type": "keyword"}}
    for name in TEXT_FIELDS:
        props[name] = {"type": "text", "analyzer": TOKENS_ANALYZER, "position_increment_gap": 1}
        if name in KEYWORD_SUBFIELDS:
            props[name]["fields"] = {"keyword": {"type": "keyword", "ignore_above": 256}}
    props.update({
        "geo": {"type": "geo_point"}, "years": {"type": "double"}, "level": {"type": "integer"},
        "seniority": {"type": "keyword"}, "open_to_work": {"type": "boolean"}, "last_active": {"type": "date", "format": "yyyy-MM-dd"},
        "tenant": {"type": "keyword"}, "current_company": {"type": "keyword"}, "past_company": {"type": "keyword"},
        "current_company_name": {"type": "keyword"}, "city": {"type": "keyword"}, "skills_normalized": {"type": "keyword"},
    })
    return {"settings": settings, "mappings": {"dynamic": "strict", "properties": props}}


def document(p: dict) -> dict:
    """The OpenSearch ``_source`` of one indexed profile (INDEXED_SCHEMA dict); ``_id`` is its candidate_id."""
    import numpy as np

    doc: dict = {"ord": int(p["ord"]), "candidate_id": p["candidate_id"]}
    for name, values in lexical_fields(p).items():
        doc[name] = [" ".join(analyze(TEXT_FIELDS[name], v)) for v in values if v]
    loc = p.get("location") or {}
    if loc.get("lat") is not None and loc.get("lon") is not None:
        doc["geo"] = {"lat": float(loc["lat"]), "lon": float(loc["lon"])}
    if loc.get("city"):
        doc["city"] = loc["city"]
    # the store holds years as float32: send that exact value so range filters agree with the mask
    doc["years"] = float(np.float32(p.get("years_experience") or 0.0))
    level = int(p.get("seniority_level", -1))
    doc["level"] = level
    if 0 <= level < len(SENIORITY_LEVELS):
        doc["seniority"] = SENIORITY_LEVELS[level]
    doc["open_to_work"] = bool(p.get("open_to_work"))
    if p.get("last_active") is not None:
        doc["last_active"] = p["last_active"].isoformat()
    doc["tenant"] = p.get("owner_tenant") or NETWORK
    if p.get("current_company_id"):
        doc["current_company"] = p["current_company_id"]
    if p.get("current_company_name"):
        doc["current_company_name"] = p["current_company_name"]
    doc["past_company"] = list(p.get("past_company_ids") or [])
    doc["skills_normalized"] = list(p.get("skills_normalized") or [])
    return doc


# ---- queries -----------------------------------------------------------------------------------
def compile_query(node: qa.Node, *, keywords: bool = False, boosts: dict[str, float] | None = None) -> dict:
    """Boolean AST -> Query DSL; in keywords mode every positive leaf is optional (as tantivy)."""
    check_boosts(boosts)
    if keywords:
        leaves, negatives = keyword_leaves(node)
        should = [q for q in (_leaf(leaf, boosts) for leaf in leaves) if q is not None]
        must_not = [q for q in (_leaf(leaf, boosts) for leaf in negatives) if q is not None]
        if not should:
            return {"bool": {"must": [MATCH_ALL], "must_not": must_not}} if must_not else MATCH_NONE
        body: dict = {"should": should, "minimum_should_match": 1}
        if must_not:
            body["must_not"] = must_not
        return {"bool": body}
    q = _compile(node, boosts)
    return q if q is not None else MATCH_NONE


def _compile(node, boosts):
    if isinstance(node, (qa.Term, qa.Phrase, qa.Prefix)):
        return _leaf(node, boosts)
    if isinstance(node, qa.Not):
        inner = _compile(node.child, boosts)
        return {"bool": {"must": [MATCH_ALL], **({"must_not": [inner]} if inner else {})}}
    if isinstance(node, qa.And):
        must, must_not = [], []
        for child in node.children:
            if isinstance(child, qa.Not):
                inner = _compile(child.child, boosts)
                if inner is not None:
                    must_not.append(inner)
            else:
                q = _compile(child, boosts)
                if q is not None:
                    must.append(q)
        body = {"must": must or [MATCH_ALL]}
        if must_not:
            body["must_not"] = must_not
        return {"bool": body}
    if isinstance(node, qa.Or):
        parts = [q for q in (_compile(c, boosts) for c in node.children) if q is not None]
        return {"bool": {"should": parts, "minimum_should_match": 1}} if parts else None
    raise TypeError(f"unknown query node {type(node).__name__}")


def _leaf(node, boosts=None):
    pairs = SCOPES[node.field]
    if node.field is None and boosts:
        pairs = [(field, boosts.get(field, boost)) for field, boost in pairs]
    per_field = [q for q in (_field_query(node, field, boost) for field, boost in pairs if boost > 0) if q is not None]
    if not per_field:
        return None
    return per_field[0] if len(per_field) == 1 else {"dis_max": {"queries": per_field, "tie_breaker": DISMAX_TIE}}


def _field_query(node, field: str, boost: float):
    tokens = analyze(TEXT_FIELDS[field], node.text)
    if not tokens:
        return None
    text = " ".join(tokens)
    if isinstance(node, qa.Prefix):
        if len(tokens) > 1:   # "machine learn*": a phrase whose last word is a prefix
            return {"match_phrase_prefix": {field: {"query": text, "max_expansions": MAX_EXPANSIONS, "boost": boost}}}
        return {"prefix": {field: {"value": tokens[-1], "boost": boost}}}
    if len(tokens) == 1:
        return {"match": {field: {"query": text, "boost": boost}}}
    slop = node.slop if isinstance(node, qa.Phrase) else 0
    return {"match_phrase": {field: {"query": text, "slop": slop, "boost": boost}}}


def expansion(field: str, text: str, boost: float):
    tokens = analyze(TEXT_FIELDS[field], text)
    if not tokens or boost <= 0:
        return None
    kind = "match" if len(tokens) == 1 else "match_phrase"
    return {kind: {field: {"query": " ".join(tokens), "boost": boost}}}


def compile_filters(filters: Filters, *, company_ids, today: dt.date) -> list[dict]:
    """Filters -> exact filter-context clauses (the same semantics as ``ProfileStore.mask``)."""
    out: list[dict] = [{"terms": {"tenant": [NETWORK] + ([filters.tenant_id] if filters.tenant_id else [])}}]
    if filters.near is not None:
        g = filters.near
        out.append({"geo_distance": {"distance": f"{g.radius_km}km", "geo": {"lat": g.lat, "lon": g.lon}}})
    if filters.min_years is not None or filters.max_years is not None:
        rng = {}
        if filters.min_years is not None:
            rng["gte"] = filters.min_years
        if filters.max_years is not None:
            rng["lte"] = filters.max_years
        out.append({"range": {"years": rng}})
    if filters.seniority:
        out.append({"terms": {"level": [SENIORITY_LEVELS.index(s) for s in filters.seniority]}})
    if filters.current_company:
        ids = company_ids(filters.current_company)
        out.append({"terms": {"current_company": ids}} if ids else MATCH_NONE)
    if filters.not_current_company:
        ids = company_ids(filters.not_current_company)
        if ids:
            out.append({"bool": {"must_not": [{"terms": {"current_company": ids}}]}})
    if filters.past_company:
        ids = company_ids(filters.past_company)
        out.append({"terms": {"past_company": ids}} if ids else MATCH_NONE)
    if filters.open_to_work is not None:
        out.append({"term": {"open_to_work": bool(filters.open_to_work)}})
    if filters.active_within_days is not None:
        since = today - dt.timedelta(days=filters.active_within_days)
        out.append({"range": {"last_active": {"gte": since.isoformat(), "format": "yyyy-MM-dd"}}})
    return out


def search_query(lq) -> dict:
    """The whole query of a ``LexicalQuery``: main clause, score-only expansions, filters."""
    main = compile_query(lq.node, keywords=lq.keywords, boosts=lq.boosts) if lq.node is not None else None
    extra = [q for q in (expansion(*e) for e in lq.expansions) if q is not None]
    if main is not None and extra and lq.keywords:
        main = {"bool": {"should": [main, *extra], "minimum_should_match": 1}}
        extra = []
    body: dict = {"must": [main if main is not None else MATCH_ALL],
                  "filter": compile_filters(lq.filters, company_ids=lq.company_ids, today=lq.today)}
    if extra:
        body["should"] = extra
    return {"bool": body}


def highlight_query(lq) -> dict | None:
    """Positive leaves only (no expansions, no negations), for the highlighter."""
    if lq.node is None:
        return None
    leaves = [leaf for leaf, negated in qa.iter_leaves(lq.node) if not negated]
    should = [q for q in (_leaf(leaf) for leaf in leaves) if q is not None]
    return {"bool": {"should": should, "minimum_should_match": 1}} if should else None


def sort_clause(scored: bool) -> list:
    return [{"_score": {"order": "desc"}}, {"ord": {"order": "asc"}}] if scored else [{"ord": {"order": "asc"}}]


__all__ = ["index_body", "document", "compile_query", "compile_filters", "search_query", "highlight_query",
           "sort_clause", "expansion"]
