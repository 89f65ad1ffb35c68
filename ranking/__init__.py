"""Ranking: fusion, the search pipeline, later features, learning to rank and bulk re-ranking."""
