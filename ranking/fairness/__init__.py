"""Bias audit and fairness-aware re-ranking: self-reported attributes kept apart from the index
(``attributes``), the audit arithmetic and report (``audit``), DetGreedy / DetConstSort (``rerank``) and the
pipeline stage (``stage``)."""
