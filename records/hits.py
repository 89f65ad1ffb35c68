"""Hits passed between retrieval, fusion and the response."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Hit:
    """One retriever's hit; ``ord`` addresses the stored profile version."""
    ord: int
    score: float


@dataclass(frozen=True)
class RetrieverResult:
    """A retriever's ranked hits plus how many documents matched in all (-1 when unknown)."""
    hits: list[Hit]
    total: int = -1
    seconds: float = 0.0


@dataclass(frozen=True)
class FusedHit:
    candidate_id: str
    ord: int
    score: float
    rank: int                                # 1-based, after fusion
    ranks: dict[str, int] = field(default_factory=dict)      # retriever -> 1-based rank
    scores: dict[str, float] = field(default_factory=dict)   # retriever -> raw score
    matched_fields: tuple[str, ...] = ()
    profile: dict | None = field(default=None, compare=False, repr=False)
