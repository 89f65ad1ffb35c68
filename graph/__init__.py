"""The economic graph: talent flows from career histories, company metrics, pool insights,
graph features for ranking and related titles/skills for the query layer.

``graph.build`` aggregates profiles into the tables of ``graph.store``; ``graph.metrics`` holds
the company and candidate signals; ``graph.insights``, ``graph.features`` and
``graph.expansion`` read a built graph. Importing this package has no side effects.
"""
