"""A job posting read as a recruiter reads it: title, location line, and typed sections.

Real postings arrive pasted from job boards: a title line, a location line, then a description
whose sections are often glued together ("...inclusion.Who you are:You must...",
"Current RN LicenseAbility to..."), sometimes as HTML. ``read_posting`` turns that text into a
``Posting``: the title (first line, "Job Title:", or the caller's own title field), the location
line, and the description split into sections of a known kind:

``company`` (about us), ``role`` (summary, overview, untitled text), ``responsibilities``,
``requirements`` (qualifications, what you bring, skills, experience), ``preferred`` (nice to
have, bonus), ``benefits`` (perks, pay), ``eeo`` (equal-opportunity and accommodation
boilerplate), ``logistics`` (schedule, job type, work location, how to apply).

Only ``requirements``/``preferred`` (and, when a posting has no requirement section,
``role``/``responsibilities``) are read for skills and years; benefits, company blurbs and EEO text
never are. What could not be read (markup removed, text cut at ``MAX_CHARS``, a posting that is
not in English) is said in ``notes``.
"""
from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

MAX_CHARS = 60_000
LOGISTICS_CHARS = 80      # "Location: ...", "Schedule: ...": values are short            # a real posting is ~3k characters; beyond this nothing useful is left
SECTION_KINDS = ("title", "company", "role", "responsibilities", "requirements", "preferred", "benefits", "eeo",
                 "logistics")
REQUIREMENT_KINDS = ("requirements", "preferred")

# heading words -> section kind; matched case-insensitively as a heading (see _HEADING)
_HEADINGS: dict[str, tuple[str, ...]] = {
    "preferred": (
        r"preferred (?:qualifications?|skills?|experience|requirements?|education|knowledge)(?: and \w+)?",
        r"desired (?:qualifications?|skills?|experience)", r"nice[- ]to[- ]haves?", r"bonus(?: points)?",
        r"pluses", r"preferred", r"desirable", r"additional (?:preferred )?qualifications?", r"it'?s a plus if",
        r"extra credit", r"ideally you(?: also)? have", r"we(?:'d|’d| would) love (?:it )?if you (?:had|have)"),
    "requirements": (
        r"(?:minimum|basic|required|essential|key|job|position|required minimum|the) (?:qualifications?|requirements?)",
        r"qualifications?(?: and (?:requirements?|skills?|experience|education))?", r"requirements?(?: and qualifications?)?",
        r"requirements? for (?:the|this) (?:role|position)",
        r"(?:required |key |technical |core )?(?:skills?|competenc(?:y|ies))(?: and (?:abilities|experience|qualifications?|knowledge))?",
        r"knowledge,? skills,? (?:and )?abilities", r"(?:education|experience)(?:,? (?:and|&) (?:experience|education|skills?|training|certifications?|licensure))*",
        r"education/experience", r"what you(?:'|’)?ll (?:need|bring)", r"what you bring(?: to the table)?",
        r"what (?:we(?:'|’)?re|we are) looking for", r"who you are", r"you have", r"you(?:'|’)?ll have",
        r"must[- ]haves?", r"about you", r"your (?:background|profile|qualifications|skills|experience)",
        r"ideal candidate(?: will have)?", r"the ideal candidate(?: will have| has| is)?", r"who we(?:'|’)?re looking for",
        r"licen[sc]es?(?:(?:,| and| &|/) certifications?)?", r"licensure", r"certifications?(?: and licen[sc]es?)?",
        r"requirements include", r"candidate requirements", r"job specifications?",
        r"is this you\??", r"do you have what it takes\??", r"what it takes",
        r"required (?:education|skills?|experience|knowledge)(?: and (?:education|skills?|experience|abilities|training))?",
        r"required", r"(?:minimum|required) experience", r"experience required", r"(?:top |key |core )?skills? required", r"(?:language|computer|technical) skills",
        r"(?:additional|other|special|general) (?:qualifications?|requirements?)",
        r"qualifications and (?:attributes|education requirements|experience requirements)",
        r"you are", r"you will have", r"you(?:'|’)?ll thrive if you(?: are| have)?", r"you will thrive if you(?: are| have)?"),
    "responsibilities": (
        r"(?:key |primary |main |essential |major |core |job |general )?(?:responsibilit\w*|duties)(?: and (?:responsibilit\w*|duties))?",
        r"essential (?:job )?functions?", r"what you(?:'|’)?ll (?:do|be doing)", r"what you will (?:do|be doing)",
        r"day[- ]to[- ]day", r"a day in the life", r"your (?:role|responsibilities|impact|day)", r"in this role,? you will",
        r"the work", r"job functions?", r"tasks", r"accountabilities",
        r"roles? and responsibilit\w*", r"(?:key |primary |main |essential |job )?(?:responsibilit\w*|duties) include",
        r"(?:supervisory|potential|additional|other) responsibilit\w*", r"essential functions? and responsibilit\w*",
        r"you will", r"you will be responsible for", r"what you would do(?: in this job)?"),
    "role": (
        r"(?:job|position|role) (?:summary|overview|description|purpose|details)", r"(?:(?:more )?about|the) (?:the |this )?(?:role|position|job|opportunity)",
        r"overview", r"summary", r"job description", r"description", r"the opportunity", r"position", r"purpose",
        r"purpose of (?:the )?(?:position|role|job)"),
    "company": (
        r"about (?:us|the company|our company|the team|the organization|[A-Z][\w&.'’ -]{1,40})", r"who we are",
        r"company (?:overview|description|profile)", r"our (?:company|mission|story|culture|values|team)",
        r"why (?:join us|work (?:here|with us|for us)|you(?:'|’)?ll love (?:working )?(?:here|with us))", r"company"),
    "benefits": (
        r"(?:employee |our |great |competitive )?benefits?(?: and perks| & perks| include| package| offered)?", r"perks(?: and benefits)?",
        r"what we offer", r"we offer", r"what(?:'|’)?s in it for you", r"compensation(?: and benefits)?", r"pay(?: range| rate)?",
        r"salary(?: range)?", r"total rewards", r"why you(?:'|’)?ll love it", r"supplemental pay(?: types?)?",
        r"compensation package", r"compensation and benefits?", r"featured benefits", r"(?:hourly|pay) rate",
        r"hiring range", r"pay band", r"what you(?:'|’)?ll love(?: about [\w&.'’ -]{1,40})?",
        r"you will benefit(?: by| from)?"),
    "logistics": (
        r"job types?", r"schedule", r"shifts?", r"work location", r"location", r"work (?:environment|setting|hours)",
        r"hours", r"expected hours", r"travel", r"how to apply", r"application process", r"ability to (?:commute|relocate)",
        r"work remotely", r"physical (?:demands|requirements)", r"working conditions", r"start date", r"reports? to", r"department",
        r"employment type", r"job id", r"req(?:uisition)? (?:id|number)", r"posted", r"salary/pay",
        r"(?:job|position) (?:title|location|category|type)", r"type of position", r"experience level",
        r"recruitment type", r"to apply", r"work schedule", r"primary location", r"job level", r"special instructions",
        r"contact information", r"posting date"),
    "eeo": (r"eeo(?: statement)?", r"equal (?:employment )?opportunity(?: employer)?(?: statement)?",
            r"diversity(?:,? equity,? (?:and|&) inclusion)?(?: statement)?", r"accommodations?", r"disclaimer",
            r"notice to (?:applicants|agencies|recruiters)"),
}
# "Duties/Responsibilities", "Skills & Abilities", "License/Certification": "/" and "&" join headings as "and" does;
# any heading may name what it is about ("Qualifications for this position:", "Physical Demands of the job:")
_ABOUT_JOB = r"(?: (?:for|of|in) (?:this|the) (?:position|role|job))?"
_HEADINGS = {kind: tuple("(?:" + p.replace(" and ", r"\s*(?:and|&|/)\s*").replace("(?:,| and| &|/) ", r"\s*(?:,|and|&|/)\s*")
                         + ")" + _ABOUT_JOB for p in pats) for kind, pats in _HEADINGS.items()}
_KIND_OF: list[tuple[re.Pattern, str]] = [
    (re.compile(rf"(?:{p})", re.IGNORECASE), kind) for kind, pats in _HEADINGS.items() for p in pats]
_ANY_HEADING = "|".join(p for pats in _HEADINGS.values() for p in pats)
# a pay heading takes a value, like a logistics one ("Salary: $32 - $35/Hr"), not a section
_PAY_HEADING = re.compile(r"(?i)(?:pay|salary|hourly|compensation|hiring)(?: range| rate| band)?|(?:pay|hourly) rate|"
                          r"salary/pay")
# a heading: at a line start, or glued after a sentence end / a lower-case word ("offSchedule:"),
# ending with a colon, or alone on its line; markdown decorations allowed
_HEADING = re.compile(
    r"(?:(?<=\n)|^|(?<=[.!?)\]•·*:;])|(?<=[a-z0-9%])(?=[A-Z]))[ \t*#_>•-]*(?P<h>(?i:" + _ANY_HEADING + r"))"
    r"[ \t*_]*(?::|[ \t]*(?=\n)|[ \t]*$)")
# mid-line headings ("Duration: Contract Job description:AWS ..."): a colon right after a heading of several words
# or a strong one-word heading
_INLINE_HEADING = re.compile(
    r"(?<=[ \t])(?P<h>(?i:(?:job|position|role) description|(?:minimum |required |preferred |basic )?qualifications|"
    r"requirements|responsibilities|(?:key |main )?duties|must[- ]have(?: skills)?|nice[- ]to[- ]have|"
    r"(?:required |technical )?skills|education|benefits|what you(?:'|’)?ll do))[ \t]*:")
_EEO_SENTENCE = re.compile(
    r"equal (?:employment )?opportunity|without regard to|regardless of (?:race|age|sex|gender)|"
    r"(?:not|never) discriminate|discriminat\w* (?:on the basis|based on|against)|"
    r"affirmative action|e-verify|reasonable accommodations?|veteran status|protected (?:veteran|characteristic|class)|"
    r"drug[- ]free workplace|background check|fair chance|arrest (?:and|or) conviction|"
    r"terms and conditions of employment|\beoe\b|\baa/eeo?\b|\bm/f/d/v\b", re.IGNORECASE)
# A sentence naming three or more protected groups is a diversity statement ("we welcome women, people of color
# and LGBTQIA people"), not a criterion.
_GROUPS = re.compile(
    r"\b(?:race|colou?r|religion|creed|sex|gender(?: identity| expression)?|sexual orientation|national origin|ancestry|"
    r"age|disabilit(?:y|ies)|veterans?|marital status|pregnancy|genetic information|citizenship|ethnicity|"
    r"people of colou?r|women|lgbt\w*\+?|minorities|underrepresented|neurodivers\w*|immigrants?)\b", re.IGNORECASE)


def _diversity_statement(sentence: str) -> bool:
    return len({m.group(0).casefold() for m in _GROUPS.finditer(sentence)}) >= 3


_BENEFIT_SENTENCE = re.compile(
    r"\b(?:401\s?\(?k\)?|paid time off|pto\b|health(?:,| and)? dental|dental(?:,| and)? vision|vision insurance|"
    r"life insurance|tuition reimbursement|employee discount|sign[- ]on bonus|health insurance|retirement plan|"
    r"flexible spending|hsa\b|fsa\b|wellness program|paid holidays?)", re.IGNORECASE)
_TAG = re.compile(r"<(?:script|style)\b.*?</(?:script|style)>|<[^>]{1,400}>", re.IGNORECASE | re.DOTALL)
_BLOCK_TAG = re.compile(r"<\s*(?:br|/p|p|/div|div|li|/li|/h\d|h\d|tr|/tr|ul|/ul|ol|/ol)\b[^>]*>", re.IGNORECASE)
_TITLE_FIELD = re.compile(r"^\s*(?:job title|title|position|role|job)\s*:\s*(?P<t>[^\n]{2,120})", re.IGNORECASE | re.MULTILINE)
_CAMEL_OK = frozenset(w.casefold() for w in (
    "JavaScript", "TypeScript", "CoffeeScript", "PowerPoint", "PowerBI", "QuickBooks", "LinkedIn", "GitHub", "GitLab",
    "DevOps", "YouTube", "TikTok", "WordPress", "HubSpot", "SharePoint", "OneDrive", "OneNote", "NetSuite",
    "ServiceNow", "AutoCAD", "SolidWorks", "PeopleSoft", "SuccessFactors", "MySQL", "PostgreSQL", "NoSQL", "FedEx",
    "PayPal", "MailChimp", "DocuSign", "BambooHR", "ZipRecruiter", "SalesForce", "QuickBase", "FileMaker", "DataDog",
    "MongoDB", "DynamoDB", "CosmosDB", "BigQuery", "GraphQL", "OpenShift", "CloudFormation", "PyTorch", "TensorFlow",
    "ChatGPT", "OpenAI", "SketchUp", "InDesign", "AfterEffects", "PhotoShop", "JetBrains", "IntelliJ", "WebLogic",
    "WebSphere", "RabbitMQ", "ActiveMQ", "SaaS", "PaaS", "IaaS", "iOS", "macOS", "HireRight", "ADP", "McDonald",
    "McKinsey", "MacBook", "CompTIA", "ServSafe", "PeopleSoft", "EpicCare", "eClinicalWorks", "AthenaHealth",
    "PointClickCare", "MatrixCare", "BlackBerry", "SnapChat", "HealthStream", "RevCycle", "CareerBuilder"))
_GLUE = re.compile(r"(?<=[a-z0-9%)])(?=[A-Z][a-z])")
# also after an acronym ("...Python, C++, and JAVA.Experience in ..."), never inside a name ("ASP.Net", "VB.Net")
_GLUED_STOP = re.compile(r"(?:(?<=[a-z)]{2})|(?<=[A-Z]{3}))\.(?=[A-Z][a-z])(?!Net\b|Js\b)")
# an acronym glued to the next list item ("...at least 50 WPMBasic math skills", "valid CDLAbility to lift"):
# only before the words list items start with, so "SQLServer", "CDLPlus" stay whole
_ITEM_START = (r"(?:Ability|Able|Basic|Excellent|Experience|Familiarity|Knowledge|Minimum|Must|Proficien\w*|Strong|"
               r"Working|Understanding|Valid|Current|Bachelor|High|Preferred|Required|Good|Demonstrated|Proven)\b")
_GLUED_ACRONYM = re.compile(r"(?<=[A-Z]{2})(?=" + _ITEM_START + ")")
# a years sentence glued to the one before ("...field preferred.5+ years of progressive experience")
_GLUED_YEARS = re.compile(r"(?<=[A-Za-z)]{2})\.(?=\d{1,2}\s*\+?\s*(?:years?|yrs?)\b)", re.IGNORECASE)
# a dash bullet glued to the item before it ("...HydroCAD and Microsoft Office-Excellent communication")
_GLUED_DASH = re.compile(r"(?<=[a-z)])-(?=" + _ITEM_START + ")")
_STOPWORDS_EN = frozenset("the and of to a in for with you your we our is are be will on as or at this that an by "
                          "from have has all who can work".split())


@dataclass(frozen=True)
class Section:
    kind: str            # one of SECTION_KINDS
    heading: str         # as written ("" for untitled text)
    text: str


@dataclass(frozen=True)
class Posting:
    title: str | None
    location_line: str | None
    sections: tuple[Section, ...]
    notes: tuple[str, ...] = ()
    english: bool = True
    chars_read: int = 0

    def text_of(self, *kinds: str) -> str:
        return "\n".join(s.text for s in self.sections if s.kind in kinds)

    @property
    def has_requirements(self) -> bool:
        return any(s.kind == "requirements" and s.text.strip() for s in self.sections)

    def requirement_text(self) -> tuple[str, str]:
        """(required text, preferred text): the requirement sections, or, when a posting has none, its
        untitled text, role and responsibilities (so hourly postings written as prose still yield)."""
        must = self.text_of("requirements")
        if not must.strip():
            must = self.text_of("role", "responsibilities")
        return must, self.text_of("preferred")

    def to_dict(self) -> dict:
        return {"title": self.title, "location_line": self.location_line, "english": self.english,
                "chars_read": self.chars_read, "notes": list(self.notes),
                "sections": [{"kind": s.kind, "heading": s.heading, "chars": len(s.text)} for s in self.sections]}


def clean_markup(text: str, notes: list[str]) -> str:
    """HTML -> text (block tags become line breaks, entities decoded); plain text is returned as is."""
    if "<" in text and _TAG.search(text):
        text = _BLOCK_TAG.sub("\n", text)
        text = _TAG.sub(" ", text)
        notes.append("HTML markup removed")
    if "&" in text:
        text = html.unescape(text)
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").replace("\u200b", "")


_NUMBERED_GLUE = re.compile(r"(?<=[A-Za-z)])(?P<n>\d{1,2})\.\s+(?=[A-Z])")


def _unglue_numbered(text: str) -> str:
    """"...hydraulic systems2. Proficient with ...3. Must ...": a numbered list glued together, cut before each
    number, only when the numbers run in sequence (so "Windows 10. Then" stays)."""
    ms = list(_NUMBERED_GLUE.finditer(text))
    nums = [int(m.group("n")) for m in ms]
    if len(ms) < 2 or not any(b == a + 1 for a, b in zip(nums, nums[1:])):
        return text
    return _NUMBERED_GLUE.sub(lambda m: "\n" + m.group(0), text)


def deglue(text: str, keep: Callable[[str], bool] | None = None) -> str:
    """Line breaks where list items were glued together ("Current RN LicenseAbility to ..."); ``keep(word)`` names
    the caller's products written in camel case ("ZoomInfo", "MicroStrategy"), which stay whole."""
    def cut(m: re.Match) -> str:
        left = re.search(r"[A-Za-z0-9]+$", text[max(0, m.start() - 30):m.start()])
        right = re.match(r"[A-Za-z]+", text[m.start():m.start() + 30])
        word = (left.group(0) if left else "") + (right.group(0) if right else "")
        if left is None or len(left.group(0)) < 3 or word.casefold() in _CAMEL_OK or left.group(0).isupper():
            return ""
        if keep is not None and keep(word):
            return ""
        return "\n"
    out, pos = [], 0
    for m in _GLUE.finditer(text):
        out.append(text[pos:m.start()])
        out.append(cut(m))
        pos = m.start()
    out.append(text[pos:])
    # "...principles.Experience with..." : a sentence end glued to the next sentence
    out = _GLUED_STOP.sub(".\n", _unglue_numbered("".join(out)))
    return _GLUED_YEARS.sub(".\n", _GLUED_DASH.sub("\n", _GLUED_ACRONYM.sub("\n", out)))


_STOPWORDS_OTHER = {
    "de": frozenset("der die das und ist nicht mit für wir sie ein eine einen dem den des zu auf bei oder auch sind "
                    "wird werden ihre unser unsere im vom zum zur über".split()),
    "fr": frozenset("le la les et est pas avec pour nous vous une des du au aux sur dans ou sont votre notre "
                    "être qui que ce cette".split()),
    "es": frozenset("el la los las y es con para nosotros una del al en por o son su nuestro nuestra que se "
                    "como más".split()),
    "it": frozenset("il lo la gli le e è con per noi una del della nel sono che si come più".split()),
    "pt": frozenset("o a os as e é com para nós uma do da no na em por ou são seu sua que se como".split()),
    "nl": frozenset("de het een en is niet met voor wij jij zijn van op bij ook worden ons onze".split()),
}


def looks_english(text: str) -> bool:
    """True unless the text's function words are mostly another language's (German, French, Spanish, Italian,
    Portuguese, Dutch) or nearly no English ones."""
    words = re.findall(r"[a-zA-Z\u00C0-\u024F]+", text[:5000].lower())
    if len(words) < 8:
        return True
    english = sum(w in _STOPWORDS_EN for w in words)
    other = max(sum(w in stop for w in words) for stop in _STOPWORDS_OTHER.values())
    return english / len(words) >= 0.06 and english >= other


def _kind(heading: str) -> str:
    h = " ".join(heading.split()).strip(" :*#")
    for rx, kind in _KIND_OF:
        if rx.fullmatch(h):
            return kind
    return "role"


def split_sections(body: str) -> list[Section]:
    """Typed sections of a description; sentences of EEO or benefits boilerplate inside other sections are
    moved to their own kind so they never feed requirements."""
    cuts = [(m.start(), m.end(), m.group("h")) for m in _HEADING.finditer(body)]
    # an inline heading inside a heading already found ("Qualifications:" of "Desired Qualifications:") is not another
    cuts += [(m.start("h"), m.end(), m.group("h")) for m in _INLINE_HEADING.finditer(body)
             if not any(start - 3 < m.start("h") < end for start, end, _ in cuts)]
    cuts.sort()
    out: list[Section] = []
    pos, heading, kind = 0, "", "role"
    for start, end, h in cuts + [(len(body), len(body), None)]:
        chunk = body[pos:start].strip(" \t\n:-*•")
        if chunk and (kind == "logistics" or _PAY_HEADING.fullmatch(heading)) and len(chunk) > LOGISTICS_CHARS:
            # "Location: Newark, NJ · Must have 5 years of ...", "Pay Range: $40-$70/Hour\n\nBy using the app ...": a
            # logistics or pay value is one line; the rest is text of the posting the glued heading swallowed
            cut = re.search(r"\n|(?<=[.!?·])\s|\s[·•|]\s", chunk[:LOGISTICS_CHARS])
            # or at the last space before the limit, never inside a word ("traffic oft" / "en")
            cut_at = cut.end() if cut else (chunk.rfind(" ", 0, LOGISTICS_CHARS) + 1 or LOGISTICS_CHARS)
            out.extend(_refine(Section(kind, heading, chunk[:cut_at].strip())))
            heading, kind, chunk = "", "role", chunk[cut_at:].strip(" \t\n:-*•·")
        if chunk:
            out.extend(_refine(Section(kind, heading, chunk)))
        if h is not None:
            heading, kind, pos = h.strip(), _kind(h), end
    return out


# where an "About us" section turns to the job: "We are seeking a Project Manager to join ...", "As a licensed
# healthcare agent, you will educate ..." ("As an SKF team member, you will join 40,000 colleagues" is still the company)
_TURN_TO_JOB = re.compile(
    r"\b(?:(?:we are|we're|we’re|is|are) (?:currently )?(?:looking|seeking|searching) for|"
    r"(?:is|are) (?:currently )?seeking (?:an?|the)\b|the (?:ideal|successful) candidate|bring the following|"
    r"as an? (?![\w -]{0,60}\b(?:member|family|part|employee)\b)[\w -]{2,60}, you (?:will|'ll|’ll) "
    r"(?!join|be part|become|have the opportunity))", re.IGNORECASE)


def _refine(section: Section) -> list[Section]:
    if section.kind == "eeo":
        return [section]
    if section.kind == "company":
        # a company blurb that runs on into the job ("About Us ... We are looking for a Systems Engineer ...
        # Experience with Ansible"): the job's part is the role's, or it would never be read
        turn = _TURN_TO_JOB.search(section.text)
        if turn:
            start = max(section.text.rfind(c, 0, turn.start()) for c in ".!?\n:") + 1
            head, rest = section.text[:start].strip(), section.text[start:].strip()
            if rest:
                return (_refine(Section("company", section.heading, head)) if head else []) + _refine(
                    Section("role", "", rest))
    keep, eeo, benefits = [], [], []
    # list items are sentences too: "· Pass a background check· Minimum 3 Years Experience" keeps its second item
    for sent in re.split(r"(?<=[.!?])\s+|\n+|\s*[•·▪●]\s*", section.text):
        if _EEO_SENTENCE.search(sent):
            eeo.append(sent)
        elif section.kind not in (*REQUIREMENT_KINDS, "benefits", "logistics") and _BENEFIT_SENTENCE.search(sent):
            benefits.append(sent)
        else:
            keep.append(sent)
    out = [Section(section.kind, section.heading, "\n".join(keep))] if any(s.strip() for s in keep) else []
    if eeo:
        out.append(Section("eeo", "", " ".join(eeo)))
    if benefits:
        out.append(Section("benefits", "", " ".join(benefits)))
    return out


def strip_boilerplate(text: str) -> str:
    """``text`` without its equal-opportunity / accommodation sentences and diversity statements (they name
    protected attributes only to say they are not used, or all are welcome); everything else is kept as
    written, line breaks included."""
    if not _EEO_SENTENCE.search(text) and not _diversity_statement(text):
        return text
    lines = []
    for line in text.split("\n"):
        parts = re.split(r"(?<=[.!?])\s+", line)
        lines.append(" ".join(p for p in parts if not (_EEO_SENTENCE.search(p) or _diversity_statement(p))))
    return "\n".join(lines)


def read_posting(text: str, *, title: str | None = None, location: str | None = None,
                 is_location=None, keep_words: Callable[[str], bool] | None = None) -> Posting:
    """Read ``text`` (title line, optional location line, description). ``title``/``location`` given by the
    caller win over what the text says. ``is_location(line) -> bool`` tells a location line (the caller
    owns the gazetteer); without it only "Location:" lines are taken. ``keep_words(word) -> bool`` names the
    caller's camel-case products, never cut as glued list items (see ``deglue``)."""
    notes: list[str] = []
    if len(text) > MAX_CHARS:
        notes.append(f"text of {len(text):,} characters: only the first {MAX_CHARS:,} were read")
        text = text[:MAX_CHARS]
    text = clean_markup(text, notes)
    lines = [ln.strip() for ln in text.split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    body_start = 0
    first = lines[0] if lines else ""
    m = _TITLE_FIELD.search(text[:2000])
    if title is None:
        if first and len(first) <= 120 and len(first.split()) <= 14 and not re.match(r"(?i)(?:about|who we are)\b", first):
            title = first
            body_start = 1
        elif m:
            title = m.group("t").strip()
    elif first and first.casefold() == title.strip().casefold():
        body_start = 1
    loc_line = location
    for i in range(body_start, min(body_start + 2, len(lines))):
        ln = lines[i]
        lm = re.match(r"(?i)(?:job )?location\s*:\s*(.+)", ln)
        if lm or (is_location is not None and len(ln) <= 80 and is_location(ln)):
            if loc_line is None:
                loc_line = (lm.group(1) if lm else ln).strip()
            body_start = i + 1
            break
    if loc_line is None:
        lm = re.search(r"(?im)^\s*(?:job |work )?location\s*:\s*([^\n]{2,80})", text)
        if lm:
            loc_line = lm.group(1).strip()
    body = deglue("\n".join(lines[body_start:]), keep_words)
    english = looks_english(body or first)
    if not english:
        notes.append("the posting does not look like English: skills and years were read on a best-effort basis")
    sections = [Section("title", "", title)] if title else []
    sections += split_sections(body)
    if not any(s.kind in ("requirements", "preferred") for s in sections):
        notes.append("no requirements section: requirements read from the description and responsibilities")
    return Posting(title, loc_line, tuple(sections), tuple(notes), english, len(text))


__all__ = ["Posting", "Section", "read_posting", "strip_boilerplate", "split_sections", "clean_markup", "deglue", "looks_english",
           "MAX_CHARS", "SECTION_KINDS"]
