"""Credentials no lexicon lists, read from a requirement sentence (query.intake.credentials)."""
from __future__ import annotations

import pytest

from query.intake.credentials import credential_phrases
from query.intake.location import us_states

STATES = frozenset(us_states())
OCCUPATIONS = {"Respiratory Care Practitioner", "Physical Therapist"}


def read(sentence: str) -> list[str]:
    return credential_phrases(sentence, is_occupation=lambda s: s in OCCUPATIONS, states=STATES)


@pytest.mark.parametrize("sentence, names", [
    ("Minimum 5 yrs. on the job with mechanical license.", ["Mechanical license"]),
    ("CA State Pharmacist License required", ["Pharmacist license"]),          # the state and "State" dropped
    ("ASE certification a plus", ["ASE certification"]),
    ("RCP - Licensed Respiratory Care Practitioner Current and valid", ["Respiratory Care Practitioner license"]),
    ("Customer service skillsASE certification", ["ASE certification"]),        # glued list items
    ("MACTE approved Montessori credential", ["Montessori credential"]),
])
def test_named_credentials_are_read(sentence, names):
    assert read(sentence) == names


@pytest.mark.parametrize("sentence", [
    "Current and valid Nebraska license",          # a state alone names no credential
    "Relevant certifications a plus",
    "Knowledge and/or certification in the field",
    "Two years post licensure",
    "Handle guest registration and check-in",      # work, not a credential
    "License/Other certification",
    "Licensed and insured contractor",
    "lead role.LICENSURE OR CERTIFICATION",
])
def test_categories_qualifiers_and_work_are_not_credentials(sentence):
    assert read(sentence) == []


from query.intake.credentials import special_credentials  # noqa: E402
from query.intake.location import state_names  # noqa: E402

NAMES = state_names()


@pytest.mark.parametrize("sentence, names", [
    ("Series 6, 26, and 65 licenses required", ["FINRA Series 6", "FINRA Series 26", "FINRA Series 65"]),
    ("Must hold a Series 7 or Series 66", ["FINRA Series 7", "FINRA Series 66"]),
    ("Active FL bar license", ["Florida Bar"]),
    ("Must be a member of the Florida Bar in good standing", ["Florida Bar"]),
    ("Georgia bar membership required", ["Georgia Bar"]),
    ("Bar license in Pennsylvania and New Jersey", ["Pennsylvania Bar", "New Jersey Bar"]),
    ("Licensed to practice law in the State of Hawaiʻi", ["Hawaii Bar"]),
    ("Licensed Florida attorney with 3 years of litigation", ["Florida Bar"]),
    ("Licensed to practice medicine in Ohio", ["Medical license"]),
])
def test_finra_exams_bar_admissions_and_medical_licences(sentence, names):
    assert special_credentials(sentence, NAMES) == names


@pytest.mark.parametrize("sentence", [
    "Experience managing a sports bar in Ohio",       # a bar the place, not the bar the profession
    "We raise the bar for customer service",
    "Bar memberships in any southeastern state",      # no state named: nothing to search for
    "The Series A round closed in 2021",
])
def test_bars_that_are_not_admissions_and_series_that_are_not_exams(sentence):
    assert special_credentials(sentence, NAMES) == []
