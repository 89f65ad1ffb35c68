"""Verdicts, evidence and the overall score of a candidate against a list of qualifications."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

VERDICTS = ("meets", "partly", "no_evidence", "contradicts")
VALUE = {"meets": 1.0, "partly": 0.5, "no_evidence": 0.0, "contradicts": 0.0}
STATUSES = ("ok", "not_found")


@dataclass(frozen=True)
class Evidence:
    """One span of the profile a verdict rests on. ``text == value_of(profile, field)[start:end]`` always."""
    field: str                       # "summary", "headline", "skills[2]", "positions[1].description", "location.city", ...
    text: str                        # the exact span, verbatim
    start: int                       # character offsets into that field's text
    end: int
    entry: int | None = None         # the position or education index the field belongs to
    dates: tuple[str | None, str | None] | None = None   # (start, end) ISO dates or years of that entry; end None = current
    note: str = ""                   # what the span shows ("3.2 years", "12 km away", "related skill")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["dates"] = list(self.dates) if self.dates is not None else None
        return d


@dataclass(frozen=True)
class Judgement:
    qualification_id: str
    verdict: str                     # one of VERDICTS
    confidence: float                # 0..1
    evidence: tuple[Evidence, ...] = ()
    reason: str = ""

    def to_dict(self) -> dict:
        return {"qualification_id": self.qualification_id, "verdict": self.verdict,
                "confidence": round(self.confidence, 3), "reason": self.reason,
                "evidence": [e.to_dict() for e in self.evidence]}


@dataclass(frozen=True)
class CandidateEvaluation:
    candidate_id: str
    status: str                      # "ok" | "not_found"
    judgements: tuple[Judgement, ...] = ()
    score: float | None = None       # weighted mean of verdict values, 0..1
    must_met: int = 0                # must-haves with verdict meets
    must_total: int = 0
    rank: int | None = None

    @property
    def all_musts(self) -> bool:
        return self.status == "ok" and self.must_met == self.must_total

    def to_dict(self) -> dict:
        return {"candidate_id": self.candidate_id, "status": self.status, "rank": self.rank,
                "score": None if self.score is None else round(self.score, 4), "must_met": self.must_met,
                "must_total": self.must_total, "all_musts": self.all_musts,
                "judgements": [j.to_dict() for j in self.judgements]}


@dataclass(frozen=True)
class Evaluation:
    """One evaluation run: the qualifications, every candidate's judgements, ordered (must-haves first)."""
    evaluation_id: str
    tenant_id: str | None
    created: str
    evaluator: str                   # "offline/1" or "llm:<model>:<prompt version>"
    qualifications: tuple = ()       # Qualification
    candidates: tuple[CandidateEvaluation, ...] = ()
    findings: tuple = ()             # GuardFinding: qualifications the guard stripped
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict:
        return {"evaluation_id": self.evaluation_id, "tenant_id": self.tenant_id, "created": self.created,
                "evaluator": self.evaluator, "qualifications": [q.to_dict() for q in self.qualifications],
                "candidates": [c.to_dict() for c in self.candidates],
                "guard": [f.to_dict() for f in self.findings], "notes": list(self.notes)}


def summarize(candidate_id: str, judgements, qualifications) -> CandidateEvaluation:
    """Score = sum(weight * value(verdict)) / sum(weight); must-haves met counted apart."""
    by_id = {q.id: q for q in qualifications}
    total = sum(by_id[j.qualification_id].weight for j in judgements) or 1.0
    score = sum(by_id[j.qualification_id].weight * VALUE[j.verdict] for j in judgements) / total
    musts = [j for j in judgements if by_id[j.qualification_id].must]
    return CandidateEvaluation(candidate_id, "ok", tuple(judgements), score,
                               sum(j.verdict == "meets" for j in musts), len(musts))


def order(evaluations) -> list[CandidateEvaluation]:
    """Must-haves first: every must met, then more musts met, then score; not_found last in input order."""
    ok = [e for e in evaluations if e.status == "ok"]
    ranked = sorted(ok, key=lambda e: (not e.all_musts, -e.must_met, -(e.score or 0.0)))
    out = [CandidateEvaluation(e.candidate_id, e.status, e.judgements, e.score, e.must_met, e.must_total, i)
           for i, e in enumerate(ranked, start=1)]
    return out + [e for e in evaluations if e.status != "ok"]


__all__ = ["STATUSES", "VERDICTS", "CandidateEvaluation", "Evaluation", "Evidence", "Judgement", "order", "summarize"]
