"""The learning-to-rank loop: features (one FeatureSet for logging and serving), engagement events ->
labels, position propensities, LightGBM training with a promotion gate (``train``), the model registry,
and serving (``serve``: the ``Reranker`` stage the search pipeline calls)."""
