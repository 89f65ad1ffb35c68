"""Synthetic candidate corpus with planted truth and a judged query set.

    >>> from benchmarks.synth import generate
    >>> report = generate("data/synth-20k", profiles=20_000, seed=7)

See ``benchmarks/synth/README.md`` for the model and exactly how grades are assigned.
"""
from benchmarks.synth.writer import GENERATOR_VERSION, GenerateReport, generate

__all__ = ["GENERATOR_VERSION", "GenerateReport", "generate"]
