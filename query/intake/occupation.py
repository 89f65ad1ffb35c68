"""A posting's title -> its O*NET occupation, read with the posting's own text.

Job titles are ambiguous: O*NET lists "Project Engineer" under mining engineers and
construction managers, "Attending Physician" under podiatrists and physicians, and postings
write titles with noise ("Dental Hygienist - choose your shift", "Dental CAD/CAM Designer -
$20-$30/hour", "Manager, Retail Pharmacy", "URGENT!! Influencer Marketing Intern (100% WFH)").
``OccupationResolver.resolve`` cleans the title, collects every occupation that names the title
or a part of it exactly (all of them, not the first one found) plus the taxonomy's best fuzzy
match, and ranks those candidates by how much of the title they cover and by the TF-IDF cosine
between the posting's description and the occupation's own text (title, alternate titles, tasks,
description, technology skills). With no title match at all, the occupation whose text is
closest to the description is taken, and the notes say so.

Scoring (``rank`` returns every candidate with its parts): title cover x doubt + relative text
similarity + priors. An occupation whose own O*NET name says the title gets ``OWN_TITLE_BONUS``
("Administrative Assistant" is Secretaries and Administrative Assistants, not Executive Secretaries and
Executive Administrative Assistants, which also list it). Otherwise the taxonomy's own pick for an exact
title gets ``OFFICIAL_BONUS`` (it breaks ties, but a description that clearly points elsewhere wins:
"Project Engineer" on a construction site is not a mining engineer), unless that pick is a catch-all or
a management occupation for a title that names no manager. Priors that need no description: general occupations over narrow
ones (how many O*NET occupations list it as related, log scale), the broad ``.00`` code over its
specialisations ``.01``-``.09`` (Writers and Authors over Poets, Lyricists and Creative Writers),
named occupations over "All Other" catch-alls, and no management occupation for a title that names
no manager ("Administrative Coordinator"). A title O*NET does not list at all ("Dental CAD/CAM
Designer") is compared with every occupation's names and text by MiniLM (a listed title too, at half weight)
(``query/data/occupation-vectors.npz``, ``scripts/build_occupation_vectors.py``); without the
vectors or the encoder the resolver is lexical only.
"""
from __future__ import annotations

import logging
import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

from query.intake.market_titles import MARKET_TITLES
from records.taxonomy import HOW_HELD, TITLE_KIND_RANK, Taxonomy, normalize_title, strip_seniority, title_variants

log = logging.getLogger(__name__)
VECTORS_PATH = Path(__file__).resolve().parents[1] / "data" / "occupation-vectors.npz"

_NOISE = re.compile(
    r"\$[\d,.]+(?:\s*(?:-|to)\s*\$?[\d,.]+)?(?:\s*/\s*\w+|\s+(?:per|an?)\s+\w+)?|\b\d+%\s*\w*|\burgent(?:ly)?\b!*|!+|"
    r"\b(?:hiring|now hiring|immediate(?:ly)?|needed|wanted|opening|position|opportunity|job|role|full[- ]time|"
    r"part[- ]time|per diem|prn|seasonal|temporary|temp|" + HOW_HELD + r"|hybrid|on[- ]?site|wfh|sign[- ]on bonus|"
    r"bonus|weekly pay|paid weekly|days|nights?|evenings?|overnights?|weekends?|shift|mon(?:day)?\s*-\s*fri(?:day)?|\d{1,2}\s*(?:am|pm)"
    r"(?:\s*-\s*\d{1,2}\s*(?:am|pm))?|choose your \w+|\d{4})\b", re.IGNORECASE)
_SPLIT = re.compile(r"\s+[-–|/_]\s+|\s*[|–]\s*|\s*,\s*|\s*\(|\)\s*|\s+/\s*|/\s+|\s+(?:for|at|with|in|needed)\s+",
                    re.IGNORECASE)
_WORD = re.compile(r"[a-z][a-z0-9+#]+")
_STOP = frozenset("the and of to a in for with you your we our is are be will on as or at this that an by from have has "
                  "all who can work able must team job position role company including such other their they it its "
                  "not any may per new more also well years year experience skills ability".split())
TEXT_WEIGHT = 1.0
TEXT_CANDIDATES = 30
DOUBT = 0.5
OFFICIAL_BONUS = 0.3
HEAD_MISMATCH = 0.5       # a title-words match without the title's head noun counts half
OWN_TITLE_BONUS = 0.3     # the occupation's own name says the title ("Administrative Assistants" of Secretaries and ...)
PRIOR_WEIGHT = 0.4
SPECIAL_PENALTY = 0.2
CATCH_ALL_PENALTY = 0.3
MANAGER_PENALTY = 0.4
SEM_TITLE_WEIGHT = 0.5      # MiniLM cosine of the posting's title with the occupation's names
SEM_TEXT_WEIGHT = 0.5       # ... and with the occupation's own text (description, first tasks)
SEM_CANDIDATES = 10
SEM_LISTED = 0.5            # ... counted half for a title O*NET lists (the list is read first)
# "executive" and "officer" alone name no boss: Account Executive, Loan Officer (Chief Executive Officer has "chief")
_BOSS = re.compile(r"\b(?:manager|mgr|director|head|chief|supervisor|superintendent|foreman|forewoman|president|vp|"
                   r"principal|owner|administrator|lead|leader|ceo|cfo|coo|cto|cio|cmo|dean|"
                   r"controller|treasurer|commissioner|chair|captain|boss|partner)\b", re.IGNORECASE)


@dataclass(frozen=True)
class OccupationChoice:
    code: str
    title: str
    alias: str            # the taxonomy title that named it ("" when inferred from the description)
    score: float
    how: str              # "title", "title part", "title words", "description"
    part: str = ""        # the part of the posting's title that matched ("Dental Hygienist")


def title_candidates(title: str) -> list[str]:
    """The cleaned title and its parts, longest first ("Dental Hygienist - choose your shift" -> "Dental Hygienist")."""
    base = re.sub(r"\s+", " ", _NOISE.sub(" ", re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", title))).strip(" -,:;|_")
    out = [base] if base else []
    parts = [p.strip(" -,:;_") for p in _SPLIT.split(title) if p and p.strip(" -,:;_")]
    cleaned = [re.sub(r"\s+", " ", _NOISE.sub(" ", p)).strip(" -,:;_") for p in parts]
    cleaned = [p for p in cleaned if p and len(p) > 1]
    out += cleaned
    if "," in title and len(cleaned) >= 2:             # "Manager, Retail Pharmacy" -> "Retail Pharmacy Manager"
        out.append(f"{cleaned[1]} {cleaned[0]}")
    if re.search(r"\band\b", base, re.IGNORECASE):      # "Blog writer and virtual assistant" -> each
        out += [p.strip() for p in re.split(r"\band\b", base, flags=re.IGNORECASE) if p.strip()]
    return list(dict.fromkeys(out))


def own_title_parts(title: str) -> frozenset[str]:
    """The names an O*NET title is made of, normalised: "Secretaries and Administrative Assistants, Except Legal,
    Medical, and Executive" -> {"secretary", "administrative assistant", ...}; "Executive Secretaries and
    Executive Administrative Assistants" names only executive ones."""
    if re.search(r"\ball other\b", title, re.IGNORECASE):
        return frozenset()                                   # a catch-all names no title of its own
    head = re.split(r",?\s+except\b", title, flags=re.IGNORECASE)[0]
    # parts are names only when each ends in a plural noun: "Training and Development Managers" and "Laborers and
    # Freight, Stock, and Material Movers, Hand" share their heads
    parts = [re.sub(r"^(?:and|or)\s+", "", p) for p in re.split(r",\s*|\s+and\s+|\s+or\s+", head)]
    if any(not p.endswith("s") for p in parts[:-1]):
        parts = []
    return frozenset(k for k in (normalize_title(p) for p in [head, *parts]) if k)


def occupation_texts(taxonomy: Taxonomy) -> tuple[list[str], list[str], list[str]]:
    """(codes, names, texts) encoded by ``scripts/build_occupation_vectors.py``: an occupation's names are its
    title with its reported and short titles, its text the title, description and first three tasks."""
    codes, names, texts = [], [], []
    for occ in taxonomy.occupations.values():
        codes.append(occ.code)
        names.append(occ.title + ": " + "; ".join(dict.fromkeys(occ.reported_titles[:10] + occ.short_titles[:5])))
        texts.append(occ.title + ". " + occ.description + " " + " ".join(occ.tasks[:3]))
    return codes, names, texts


class OccupationResolver:
    """``encoder``: "auto" (MiniLM through ONNX, loaded at the first posting, when the shipped occupation vectors
    match the taxonomy), an ``Encoder``, or None (lexical only). Without the vectors or the encoder the resolver
    works on the title and the TF-IDF text similarity alone."""

    def __init__(self, taxonomy: Taxonomy, encoder="auto", vectors: Path | None = VECTORS_PATH):
        self.taxonomy = taxonomy
        self._encoder = encoder
        self._vectors = self._load_vectors(vectors) if encoder is not None and vectors is not None else None
        self._exact = self._build_exact()
        self._aliases: dict[str, set[str]] = {}
        for key, entries in self._exact.items():
            for _rank, code, _alias in entries:
                self._aliases.setdefault(code, set()).add(key)
        self._codes, self._matrix, self._vocab, self._idf = self._build_text()
        self._prior = self._build_prior()
        self._index = {c: i for i, c in enumerate(self._codes)}
        self._boss = {c: c.startswith("11-") or bool(re.match(r"(?:First-Line Supervisors|Chief Executives)", o.title))
                      for c, o in self.taxonomy.occupations.items()}
        self._catch_all = {c for c, o in self.taxonomy.occupations.items() if "All Other" in o.title}
        self._own = {c: own_title_parts(o.title) for c, o in self.taxonomy.occupations.items()}
        self._market = {normalize_title(k): tuple(c for c in v if c in self.taxonomy.occupations)
                        for k, v in MARKET_TITLES.items()}

    def _build_prior(self) -> dict[str, float]:
        """How general an occupation is, 0..1: how many occupations O*NET lists it as related to (log scale).
        Software Developers and Office Clerks are related to dozens; Engineers, All Other to none."""
        indeg: Counter = Counter()
        for occ in self.taxonomy.occupations.values():
            for code, _tier, _i in occ.related:
                indeg[code] += 1
        top = math.log1p(max(indeg.values(), default=1))
        return {c: math.log1p(indeg[c]) / top for c in self.taxonomy.occupations}

    def _build_exact(self) -> dict[str, list[tuple[int, str, str]]]:
        exact: dict[str, dict[str, tuple[int, str]]] = {}
        for occ in self.taxonomy.occupations.values():
            named = [(occ.title, "title")] + [(t, "reported") for t in occ.reported_titles]
            named += [(t, "alternate") for t in occ.alternate_titles] + [(t, "short") for t in occ.short_titles]
            named += [(t, "esco") for t in occ.esco_titles]
            for text, kind in named:
                for variant, sub in title_variants(text):
                    key = normalize_title(variant)
                    for k in {key, strip_seniority(key)}:
                        if not k:
                            continue
                        rank = TITLE_KIND_RANK[sub or kind] + (10 if k != key else 0)
                        have = exact.setdefault(k, {})
                        if occ.code not in have or rank < have[occ.code][0]:
                            have[occ.code] = (rank, text)
        return {k: [(r, c, a) for c, (r, a) in v.items()] for k, v in exact.items()}

    def _build_text(self):
        docs, codes = [], []
        for occ in self.taxonomy.occupations.values():
            text = " ".join([occ.title] * 3 + list(occ.alternate_titles[:40]) + list(occ.tasks) + [occ.description]
                            + [s.name for s in occ.skills[:60]])
            docs.append(Counter(_terms(text)))
            codes.append(occ.code)
        df = Counter(t for d in docs for t in d)
        vocab = {t: i for i, t in enumerate(sorted(t for t, c in df.items() if c >= 2))}
        idf = np.zeros(len(vocab))
        for t, i in vocab.items():
            idf[i] = math.log(len(docs) / df[t]) + 1.0
        return codes, _matrix(docs, vocab, idf), vocab, idf

    def similarity(self, text: str) -> np.ndarray:
        """TF-IDF cosine of ``text`` with every occupation (in ``self._codes`` order)."""
        q = _matrix([Counter(_terms(text))], self._vocab, self._idf)
        return np.asarray((self._matrix @ q.T).todense()).ravel()

    def _load_vectors(self, path: Path):
        try:
            data = np.load(path)
            if list(data["codes"]) != list(self.taxonomy.occupations) or str(data["taxonomy"]) != self.taxonomy.source:
                log.warning("%s was built from another taxonomy: rebuild it with scripts/build_occupation_vectors.py", path)
                return None
            return {"names": data["names"].astype(np.float32), "texts": data["texts"].astype(np.float32),
                    "model": str(data["model"])}
        except (OSError, KeyError, ValueError) as exc:
            log.info("no occupation vectors (%s): titles are read lexically only", exc)
            return None

    def _get_encoder(self):
        if self._encoder == "auto":
            try:
                from indexer.encoder import EncoderConfig, MiniLMEncoder
                enc = MiniLMEncoder(EncoderConfig(backend="onnx"))
            except Exception as exc:          # noqa: BLE001 - any failure leaves the lexical resolver working
                log.warning("occupation resolver without MiniLM (%s)", exc)
                enc = None
            if enc is not None and getattr(enc, "fingerprint", None) != self._vectors["model"]:
                log.warning("occupation vectors were built with another model: rebuild them with "
                            "scripts/build_occupation_vectors.py")
                enc = None
            self._encoder = enc
        return self._encoder

    def semantic(self, title: str | None, context: str = ""):
        """MiniLM cosine of the title with every occupation's names and with its text (``self._codes`` order),
        or None without the vectors or the encoder."""
        if self._vectors is None or not title or self._get_encoder() is None:
            return None
        q = np.asarray(self._encoder.encode_query(title), dtype=np.float32)
        return self._vectors["names"] @ q, self._vectors["texts"] @ q

    def resolve(self, title: str | None, context: str = "") -> OccupationChoice | None:
        ranked = self.rank(title, context)
        if not ranked:
            return None
        best = ranked[0]
        cover, alias, how, part = best["cover"], best["alias"], best["how"], best["part"]
        if cover <= 0.0:
            how, part = "description", ""
            if best["sim"] < 0.12:
                return None
        code = best["code"]
        return OccupationChoice(code, self.taxonomy.occupations[code].title, alias, round(best["total"], 4), how, part)

    def rank(self, title: str | None, context: str = "", k: int | None = None) -> list[dict]:
        """Every candidate occupation with its score and the parts of it, best first."""
        sims = self.similarity(f"{title or ''} {title or ''} {context}") if (context or title) else None
        index = self._index
        cands: dict[str, tuple[float, str, str, str]] = {}
        parts = title_candidates(title) if title else []
        part_of: dict[str, str] = {}
        for p in parts:
            for key in (normalize_title(p), strip_seniority(normalize_title(p))):
                if key:
                    part_of.setdefault(key, p)
        keys = list(part_of)
        own: set[str] = set()        # occupations whose own name says the title
        for n, key in enumerate(keys):
            for rank, code, alias in self._exact.get(key, ()):
                cover = 1.0 - 0.02 * min(rank, 12) - (0.1 if n else 0.0)
                if key in self._own.get(code, ()) and (n == 0 or " " in key):    # "Dir" of a title: too vague
                    cover += OWN_TITLE_BONUS
                    own.add(code)
                if code not in cands or cover > cands[code][0]:
                    cands[code] = (cover, alias, "title" if n == 0 else "title part", part_of[key])
        for code, cover, alias, how, part in self._market_titles(keys, part_of):
            own.add(code)                # a common title's usual occupations count as its own name
            if code not in cands or cover > cands[code][0]:
                cands[code] = (cover, alias, how, part)
        # MiniLM reads every title: the ones O*NET does not list ("Dental CAD/CAM Designer", "Inside Customer Service
        # Associate") in full, the ones it lists at half weight, since the list can file a title under a surprising
        # occupation ("Full Stack Engineer" only under Engineers, All Other); measured on the judged postings: tune
        # unchanged, holdout and fresh sets +1 posting of 60 each
        sem = self.semantic(title, context) if title else None
        listed = bool(cands)
        official = self.taxonomy.match_title(title) if title else None
        boss_title = bool(title and _BOSS.search(title))
        if (official is not None and official.code in cands and official.score >= 1.0
                and official.code not in self._catch_all and (boss_title or not self._boss[official.code])
                and (not own or official.code in own)):
            c = cands[official.code]       # the taxonomy's own pick among occupations sharing the title breaks ties
            cands[official.code] = (c[0] + OFFICIAL_BONUS, *c[1:])
        pool = set(cands)
        if sims is not None:
            pool |= {self._codes[i] for i in np.argsort(-sims)[:TEXT_CANDIDATES]}
        if sem is not None:
            for arr in sem:
                pool |= {self._codes[i] for i in np.argsort(-arr)[:SEM_CANDIDATES]}
        for key in keys[:4]:
            fuzzy = self.taxonomy.match_title(key)
            if fuzzy is not None:
                pool.add(fuzzy.code)
        for code in pool - set(cands):
            cover, alias, key = self._overlap(keys, code)
            cands[code] = (cover, alias, "title words", part_of.get(key, parts[0] if parts else ""))
        if not cands:
            return []
        top = float(sims.max()) if sims is not None and sims.size and sims.max() > 0 else 1.0
        out = []
        for code, (cover, alias, how, part) in cands.items():
            i = index[code]
            # priors that need no description: general occupations over narrow ones, named over catch-alls,
            # and a management occupation only for a title that names a manager (and the other way round)
            prior = (PRIOR_WEIGHT * self._prior[code] - (0.0 if code.endswith(".00") else SPECIAL_PENALTY)
                     - (CATCH_ALL_PENALTY if code in self._catch_all else 0.0)
                     - (MANAGER_PENALTY if self._boss[code] and not boss_title else 0.0))
            rel = float(sims[i]) / top if sims is not None else 0.0
            # title cover plus text similarity relative to the best-matching occupation's (0..1); a title
            # named by an occupation whose text is far from the posting's counts for less
            title_part = cover * min(1.0, DOUBT + rel) if sims is not None else cover
            semantic = 0.0
            if sem is not None:
                semantic = SEM_TITLE_WEIGHT * float(sem[0][i]) + SEM_TEXT_WEIGHT * float(sem[1][i])
                if listed:
                    semantic *= SEM_LISTED
            out.append({"code": code, "total": title_part + TEXT_WEIGHT * rel + prior + semantic, "cover": cover,
                        "rel": rel, "prior": prior, "semantic": semantic, "alias": alias, "how": how, "part": part,
                        "sim": float(sims[i]) if sims is not None else 0.0})
        out.sort(key=lambda r: -r["total"])
        return out[:k] if k else out

    def _market_titles(self, keys: list[str], part_of: dict[str, str]) -> list[tuple[str, float, str, str, str]]:
        """(code, cover, alias, how, part) for the occupations ``MARKET_TITLES`` names for the title: the whole title or
        each of its parts ("Social Media Manager and Graphic Designer": both, the description decides), else, unless
        O*NET lists the title or a part whole, a market title of two words or more that ends one ("Enterprise Account
        Executive"), whose words then are the part the query searches ("Founding Front-End Engineer" -> "Front-End
        Engineer"); the first occupation named best, the rest 0.02 less each, a part or an ending 0.1 less."""
        found = [(n, key, key, part_of[key]) for n, key in enumerate(keys) if key in self._market]
        if not found and not any(key in self._exact for key in keys):   # O*NET lists "(Junior) Back Line Cook" whole
            for n, key in enumerate(keys):
                hit = max((m for m in self._market if " " in m and key.endswith(" " + m)), key=len, default=None)
                if hit is not None:
                    words = part_of[key].split()
                    # the ending as written, of two words or more ("RN" of "Registered Nurse RN" reads as one)
                    ending = next((" ".join(words[i:]) for i in range(1, len(words) - 1)
                                   if normalize_title(" ".join(words[i:])) == hit), part_of[key])
                    found = [(n, key, hit, ending)]
                    break
        return [(code, 1.0 + OWN_TITLE_BONUS - 0.02 * i - (0.1 if n or hit != key else 0.0), hit,
                 "title" if n == 0 and hit == key else "title part", part)
                for n, key, hit, part in found for i, code in enumerate(self._market[hit])]

    def _overlap(self, keys: list[str], code: str) -> tuple[float, str, str]:
        """IDF-weighted Jaccard of the title's words with the occupation's closest title (0..1), halved
        (``HEAD_MISMATCH``) when that title lacks the posting title's head noun: a rare modifier shared
        ("bilingual") says less than the job word ("assistant")."""
        best, alias, best_key = 0.0, "", ""
        for key in keys[:4]:
            tw = set(key.split())
            for a in self._aliases.get(code, ()):
                aw = set(a.split())
                inter = sum(self.taxonomy.title_word_idf(t) for t in tw & aw)
                if inter:
                    score = inter / sum(self.taxonomy.title_word_idf(t) for t in tw | aw)
                    if key.split()[-1] not in aw:
                        score *= HEAD_MISMATCH
                    if score > best:
                        best, alias, best_key = score, a, key
        return 0.9 * best, alias, best_key


def _terms(text: str) -> list[str]:
    return [w[:-1] if len(w) > 4 and w.endswith("s") and not w.endswith("ss") else w
            for w in _WORD.findall(text.casefold()) if w not in _STOP]


def _matrix(docs: list[Counter], vocab: dict[str, int], idf: np.ndarray):
    rows, cols, vals = [], [], []
    for r, d in enumerate(docs):
        for t, c in d.items():
            j = vocab.get(t)
            if j is not None:
                rows.append(r)
                cols.append(j)
                vals.append((1.0 + math.log(c)) * idf[j])
    m = sparse.csr_matrix((vals, (rows, cols)), shape=(len(docs), len(vocab)), dtype=np.float64)
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.diags(1.0 / norms) @ m


__all__ = ["OccupationResolver", "OccupationChoice", "title_candidates"]
