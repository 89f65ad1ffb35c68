"""Query generation: requirements -> guarded, validated strategies from a provider, or the offline planner.

``QueryGenerator.generate`` runs: guard the text -> intake -> guard the requirements -> context
(expander neighbours, tenant priors) -> the configured planner -> re-validate and guard every
strategy (whatever the provider) -> on any provider failure, or when nothing usable is left,
the offline planner. It never raises for a provider's misbehaviour and never returns a query
that does not parse; it raises ``PolicyViolationError`` only when the request has no legitimate
criterion left after the guard, and ``IntakeError`` for input it cannot read.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from query.lang import ast as qa
from query.guard import Guard, GuardFinding, PolicyViolationError, default_guard
from query.intake.requirements import HiringRequirements, Intake, IntakeError
from query.llm.base import (OFFLINE_PROVIDER, PlanAnswer, PlanContext, PlannerOutputError, ProviderUnavailableError,
                            QueryPlanner, QueryStrategy)
from query.llm.offline import OfflinePlanner
from query.lang.parser import parse
from query.policy import fold
from query.intake.posting import strip_boilerplate
from records.errors import QueryError
from records.taxonomy import Taxonomy


POSTING_CHARS = 600     # longer multi-line text is a posting: its prose describes the employer and the work


@dataclass(frozen=True)
class GenerationResult:
    requirements: HiringRequirements
    strategies: tuple[QueryStrategy, ...]
    provider: str                      # "offline-planner" or "openai-compatible"
    is_llm: bool
    model: str | None
    prompt_version: str | None         # None for the offline planner (no prompt)
    fallback_reason: str | None = None # why the configured provider's answer was not used
    guard: tuple[GuardFinding, ...] = ()
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"requirements": self.requirements.to_dict(), "strategies": [s.to_dict() for s in self.strategies],
                "provider": self.provider, "is_llm": self.is_llm, "model": self.model,
                "prompt_version": self.prompt_version, "fallback_reason": self.fallback_reason,
                "guard": [g.to_dict() for g in self.guard], "notes": list(self.notes)}


@dataclass
class QueryGenerator:
    planner: QueryPlanner | None = None          # None: the offline planner only
    expander: object | None = None               # Expander contract (graph or TaxonomyExpander)
    history: object | None = None                # HistoryStore
    taxonomy: Taxonomy = field(default_factory=Taxonomy.load)
    guard: Guard = field(default_factory=default_guard)

    def __post_init__(self):
        self.intake = Intake(self.taxonomy)
        self.offline = OfflinePlanner(self.taxonomy)

    # -------------------------------------------------------------------------------- entry
    def generate(self, *, text: str | None = None, fields: dict | None = None, tenant_id: str | None = None,
                 title: str | None = None, location: str | None = None) -> GenerationResult:
        """``text``: a job posting or request; ``title``/``location``: the posting's own fields when known."""
        findings: list[GuardFinding] = []
        if (text is None) == (fields is None):
            raise IntakeError("give either a job description (text) or structured requirements", field="text")
        if text is not None:
            if not isinstance(text, str) or not text.strip():
                raise IntakeError("the job description is empty", field="text")
            if looks_like_query(text):
                req, findings = self._from_query(text)
                clean = ""
            else:
                # equal-opportunity boilerplate names protected attributes to say they are NOT used: never a criterion
                posting = len(text) > POSTING_CHARS and "\n" in text.strip()
                clean, found = self.guard.text(strip_boilerplate(text), cue_needed=posting)
                findings += found
                if not clean.strip():
                    raise PolicyViolationError("refused: every sentence of the request targets a protected attribute",
                                               _refused(findings))
                req = self.intake.from_text(clean, title=title, location=location)
        else:
            fields, findings = self.guard_fields(fields)
            clean = " ".join(str(v) for k, v in fields.items() if k in ("titles", "must_have", "nice_to_have")
                             if v) if isinstance(fields, dict) else ""
            try:
                req = self.intake.from_fields(fields)
            except IntakeError as exc:
                exc.findings = findings       # what the guard removed before the rest was found unreadable
                raise
        req, found = self.guard_requirements(req, read_from=clean if text is not None else None)
        findings += found
        if req.is_empty:
            if findings and not _has_content(clean):
                raise PolicyViolationError("refused: no legitimate criterion is left once protected attributes are "
                                           "removed", _refused(findings))
            unread = [n for n in req.notes if "does not look like English" in n or "only the first" in n]
            err = IntakeError("found no job title and no skill to search for"
                              + (f" ({'; '.join(unread)})" if unread else ""), field="text" if text else "titles")
            err.findings = findings           # the guard's findings are reported even when the rest is unreadable
            raise err
        return self.plan(req, tenant_id=tenant_id, findings=findings, source_text=text)

    def plan(self, req: HiringRequirements, *, tenant_id: str | None = None,
             findings: list[GuardFinding] | None = None, source_text: str | None = None) -> GenerationResult:
        findings = list(findings or [])
        grounding_notes: list[str] = []
        ctx = self.context(req, tenant_id)
        fallback = None
        answer: PlanAnswer | None = None
        if self.planner is not None and self.planner.name != OFFLINE_PROVIDER:
            try:
                answer = self.planner.plan(req, ctx)
            except (PlannerOutputError, ProviderUnavailableError) as exc:
                fallback = f"{self.planner.name}: {exc}"
        strategies: list[QueryStrategy] = []
        if answer is not None:
            grounded = [self.ground(st, req, ctx, source_text, grounding_notes) for st in answer.strategies]
            strategies, found = self.check([g for g in grounded if g is not None], req)
            findings += found
            if not strategies:
                fallback = f"{answer.provider}: no usable strategy after validation and the guard"
                answer = None
        if answer is None:
            answer = self.offline.plan(req, ctx)
            strategies, found = self.check(answer.strategies, req)
            findings += found
        notes = tuple(req.notes) + tuple(answer.notes) + tuple(grounding_notes)
        return GenerationResult(req, tuple(strategies), answer.provider, answer.provider != OFFLINE_PROVIDER,
                                answer.model, answer.prompt_version, fallback, tuple(findings), notes)

    def _from_query(self, text: str) -> tuple[HiringRequirements, list[GuardFinding]]:
        """A Boolean query given as the request: protected field scopes are removed, any other
        unknown field is a syntax error naming its column, and the query's leaves become the
        requirements (so every path is planned, validated and guarded alike)."""
        cleaned, findings = self.guard.boolean_text(text)
        try:
            node = parse(cleaned) if cleaned.strip() else None
        except QueryError as exc:
            exc.findings = findings       # what the guard removed before the query was rejected
            raise
        if node is not None:
            node, found = self.guard.query(node, where="query")
            findings += found
        if node is None:
            raise PolicyViolationError("refused: the query has no legitimate criterion left once protected attributes "
                                       "are removed", _refused(findings))
        try:
            return self.intake.from_query(node), findings
        except IntakeError as exc:
            exc.findings = findings
            raise

    # -------------------------------------------------------------------------------- parts
    def is_title(self, text: str) -> bool:
        """True when ``text`` is a known occupation title (exempt from the guard as a whole)."""
        m = self.taxonomy.match_title(text)
        return m is not None and m.score >= 1.0

    def guard_fields(self, fields) -> tuple[dict, list[GuardFinding]]:
        """Structured requirements cleaned before intake reads them (so an unreadable place or level
        elsewhere cannot hide what the guard removed)."""
        if not isinstance(fields, dict):
            return fields, []
        out, findings = dict(fields), []
        for name in ("titles", "must_have", "nice_to_have", "exclude_companies", "current_company", "past_company",
                     "not_current_company"):
            v = fields.get(name)
            if isinstance(v, str):
                v = [v]
            if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                continue                      # intake reports the wrong type with the field's name
            if name in ("exclude_companies", "not_current_company"):
                kept, found = self.guard.excluded_companies(v, where=name)
            else:
                kept, found = self.guard.values(v, where=name, kind=_KIND.get(name, "text"))
            if found:
                out[name] = list(kept)
                findings += found
        return out, findings

    def guard_requirements(self, req: HiringRequirements, *, read_from: str | None = None
                           ) -> tuple[HiringRequirements, list[GuardFinding]]:
        """Every requirement checked again (an intake rule or a planner may combine words). A title or
        skill that ``read_from`` (the text the guard already read in context) contains as written is
        not judged again out of context ("all skin tones" is not "skin tones" as a criterion)."""
        findings: list[GuardFinding] = []
        changes = {}
        seen = " ".join((read_from or "").casefold().split())
        for name in ("titles", "must_have", "nice_to_have", "competencies", "exclude_companies", "current_company",
                     "past_company", "not_current_company"):
            if seen and "compan" not in name and all(" ".join(v.casefold().split()) in seen for v in getattr(req, name)):
                continue
            if name in ("exclude_companies", "not_current_company"):
                kept, found = self.guard.excluded_companies(getattr(req, name), where=name)
            else:
                kept, found = self.guard.values(getattr(req, name), where=name, kind=_KIND.get(name, "text"))
            if found:
                changes[name] = kept
                findings += found
        if changes.get("titles") == () and req.titles:
            changes.update(occupation_code=None, occupation_title=None)
        return (dataclasses.replace(req, **changes) if changes else req), findings

    def context(self, req: HiringRequirements, tenant_id: str | None) -> PlanContext:
        titles, skills = (), ()
        if self.expander is not None and (req.occupation_code or req.titles):
            titles = tuple(self.expander.related_titles(req.occupation_code or req.titles[0], k=8))
            if req.must_have:
                skills = tuple(self.expander.related_skills(req.must_have[0], k=6))
        history = ()
        if self.history is not None and tenant_id:
            history = tuple(self.history.priors(tenant_id, req.occupation_code, req.must_have))
        return PlanContext(titles, skills, history, tenant_id)

    def ground(self, strategy: QueryStrategy, req: HiringRequirements, ctx: PlanContext, source_text: str | None,
               notes: list[str]) -> QueryStrategy | None:
        """An LLM's skills are checked as the planner's are: every ``skill:`` leaf must name a skill of the
        requirements, a related skill the context offered, or words the posting itself contains; others are
        removed (and said), so a model cannot add requirements the posting never stated."""
        try:
            node = parse(strategy.query)
        except QueryError:
            return strategy                      # check() drops it with the reason
        allowed = {s.casefold() for s in (*req.must_have, *req.nice_to_have, *req.competencies)}
        allowed |= {a.casefold() for s in (*req.must_have, *req.nice_to_have) for a in self.taxonomy.skill_aliases(s)}
        allowed |= {getattr(e, "value", "").casefold() for e in ctx.related_skills}
        text = " ".join((source_text or "").casefold().split())
        removed: list[str] = []

        def grounded(leaf: qa.Node) -> bool:
            words = " ".join(leaf.text.casefold().split())
            canon = self.taxonomy.normalize_skill(leaf.text)
            return (words in allowed or (canon or "").casefold() in allowed
                    or (bool(text) and re.search(r"(?<!\w)" + re.escape(words) + r"(?!\w)", text) is not None))

        def keep(n: qa.Node) -> bool:
            if n.field == "skill" and not grounded(n):
                removed.append(n.text)
                return False
            return True

        out = qa.prune_leaves(node, keep)
        if removed:
            notes.append(f"{strategy.name}: skill(s) {removed} are not in the posting or its requirements: removed")
        if out is None:
            return None
        return dataclasses.replace(strategy, query=qa.to_query_string(qa.normalize(out)) if removed else strategy.query)

    def check(self, strategies, req: HiringRequirements | None = None) -> tuple[list[QueryStrategy], list[GuardFinding]]:
        """Parse, guard and de-duplicate strategies; what is dropped is reported, never sent on. A leaf
        that repeats a requirement of ``req`` (already guarded in its context) is not judged again."""
        accepted = frozenset(fold(" ".join(v.split())) for name in ("titles", "must_have", "nice_to_have", "competencies")
                             for v in (getattr(req, name) if req is not None else ()))
        out: list[QueryStrategy] = []
        findings: list[GuardFinding] = []
        seen = set()
        for i, s in enumerate(strategies):
            where = f"strategies[{i}:{s.name}].query"
            try:
                node = parse(s.query)
            except QueryError:
                continue
            if s.syntax != "boolean" and not self.guard.scan(s.query):
                found = []     # keyword text read whole: "Disability services" is the job's subject, not a criterion
            else:
                node, found = self.guard.query(node, where=where, accepted=accepted)
            findings += found
            if node is None:
                continue
            query = qa.to_query_string(node) if s.syntax == "boolean" else _keywords(node)
            filters, found = self.guard.filters({k: v for k, v in s.filters.items() if k != "seniority" or v},
                                                where=f"strategies[{i}:{s.name}].filters")
            findings += found
            key = (query, repr(sorted(filters.items())), s.syntax, s.mode)
            if key in seen:
                continue
            seen.add(key)
            out.append(dataclasses.replace(s, query=query, filters=filters))
        return out, findings


_SCOPE = re.compile(r"(?<![\w\"])([^\W\d]\w*):(?:\"|\(|[\w<>=*])")
_OPERATOR = re.compile(r"\b(?:AND|OR|NOT)\b")


def looks_like_query(text: str) -> bool:
    """True for Boolean query text ("title:nurse AND gender:female"), not prose: one short line with a
    field scope that is a profile field or a protected attribute, or any scope or quotes/parentheses
    next to upper-case operators. "Qualifications:Current RN License" in a posting is prose."""
    if len(text) > 2000 or "\n" in text.strip():
        return False
    scopes = [m.group(1) for m in _SCOPE.finditer(text)]
    if re.search(r"\b(?:https?|mailto|ftp):", text):
        return False
    if any(qa.canonical_field(n) is not None or fold(n) in _PROTECTED_FIELDS() for n in scopes):
        return True
    return bool(_OPERATOR.search(text) and (scopes or re.search(r"[\"()]", text)))


_KIND = {"must_have": "skill", "nice_to_have": "skill", "competencies": "skill", "current_company": "company",
         "past_company": "company", "exclude_companies": "company", "not_current_company": "company"}


def _PROTECTED_FIELDS() -> frozenset[str]:
    return frozenset(fold(f) for names in default_guard().policy.fields.values() for f in names)


def _has_content(text: str) -> bool:
    """At least two words of four letters or more: something was asked that intake could not read."""
    return len(re.findall(r"[^\W\d_]{4,}", text or "")) >= 2


def _keywords(node: qa.Node) -> str:
    return " ".join(dict.fromkeys(leaf.text for leaf, negated in qa.iter_leaves(node) if not negated))


def _refused(findings: list[GuardFinding]) -> list[GuardFinding]:
    return [dataclasses.replace(f, action="refused") for f in findings]


__all__ = ["QueryGenerator", "GenerationResult"]
