"""Relevance harness (judgments, runs, metrics, reports), speed benchmarks and the synthetic corpus generator."""
