"""Ranking: the search spine (``ranking.search``) and the learning-to-rank loop (``ranking.ltr``)."""
