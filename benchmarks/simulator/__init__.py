"""Closed-loop learning-to-rank simulator (see README.md)."""
