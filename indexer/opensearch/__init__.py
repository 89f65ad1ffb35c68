"""The OpenSearch lexical backend: the embedded engine's Boolean language, filters and facets on a cluster.

``opensearch-py`` is imported lazily (extra ``opensearch``); importing this package has no side effects.
"""
from indexer.opensearch.config import OpenSearchConfig

__all__ = ["OpenSearchConfig"]
