"""Intake: a job description (free text) or structured fields -> ``HiringRequirements``.

Titles are normalised to O*NET occupations (``Taxonomy.match_title``, which also knows the ESCO
labels the taxonomy ships), skills to canonical O*NET technology-skill names
(``Taxonomy.normalize_skill`` through ``query.intake.skills.SkillExtractor``), places to coordinates
(``records.geo``). Text intake is rule-based and deliberately literal: it reads what is written
("5+ years", "within 30 km of Lyon", "nice to have: ...", "not from Acme") and records in
``notes`` what it inferred. Every error names the field it concerns.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace

from query.intake.credentials import credential_phrases, special_credentials
from query.intake.experience import read_years
from query.intake.location import PostingLocation, looks_like_location, read_location, state_names, us_states
from query.intake.occupation import OccupationResolver, title_candidates
from query.intake.phrases import cue_phrases, has_cue, list_siblings
from query.intake.posting import Posting, clean_markup, read_posting
from query.intake.lexicon import KNOWLEDGE
from query.intake.skills import COMPETENCY, CREDENTIAL, LANGUAGE, SKILL_KINDS, SkillExtractor
from query.intake.span_skills import learned_skills
from query.intake.spans import SpanTagger
from query.intake.verify import Evidence, OccupationContext, SkillVerifier
from query.lang import ast as qa
from records.errors import BackendUnavailableError, FilterError, NotFoundError, QueryError
from records.geo import resolve_place
from records.schema import SENIORITY_LEVELS
from records.taxonomy import Taxonomy, seniority_hint

DEFAULT_RADIUS_KM = 50.0
DUTY_KINDS = ("technology",)
# a language the competency table reads ("English") is a required language where the sentence says it is spoken
_SPOKEN_LANGUAGES = frozenset({"English", "German"})
_SPOKEN = re.compile(r"\b(?:fluen\w*|proficien\w*|speak\w*|spoken|written|verbal|bilingual|native|command of|"
                     r"read\w* and writ\w*)\b", re.IGNORECASE)
_DICT_SOURCES = frozenset({"dict_technology", "dict_knowledge", "dict_credential", "dict_language"})
# requirement sections that name fewer skills than this (only traits, a degree, years): the duties' domain knowledge
# is what the posting asks for ("Duties: construction estimating, submittals ..."); measured on the judged postings
# used while building (first 120, 121-240): recall +0.01 to +0.06, precision -0.00 to -0.02; at 3, -0.03 on the first 120
THIN_REQUIREMENTS = 2
_MILES = 1.609344
_STATE_WORDS = frozenset(us_states())
_STATE_NAMES = state_names()
_LAW_WORDS = frozenset("attorney lawyer law bar license admission membership".split())
_HOLD = re.compile(r"\b(?:maintain|maintains|maintaining|hold|holds|holding|possess|possesses|keep|keeps|valid|current|"
                   r"required|must have|must hold|must be)\b", re.IGNORECASE)


class IntakeError(QueryError):
    """Requirements that cannot be understood; ``field`` names the offending one (HTTP 422)."""

    def __init__(self, message: str, *, field: str):
        self.field = field
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class Location:
    name: str                    # as resolved, e.g. "Berlin, DE"
    radius_km: float = DEFAULT_RADIUS_KM


@dataclass(frozen=True)
class HiringRequirements:
    titles: tuple[str, ...] = ()                 # job titles as the hiring manager wrote them
    occupation_code: str | None = None           # O*NET-SOC of the first title that matched
    occupation_title: str | None = None
    seniority: tuple[str, ...] = ()              # SENIORITY_LEVELS
    locations: tuple[Location, ...] = ()
    must_have: tuple[str, ...] = ()              # canonical skill names (or the text when unknown)
    nice_to_have: tuple[str, ...] = ()
    competencies: tuple[str, ...] = ()           # soft skills / knowledge areas (semantic text only)
    min_years: float | None = None
    max_years: float | None = None
    exclude_companies: tuple[str, ...] = ()      # never worked there (Boolean NOT company:)
    current_company: tuple[str, ...] = ()
    past_company: tuple[str, ...] = ()
    not_current_company: tuple[str, ...] = ()
    open_to_work: bool | None = None
    notes: tuple[str, ...] = ()                  # what intake inferred or ignored, one line each
    place: PostingLocation | None = None         # the location as written, at its precision (city, state, remote)
    skill_kinds: tuple[tuple[str, str], ...] = ()     # (skill, kind): technology, knowledge, credential, language
    skill_years: tuple[tuple[str, float], ...] = ()   # years asked for with one skill ("5+ years of Spark")
    sections: tuple[str, ...] = ()               # the posting's section kinds, in order, as read

    @property
    def is_empty(self) -> bool:
        return not (self.titles or self.must_have or self.nice_to_have or self.competencies)

    @property
    def posting_location(self) -> PostingLocation | None:
        return self.place

    def to_dict(self) -> dict:
        d = asdict(self)
        d["locations"] = [asdict(loc) for loc in self.locations]
        d["place"] = ({**asdict(self.place), "label": self.place.label} if self.place is not None else None)
        d["skill_kinds"] = dict(self.skill_kinds)
        d["skill_years"] = [{"skill": s, "min_years": y} for s, y in self.skill_years]
        d["sections"] = list(self.sections)
        return d

    def filters_dict(self, *, radius_scale: float = 1.0) -> dict:
        """``Filters.from_dict`` input for the hard constraints (first location, years, companies)."""
        out: dict = {}
        if self.locations:
            loc = self.locations[0]
            out.update(near=loc.name, radius_km=round(loc.radius_km * radius_scale, 1))
        for name in ("min_years", "max_years", "open_to_work"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        for name in ("current_company", "past_company", "not_current_company"):
            if getattr(self, name):
                out[name] = list(getattr(self, name))
        return out


# ------------------------------------------------------------------------------------------ text
_LEAD_IN = re.compile(
    r"(?:looking for|hiring|seeking|searching for|recruiting|we need|in need of|position:|role:|job title:|title:|"
    r"vacancy:|opening for|join us as|join our team as)\s+(?:an?\s+|one\s+|two\s+|several\s+|experienced\s+)?"
    r"(?P<title>[A-Za-z][\w.+#/&'’ -]{1,80}?)(?=\s+(?:with|who|to|in|near|for|at|based|within|that|having|"
    r"and\s+(?:must|should))\b|[,.;:()\n!]|$)", re.IGNORECASE)
_RADIUS = re.compile(r"\b(?:within|up to|max(?:imum)?|radius of)\s+(\d{1,4})\s*(km|kms|kilomet(?:er|re)s?|mi|miles?)\b",
                     re.IGNORECASE)
_PLACE = re.compile(r"\b(?:in|near|around|based in|located in|close to|commutable to)\s+"
                    r"(?P<place>[A-Z][\w'’.-]*(?:[ -][A-Z][\w'’.-]*){0,3}(?:,\s*[A-Z]{2}\b)?)")
# a sentence ends at . ! ? ; before a space, at a bullet, or where a glued item starts ("techniques.· Familiarity",
# "skills.Experience"): one "is a plus" must not make a whole bulleted line preferred
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\s*[•·▪●◦]\s*|(?<=[a-z)][.!?;])(?=[A-Z])")
_NICE = re.compile(r"\b(?:nice[- ]to[- ]have|nice to haves|bonus|a plus|is a plus|are a plus|preferred|ideally|"
                   r"desirable|advantageous|would be great|optional)\b", re.IGNORECASE)
# a sentence of a preferred section that says it is required is a must-have ("FINRA Series 6, 26, and 65 required")
_REQUIRED = re.compile(r"\b(?:required|requirement|mandatory|must (?:have|hold|possess|be))\b", re.IGNORECASE)
# the employer as the subject of hiring ("Apex Systems is looking to hire ...", "Salesforce is hiring"): a name, not
# a skill the job asks for
_EMPLOYER = re.compile(r"^\s*(?:[A-Z][\w&.'’-]*\s+){1,4}(?:is|are)\s+(?:currently\s+)?(?:looking|seeking|hiring|searching|"
                       r"recruiting)\b")
_COMPANY = r"(?P<company>[A-Z][\w&.'’-]*(?:\s[A-Z][\w&.'’-]*){0,3})"
_EXCLUDE = re.compile(r"\b(?:not from|excluding|exclude|except(?: anyone from)?|no one from|nobody from|no candidates from|"
                      r"never worked at|not (?:have )?worked at|who (?:have|has) worked at)\s+" + _COMPANY)
_EXCLUDE_AFTER = re.compile(_COMPANY + r"\s+(?:alumni|employees)\s+(?:are|will)\s+(?:excluded|not be considered)")
_CURRENT = re.compile(r"(?<!not )\b(?:currently (?:at|with|working at|employed at|employed by)|current employer(?: is| must be)?:?)\s+"
                      + _COMPANY)
_NOT_CURRENT = re.compile(r"\b(?:not currently (?:at|with|working at|employed at|employed by))\s+" + _COMPANY)
_PAST = re.compile(r"\b(?:previously (?:at|with|worked at|employed at|employed by)|formerly (?:at|with)|"
                   r"past experience at|former employees? of|used to work at)\s+" + _COMPANY)
_OPEN = re.compile(r"\bopen to (?:work|new opportunities)\b|\bactively looking\b", re.IGNORECASE)
_LEVEL_WORDS = [("intern", r"\bintern(?:ship)?s?\b"), ("junior", r"\b(?:junior|jr\.?|entry[- ]level|graduate role)\b"),
                ("senior", r"\b(?:senior|sr\.?)\s"), ("lead", r"\b(?:lead|principal|staff)\s"),
                ("director", r"\bdirector\b"), ("executive", r"\b(?:chief|vp|vice president)\b")]
_NOT_PLACES = frozenset({"The", "We", "Our", "You", "Your", "This", "Must", "Nice", "Experience", "English", "German",
                         "Python", "Java", "Remote", "Please", "Candidates", "Apache", "Microsoft"})


class Intake:
    """Turns job descriptions or structured fields into normalised ``HiringRequirements``."""

    def __init__(self, taxonomy: Taxonomy | None = None, extractor: SkillExtractor | None = None, *,
                 spans: SpanTagger | bool = True, verifier: SkillVerifier | bool = True):
        """``spans``: the learned span tagger read as a recall source in requirement sections (True: the shipped
        model, when present; False: dictionaries and cue phrases only). ``verifier``: the learned check that keeps
        or demotes each must-have of a posting (True: the shipped weights, when present; False: the rules alone)."""
        self.taxonomy = taxonomy or Taxonomy.load()
        self.extractor = extractor or SkillExtractor(self.taxonomy)
        self._resolver: OccupationResolver | None = None
        self._spans = spans
        self._verifier = verifier
        self.trace: list | None = None     # set to a list, (skill, features) of every must-have read are appended

    @property
    def verifier(self) -> SkillVerifier | None:
        if self._verifier is True:
            self._verifier = SkillVerifier.load() or False
        return self._verifier or None

    @property
    def tagger(self) -> SpanTagger | None:
        if self._spans is True:
            try:
                self._spans = SpanTagger.load()
            except (NotFoundError, BackendUnavailableError):
                self._spans = False            # no model shipped: the dictionaries alone
        return self._spans or None

    @property
    def resolver(self) -> OccupationResolver:
        if self._resolver is None:            # a few seconds to build: only when a posting needs it
            self._resolver = OccupationResolver(self.taxonomy)
        return self._resolver

    # -------------------------------------------------------------------------------- text
    def from_text(self, text: str, *, title: str | None = None, location: str | None = None) -> HiringRequirements:
        """A job posting (title line, location line, description; or one request sentence) -> requirements.
        ``title``/``location``: the posting's own fields when the caller has them (they win over the text)."""
        if not isinstance(text, str) or not text.strip():
            raise IntakeError("the job description is empty", field="text")
        if "<" in text and ">" in text:          # HTML pasted from a board: its block tags are the lines
            notes: list[str] = []
            text = clean_markup(text, notes)
            if notes and title is None:
                return self._with_notes(self._from_posting(read_posting(
                    text, title=title, location=location, is_location=looks_like_location,
                    keep_words=self._product_word)), notes)
        lines = [ln for ln in text.strip().splitlines() if ln.strip()]
        if len(lines) >= 2 or title is not None:
            return self._from_posting(read_posting(text, title=title, location=location,
                                                   is_location=looks_like_location, keep_words=self._product_word))
        return self._from_request(text)

    @staticmethod
    def _with_notes(req: HiringRequirements, notes: list[str]) -> HiringRequirements:
        return replace(req, notes=tuple(notes) + tuple(n for n in req.notes if n not in notes))

    def _from_request(self, text: str) -> HiringRequirements:
        """One sentence or paragraph of requirements ("Senior Data Engineer in Berlin, 5+ years, Spark")."""
        notes: list[str] = []
        titles = self._titles(text)
        seniority = self._seniority(titles, text)
        must, nice, comps, kinds = self._skills(text, "", titles)
        years = read_years(text, terse=True)
        min_y, max_y = years.min_years, years.max_years
        req = HiringRequirements(
            titles=tuple(titles), seniority=tuple(seniority), locations=tuple(self._locations(text, notes)),
            must_have=tuple(must), nice_to_have=tuple(nice), competencies=tuple(comps),
            min_years=min_y, max_years=max_y, skill_kinds=tuple(kinds.items()),
            skill_years=tuple(self._skill_years(years.per_skill)),
            exclude_companies=tuple(_all(_EXCLUDE, text) + _all(_EXCLUDE_AFTER, text)),
            current_company=tuple(_all(_CURRENT, text)), past_company=tuple(_all(_PAST, text)),
            not_current_company=tuple(_all(_NOT_CURRENT, text)),
            open_to_work=True if _OPEN.search(text) else None)
        return self._normalise(req, notes)

    def _from_posting(self, posting: Posting) -> HiringRequirements:
        notes = list(posting.notes)
        must_text, nice_text = posting.requirement_text()
        context = posting.text_of("role", "responsibilities", "requirements", "preferred")
        titles, code, occ_title = self._posting_title(posting, context, notes)
        lv = title_level(posting.title or (titles[0] if titles else ""))
        seniority = [lv] if lv else []
        duties = posting.text_of("responsibilities", "role") if posting.has_requirements else ""
        must, nice, comps, kinds = self._skills(must_text, nice_text, titles, duties, verify=True, occupation=code)
        # in a requirements section bare years ("3+ years with Spark") are experience; elsewhere a cue must say so
        years = read_years(must_text + "\n" + posting.text_of("logistics"), nice_text, terse=posting.has_requirements)
        if years.min_years is None and years.preferred_years is None and duties:
            # "seeking an attorney with at least 3 years of litigation experience" said before the requirements
            years = read_years(duties, prose=True)
        place, locations = self._posting_place(posting, notes)
        skill_years = self._skill_years(years.per_skill)
        # a skill the posting asks years of is required, whatever the skill pass read ("2+ years of accounts payable")
        must = _dedupe(must + [n for n, _y in skill_years])
        held = {x.casefold() for x in must}
        nice = [n for n in nice if n.casefold() not in held]
        read = posting.text_of("title", "role", "responsibilities", "requirements", "preferred")
        req = HiringRequirements(
            titles=tuple(titles), seniority=tuple(seniority), locations=tuple(locations),
            must_have=tuple(must), nice_to_have=tuple(nice), competencies=tuple(comps),
            min_years=years.min_years, max_years=years.max_years,
            exclude_companies=tuple(_all(_EXCLUDE, read) + _all(_EXCLUDE_AFTER, read)),
            current_company=tuple(_all(_CURRENT, read)), past_company=tuple(_all(_PAST, read)),
            not_current_company=tuple(_all(_NOT_CURRENT, read)),
            open_to_work=None, place=place, skill_kinds=tuple(kinds.items()),
            skill_years=tuple(skill_years),
            sections=tuple(s.kind for s in posting.sections))
        if years.preferred_years is not None and years.min_years is None:
            notes.append(f"{years.preferred_years:g} years of experience are preferred, not required")
        req = self._normalise(req, notes)
        if code is not None:      # the resolver read the description too: its choice wins over the title alone
            req = replace(req, occupation_code=code, occupation_title=occ_title,
                          notes=tuple(n for n in req.notes if not n.startswith("no O*NET occupation matches")))
        return req

    def _posting_title(self, posting: Posting, context: str, notes: list[str]):
        if not posting.title:
            titles = self._titles(context[:2000])
            return titles, None, None
        choice = self.resolver.resolve(posting.title, context if posting.english else "")
        cands = title_candidates(posting.title)
        core = cands[0] if cands else posting.title.strip()
        if choice is not None and choice.part:
            core = choice.part                   # "Dental Hygienist" of "Dental Hygienist - choose your shift"
        titles = [_clean_title(core)]
        if choice is None:
            notes.append(f"no occupation matches the title {posting.title!r}")
            return titles, None, None
        how = {"title": "named by the title", "title part": "named by part of the title",
               "title words": "closest title, read with the description",
               "description": "inferred from the description (the title names no occupation)"}[choice.how]
        notes.append(f"title {posting.title!r} -> O*NET {choice.code} {choice.title} ({how}"
                     + (f", via '{choice.alias}'" if choice.alias else "") + ")")
        return titles, choice.code, choice.title

    def _posting_place(self, posting: Posting, notes: list[str]) -> tuple[PostingLocation | None, list[Location]]:
        place = read_location(posting.location_line) if posting.location_line else None
        radius = DEFAULT_RADIUS_KM
        body = posting.text_of("title", "role", "requirements", "logistics")
        r = _RADIUS.search(body)
        if r:
            radius = float(r.group(1)) * (_MILES if r.group(2).lower().startswith("mi") else 1.0)
        if place is None:
            if posting.location_line:
                notes.append(f"location {posting.location_line!r} is not a known place: no location filter")
                return None, []
            # no location line: a place named in the text ("...in Berlin (within 30 km)"), large cities only
            locs = self._locations(body, notes, min_population=50_000)
            return None, locs
        if place.remote and place.city is None:
            notes.append("remote: no location filter")
            return place, []
        if place.near is None:
            notes.append(f"location {place.label} has no known city: no distance filter")
            return place, []
        if not r:
            notes.append(f"no radius given for {place.near}: {DEFAULT_RADIUS_KM:g} km assumed")
        return place, [Location(place.near, round(radius, 1))]

    def _product_word(self, word: str) -> bool:
        """A camel-case word the dictionary reads whole as a product ("ZoomInfo", "MicroStrategy", "PowerShell")."""
        return any(m.text == word and m.kind == "technology" for m in self.extractor.extract(f"experience with {word}."))

    def _is_title(self, text: str) -> bool:
        if len(text.split()) < 2:
            return False
        m = self.taxonomy.match_title(text)
        return m is not None and m.score >= 1.0 and self.taxonomy.normalize_skill(text) != text

    def _skill_years(self, per_skill) -> list[tuple[str, float]]:
        out = []
        for what, years in per_skill:
            names = self.extractor.skills(what, kinds=SKILL_KINDS)
            out += [(n, years) for n in names[:2]]
        return list(dict.fromkeys(out))

    def _titles(self, text: str) -> list[str]:
        titles = []
        for m in _LEAD_IN.finditer(text):
            t = _clean_title(m.group("title"))
            if t and self.taxonomy.match_title(t) is not None:
                titles.append(t)
        lines = text.strip().splitlines()
        first = lines[0].strip(" #*-:") if lines else ""
        first = re.split(r"\s+(?:in|with|for|at|near|who|to|based)\s+|[,.;:(!?]", first)[0].strip()
        if not titles and 0 < len(first.split()) <= 8 and self.taxonomy.match_title(first) is not None:
            titles.append(_clean_title(first))
        if not titles:   # "Mandarin speaking sales manager": the title is the phrase's end, after qualifiers
            words = first.split()
            for i in range(1, len(words) - 1):
                tail = " ".join(words[i:])
                m = self.taxonomy.match_title(tail)
                if m is not None and m.score == 1.0:
                    titles.append(_clean_title(tail))
                    break
        if not titles and 2 <= len(words) <= 4:
            # "Pregnancy nurse", "Age verification analyst": a specialty before a known title word; the
            # phrase as written is the title (the occupation comes from its head)
            m = self.taxonomy.match_title(words[-1])
            if m is not None and m.score == 1.0 and self.taxonomy.normalize_skill(first) is None:
                titles.append(_clean_title(first))
        return list(dict.fromkeys(titles))

    def _seniority(self, titles: list[str], text: str) -> list[str]:
        levels = [lv for lv in (title_level(t) for t in titles) if lv]
        if not levels:
            head = " ".join(titles) or text[:200]
            levels = [lv for lv, rx in _LEVEL_WORDS if re.search(rx, head + " ", re.IGNORECASE)][:1]
        return list(dict.fromkeys(levels))

    def _skills(self, text: str, nice_text: str, titles: list[str], duties_text: str = "", *,
                verify: bool = False, occupation: str | None = None) -> tuple[list[str], list[str], list[str], dict]:
        """(must-have, nice-to-have, competencies, {skill: kind}) from the required and preferred text, and the
        tools named in the duties (a posting that says "you will build dashboards in Tableau" expects Tableau), and the
        duties' domain knowledge when the requirement sections name fewer than ``THIN_REQUIREMENTS`` skills.
        ``verify`` (a posting, with the learned verifier loaded): the duties are read like the requirements (cue
        phrases, learned spans, every domain word) and each must-have is kept or demoted to nice-to-have by
        ``SkillVerifier`` from the evidence the readers saw (``query.intake.verify``)."""
        must: list[str] = []
        nice: list[str] = []
        comps: list[str] = []
        kinds: dict[str, str] = {}
        verifier = self.verifier if verify else None
        wide = verifier is not None or (verify and self.trace is not None)
        evidence: dict[str, Evidence] = {}
        title_words = {w.lower() for t in titles for w in t.split()}
        thin = False
        for block, preferred in ((text, False), (nice_text, True), (duties_text, None)):
            if preferred is None:
                thin = len(_dedupe(must)) < THIN_REQUIREMENTS
            where = "duties" if preferred is None else "preferred" if preferred else "requirements"
            reads = preferred is not None or wide          # cue phrases and learned spans
            nice_mode = bool(preferred)
            for line in re.split(r"\n+", block):
                if re.match(r"\s*(?:must[- ]haves?|requirements?|required|what you bring)\b", line, re.IGNORECASE):
                    nice_mode = preferred
                if re.match(r"\s*(?:nice[- ]to[- ]have|bonus|preferred|plus)\b", line, re.IGNORECASE):
                    nice_mode = True
                for sentence in _clauses(_SENTENCE.split(line)):
                    sentence = _EMPLOYER.sub(" ", sentence)
                    explicit = bool(preferred) and _REQUIRED.search(sentence) and not _NICE.search(sentence)
                    bucket = nice if ((nice_mode and not explicit) or _NICE.search(sentence)) else must

                    def take(name: str, kind: str, source: str, surface: str) -> None:
                        bucket.append(name)
                        kinds.setdefault(name, kind)
                        evidence.setdefault(name.casefold(), Evidence(name)).add(source, where, sentence, surface)

                    if reads:
                        for phrase in self._phrases(sentence, titles):
                            take(phrase, "phrase", "phrase", phrase)          # as written: no dictionary names it
                        for item in self._list_siblings(sentence, titles):
                            take(item, "phrase", "list", item)      # listed beside a known skill, as written
                    if preferred is not None or _HOLD.search(sentence):
                        # a duty to hold or keep a licence is a requirement ("Maintain current ... licensure")
                        for cred in self._credentials(sentence):
                            take(cred, CREDENTIAL, "credential_rule", cred)
                    mentions = self.extractor.extract(sentence)
                    if reads and self.tagger is not None:
                        covered = [m.text for m in mentions] + [m.canonical for m in mentions] + bucket + titles
                        for phrase in learned_skills(self.tagger, sentence, covered=covered, common=self.extractor.common):
                            take(phrase, "phrase", "span", phrase)           # as written: a learned span
                    for m in mentions:
                        if preferred is None and m.kind not in DUTY_KINDS and not (
                                (thin or wide) and m.kind == KNOWLEDGE):
                            continue          # duties name tools the job plainly uses, not every domain word
                        if m.kind == COMPETENCY and m.canonical in _SPOKEN_LANGUAGES and _SPOKEN.search(sentence):
                            take(m.canonical, LANGUAGE, "dict_language", m.text)   # "fluent in written and spoken English"
                        elif m.kind == COMPETENCY:
                            comps.append(m.canonical)
                        elif (m.text.lower() in title_words and m.text.lower() in self.extractor.common) or (
                                " " in m.text and any(_names_job(m.text, t, sentence) for t in titles)) or (
                                m.kind == "technology" and self._is_title(m.text)):
                            continue          # "Data Engineer" is not the skill "Data"; "Restaurant Manager" is a job
                        else:
                            take(m.canonical, m.kind, f"dict_{m.kind}" if f"dict_{m.kind}" in _DICT_SOURCES
                                 else "dict_knowledge", m.text)
        must = _dedupe(must)
        if wide:
            must, nice = self._verified(must, nice, evidence, thin=thin, verifier=verifier,
                                        occupation=OccupationContext.of(self.taxonomy, occupation))
        nice = [s for s in _dedupe(nice) if s.casefold() not in {m.casefold() for m in must}]
        return must, nice, list(dict.fromkeys(comps)), kinds

    def _verified(self, must: list[str], nice: list[str], evidence: dict[str, Evidence], *, thin: bool,
                  verifier: SkillVerifier | None, occupation: OccupationContext) -> tuple[list[str], list[str]]:
        """Must-haves the verifier keeps; the rest join the nice-to-haves, in order. With ``self.trace`` set (the
        verifier's fitting script) every must-have's features are recorded there too."""
        keep, demoted = [], []
        for name in must:
            ev = evidence.get(name.casefold()) or Evidence(name)
            f = ev.features(common=self.extractor.common, thin=thin, candidates=len(must), occupation=occupation)
            if self.trace is not None:
                self.trace.append((name, f))
            (keep if verifier is None or verifier.probability(f) >= verifier.threshold else demoted).append(name)
        return keep, demoted + nice

    def _credentials(self, sentence: str) -> list[str]:
        """Licences and certifications the lexicon lacks ("mechanical license", "Florida bar admission", each
        FINRA exam of "Series 6, 26, and 65"); one the dictionary already reads in this sentence is skipped
        ("RN license", "CDL": the dictionary names it canonically), one it reads only in another wording is kept
        ("Pharmacist licensure" is not the lexicon's "pharmacist license" form)."""
        read = {m.canonical.casefold() for m in self.extractor.extract(sentence)}
        out = []
        for name in special_credentials(sentence, _STATE_NAMES):
            if name.casefold() not in read:
                out.append(name)
        bar = any(n.endswith(" Bar") for n in out)
        for name in credential_phrases(sentence, is_occupation=self._is_occupation, states=_STATE_WORDS):
            if bar and set(name.casefold().split()) <= _LAW_WORDS:
                continue          # "Licensed Florida attorney": the Florida Bar, not a second "attorney license"
            known = [m for m in self.extractor.extract(name) if m.kind == CREDENTIAL or m.text.lower() == name.lower()]
            if any(m.canonical.casefold() in read for m in known):
                continue
            out.append(known[0].canonical if known and known[0].kind == CREDENTIAL else name)
        return list(dict.fromkeys(out))

    def _is_occupation(self, text: str) -> bool:
        m = self.taxonomy.match_title(text)
        return m is not None and m.score >= 1.0 and self.taxonomy.normalize_skill(text) is None

    def _list_siblings(self, sentence: str, titles: list[str]) -> list[str]:
        """Items listed beside a skill the dictionary knows ("lease administration, property maintenance, rent
        collection"), as written; not the job title."""
        if not has_cue(sentence):
            return []            # a bare list in the duties is as often tasks as skills (measured: 3 in 10 right)
        items = list_siblings(sentence, lambda item: bool(self.extractor.extract(item)), common=self.extractor.common)
        return [i[:1].upper() + i[1:] for i in items if not any(i.lower() in t.lower() for t in titles)]

    def _phrases(self, sentence: str, titles: list[str]) -> list[str]:
        """Cue phrases the dictionaries do not cover ("knowledge of personal injury litigation"), as written."""
        out = []
        for phrase in cue_phrases(sentence, common=self.extractor.common):
            if self.extractor.extract(phrase) or any(phrase.lower() in t.lower() for t in titles):
                continue          # the dictionary names it (its canonical name is used), or it is the job title
            out.append(phrase[:1].upper() + phrase[1:])
        return out

    def _locations(self, text: str, notes: list[str], *, min_population: int = 0) -> list[Location]:
        radius = DEFAULT_RADIUS_KM
        r = _RADIUS.search(text)
        if r:
            radius = float(r.group(1)) * (_MILES if r.group(2).lower().startswith("mi") else 1.0)
        for m in _PLACE.finditer(text):
            place = self._place(m.group("place"), min_population)
            if place is not None:
                if not r:
                    notes.append(f"no radius given for {place}: {DEFAULT_RADIUS_KM:g} km assumed")
                return [Location(place, round(radius, 1))]
        return []

    @staticmethod
    def _place(raw: str, min_population: int = 0) -> str | None:
        words = raw.split()
        for n in range(len(words), 0, -1):      # "Berlin Germany Office" -> "Berlin Germany" -> "Berlin"
            cand = " ".join(words[:n]).rstrip(".,")
            if cand.split()[0] in _NOT_PLACES:
                return None
            if Taxonomy.load().normalize_skill(cand) is not None and "," not in cand:
                continue                     # "experience in Spring", "in Python": a skill, not a place
            try:
                p = resolve_place(cand, field="location")
            except FilterError:
                continue
            if p.population < min_population and "," not in cand:
                continue                     # "in Wa" is not Wa, Ghana: small namesakes need their state or country
            return f"{p.name}, {p.country}"
        return None

    # ------------------------------------------------------------------------------- fields
    def from_fields(self, data: dict) -> HiringRequirements:
        """Structured intake. Keys: titles, seniority, locations ([{near, radius_km}]) or near + radius_km,
        must_have, nice_to_have, min_years, max_years, exclude_companies, current_company, past_company,
        not_current_company, open_to_work."""
        if not isinstance(data, dict):
            raise IntakeError(f"expected an object, got {type(data).__name__}", field="requirements")
        unknown = set(data) - _FIELD_KEYS
        if unknown:
            raise IntakeError(f"unknown field(s) {sorted(unknown)}; known: {sorted(_FIELD_KEYS)}", field=sorted(unknown)[0])
        seniority = [s.lower() for s in _strings(data, "seniority")]
        bad = [s for s in seniority if s not in SENIORITY_LEVELS]
        if bad:
            raise IntakeError(f"unknown level(s) {bad}; one of {list(SENIORITY_LEVELS)}", field="seniority")
        locs = data.get("locations") or ([{"near": data["near"], "radius_km": data.get("radius_km")}]
                                         if data.get("near") else [])
        locations = []
        for i, loc in enumerate(locs):
            if not isinstance(loc, dict) or not isinstance(loc.get("near"), str):
                raise IntakeError("each location needs 'near' (a city)", field=f"locations[{i}]")
            try:
                p = resolve_place(loc["near"], field=f"locations[{i}].near")
            except FilterError as exc:
                raise IntakeError(str(exc), field=f"locations[{i}].near") from None
            radius = loc.get("radius_km") or DEFAULT_RADIUS_KM
            if not isinstance(radius, (int, float)) or radius <= 0:
                raise IntakeError(f"radius_km must be a positive number, got {radius!r}", field=f"locations[{i}].radius_km")
            locations.append(Location(f"{p.name}, {p.country}", float(radius)))
        years = {}
        for name in ("min_years", "max_years"):
            v = data.get(name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0):
                raise IntakeError(f"must be a non-negative number, got {v!r}", field=name)
            years[name] = float(v) if v is not None else None
        if years["min_years"] is not None and years["max_years"] is not None and years["min_years"] > years["max_years"]:
            raise IntakeError("min_years is greater than max_years", field="min_years")
        otw = data.get("open_to_work")
        if otw is not None and not isinstance(otw, bool):
            raise IntakeError(f"must be true or false, got {otw!r}", field="open_to_work")
        req = HiringRequirements(
            titles=tuple(_strings(data, "titles")), seniority=tuple(seniority), locations=tuple(locations),
            must_have=tuple(_strings(data, "must_have")), nice_to_have=tuple(_strings(data, "nice_to_have")),
            min_years=years["min_years"], max_years=years["max_years"],
            exclude_companies=tuple(_strings(data, "exclude_companies")),
            current_company=tuple(_strings(data, "current_company")), past_company=tuple(_strings(data, "past_company")),
            not_current_company=tuple(_strings(data, "not_current_company")), open_to_work=otw)
        return self._normalise(req, [])

    def from_query(self, node) -> HiringRequirements:
        """A Boolean query read as requirements: ``title:`` leaves are titles, ``skill:`` and bare
        terms are must-haves (OR-groups as nice-to-haves), negated company leaves are exclusions,
        ``current_company:``/``past_company:`` keep their meaning, ``location:`` is the place."""
        must, nice, titles, data = [], [], [], {}
        for leaf, negated in qa.iter_leaves(node):
            f, text = leaf.field, leaf.text
            if negated:
                if f in ("company", "past_company"):
                    data.setdefault("exclude_companies", []).append(text)
                elif f == "current_company":
                    data.setdefault("not_current_company", []).append(text)
                continue
            if f in ("title", "current_title", "past_title"):
                titles.append(text)
            elif f in ("company", "past_company", "current_company"):
                data.setdefault("past_company" if f == "past_company" else "current_company", []).append(text)
            elif f == "location":
                data.setdefault("near", text)
            elif f in ("skill", None, "summary", "headline"):
                (nice if _under_or(node, leaf) else must).append(text)
        req = self.from_fields({**data, "titles": titles, "must_have": must, "nice_to_have": nice})
        return replace(req, notes=req.notes + ("read as a Boolean query: title: leaves are titles, skill: and bare "
                                               "terms must-haves (alternatives nice-to-haves)",))

    # -------------------------------------------------------------------------- normalise
    def _normalise(self, req: HiringRequirements, notes: list[str]) -> HiringRequirements:
        """Titles -> O*NET occupation; skills -> canonical names; seniority from titles when unset."""
        code = occ_title = None
        for t in req.titles:
            m = self.taxonomy.match_title(t)
            if m is not None:
                code, occ_title = m.code, m.title
                notes.append(f"title '{t}' -> O*NET {m.code} {m.title} (via '{m.alias}', score {m.score:.2f})")
                break
        if req.titles and code is None and len(req.titles[0].split()) > 1:
            m = self.taxonomy.match_title(req.titles[0].split()[-1])     # "Pregnancy nurse": its head word
            if m is not None and m.score == 1.0:
                code, occ_title = m.code, m.title
                notes.append(f"title '{req.titles[0]}' -> O*NET {m.code} {m.title} (via its head word '{m.alias}')")
        if req.titles and code is None:
            notes.append(f"no O*NET occupation matches {list(req.titles)}")

        kinds = dict(req.skill_kinds)

        def canon(skills):
            out = []
            for s in skills:
                if kinds.get(s, "technology") != "technology":
                    out.append(s)          # a licence, domain skill or phrase already has its name
                    continue
                c = self.taxonomy.normalize_skill(s)
                if c is None and s not in out:
                    notes.append(f"skill '{s}' is not in the taxonomy; kept as written")
                if c is not None and c != s and s in kinds:
                    kinds[c] = kinds.pop(s)
                out.append(c or s)
            return tuple(dict.fromkeys(out))

        must = canon(req.must_have)
        nice = tuple(s for s in canon(req.nice_to_have) if s not in must)
        seniority = req.seniority or tuple(lv for lv in {title_level(t) for t in req.titles} if lv)
        return replace(req, occupation_code=code, occupation_title=occ_title, must_have=must, nice_to_have=nice,
                       skill_kinds=tuple(kinds.items()),
                       seniority=seniority, notes=tuple(req.notes) + tuple(notes))


_FIELD_KEYS = {"titles", "seniority", "locations", "near", "radius_km", "must_have", "nice_to_have", "min_years",
               "max_years", "exclude_companies", "current_company", "past_company", "not_current_company",
               "open_to_work"}


def _strings(data: dict, name: str) -> list[str]:
    v = data.get(name)
    if v is None:
        return []
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, (list, tuple)) or not all(isinstance(x, str) and x.strip() for x in v):
        raise IntakeError(f"must be a string or a list of non-empty strings, got {v!r}", field=name)
    return [x.strip() for x in v]


_YEARS_CLAUSE = re.compile(r"\b\d+(?:\.\d+)?\s*\+?\s*(?:or more\s+|plus\s+)?(?:years?|yrs?)\b", re.IGNORECASE)


def _clauses(sentences: list[str]) -> list[str]:
    """Sentences, with a stated requirement split from a preference that follows it: "5 or more years Payroll
    experience, Paychex preferred" -> the payroll clause (required) and "Paychex preferred". Only a clause that
    states years is cut off: in "Experience with Python, Java, and Go preferred" the cue covers the whole list."""
    out: list[str] = []
    for sentence in sentences:
        m = _NICE.search(sentence)
        cut = sentence.rfind(",", 0, m.start()) if m else -1
        if cut > 0 and _YEARS_CLAUSE.search(sentence[:cut]) and not _NICE.search(sentence[:cut]):
            out += [sentence[:cut], sentence[cut + 1:]]
        else:
            out.append(sentence)
    return out


def _all(rx: re.Pattern, text: str) -> list[str]:
    return list(dict.fromkeys(m.group("company").strip(" .,") for m in rx.finditer(text)))


def _names_job(mention: str, title: str, sentence: str) -> bool:
    """A mention inside the title that ends where the title ends names the job ("Restaurant Manager" of "Restaurant
    Manager"), and so does any part of the title in a sentence that names the whole title ("seeking a Senior Human
    Resources Specialist"); elsewhere a part before the title's head noun is the job's domain, a skill the
    requirements ask for ("2+ years of accounts payable" for an Accounts Payable Specialist)."""
    m, t = mention.lower().strip(), re.sub(r"[\s,;:/|()-]+$", "", title.lower().strip())
    return m in t and (t.endswith(m) or t in sentence.lower())


def _dedupe(names: list[str]) -> list[str]:
    seen, out = set(), []
    for n in names:
        if n.casefold() not in seen:
            seen.add(n.casefold())
            out.append(n)
    return out


def normalize_for_match(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.casefold()))


_LEVEL_TITLE = re.compile(r"\b(?:staff|associate)\b", re.IGNORECASE)


def title_level(title: str) -> str | None:
    """The seniority a title names: "Senior Data Engineer" -> senior, "Director, Finance" -> director. Words that
    name a role rather than a level do not count: "Sales Associate", "Associate Attorney", "Staff Accountant"."""
    level = seniority_hint(title)
    if level == "junior" and not re.search(r"\b(?:junior|jr|entry[- ]level|graduate|trainee|apprentice)\b", title, re.I):
        return None
    if level == "lead" and re.search(r"\bstaff\b", title, re.I) and not re.search(
            r"\b(?:lead|principal)\b|\bstaff (?:engineer|software|data|scientist|developer|architect|designer)", title, re.I):
        return None
    return level


def _clean_title(raw: str) -> str:
    words = raw.strip(" -").split()
    while words and words[-1].lower() in ("role", "position", "job", "the", "a", "an"):
        words.pop()
    return " ".join(words)


__all__ = ["HiringRequirements", "Location", "Intake", "IntakeError", "DEFAULT_RADIUS_KM", "title_level"]


def _under_or(node, leaf) -> bool:
    """True when ``leaf`` sits inside an OR group of ``node`` (one alternative of several)."""
    def walk(n, in_or: bool):
        if n is leaf:
            return in_or
        kids = getattr(n, "children", None) or ([n.child] if hasattr(n, "child") else [])
        for k in kids:
            r = walk(k, in_or or isinstance(n, qa.Or))
            if r is not None:
                return r
        return None
    return bool(walk(node, False))
