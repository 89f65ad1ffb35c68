"""Reading real job postings: structure, places, years, skills with precision, occupations, strict queries.

The postings here are written for the tests in the shapes real boards produce (glued sections, HTML,
benefit lists, EEO boilerplate); the measured numbers on real postings are in benchmarks/postings.py.
"""
from __future__ import annotations

import numpy as np
import pytest

from query.intake.experience import read_years
from query.intake.requirements import Intake, title_level
from query.llm import builder
from query.llm.generate import QueryGenerator
from query.llm.offline import OfflinePlanner
from query.intake.location import read_location
from query.lang.parser import parse
from query.intake.phrases import cue_phrases, list_siblings, tidy
from query.intake.posting import MAX_CHARS, read_posting, strip_boilerplate
from query.intake.skills import SkillExtractor

POSTING = """Registered Nurse (RN) - Night Shift
Ladson, SC
About Us:We are a family-owned care community serving our residents since 1972.RESPONSIBILITES:Assess and \
provide direct care for residents. Document care in PointClickCare.QUALIFICATIONS:Current RN LicenseAbility to \
administer medication and IV certificationAt least two years of long-term care experience.Knowledge of wound care \
and state regulations.Preferred:Experience with Epic.BENEFITS:Medical/Dental/Vision insurance, 401(k) matching, \
paid time offWe are an equal opportunity employer and do not discriminate on the basis of race, religion, sex or age.
"""


@pytest.fixture(scope="module")
def intake():
    return Intake()


@pytest.fixture(scope="module")
def extractor():
    return SkillExtractor()


def test_glued_posting_is_read_into_typed_sections():
    p = read_posting(POSTING, is_location=lambda line: read_location(line) is not None)
    assert p.title == "Registered Nurse (RN) - Night Shift" and p.location_line == "Ladson, SC"
    kinds = [s.kind for s in p.sections]
    assert kinds[:1] == ["title"] and {"company", "responsibilities", "requirements", "preferred", "benefits",
                                       "eeo"} <= set(kinds)
    req = p.text_of("requirements")
    assert "Current RN License\nAbility to administer" in req        # glued list items split
    assert "401(k)" in p.text_of("benefits") and "discriminate" in p.text_of("eeo")
    assert "discriminate" not in strip_boilerplate("Nurse.\nWe do not discriminate on the basis of race. Apply now.")


def test_headings_that_name_the_job_or_speak_to_the_reader():
    text = ("Vet Tech Manager\nDenver, CO\nAbout Us: A hospital for pets. More About the Position:Lead the technicians. "
            "Physical Demands of the job: Lift 50 lbs.\nQualifications for this position:\nSupervisory experience."
            "Basic computer skills, i.e., Microsoft Office.\nYOU WILL: Organize events. YOU ARE: Proficient with "
            "Google Drive.\nYOU WILL BENEFIT BY: Mentoring.LOCATION: This is a remote opportunity which means you "
            "don't have to deal with traffic often or sitting in an office!")
    p = read_posting(text)
    kind = {s.heading: s.kind for s in p.sections}
    assert kind["More About the Position"] == "role" and kind["Physical Demands of the job"] == "logistics"
    assert kind["Qualifications for this position"] == "requirements" and kind["YOU ARE"] == "requirements"
    assert kind["YOU WILL"] == "responsibilities" and kind["YOU WILL BENEFIT BY"] == "benefits"
    assert "Microsoft Office" in p.text_of("requirements") and "Google Drive" in p.text_of("requirements")
    assert "Microsoft Office" not in p.text_of("company")
    # a long logistics value is cut at a word boundary, not inside "often"
    assert not any(s.text.startswith("en ") for s in p.sections)
    assert any(s.text.startswith("often or sitting") for s in p.sections)


def test_physical_requirements_are_no_qualifications_and_top_skills_required_are(intake):
    # a numbered list whose 13th item says "Physical requirements:" is still the list of requirements
    text = ("Heavy Equipment Mechanic\nMadison, WI\n1. Must be able to trouble shoot hydraulic systems\n"
            "2. Candidate must have a good driving record and have a current CDL\n"
            "3. Physical requirements: lift 75 pounds, walking, climbing\n4. Service truck will be provided")
    p = read_posting(text)
    assert [s.kind for s in p.sections if s.heading == "Physical requirements"] == ["logistics"]
    assert "CDL" in intake.from_text(text).must_have
    # "TOP SKILLS REQUIRED:" opens the requirements, even after a benefits list
    text = ("Hardware Design Engineer\nHillsboro, OR\nFeatured Benefits:Medical Insurance401(k)\n"
            "TOP SKILLS REQUIRED:Sr. Hardware Engineer. Verilog coding & Python scripting. Experienced in PCB Layout.")
    p = read_posting(text)
    assert {s.heading: s.kind for s in p.sections}["TOP SKILLS REQUIRED"] == "requirements"
    assert {"Python", "Verilog"} <= set(intake.from_text(text).must_have)


def test_a_pay_heading_takes_one_line_and_required_opens_the_requirements():
    text = ("Dental Hygienist\nAustin, TX\nPay Range: $40-$70/Hour\n\nBy using the app you find local temporary "
            "and permanent opportunities. Hygienists perform dental prophylaxis and periodontal charting every day.\n"
            "Salary: $32 - $35/Hr Candidates must reside in Texas.Required:Minimum one year of Dentrix experience.")
    p = read_posting(text)
    pay = [s for s in p.sections if s.heading == "Pay Range"]
    assert [s.text for s in pay] == ["$40-$70/Hour"] and "prophylaxis" in p.text_of("role")
    assert "Dentrix" in p.text_of("requirements") and "Dentrix" not in p.text_of("benefits")


def test_an_about_us_section_that_runs_on_into_the_job_is_read_as_the_job():
    text = ("Systems Engineer\nAustin, TX\nAbout Acme: Acme builds infrastructure for Web3 markets. "
            "As an SKF team member, you will join 40,000 colleagues. We are looking for a highly skilled Systems "
            "Engineer. Experience with Ansible and Proxmox.\nMust have:\nLinux administration\nWe would love if "
            "you had:\nMinimum of 6 months experience in Rust")
    p = read_posting(text)
    assert "Acme builds" in p.text_of("company") and "40,000 colleagues" in p.text_of("company")
    assert "Ansible" in p.text_of("role") and "Ansible" not in p.text_of("company")
    assert "6 months experience in Rust" in p.text_of("preferred")


def test_items_listed_beside_a_known_skill_are_skills_too(intake):
    known = {"property maintenance", "employment law"}
    duty = ("Responsibilities include tenant screening, lease administration, property maintenance, rent "
            "collection, and financial reporting.")
    assert list_siblings(duty, lambda i: i.lower() in known) == [
        "tenant screening", "lease administration", "rent collection", "financial reporting"]
    # no known item, or a list of clauses: nothing
    assert list_siblings("Greet guests, answer phones, and keep the lobby tidy.", lambda i: i.lower() in known) == []
    assert list_siblings("You will own the roadmap, talk to customers every week, and ship property maintenance "
                         "tools for landlords.", lambda i: i.lower() in known) == []
    # in a requirement with a cue, past the 120 characters a cue phrase used to stop at
    text = ("HR Project Manager\nRaleigh, NC\nRequirements:\nKnowledge of human resources administration practices, "
            "performance management, recruitment, interviewing and selection techniques, employment law, "
            "records management, classification and compensation, employee relations.")
    req = intake.from_text(text)
    assert {"Records management", "Classification and compensation"} <= set(req.must_have) | set(req.nice_to_have)
    # a list's joiners and glued numbers are no part of a skill
    assert tidy("As QuickBooks".split()) == ["QuickBooks"] and tidy("financial modeling and".split()) == [
        "financial", "modeling"]
    assert tidy("Similar applications.7".split()) is None


def test_a_community_the_job_serves_is_a_subject_not_a_protected_criterion(intake):
    assert cue_phrases("Experience in Python or Java programming.") == ["Python programming", "Java programming"]
    assert "Medication certification" not in cue_phrases("Ability to Administer Medication and IV certification")
    text = ("Program Manager\nNampa, ID\nRequirements:\nExperience working with the Hispanic/Latino or minority "
            "community.\nKnowledge of small business management.")
    req = intake.from_text(text)
    skills = set(req.must_have) | set(req.nice_to_have)
    assert "Hispanic/Latino community" in skills and "Hispanic/Latino" not in skills
    from query.guard import is_protected
    assert is_protected("Hispanic/Latino community") == [] and is_protected("Hispanic/Latino")


def test_camel_case_products_the_dictionary_knows_stay_whole(intake):
    text = ("Account Executive\nStrongsville, OH\nRequirements:\nUse software such as Salesforce, ZoomInfo and "
            "MicroStrategy.\nExperience with Docker, Kubernetes, PowerShell scripting.\nCurrent RN LicenseAbility to "
            "lift 50 lbs")
    req = intake.from_text(text)
    named = set(req.must_have) | set(req.nice_to_have)
    assert {"ZoomInfo", "Microsoft PowerShell", "RN license"} <= named
    assert not any(n in {"Zoom", "Info", "Micro", "Strategy"} for n in named)
    p = read_posting(text, keep_words=intake._product_word)
    assert "ZoomInfo" in p.text_of("requirements") and "License\nAbility" in p.text_of("requirements")
    assert "Zoom\nInfo" in read_posting(text).text_of("requirements")      # without the dictionary: cut


def test_dash_bullets_glued_to_the_item_before_are_cut():
    p = read_posting("Design Engineer\nQualifications:-BS in Civil Engineering-Proficient with AutoCAD Civil 3D, "
                     "HydroCAD and Microsoft Office-Excellent communication skills")
    assert "HydroCAD and Microsoft Office\nExcellent communication" in p.text_of("requirements")
    assert "Front-End" in read_posting("Front-End Engineer\nRequirements: Front-End work").text_of("requirements")
    # a years sentence glued after "preferred." is its own sentence, so the preference does not take its years
    glued = "A bachelor's degree; finance or similar field preferred.5+ years of progressive experience."
    assert read_years(glued).min_years is None                  # read as one sentence, "preferred" takes the years
    assert read_years(read_posting("Accountant\nRequirements:\nA bachelor's degree; finance preferred.5+ years of "
                                   "accounting experience.").text_of("requirements")).min_years == 5


def test_posting_requirements(intake):
    req = intake.from_text(POSTING)
    assert req.occupation_code == "29-1141.00" and req.titles == ("Registered Nurse",)
    assert req.min_years == 2 and req.place.label == "SC, US" and req.locations == ()   # Ladson is no gazetteer city
    assert {"RN license", "IV therapy", "Wound care"} <= set(req.must_have) and "Epic" in req.nice_to_have
    kinds = dict(req.skill_kinds)
    assert kinds["RN license"] == "credential" and kinds["Wound care"] == "knowledge"
    # benefits and EEO text never yield skills: no dental/vision software, no "Medical" anything
    assert not any(w in s.lower() for s in req.must_have + req.nice_to_have for w in ("dental", "vision", "race"))
    assert any("no known city" in n for n in req.notes)


@pytest.mark.parametrize("line, label, near", [
    ("Ladson, SC", "SC, US", None),                              # not "Wa, Ghana": a town the gazetteer lacks
    ("Stuart, FL", "Stuart, FL, US", "Stuart, FL, US"),           # not Stuart, Australia
    ("Burlington, IA", "Burlington, IA, US", "Burlington, IA, US"),
    ("Greater Philadelphia", "Philadelphia, PA, US", "Philadelphia, PA, US"),
    ("New York City Metropolitan Area", "New York City, NY, US", "New York City, NY, US"),
    ("Austin, Texas Metropolitan Area", "Austin, TX, US", "Austin, TX, US"),
    ("Dallas-Fort Worth Metroplex", "Dallas, TX, US", "Dallas, TX, US"),
    ("Colorado, United States", "CO, US", None),
    ("United States", "US", None),
    ("Berlin, Germany", "Berlin, DE", "Berlin, DE"),
    ("Hybrid - Boston, MA", "Boston, MA, US", "Boston, MA, US"),
])
def test_location_lines_resolve_at_their_precision(line, label, near):
    loc = read_location(line)
    assert loc.label == label and loc.near == near


def test_remote_and_nonsense_locations():
    assert read_location("Remote").remote and read_location("Remote").near is None
    assert read_location("We are hiring now!") is None


@pytest.mark.parametrize("text, years", [
    ("Requires three years of experience in retail.", 3),
    ("4 years’ experience as a bookkeeper", 4),
    ("At least two years of Salesforce administration", 2),
    ("Three (3) years of related experience required", 3),
    ("3-5 years of professional experience", 3),
    ("6 months of customer service experience", 0.5),
    ("Experience: Marketing: 1 year (Required)", 1),
    ("For over 50 years we have served Ohio. Apply today.", None),
    ("2 years of experience preferred", None),
    ("Must be 21 years old", None),
    ("Minimum (1) year of office experience, preferably in a law firm.", 1),       # kind of experience preferred
    ("4 or more years of payroll experience, ADP preferred.", 4),                  # ADP preferred, not the years
    ("2+ years in retail, hospitality or sales (preferred).", None),               # the tag covers the list
    ("Degree in logistics (preferred) or related field, or equivalent  3-5 years of warehouse experience", 3),
    ("AT LEAST ONE YEAR OF EXPERIENCE PREFERREDA valid license", None),            # glued to the next line
    ("Degree in biology.EXPERIENCE: Five (5) years of lab work", 5),               # glued sentence end
    ("CPR certification within 1 year of hire is required", None),                # a deadline, not experience
    ("Current certification within 1 Year Required", None),
    ("Seven years of accounting experience; a master's degree can substitute for one year of experience.", 7),
    ("High school diploma required1-3 years of payroll experience", 1),            # glued to the word before
    ("Master's degree preferred· A minimum of 8 years of plant experience", 8),   # a bullet ends the clause
    ("The Jewelry Group has a 20+ year legacy of sourcing brands.", None),         # the company's years
    ("Dedicate 15 hours a week over a period of 3-4 months of mentored work.", None),   # the job's own length
    ("0-2 years of customer service experience", None),                            # none required
    ("Four years of education above high school, or one year of office experience.", 1),   # schooling is not work
    ("Required Education: 4 Year Degree", None),                                     # a degree's length
    ("A 2-year college program or 3 years of experience", 3),
    ("Role type: 3 month contract", None),                                           # the job's length
])
def test_years_in_numerals_and_words(text, years):
    assert read_years(text).min_years == years


def test_years_in_the_role_text_and_list_items_next_to_boilerplate(intake):
    req = intake.from_text("Associate Attorney\nMiami, FL\nWe are seeking an attorney with at least 3 years of "
                           "litigation experience.\nRequirements:\n- Florida Bar admission\n- Legal research")
    assert req.min_years == 3                              # said before the requirements, still required
    brag = intake.from_text("Receptionist\nJupiter, FL\nWith over 40 years of experience, Acme has built homes. "
                            "Backed by 20 years of research.\nRequirements:\n- Answer phones")
    assert brag.min_years is None                          # the company's years, not the candidate's
    p = read_posting("Cleaner\nDayton, OH\nRequired Qualifications:· Pass a background check· Minimum 3 Years "
                     "Experience· Able to lift 25 pounds")
    assert "Minimum 3 Years Experience" in p.text_of("requirements")   # not moved to EEO with its neighbour


@pytest.mark.parametrize("heading, kind", [
    ("Required Skills/Abilities", "requirements"), ("Duties/Responsibilities", "responsibilities"),
    ("License/Certification", "requirements"), ("Roles & Responsibilities", "responsibilities"),
    ("Essential Functions/Responsibilities", "responsibilities"), ("Compensation and Benefit", "benefits"),
    ("Position Type", "logistics"), ("Minimum Experience", "requirements"),
])
def test_headings_joined_by_slash_or_ampersand_are_read_like_and(heading, kind):
    p = read_posting(f"Clerk\nAustin, TX\nWe file records.\n{heading}: Microsoft Excel and QuickBooks.")
    assert [s.kind for s in p.sections][-1] == kind


def test_eeo_acronyms_are_boilerplate_not_skills(intake):
    req = intake.from_text("Counselor\nAustin, TX\nQualifications:\n- Spanish\n- Crisis intervention\n"
                           "Responsibilities:\n- Answer the hotline\nAA/EOE/ADA")
    assert not any(s.casefold() == "ada" for s in req.must_have + req.nice_to_have)


@pytest.mark.parametrize("text, present, absent", [
    ("Experience with excel and word.", {"Microsoft Excel", "Microsoft Word"}, set()),
    ("Knowledge of excel, word and outlook.", {"Microsoft Excel", "Microsoft Word", "Microsoft Outlook"}, set()),
    ("Creative skills to excel in developing new business.", set(), {"Microsoft Excel"}),
    ("Proficiency in word processing.", set(), {"Microsoft Word"}),
    ("You will excel in a fast-paced team.", set(), {"Microsoft Excel"}),
])
def test_office_products_in_lower_case_need_a_cue(extractor, text, present, absent):
    got = {m.canonical for m in extractor.extract(text)}
    assert present <= got and not (absent & got)


def test_a_sentence_glued_after_an_acronym_is_cut():
    p = read_posting("Developer\nAustin, TX\nQualifications:\nProficient in Python, C++, and JAVA.Experience with "
                     "CAN bus is a plus.\nWe use ASP.Net daily.")
    assert "JAVA.\nExperience" in p.text_of("requirements") and "ASP.Net" in p.text_of("requirements")


def test_duties_knowledge_counts_only_when_the_requirements_name_almost_no_skill(intake):
    duties = "Project Manager\nAustin, TX\nResponsibilities:\n- Ensure work follows building codes\nRequirements:\n"
    rules = Intake(intake.taxonomy, verifier=False)            # the rules alone, without the learned check
    thin = rules.from_text(duties + "- Strong communication skills")
    assert "Building codes" in thin.must_have
    full = rules.from_text(duties + "- Procore\n- Microsoft Project\n- AutoCAD")
    assert "Building codes" not in full.must_have and "Autodesk AutoCAD" in full.must_have
    # with the verifier the duties are always read; what it doubts is demoted, not lost
    for text in (duties + "- Strong communication skills", duties + "- Procore\n- Microsoft Project\n- AutoCAD"):
        req = intake.from_text(text)
        assert "Building codes" in req.must_have + req.nice_to_have
    assert "Autodesk AutoCAD" in intake.from_text(duties + "- Procore\n- Microsoft Project\n- AutoCAD").must_have


def test_a_glued_numbered_list_is_cut_into_items(intake):
    req = intake.from_text("Heavy Equipment Mechanic\nDayton, OH\n1. Must be able to trouble shoot hydraulic systems2. "
                           "Proficient with heavy equipment3. Must have a current CDL4. Must be able to weld")
    assert any("CDL" in s for s in req.must_have)
    assert "Windows 10." in read_posting("Clerk\nAustin, TX\nWe use Windows 10. Then we file.").text_of("role")


def test_the_examples_after_a_cue_phrase_are_skills_too():
    got = cue_phrases("Knowledge of construction documents, including but not limited to submittals, RFIs and change orders")
    assert {"construction documents", "submittals", "RFIs", "change orders"} <= set(got)
    assert not any("limited" in g for g in got)


def test_desired_qualifications_heading_is_one_preferred_section():
    p = read_posting("Clerk\nAustin, TX\nDuties: file records.\n\nDesired Qualifications: two years of filing experience.")
    assert [s.kind for s in p.sections][-1] == "preferred" and read_years(*p.requirement_text()).min_years is None


def test_years_per_skill_and_the_readme_request(intake):
    r = read_years("5+ years with Python and at least 2 years of Spark")
    assert r.min_years == 5 and ("Spark", 2.0) in r.per_skill
    req = intake.from_text("Senior Data Engineer in Berlin (within 30 km), 5+ years, Spark and Kafka. Nice to have: Airflow")
    assert req.min_years == 5 and req.must_have == ("Apache Spark", "Apache Kafka")
    assert req.locations[0].name == "Berlin, DE" and req.locations[0].radius_km == 30


@pytest.mark.parametrize("text, absent", [
    ("You will meet deadlines and write reports on a weekly plan.", {"Google Meet", "Oracle Reports"}),
    ("Benefits: Medical/Dental/Vision/Life insurance.", {"Dental", "Vision"}),
    ("We have a salesforce of 40 reps.", {"Salesforce software"}),
    ("Work in a FAST-PACED environment with a CALM attitude.", {"Final approach spacing tool FAST"}),
    ("Word of mouth matters; access to data.", {"Microsoft Word", "Microsoft Access"}),
    ("We have a SPARK in every team.", {"Apache Spark"}),          # a word in capitals, outside a list of tools
    ("30 semester hours equal one (1) year of experience.", {"Sun Microsystems Sun ONE"}),   # a number said twice
    ("We build cloud-based, data-driven tools.", {"Cloud computing"}),     # a lower-case word made an adjective
])
def test_common_words_are_not_products(extractor, text, absent):
    assert not absent & set(extractor.skills(text, kinds=("technology", "knowledge", "credential")))


@pytest.mark.parametrize("text, present", [
    ("Expert in Python-based software development and AWS-powered services.",
     {"Python", "Amazon Web Services AWS software"}),
    ("Conduct regular internal audits.", {"Auditing"}),                 # the plural of a lexicon phrase
    ("Must be able to read and interpret blueprints; must be able to weld.", {"Blueprint reading", "Welding"}),
    ("Able to operate loaders, bulldozers, excavators", {"Heavy equipment operation"}),
    ("Proficient in Word, Excel and Outlook.", {"Microsoft Word", "Microsoft Excel", "Microsoft Outlook"}),
    ("Experience with React Native and Redux.", {"React Native", "Redux"}),
    ("Valid CDL Class A and experience with welding.", {"CDL", "Welding"}),
    ("CPA required; phlebotomy experience a plus.", {"CPA", "Phlebotomy"}),
    ("Current RN license and BLS.", {"RN license", "BLS certification"}),
    ("Fluent in Spanish.", {"Spanish"}),
    ("Knowledge of Microsoft products (Word, Excel, Outlook).", {"Microsoft Word", "Microsoft Excel", "Microsoft Outlook"}),
    ("Hands-on experience with SQL, Redshift, Python, SPARK and Kafka.", {"Apache Spark"}),   # capitals in a list
    ("Able to work in a fast-paced, agile environment.", {"Agile"}),    # "agile" is a word, not an acronym
    ("Must have a clean driving record.", {"Driver's license"}),
    ("Type at least 45 WPM.", {"Typing"}),
])
def test_domain_skills_and_credentials_are_found(extractor, text, present):
    assert present <= set(extractor.skills(text, kinds=("technology", "knowledge", "credential", "language")))


def test_cue_phrases_name_what_no_dictionary_does():
    assert cue_phrases("Experience in personal injury litigation and case management preferred") == [
        "personal injury litigation", "case management"]
    assert cue_phrases("Must have experience working in a fast-paced environment") == []
    assert cue_phrases("Proficiency with 3Shape and dental implant design") == ["3Shape", "dental implant design"]


def test_a_generic_tail_after_an_ordinary_word_is_the_skill(extractor):
    common = extractor.common
    assert cue_phrases("Knowledge and experience with power tools, hand tools, ladders", common=common)[:2] == [
        "power tools", "hand tools"]
    assert cue_phrases("Experience with computer systems", common=common) == []


@pytest.mark.parametrize("title, code", [
    ("Experienced accountant", "13-2011.00"),                      # not Explosives Workers
    ("Dental Hygienist - choose your shift", "29-1292.00"),
    ("Software Engineer", "15-1252.00"),
])
def test_titles_resolve_to_occupations(intake, title, code):
    assert intake.resolver.resolve(title).code == code


def test_director_title_is_not_a_film_director(intake):
    choice = intake.resolver.resolve("Director, Finance Business Systems",
                                     "Lead the finance systems team: ERP, general ledger, financial reporting, budgets.")
    assert choice.code != "27-2012.00"


@pytest.mark.parametrize("title, level", [("Sales Associate", None), ("Associate Attorney", None),
                                          ("Staff Accountant", None), ("Staff Software Engineer", "lead"),
                                          ("Senior Product Marketing Manager", "manager"), ("Junior Analyst", "junior")])
def test_seniority_from_the_title_not_from_role_words(title, level):
    assert title_level(title) == level


def test_strict_query_is_title_and_a_minimum_of_the_top_skills(intake):
    req = intake.from_fields({"titles": ["Data Engineer"], "must_have": ["spark", "kafka", "scala", "python", "airflow"]})
    strict = OfflinePlanner(intake.taxonomy).strict(req)
    node = parse(strict.query)
    assert "Airflow" not in strict.query                        # only the top four count
    assert "at least 1 of the top 4" in strict.rationale
    shape = builder.Shape(("Data Engineer",), (), ("Apache Spark", "Apache Kafka", "Scala"), skills_min=2)
    two_of_three = builder.render(builder.build(shape, intake.taxonomy))
    assert two_of_three.count(" AND ") >= 3 and parse(two_of_three) is not None     # (a AND b) OR (a AND c) OR (b AND c)
    assert node is not None


def test_strict_query_never_stands_on_licences_and_phrases_alone(intake):
    from dataclasses import replace

    base = intake.from_fields({"titles": ["Respiratory Therapist"], "must_have": []})
    alone = replace(base, must_have=("BLS certification", "Carry objects or materials"),
                    skill_kinds=(("BLS certification", "credential"), ("Carry objects or materials", "phrase")))
    strict = OfflinePlanner(intake.taxonomy).strict(alone)
    assert "BLS" not in strict.query and "no must-have skill" in strict.rationale
    mixed = replace(alone, must_have=("Mechanical ventilation", *alone.must_have),
                    skill_kinds=(("Mechanical ventilation", "knowledge"), *alone.skill_kinds))
    strict = OfflinePlanner(intake.taxonomy).strict(mixed)
    assert "Mechanical ventilation" in strict.query and "BLS" in strict.query     # an extra alternative


def test_bad_input_is_read_with_notes_or_refused_clearly(intake):
    html = "<h1>Data Analyst</h1><p>Chicago, IL</p><ul><li>Requirements: SQL and Tableau</li></ul>"
    req = intake.from_text(html)
    assert req.titles == ("Data Analyst",) and {"Structured query language SQL", "Tableau"} <= set(req.must_have)
    assert "HTML markup removed" in req.notes and req.place.city == "Chicago"
    big = "Data Analyst\nChicago, IL\nRequirements: SQL.\n" + ("filler text. " * 100_000)
    req = intake.from_text(big)
    assert any(f"only the first {MAX_CHARS:,}" in n for n in req.notes) and "Structured query language SQL" in req.must_have
    french = "Infirmier de nuit\nLyon\nNous recherchons un infirmier diplômé pour notre service de nuit avec les patients."
    assert any("does not look like English" in n for n in intake.from_text(french).notes)
    from query.intake.requirements import IntakeError
    with pytest.raises(IntakeError) as info:
        intake.from_text("   ")
    assert info.value.field == "text"


def test_generator_keeps_legal_requirements_and_job_subjects():
    res = QueryGenerator().generate(text="School Psychologist\nAustin, TX\nRequirements: experience with a school-age "
                                         "caseload. Must be authorized to work in the United States. Current state "
                                         "licensure.\nWe are an equal opportunity employer; we do not discriminate "
                                         "based on race, religion, sex or age.")
    assert res.guard == ()                                      # EEO boilerplate is not a criterion; school-age is a subject
    assert res.requirements.titles == ("School Psychologist",)


def test_occupation_resolver_works_without_the_encoder(intake, tmp_path):
    from query.intake.occupation import OccupationResolver

    lexical = OccupationResolver(intake.taxonomy, encoder=None)
    assert lexical.semantic("Dental CAD/CAM Designer") is None
    assert lexical.resolve("Software Engineer").code == "15-1252.00"
    stale = tmp_path / "vectors.npz"                    # vectors of another taxonomy are not used
    np.savez(stale, codes=np.array(["00-0000.00"]), names=np.zeros((1, 384)), texts=np.zeros((1, 384)),
             model=np.array("x"), taxonomy=np.array("other"))
    assert OccupationResolver(intake.taxonomy, vectors=stale).semantic("Dental CAD/CAM Designer") is None


def test_an_occupation_named_by_its_own_title_over_the_taxonomys_alias_pick(intake):
    from query.intake.occupation import own_title_parts

    assert own_title_parts("Secretaries and Administrative Assistants, Except Legal, Medical, and Executive") >= {
        "secretary", "administrative assistant"}
    assert "development manager" not in own_title_parts("Training and Development Managers")    # a shared head
    assert own_title_parts("Engineers, All Other") == frozenset()
    choice = intake.resolver.resolve("Administrative Assistant", "Answer phones, schedule meetings, file documents.")
    assert choice.code == "43-6014.00"           # not Executive Secretaries and Executive Administrative Assistants


def test_executive_or_officer_alone_names_no_manager(intake):
    sales = "Sell advertising airtime and digital ad packages to local businesses; meet sales quotas."
    assert intake.resolver.resolve("Media Sales Executive", sales).code == "41-3011.00"   # not Advertising Managers
    assert intake.resolver.resolve("Chief Executive Officer", "Lead the company and report to the board.").code == "11-1011.00"


def test_market_titles_name_their_occupations_and_the_words_the_query_searches(intake):
    r = intake.resolver
    choice = r.resolve("Founding Front-End Engineer (Web)", "Build our React web app with TypeScript and CSS.")
    assert choice.code == "15-1254.00" and choice.part == "Front-End Engineer"     # not "Web", not the whole title
    assert r.resolve("Enterprise Account Executive", "Sell our SaaS platform to enterprise customers; "
                     "own quota and pipeline.").part == "Account Executive"
    assert r.resolve("W2 only _ Java Developer", "Java, Spring Boot, microservices.").part == "Java Developer"
    # an abbreviation at the end is not the ending searched: "RN" alone would be a poor title query
    assert r.resolve("Registered Nurse RN - Medical ICU", "Care for ICU patients.").part == "Registered Nurse RN"
    # both parts of an "X and Y" title are candidates; the description decides
    title = "Social Media Manager and Graphic Designer"
    design = "Design print flyers, logos and brochures in Adobe Illustrator, InDesign and Photoshop."
    assert {"27-1024.00", "27-3031.00"} <= {x["code"] for x in r.rank(title, design)[:4]}
    assert r.resolve(title, design).code == "27-1024.00"


def test_title_words_without_the_head_noun_count_less(intake):
    choice = intake.resolver.resolve("Bilingual Sales Assistant", "Assist the sales team with quotes, orders and "
                                     "customer calls in English and Spanish; enter orders; follow up with customers.")
    assert choice.code[:2] == "41"                     # a sales job, not a "bilingual teacher"


def test_broad_occupation_over_its_specialisation_and_a_generic_description(intake):
    choice = intake.resolver.resolve("Freelance Writer", "Write blog posts, newsletters and website copy for our clients.")
    assert choice.code == "27-3043.00"                  # Writers and Authors, not Poets, Lyricists and Creative Writers


@pytest.mark.parametrize("text", ["Benefits \x85 \n nurse young \u2028 skill:act! remote -", "\u2028\x85 \n", "Benefits:\n\n"])
def test_postings_with_nothing_but_separators_after_a_section_are_an_intake_error_not_a_crash(text):
    """Found by the API fuzzer: a posting whose context is only line separators once sections are cut."""
    from query.guard import PolicyViolationError
    from query.intake.requirements import IntakeError
    from records.errors import QueryError
    with pytest.raises((IntakeError, PolicyViolationError, QueryError)):
        QueryGenerator().generate(text=text, title="")


def test_one_preferred_clause_does_not_make_a_bulleted_line_preferred(intake):
    text = ("Data Analyst Intern\nGreensboro, NC\nRequirements:\n· Familiarity with data visualization tools (e.g., "
            "Tableau, Power BI).· Expertise in Microsoft Excel.· A creative approach to problem-solving is a plus.")
    req = intake.from_text(text)
    assert {"Tableau", "Microsoft Excel"} <= set(req.must_have)


def test_credentials_the_lexicon_lacks_are_must_haves(intake):
    text = ("HVAC Service Technician\nSt. Paul, MN\nRequirements:\nMinimum 5 years on the job with mechanical license.\n"
            "Valid driver's license.")
    req = intake.from_text(text)
    kinds = dict(req.skill_kinds)
    assert "Mechanical license" in req.must_have and kinds["Mechanical license"] == "credential"
    assert "Driver's license" in req.must_have and "Driver's license" == req.must_have[req.must_have.index("Driver's license")]


def test_a_generic_word_counts_inside_a_tool_list_opened_by_a_cue(extractor):
    kinds = ("technology", "knowledge", "credential")
    assert "Payroll" in extractor.skills("Proficient in data management, scheduling, and payroll.", kinds=kinds)
    assert extractor.skills("We handle payroll for our staff.", kinds=kinds) == []


def test_years_clause_is_a_must_and_its_preference_is_nice(intake):
    req = intake.from_text("Payroll Specialist\nAustin, TX\nRequirements:\n"
                           "5 or more years Payroll experience, Paychex preferred\nPharmacist licensure required\n")
    assert req.min_years == 5 and "Paychex" in req.nice_to_have and "Paychex" not in req.must_have
    assert "Pharmacist license" in req.must_have      # the dictionary's reading of "Pharmacist" did not hide it


def test_an_acronym_glued_to_the_next_list_item_is_cut_only_before_a_list_starter():
    from query.intake.posting import deglue
    assert deglue("Type at least 50 WPMBasic math skills") == "Type at least 50 WPM\nBasic math skills"
    assert deglue("Valid CDLAbility to lift 50 lbs") == "Valid CDL\nAbility to lift 50 lbs"
    assert deglue("Use SQLServer and JSONAPI daily") == "Use SQLServer and JSONAPI daily"
