"""Indexing: ingest and validate profiles, lexical and dense indexes, the text encoder."""
