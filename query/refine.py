"""The refinement loop: run a query, read the pool size (and engagement / evaluation feedback),
broaden or narrow toward a target pool size, stop within ``max_steps``; return the trace.

It starts from the planner's strict query (the title, its level, at least one of the top must-haves).
Broaden (too few results, liquidity), the kinds taking turns: related titles from the ``Expander``
(graph or O*NET), fewer skills (the weakest first), a wider radius, fewer years, no seniority clause,
related skills; then no skill clause, and the location last. Narrow (too many results, or poor
engagement on a pool of fine size: precision), each step tried with a count first: one more required
skill, a nice-to-have promoted, the seniority clause restored, related titles removed, the occupation's
top technology skill, a smaller radius. Each step re-renders the query through ``query.llm.builder``
(so it parses) and the guard never sees anything new: actions only reuse the requirements' own values
and taxonomy or graph neighbours.

``pool_size(strategy) -> int`` is supplied by the caller (the API wires ``SearchEngine``: the
number of profiles the Boolean query and filters match, counted up to a cap).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from typing import Callable

from query.intake.requirements import HiringRequirements
from query.llm import builder
from query.llm.base import QueryStrategy
from query.llm.offline import STRICT_MIN_MATCH, STRICT_TOP_SKILLS, strict_min_match, top_skills
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
    skills: list[str]                  # the skills the query asks about, strongest first
    skills_min: int                    # how many of them a profile needs (0: no skill clause)
    nice: list[str]
    radius_scale: float = 1.0
    dropped_location: bool = False
    min_years: float | None = None
    max_years: float | None = None
    dropped_seniority: list[str] = field(default_factory=list)
    added_titles: list[str] = field(default_factory=list)
    dropped_skills: list[str] = field(default_factory=list)
    used: set = field(default_factory=set)
    rotation: int = 0

    def shape(self) -> builder.Shape:
        skills = tuple(self.skills) if self.skills_min > 0 else ()
        return builder.Shape(tuple(self.titles), tuple(self.seniority), skills, (), self.req.exclude_companies,
                             skills_min=self.skills_min if skills else None)

    def strategy(self, taxonomy: Taxonomy, reason: str) -> QueryStrategy:
        node = builder.build(self.shape(), taxonomy)
        if node is None:
            raise QueryError("refine: the requirements have no title and no skill to search for")
        req = replace(self.req, min_years=self.min_years, max_years=self.max_years,
                      locations=() if self.dropped_location else self.req.locations)
        return QueryStrategy("refined", builder.render(node), req.filters_dict(radius_scale=self.radius_scale), reason)


class Refiner:
    """Moves the strict query toward the target pool: broadening lowers how many of the top skills are needed
    and drops the weakest ones first, then the seniority clause, adds related titles (graph or O*NET), widens
    the radius and relaxes the years; narrowing does the reverse. Every step says what it changed and why."""

    def __init__(self, taxonomy: Taxonomy | None = None, expander=None, config: RefineConfig = RefineConfig()):
        self.taxonomy = taxonomy or Taxonomy.load()
        self.expander = expander
        self.config = config.validate()

    def start(self, req: HiringRequirements) -> _State:
        """The planner's strict query as a state: title, seniority, at least m of the top k must-haves."""
        top = list(top_skills(req, STRICT_TOP_SKILLS, self.taxonomy))
        return _State(req, list(req.titles), list(req.seniority), top, strict_min_match(len(top)),
                      [s for s in (*req.must_have, *req.nice_to_have) if s not in top],
                      min_years=req.min_years, max_years=req.max_years)

    def refine(self, req: HiringRequirements, pool_size: Callable[[QueryStrategy], int], *,
               feedback: Feedback | None = None) -> RefineResult:
        cfg = self.config
        st = self.start(req)
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
            action = (self._broaden(st, count, pool_size) if direction == "broaden" else
                      self._narrow_probed(st, count, pool_size))
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
        must = tuple(st.skills) if st.skills_min else ()
        final_req = replace(req, titles=tuple(st.titles), seniority=tuple(st.seniority), must_have=must,
                            nice_to_have=tuple(st.nice), min_years=st.min_years, max_years=st.max_years)
        return RefineResult(strategy, count, status, tuple(trace), final_req)

    # ------------------------------------------------------------------------------ actions
    def _broaden(self, st: _State, count: int, pool_size) -> tuple[str, str] | None:
        """One broadening step: the kinds take turns so no single one eats the steps: related titles, fewer
        skills (the weakest first), a wider radius, fewer years, no seniority clause, related skills; dropping
        the skill clause, then the location, comes last. The location is a requirement of the posting: it
        widens step by step and goes only when nothing else is left. (Tried and measured: probing every
        step and taking the first that grows the pool, or dropping the location as soon as no radius up to
        400 km would fill it, fills more pools on the real postings but loses relevance on the judged
        synthetic queries, where the location is part of what makes a candidate relevant.)"""
        actions = (self._related_titles, self._fewer_skills, self._widen_radius, self._relax_experience,
                   self._drop_seniority, self._related_skills)
        for i in range(len(actions)):
            k = (st.rotation + i) % len(actions)
            out = actions[k](st)
            if out is not None:
                st.rotation = k + 1
                return out
        return self._drop_skills(st) or self._drop_location(st)

    @staticmethod
    def _adopt(st: _State, trial: _State, out: tuple[str, str]) -> tuple[str, str]:
        st.__dict__.update(trial.__dict__)
        return out

    def _probe(self, st: _State, pool_size) -> int:
        try:
            return pool_size(st.strategy(self.taxonomy, "probe"))
        except QueryError:
            return 0

    @staticmethod
    def _fewer_skills(st: _State):
        """Drop the weakest of the skills asked about; with two or fewer left, ask for one fewer."""
        if st.skills_min <= 1 or not st.skills:
            return None
        if len(st.skills) > st.skills_min + 1:
            weakest = st.skills.pop()
            st.dropped_skills.insert(0, weakest)
            return "drop-weakest-skill", f"'{weakest}' (the weakest of the top skills) no longer counts"
        st.skills_min -= 1
        return "fewer-skills", f"at least {st.skills_min} of {st.skills} instead of {st.skills_min + 1}"

    def _related_titles(self, st: _State):
        rounds = sum(1 for u in st.used if u.startswith("titles"))
        if self.expander is None or rounds >= 1 or not (st.req.occupation_code or st.titles):
            return None
        st.used.add(f"titles{rounds}")
        have = {t.casefold() for t in st.titles}
        new = [e.value for e in self.expander.related_titles(st.req.occupation_code or st.titles[0], k=12)
               if e.value.casefold() not in have][: self.config.related_titles_per_step]
        if not new:
            return None
        st.titles += new
        st.added_titles += new
        return "related-titles", f"added related titles {new}"

    def _widen_radius(self, st: _State, factor: float = 2.0):
        if not st.req.locations or st.dropped_location:
            return None
        radius = st.req.locations[0].radius_km * st.radius_scale
        new = min(radius * factor, self.config.radius_max_km)
        if new <= radius * 1.01:
            return None
        st.radius_scale *= new / radius
        return "widen-radius", f"radius {radius:g} -> {new:g} km"

    def _drop_location(self, st: _State):
        if not st.req.locations or st.dropped_location:
            return None
        st.dropped_location = True
        return "drop-location", f"radius already {st.req.locations[0].radius_km * st.radius_scale:g} km: location filter dropped"

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
        if self.expander is None or "skills" in st.used or not st.skills or st.skills_min != 1:
            return None
        st.used.add("skills")
        base = st.skills[0]
        have = set(st.skills)
        new = [e.value for e in self.expander.related_skills(base, k=5) if e.value not in have][:3]
        if not new:
            return None
        st.skills += new
        return "related-skills", f"accept related skills {new} of '{base}'"

    @staticmethod
    def _drop_skills(st: _State):
        if st.skills_min == 0 or not st.skills or not st.titles:
            return None
        st.skills_min = 0
        return "drop-skills", f"no skill required any more (was any of {st.skills}): the title alone"

    def _narrow_probed(self, st: _State, count: int, pool_size) -> tuple[str, str] | None:
        """One narrowing step, chosen by trying them in order: the first that lands in range; else the one that
        shrinks the pool most while keeping at least the target minimum (so narrowing never empties a pool)."""
        cfg = self.config
        options: list[tuple[int, _State, tuple[str, str]]] = []
        trial = copy.deepcopy(st)
        for _ in range(8):                       # successive narrowing actions, each tried on the state so far
            out = self._narrow(trial)
            if out is None:
                break
            n = self._probe(trial, pool_size)
            if cfg.target_min <= n <= cfg.target_max:
                return self._adopt(st, trial, out)
            if n >= cfg.target_min:
                options.append((n, copy.deepcopy(trial), out))
            else:
                trial = copy.deepcopy(options[-1][1]) if options else copy.deepcopy(st)
                trial.used.add(f"skip:{out[0]}")
        if not options:
            return None
        n, best, out = min(options, key=lambda o: o[0])
        return self._adopt(st, best, out)

    def _narrow(self, st: _State) -> tuple[str, str] | None:
        """The next narrowing in order (skipping those marked ``skip:<name>`` in ``st.used``)."""
        for name, action in (("require-skill", self._n_require_skill), ("more-skills", self._n_more_skills),
                             ("promote-skill", self._n_promote_skill), ("restore-seniority", self._n_restore_seniority),
                             ("drop-related-titles", self._n_drop_related_titles),
                             ("occupation-skill", self._n_occupation_skill), ("shrink-radius", self._n_shrink_radius)):
            if f"skip:{name}" in st.used:
                continue
            detail = action(st)
            if detail is not None:
                return name, detail
        return None

    @staticmethod
    def _n_require_skill(st: _State):
        if st.skills and st.skills_min == 0:
            st.skills_min = 1
            return f"at least one of {st.skills} is required again"
        return None

    @staticmethod
    def _n_more_skills(st: _State):
        if st.skills and 0 < st.skills_min < min(len(st.skills), STRICT_MIN_MATCH + 2):
            st.skills_min += 1
            return f"at least {st.skills_min} of {st.skills}"
        return None

    @staticmethod
    def _n_promote_skill(st: _State):
        if not st.nice:
            return None
        skill = st.nice.pop(0)
        st.skills.append(skill)
        st.skills_min = min(max(st.skills_min, 1) + (1 if st.skills_min >= 1 else 0), len(st.skills))
        return f"'{skill}' is now asked for too (at least {st.skills_min} of {st.skills})"

    @staticmethod
    def _n_restore_seniority(st: _State):
        if not st.dropped_seniority:
            return None
        st.seniority, st.dropped_seniority = st.dropped_seniority, []
        return f"seniority clause {st.seniority} restored"

    @staticmethod
    def _n_drop_related_titles(st: _State):
        if not st.added_titles:
            return None
        for t in st.added_titles:
            st.titles.remove(t)
        removed, st.added_titles = st.added_titles, []
        return f"related titles {removed} removed"

    def _n_occupation_skill(self, st: _State):
        if not st.req.occupation_code or "occupation-skill" in st.used:
            return None
        st.used.add("occupation-skill")
        have = set(st.skills)
        top = [s for s, hot in sorted(self.taxonomy.skills_for(st.req.occupation_code), key=lambda x: not x[1])
               if s not in have][:1]
        if not top:
            return None
        st.skills += top
        st.skills_min = len(st.skills) if st.skills_min else 1
        return f"required '{top[0]}', a top skill of {st.req.occupation_title}"

    def _n_shrink_radius(self, st: _State):
        if not st.req.locations or st.dropped_location:
            return None
        radius = st.req.locations[0].radius_km * st.radius_scale
        if radius / 2 < self.config.radius_min_km:
            return None
        st.radius_scale /= 2
        return f"radius {radius:g} -> {radius / 2:g} km"


def _low_quality(feedback: Feedback | None, threshold: float) -> str | None:
    if feedback is None:
        return None
    for name, value in (("engagement", feedback.engagement_rate), ("relevant share", feedback.relevant_share)):
        if value is not None and value < threshold:
            return f"{name} {value:.2f} < {threshold:.2f}: narrow for precision"
    return None


__all__ = ["Refiner", "RefineConfig", "RefineResult", "RefineStep", "Feedback"]
