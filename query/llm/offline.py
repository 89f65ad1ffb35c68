"""The offline planner: taxonomy + graph neighbours + the skill extractor. It is NOT an LLM.

Deterministic rules turn ``HiringRequirements`` into the standard strategies:

* **strict**: every title, the seniority, every must-have skill, the exclusions, the location
  and experience as filters: what an expert sourcer types first;
* **broad**: the titles plus related titles from the ``Expander`` (O*NET alternates and related
  occupations, or graph transitions), any one of the skills, no seniority clause, twice the
  radius, experience relaxed by two years;
* **semantic**: keywords for the dense retriever (title, level, skills, competencies);
* **history**: the tenant's past queries that led to engagement (``PlanContext.history``).

Responses name the provider ``offline-planner`` so nobody mistakes them for model output.
"""
from __future__ import annotations

from dataclasses import replace

from query.intake.requirements import HiringRequirements
from query.llm import builder
from query.llm.base import OFFLINE_PROVIDER, PlanAnswer, PlanContext, QueryStrategy
from records.taxonomy import Taxonomy

VERSION = "offline-planner/2"
STRICT_TOP_SKILLS = 4      # the strict query looks at the first four must-haves (those the occupation lists first)
STRICT_MIN_MATCH = 1       # ... and asks for at least one of them (refinement narrows to more when the pool is large)
BROAD_TITLES = 4
BROAD_RADIUS = 2.0
RELAX_YEARS = 2.0


class OfflinePlanner:
    name = OFFLINE_PROVIDER

    def __init__(self, taxonomy: Taxonomy | None = None):
        self.taxonomy = taxonomy or Taxonomy.load()

    def plan(self, req: HiringRequirements, context: PlanContext = PlanContext()) -> PlanAnswer:
        out: list[QueryStrategy] = []
        strict = self.strict(req)
        if strict is not None:
            out.append(strict)
        broad = self.broad(req, context)
        if broad is not None and (strict is None or broad.query != strict.query or broad.filters != strict.filters):
            out.append(broad)
        semantic = self.semantic(req)
        if semantic is not None:
            out.append(semantic)
        out.extend(context.history)
        return PlanAnswer(tuple(out), OFFLINE_PROVIDER, None, None, 1, (f"rules {VERSION}",))

    def strict(self, req: HiringRequirements) -> QueryStrategy | None:
        top = top_skills(req, STRICT_TOP_SKILLS, self.taxonomy)
        need = strict_min_match(len(top))
        node = builder.build(builder.Shape(req.titles, req.seniority, top, (), req.exclude_companies, skills_min=need),
                             self.taxonomy)
        if node is None:
            return None
        skills = ("no must-have skill" if not top else f"all of {len(top)} must-have skill(s)" if need == len(top)
                  else f"at least {need} of the top {len(top)} must-have skills (of {len(req.must_have)})")
        bits = [f"{len(req.titles)} title(s)" if req.titles else "no title", skills]
        if req.seniority:
            bits.append("seniority in the title")
        return QueryStrategy("strict", builder.render(node), req.filters_dict(),
                             "Expert-style Boolean: " + ", ".join(bits) + "; location and experience as filters.")

    def broad(self, req: HiringRequirements, context: PlanContext) -> QueryStrategy | None:
        related = [e.value for e in context.related_titles if getattr(e, "kind", "title") == "title"][:BROAD_TITLES]
        titles = tuple(dict.fromkeys([*req.titles, *related]))
        skills = tuple(dict.fromkeys([*req.must_have, *req.nice_to_have]))
        node = builder.build(builder.Shape(titles, (), (), skills, req.exclude_companies), self.taxonomy)
        if node is None:
            return None
        relaxed = replace(req, min_years=max(0.0, req.min_years - RELAX_YEARS) if req.min_years else None)
        filters = relaxed.filters_dict(radius_scale=BROAD_RADIUS)
        why = [f"+{len(titles) - len(req.titles)} related title(s)" if len(titles) > len(req.titles) else "same titles",
               "any one skill" if skills else "no skill clause", "no seniority clause"]
        if req.locations:
            why.append(f"radius x{BROAD_RADIUS:g}")
        if req.min_years:
            why.append(f"experience relaxed by {RELAX_YEARS:g} years")
        return QueryStrategy("broad", builder.render(node), filters, "Broadened for pool size: " + ", ".join(why) + ".")

    def semantic(self, req: HiringRequirements) -> QueryStrategy | None:
        words = [*req.seniority, *(builder.strip_level(t) for t in req.titles[:2]), *req.must_have, *req.nice_to_have,
                 *req.competencies]
        text = builder.keywords_text(words)
        if not text:
            return None
        return QueryStrategy("semantic", text, req.filters_dict(),
                             "Natural-language text for the dense retriever: title, level and skills, soft match.",
                             syntax="keywords", mode="dense")


_KIND_ORDER = {"technology": 1, "knowledge": 2, "language": 3, "phrase": 4, "credential": 5}
# kinds a profile lists as skills; a posting's phrase (as written, often no profile's words) or a licence (rarely
# on a profile) is an extra alternative of the strict skill clause, never the whole of it
_PROFILE_KINDS = frozenset({"technology", "knowledge", "language"})


def top_skills(req: HiringRequirements, k: int, taxonomy: Taxonomy | None = None) -> tuple[str, ...]:
    """The ``k`` must-haves a strict query asks about, the likeliest to be written on a matching profile first:
    the skills the occupation itself lists (O*NET), then other tools, domain knowledge, languages, skills as
    the posting wrote them, and licences last (profiles list licences far less often than skills); in the
    posting's order within each group. Empty when none of them is a tool, domain knowledge or language: a
    strict query made of licences and phrases alone asks for what profiles seldom write."""
    kinds = dict(req.skill_kinds)
    listed: set[str] = set()
    if taxonomy is not None and req.occupation_code in taxonomy.occupations:
        listed = {name for name, _hot in taxonomy.skills_for(req.occupation_code)}

    def rank(p):
        i, name = p
        return (0 if name in listed else _KIND_ORDER.get(kinds.get(name, "technology"), 1), i)

    top = tuple(s for _, s in sorted(enumerate(req.must_have), key=rank)[:k])
    if not any(s in listed or kinds.get(s, "technology") in _PROFILE_KINDS for s in top):
        return ()          # licences and the posting's own phrases widen the clause; alone they would be all of it
    return top


def strict_min_match(n: int) -> int:
    """How many of the top skills a strict query requires: two of three or four, all of one or two."""
    return min(STRICT_MIN_MATCH, n)


__all__ = ["OfflinePlanner", "VERSION", "top_skills", "STRICT_TOP_SKILLS", "STRICT_MIN_MATCH"]
