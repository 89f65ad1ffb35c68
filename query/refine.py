"""The refinement loop: run a query, read the pool size (and engagement / evaluation feedback),
broaden or narrow toward a target pool size, stop within ``max_steps``; return the trace.

Broaden (too few results, liquidity): add related titles from the ``Expander`` (graph or O*NET),
relax the last must-have skill into an any-of group, widen the radius, relax the experience
bounds, drop the seniority clause, accept related skills. Narrow (too many results, or poor
engagement on a pool of fine size: precision): promote a nice-to-have skill to must-have,
restore a dropped seniority clause, require the occupation's top technology skill, shrink the
radius. Each step re-renders the query through ``query.llm.builder`` (so it parses) and the
guard never sees anything new: actions only reuse the requirements' own values and taxonomy or
graph neighbours.

``pool_size(strategy) -> int`` is supplied by the caller (the API wires ``SearchEngine``: the
number of profiles the Boolean query and filters match, counted up to a cap).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

from query.intake import HiringRequirements
from query.llm import builder
from query.llm.base import QueryStrategy
from records.errors import QueryError
from records.taxonomy import Taxonomy


@dataclass(frozen=True)
class RefineConfig:
    target_min: int = 50
    target_max: int = 500
    max_steps: int = 6                 # queries run after the first
    min_engagement: float = 0.1        # below this on a pool in range: narrow for precision
    radius_max_km: float = 400.0
    radius_min_km: float = 5.0
    related_titles_per_step: int = 3

    def validate(self) -> "RefineConfig":
        if not 0 <= self.target_min <= self.target_max:
            raise QueryError(f"target: need 0 <= target_min <= target_max, got {self.target_min}..{self.target_max}")
        if not 1 <= self.max_steps <= 20:
            raise QueryError(f"max_steps: must be between 1 and 20, got {self.max_steps}")
        return self


@dataclass(frozen=True)
class Feedback:
    engagement_rate: float | None = None    # e.g. replies / contacted for the first query, 0..1
    relevant_share: float | None = None     # evaluation: judged relevant / judged, 0..1


@dataclass(frozen=True)
class RefineStep:
    step: int
    query: str
    filters: dict
    count: int
    action: str          # "start", "broaden:<how>", "narrow:<how>", "stop"
    reason: str

    def to_dict(self) -> dict:
        return {"step": self.step, "query": self.query, "filters": dict(self.filters), "count": self.count,
                "action": self.action, "reason": self.reason}


@dataclass(frozen=True)
class RefineResult:
    strategy: QueryStrategy                # the final query
    count: int
    status: str                            # "in_range", "max_steps", "no_action"
    trace: tuple[RefineStep, ...]
    requirements: HiringRequirements

    def to_dict(self) -> dict:
        return {"strategy": self.strategy.to_dict(), "count": self.count, "status": self.status,
                "trace": [s.to_dict() for s in self.trace], "requirements": self.requirements.to_dict()}


@dataclass
class _State:
    req: HiringRequirements
    titles: list[str]
    seniority: list[str]
    skills_all: list[str]
    skills_any: list[str]
    nice: list[str]
    radius_scale: float = 1.0
    dropped_location: bool = False
    min_years: float | None = None
    max_years: float | None = None
    dropped_seniority: list[str] = field(default_factory=list)
    added_titles: list[str] = field(default_factory=list)
    used: set = field(default_factory=set)
    rotation: int = 0

    def strategy(self, taxonomy: Taxonomy, reason: str) -> QueryStrategy:
        node = builder.build(builder.Shape(tuple(self.titles), tuple(self.seniority), tuple(self.skills_all),
                                           tuple(self.skills_any), self.req.exclude_companies), taxonomy)
        if node is None:
            raise QueryError("refine: the requirements have no title and no skill to search for")
        req = replace(self.req, min_years=self.min_years, max_years=self.max_years,
                      locations=() if self.dropped_location else self.req.locations)
        return QueryStrategy("refined", builder.render(node), req.filters_dict(radius_scale=self.radius_scale), reason)


class Refiner:
    def __init__(self, taxonomy: Taxonomy | None = None, expander=None, config: RefineConfig = RefineConfig()):
        self.taxonomy = taxonomy or Taxonomy.load()
        self.expander = expander
        self.config = config.validate()

    def refine(self, req: HiringRequirements, pool_size: Callable[[QueryStrategy], int], *,
               feedback: Feedback | None = None) -> RefineResult:
        cfg = self.config
        st = _State(req, list(req.titles), list(req.seniority), list(req.must_have), [], list(req.nice_to_have),
                    min_years=req.min_years, max_years=req.max_years)
        strategy = st.strategy(self.taxonomy, "start: the strict query")
        count = pool_size(strategy)
        trace = [RefineStep(0, strategy.query, strategy.filters, count, "start", "the strict query from the requirements")]
        low_engagement = _low_quality(feedback, cfg.min_engagement)
        status = "max_steps"
        for step in range(1, cfg.max_steps + 1):
            if count < cfg.target_min:
                direction, why = "broaden", f"{count} < target minimum {cfg.target_min}"
            elif count > cfg.target_max:
                direction, why = "narrow", f"{count} > target maximum {cfg.target_max}"
            elif low_engagement and step == 1:
                direction, why = "narrow", low_engagement
            else:
                status = "in_range"
                break
            action = self._broaden(st) if direction == "broaden" else self._narrow(st)
            if action is None:
                status = "no_action"
                trace.append(RefineStep(step, strategy.query, strategy.filters, count, "stop",
                                        f"{why}, but nothing is left to {direction}"))
                break
            name, detail = action
            strategy = st.strategy(self.taxonomy, f"{direction}: {detail}")
            count = pool_size(strategy)
            trace.append(RefineStep(step, strategy.query, strategy.filters, count, f"{direction}:{name}", f"{why}; {detail}"))
        else:
            if cfg.target_min <= count <= cfg.target_max:
                status = "in_range"
        final_req = replace(req, titles=tuple(st.titles), seniority=tuple(st.seniority), must_have=tuple(st.skills_all),
                            nice_to_have=tuple(st.nice), min_years=st.min_years, max_years=st.max_years)
        return RefineResult(strategy, count, status, tuple(trace), final_req)

    # ------------------------------------------------------------------------------ actions
    def _broaden(self, st: _State) -> tuple[str, str] | None:
        """The next applicable broadening, rotating through the kinds so no single one eats the steps."""
        actions = (self._related_titles, self._relax_skill, self._widen_radius, self._relax_experience,
                   self._drop_seniority, self._related_skills)
        for i in range(len(actions)):
            k = (st.rotation + i) % len(actions)
            out = actions[k](st)
            if out is not None:
                st.rotation = k + 1
                return out
        return None

    def _related_titles(self, st: _State):
        if self.expander is None or "titles" in st.used or not (st.req.occupation_code or st.titles):
            return None
        st.used.add("titles")
        have = {t.casefold() for t in st.titles}
        new = [e.value for e in self.expander.related_titles(st.req.occupation_code or st.titles[0], k=10)
               if e.value.casefold() not in have][: self.config.related_titles_per_step]
        if not new:
            return None
        st.titles += new
        st.added_titles += new
        return "related-titles", f"added related titles {new}"

    @staticmethod
    def _relax_skill(st: _State):
        """Required skills become an any-of group, the last ones first; a lone one becomes optional."""
        if not st.skills_all or (len(st.skills_all) == 1 and not st.skills_any and not st.titles):
            return None
        if len(st.skills_all) == 1 and not st.skills_any:
            moved = st.skills_all.pop()
            st.nice.insert(0, moved)
            return "relax-skill", f"'{moved}' is no longer required"
        take = 1 if st.skills_any else 2
        moved, st.skills_all = st.skills_all[-take:], st.skills_all[:-take]
        st.skills_any = moved + st.skills_any
        return "relax-skill", f"{moved} moved from required to any-of {st.skills_any}"

    def _widen_radius(self, st: _State):
        if not st.req.locations or st.dropped_location:
            return None
        radius = st.req.locations[0].radius_km * st.radius_scale
        if radius * 2 <= self.config.radius_max_km:
            st.radius_scale *= 2
            return "widen-radius", f"radius {radius:g} -> {radius * 2:g} km"
        st.dropped_location = True
        return "drop-location", f"radius already {radius:g} km: location filter dropped"

    @staticmethod
    def _relax_experience(st: _State):
        if not st.min_years and st.max_years is None:
            return None
        before = (st.min_years, st.max_years)
        st.min_years = (st.min_years - 2.0) if st.min_years and st.min_years > 2.0 else None
        st.max_years = None
        return "relax-experience", f"years of experience (min, max) {before} -> {(st.min_years, st.max_years)}"

    @staticmethod
    def _drop_seniority(st: _State):
        if not st.seniority:
            return None
        st.dropped_seniority, st.seniority = st.seniority, []
        return "drop-seniority", f"seniority clause {st.dropped_seniority} dropped"

    def _related_skills(self, st: _State):
        if self.expander is None or "skills" in st.used or not (st.skills_all or st.skills_any):
            return None
        st.used.add("skills")
        base = (st.skills_all or st.skills_any)[0]
        have = set(st.skills_all) | set(st.skills_any)
        new = [e.value for e in self.expander.related_skills(base, k=5) if e.value not in have][:3]
        if not new:
            return None
        if st.skills_any:
            st.skills_any += new
        else:
            st.skills_any = [st.skills_all.pop(), *new]
        return "related-skills", f"accept related skills {new} of '{base}'"

    def _narrow(self, st: _State) -> tuple[str, str] | None:
        cfg = self.config
        if st.nice:
            skill = st.nice.pop(0)
            st.skills_all.append(skill)
            return "promote-skill", f"nice-to-have '{skill}' is now required"
        if st.skills_any:
            st.skills_all += st.skills_any[:1]
            rest = st.skills_any[1:]
            st.skills_any = rest if len(rest) != 1 else []
            return "require-skill", f"'{st.skills_all[-1]}' is required again"
        if st.dropped_seniority:
            st.seniority, st.dropped_seniority = st.dropped_seniority, []
            return "restore-seniority", f"seniority clause {st.seniority} restored"
        if st.added_titles:
            for t in st.added_titles:
                st.titles.remove(t)
            removed, st.added_titles = st.added_titles, []
            return "drop-related-titles", f"related titles {removed} removed"
        if st.req.occupation_code and "occupation-skill" not in st.used:
            st.used.add("occupation-skill")
            have = set(st.skills_all)
            top = [s for s, hot in sorted(self.taxonomy.skills_for(st.req.occupation_code), key=lambda x: not x[1])
                   if s not in have][:1]
            if top:
                st.skills_all += top
                return "occupation-skill", f"required '{top[0]}', a top skill of {st.req.occupation_title}"
        if st.req.locations and not st.dropped_location:
            radius = st.req.locations[0].radius_km * st.radius_scale
            if radius / 2 >= cfg.radius_min_km:
                st.radius_scale /= 2
                return "shrink-radius", f"radius {radius:g} -> {radius / 2:g} km"
        return None


def _low_quality(feedback: Feedback | None, threshold: float) -> str | None:
    if feedback is None:
        return None
    for name, value in (("engagement", feedback.engagement_rate), ("relevant share", feedback.relevant_share)):
        if value is not None and value < threshold:
            return f"{name} {value:.2f} < {threshold:.2f}: narrow for precision"
    return None


__all__ = ["Refiner", "RefineConfig", "RefineResult", "RefineStep", "Feedback"]
