"""``evaluate``: the one entry point the API, CLI, MCP server and jobs call.

Candidates are resolved against the live index snapshot with the tenant's visibility: an unknown id
or another tenant's private profile comes back ``not_found`` (never evaluated, never revealed).
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from query.qualifications import guard_qualifications, parse_qualifications
from ranking.evaluate.model import CandidateEvaluation, Evaluation, order, summarize
from ranking.evaluate.profile import verified
from records.errors import QueryError

MAX_CANDIDATES = 1000


@dataclass(frozen=True)
class EvaluateRequest:
    qualifications: tuple                 # Qualification, or dicts (validated here)
    candidate_ids: tuple[str, ...]
    tenant_id: str | None = None
    findings: tuple = ()                  # guard findings from an earlier step (intake)

    def validate(self) -> EvaluateRequest:
        if not self.candidate_ids:
            raise QueryError("candidate_ids: give at least one candidate id")
        if len(self.candidate_ids) > MAX_CANDIDATES:
            raise QueryError(f"candidate_ids: at most {MAX_CANDIDATES} per request, got {len(self.candidate_ids)}")
        bad = [i for i, c in enumerate(self.candidate_ids) if not isinstance(c, str) or not c.strip()]
        if bad:
            raise QueryError(f"candidate_ids[{bad[0]}]: must be a non-empty string")
        return self


def evaluate(engine, evaluator, request: EvaluateRequest, *, store=None) -> Evaluation:
    """Judge every visible candidate on every qualification; ``store`` (an EvaluationStore) keeps the result."""
    req = request.validate()
    quals = parse_qualifications(list(req.qualifications))
    quals, findings = guard_qualifications(quals)
    ids = list(dict.fromkeys(req.candidate_ids))
    snap = engine.reader.snapshot()
    visible = snap.store.visible(req.tenant_id)
    ords = {c: o for c in ids if (o := snap.store.ord_of(c)) is not None and visible[o]}
    known = [c for c in ids if c in ords]
    profiles = snap.store.records([ords[c] for c in known]) if known else []
    notes: list[str] = []                                          # e.g. the LLM fell back to offline for a candidate
    rows = evaluator.evaluate(profiles, quals, notes=notes) if profiles else []
    evaluations = []
    for cid, profile, judgements in zip(known, profiles, rows):
        # no unverified evidence reaches a user: a span that is not the profile's text is dropped here too
        judgements = [_checked(profile, j) for j in judgements]
        evaluations.append(summarize(cid, judgements, quals))
    evaluations += [CandidateEvaluation(c, "not_found") for c in ids if c not in ords]
    result = Evaluation(uuid.uuid4().hex, req.tenant_id, dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                        evaluator.name, quals, tuple(order(evaluations)), (*req.findings, *findings), tuple(notes))
    if store is not None:
        store.save(result)
    return result


def _checked(profile: dict, j):
    ok = tuple(e for e in j.evidence if verified(profile, e))
    if len(ok) == len(j.evidence):
        return j
    if not ok and j.verdict in ("meets", "partly"):
        return type(j)(j.qualification_id, "no_evidence", 0.0, (), "evidence could not be verified in the profile")
    return type(j)(j.qualification_id, j.verdict, j.confidence, ok, j.reason)


__all__ = ["MAX_CANDIDATES", "EvaluateRequest", "evaluate"]
