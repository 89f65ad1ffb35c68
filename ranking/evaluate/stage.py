"""The optional evaluation re-rank stage of a search: the page's hits judged against the request's
qualifications and ordered must-haves first, the engine's order breaking ties.

It orders the ``k`` hits of the page (whose profiles are already hydrated), so the LTR stage's feature
rows and explanations are permuted with them and the served-feature log stays aligned.
"""
from __future__ import annotations

from ranking.evaluate.model import CandidateEvaluation, summarize
from ranking.evaluate.profile import verified


def evaluate_page(evaluator, profiles: list[dict], quals) -> tuple[list[int], list[CandidateEvaluation]]:
    """(new order as indexes into ``profiles``, evaluations in the new order with rank set)."""
    rows = evaluator.evaluate(profiles, quals)
    evals = []
    for p, judgements in zip(profiles, rows):
        checked = [j if all(verified(p, e) for e in j.evidence) else
                   type(j)(j.qualification_id, "no_evidence", 0.0, (), "evidence could not be verified") for j in judgements]
        evals.append(summarize(p["candidate_id"], checked, quals))
    perm = sorted(range(len(evals)), key=lambda i: (not evals[i].all_musts, -evals[i].must_met, -(evals[i].score or 0.0), i))
    out = []
    for n, i in enumerate(perm, start=1):
        e = evals[i]
        out.append(CandidateEvaluation(e.candidate_id, e.status, e.judgements, e.score, e.must_met, e.must_total, n))
    return perm, out


__all__ = ["evaluate_page"]
