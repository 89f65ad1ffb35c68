"""The search spine: parse -> filter -> lexical + dense retrieval -> fuse -> (re-rank stage) -> hydrate,
with paging, re-ranking a given list, bulk re-ranking jobs and talent-pool insights."""
